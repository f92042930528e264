#include "kubelet/prober.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <mutex>
#include <thread>
#include <vector>

#include "cri/fake_runtime.h"

namespace minik8s::kubelet {
namespace prober_test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using std::chrono::milliseconds;

// A plain HTTP/1.1 server on 127.0.0.1:0, one thread per connection, answering by path:
// /ok 200, /fail 500, /same 302 -> /ok, /same-fail 302 -> /fail, /loop 302 -> /loop,
// /other 302 -> another host, /slow 200 after 1.5 s, /headers 200 only with the
// expected Host and X-Probe headers.
class TestHttpServer {
 public:
  TestHttpServer() : acceptor_(ioc_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    port_ = acceptor_.local_endpoint().port();
    accept_thread_ = std::thread([this] { acceptLoop(); });
  }
  ~TestHttpServer() {
    stopping_ = true;
    {  // unblock accept()
      asio::io_context ioc;
      tcp::socket s(ioc);
      beast::error_code ec;
      s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_), ec);
    }
    accept_thread_.join();
    std::lock_guard lock(mu_);
    for (std::thread& t : connections_) t.join();
  }
  int32_t port() const { return port_; }

 private:
  void acceptLoop() {
    for (;;) {
      tcp::socket socket(ioc_);
      beast::error_code ec;
      acceptor_.accept(socket, ec);
      if (stopping_) return;
      if (ec) continue;
      std::lock_guard lock(mu_);
      connections_.emplace_back([s = std::move(socket)]() mutable { serve(std::move(s)); });
    }
  }

  static void serve(tcp::socket socket) {
    beast::error_code ec;
    beast::flat_buffer buffer;
    http::request<http::string_body> request;
    http::read(socket, buffer, request, ec);
    if (ec) return;
    std::string target(request.target());
    http::response<http::string_body> response{http::status::ok, 11};
    response.body() = "hello";
    if (target == "/fail") {
      response.result(http::status::internal_server_error);
    } else if (target == "/same") {
      response.result(http::status::found);
      response.set(http::field::location, "/ok");
    } else if (target == "/same-fail") {
      response.result(http::status::found);
      response.set(http::field::location, "/fail");
    } else if (target == "/loop") {
      response.result(http::status::moved_permanently);
      response.set(http::field::location, "/loop");
    } else if (target == "/other") {
      response.result(http::status::found);
      response.set(http::field::location, "http://elsewhere.invalid/ok");
    } else if (target == "/slow") {
      std::this_thread::sleep_for(milliseconds(1500));
    } else if (target == "/headers") {
      bool good = request[http::field::host] == "probe.example" && request["X-Probe"] == "yes" &&
                  request[http::field::user_agent].starts_with("kube-probe/");
      if (!good) response.result(http::status::bad_request);
    } else if (target != "/ok") {
      response.result(http::status::not_found);
    }
    response.prepare_payload();
    http::write(socket, response, ec);
    socket.shutdown(tcp::socket::shutdown_both, ec);
  }

  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  int32_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread accept_thread_;
  std::mutex mu_;
  std::vector<std::thread> connections_;  // GUARDED_BY(mu_)
};

TEST(HttpGetProbe, AnswersByStatusCodeAndRedirect) {
  TestHttpServer server;
  struct Case {
    std::string path;
    ProbeResult want;
    std::string message_part;
  };
  std::vector<Case> cases = {
      {"/ok", ProbeResult::kSuccess, "hello"},
      {"ok", ProbeResult::kSuccess, "hello"},  // a path without "/" gets one
      {"/fail", ProbeResult::kFailure, "HTTP probe failed with statuscode: 500"},
      {"/missing", ProbeResult::kFailure, "statuscode: 404"},
      {"/same", ProbeResult::kSuccess, "hello"},
      {"/same-fail", ProbeResult::kFailure, "statuscode: 500"},
      {"/loop", ProbeResult::kFailure, "stopped after 10 redirects"},
      {"/other", ProbeResult::kSuccess, "Probe terminated redirects"},
  };
  for (const Case& c : cases) {
    ProbeOutcome got =
        runHttpGetProbe("127.0.0.1", server.port(), c.path, "HTTP", {}, milliseconds(2000));
    EXPECT_EQ(got.result, c.want) << c.path << ": " << got.message;
    EXPECT_NE(got.message.find(c.message_part), std::string::npos) << c.path << ": " << got.message;
  }
}

TEST(HttpGetProbe, SendsHeadersAndHostOverride) {
  TestHttpServer server;
  std::vector<api::HttpHeader> headers = {{"Host", "probe.example"}, {"X-Probe", "yes"}};
  EXPECT_EQ(runHttpGetProbe("127.0.0.1", server.port(), "/headers", "", headers, milliseconds(2000))
                .result,
            ProbeResult::kSuccess);
  EXPECT_EQ(
      runHttpGetProbe("127.0.0.1", server.port(), "/headers", "", {}, milliseconds(2000)).result,
      ProbeResult::kFailure);
}

TEST(HttpGetProbe, SlowServerTimesOut) {
  TestHttpServer server;
  auto start = std::chrono::steady_clock::now();
  ProbeOutcome got =
      runHttpGetProbe("127.0.0.1", server.port(), "/slow", "HTTP", {}, milliseconds(300));
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(got.result, ProbeResult::kFailure);
  EXPECT_NE(got.message.find("Client.Timeout exceeded"), std::string::npos) << got.message;
  EXPECT_LT(took, milliseconds(1200));
}

TEST(HttpGetProbe, RefusedConnectionFailsAndHttpsIsUnknown) {
  int32_t closed_port;
  {
    asio::io_context ioc;
    tcp::acceptor a(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    closed_port = a.local_endpoint().port();
  }
  ProbeOutcome got = runHttpGetProbe("127.0.0.1", closed_port, "/", "HTTP", {}, milliseconds(500));
  EXPECT_EQ(got.result, ProbeResult::kFailure);
  EXPECT_NE(got.message.find("connection refused"), std::string::npos) << got.message;
  EXPECT_EQ(runHttpGetProbe("127.0.0.1", 443, "/", "HTTPS", {}, milliseconds(500)).result,
            ProbeResult::kUnknown);
  EXPECT_EQ(runHttpGetProbe("", 80, "/", "HTTP", {}, milliseconds(500)).result,
            ProbeResult::kUnknown);
}

TEST(TcpProbe, OpenPortSucceedsClosedPortFails) {
  asio::io_context ioc;
  tcp::acceptor open(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  open.listen();
  EXPECT_EQ(runTcpProbe("127.0.0.1", open.local_endpoint().port(), milliseconds(500)).result,
            ProbeResult::kSuccess);

  int32_t closed_port;
  {
    tcp::acceptor a(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    closed_port = a.local_endpoint().port();
  }
  ProbeOutcome got = runTcpProbe("127.0.0.1", closed_port, milliseconds(500));
  EXPECT_EQ(got.result, ProbeResult::kFailure);
  EXPECT_NE(got.message.find("connection refused"), std::string::npos) << got.message;
}

TEST(ResolveProbePort, NumbersNamesAndNumericStrings) {
  api::Container c;
  c.name = "web";
  c.ports = {{"http", 0, 8080, "TCP", ""}, {"metrics", 0, 9090, "TCP", ""}};
  struct Case {
    api::IntOrString port;
    bool ok;
    int32_t want;
  };
  std::vector<Case> cases = {
      {api::IntOrString::ofInt(80), true, 80},
      {api::IntOrString::ofString("http"), true, 8080},
      {api::IntOrString::ofString("metrics"), true, 9090},
      {api::IntOrString::ofString("8081"), true, 8081},
      {api::IntOrString::ofString("nope"), false, 0},
      {api::IntOrString::ofString(""), false, 0},
      {api::IntOrString::ofInt(0), false, 0},
      {api::IntOrString::ofInt(70000), false, 0},
  };
  for (const Case& k : cases) {
    Result<int32_t> got = resolveProbePort(k.port, c);
    EXPECT_EQ(got.isOk(), k.ok) << k.port.toString();
    if (k.ok && got.isOk()) {
      EXPECT_EQ(*got, k.want) << k.port.toString();
    }
  }
}

TEST(ProbeWithDefaults, FillsUnsetFields) {
  api::Probe p;
  p.http_get = api::HttpGetAction{};
  api::Probe d = probeWithDefaults(p);
  EXPECT_EQ(d.timeout_seconds, 1);
  EXPECT_EQ(d.period_seconds, 10);
  EXPECT_EQ(d.success_threshold, 1);
  EXPECT_EQ(d.failure_threshold, 3);
  EXPECT_EQ(d.http_get->path, "/");
  p.period_seconds = 3;
  EXPECT_EQ(probeWithDefaults(p).period_seconds, 3);
}

class ExecProbeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    runtime_.addImage("img:1");
    cri::PodSandboxConfig sandbox;
    sandbox.metadata = {"p", "uid-p", "default", 0};
    auto sb = runtime_.runPodSandbox(sandbox);
    ASSERT_TRUE(sb.isOk());
    cri::ContainerConfig config;
    config.metadata = {"c", 0};
    config.image = "img:1";
    auto c = runtime_.createContainer(*sb, config, sandbox);
    ASSERT_TRUE(c.isOk());
    ASSERT_TRUE(runtime_.startContainer(*c).isOk());
    id_ = *c;
  }

  FakeClock clock_;
  cri::FakeRuntime runtime_{clock_};
  std::string id_;
};

TEST_F(ExecProbeTest, ExitCodeDecides) {
  std::vector<std::string> cmd = {"cat", "/tmp/healthy"};
  runtime_.setExecResult({"fine\n", "", 0});
  ProbeOutcome got = runExecProbe(runtime_, id_, cmd, std::chrono::seconds(1));
  EXPECT_EQ(got.result, ProbeResult::kSuccess);
  EXPECT_EQ(got.message, "fine\n");

  runtime_.setExecResult({"", "cat: /tmp/healthy: No such file\n", 1});
  got = runExecProbe(runtime_, id_, cmd, std::chrono::seconds(1));
  EXPECT_EQ(got.result, ProbeResult::kFailure);
  EXPECT_EQ(got.message, "cat: /tmp/healthy: No such file\n");

  runtime_.setExecResult({"", "", 2});
  got = runExecProbe(runtime_, id_, cmd, std::chrono::seconds(1));
  EXPECT_EQ(got.result, ProbeResult::kFailure);
  EXPECT_EQ(got.message, "command exited with code 2");
}

TEST_F(ExecProbeTest, RuntimeErrorsAreUnknownButTimeoutIsFailure) {
  std::vector<std::string> cmd = {"true"};
  runtime_.failNext("execSync", deadlineExceeded("exec timed out"));
  EXPECT_EQ(runExecProbe(runtime_, id_, cmd, std::chrono::seconds(1)).result,
            ProbeResult::kFailure);
  runtime_.failNext("execSync", unavailable("containerd down"));
  EXPECT_EQ(runExecProbe(runtime_, id_, cmd, std::chrono::seconds(1)).result,
            ProbeResult::kUnknown);
  EXPECT_EQ(runExecProbe(runtime_, "no-such-container", cmd, std::chrono::seconds(1)).result,
            ProbeResult::kUnknown);
  EXPECT_EQ(runExecProbe(runtime_, id_, {}, std::chrono::seconds(1)).result, ProbeResult::kUnknown);
}

TEST_F(ExecProbeTest, RunProbeDispatchesOnTheHandler) {
  api::Container container;
  container.name = "c";
  api::Probe exec;
  exec.exec = api::ExecAction{{"true"}};
  runtime_.setExecResult({"", "", 0});
  EXPECT_EQ(runProbe(runtime_, exec, container, "127.0.0.1", id_).result, ProbeResult::kSuccess);

  asio::io_context ioc;
  tcp::acceptor open(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  open.listen();
  container.ports = {{"probe", 0, static_cast<int32_t>(open.local_endpoint().port()), "TCP", ""}};
  api::Probe tcp_probe;
  tcp_probe.tcp_socket = api::TcpSocketAction{api::IntOrString::ofString("probe"), ""};
  EXPECT_EQ(runProbe(runtime_, tcp_probe, container, "127.0.0.1", id_).result,
            ProbeResult::kSuccess);  // the pod IP is the default host
  tcp_probe.tcp_socket->port = api::IntOrString::ofString("unknown-name");
  EXPECT_EQ(runProbe(runtime_, tcp_probe, container, "127.0.0.1", id_).result,
            ProbeResult::kUnknown);

  TestHttpServer server;
  api::Probe http_probe;
  http_probe.http_get =
      api::HttpGetAction{"/fail", api::IntOrString::ofInt(server.port()), "", "HTTP", {}};
  EXPECT_EQ(runProbe(runtime_, http_probe, container, "127.0.0.1", id_).result,
            ProbeResult::kFailure);
  http_probe.http_get->path = "/ok";
  EXPECT_EQ(runProbe(runtime_, http_probe, container, "127.0.0.1", id_).result,
            ProbeResult::kSuccess);

  EXPECT_EQ(runProbe(runtime_, api::Probe{}, container, "127.0.0.1", id_).result,
            ProbeResult::kUnknown);
}

}  // namespace prober_test
}  // namespace minik8s::kubelet
