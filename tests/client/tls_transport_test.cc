// BeastTransport over TLS against a real TLS server: Python 3's http.server wrapped in its
// ssl module, with certificates made by the openssl CLI in a temporary directory. Skipped
// when python3 or openssl is missing.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "client/transport.h"
#include "testing/file_text.h"

extern char** environ;

namespace minik8s::client {
namespace tls_transport_test {

using namespace std::chrono_literals;

constexpr char kOpensslConfig[] = R"([req]
distinguished_name = dn
prompt = no
[dn]
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,DNS:localhost
[other]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:other.example
[client]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = clientAuth
)";

// GET /echo answers JSON about the request and the connection; GET /stream?n=N sends N
// chunks 50 ms apart (N=0: until the client goes away).
constexpr char kServerScript[] = R"(import http.server, json, ssl, sys, time, urllib.parse

cert, key, client_ca = sys.argv[1], sys.argv[2], sys.argv[3]

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        self.request.do_handshake()  # here, in the connection's thread, not in accept
        super().setup()

    def log_message(self, *args):
        pass

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        if url.path == "/stream":
            n = int(urllib.parse.parse_qs(url.query).get("n", ["0"])[0])
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            i = 0
            try:
                while n == 0 or i < n:
                    line = ("line%d\n" % i).encode()
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(line), line))
                    self.wfile.flush()
                    i += 1
                    time.sleep(0.05)
                self.wfile.write(b"0\r\n\r\n")
            except Exception:
                self.close_connection = True
            return
        peer = self.request.getpeercert() or {}
        cn = ""
        for rdn in peer.get("subject", ()):
            for name, value in rdn:
                if name == "commonName":
                    cn = value
        body = json.dumps({
            "path": self.path,
            "client_port": self.client_address[1],
            "authorization": self.headers.get("Authorization", ""),
            "peer_cn": cn,
            "alpn": self.request.selected_alpn_protocol() or "",
        }).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a client that refuses our certificate is a test case, not noise

context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
context.set_alpn_protocols(["http/1.1"])
if client_ca:
    context.load_verify_locations(client_ca)
    context.verify_mode = ssl.CERT_REQUIRED
server = Server(("127.0.0.1", 0), Handler)
server.socket = context.wrap_socket(server.socket, server_side=True,
                                    do_handshake_on_connect=False)
print(server.server_address[1], flush=True)
server.serve_forever()
)";

// A temporary directory with a CA, a server certificate for 127.0.0.1 and localhost, one
// for other.example only, a client certificate (CN test-client) and an unrelated second CA.
class Pki {
 public:
  Pki() {
    char dir_template[] = "/tmp/minik8s-tls-test-XXXXXX";
    dir_ = ::mkdtemp(dir_template);
    std::ofstream(dir_ / "openssl.cnf") << kOpensslConfig;
    std::ofstream(dir_ / "server.py") << kServerScript;
    ok_ = makeCa("ca") && makeCa("ca2") && makeLeaf("server", "server", "ca") &&
          makeLeaf("other", "other", "ca") && makeLeaf("client", "client", "ca", "test-client");
  }
  ~Pki() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  bool ok() const { return ok_; }
  std::string path(const std::string& file) const { return (dir_ / file).string(); }
  std::string pem(const std::string& file) const { return testing::fileText(dir_ / file); }

 private:
  bool run(const std::string& command) const {
    std::string full = "cd " + dir_.string() + " && " + command + " >>openssl.log 2>&1";
    return std::system(full.c_str()) == 0;
  }
  bool makeCa(const std::string& name) const {
    return run(
        "openssl req -x509 -config openssl.cnf -extensions ca -newkey ec -pkeyopt "
        "ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=" +
        name + " -keyout " + name + ".key -out " + name + ".crt");
  }
  bool makeLeaf(const std::string& name, const std::string& extensions, const std::string& ca,
                const std::string& cn = "") const {
    return run("openssl req -new -config openssl.cnf -newkey ec -pkeyopt "
               "ec_paramgen_curve:prime256v1 -nodes -subj /CN=" +
               (cn.empty() ? name : cn) + " -keyout " + name + ".key -out " + name + ".csr") &&
           run("openssl x509 -req -in " + name + ".csr -CA " + ca + ".crt -CAkey " + ca +
               ".key -set_serial " + std::to_string(++serial_) + " -days 2 -extfile openssl.cnf" +
               " -extensions " + extensions + " -out " + name + ".crt");
  }

  std::filesystem::path dir_;
  bool ok_ = false;
  mutable int serial_ = 1;
};

// The Python TLS server, started on 127.0.0.1 port 0; stopped (its PID only) when destroyed.
class PythonTlsServer {
 public:
  // `client_ca` non-empty: the server requires a client certificate signed by it.
  PythonTlsServer(const Pki& pki, const std::string& name, const std::string& client_ca = "") {
    int out[2];
    if (::pipe(out) != 0) return;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, out[0]);
    std::vector<std::string> args = {"python3", pki.path("server.py"), pki.path(name + ".crt"),
                                     pki.path(name + ".key"),
                                     client_ca.empty() ? "" : pki.path(client_ca + ".crt")};
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    if (posix_spawnp(&pid_, "python3", &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    std::string line;
    pollfd pfd{out[0], POLLIN, 0};
    while (pid_ > 0 && line.find('\n') == std::string::npos && ::poll(&pfd, 1, 10000) == 1) {
      char buf[64];
      ssize_t n = ::read(out[0], buf, sizeof buf);
      if (n <= 0) break;
      line.append(buf, static_cast<size_t>(n));
    }
    ::close(out[0]);
    if (line.find('\n') != std::string::npos) port_ = static_cast<uint16_t>(std::stoi(line));
    std::printf("python TLS server (%s) pid %d on port %u\n", name.c_str(), pid_, port_);
  }
  ~PythonTlsServer() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
  }

  uint16_t port() const { return port_; }
  std::string url(const std::string& host = "127.0.0.1") const {
    return "https://" + host + ":" + std::to_string(port_);
  }

 private:
  pid_t pid_ = -1;
  uint16_t port_ = 0;
};

class TlsTransport : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (std::system("command -v python3 >/dev/null 2>&1 && openssl version >/dev/null 2>&1") != 0) {
      return;
    }
    pki_ = new Pki();
  }
  static void TearDownTestSuite() {
    delete pki_;
    pki_ = nullptr;
  }
  void SetUp() override {
    if (pki_ == nullptr) GTEST_SKIP() << "python3 or openssl is not installed";
    ASSERT_TRUE(pki_->ok()) << "openssl failed; see " << pki_->path("openssl.log");
  }

  // A config for `server` that trusts the test CA.
  static ClientConfig configFor(const std::string& server) {
    ClientConfig config;
    config.server = server;
    config.timeout = 5s;
    config.tls.ca_pem = pki_->pem("ca.crt");
    return config;
  }

  static Result<nlohmann::json> getEcho(const ClientConfig& config) {
    ASSIGN_OR_RETURN(auto transport, BeastTransport::create(config));
    return getEcho(*transport);
  }
  static Result<nlohmann::json> getEcho(HttpTransport& transport) {
    HttpRequest request;
    request.target = "/echo";
    ASSIGN_OR_RETURN(HttpResponse response, transport.roundTrip(request));
    if (response.status != 200) return internalError("status " + std::to_string(response.status));
    return nlohmann::json::parse(response.body);
  }

  static Pki* pki_;
};

Pki* TlsTransport::pki_ = nullptr;

TEST_F(TlsTransport, GetOverHttpsVerifiesTheServerAndAnswers) {
  PythonTlsServer server(*pki_, "server");
  ASSERT_NE(server.port(), 0);
  auto echo = getEcho(configFor(server.url()));
  ASSERT_TRUE(echo.isOk()) << echo.status().toString();
  EXPECT_EQ((*echo)["path"], "/echo");
  EXPECT_EQ((*echo)["alpn"], "http/1.1");
  EXPECT_EQ((*echo)["authorization"], "");
}

TEST_F(TlsTransport, AHostNameIsVerifiedAgainstTheCertificatesDnsNames) {
  PythonTlsServer server(*pki_, "server");
  ASSERT_NE(server.port(), 0);
  auto echo = getEcho(configFor(server.url("localhost")));
  ASSERT_TRUE(echo.isOk()) << echo.status().toString();
}

TEST_F(TlsTransport, AServerSignedByAnotherCaIsRefused) {
  PythonTlsServer server(*pki_, "server");
  ASSERT_NE(server.port(), 0);
  ClientConfig config = configFor(server.url());
  config.tls.ca_pem = pki_->pem("ca2.crt");
  auto echo = getEcho(config);
  ASSERT_FALSE(echo.isOk());
  EXPECT_EQ(echo.status().message(),
            "Unable to connect to the server: tls: failed to verify certificate: x509: "
            "certificate signed by unknown authority");
  EXPECT_TRUE(isConnectionError(echo.status()));
}

TEST_F(TlsTransport, InsecureSkipVerifyAcceptsAnyServerCertificate) {
  PythonTlsServer server(*pki_, "other");
  ASSERT_NE(server.port(), 0);
  ClientConfig config = configFor(server.url());
  config.tls.ca_pem.clear();
  config.tls.insecure_skip_verify = true;
  auto echo = getEcho(config);
  ASSERT_TRUE(echo.isOk()) << echo.status().toString();
}

TEST_F(TlsTransport, ACertificateForAnotherNameIsRefused) {
  PythonTlsServer server(*pki_, "other");  // valid for other.example only
  ASSERT_NE(server.port(), 0);
  auto echo = getEcho(configFor(server.url()));
  ASSERT_FALSE(echo.isOk());
  EXPECT_EQ(echo.status().message(),
            "Unable to connect to the server: tls: failed to verify certificate: x509: "
            "cannot validate certificate for 127.0.0.1 because it doesn't contain any IP SANs");
  auto by_name = getEcho(configFor(server.url("localhost")));
  ASSERT_FALSE(by_name.isOk());
  EXPECT_EQ(by_name.status().message(),
            "Unable to connect to the server: tls: failed to verify certificate: x509: "
            "certificate is valid for other.example, not localhost");
}

TEST_F(TlsTransport, TlsServerNameOverridesTheNameVerified) {
  PythonTlsServer server(*pki_, "other");
  ASSERT_NE(server.port(), 0);
  ClientConfig config = configFor(server.url());
  config.tls.server_name = "other.example";
  auto echo = getEcho(config);
  ASSERT_TRUE(echo.isOk()) << echo.status().toString();
}

TEST_F(TlsTransport, AServerRequiringAClientCertificateSeesOurs) {
  PythonTlsServer server(*pki_, "server", "ca");
  ASSERT_NE(server.port(), 0);
  auto without = getEcho(configFor(server.url()));
  ASSERT_FALSE(without.isOk());
  EXPECT_TRUE(isConnectionError(without.status())) << without.status().toString();

  ClientConfig config = configFor(server.url());
  config.tls.client_cert_pem = pki_->pem("client.crt");
  config.tls.client_key_pem = pki_->pem("client.key");
  auto echo = getEcho(config);
  ASSERT_TRUE(echo.isOk()) << echo.status().toString();
  EXPECT_EQ((*echo)["peer_cn"], "test-client");
}

TEST_F(TlsTransport, ABearerTokenIsSentInTheAuthorizationHeader) {
  PythonTlsServer server(*pki_, "server");
  ASSERT_NE(server.port(), 0);
  ClientConfig config = configFor(server.url());
  config.bearer_token = "s3cret";
  auto echo = getEcho(config);
  ASSERT_TRUE(echo.isOk()) << echo.status().toString();
  EXPECT_EQ((*echo)["authorization"], "Bearer s3cret");
}

TEST_F(TlsTransport, TwoRequestsReuseOneTlsConnection) {
  PythonTlsServer server(*pki_, "server");
  ASSERT_NE(server.port(), 0);
  auto transport = BeastTransport::create(configFor(server.url()));
  ASSERT_TRUE(transport.isOk()) << transport.status().toString();
  auto first = getEcho(**transport);
  auto second = getEcho(**transport);
  ASSERT_TRUE(first.isOk()) << first.status().toString();
  ASSERT_TRUE(second.isOk()) << second.status().toString();
  EXPECT_EQ((*first)["client_port"], (*second)["client_port"]);
}

TEST_F(TlsTransport, AChunkedStreamIsDeliveredPieceByPiece) {
  PythonTlsServer server(*pki_, "server");
  ASSERT_NE(server.port(), 0);
  auto transport = BeastTransport::create(configFor(server.url()));
  ASSERT_TRUE(transport.isOk()) << transport.status().toString();
  HttpRequest request;
  request.target = "/stream?n=3";
  std::string got;
  int pieces = 0;
  auto response = (*transport)
                      ->stream(
                          request,
                          [&](std::string_view data) {
                            got.append(data);
                            ++pieces;
                            return true;
                          },
                          {}, 5s);
  ASSERT_TRUE(response.isOk()) << response.status().toString();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(got, "line0\nline1\nline2\n");
  EXPECT_GE(pieces, 2);
}

TEST_F(TlsTransport, AStopRequestFromAnotherThreadEndsAnEndlessStream) {
  PythonTlsServer server(*pki_, "server");
  ASSERT_NE(server.port(), 0);
  auto transport = BeastTransport::create(configFor(server.url()));
  ASSERT_TRUE(transport.isOk()) << transport.status().toString();
  HttpRequest request;
  request.target = "/stream?n=0";
  std::stop_source stop;
  std::atomic<int> pieces{0};
  std::jthread stopper([&] {
    while (pieces.load() < 2) std::this_thread::sleep_for(5ms);
    stop.request_stop();
  });
  auto start = std::chrono::steady_clock::now();
  auto response = (*transport)
                      ->stream(
                          request,
                          [&](std::string_view) {
                            ++pieces;
                            return true;
                          },
                          stop.get_token(), 0ms);
  ASSERT_TRUE(response.isOk()) << response.status().toString();
  EXPECT_GE(pieces.load(), 2);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
}

TEST_F(TlsTransport, AServerThatNeverAnswersTheHandshakeTimesOut) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 4), 0);  // accepts into the backlog, never speaks TLS
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ClientConfig config = configFor("https://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)));
  config.timeout = 200ms;
  auto start = std::chrono::steady_clock::now();
  auto echo = getEcho(config);
  ::close(fd);
  ASSERT_FALSE(echo.isOk());
  EXPECT_EQ(echo.status().code(), Code::kDeadlineExceeded) << echo.status().toString();
  EXPECT_TRUE(isConnectionError(echo.status()));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
}

TEST_F(TlsTransport, CreateRejectsUnparseableCredentials) {
  ClientConfig config = configFor("https://127.0.0.1:1");
  config.tls.ca_pem = "not a certificate";
  auto bad_ca = BeastTransport::create(config);
  ASSERT_FALSE(bad_ca.isOk());
  EXPECT_NE(bad_ca.status().message().find("certificate-authority"), std::string::npos);

  config = configFor("https://127.0.0.1:1");
  config.tls.client_cert_pem = pki_->pem("client.crt");
  config.tls.client_key_pem = pki_->pem("server.key");
  auto mismatch = BeastTransport::create(config);
  ASSERT_FALSE(mismatch.isOk());
  EXPECT_NE(mismatch.status().message().find("does not match"), std::string::npos)
      << mismatch.status().message();

  config.tls.client_key_pem.clear();
  EXPECT_FALSE(BeastTransport::create(config).isOk());
}

TEST_F(TlsTransport, AServerWithoutSchemeIsHttpsWhenTlsIsConfigured) {
  PythonTlsServer server(*pki_, "server");
  ASSERT_NE(server.port(), 0);
  auto echo = getEcho(configFor("127.0.0.1:" + std::to_string(server.port())));
  ASSERT_TRUE(echo.isOk()) << echo.status().toString();
}

}  // namespace tls_transport_test
}  // namespace minik8s::client
