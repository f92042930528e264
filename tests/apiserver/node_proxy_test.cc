// pods/log, pods/exec and metrics.k8s.io through a real ApiServer (in-memory store, port 0)
// to a fake kubelet endpoint (an HttpServer started by the test): what the kubelet is
// asked, what the client gets, and the Kubernetes errors decided before the kubelet.
#include "apiserver/node_proxy.h"

#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "apiserver/apiserver.h"
#include "apiserver/metrics_api.h"
#include "http/upgrade.h"
#include "store/memory_store.h"
#include "testing/http_client.h"
#include "testing/ws_client.h"

namespace minik8s::apiserver {
namespace node_proxy_test {

using nlohmann::json;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// The kubelet's side, scripted: records each request, answers logs, a follow stream,
// exec (WebSocket: stdout, an echo of the first stdin frame, a Status) and a summary.
class FakeKubelet {
 public:
  FakeKubelet() {
    http::HttpServerOptions o;
    o.port = 0;
    o.is_long_running = [](const http::HttpRequest& r) {
      return r.path.rfind("/exec/", 0) == 0 || http::isTrueValue(r.queryValue("follow"));
    };
    server_ = http::HttpServer::create(o, [this](http::HttpRequest& r) { return handle(r); });
    EXPECT_TRUE(server_->start().isOk());
  }
  ~FakeKubelet() { stop(); }

  void stop() {
    {
      std::lock_guard lock(mu_);
      for (auto& t : threads_) {
        if (t.joinable()) t.join();
      }
      threads_.clear();
    }
    server_->stop();
  }

  uint16_t port() const { return server_->port(); }
  std::vector<std::string> targets() const {
    std::lock_guard lock(mu_);
    return targets_;
  }
  std::string lastHeader(const std::string& name) const {
    std::lock_guard lock(mu_);
    for (const auto& [k, v] : last_headers_) {
      if (strcasecmp(k.c_str(), name.c_str()) == 0) return v;
    }
    return "";
  }
  bool followerClosed() const { return follower_closed_.load(); }
  void setSummary(json s) {
    std::lock_guard lock(mu_);
    summary_ = std::move(s);
  }

 private:
  http::HandlerResult handle(http::HttpRequest& r) {
    {
      std::lock_guard lock(mu_);
      targets_.push_back(r.raw_target);
      last_headers_ = r.headers;
    }
    http::HandlerResult result;
    if (r.path == "/stats/summary") {
      std::lock_guard lock(mu_);
      result.response.body = summary_.dump();
      return result;
    }
    if (r.path.size() >= 5 && r.path.substr(r.path.size() - 5) == "/gone") {
      result.response = http::statusResponse(404, "NotFound", "container \"gone\" not found");
      return result;
    }
    if (r.path.rfind("/containerLogs/", 0) == 0) {
      result.response.headers.emplace_back("Content-Type", "text/plain");
      if (!http::isTrueValue(r.queryValue("follow"))) {
        result.response.body = "hello from " + r.path + "\n";
        return result;
      }
      result.start_stream = [this](std::shared_ptr<http::ResponseStream> stream) {
        stream->setOnClose([this] { follower_closed_ = true; });
        std::lock_guard lock(mu_);
        threads_.emplace_back([stream] {
          stream->write("first\n");
          std::this_thread::sleep_for(200ms);
          stream->write("second\n");
          // Keep going until the client leaves (or 10 s).
          for (int i = 0; i < 100 && !stream->closed(); ++i) {
            std::this_thread::sleep_for(100ms);
            if (i == 5) stream->write("third\n");
          }
          stream->finish();
        });
      };
      return result;
    }
    if (r.path.rfind("/exec/", 0) == 0) {
      result.upgrade = [this](std::unique_ptr<http::UpgradedConnection> conn) {
        std::lock_guard lock(mu_);
        threads_.emplace_back([conn = std::shared_ptr<http::UpgradedConnection>(std::move(conn))] {
          serveExec(*conn);
        });
      };
      return result;
    }
    result.response = http::statusResponse(404, "NotFound", "no such path");
    return result;
  }

  static void serveExec(http::UpgradedConnection& conn) {
    namespace websocket = boost::beast::websocket;
    websocket::stream<boost::asio::ip::tcp::socket&> ws(conn.socket());
    std::string offered;
    for (const auto& [k, v] : conn.request().headers) {
      if (strcasecmp(k.c_str(), "Sec-WebSocket-Protocol") == 0) offered = v;
    }
    std::string proto = offered.find("v5.channel.k8s.io") != std::string::npos
                            ? "v5.channel.k8s.io"
                            : "v4.channel.k8s.io";
    ws.set_option(websocket::stream_base::decorator([proto](websocket::response_type& res) {
      res.set(boost::beast::http::field::sec_websocket_protocol, proto);
    }));
    std::string head = http::serializeRequestHead(conn.request()) + conn.takeBuffered();
    boost::system::error_code ec;
    ws.accept(boost::asio::buffer(head), ec);
    if (ec) return;
    ws.binary(true);
    auto send = [&](char channel, const std::string& data) {
      std::string frame(1, channel);
      frame += data;
      ws.write(boost::asio::buffer(frame), ec);
    };
    send(1, "out:" + conn.request().raw_target + "\n");
    if (conn.request().queryValue("stdin") == "true") {
      boost::beast::flat_buffer buf;
      ws.read(buf, ec);
      if (!ec) {
        std::string frame = boost::beast::buffers_to_string(buf.data());
        send(1, "echo:" + frame.substr(1));
      }
    }
    send(3, R"({"metadata":{},"status":"Success"})");
    ws.close(websocket::close_code::normal, ec);
    // Read until the client's close answer arrives.
    boost::beast::flat_buffer buf;
    while (!ec) ws.read(buf, ec);
  }

  std::unique_ptr<http::HttpServer> server_;
  mutable std::mutex mu_;
  std::vector<std::string> targets_;
  std::vector<std::pair<std::string, std::string>> last_headers_;
  std::vector<std::thread> threads_;
  std::atomic<bool> follower_closed_{false};
  json summary_ = json::object();
};

class NodeProxyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ApiServerOptions o;
    o.http.port = 0;
    o.compaction_interval = 0s;
    server_ = std::make_unique<ApiServer>(o, store_);
    ASSERT_TRUE(server_->start().isOk());
    createNode("n1", kubelet_.port(), true);
    createPod("web", "n1",
              {{"app", json{{"running", {{"startedAt", "2024-05-01T10:00:00Z"}}}}},
               {"side", json{{"waiting", {{"reason", "ContainerCreating"}}}}}});
  }
  void TearDown() override {
    kubelet_.stop();
    server_->stop();
  }

  testing::HttpResult call(const std::string& method, const std::string& target,
                           const std::string& body = "") {
    return testing::httpCall(server_->port(), method, target, body, {});
  }

  void createNode(const std::string& name, uint16_t port, bool ready) {
    json node = {{"apiVersion", "v1"},
                 {"kind", "Node"},
                 {"metadata", {{"name", name}, {"labels", {{"zone", "a"}}}}}};
    auto r = call("POST", "/api/v1/nodes", node.dump());
    ASSERT_EQ(r.status, 201) << r.body;
    node = json::parse(r.body);
    node["status"] = {
        {"addresses", json::array({{{"type", "InternalIP"}, {"address", "127.0.0.1"}},
                                   {{"type", "Hostname"}, {"address", name}}})},
        {"daemonEndpoints", {{"kubeletEndpoint", {{"Port", port}}}}},
        {"conditions", json::array({{{"type", "Ready"}, {"status", ready ? "True" : "False"}}})}};
    r = call("PUT", "/api/v1/nodes/" + name + "/status", node.dump());
    ASSERT_EQ(r.status, 200) << r.body;
  }

  // Containers in spec order with their states.
  void createPod(const std::string& name, const std::string& node,
                 std::vector<std::pair<std::string, json>> containers,
                 json annotations = json::object()) {
    json spec_containers = json::array();
    json statuses = json::array();
    for (const auto& [c, state] : containers) {
      spec_containers.push_back({{"name", c}, {"image", "busybox"}});
      if (!state.is_null()) {
        statuses.push_back({{"name", c},
                            {"state", state},
                            {"ready", true},
                            {"restartCount", 0},
                            {"image", "busybox"},
                            {"imageID", ""}});
      }
    }
    json pod = {{"apiVersion", "v1"},
                {"kind", "Pod"},
                {"metadata", {{"name", name}, {"labels", {{"app", name}}}}},
                {"spec", {{"containers", spec_containers}}}};
    if (!annotations.empty()) pod["metadata"]["annotations"] = annotations;
    if (!node.empty()) pod["spec"]["nodeName"] = node;
    auto r = call("POST", "/api/v1/namespaces/default/pods", pod.dump());
    ASSERT_EQ(r.status, 201) << r.body;
    pod = json::parse(r.body);
    pod["status"]["phase"] = "Running";
    pod["status"]["containerStatuses"] = statuses;
    r = call("PUT", "/api/v1/namespaces/default/pods/" + name + "/status", pod.dump());
    ASSERT_EQ(r.status, 200) << r.body;
  }

  // The metrics API reads pods and nodes from the watch cache, which trails the store by a
  // moment: wait until the cache (GET with resourceVersion=0) has the stored object.
  void awaitCached(const std::string& path) {
    auto stored = json::parse(call("GET", path).body)["metadata"]["resourceVersion"];
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      auto cached = json::parse(call("GET", path + "?resourceVersion=0").body, nullptr, false);
      if (cached.is_object() && cached["metadata"]["resourceVersion"] == stored) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ADD_FAILURE() << path << " never reached the watch cache";
  }

  static std::string message(const testing::HttpResult& r) {
    auto j = json::parse(r.body, nullptr, false);
    return j.is_object() ? j.value("message", "") : r.body;
  }

  store::MemoryStore store_;
  FakeKubelet kubelet_;
  std::unique_ptr<ApiServer> server_;
};

TEST_F(NodeProxyTest, LogIsAskedOfThePodsKubelet) {
  auto r = call("GET", "/api/v1/namespaces/default/pods/web/log?container=app&tailLines=5");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers["content-type"], "text/plain");
  EXPECT_EQ(r.body, "hello from /containerLogs/default/web/app\n");
  ASSERT_FALSE(kubelet_.targets().empty());
  EXPECT_EQ(kubelet_.targets().back(), "/containerLogs/default/web/app?tailLines=5");
}

TEST_F(NodeProxyTest, DefaultContainerIsTheAnnotatedOneOrTheFirst) {
  auto r = call("GET", "/api/v1/namespaces/default/pods/web/log");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(kubelet_.targets().back(), "/containerLogs/default/web/app");
  createPod("multi", "n1",
            {{"a", json{{"running", json::object()}}}, {"b", json{{"running", json::object()}}}},
            {{"kubectl.kubernetes.io/default-container", "b"}});
  r = call("GET", "/api/v1/namespaces/default/pods/multi/log?follow=false");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(kubelet_.targets().back(), "/containerLogs/default/multi/b?follow=false");
}

TEST_F(NodeProxyTest, ErrorsKubernetesGivesBeforeTheKubelet) {
  auto r = call("GET", "/api/v1/namespaces/default/pods/nosuch/log");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(message(r), "pods \"nosuch\" not found");
  r = call("GET", "/api/v1/namespaces/default/pods/web/log?container=nosuch");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(message(r), "container nosuch is not valid for pod web");
  r = call("GET", "/api/v1/namespaces/default/pods/web/log?container=side");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(message(r), "container \"side\" in pod \"web\" is waiting to start: ContainerCreating");
  r = call("GET", "/api/v1/namespaces/default/pods/web/log?container=app&previous=true");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(message(r), "previous terminated container \"app\" in pod \"web\" not found");
  createPod("pending", "", {{"c", nullptr}});
  r = call("GET", "/api/v1/namespaces/default/pods/pending/log");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(message(r),
            "container \"c\" in pod \"pending\" is waiting to start: ContainerCreating");
  r = call("POST", "/api/v1/namespaces/default/pods/web/log");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(kubelet_.targets().size(), 0u) << "none of these reached the kubelet";
}

TEST_F(NodeProxyTest, KubeletAnswersArePassedOn) {
  createPod("gonepod", "n1", {{"gone", json{{"running", json::object()}}}});
  auto r = call("GET", "/api/v1/namespaces/default/pods/gonepod/log");
  EXPECT_EQ(r.status, 404) << r.body;
  EXPECT_EQ(message(r), "container \"gone\" not found");
  EXPECT_EQ(kubelet_.targets().back(), "/containerLogs/default/gonepod/gone");
}

TEST_F(NodeProxyTest, NodeMissingOrDown) {
  createNode("n2", kubelet_.port(), true);
  createPod("web3", "n2", {{"c", json{{"running", json::object()}}}});
  ASSERT_EQ(call("DELETE", "/api/v1/nodes/n2").status, 200);
  auto r = call("GET", "/api/v1/namespaces/default/pods/web3/log");
  EXPECT_EQ(r.status, 404) << r.body;
  EXPECT_EQ(message(r), "nodes \"n2\" not found");
  createNode("down", 1, true);  // nothing listens on port 1
  createPod("web4", "down", {{"c", json{{"running", json::object()}}}});
  r = call("GET", "/api/v1/namespaces/default/pods/web4/log");
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_NE(message(r).find("error dialing the kubelet of node \"down\""), std::string::npos)
      << r.body;
}

TEST_F(NodeProxyTest, FollowStreamsUntilTheKubeletEndsAndStopsWhenTheClientLeaves) {
  testing::HttpConnection conn(server_->port());
  ASSERT_TRUE(
      conn.sendRequest("GET", "/api/v1/namespaces/default/pods/web/log?follow=true", "", {}));
  testing::HttpResult head;
  ASSERT_TRUE(conn.readHead(&head, 5000ms));
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.headers["content-type"], "text/plain");
  EXPECT_EQ(head.headers["transfer-encoding"], "chunked");
  std::string body;
  while (body.find("third\n") == std::string::npos) {
    auto chunk = conn.readChunk(5000ms);
    ASSERT_TRUE(chunk.has_value()) << body;
    ASSERT_FALSE(chunk->empty()) << body;
    body += *chunk;
  }
  EXPECT_EQ(body, "first\nsecond\nthird\n");
  EXPECT_EQ(kubelet_.targets().back(), "/containerLogs/default/web/app?follow=true");
  ::shutdown(conn.fd(), SHUT_RDWR);  // the client leaves: the kubelet stream must end too
  auto t0 = Clock::now();
  while (!kubelet_.followerClosed() && Clock::now() - t0 < 5s) std::this_thread::sleep_for(10ms);
  EXPECT_TRUE(kubelet_.followerClosed());
}

TEST_F(NodeProxyTest, ExecIsSplicedToTheKubelet) {
  auto o = testing::runExec(server_->port(),
                            "/api/v1/namespaces/default/pods/web/exec?command=ls&command=-l"
                            "&container=app&stdout=true&stderr=true",
                            "v5.channel.k8s.io");
  ASSERT_EQ(o.http_status, 101) << o.error_body;
  EXPECT_EQ(o.protocol, "v5.channel.k8s.io");
  EXPECT_EQ(o.out, "out:/exec/default/web/app?command=ls&command=-l&stdout=true&stderr=true\n");
  EXPECT_EQ(json::parse(o.status)["status"], "Success");
  EXPECT_TRUE(o.closed_cleanly);

  // The Python client: v4, stdin; its frame reaches the kubelet and the echo comes back.
  o = testing::runExec(server_->port(),
                       "/api/v1/namespaces/default/pods/web/exec?command=cat&stdin=true"
                       "&stdout=True&stderr=True&tty=False",
                       "v4.channel.k8s.io", "ping");
  ASSERT_EQ(o.http_status, 101) << o.error_body;
  EXPECT_EQ(o.protocol, "v4.channel.k8s.io");
  EXPECT_NE(o.out.find("echo:ping"), std::string::npos) << o.out;
  EXPECT_EQ(kubelet_.lastHeader("Sec-WebSocket-Protocol"), "v4.channel.k8s.io");
}

TEST_F(NodeProxyTest, ExecWithLowerCaseHeaders) {
  testing::HttpConnection conn(server_->port());
  ASSERT_TRUE(
      conn.send("GET /api/v1/namespaces/default/pods/web/exec?command=date&stdout=True HTTP/1.1\r\n"
                "host: 127.0.0.1\r\nupgrade: websocket\r\nconnection: Upgrade\r\n"
                "sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n"
                "sec-websocket-protocol: v4.channel.k8s.io\r\norigin: http://localhost\r\n\r\n"));
  testing::HttpResult head;
  ASSERT_TRUE(conn.readHead(&head, 5000ms));
  EXPECT_EQ(head.status, 101);
  EXPECT_EQ(head.headers["sec-websocket-protocol"], "v4.channel.k8s.io");
  EXPECT_EQ(head.headers["sec-websocket-accept"], "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST_F(NodeProxyTest, ExecRefusals) {
  auto r = call("GET", "/api/v1/namespaces/default/pods/web/exec?command=ls&stdout=true");
  EXPECT_EQ(r.status, 400) << "no WebSocket upgrade";
  EXPECT_NE(message(r).find("SPDY"), std::string::npos);
  auto o = testing::runExec(server_->port(),
                            "/api/v1/namespaces/default/pods/nosuch/exec?command=ls&stdout=true",
                            "v5.channel.k8s.io");
  EXPECT_EQ(o.http_status, 404);
  o = testing::runExec(
      server_->port(),
      "/api/v1/namespaces/default/pods/web/exec?command=ls&stdout=true&container=side",
      "v5.channel.k8s.io");
  EXPECT_EQ(o.http_status, 400);
  EXPECT_NE(o.error_body.find("is waiting to start: ContainerCreating"), std::string::npos);
  createPod("pending", "", {{"c", nullptr}});
  o = testing::runExec(server_->port(),
                       "/api/v1/namespaces/default/pods/pending/exec?command=ls&stdout=true",
                       "v5.channel.k8s.io");
  EXPECT_EQ(o.http_status, 400);
  EXPECT_NE(o.error_body.find("pod pending does not have a host assigned"), std::string::npos)
      << o.error_body;
  EXPECT_EQ(kubelet_.targets().size(), 0u);
}

json summaryWith(const std::string& uid) {
  return {{"node",
           {{"nodeName", "n1"},
            {"cpu", {{"time", "2024-05-01T10:00:00Z"}, {"usageNanoCores", 250'000'000}}},
            {"memory", {{"time", "2024-05-01T10:00:00Z"}, {"workingSetBytes", 1024ULL << 20}}}}},
          {"pods",
           json::array(
               {{{"podRef", {{"name", "web"}, {"namespace", "default"}, {"uid", uid}}},
                 {"containers",
                  json::array(
                      {{{"name", "app"},
                        {"cpu", {{"time", "2024-05-01T10:00:01Z"}, {"usageNanoCores", 4'200'000}}},
                        {"memory", {{"workingSetBytes", 12ULL << 20}}}}})}},
                {{"podRef", {{"name", "ghost"}, {"namespace", "default"}, {"uid", "x"}}},
                 {"containers",
                  json::array(
                      {{{"name", "c"}, {"cpu", json::object()}, {"memory", json::object()}}})}}})}};
}

TEST_F(NodeProxyTest, MetricsFromTheKubeletsSummary) {
  awaitCached("/api/v1/nodes/n1");
  awaitCached("/api/v1/namespaces/default/pods/web");
  auto pod = json::parse(call("GET", "/api/v1/namespaces/default/pods/web").body);
  kubelet_.setSummary(summaryWith(pod["metadata"]["uid"]));

  auto r = call("GET", "/apis/metrics.k8s.io/v1beta1/namespaces/default/pods");
  ASSERT_EQ(r.status, 200) << r.body;
  auto list = json::parse(r.body);
  EXPECT_EQ(list["kind"], "PodMetricsList");
  EXPECT_EQ(list["apiVersion"], "metrics.k8s.io/v1beta1");
  ASSERT_EQ(list["items"].size(), 1u) << r.body << " (ghost is no live pod)";
  const json& item = list["items"][0];
  EXPECT_EQ(item["metadata"]["name"], "web");
  EXPECT_EQ(item["metadata"]["namespace"], "default");
  EXPECT_EQ(item["metadata"]["labels"]["app"], "web");
  EXPECT_EQ(item["timestamp"], "2024-05-01T10:00:01Z");
  EXPECT_EQ(item["window"], "10s");
  EXPECT_EQ(item["containers"][0],
            json({{"name", "app"}, {"usage", {{"cpu", "5m"}, {"memory", "12Mi"}}}}));

  r = call("GET", "/apis/metrics.k8s.io/v1beta1/pods");
  EXPECT_EQ(json::parse(r.body)["items"].size(), 1u);
  r = call("GET", "/apis/metrics.k8s.io/v1beta1/pods?labelSelector=app%3Dother");
  EXPECT_EQ(json::parse(r.body)["items"].size(), 0u);
  r = call("GET", "/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/web");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["kind"], "PodMetrics");
  r = call("GET", "/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/nosuch");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(message(r), "podmetrics.metrics.k8s.io \"default/nosuch\" not found");

  r = call("GET", "/apis/metrics.k8s.io/v1beta1/nodes");
  ASSERT_EQ(r.status, 200) << r.body;
  list = json::parse(r.body);
  EXPECT_EQ(list["kind"], "NodeMetricsList");
  ASSERT_EQ(list["items"].size(), 1u);
  EXPECT_EQ(list["items"][0]["metadata"]["name"], "n1");
  EXPECT_EQ(list["items"][0]["metadata"]["labels"]["zone"], "a");
  EXPECT_EQ(list["items"][0]["usage"], json({{"cpu", "250m"}, {"memory", "1024Mi"}}));
  r = call("GET", "/apis/metrics.k8s.io/v1beta1/nodes/n1");
  EXPECT_EQ(json::parse(r.body)["kind"], "NodeMetrics");
  r = call("GET", "/apis/metrics.k8s.io/v1beta1/nodes/nosuch");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(message(r), "nodemetrics.metrics.k8s.io \"nosuch\" not found");
  r = call("POST", "/apis/metrics.k8s.io/v1beta1/nodes", "{}");
  EXPECT_EQ(r.status, 405);

  // A node that is not Ready is not asked.
  createNode("n9", kubelet_.port(), false);
  r = call("GET", "/apis/metrics.k8s.io/v1beta1/nodes");
  EXPECT_EQ(json::parse(r.body)["items"].size(), 1u);
}

TEST_F(NodeProxyTest, MetricsGroupIsInDiscovery) {
  auto r = testing::httpCall(
      server_->port(), "GET", "/apis", "",
      {{"Accept", "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"}});
  ASSERT_EQ(r.status, 200);
  auto groups = json::parse(r.body)["items"];
  bool found = false;
  for (const auto& g : groups) {
    if (g["metadata"]["name"] != "metrics.k8s.io") continue;
    found = true;
    EXPECT_EQ(g["versions"][0]["version"], "v1beta1");
    std::set<std::string> names;
    for (const auto& res : g["versions"][0]["resources"]) names.insert(res["resource"]);
    EXPECT_EQ(names, (std::set<std::string>{"pods", "nodes"}));
  }
  EXPECT_TRUE(found) << r.body;
  r = call("GET", "/apis");
  EXPECT_NE(r.body.find("\"metrics.k8s.io/v1beta1\""), std::string::npos);
  r = call("GET", "/apis/metrics.k8s.io/v1beta1");
  ASSERT_EQ(r.status, 200);
  auto resources = json::parse(r.body);
  EXPECT_EQ(resources["groupVersion"], "metrics.k8s.io/v1beta1");
  EXPECT_EQ(resources["resources"].size(), 2u);
  r = call("GET", "/apis/metrics.k8s.io");
  EXPECT_EQ(r.status, 200);
}

// ---- pure parts ----

TEST(NodeProxyPure, KubeletAddressOf) {
  json node = {{"metadata", {{"name", "n"}}},
               {"status",
                {{"addresses", json::array({{{"type", "Hostname"}, {"address", "host"}},
                                            {{"type", "InternalIP"}, {"address", "10.0.0.5"}}})},
                 {"daemonEndpoints", {{"kubeletEndpoint", {{"Port", 10555}}}}}}}};
  auto a = kubeletAddressOf(node);
  ASSERT_TRUE(a.isOk());
  EXPECT_EQ(a->host, "10.0.0.5");
  EXPECT_EQ(a->port, 10555);
  node["status"].erase("daemonEndpoints");
  node["status"]["addresses"].erase(1);
  a = kubeletAddressOf(node);
  EXPECT_EQ(a->host, "host");
  EXPECT_EQ(a->port, 10250);
  EXPECT_EQ(kubeletAddressOf({{"metadata", {{"name", "n"}}}}).status().code(), Code::kUnavailable);
}

TEST(NodeProxyPure, KubeletQueryDropsContainer) {
  EXPECT_EQ(kubeletQuery("/x/log?container=a&tailLines=3"), "tailLines=3");
  EXPECT_EQ(kubeletQuery("/x/exec?command=ls&container=a&command=-l"), "command=ls&command=-l");
  EXPECT_EQ(kubeletQuery("/x/log"), "");
  EXPECT_EQ(kubeletQuery("/x/log?container=a"), "");
  EXPECT_EQ(kubeletQuery("/x/exec?command=a%20b&containerx=1"), "command=a%20b&containerx=1");
}

TEST(NodeProxyPure, CheckLogReadableFollowsTheContainerState) {
  auto pod = [](json state, json last = json::object()) {
    return json{{"metadata", {{"name", "p"}}},
                {"status",
                 {{"containerStatuses",
                   json::array({{{"name", "c"}, {"state", state}, {"lastState", last}}})}}}};
  };
  EXPECT_TRUE(checkLogReadable(pod({{"running", json::object()}}), "c", false).isOk());
  EXPECT_TRUE(checkLogReadable(pod({{"terminated", {{"exitCode", 1}}}}), "c", false).isOk());
  EXPECT_EQ(
      checkLogReadable(pod({{"waiting", {{"reason", "ErrImagePull"}}}}), "c", false).message(),
      "container \"c\" in pod \"p\" is waiting to start: image can't be pulled");
  EXPECT_EQ(checkLogReadable(pod({{"waiting", {{"reason", "CrashLoopBackOff"}}}},
                                 {{"terminated", {{"exitCode", 1}}}}),
                             "c", false)
                .isOk(),
            true)
      << "a crash-looping container shows its last run";
  EXPECT_TRUE(
      checkLogReadable(pod({{"running", json::object()}}, {{"terminated", {{"exitCode", 1}}}}), "c",
                       true)
          .isOk());
  EXPECT_EQ(checkLogReadable(pod({{"running", json::object()}}), "c", true).code(),
            Code::kBadRequest);
  EXPECT_EQ(checkLogReadable(pod(json::object()), "c", false).message(),
            "container \"c\" in pod \"p\" is waiting to start - no logs yet");
  EXPECT_EQ(checkExecutable(pod({{"terminated", {{"exitCode", 0}}}}), "c").message(),
            "container \"c\" in pod \"p\" is not running");
  EXPECT_TRUE(checkExecutable(pod({{"running", json::object()}}), "c").isOk());
}

TEST(NodeProxyPure, PickContainer) {
  json pod = {{"metadata", {{"name", "p"}}},
              {"spec",
               {{"containers", json::array({{{"name", "a"}}, {{"name", "b"}}})},
                {"initContainers", json::array({{{"name", "init"}}})}}}};
  EXPECT_EQ(*pickContainer(pod, ""), "a");
  EXPECT_EQ(*pickContainer(pod, "b"), "b");
  EXPECT_EQ(*pickContainer(pod, "init"), "init");
  EXPECT_EQ(pickContainer(pod, "z").status().message(), "container z is not valid for pod p");
  pod["metadata"]["annotations"] = {{"kubectl.kubernetes.io/default-container", "b"}};
  EXPECT_EQ(*pickContainer(pod, ""), "b");
}

TEST(MetricsPure, Quantities) {
  EXPECT_EQ(formatCpuQuantity(0), "0");
  EXPECT_EQ(formatCpuQuantity(1), "1m");
  EXPECT_EQ(formatCpuQuantity(5'000'000), "5m");
  EXPECT_EQ(formatCpuQuantity(5'000'001), "6m");
  EXPECT_EQ(formatCpuQuantity(1'500'000'000), "1500m");
  EXPECT_EQ(formatMemoryQuantity(0), "0");
  EXPECT_EQ(formatMemoryQuantity(12ULL << 20), "12Mi");
  EXPECT_EQ(formatMemoryQuantity(1024), "1Ki");
  EXPECT_EQ(formatMemoryQuantity(1500), "2Ki");
  EXPECT_EQ(formatMemoryQuantity((12ULL << 20) + 4096), "12292Ki");
}

TEST(MetricsPure, FromSummary) {
  json summary = summaryWith("u1");
  auto node = nodeMetricsFromSummary(summary, "n1", "10s");
  ASSERT_TRUE(node);
  EXPECT_EQ((*node)["usage"], json({{"cpu", "250m"}, {"memory", "1024Mi"}}));
  EXPECT_EQ((*node)["timestamp"], "2024-05-01T10:00:00Z");
  EXPECT_FALSE(nodeMetricsFromSummary(json::object(), "n1", "10s"));
  auto pods = podMetricsFromSummary(summary, "10s");
  ASSERT_EQ(pods.size(), 2u);
  EXPECT_EQ(pods[0].uid, "u1");
  EXPECT_EQ(pods[1].metrics["containers"][0]["usage"], json({{"cpu", "0"}, {"memory", "0"}}))
      << "no rate yet: 0";
  EXPECT_TRUE(podMetricsFromSummary(json::object(), "10s").empty());
}

}  // namespace node_proxy_test
}  // namespace minik8s::apiserver
