// The kubelet endpoint over HTTPS, both sides: KubeletServer (FakeRuntime, port 0) with a
// serving certificate and a client CA admits only the API server's identity; the
// apiserver's kubelet client (KubeletClient; ApiServerOptions::kubelet_client) reaches it with
// its client certificate, for a plain GET, for pods/log through a real ApiServer, and for the
// pods/exec splice (to a fake TLS kubelet that echoes bytes after its 101). Certificates
// come from a real CA (src/pki, OpenSSL); nothing but loopback.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "apiserver/apiserver.h"
#include "apiserver/kubelet_client.h"
#include "cri/fake_runtime.h"
#include "http/upgrade.h"
#include "kubelet_server/cri_log.h"
#include "kubelet_server/kubelet_server.h"
#include "pki/certificates.h"
#include "store/memory_store.h"
#include "testing/http_client.h"

namespace minik8s::kubelet {
namespace kubelet_tls_integration_test {

namespace fs = std::filesystem;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using nlohmann::json;
using namespace std::chrono_literals;

pki::CertificateAndKey mustIssue(const pki::CertificateAndKey& ca, const std::string& cn,
                                 std::vector<std::string> groups, bool server = false) {
  pki::CertificateSpec spec;
  spec.subject = {cn, std::move(groups)};
  spec.client_auth = !server;
  spec.server_auth = server;
  if (server) spec.ip_addresses = {"127.0.0.1"};
  auto issued = pki::issueCertificate(ca, spec);
  EXPECT_TRUE(issued.isOk()) << issued.status().toString();
  return issued.isOk() ? *issued : pki::CertificateAndKey{};
}

// One GET over TLS (no server verification), as any caller would make it: `client` is the
// certificate presented (none when null). status 0: the connection was refused (handshake
// or first read failed), `error` says how.
struct TlsAnswer {
  int status = 0;
  std::string body;
  std::string error;
};
TlsAnswer tlsGet(uint16_t port, const std::string& target, const pki::CertificateAndKey* client) {
  TlsAnswer a;
  net::io_context ioc;
  net::ssl::context ctx(net::ssl::context::tls_client);
  ctx.set_verify_mode(net::ssl::verify_none);
  if (client != nullptr) {
    ctx.use_certificate_chain(net::buffer(client->cert_pem));
    ctx.use_private_key(net::buffer(client->key_pem), net::ssl::context::pem);
  }
  net::ssl::stream<tcp::socket> s(ioc, ctx);
  boost::system::error_code ec;
  s.next_layer().connect({net::ip::make_address("127.0.0.1"), port}, ec);
  if (ec) {
    a.error = "connect: " + ec.message();
    return a;
  }
  timeval tv{10, 0};
  ::setsockopt(s.next_layer().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  s.handshake(net::ssl::stream_base::client, ec);
  if (ec) {
    a.error = "handshake: " + ec.message();
    return a;
  }
  std::string req = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  net::write(s, net::buffer(req), ec);
  std::string out;
  char buf[4096];
  while (!ec) {
    size_t n = s.read_some(net::buffer(buf), ec);
    out.append(buf, n);
    size_t end = out.find("\r\n\r\n");
    if (end == std::string::npos) continue;
    size_t cl = out.find("Content-Length: ");
    if (cl != std::string::npos && cl < end &&
        out.size() >= end + 4 + std::stoul(out.substr(cl + 16))) {
      break;
    }
  }
  if (out.size() < 12) {
    a.error = "read: " + ec.message();
    return a;
  }
  a.status = std::stoi(out.substr(9, 3));
  a.body = out.substr(out.find("\r\n\r\n") + 4);
  return a;
}

class KubeletTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("mk8s-kubelet-tls-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    auto ca = pki::createCa("test-ca", 24h);
    ASSERT_TRUE(ca.isOk());
    ca_ = *ca;
    auto foreign = pki::createCa("foreign-ca", 24h);
    ASSERT_TRUE(foreign.isOk());
    foreign_ca_ = *foreign;
    serving_ = mustIssue(ca_, "system:node:n1", {"system:nodes"}, true);
    apiserver_client_ = mustIssue(ca_, kApiserverKubeletClientName, {});
    admin_ = mustIssue(ca_, "minik8s-admin", {"system:masters"});
    node_ = mustIssue(ca_, "system:node:n1", {"system:nodes"});
    foreign_client_ = mustIssue(foreign_ca_, kApiserverKubeletClientName, {"system:masters"});
    runtime_.addImage("busybox");
  }

  void TearDown() override {
    if (server_) server_->stop();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  void startKubelet(bool tls = true) {
    KubeletServerOptions o;
    o.bind_address = "127.0.0.1";
    o.port = 0;
    o.node_name = "n1";
    o.log_poll_interval = 10ms;
    if (tls) {
      o.tls_cert_pem = serving_.cert_pem;
      o.tls_key_pem = serving_.key_pem;
      o.client_ca_pem = ca_.cert_pem;
    }
    server_ = std::make_unique<KubeletServer>(runtime_, o);
    ASSERT_TRUE(server_->start().isOk());
  }

  // The API server's kubelet client configuration; `verify_ca` empty: not verified.
  apiserver::KubeletClientConfig apiserverClientConfig(const std::string& verify_ca = "") {
    return {apiserver_client_.cert_pem, apiserver_client_.key_pem, verify_ca};
  }
  apiserver::KubeletClient apiserverClient(const std::string& verify_ca = "") {
    auto client = apiserver::KubeletClient::create(apiserverClientConfig(verify_ca));
    EXPECT_TRUE(client.isOk()) << client.status().toString();
    return client.isOk() ? *client : apiserver::KubeletClient();
  }

  // A running container "app" of pod default/web whose log file holds `line`.
  void runContainerLogging(const std::string& line) {
    cri::PodSandboxConfig config;
    config.metadata = {"web", "uid-web", "default", 0};
    config.log_directory = (dir_ / "default_web").string();
    config.labels = {{"io.kubernetes.pod.name", "web"},
                     {"io.kubernetes.pod.namespace", "default"},
                     {"io.kubernetes.pod.uid", "uid-web"}};
    auto sandbox = runtime_.runPodSandbox(config);
    ASSERT_TRUE(sandbox.isOk());
    cri::ContainerConfig c;
    c.metadata = {"app", 0};
    c.image = "busybox";
    c.labels = config.labels;
    c.labels["io.kubernetes.container.name"] = "app";
    c.log_path = "app/0.log";
    auto id = runtime_.createContainer(*sandbox, c, config);
    ASSERT_TRUE(id.isOk());
    ASSERT_TRUE(runtime_.startContainer(*id).isOk());
    fs::create_directories(dir_ / "default_web" / "app");
    auto now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    std::ofstream(dir_ / "default_web" / "app" / "0.log")
        << formatLogTimestamp(now) + " stdout F " + line + "\n";
  }

  fs::path dir_;
  pki::CertificateAndKey ca_, foreign_ca_, serving_, apiserver_client_, admin_, node_,
      foreign_client_;
  cri::FakeRuntime runtime_;
  std::unique_ptr<KubeletServer> server_;
};

TEST_F(KubeletTlsTest, OnlyTheApiServerIsServed) {
  startKubelet();
  const uint16_t port = server_->port();
  // The API server's kubelet client (CN alone) and system:masters are served.
  auto a = tlsGet(port, "/healthz", &apiserver_client_);
  EXPECT_EQ(a.status, 200) << a.error;
  EXPECT_EQ(a.body, "ok");
  EXPECT_EQ(tlsGet(port, "/stats/summary", &admin_).status, 200);
  // A node's certificate from the same CA: 403 with the kubelet's wording, as a Status.
  a = tlsGet(port, "/stats/summary", &node_);
  EXPECT_EQ(a.status, 403) << a.error;
  auto status = json::parse(a.body, nullptr, false);
  ASSERT_TRUE(status.is_object()) << a.body;
  EXPECT_EQ(status.value("kind", ""), "Status");
  EXPECT_EQ(status.value("reason", ""), "Forbidden");
  EXPECT_EQ(status.value("message", ""),
            "Forbidden (user=system:node:n1, verb=get, resource=nodes, subresource=stats)");
  EXPECT_EQ(tlsGet(port, "/containerLogs/default/web/app", &node_).status, 403);
  // No certificate, or one from another CA: the connection is refused.
  a = tlsGet(port, "/healthz", nullptr);
  EXPECT_EQ(a.status, 0) << a.body;
  a = tlsGet(port, "/healthz", &foreign_client_);
  EXPECT_EQ(a.status, 0) << a.body;
  // Plain HTTP gets no answer.
  EXPECT_NE(testing::httpCall(port, "GET", "/healthz").status, 200);
}

TEST_F(KubeletTlsTest, WithoutAClientCaItIsPlainHttpAsBefore) {
  startKubelet(false);
  EXPECT_EQ(testing::httpCall(server_->port(), "GET", "/healthz").body, "ok");
}

TEST_F(KubeletTlsTest, ACaWithoutAServingCertificateIsRefused) {
  KubeletServerOptions o;
  o.bind_address = "127.0.0.1";
  o.port = 0;
  o.client_ca_pem = ca_.cert_pem;
  KubeletServer server(runtime_, o);
  EXPECT_FALSE(server.start().isOk());
}

TEST_F(KubeletTlsTest, TheApiServersClientUsesItsCertificate) {
  startKubelet();
  // Plain HTTP (no client config) cannot talk to an HTTPS kubelet.
  auto plain = apiserver::KubeletClient().get("127.0.0.1", server_->port(), "/healthz", 3s);
  EXPECT_FALSE(plain.isOk() && plain->status == 200);

  auto client = apiserverClient();  // the kubelet's certificate is not verified
  EXPECT_TRUE(client.tls());
  auto got = client.get("127.0.0.1", server_->port(), "/healthz", 3s);
  ASSERT_TRUE(got.isOk()) << got.status().toString();
  EXPECT_EQ(got->status, 200);
  EXPECT_EQ(got->body, "ok");

  // --kubelet-certificate-authority: verified
  got = apiserverClient(ca_.cert_pem).get("127.0.0.1", server_->port(), "/healthz", 3s);
  ASSERT_TRUE(got.isOk()) << got.status().toString();
  EXPECT_EQ(got->status, 200);

  // A CA that did not sign it: refused.
  got = apiserverClient(foreign_ca_.cert_pem).get("127.0.0.1", server_->port(), "/healthz", 3s);
  ASSERT_FALSE(got.isOk());
  EXPECT_NE(got.status().message().find("failed to verify certificate"), std::string::npos)
      << got.status().toString();

  // A certificate without its key is refused when configured.
  auto mismatched = apiserver::KubeletClient::create(
      apiserver::KubeletClientConfig{apiserver_client_.cert_pem, node_.key_pem, ""});
  ASSERT_FALSE(mismatched.isOk());
  EXPECT_EQ(mismatched.status().message(),
            "kubelet-client-key does not match kubelet-client-certificate");
}

TEST_F(KubeletTlsTest, SelfSignedServingCertificateIsMadeOnceAndServes) {
  const std::string pki_dir = (dir_ / "pki").string();
  auto first = ensureSelfSignedServingCertificate(pki_dir, "n1", {"127.0.0.1"});
  ASSERT_TRUE(first.isOk()) << first.status().toString();
  auto info = pki::parseCertificate(first->cert_pem);
  ASSERT_TRUE(info.isOk());
  EXPECT_EQ(info->dns_names, std::vector<std::string>{"n1"});
  EXPECT_EQ(info->ip_addresses, std::vector<std::string>{"127.0.0.1"});
  EXPECT_TRUE(info->server_auth);
  EXPECT_EQ(fs::status(pki_dir + "/kubelet.key").permissions() & fs::perms::others_read,
            fs::perms::none);
  auto again = ensureSelfSignedServingCertificate(pki_dir, "n1", {"127.0.0.1"});
  ASSERT_TRUE(again.isOk());
  EXPECT_EQ(again->cert_pem, first->cert_pem);  // kept in the data dir
  auto moved = ensureSelfSignedServingCertificate(pki_dir, "n1", {"10.1.2.3"});
  ASSERT_TRUE(moved.isOk());
  EXPECT_NE(moved->cert_pem, first->cert_pem);  // a new address: a new certificate

  KubeletServerOptions o;
  o.bind_address = "127.0.0.1";
  o.port = 0;
  o.tls_cert_pem = first->cert_pem;
  o.tls_key_pem = first->key_pem;
  o.client_ca_pem = ca_.cert_pem;
  server_ = std::make_unique<KubeletServer>(runtime_, o);
  ASSERT_TRUE(server_->start().isOk());
  EXPECT_EQ(tlsGet(server_->port(), "/healthz", &apiserver_client_).status, 200);
}

// ---- through the API server ----

class ApiServerToKubeletTlsTest : public KubeletTlsTest {
 protected:
  // An API server on store_ whose ApiServerOptions::kubelet_client is `kubelet_client`
  // (nullopt: plain HTTP to kubelets), not started.
  std::unique_ptr<apiserver::ApiServer> newApiServer(
      std::optional<apiserver::KubeletClientConfig> kubelet_client) {
    apiserver::ApiServerOptions o;
    o.http.port = 0;
    o.compaction_interval = 0s;
    o.kubelet_client = std::move(kubelet_client);
    return std::make_unique<apiserver::ApiServer>(o, store_);
  }
  void startApiServer(std::optional<apiserver::KubeletClientConfig> kubelet_client) {
    api_ = newApiServer(std::move(kubelet_client));
    ASSERT_TRUE(api_->start().isOk());
  }
  void TearDown() override {
    if (api_) api_->stop();
    if (fake_) fake_->stop();
    KubeletTlsTest::TearDown();
  }

  testing::HttpResult call(const std::string& method, const std::string& target,
                           const std::string& body = "") {
    return testing::httpCall(api_->port(), method, target, body, {});
  }

  void createNodeAndPod(uint16_t kubelet_port) {
    json node = {{"apiVersion", "v1"}, {"kind", "Node"}, {"metadata", {{"name", "n1"}}}};
    auto r = call("POST", "/api/v1/nodes", node.dump());
    ASSERT_EQ(r.status, 201) << r.body;
    node = json::parse(r.body);
    node["status"] = {
        {"addresses", json::array({{{"type", "InternalIP"}, {"address", "127.0.0.1"}}})},
        {"daemonEndpoints", {{"kubeletEndpoint", {{"Port", kubelet_port}}}}}};
    r = call("PUT", "/api/v1/nodes/n1/status", node.dump());
    ASSERT_EQ(r.status, 200) << r.body;
    json pod = {{"apiVersion", "v1"},
                {"kind", "Pod"},
                {"metadata", {{"name", "web"}}},
                {"spec",
                 {{"nodeName", "n1"},
                  {"containers", json::array({{{"name", "app"}, {"image", "busybox"}}})}}}};
    r = call("POST", "/api/v1/namespaces/default/pods", pod.dump());
    ASSERT_EQ(r.status, 201) << r.body;
    pod = json::parse(r.body);
    pod["status"]["phase"] = "Running";
    pod["status"]["containerStatuses"] =
        json::array({{{"name", "app"},
                      {"state", {{"running", {{"startedAt", "2024-05-01T10:00:00Z"}}}}},
                      {"ready", true},
                      {"restartCount", 0},
                      {"image", "busybox"},
                      {"imageID", ""}}});
    r = call("PUT", "/api/v1/namespaces/default/pods/web/status", pod.dump());
    ASSERT_EQ(r.status, 200) << r.body;
  }

  // A kubelet stand-in on TLS that requires a client certificate of ca_: /exec/ answers
  // 101 and then echoes every byte until the apiserver half-closes. Records the CNs.
  void startEchoKubelet() {
    http::HttpServerOptions o;
    o.bind_address = "127.0.0.1";
    o.port = 0;
    o.is_long_running = [](const http::HttpRequest&) { return true; };
    o.tls = http::TlsServerOptions{serving_.cert_pem, serving_.key_pem, ca_.cert_pem, true};
    fake_ = http::HttpServer::create(o, [this](http::HttpRequest& r) {
      {
        std::lock_guard lock(mu_);
        callers_.push_back(r.client_certificate ? r.client_certificate->common_name : "");
      }
      http::HandlerResult result;
      result.upgrade = [](std::unique_ptr<http::UpgradedConnection> conn) {
        auto c = std::shared_ptr<http::UpgradedConnection>(std::move(conn));
        auto head = std::make_shared<std::string>(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\n\r\nhello;");
        net::async_write(c->stream(), net::buffer(*head),
                         [c, head](boost::system::error_code ec, size_t) {
                           if (!ec) echo(c);
                         });
      };
      return result;
    });
    ASSERT_TRUE(fake_->start().isOk());
  }

  static void echo(const std::shared_ptr<http::UpgradedConnection>& c) {
    auto buf = std::make_shared<std::array<char, 1024>>();
    c->stream().async_read_some(
        net::buffer(*buf), [c, buf](boost::system::error_code ec, size_t n) {
          if (ec) {
            c->stream().close();
            return;
          }
          net::async_write(c->stream(), net::buffer(buf->data(), n),
                           [c, buf](boost::system::error_code ec, size_t) {
                             if (ec) {
                               c->stream().close();
                               return;
                             }
                             echo(c);
                           });
        });
  }

  store::MemoryStore store_;
  std::unique_ptr<apiserver::ApiServer> api_;
  std::unique_ptr<http::HttpServer> fake_;
  std::mutex mu_;
  std::vector<std::string> callers_;  // GUARDED_BY(mu_)
};

TEST_F(ApiServerToKubeletTlsTest, PodLogsComeOverTls) {
  startKubelet();
  runContainerLogging("hello over tls");
  startApiServer(std::nullopt);
  createNodeAndPod(server_->port());
  // A second API server in the same process, with the kubelet client certificate: the
  // configuration is each server's own.
  auto with_certificate = newApiServer(apiserverClientConfig());
  ASSERT_TRUE(with_certificate->start().isOk());
  // Without the kubelet client certificate the kubelet refuses the apiserver.
  auto r = call("GET", "/api/v1/namespaces/default/pods/web/log");
  EXPECT_NE(r.status, 200) << r.body;
  r = testing::httpCall(with_certificate->port(), "GET", "/api/v1/namespaces/default/pods/web/log",
                        "", {});
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, "hello over tls\n");
  // The first still has none.
  EXPECT_NE(call("GET", "/api/v1/namespaces/default/pods/web/log").status, 200);
  with_certificate->stop();
}

TEST_F(ApiServerToKubeletTlsTest, ABadKubeletClientConfigurationFailsStart) {
  auto api = newApiServer(apiserver::KubeletClientConfig{apiserver_client_.cert_pem,
                                                         node_.key_pem, ""});
  Status started = api->start();
  EXPECT_EQ(started.code(), Code::kInvalid) << started.toString();
  EXPECT_EQ(started.message(),
            "kubelet client: kubelet-client-key does not match kubelet-client-certificate");
}

TEST_F(ApiServerToKubeletTlsTest, ExecIsSplicedOverTls) {
  startEchoKubelet();
  startApiServer(apiserverClientConfig());
  createNodeAndPod(fake_->port());
  testing::HttpConnection conn(api_->port());
  ASSERT_TRUE(conn.ok());
  timeval tv{10, 0};
  ASSERT_EQ(::setsockopt(conn.fd(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
  ASSERT_TRUE(conn.send(
      "GET /api/v1/namespaces/default/pods/web/exec?command=sh&stdin=true&stdout=true "
      "HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
      "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
      "Sec-WebSocket-Protocol: v4.channel.k8s.io\r\n\r\n"));
  std::string got;
  auto readUntil = [&](const std::string& want) {
    char buf[4096];
    while (got.find(want) == std::string::npos) {
      ssize_t n = ::recv(conn.fd(), buf, sizeof buf, 0);
      if (n <= 0) return false;
      got.append(buf, static_cast<size_t>(n));
    }
    return true;
  };
  ASSERT_TRUE(readUntil("hello;")) << got;
  EXPECT_EQ(got.rfind("HTTP/1.1 101", 0), 0u) << got;
  ASSERT_TRUE(conn.send("ping-over-tls"));
  ASSERT_TRUE(readUntil("ping-over-tls")) << got;
  // Our half-close reaches the kubelet, whose close comes back as EOF.
  ::shutdown(conn.fd(), SHUT_WR);
  char c;
  EXPECT_EQ(::recv(conn.fd(), &c, 1, 0), 0);
  std::lock_guard lock(mu_);
  EXPECT_EQ(callers_, std::vector<std::string>{kApiserverKubeletClientName});
}

}  // namespace kubelet_tls_integration_test
}  // namespace minik8s::kubelet
