// HttpServer over TLS: certificates made with the openssl CLI in a temporary directory,
// clients are curl, kubectl (when installed) and an Asio TLS client.
#include <gtest/gtest.h>

#include <array>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "http/http_server.h"
#include "http/upgrade.h"
#include "testing/file_text.h"
#include "testing/http_client.h"

namespace minik8s::http {
namespace tls_test {

using namespace std::chrono_literals;
namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

// Runs a shell command; its stdout, and its exit status in *status.
std::string run(const std::string& command, int* status = nullptr) {
  std::string out;
  FILE* p = ::popen(command.c_str(), "r");
  if (!p) return out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  int rc = ::pclose(p);
  if (status) *status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  return out;
}

// A throwaway PKI: a CA, a server certificate for 127.0.0.1/localhost, a client of that
// CA (CN alice, O dev and ops), and a second CA with a client of its own.
struct Pki {
  std::string dir;
  bool ok = false;

  std::string path(const std::string& name) const { return dir + "/" + name; }

  void make() {
    char tmpl[] = "/tmp/minik8s-tls-test-XXXXXX";
    if (!::mkdtemp(tmpl)) return;
    dir = tmpl;
    std::ofstream(path("server.ext"))
        << "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n";
    std::ofstream(path("client.ext")) << "extendedKeyUsage=clientAuth\n";
    std::string d = dir;
    std::string script =
        "set -e; cd " + d +
        "; k='-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes';"
        " openssl req -x509 $k -keyout ca.key -out ca.crt -days 1 -subj /CN=test-ca;"
        " openssl req -x509 $k -keyout other-ca.key -out other-ca.crt -days 1 -subj /CN=other;"
        " openssl req $k -keyout server.key -out server.csr -subj /CN=server;"
        " openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial"
        "   -out server.crt -days 1 -extfile server.ext;"
        " openssl req $k -keyout client.key -out client.csr -subj /CN=alice/O=dev/O=ops;"
        " openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial"
        "   -out client.crt -days 1 -extfile client.ext;"
        " openssl req $k -keyout mallory.key -out mallory.csr -subj /CN=mallory/O=system:masters;"
        " openssl x509 -req -in mallory.csr -CA other-ca.crt -CAkey other-ca.key"
        "   -CAcreateserial -out mallory.crt -days 1 -extfile client.ext;"
        " openssl genrsa -traditional -out rsa.key 2048;"
        " openssl req -x509 -key rsa.key -out rsa.crt -days 1 -subj /CN=localhost"
        "   -addext subjectAltName=IP:127.0.0.1";
    std::ofstream(path("make.sh")) << script << "\n";
    int status = 0;
    run("bash " + path("make.sh") + " >" + path("make.log") + " 2>&1", &status);
    ok = status == 0 && std::filesystem::exists(path("rsa.crt"));
  }
  void remove() {
    if (!dir.empty()) std::filesystem::remove_all(dir);
    dir.clear();
    ok = false;
  }
};

Pki& pki() {
  static Pki p;
  return p;
}

// Removes the certificates after the last test of the binary.
class PkiCleanup : public ::testing::Environment {
 public:
  void TearDown() override { pki().remove(); }
};
const auto* const kPkiCleanup = ::testing::AddGlobalTestEnvironment(new PkiCleanup);

// Answers "tls=<0|1> cn=<CN> o=<O,...> <path>"; /stream answers a chunked stream of three
// chunks; /echo takes the connection over and echoes upper-cased; /ws is a WebSocket echo.
class Echo : public std::enable_shared_from_this<Echo> {
 public:
  explicit Echo(std::unique_ptr<UpgradedConnection> c) : conn_(std::move(c)) {}
  void start() {
    out_ = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n" +
           conn_->takeBuffered();
    net::async_write(conn_->stream(), net::buffer(out_),
                     [self = shared_from_this()](boost::system::error_code ec, size_t) {
                       if (!ec) self->read();
                     });
  }

 private:
  void read() {
    conn_->stream().async_read_some(
        net::buffer(buf_), [self = shared_from_this()](boost::system::error_code ec, size_t n) {
          if (ec) return;
          self->out_.assign(self->buf_.data(), n);
          for (char& c : self->out_) c = static_cast<char>(std::toupper(c));
          net::async_write(self->conn_->stream(), net::buffer(self->out_),
                           [self](boost::system::error_code ec, size_t) {
                             if (!ec) self->read();
                           });
        });
  }

  std::unique_ptr<UpgradedConnection> conn_;
  std::array<char, 1024> buf_;
  std::string out_;
};

class WsEcho : public std::enable_shared_from_this<WsEcho> {
 public:
  explicit WsEcho(std::unique_ptr<UpgradedConnection> c)
      : conn_(std::move(c)), ws_(conn_->stream()) {}
  void start() {
    head_ = serializeRequestHead(conn_->request()) + conn_->takeBuffered();
    ws_.async_accept(net::buffer(head_), [self = shared_from_this()](beast::error_code ec) {
      if (!ec) self->read();
    });
  }

 private:
  void read() {
    ws_.async_read(buf_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return;
      self->msg_ = "echo:" + beast::buffers_to_string(self->buf_.data());
      self->buf_.consume(self->buf_.size());
      self->ws_.async_write(net::buffer(self->msg_), [self](beast::error_code ec, size_t) {
        if (!ec) self->read();
      });
    });
  }

  std::unique_ptr<UpgradedConnection> conn_;
  websocket::stream<AsyncStream&> ws_;
  std::string head_;
  std::string msg_;
  beast::flat_buffer buf_;
};

HandlerResult handle(HttpRequest& r) {
  HandlerResult result;
  if (r.path == "/stream") {
    result.start_stream = [](std::shared_ptr<ResponseStream> s) {
      s->write("one\n");
      s->write("two\n");
      s->write("three\n");
      s->finish();
    };
    return result;
  }
  if (r.path == "/echo") {
    result.upgrade = [](std::unique_ptr<UpgradedConnection> c) {
      std::make_shared<Echo>(std::move(c))->start();
    };
    return result;
  }
  if (r.path == "/ws") {
    result.upgrade = [](std::unique_ptr<UpgradedConnection> c) {
      std::make_shared<WsEcho>(std::move(c))->start();
    };
    return result;
  }
  std::string o;
  if (r.client_certificate) {
    for (const auto& org : r.client_certificate->organizations) {
      if (!o.empty()) o += ",";
      o += org;
    }
  }
  result.response.headers.emplace_back("Content-Type", "text/plain");
  result.response.body = "tls=" + std::string(r.tls ? "1" : "0") +
                         " cn=" + (r.client_certificate ? r.client_certificate->common_name : "-") +
                         " o=" + o + " " + r.path + (r.body.empty() ? "" : " body=" + r.body);
  return result;
}

// A TLS client on Asio; every operation gives up after 5 s.
class TlsClient {
 public:
  explicit TlsClient(const std::string& cert = "", const std::string& key = "") {
    ctx_.load_verify_file(pki().path("ca.crt"));
    ctx_.set_verify_mode(net::ssl::verify_peer);
    if (!cert.empty()) {
      ctx_.use_certificate_chain_file(cert);
      ctx_.use_private_key_file(key, net::ssl::context::pem);
    }
    stream_.emplace(ioc_, ctx_);
  }

  beast::error_code connect(uint16_t port) {
    beast::error_code ec;
    stream_->next_layer().connect({net::ip::make_address("127.0.0.1"), port}, ec);
    if (ec) return ec;
    return wait([&](auto done) { stream_->async_handshake(net::ssl::stream_base::client, done); });
  }

  bool send(const std::string& data) {
    return !wait([&](auto done) { net::async_write(*stream_, net::buffer(data), done); });
  }

  // Reads until `want` bytes arrived in total or an error; returns what arrived.
  std::string read(size_t want) {
    std::string out;
    while (out.size() < want) {
      std::array<char, 4096> buf;
      size_t got = 0;
      auto ec = wait([&](auto done) {
        stream_->async_read_some(net::buffer(buf.data(), std::min(buf.size(), want - out.size())),
                                 [&got, done](beast::error_code e, size_t n) mutable {
                                   got = n;
                                   done(e, n);
                                 });
      });
      out.append(buf.data(), got);
      if (ec) break;
    }
    return out;
  }

  net::ssl::stream<tcp::socket>& stream() { return *stream_; }

  // Starts the operation with a completion handler and runs until it completes or 5 s.
  template <class Start>
  beast::error_code wait(Start start) {
    beast::error_code result = net::error::timed_out;
    bool finished = false;
    start([&](beast::error_code ec, size_t = 0) {
      result = ec;
      finished = true;
    });
    ioc_.restart();
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!finished && std::chrono::steady_clock::now() < deadline) ioc_.run_for(50ms);
    if (!finished) {
      beast::error_code ignored;
      stream_->next_layer().close(ignored);
      ioc_.restart();
      ioc_.run_for(1s);
    }
    return result;
  }

 private:
  net::io_context ioc_;
  net::ssl::context ctx_{net::ssl::context::tls_client};
  std::optional<net::ssl::stream<tcp::socket>> stream_;
};

class TlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!pki().ok) pki().make();
  }

  void SetUp() override {
    if (!pki().ok) GTEST_SKIP() << "openssl could not make the test certificates";
  }
  void TearDown() override {
    if (server_) server_->stop();
  }

  TlsServerOptions tlsOptions(bool client_ca = true, bool require = false) {
    TlsServerOptions t;
    t.cert_pem = testing::fileText(pki().path("server.crt"));
    t.key_pem = testing::fileText(pki().path("server.key"));
    if (client_ca) t.client_ca_pem = testing::fileText(pki().path("ca.crt"));
    t.require_client_certificate = require;
    return t;
  }

  void startServer(TlsServerOptions tls, int header_timeout_seconds = 10) {
    HttpServerOptions o;
    o.port = 0;
    o.tls = std::move(tls);
    o.header_timeout_seconds = header_timeout_seconds;
    o.is_long_running = [](const HttpRequest& r) { return r.path != "/plain"; };
    server_ = HttpServer::create(o, handle);
    ASSERT_TRUE(server_->start().isOk());
  }

  std::string url(const std::string& path) const {
    return "https://127.0.0.1:" + std::to_string(server_->port()) + path;
  }

  // curl's body (stderr dropped); *status is curl's exit code.
  std::string curl(const std::string& args, int* status = nullptr) {
    return run(
        "curl -sS --max-time 5 --cacert " + pki().path("ca.crt") + " " + args + " 2>/dev/null",
        status);
  }

  std::string clientCert() const {
    return "--cert " + pki().path("client.crt") + " --key " + pki().path("client.key");
  }

  std::unique_ptr<HttpServer> server_;
};

TEST_F(TlsTest, CurlGetsAnAnswerWithoutAClientCertificate) {
  startServer(tlsOptions());
  int status = -1;
  EXPECT_EQ(curl(url("/plain"), &status), "tls=1 cn=- o= /plain");
  EXPECT_EQ(status, 0);
}

TEST_F(TlsTest, HandlerSeesTheClientCertificateIdentity) {
  startServer(tlsOptions());
  EXPECT_EQ(curl(clientCert() + " " + url("/plain")), "tls=1 cn=alice o=dev,ops /plain");
}

TEST_F(TlsTest, NoClientCaMeansNoIdentityEvenWithACertificate) {
  startServer(tlsOptions(/*client_ca=*/false));
  EXPECT_EQ(curl(clientCert() + " " + url("/plain")), "tls=1 cn=- o= /plain");
}

TEST_F(TlsTest, RequiredClientCertificateRefusesAHandshakeWithoutOne) {
  startServer(tlsOptions(true, /*require=*/true));
  int status = 0;
  EXPECT_EQ(curl(url("/plain"), &status), "");
  EXPECT_NE(status, 0);
  EXPECT_EQ(curl(clientCert() + " " + url("/plain")), "tls=1 cn=alice o=dev,ops /plain");
}

TEST_F(TlsTest, CertificateFromAnotherCaFailsTheHandshake) {
  startServer(tlsOptions());
  int status = 0;
  std::string out = curl("--cert " + pki().path("mallory.crt") + " --key " +
                             pki().path("mallory.key") + " " + url("/plain"),
                         &status);
  EXPECT_EQ(out, "");
  EXPECT_NE(status, 0);
  // The server goes on serving.
  EXPECT_EQ(curl(clientCert() + " " + url("/plain")), "tls=1 cn=alice o=dev,ops /plain");
}

TEST_F(TlsTest, ChunkedStreamOverTls) {
  startServer(tlsOptions());
  EXPECT_EQ(curl("-N " + url("/stream")), "one\ntwo\nthree\n");
}

TEST_F(TlsTest, KeepAliveAndContinueOverTls) {
  startServer(tlsOptions());
  TlsClient c(pki().path("client.crt"), pki().path("client.key"));
  ASSERT_FALSE(c.connect(server_->port()));
  std::string expected = "tls=1 cn=alice o=dev,ops /plain";
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(c.send("GET /plain HTTP/1.1\r\nHost: a\r\n\r\n"));
    std::string r = c.read(1);
    while (r.find(expected) == std::string::npos) {
      std::string more = c.read(1);
      if (more.empty()) break;
      r += more;
    }
    EXPECT_NE(r.find("HTTP/1.1 200 OK"), std::string::npos) << r;
    EXPECT_NE(r.find(expected), std::string::npos) << r;
  }
  ASSERT_TRUE(c.send(
      "POST /plain HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n"));
  std::string cont = "HTTP/1.1 100 Continue\r\n\r\n";
  EXPECT_EQ(c.read(cont.size()), cont);
  ASSERT_TRUE(c.send("hi"));
  std::string r;
  while (r.find("body=hi") == std::string::npos) {
    std::string more = c.read(1);
    if (more.empty()) break;
    r += more;
  }
  EXPECT_NE(r.find("body=hi"), std::string::npos) << r;
}

TEST_F(TlsTest, UpgradeOverTlsEchoesThroughTheStream) {
  startServer(tlsOptions());
  TlsClient c;
  ASSERT_FALSE(c.connect(server_->port()));
  ASSERT_TRUE(
      c.send("GET /echo HTTP/1.1\r\nHost: a\r\nUpgrade: echo\r\nConnection: Upgrade\r\n"
             "\r\nearly"));
  std::string head =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n";
  EXPECT_EQ(c.read(head.size() + 5), head + "early");
  ASSERT_TRUE(c.send("hello"));
  EXPECT_EQ(c.read(5), "HELLO");
}

TEST_F(TlsTest, WebSocketOverTlsThroughTheStream) {
  startServer(tlsOptions());
  TlsClient c;
  ASSERT_FALSE(c.connect(server_->port()));
  websocket::stream<net::ssl::stream<tcp::socket>&> ws(c.stream());
  ASSERT_FALSE(c.wait([&](auto done) { ws.async_handshake("127.0.0.1", "/ws", done); }));
  std::string msg = "ping";
  ASSERT_FALSE(c.wait([&](auto done) { ws.async_write(net::buffer(msg), done); }));
  beast::flat_buffer buf;
  ASSERT_FALSE(c.wait([&](auto done) { ws.async_read(buf, done); }));
  EXPECT_EQ(beast::buffers_to_string(buf.data()), "echo:ping");
  // The server answers our close frame and tears the TLS connection down.
  EXPECT_FALSE(c.wait([&](auto done) { ws.async_close(websocket::close_code::normal, done); }));
}

// A plain TCP client; closed() reads until EOF (true) or the timeout (false).
struct RawClient {
  int fd = -1;
  std::string received;
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
  bool closed(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      char buf[512];
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return true;
      received.append(buf, static_cast<size_t>(n));
    }
    return false;
  }
};

TEST_F(TlsTest, PlainHttpClientOnTheTlsPortIsClosed) {
  startServer(tlsOptions());
  RawClient plain(server_->port());
  ASSERT_GE(plain.fd, 0);
  ASSERT_TRUE(plain.send("GET /plain HTTP/1.1\r\nHost: a\r\n\r\n"));
  EXPECT_TRUE(plain.closed(3000ms));
  EXPECT_EQ(plain.received.find("HTTP/1.1"), std::string::npos) << plain.received;
  EXPECT_EQ(curl(url("/plain")), "tls=1 cn=- o= /plain");
}

TEST_F(TlsTest, HandshakeIsBoundedByTheHeaderTimeout) {
  startServer(tlsOptions(), /*header_timeout_seconds=*/1);
  auto t0 = std::chrono::steady_clock::now();
  RawClient silent(server_->port());  // never starts the handshake
  ASSERT_GE(silent.fd, 0);
  EXPECT_TRUE(silent.closed(4000ms));
  auto elapsed = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(elapsed, 900ms);
  EXPECT_LT(elapsed, 4s);
}

TEST_F(TlsTest, StopsCleanlyWithOpenTlsConnections) {
  startServer(tlsOptions());
  TlsClient idle;
  ASSERT_FALSE(idle.connect(server_->port()));
  TlsClient upgraded;
  ASSERT_FALSE(upgraded.connect(server_->port()));
  ASSERT_TRUE(upgraded.send(
      "GET /echo HTTP/1.1\r\nHost: a\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n"));
  EXPECT_FALSE(upgraded.read(20).empty());
  RawClient half(server_->port());  // TCP only, mid-handshake
  auto t0 = std::chrono::steady_clock::now();
  server_->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
}

TEST_F(TlsTest, Http2OfferedStillGetsHttp11) {
  startServer(tlsOptions());
  EXPECT_EQ(curl("--http2 -o /dev/null -w '%{http_version}' " + url("/plain")), "1.1");
}

TEST_F(TlsTest, RsaKeyInTraditionalPemWorks) {
  TlsServerOptions t;
  t.cert_pem = testing::fileText(pki().path("rsa.crt"));
  t.key_pem = testing::fileText(pki().path("rsa.key"));
  startServer(t);
  EXPECT_EQ(run("curl -sS --max-time 5 --cacert " + pki().path("rsa.crt") + " " + url("/plain") +
                " 2>/dev/null"),
            "tls=1 cn=- o= /plain");
}

TEST_F(TlsTest, StartFailsWhenTheKeyDoesNotMatchOrDoesNotLoad) {
  HttpServerOptions o;
  o.port = 0;
  o.tls = tlsOptions();
  o.tls->key_pem = testing::fileText(pki().path("client.key"));
  auto s = HttpServer::create(o, handle);
  Status st = s->start();
  EXPECT_EQ(st.code(), Code::kInvalid) << st.toString();
  EXPECT_NE(st.message().find("does not match"), std::string::npos) << st.toString();

  o.tls = tlsOptions();
  o.tls->cert_pem = "not a certificate";
  s = HttpServer::create(o, handle);
  st = s->start();
  EXPECT_EQ(st.code(), Code::kInvalid) << st.toString();
  EXPECT_NE(st.message().find("certificate"), std::string::npos) << st.toString();

  o.tls = tlsOptions();
  o.tls->client_ca_pem = "garbage";
  s = HttpServer::create(o, handle);
  EXPECT_EQ(s->start().code(), Code::kInvalid);
}

TEST_F(TlsTest, KubectlGetsOverTls) {
  if (!std::filesystem::exists("/usr/bin/kubectl")) GTEST_SKIP() << "no kubectl";
  startServer(tlsOptions());
  std::string base = "KUBECONFIG=" + pki().path("none") +
                     " kubectl --request-timeout=5s --server https://127.0.0.1:" +
                     std::to_string(server_->port()) + " --certificate-authority " +
                     pki().path("ca.crt");
  int status = -1;
  // A token, or kubectl without credentials asks for a user name.
  EXPECT_EQ(run(base + " --token t get --raw /x 2>&1 </dev/null", &status), "tls=1 cn=- o= /x");
  EXPECT_EQ(status, 0);
  EXPECT_EQ(run(base + " --client-certificate " + pki().path("client.crt") + " --client-key " +
                pki().path("client.key") + " get --raw /x 2>&1 </dev/null"),
            "tls=1 cn=alice o=dev,ops /x");
}

}  // namespace tls_test
}  // namespace minik8s::http
