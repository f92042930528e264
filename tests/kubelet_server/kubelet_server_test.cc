// KubeletServer over real sockets (port 0) with a FakeRuntime: routes, logs read from the
// files the runtime names, `logs -f`, exec refusals and the exec bridge against a fake
// streaming server (WebSocket v4, like containerd's), stats from the fake's counters.
#include "kubelet_server/kubelet_server.h"

#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "cri/fake_runtime.h"
#include "kubelet_server/cri_log.h"
#include "kubelet_server/exec_bridge.h"
#include "testing/http_client.h"
#include "testing/ws_client.h"

namespace minik8s::kubelet {
namespace kubelet_server_test {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

template <typename Cond>
bool waitFor(Cond cond, std::chrono::milliseconds timeout = 5000ms) {
  auto deadline = Clock::now() + timeout;
  while (!cond()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

std::string criLine(const std::string& stream, const std::string& tag, const std::string& text) {
  auto now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  return formatLogTimestamp(now) + " " + stream + " " + tag + " " + text + "\n";
}

void appendFile(const std::string& path, const std::string& data) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::app) << data;
}

class KubeletServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("mk8s-kstest-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    runtime_.addImage("busybox");
    KubeletServerOptions o;
    o.bind_address = "127.0.0.1";
    o.port = 0;
    o.node_name = "fake-node";
    o.stats_interval = 100ms;
    o.log_poll_interval = 10ms;
    o.container_poll_interval = 20ms;
    server_ = std::make_unique<KubeletServer>(runtime_, o);
    ASSERT_TRUE(server_->start().isOk());
  }

  void TearDown() override {
    server_->stop();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  struct Pod {
    std::string name, sandbox;
    cri::PodSandboxConfig config;
  };

  Pod pod(const std::string& name, const std::string& ns = "default") {
    Pod p;
    p.name = name;
    p.config.metadata = {name, "uid-" + name, ns, 0};
    p.config.log_directory = (dir_ / (ns + "_" + name)).string();
    p.config.labels = {{"io.kubernetes.pod.name", name},
                       {"io.kubernetes.pod.namespace", ns},
                       {"io.kubernetes.pod.uid", "uid-" + name}};
    auto sb = runtime_.runPodSandbox(p.config);
    EXPECT_TRUE(sb.isOk());
    p.sandbox = *sb;
    return p;
  }

  // Returns {id, log file}.
  std::pair<std::string, std::string> container(const Pod& p, const std::string& name,
                                                uint32_t attempt = 0) {
    cri::ContainerConfig c;
    c.metadata = {name, attempt};
    c.image = "busybox";
    c.labels = p.config.labels;
    c.labels["io.kubernetes.container.name"] = name;
    c.log_path = name + "/" + std::to_string(attempt) + ".log";
    auto id = runtime_.createContainer(p.sandbox, c, p.config);
    EXPECT_TRUE(id.isOk()) << id.status().toString();
    EXPECT_TRUE(runtime_.startContainer(*id).isOk());
    return {*id, p.config.log_directory + "/" + c.log_path};
  }

  testing::HttpResult get(const std::string& target) {
    return testing::httpCall(server_->port(), "GET", target);
  }

  fs::path dir_;
  cri::FakeRuntime runtime_;
  std::unique_ptr<KubeletServer> server_;
};

TEST_F(KubeletServerTest, HealthzAndUnknownPaths) {
  EXPECT_EQ(get("/healthz").body, "ok");
  auto r = get("/nosuch");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(json::parse(r.body)["kind"], "Status");
  EXPECT_EQ(testing::httpCall(server_->port(), "POST", "/containerLogs/a/b/c").status, 405);
}

TEST_F(KubeletServerTest, LogsComeFromTheFileTheRuntimeNames) {
  auto p = pod("web");
  auto [id, log] = container(p, "app");
  appendFile(log, criLine("stdout", "F", "one") + criLine("stderr", "P", "tw") +
                      criLine("stderr", "F", "o") + criLine("stdout", "F", "three"));
  auto r = get("/containerLogs/default/web/app");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "one\ntwo\nthree\n");
  EXPECT_EQ(get("/containerLogs/default/web/app?tailLines=2").body, "two\nthree\n");
  EXPECT_EQ(get("/containerLogs/default/web/app?limitBytes=6").body, "one\ntw");
  r = get("/containerLogs/default/web/app?timestamps=true&tailLines=1");
  EXPECT_EQ(r.body.size(), 30u + 1 + 6) << r.body;

  r = get("/containerLogs/default/web/nosuch");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(json::parse(r.body)["message"], "container \"nosuch\" not found in pod \"web\"");
  r = get("/containerLogs/default/other/app");
  EXPECT_EQ(r.status, 404);
  r = get("/containerLogs/default/web/app?sinceSeconds=0");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body)["reason"], "BadRequest");
  r = get("/containerLogs/default/web/app?previous=true");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body)["message"],
            "previous terminated container \"app\" in pod \"web\" not found");
}

TEST_F(KubeletServerTest, PreviousIsTheAttemptBefore) {
  auto p = pod("web");
  auto [first, log0] = container(p, "app", 0);
  appendFile(log0, criLine("stdout", "F", "attempt zero"));
  runtime_.exitContainer(first, 1);
  auto [second, log1] = container(p, "app", 1);
  appendFile(log1, criLine("stdout", "F", "attempt one"));
  EXPECT_EQ(get("/containerLogs/default/web/app").body, "attempt one\n");
  EXPECT_EQ(get("/containerLogs/default/web/app?previous=true").body, "attempt zero\n");
  // Once the old container is removed its file still answers.
  ASSERT_TRUE(runtime_.removeContainer(first).isOk());
  EXPECT_EQ(get("/containerLogs/default/web/app?previous=1").body, "attempt zero\n");
}

TEST_F(KubeletServerTest, FollowStreamsNewLinesUntilTheContainerExits) {
  auto p = pod("web");
  auto [id, log] = container(p, "app");
  appendFile(log, criLine("stdout", "F", "old 1") + criLine("stdout", "F", "old 2"));
  testing::HttpConnection conn(server_->port());
  ASSERT_TRUE(
      conn.sendRequest("GET", "/containerLogs/default/web/app?follow=true&tailLines=1", "", {}));
  testing::HttpResult head;
  ASSERT_TRUE(conn.readHead(&head, 5000ms));
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.headers["transfer-encoding"], "chunked");
  EXPECT_EQ(conn.readChunk(5000ms), "old 2\n");
  appendFile(log, criLine("stdout", "P", "new "));
  appendFile(log, criLine("stdout", "F", "line"));
  EXPECT_EQ(conn.readChunk(5000ms), "new line\n");
  appendFile(log, criLine("stdout", "F", "last words"));
  runtime_.exitContainer(id, 0);
  std::string rest;
  bool ended = false;
  while (auto chunk = conn.readChunk(5000ms)) {
    if (chunk->empty()) {
      ended = true;
      break;
    }
    rest += *chunk;
  }
  EXPECT_TRUE(ended);
  EXPECT_EQ(rest, "last words\n");
}

TEST_F(KubeletServerTest, FollowOfAnExitedContainerIsAPlainAnswer) {
  auto p = pod("web");
  auto [id, log] = container(p, "app");
  appendFile(log, criLine("stdout", "F", "done"));
  runtime_.exitContainer(id, 0);
  auto r = get("/containerLogs/default/web/app?follow=True");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "done\n");
}

TEST_F(KubeletServerTest, StopEndsOpenFollowers) {
  auto p = pod("web");
  auto [id, log] = container(p, "app");
  appendFile(log, criLine("stdout", "F", "x"));
  testing::HttpConnection conn(server_->port());
  ASSERT_TRUE(conn.sendRequest("GET", "/containerLogs/default/web/app?follow=true", "", {}));
  testing::HttpResult head;
  ASSERT_TRUE(conn.readHead(&head, 5000ms));
  EXPECT_EQ(conn.readChunk(5000ms), "x\n");
  auto t0 = Clock::now();
  server_->stop();
  EXPECT_LT(Clock::now() - t0, 2s);
}

TEST_F(KubeletServerTest, ExecIsRefusedBeforeTheSwitch) {
  auto p = pod("web");
  auto [id, log] = container(p, "app");
  uint16_t port = server_->port();
  auto r = get("/exec/default/web/app?command=ls&stdout=true");
  EXPECT_EQ(r.status, 400);  // not a WebSocket upgrade (SPDY is not spoken)
  auto o = testing::runExec(port, "/exec/default/web/app?command=ls&stdout=true", "channel.k8s.io");
  EXPECT_EQ(o.http_status, 400);
  o = testing::runExec(port, "/exec/default/web/app?stdout=true", "v5.channel.k8s.io");
  EXPECT_EQ(o.http_status, 400) << "no command";
  o = testing::runExec(port, "/exec/default/web/app?command=ls", "v5.channel.k8s.io");
  EXPECT_EQ(o.http_status, 400) << "no stream";
  o = testing::runExec(port, "/exec/default/web/nosuch?command=ls&stdout=true",
                       "v5.channel.k8s.io");
  EXPECT_EQ(o.http_status, 404);
  // The fake runtime has no streaming server.
  o = testing::runExec(port, "/exec/default/web/app?command=ls&stdout=true", "v5.channel.k8s.io");
  EXPECT_EQ(o.http_status, 500);
  runtime_.exitContainer(id, 0);
  o = testing::runExec(port, "/exec/default/web/app?command=ls&stdout=true", "v5.channel.k8s.io");
  EXPECT_EQ(o.http_status, 400) << "not running";
  EXPECT_NE(o.error_body.find("is not running"), std::string::npos) << o.error_body;
}

// A stand-in for containerd's streaming server: one WebSocket v4 session per accepted
// connection, scripted by the test.
class FakeStreamingServer {
 public:
  using Script =
      std::function<void(boost::beast::websocket::stream<boost::asio::ip::tcp::socket>&)>;

  explicit FakeStreamingServer(Script script) : script_(std::move(script)) {
    acceptor_.open(boost::asio::ip::tcp::v4());
    acceptor_.bind({boost::asio::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen();
    thread_ = std::thread([this] { run(); });
  }
  ~FakeStreamingServer() {
    boost::system::error_code ec;
    acceptor_.close(ec);
    if (thread_.joinable()) thread_.join();
  }
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + "/exec/tok";
  }
  std::string offered() const {
    std::lock_guard lock(mu_);
    return offered_;
  }
  std::vector<std::string> received() const {
    std::lock_guard lock(mu_);
    return received_;
  }
  void record(std::string frame) {
    std::lock_guard lock(mu_);
    received_.push_back(std::move(frame));
  }

 private:
  void run() {
    namespace websocket = boost::beast::websocket;
    boost::system::error_code ec;
    boost::asio::ip::tcp::socket socket(ioc_);
    acceptor_.accept(socket, ec);
    if (ec) return;
    websocket::stream<boost::asio::ip::tcp::socket> ws(std::move(socket));
    boost::beast::http::request<boost::beast::http::empty_body> req;
    boost::beast::flat_buffer buffer;
    boost::beast::http::read(ws.next_layer(), buffer, req, ec);
    if (ec) return;
    {
      std::lock_guard lock(mu_);
      offered_ = std::string(req[boost::beast::http::field::sec_websocket_protocol]);
    }
    ws.set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
      res.set(boost::beast::http::field::sec_websocket_protocol, "v4.channel.k8s.io");
    }));
    ws.accept(req, ec);
    if (ec) return;
    ws.binary(true);
    script_(ws);
  }

  Script script_;
  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_{ioc_};
  std::thread thread_;
  mutable std::mutex mu_;
  std::string offered_;
  std::vector<std::string> received_;
};

void sendFrame(boost::beast::websocket::stream<boost::asio::ip::tcp::socket>& ws, char channel,
               const std::string& data) {
  std::string frame(1, channel);
  frame += data;
  boost::system::error_code ec;
  ws.write(boost::asio::buffer(frame), ec);
}

TEST_F(KubeletServerTest, ExecBridgesFramesToTheStreamingServer) {
  auto p = pod("web");
  auto [id, log] = container(p, "app");
  FakeStreamingServer upstream([](auto& ws) {
    sendFrame(ws, 1, "out\n");
    sendFrame(ws, 2, "err\n");
    sendFrame(
        ws, 3,
        R"({"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: exit 3","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"3"}]}})");
    boost::system::error_code ec;
    ws.close(boost::beast::websocket::close_code::normal, ec);
  });
  runtime_.setExecUrl(upstream.url());
  auto o = testing::runExec(server_->port(),
                            "/exec/default/web/app?command=sh&command=-c&command=exit%203"
                            "&stdout=true&stderr=true",
                            "v5.channel.k8s.io");
  ASSERT_EQ(o.http_status, 101) << o.error_body;
  EXPECT_EQ(o.protocol, "v5.channel.k8s.io");
  EXPECT_EQ(o.out, "out\n");
  EXPECT_EQ(o.err, "err\n");
  auto status = json::parse(o.status);
  EXPECT_EQ(status["details"]["causes"][0]["message"], "3");
  EXPECT_TRUE(o.closed_cleanly);
  EXPECT_EQ(upstream.offered(), "v4.channel.k8s.io");
  auto req = runtime_.lastExecRequest();
  EXPECT_EQ(req.container_id, id);
  EXPECT_EQ(req.cmd, (std::vector<std::string>{"sh", "-c", "exit 3"}));
  EXPECT_TRUE(req.stdout);
  EXPECT_TRUE(req.stderr);
  EXPECT_FALSE(req.stdin);
  EXPECT_FALSE(req.tty);
}

TEST_F(KubeletServerTest, ExecPassesStdinOverV4) {
  auto p = pod("web");
  auto [id, log] = container(p, "app");
  FakeStreamingServer* self = nullptr;
  FakeStreamingServer upstream([&self](auto& ws) {
    // Echo the first stdin frame back on stdout, then end the session.
    boost::beast::flat_buffer buf;
    boost::system::error_code ec;
    ws.read(buf, ec);
    if (ec) return;
    std::string frame = boost::beast::buffers_to_string(buf.data());
    self->record(frame);
    if (!frame.empty() && frame[0] == 0) sendFrame(ws, 1, frame.substr(1));
    ws.close(boost::beast::websocket::close_code::normal, ec);
  });
  self = &upstream;
  runtime_.setExecUrl(upstream.url());
  auto o = testing::runExec(server_->port(),
                            "/exec/default/web/app?command=cat&stdin=true&stdout=true&tty=false",
                            "v4.channel.k8s.io", "hello\n");
  ASSERT_EQ(o.http_status, 101) << o.error_body;
  EXPECT_EQ(o.out, "hello\n");
  EXPECT_FALSE(o.timed_out);
  auto frames = upstream.received();
  ASSERT_FALSE(frames.empty());
  EXPECT_EQ(frames[0], std::string(1, '\0') + "hello\n");
  EXPECT_TRUE(runtime_.lastExecRequest().stdin);
  // v5 with stdin is refused before the switch (kubectl then retries over SPDY, where the
  // runtime sees stdin end: stream_proxy_test).
  o = testing::runExec(server_->port(), "/exec/default/web/app?command=cat&stdin=true&stdout=true",
                       "v5.channel.k8s.io", "hello\n", /*close_stdin=*/true);
  EXPECT_EQ(o.http_status, 400);
  EXPECT_NE(o.error_body.find("SPDY"), std::string::npos) << o.error_body;
}

TEST_F(KubeletServerTest, ExecAnswers500WhenTheStreamingServerIsDown) {
  auto p = pod("web");
  auto [id, log] = container(p, "app");
  runtime_.setExecUrl("http://127.0.0.1:1/exec/gone");
  auto o = testing::runExec(server_->port(), "/exec/default/web/app?command=ls&stdout=true",
                            "v4.channel.k8s.io");
  EXPECT_EQ(o.http_status, 500);
  EXPECT_NE(o.error_body.find("error executing command in container"), std::string::npos)
      << o.error_body;
}

TEST_F(KubeletServerTest, StatsSummaryListsRunningContainersWithRates) {
  auto p = pod("web");
  auto [id, log] = container(p, "app");
  json summary;
  ASSERT_TRUE(waitFor([&] {
    auto r = get("/stats/summary");
    summary = json::parse(r.body, nullptr, false);
    return r.status == 200 && summary.is_object() && summary["pods"].size() == 1 &&
           summary["pods"][0]["containers"].size() == 1 &&
           summary["pods"][0]["containers"][0]["cpu"].contains("usageNanoCores");
  })) << summary.dump();
  EXPECT_EQ(summary["node"]["nodeName"], "fake-node");
  const json& pod = summary["pods"][0];
  EXPECT_EQ(pod["podRef"]["name"], "web");
  EXPECT_EQ(pod["podRef"]["namespace"], "default");
  EXPECT_EQ(pod["podRef"]["uid"], "uid-web");
  EXPECT_EQ(pod["containers"][0]["name"], "app");
  // The fake's counter grows at 1/100 of wall time: 10 millicores.
  auto rate = pod["containers"][0]["cpu"]["usageNanoCores"].get<uint64_t>();
  EXPECT_NEAR(static_cast<double>(rate), 10'000'000.0, 1'000'000.0);
  EXPECT_EQ(pod["memory"]["workingSetBytes"], 4 << 20);
  EXPECT_EQ(json::parse(server_->statsSummary())["node"]["nodeName"], "fake-node");
}

TEST(NegotiateExecProtocol, FirstOfferWeSpeak) {
  EXPECT_EQ(negotiateExecProtocol("v5.channel.k8s.io"), "v5.channel.k8s.io");
  EXPECT_EQ(negotiateExecProtocol("v4.channel.k8s.io"), "v4.channel.k8s.io");
  EXPECT_EQ(negotiateExecProtocol("channel.k8s.io, v4.channel.k8s.io,v5.channel.k8s.io"),
            "v4.channel.k8s.io");
  EXPECT_EQ(negotiateExecProtocol("base64.channel.k8s.io"), "");
  EXPECT_EQ(negotiateExecProtocol(""), "");
}

}  // namespace kubelet_server_test
}  // namespace minik8s::kubelet
