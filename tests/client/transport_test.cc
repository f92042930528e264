#include "client/transport.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

namespace minik8s::client {
namespace transport_test {

using namespace std::chrono_literals;

// A loopback listening socket on port 0.
class Listener {
 public:
  Listener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(fd_, 16), 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~Listener() { ::close(fd_); }
  uint16_t port() const { return port_; }
  int fd() const { return fd_; }

 private:
  int fd_;
  uint16_t port_;
};

// Accepts one connection, reads one request head and writes `response` (in pieces).
void serveOnce(int listen_fd, std::vector<std::string> pieces) {
  int c = ::accept(listen_fd, nullptr, nullptr);
  std::string got;
  char buf[4096];
  while (got.find("\r\n\r\n") == std::string::npos) {
    ssize_t n = ::read(c, buf, sizeof buf);
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  for (const auto& p : pieces) {
    (void)!::write(c, p.data(), p.size());
    std::this_thread::sleep_for(5ms);
  }
  ::close(c);
}

ServerAddress local(uint16_t port) {
  return ServerAddress{"127.0.0.1", port, ""};
}

TEST(BeastTransport, RefusedConnectionIsAOneLineConnectionError) {
  uint16_t port;
  {
    Listener l;
    port = l.port();
  }  // closed: nothing listens there now
  BeastTransport t(local(port), 2s, "test");
  auto r = t.roundTrip({});
  ASSERT_FALSE(r.isOk());
  EXPECT_TRUE(isConnectionError(r.status()));
  EXPECT_EQ(r.status().message(), "The connection to the server 127.0.0.1:" + std::to_string(port) +
                                      " was refused - did you specify the right host or port?");
}

TEST(BeastTransport, AServerThatNeverAnswersTimesOut) {
  Listener l;  // accepts into the backlog, never answers
  BeastTransport t(local(l.port()), 200ms, "test");
  auto start = std::chrono::steady_clock::now();
  HttpRequest request;
  request.target = "/version";
  auto r = t.roundTrip(request);
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), Code::kDeadlineExceeded);
  EXPECT_TRUE(isConnectionError(r.status()));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
}

TEST(BeastTransport, ReadsAResponseWithHeadersAndBody) {
  Listener l;
  std::thread server(
      serveOnce, l.fd(),
      std::vector<std::string>{
          "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n"
          "Warning: 299 - \"w\"\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"});
  BeastTransport t(local(l.port()), 2s, "test");
  HttpRequest request;
  request.method = "POST";
  request.target = "/api/v1/namespaces/default/pods";
  request.body = "{}";
  auto r = t.roundTrip(request);
  server.join();
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  EXPECT_EQ(r->status, 201);
  EXPECT_EQ(r->body, "{}");
  EXPECT_EQ(r->header("content-type"), "application/json");
  EXPECT_EQ(r->header("WARNING"), "299 - \"w\"");
}

TEST(BeastTransport, StreamsAChunkedBodyPieceByPiece) {
  Listener l;
  std::thread server(
      serveOnce, l.fd(),
      std::vector<std::string>{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
                               "4\r\nab\n\n\r\n", "3\r\ncd\n\r\n", "0\r\n\r\n"});
  BeastTransport t(local(l.port()), 2s, "test");
  std::string got;
  auto r = t.stream(
      {},
      [&](std::string_view d) {
        got.append(d);
        return true;
      },
      {}, 2s);
  server.join();
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(got, "ab\n\ncd\n");
}

TEST(BeastTransport, AStreamEndsWhenStopIsRequested) {
  Listener l;
  std::thread server([&] {
    int c = ::accept(l.fd(), nullptr, nullptr);
    char buf[4096];
    (void)!::read(c, buf, sizeof buf);
    std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nx\n\r\n";
    (void)!::write(c, head.data(), head.size());
    std::this_thread::sleep_for(1s);
    ::close(c);
  });
  BeastTransport t(local(l.port()), 2s, "test");
  std::stop_source stop;
  auto start = std::chrono::steady_clock::now();
  auto r = t.stream(
      {},
      [&](std::string_view) {
        stop.request_stop();  // from the consumer here; a controller would stop from another thread
        return true;
      },
      stop.get_token(), 0ms);
  EXPECT_TRUE(r.isOk());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 900ms);
  server.join();
}

TEST(BeastTransport, AStreamErrorAnswerIsReturnedWhole) {
  Listener l;
  std::thread server(
      serveOnce, l.fd(),
      std::vector<std::string>{"HTTP/1.1 410 Gone\r\nContent-Length: 5\r\n\r\nerror"});
  BeastTransport t(local(l.port()), 2s, "test");
  auto r = t.stream(
      {}, [](std::string_view) { return true; }, {}, 2s);
  server.join();
  ASSERT_TRUE(r.isOk());
  EXPECT_EQ(r->status, 410);
  EXPECT_EQ(r->body, "error");
}

TEST(BeastTransport, ABearerTokenFromTheConfigIsSentOverPlainHttp) {
  Listener l;
  std::string head;
  std::thread server([&] {
    int c = ::accept(l.fd(), nullptr, nullptr);
    char buf[4096];
    while (head.find("\r\n\r\n") == std::string::npos) {
      ssize_t n = ::read(c, buf, sizeof buf);
      if (n <= 0) break;
      head.append(buf, static_cast<size_t>(n));
    }
    std::string answer = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    (void)!::write(c, answer.data(), answer.size());
    ::close(c);
  });
  ClientConfig config;
  config.server = "http://127.0.0.1:" + std::to_string(l.port());
  config.bearer_token = "t0ken";
  auto t = BeastTransport::create(config);
  ASSERT_TRUE(t.isOk()) << t.status().toString();
  auto r = (*t)->roundTrip({});
  server.join();
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  EXPECT_NE(head.find("Authorization: Bearer t0ken\r\n"), std::string::npos) << head;
}

}  // namespace transport_test
}  // namespace minik8s::client
