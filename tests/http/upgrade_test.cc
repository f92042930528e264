// HandlerResult::upgrade: a handler takes the connection over after its request (raw
// sockets against port 0).
#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <thread>

#include "http/http_server.h"
#include "http/upgrade.h"
#include "testing/http_client.h"

#include <poll.h>

namespace minik8s::http {
namespace upgrade_test {

using namespace std::chrono_literals;
namespace net = boost::asio;

// Answers "101", then echoes every byte back upper-cased until the client half-closes.
class Echo : public std::enable_shared_from_this<Echo> {
 public:
  explicit Echo(std::unique_ptr<UpgradedConnection> c) : conn_(std::move(c)) {}
  void start() {
    std::string first = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\n"
                        "Connection: Upgrade\r\nX-Target: " + conn_->request().raw_target +
                        "\r\n\r\n";
    out_ = first + upper(conn_->takeBuffered());
    net::async_write(conn_->socket(), net::buffer(out_),
                     [self = shared_from_this()](boost::system::error_code ec, size_t) {
                       if (!ec) self->read();
                     });
  }

 private:
  static std::string upper(std::string s) {
    for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
  }
  void read() {
    conn_->socket().async_read_some(
        net::buffer(buf_), [self = shared_from_this()](boost::system::error_code ec, size_t n) {
          if (ec) return;  // EOF or closed by the server: dropping `self` closes the connection
          self->out_ = upper(std::string(self->buf_.data(), n));
          net::async_write(self->conn_->socket(), net::buffer(self->out_),
                           [self](boost::system::error_code ec, size_t) {
                             if (!ec) self->read();
                           });
        });
  }

  std::unique_ptr<UpgradedConnection> conn_;
  std::array<char, 1024> buf_;
  std::string out_;
};

class UpgradeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HttpServerOptions o;
    o.port = 0;
    o.is_long_running = [](const HttpRequest& r) { return r.path == "/echo"; };
    server_ = HttpServer::create(o, [](HttpRequest& r) {
      HandlerResult result;
      if (r.path == "/echo" && r.header("Upgrade") == "echo") {
        result.upgrade = [](std::unique_ptr<UpgradedConnection> c) {
          std::make_shared<Echo>(std::move(c))->start();
        };
      } else {
        result.response.body = "{\"plain\":true}";
      }
      return result;
    });
    ASSERT_TRUE(server_->start().isOk());
  }
  void TearDown() override { server_->stop(); }

  std::unique_ptr<HttpServer> server_;
};

// A client that talks raw bytes (the HttpConnection helper buffers reads).
struct RawClient {
  int fd = -1;
  explicit RawClient(uint16_t port) {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd);
      fd = -1;
    }
  }
  ~RawClient() {
    if (fd >= 0) ::close(fd);
  }
  bool send(const std::string& s) {
    return ::send(fd, s.data(), s.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(s.size());
  }
  // Reads until `want` bytes arrived, EOF, or the timeout.
  std::string read(size_t want, std::chrono::milliseconds timeout = 5000ms) {
    std::string out;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (out.size() < want && std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      char buf[4096];
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }
  // true when the server closed the connection within the timeout.
  bool closedBy(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      char buf[256];
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return true;
    }
    return false;
  }
};

const std::string kUpgrade =
    "GET /echo HTTP/1.1\r\nHost: a\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n";
const std::string kHead =
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n"
    "X-Target: /echo\r\n\r\n";

TEST_F(UpgradeTest, BytesFlowBothWays) {
  RawClient c(server_->port());
  ASSERT_TRUE(c.send(kUpgrade));
  EXPECT_EQ(c.read(kHead.size()), kHead);
  ASSERT_TRUE(c.send("hello"));
  EXPECT_EQ(c.read(5), "HELLO");
  ASSERT_TRUE(c.send("again"));
  EXPECT_EQ(c.read(5), "AGAIN");
}

TEST_F(UpgradeTest, BytesSentWithTheRequestAreHandedOver) {
  RawClient c(server_->port());
  ASSERT_TRUE(c.send(kUpgrade + "early bytes"));
  EXPECT_EQ(c.read(kHead.size() + 11), kHead + "EARLY BYTES");
}

TEST_F(UpgradeTest, PlainRequestsOnTheSameServerStillWork) {
  auto r = testing::httpCall(server_->port(), "GET", "/plain");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "{\"plain\":true}");
}

TEST_F(UpgradeTest, StopClosesUpgradedConnections) {
  RawClient c(server_->port());
  ASSERT_TRUE(c.send(kUpgrade));
  EXPECT_EQ(c.read(kHead.size()), kHead);
  auto t0 = std::chrono::steady_clock::now();
  server_->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  EXPECT_TRUE(c.closedBy(2000ms));
}

TEST_F(UpgradeTest, ClientLeavingEndsTheSession) {
  {
    RawClient c(server_->port());
    ASSERT_TRUE(c.send(kUpgrade));
    EXPECT_EQ(c.read(kHead.size()), kHead);
  }
  // The session saw EOF and dropped its UpgradedConnection: stop() has nothing to wait for.
  std::this_thread::sleep_for(50ms);
  auto t0 = std::chrono::steady_clock::now();
  server_->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
}

TEST(SerializeRequestHead, AsReceived) {
  HttpRequest r;
  r.method = "GET";
  r.raw_target = "/x?a=b";
  r.headers = {{"Host", "h"}, {"sec-websocket-key", "k"}};
  EXPECT_EQ(serializeRequestHead(r), "GET /x?a=b HTTP/1.1\r\nHost: h\r\nsec-websocket-key: k\r\n\r\n");
}

}  // namespace upgrade_test
}  // namespace minik8s::http
