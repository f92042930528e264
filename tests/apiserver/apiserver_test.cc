// ApiServer against a real etcd (started by the test) over real sockets on port 0.
#include "apiserver/apiserver.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <atomic>
#include <set>
#include <thread>

#include "api/defaults.h"
#include "store/etcd_fixture.h"
#include "testing/crd_fixtures.h"
#include "testing/csr_fixtures.h"
#include "testing/http_client.h"

namespace minik8s::apiserver {
namespace apiserver_test {

using nlohmann::json;
using testing::httpCall;
using testing::widgetCrd;
using testing::HttpConnection;
using testing::HttpResult;
using namespace std::chrono_literals;

class ApiServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto etcd = store::testing::EtcdFixture::start();
    ASSERT_TRUE(etcd.isOk()) << etcd.status().toString();
    etcd_ = std::move(etcd).value();
    startServer();
  }

  // Compaction is off unless a test asks for it (keep_compaction).
  void startServer(ApiServerOptions options = {}, bool keep_compaction = false) {
    auto store = etcd_->connect();
    ASSERT_TRUE(store.isOk()) << store.status().toString();
    store_ = std::move(store).value();
    options.http.port = 0;
    if (!keep_compaction) options.compaction_interval = std::chrono::seconds(0);
    options_ = options;
    server_ = std::make_unique<ApiServer>(options, *store_);
    Status s = server_->start();
    ASSERT_TRUE(s.isOk()) << s.toString();
  }

  void restartServer() {
    server_->stop();
    server_.reset();
    startServer(options_);
  }

  HttpResult call(const std::string& method, const std::string& target, const std::string& body = "",
                  std::map<std::string, std::string> headers = {}) {
    return httpCall(server_->port(), method, target, body, headers);
  }
  json callJson(const std::string& method, const std::string& target, const json& body = nullptr,
                int expected = 200) {
    auto r = call(method, target, body.is_null() ? "" : body.dump());
    EXPECT_EQ(r.status, expected) << method << " " << target << ": " << r.body;
    return json::parse(r.body, nullptr, false);
  }

  std::unique_ptr<store::testing::EtcdFixture> etcd_;
  std::unique_ptr<store::EtcdStore> store_;
  std::unique_ptr<ApiServer> server_;
  ApiServerOptions options_;
};

json pod(const std::string& name, json labels = json::object()) {
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata", {{"name", name}, {"labels", labels}}},
          {"spec", {{"containers", json::array({{{"name", "c"}, {"image", "busybox"}}})}}}};
}

// One valid object per resource, for the CRUD sweep.
json sampleOf(const api::ResourceInfo& r, const std::string& name) {
  json md = {{"name", name}};
  json pod_spec = {{"containers", json::array({{{"name", "c"}, {"image", "busybox"}}})}};
  json tmpl = {{"metadata", {{"labels", {{"app", name}}}}}, {"spec", pod_spec}};
  json o = {{"apiVersion", r.apiVersion()}, {"kind", r.kind}, {"metadata", md}};
  if (r.plural == "pods") o["spec"] = pod_spec;
  if (r.plural == "services") o["spec"] = {{"ports", json::array({{{"port", 80}}})}};
  if (r.plural == "endpoints") {
    o["subsets"] = json::array({{{"addresses", json::array({{{"ip", "10.244.0.5"}}})},
                                 {"ports", json::array({{{"port", 80}}})}}});
  }
  if (r.plural == "endpointslices") {
    o["addressType"] = "IPv4";
    o["endpoints"] = json::array({{{"addresses", json::array({"10.244.0.5"})}}});
    o["ports"] = json::array({{{"port", 80}}});
  }
  if (r.plural == "events") {
    o["involvedObject"] = {{"kind", "Pod"}, {"name", "x"}, {"namespace", "default"}};
    o["reason"] = "Test";
    o["message"] = "hello";
  }
  if (r.plural == "configmaps") o["data"] = {{"k", "v"}};
  if (r.plural == "secrets") o["data"] = {{"k", "dg=="}};
  if (r.plural == "leases") o["spec"] = {{"holderIdentity", "me"}, {"leaseDurationSeconds", 10}};
  if (r.plural == "daemonsets") {
    o["spec"] = {{"selector", {{"matchLabels", {{"app", name}}}}}, {"template", tmpl}};
  }
  if (r.plural == "deployments" || r.plural == "replicasets") {
    o["spec"] = {{"replicas", 1}, {"selector", {{"matchLabels", {{"app", name}}}}}, {"template", tmpl}};
  }
  json job_template = {{"spec", {{"containers", pod_spec["containers"]}, {"restartPolicy", "Never"}}}};
  if (r.plural == "jobs") o["spec"] = {{"template", job_template}};
  if (r.plural == "cronjobs") {
    o["spec"] = {{"schedule", "*/5 * * * *"},
                 {"jobTemplate", {{"spec", {{"template", job_template}}}}}};
  }
  if (r.plural == "horizontalpodautoscalers") {
    o["spec"] = {{"scaleTargetRef", {{"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"name", "d"}}},
                 {"minReplicas", 1},
                 {"maxReplicas", 3}};
  }
  if (r.plural == "ingresses") {
    o["spec"] = {{"defaultBackend", {{"service", {{"name", "s"}, {"port", {{"number", 80}}}}}}}};
  }
  if (r.plural == "ingressclasses") o["spec"] = {{"controller", "example.com/ingress"}};
  if (r.plural == "roles" || r.plural == "clusterroles") {
    o["rules"] = json::array({{{"verbs", {"get"}}, {"apiGroups", {""}}, {"resources", {"pods"}}}});
  }
  if (r.plural == "rolebindings" || r.plural == "clusterrolebindings") {
    o["roleRef"] = {{"kind", "ClusterRole"}, {"name", "view"}};
    o["subjects"] = json::array({{{"kind", "User"}, {"name", "alice"}}});
  }
  if (r.plural == "certificatesigningrequests") {
    o["spec"] = {{"request", api::base64Encode(testing::kNodeCsrPem)},
                 {"signerName", "kubernetes.io/kube-apiserver-client-kubelet"},
                 {"usages", {"digital signature", "client auth"}}};
  }
  if (r.plural == "dnses") {
    o["spec"] = {{"hostname", "example.com"},
                 {"paths", json::array({{{"serviceName", "s"}, {"servicePort", 80}, {"urlPath", "/x"}}})}};
  }
  if (r.plural == "customresourcedefinitions") o = widgetCrd();
  if (r.plural == "hpas") {
    o["spec"] = {{"minReplicas", 1},
                 {"maxReplicas", 3},
                 {"scaleTargetRef", {{"kind", "Pod"}, {"metadata", {{"name", "p"}}}}},
                 {"interval", 15},
                 {"selector", {{"matchLabels", {{"app", "x"}}}}},
                 {"metrics", {{"cpuPercent", 50}, {"memPercent", 50}}}};
  }
  return o;
}

std::string collectionPath(const api::ResourceInfo& r, const std::string& ns = "default") {
  std::string base = r.group.empty() ? "/api/" + r.version : "/apis/" + r.group + "/" + r.version;
  if (r.namespaced) base += "/namespaces/" + ns;
  return base + "/" + r.plural;
}

TEST_F(ApiServerTest, ServesCrudOnEveryResource) {
  for (const auto& r : api::allResources()) {
    SCOPED_TRACE(r.plural);
    std::string name = r.plural == "customresourcedefinitions" ? "widgets.example.com"
                                                               : "crud-" + r.singular;
    json created = callJson("POST", collectionPath(r), sampleOf(r, name), 201);
    ASSERT_TRUE(created.is_object());
    EXPECT_EQ(created["metadata"]["name"], name);
    EXPECT_FALSE(created["metadata"].value("uid", "").empty());
    EXPECT_FALSE(created["metadata"].value("resourceVersion", "").empty());
    EXPECT_FALSE(created["metadata"].value("creationTimestamp", "").empty());
    json got = callJson("GET", collectionPath(r) + "/" + name);
    EXPECT_EQ(got["metadata"]["uid"], created["metadata"]["uid"]);
    json list = callJson("GET", collectionPath(r));
    EXPECT_EQ(list["kind"], r.kind + "List");
    bool found = false;
    for (const auto& item : list["items"]) found |= item["metadata"]["name"] == name;
    EXPECT_TRUE(found);
    got["metadata"]["labels"] = {{"updated", "yes"}};
    json updated = callJson("PUT", collectionPath(r) + "/" + name, got);
    EXPECT_EQ(updated["metadata"]["labels"]["updated"], "yes");
    EXPECT_NE(updated["metadata"]["resourceVersion"], got["metadata"]["resourceVersion"]);
    callJson("DELETE", collectionPath(r) + "/" + name);
    if (r.plural != "namespaces") {
      EXPECT_EQ(call("GET", collectionPath(r) + "/" + name).status, 404);
    }
  }
}

TEST_F(ApiServerTest, RejectsUpdatesWithAStaleResourceVersion) {
  json created = callJson("POST", "/api/v1/namespaces/default/configmaps",
                          {{"metadata", {{"name", "cm"}}}, {"data", {{"a", "1"}}}}, 201);
  json first = created;
  first["data"]["a"] = "2";
  callJson("PUT", "/api/v1/namespaces/default/configmaps/cm", first, 200);
  json stale = created;
  stale["data"]["a"] = "3";
  auto r = call("PUT", "/api/v1/namespaces/default/configmaps/cm", stale.dump());
  EXPECT_EQ(r.status, 409);
  json status = json::parse(r.body);
  EXPECT_EQ(status["reason"], "Conflict");
  EXPECT_NE(status["message"].get<std::string>().find("the object has been modified"),
            std::string::npos);
  EXPECT_EQ(callJson("GET", "/api/v1/namespaces/default/configmaps/cm")["data"]["a"], "2");
}

TEST_F(ApiServerTest, DuplicateCreateIsAlreadyExists) {
  callJson("POST", "/api/v1/namespaces/default/pods", pod("dup"), 201);
  auto r = call("POST", "/api/v1/namespaces/default/pods", pod("dup").dump());
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(json::parse(r.body)["reason"], "AlreadyExists");
  EXPECT_EQ(json::parse(r.body)["message"], "pods \"dup\" already exists");
}

TEST_F(ApiServerTest, MissingObjectsAndNamespacesAreNotFound) {
  auto r = call("GET", "/apis/apps/v1/namespaces/default/deployments/nope");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(json::parse(r.body)["message"], "deployments.apps \"nope\" not found");
  auto create = call("POST", "/api/v1/namespaces/ghost/pods", pod("p").dump());
  EXPECT_EQ(create.status, 404);
  EXPECT_EQ(json::parse(create.body)["message"], "namespaces \"ghost\" not found");
}

TEST_F(ApiServerTest, FiltersListsByLabelAndFieldSelectors) {
  callJson("POST", "/api/v1/namespaces/default/pods", pod("a", {{"app", "web"}, {"tier", "fe"}}), 201);
  callJson("POST", "/api/v1/namespaces/default/pods", pod("b", {{"app", "web"}}), 201);
  callJson("POST", "/api/v1/namespaces/default/pods", pod("c", {{"app", "db"}}), 201);
  auto names = [&](const std::string& query) {
    std::set<std::string> out;
    json list = callJson("GET", "/api/v1/namespaces/default/pods?" + query);
    for (const auto& item : list["items"]) out.insert(item["metadata"]["name"]);
    return out;
  };
  EXPECT_EQ(names("labelSelector=app%3Dweb"), (std::set<std::string>{"a", "b"}));
  EXPECT_EQ(names("labelSelector=app%3Dweb%2Ctier"), (std::set<std::string>{"a"}));
  EXPECT_EQ(names("labelSelector=app+in+(db)"), (std::set<std::string>{"c"}));
  EXPECT_EQ(names("labelSelector=app!%3Dweb"), (std::set<std::string>{"c"}));
  EXPECT_EQ(names("fieldSelector=metadata.name%3Db"), (std::set<std::string>{"b"}));
  // resourceVersion=0 is served by the watch cache, which may trail the writes by a moment.
  std::set<std::string> from_cache;
  for (int i = 0; i < 500 && from_cache != std::set<std::string>{"a", "c"}; ++i) {
    if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    from_cache = names("resourceVersion=0&fieldSelector=metadata.name!%3Db");
  }
  EXPECT_EQ(from_cache, (std::set<std::string>{"a", "c"}));
  EXPECT_EQ(call("GET", "/api/v1/namespaces/default/pods?fieldSelector=spec.bogus%3Dx").status, 400);
  EXPECT_EQ(call("GET", "/api/v1/namespaces/default/pods?labelSelector=%3D%3D").status, 400);
}

std::vector<json> readEvents(HttpConnection& c, size_t n) {
  std::vector<json> out;
  while (out.size() < n) {
    auto line = c.readLine(10s);
    if (!line) break;
    out.push_back(json::parse(*line));
  }
  return out;
}

TEST_F(ApiServerTest, WatchDeliversAddedModifiedDeletedInOrder) {
  json list = callJson("GET", "/api/v1/namespaces/default/pods");
  std::string rv = list["metadata"]["resourceVersion"];
  HttpConnection watch(server_->port());
  ASSERT_TRUE(watch.sendRequest("GET", "/api/v1/namespaces/default/pods?watch=True&resourceVersion=" + rv, "", {}));
  HttpResult head;
  ASSERT_TRUE(watch.readHead(&head, 5s));
  EXPECT_EQ(head.status, 200);
  json created = callJson("POST", "/api/v1/namespaces/default/pods", pod("w"), 201);
  created["metadata"]["labels"] = {{"x", "y"}};
  callJson("PUT", "/api/v1/namespaces/default/pods/w", created);
  callJson("DELETE", "/api/v1/namespaces/default/pods/w");
  auto events = readEvents(watch, 3);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0]["type"], "ADDED");
  EXPECT_EQ(events[1]["type"], "MODIFIED");
  EXPECT_EQ(events[2]["type"], "DELETED");
  EXPECT_EQ(events[2]["object"]["metadata"]["name"], "w");
}

TEST_F(ApiServerTest, WatchWithoutResourceVersionStartsWithSyntheticAdds) {
  callJson("POST", "/api/v1/namespaces/default/configmaps", {{"metadata", {{"name", "one"}}}}, 201);
  HttpConnection watch(server_->port());
  ASSERT_TRUE(watch.sendRequest("GET", "/api/v1/namespaces/default/configmaps?watch=1", "", {}));
  HttpResult head;
  ASSERT_TRUE(watch.readHead(&head, 5s));
  auto events = readEvents(watch, 1);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["type"], "ADDED");
  EXPECT_EQ(events[0]["object"]["metadata"]["name"], "one");
}

TEST_F(ApiServerTest, WatchResumedAfterRestartSeesEveryEventInBetween) {
  json first = callJson("POST", "/api/v1/namespaces/default/configmaps", {{"metadata", {{"name", "r0"}}}}, 201);
  std::string rv = first["metadata"]["resourceVersion"];
  restartServer();
  // Written while no watcher was connected, across the restart.
  for (int i = 1; i <= 5; ++i) {
    callJson("POST", "/api/v1/namespaces/default/configmaps",
             {{"metadata", {{"name", "r" + std::to_string(i)}}}}, 201);
  }
  callJson("DELETE", "/api/v1/namespaces/default/configmaps/r0");
  HttpConnection watch(server_->port());
  ASSERT_TRUE(watch.sendRequest("GET", "/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=" + rv, "", {}));
  HttpResult head;
  ASSERT_TRUE(watch.readHead(&head, 5s));
  auto events = readEvents(watch, 6);
  ASSERT_EQ(events.size(), 6u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(events[i]["type"], "ADDED");
    EXPECT_EQ(events[i]["object"]["metadata"]["name"], "r" + std::to_string(i + 1));
  }
  EXPECT_EQ(events[5]["type"], "DELETED");
}

TEST_F(ApiServerTest, WatchFromACompactedRevisionIsGone) {
  json first = callJson("POST", "/api/v1/namespaces/default/configmaps", {{"metadata", {{"name", "c0"}}}}, 201);
  std::string old_rv = first["metadata"]["resourceVersion"];
  callJson("POST", "/api/v1/namespaces/default/configmaps", {{"metadata", {{"name", "between"}}}}, 201);
  restartServer();  // the cache's history now starts after "between", past old_rv
  for (int i = 1; i <= 3; ++i) {
    callJson("POST", "/api/v1/namespaces/default/configmaps",
             {{"metadata", {{"name", "c" + std::to_string(i)}}}}, 201);
  }
  auto rev = store_->currentRevision();
  ASSERT_TRUE(rev.isOk());
  ASSERT_TRUE(store_->compact(*rev).isOk());
  HttpConnection watch(server_->port());
  ASSERT_TRUE(watch.sendRequest("GET", "/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=" + old_rv, "", {}));
  HttpResult head;
  ASSERT_TRUE(watch.readHead(&head, 5s));
  auto events = readEvents(watch, 1);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["type"], "ERROR");
  EXPECT_EQ(events[0]["object"]["code"], 410);
  EXPECT_EQ(events[0]["object"]["reason"], "Expired");
}

TEST_F(ApiServerTest, ThePeriodicCompactionCompactsEtcdBehindItself) {
  server_->stop();
  server_.reset();
  ApiServerOptions options;
  options.compaction_interval = 1s;
  startServer(options, /*keep_compaction=*/true);
  json cm = callJson("POST", "/api/v1/namespaces/default/configmaps",
                     {{"metadata", {{"name", "c"}}}, {"data", {{"v", "1"}}}}, 201);
  int64_t first = std::stoll(cm["metadata"]["resourceVersion"].get<std::string>());
  callJson("PUT", "/api/v1/namespaces/default/configmaps/c",
           {{"metadata", {{"name", "c"}}}, {"data", {{"v", "2"}}}});
  // Each tick compacts up to the revision seen at the tick before: within a few seconds
  // the first revision is gone from etcd, and a watch from it is 410.
  auto deadline = std::chrono::steady_clock::now() + 10s;
  Status at_first = store_->list("/registry/configmaps/", first).status();
  while (at_first.code() != Code::kGone && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(100ms);
    at_first = store_->list("/registry/configmaps/", first).status();
  }
  EXPECT_EQ(at_first.code(), Code::kGone) << at_first.toString();
  auto latest = store_->get("/registry/configmaps/default/c");
  ASSERT_TRUE(latest.isOk());
  EXPECT_NE(latest->value.find("\"2\""), std::string::npos);  // current data is kept
}

TEST_F(ApiServerTest, ASlowWatcherIsDroppedWhileTheOthersKeepReceiving) {
  callJson("POST", "/api/v1/namespaces/default/configmaps", {{"metadata", {{"name", "big"}}}},
           201);
  auto open = [&](HttpConnection& c) {
    ASSERT_TRUE(c.sendRequest("GET", "/api/v1/namespaces/default/configmaps?watch=1", "", {}));
    HttpResult head;
    ASSERT_TRUE(c.readHead(&head, 5s));
    ASSERT_EQ(head.status, 200);
  };
  HttpConnection slow(server_->port());  // never read while the updates are made
  open(slow);
  HttpConnection fast(server_->port());
  open(fast);
  // 120 updates of 512 KiB: 60 MiB, well past the 32 MiB a watcher may fall behind plus
  // what the kernel's socket buffers hold.
  const int kUpdates = 120;
  std::atomic<int> fast_seen{0};
  std::thread reader([&] {
    while (fast_seen < kUpdates + 1) {  // + the synthetic ADDED
      auto line = fast.readLine(20s);
      if (!line) return;
      ++fast_seen;
    }
  });
  std::string blob(512 * 1024, 'x');
  for (int i = 0; i < kUpdates; ++i) {
    blob[0] = static_cast<char>('a' + i % 26);
    auto r = call("PUT", "/api/v1/namespaces/default/configmaps/big",
                  json({{"metadata", {{"name", "big"}}}, {"data", {{"blob", blob}}}}).dump());
    ASSERT_EQ(r.status, 200) << r.body;
  }
  reader.join();
  EXPECT_EQ(fast_seen.load(), kUpdates + 1) << "the reading watcher missed events";
  // The slow one was cut off: what it can still read (the bytes queued before the cut)
  // ends before the last events.
  int slow_seen = 0;
  while (slow.readLine(3s)) ++slow_seen;
  EXPECT_GT(slow_seen, 0);
  EXPECT_LT(slow_seen, kUpdates + 1);
  EXPECT_EQ(call("GET", "/api/v1/namespaces/default/configmaps/big").status, 200);
}

TEST_F(ApiServerTest, AllocatesUniqueClusterIpsAndNodePortsUnderConcurrentCreates) {
  constexpr int kServices = 50;
  std::vector<std::thread> threads;
  std::vector<json> results(kServices);
  for (int i = 0; i < kServices; ++i) {
    threads.emplace_back([&, i] {
      json svc = {{"metadata", {{"name", "svc-" + std::to_string(i)}}},
                  {"spec", {{"type", "NodePort"}, {"selector", {{"app", "x"}}},
                            {"ports", json::array({{{"port", 80}}})}}}};
      auto r = call("POST", "/api/v1/namespaces/default/services", svc.dump());
      results[i] = json::parse(r.body, nullptr, false);
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> ips;
  std::set<int> ports;
  for (const auto& s : results) {
    ASSERT_TRUE(s.is_object() && s.contains("spec")) << s.dump();
    ips.insert(s["spec"]["clusterIP"].get<std::string>());
    ports.insert(s["spec"]["ports"][0]["nodePort"].get<int>());
  }
  EXPECT_EQ(ips.size(), static_cast<size_t>(kServices));
  EXPECT_EQ(ports.size(), static_cast<size_t>(kServices));
  EXPECT_FALSE(ips.count("10.96.0.1"));  // the kubernetes service's
  // After a restart, new services never reuse a live allocation.
  restartServer();
  for (int i = 0; i < 10; ++i) {
    json svc = {{"metadata", {{"name", "after-" + std::to_string(i)}}},
                {"spec", {{"type", "NodePort"}, {"ports", json::array({{{"port", 80}}})}}}};
    json s = callJson("POST", "/api/v1/namespaces/default/services", svc, 201);
    EXPECT_TRUE(ips.insert(s["spec"]["clusterIP"].get<std::string>()).second);
    EXPECT_TRUE(ports.insert(s["spec"]["ports"][0]["nodePort"].get<int>()).second);
  }
  // A requested IP that is taken is refused; a freed one can be taken again.
  std::string taken = results[0]["spec"]["clusterIP"];
  json dup = {{"metadata", {{"name", "dup"}}}, {"spec", {{"clusterIP", taken}, {"ports", json::array({{{"port", 1}}})}}}};
  EXPECT_EQ(call("POST", "/api/v1/namespaces/default/services", dup.dump()).status, 422);
  callJson("DELETE", "/api/v1/namespaces/default/services/svc-0");
  callJson("POST", "/api/v1/namespaces/default/services", dup, 201);
}

TEST_F(ApiServerTest, SeedServiceNodePortsMakeANodePortServiceFromTheRange) {
  json svc = {{"apiVersion", "v1"}, {"kind", "Service"},
              {"metadata", {{"name", "simple-service"}}},
              {"spec", {{"selector", {{"app", "greet-server"}}},
                        {"ports", json::array({{{"protocol", "TCP"}, {"port", 5000}, {"targetPort", 5000}, {"nodePort", 5000}},
                                               {{"protocol", "TCP"}, {"port", 80}, {"targetPort", 80}, {"nodePort", 80}}})}}}};
  auto r = call("POST", "/api/v1/namespaces/default/services", svc.dump());
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.warnings.size(), 5u);  // the type, each port's name, each port outside the range
  json s = json::parse(r.body);
  EXPECT_EQ(s["spec"]["type"], "NodePort");
  EXPECT_EQ(s["spec"]["ports"][0]["name"], "tcp-5000");
  EXPECT_EQ(s["spec"]["ports"][1]["name"], "tcp-80");
  for (const auto& port : s["spec"]["ports"]) {
    int node_port = port.value("nodePort", 0);
    EXPECT_GE(node_port, 30000);
    EXPECT_LE(node_port, 32767);
  }
  // An explicit ClusterIP type keeps Kubernetes' rule: the nodePorts are dropped.
  svc["metadata"]["name"] = "typed";
  svc["spec"]["type"] = "ClusterIP";
  r = call("POST", "/api/v1/namespaces/default/services", svc.dump());
  ASSERT_EQ(r.status, 201) << r.body;
  s = json::parse(r.body);
  EXPECT_EQ(s["spec"]["type"], "ClusterIP");
  EXPECT_FALSE(s["spec"]["ports"][0].contains("nodePort"));
}

TEST_F(ApiServerTest, PodNamingAMissingNodeIsLeftUnscheduledWithAWarning) {
  json p = pod("greet");
  p["spec"]["nodeName"] = "vahag-node";
  auto r = call("POST", "/api/v1/namespaces/default/pods", p.dump());
  ASSERT_EQ(r.status, 201) << r.body;
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_NE(r.warnings[0].find("vahag-node"), std::string::npos);
  EXPECT_FALSE(json::parse(r.body)["spec"].contains("nodeName"));
}

TEST_F(ApiServerTest, ADeletedNamespaceTerminatesUntilItsFinalizeSubresourceEmptiesSpecFinalizers) {
  json created = callJson("POST", "/api/v1/namespaces", {{"metadata", {{"name", "doomed"}}}}, 201);
  EXPECT_EQ(created["spec"]["finalizers"], json::array({"kubernetes"}));
  EXPECT_EQ(created["status"]["phase"], "Active");
  callJson("POST", "/api/v1/namespaces/doomed/configmaps", {{"metadata", {{"name", "cm"}}}}, 201);
  // spec.finalizers change only through /finalize.
  created["spec"]["finalizers"] = json::array();
  json put = callJson("PUT", "/api/v1/namespaces/doomed", created);
  EXPECT_EQ(put["spec"]["finalizers"], json::array({"kubernetes"}));

  json deleted = callJson("DELETE", "/api/v1/namespaces/doomed");
  EXPECT_EQ(deleted["status"]["phase"], "Terminating");
  EXPECT_TRUE(deleted["metadata"].contains("deletionTimestamp"));
  // It stays, contents and all, until the namespace controller has emptied it.
  EXPECT_EQ(callJson("GET", "/api/v1/namespaces/doomed")["status"]["phase"], "Terminating");
  callJson("GET", "/api/v1/namespaces/doomed/configmaps/cm");
  auto refused = call("POST", "/api/v1/namespaces/doomed/pods", pod("p2").dump());
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(json::parse(refused.body)["message"],
            "pods \"p2\" is forbidden: unable to create new content in namespace doomed because "
            "it is being terminated");
  EXPECT_EQ(json::parse(refused.body)["reason"], "Forbidden");
  auto again = call("DELETE", "/api/v1/namespaces/doomed");
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(json::parse(again.body)["message"],
            "Operation cannot be fulfilled on namespaces \"doomed\": The system is ensuring all "
            "content is removed from this namespace.  Upon completion, this namespace will "
            "automatically be purged by the system.");
  // The controller's conditions go through /status.
  json with_status = callJson("GET", "/api/v1/namespaces/doomed");
  with_status["status"]["conditions"] = {{{"type", "NamespaceContentRemaining"},
                                          {"status", "True"},
                                          {"reason", "SomeResourcesRemain"},
                                          {"message",
                                           "Some resources are remaining: configmaps. "
                                           "has 1 resource instances"}}};
  json status = callJson("PUT", "/api/v1/namespaces/doomed/status", with_status);
  EXPECT_EQ(status["status"]["conditions"][0]["reason"], "SomeResourcesRemain");
  EXPECT_EQ(status["status"]["phase"], "Terminating");

  EXPECT_EQ(call("GET", "/api/v1/namespaces/doomed/finalize").status, 405);
  json finalize = status;
  finalize["spec"]["finalizers"] = json::array();
  callJson("PUT", "/api/v1/namespaces/doomed/finalize", finalize);
  EXPECT_EQ(call("GET", "/api/v1/namespaces/doomed").status, 404);
}

TEST_F(ApiServerTest, ANamespaceWithoutSpecFinalizersIsDeletedAtOnce) {
  json created = callJson("POST", "/api/v1/namespaces", {{"metadata", {{"name", "light"}}}}, 201);
  // Finalized while live (kube-apiserver allows it): nothing holds the delete.
  created["spec"]["finalizers"] = json::array();
  json finalized = callJson("PUT", "/api/v1/namespaces/light/finalize", created);
  EXPECT_FALSE(finalized["spec"].contains("finalizers"));  // omitted when empty, as Kubernetes'
  EXPECT_EQ(finalized["status"]["phase"], "Active");
  callJson("DELETE", "/api/v1/namespaces/light");
  EXPECT_EQ(call("GET", "/api/v1/namespaces/light").status, 404);
  // One left Terminating without finalizers (by the apiserver's old sweep) goes on a DELETE.
  json legacy = {{"apiVersion", "v1"},
                 {"kind", "Namespace"},
                 {"metadata", {{"name", "legacy"}, {"deletionTimestamp", "2026-01-01T00:00:00Z"}}},
                 {"spec", json::object()},
                 {"status", {{"phase", "Terminating"}}}};
  ASSERT_TRUE(store_->create("/registry/namespaces/legacy", legacy.dump()).isOk());
  callJson("DELETE", "/api/v1/namespaces/legacy");
  EXPECT_EQ(call("GET", "/api/v1/namespaces/legacy").status, 404);
}

TEST_F(ApiServerTest, NamespacesStoredWithoutTheFinalizerGetItOnceAtStart) {
  // As an older minik8s stored them: no spec.finalizers.
  json old_ns = {{"apiVersion", "v1"},
                 {"kind", "Namespace"},
                 {"metadata", {{"name", "old"}, {"uid", "u-old"}}},
                 {"spec", json::object()},
                 {"status", {{"phase", "Active"}}}};
  ASSERT_TRUE(store_->create("/registry/namespaces/old", old_ns.dump()).isOk());
  ASSERT_TRUE(store_->remove("/minik8s/migrations/namespace-finalizers").isOk());
  restartServer();
  json got = callJson("GET", "/api/v1/namespaces/old");
  EXPECT_EQ(got["spec"]["finalizers"], json::array({"kubernetes"}));
  // Deleting it now waits for the namespace controller instead of leaving its content.
  json deleted = callJson("DELETE", "/api/v1/namespaces/old");
  EXPECT_EQ(deleted["status"]["phase"], "Terminating");
  EXPECT_EQ(call("GET", "/api/v1/namespaces/old").status, 200);
  // The migration runs once: a namespace finalized on purpose afterwards stays finalized.
  json light = callJson("POST", "/api/v1/namespaces", {{"metadata", {{"name", "light"}}}}, 201);
  light["spec"]["finalizers"] = json::array();
  callJson("PUT", "/api/v1/namespaces/light/finalize", light);
  restartServer();
  EXPECT_FALSE(callJson("GET", "/api/v1/namespaces/light")["spec"].contains("finalizers"));
}

TEST_F(ApiServerTest, PropagationPolicyPutsTheCollectorsFinalizerOnTheObject) {
  const std::string cms = "/api/v1/namespaces/default/configmaps";
  for (const char* name : {"fg", "or"}) {
    callJson("POST", cms, {{"metadata", {{"name", name}}}}, 201);
  }
  json fg = callJson("DELETE", cms + "/fg", {{"propagationPolicy", "Foreground"}});
  EXPECT_TRUE(fg["metadata"].contains("deletionTimestamp"));
  EXPECT_EQ(fg["metadata"]["finalizers"], json::array({"foregroundDeletion"}));
  // The query parameter works as the body does; a second delete may switch the policy.
  json orphan = callJson("DELETE", cms + "/or?propagationPolicy=Orphan");
  EXPECT_EQ(orphan["metadata"]["finalizers"], json::array({"orphan"}));
  json switched = callJson("DELETE", cms + "/or", {{"propagationPolicy", "Foreground"}});
  EXPECT_EQ(switched["metadata"]["finalizers"], json::array({"foregroundDeletion"}));
  // Held until the finalizer is gone, then removed by that update.
  EXPECT_EQ(call("GET", cms + "/fg").status, 200);
  json clear = {{"metadata", {{"finalizers", nullptr}}}};
  auto r = call("PATCH", cms + "/fg", clear.dump(),
                {{"Content-Type", "application/merge-patch+json"}});
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(call("GET", cms + "/fg").status, 404);
  // Background deletes at once; an unknown policy is refused and deletes nothing.
  callJson("POST", cms, {{"metadata", {{"name", "bg"}}}}, 201);
  auto bad = call("DELETE", cms + "/bg", json({{"propagationPolicy", "Sideways"}}).dump());
  EXPECT_EQ(bad.status, 422) << bad.body;
  EXPECT_EQ(call("GET", cms + "/bg").status, 200);
  callJson("DELETE", cms + "/bg", {{"propagationPolicy", "Background"}});
  EXPECT_EQ(call("GET", cms + "/bg").status, 404);
}

TEST_F(ApiServerTest, AFinalizedPodStaysUntilItsFinalizersAreRemoved) {
  json p = pod("held");
  p["metadata"]["finalizers"] = {"example.com/hold"};
  callJson("POST", "/api/v1/namespaces/default/pods", p, 201);
  json marked = callJson("DELETE", "/api/v1/namespaces/default/pods/held");
  EXPECT_EQ(marked["metadata"]["deletionGracePeriodSeconds"], 0);  // unbound: no grace
  EXPECT_EQ(call("GET", "/api/v1/namespaces/default/pods/held").status, 200);
  json clear = {{"metadata", {{"finalizers", nullptr}}}};
  auto r = call("PATCH", "/api/v1/namespaces/default/pods/held", clear.dump(),
                {{"Content-Type", "application/merge-patch+json"}});
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(call("GET", "/api/v1/namespaces/default/pods/held").status, 404);
}

TEST_F(ApiServerTest, DefaultNamespacesAndKubernetesServiceExist) {
  for (const char* ns : {"default", "kube-system", "kube-public"}) {
    EXPECT_EQ(call("GET", std::string("/api/v1/namespaces/") + ns).status, 200) << ns;
  }
  json svc = callJson("GET", "/api/v1/namespaces/default/services/kubernetes");
  EXPECT_EQ(svc["spec"]["clusterIP"], "10.96.0.1");
  // The apiserver's own address and port (6443 when, as here, the port is picked at bind).
  const std::string endpoints = "/api/v1/namespaces/default/endpoints/kubernetes";
  json ep = callJson("GET", endpoints);
  EXPECT_EQ(ep["subsets"][0]["ports"][0]["port"], 6443);
  // A restart writes nothing when they are right, and puts them right when they are not.
  std::string rv = ep["metadata"]["resourceVersion"];
  restartServer();
  EXPECT_EQ(callJson("GET", endpoints)["metadata"]["resourceVersion"], rv);
  json wrong = ep;
  wrong["subsets"][0]["ports"][0]["port"] = 1;
  wrong["metadata"].erase("resourceVersion");
  callJson("PUT", endpoints, wrong);
  restartServer();
  EXPECT_EQ(callJson("GET", endpoints)["subsets"][0]["ports"][0]["port"], 6443);
}

TEST_F(ApiServerTest, PodsGetTheDefaultNoExecuteTolerations) {
  json made = callJson("POST", "/api/v1/namespaces/default/pods", pod("tol"), 201);
  json want = json::array(
      {{{"key", "node.kubernetes.io/not-ready"}, {"operator", "Exists"}, {"effect", "NoExecute"},
        {"tolerationSeconds", 300}},
       {{"key", "node.kubernetes.io/unreachable"}, {"operator", "Exists"}, {"effect", "NoExecute"},
        {"tolerationSeconds", 300}}});
  EXPECT_EQ(made["spec"]["tolerations"], want);
  // A pod that tolerates one of them keeps its own; one that tolerates everything gets none.
  json own = pod("own");
  own["spec"]["tolerations"] = {{{"key", "node.kubernetes.io/unreachable"}, {"operator", "Exists"},
                                 {"effect", "NoExecute"}, {"tolerationSeconds", 5}}};
  made = callJson("POST", "/api/v1/namespaces/default/pods", own, 201);
  ASSERT_EQ(made["spec"]["tolerations"].size(), 2u);
  EXPECT_EQ(made["spec"]["tolerations"][0]["tolerationSeconds"], 5);
  EXPECT_EQ(made["spec"]["tolerations"][1]["key"], "node.kubernetes.io/not-ready");
  json all = pod("all");
  all["spec"]["tolerations"] = {{{"operator", "Exists"}}};
  made = callJson("POST", "/api/v1/namespaces/default/pods", all, 201);
  EXPECT_EQ(made["spec"]["tolerations"].size(), 1u);
  // The seconds come from the server's options.
  ApiServerOptions options;
  options.admission.default_unreachable_toleration_seconds = 7;
  server_->stop();
  server_.reset();
  startServer(options);
  made = callJson("POST", "/api/v1/namespaces/default/pods", pod("short"), 201);
  EXPECT_EQ(made["spec"]["tolerations"][1]["tolerationSeconds"], 7);
}

TEST_F(ApiServerTest, GracefulPodDeletionWaitsForTheNode) {
  callJson("POST", "/api/v1/nodes", {{"metadata", {{"name", "n1"}}}}, 201);
  callJson("POST", "/api/v1/namespaces/default/pods", pod("g"), 201);
  json binding = {{"apiVersion", "v1"}, {"kind", "Binding"}, {"metadata", {{"name", "g"}}},
                  {"target", {{"kind", "Node"}, {"name", "n1"}}}};
  callJson("POST", "/api/v1/namespaces/default/pods/g/binding", binding, 201);
  EXPECT_EQ(call("POST", "/api/v1/namespaces/default/pods/g/binding", binding.dump()).status, 409);
  json marked = callJson("DELETE", "/api/v1/namespaces/default/pods/g");
  EXPECT_TRUE(marked["metadata"].contains("deletionTimestamp"));
  EXPECT_EQ(call("GET", "/api/v1/namespaces/default/pods/g").status, 200);
  // The node confirms with grace 0.
  callJson("DELETE", "/api/v1/namespaces/default/pods/g", {{"gracePeriodSeconds", 0}});
  EXPECT_EQ(call("GET", "/api/v1/namespaces/default/pods/g").status, 404);
  // An unbound pod goes at once.
  callJson("POST", "/api/v1/namespaces/default/pods", pod("u"), 201);
  callJson("DELETE", "/api/v1/namespaces/default/pods/u");
  EXPECT_EQ(call("GET", "/api/v1/namespaces/default/pods/u").status, 404);
}

TEST_F(ApiServerTest, StatusSubresourceSeparatesSpecAndStatusWrites) {
  json created = callJson("POST", "/api/v1/namespaces/default/pods", pod("s"), 201);
  json with_status = created;
  with_status["status"]["phase"] = "Running";
  with_status["metadata"]["labels"] = {{"via", "main"}};
  json main = callJson("PUT", "/api/v1/namespaces/default/pods/s", with_status);
  EXPECT_EQ(main["status"]["phase"], "Pending");  // main resource ignores status
  EXPECT_EQ(main["metadata"]["labels"]["via"], "main");
  json status_write = main;
  status_write["status"]["phase"] = "Running";
  status_write["metadata"]["labels"] = {{"via", "status"}};
  json st = callJson("PUT", "/api/v1/namespaces/default/pods/s/status", status_write);
  EXPECT_EQ(st["status"]["phase"], "Running");
  EXPECT_EQ(st["metadata"]["labels"]["via"], "main");  // status ignores the rest
}

TEST_F(ApiServerTest, GenerationCountsSpecChangesOnly) {
  json d = sampleOf(*api::findResource("apps", "v1", "deployments"), "gen");
  json created = callJson("POST", "/apis/apps/v1/namespaces/default/deployments", d, 201);
  EXPECT_EQ(created["metadata"]["generation"], 1);
  created["metadata"]["labels"] = {{"a", "b"}};
  json labelled = callJson("PUT", "/apis/apps/v1/namespaces/default/deployments/gen", created);
  EXPECT_EQ(labelled["metadata"]["generation"], 1);
  auto scaled = call("PATCH", "/apis/apps/v1/namespaces/default/deployments/gen/scale",
                     R"({"spec":{"replicas":3}})", {{"Content-Type", "application/merge-patch+json"}});
  ASSERT_EQ(scaled.status, 200) << scaled.body;
  json scale = json::parse(scaled.body);
  EXPECT_EQ(scale["kind"], "Scale");
  EXPECT_EQ(scale["spec"]["replicas"], 3);
  EXPECT_EQ(scale["status"]["selector"], "app=gen");
  json after = callJson("GET", "/apis/apps/v1/namespaces/default/deployments/gen");
  EXPECT_EQ(after["metadata"]["generation"], 2);
  EXPECT_EQ(after["spec"]["replicas"], 3);
}

TEST_F(ApiServerTest, BadInputGetsClearErrorsAndChangesNothing) {
  auto before = store_->currentRevision();
  ASSERT_TRUE(before.isOk());
  struct Case {
    std::string body;
    std::string content_type;
    int code;
  };
  std::vector<Case> cases = {
      {"{not json", "application/json", 400},
      {"metadata: [unclosed", "application/yaml", 400},
      {R"({"apiVersion":"apps/v1","kind":"Pod","metadata":{"name":"x"}})", "application/json", 400},
      {R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"x"}})", "application/json", 400},
      {R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"Bad_Name"},"spec":{"containers":[{"name":"c","image":"i"}]}})",
       "application/json", 422},
      {R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"x"},"spec":{}})", "application/json", 422},
      {R"([1,2,3])", "application/json", 400},
      // Mistyped fields read before the typed decode: 400s, not a thrown type error (500).
      {R"({"apiVersion":5,"kind":"Pod","metadata":{"name":"x"}})", "application/json", 400},
      {R"({"apiVersion":"v1","kind":["Pod"],"metadata":{"name":"x"}})", "application/json", 400},
      {R"({"metadata":{"name":5},"spec":{"containers":[{"name":"c","image":"i"}]}})", "application/json", 400},
      {R"({"metadata":{"name":"x","namespace":{}},"spec":{"containers":[{"name":"c","image":"i"}]}})",
       "application/json", 400},
  };
  for (const auto& c : cases) {
    auto r = call("POST", "/api/v1/namespaces/default/pods", c.body, {{"Content-Type", c.content_type}});
    EXPECT_EQ(r.status, c.code) << c.body << " -> " << r.body;
    json status = json::parse(r.body, nullptr, false);
    EXPECT_EQ(status["kind"], "Status") << r.body;
    EXPECT_FALSE(status.value("message", "").empty());
  }
  // A PUT whose name or namespace is mistyped: 400, not a 500.
  EXPECT_EQ(call("PUT", "/api/v1/namespaces/default/pods/x",
                 R"({"metadata":{"name":7},"spec":{"containers":[{"name":"c","image":"i"}]}})")
                .status,
            400);
  EXPECT_EQ(call("PUT", "/api/v1/namespaces/default/pods/x",
                 R"({"metadata":{"namespace":7},"spec":{"containers":[{"name":"c","image":"i"}]}})")
                .status,
            400);
  // 4 MiB body: 413, and the server keeps serving.
  std::string huge(4 * 1024 * 1024, 'x');
  auto big = call("POST", "/api/v1/namespaces/default/pods", huge);
  EXPECT_TRUE(big.status == 413 || big.status == -1) << big.status;
  EXPECT_EQ(call("GET", "/version").status, 200);
  auto after = store_->currentRevision();
  ASSERT_TRUE(after.isOk());
  EXPECT_EQ(*before, *after);
}

TEST_F(ApiServerTest, BrokenAndSlowConnectionsDoNotDisturbTheServer) {
  ApiServerOptions options;
  options.http.header_timeout_seconds = 1;
  server_->stop();
  server_.reset();
  startServer(options);
  auto before = store_->currentRevision();
  ASSERT_TRUE(before.isOk());
  {
    // A request cut off mid-body.
    HttpConnection cut(server_->port());
    ASSERT_TRUE(cut.send("POST /api/v1/namespaces/default/pods HTTP/1.1\r\nHost: x\r\n"
                         "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"meta"));
  }
  // A client sending one byte at a time is cut off at the header timeout.
  HttpConnection slow(server_->port());
  std::string line = "GET /api/v1/namespaces HTTP/1.1\r\n";
  auto start = std::chrono::steady_clock::now();
  bool cut_off = false;
  for (char c : line) {
    if (!slow.send(std::string(1, c))) {
      cut_off = true;
      break;
    }
    std::this_thread::sleep_for(100ms);
    HttpResult ignored;
    if (std::chrono::steady_clock::now() - start > 1500ms) {
      cut_off = !slow.readHead(&ignored, 500ms) || ignored.status >= 400;
      break;
    }
  }
  EXPECT_TRUE(cut_off);
  // Everyone else is served, and nothing was stored.
  EXPECT_EQ(call("GET", "/api/v1/namespaces/default/pods").status, 200);
  auto after = store_->currentRevision();
  ASSERT_TRUE(after.isOk());
  EXPECT_EQ(*before, *after);
}

TEST_F(ApiServerTest, InvalidFieldsNameEachCause) {
  auto r = call("POST", "/api/v1/namespaces/default/pods",
                R"({"metadata":{"name":"bad"},"spec":{"containers":[{"name":"c","image":"i","ports":[{"containerPort":70000}]}]}})");
  ASSERT_EQ(r.status, 422);
  json status = json::parse(r.body);
  EXPECT_EQ(status["reason"], "Invalid");
  EXPECT_EQ(status["details"]["kind"], "Pod");
  EXPECT_EQ(status["details"]["name"], "bad");  // kubectl: The Pod "bad" is invalid
  ASSERT_FALSE(status["details"]["causes"].empty());
  EXPECT_EQ(status["details"]["causes"][0]["field"], "spec.containers[0].ports[0].containerPort");
}

TEST_F(ApiServerTest, UnknownFieldsWarnOrFailUnderStrictValidation) {
  json p = pod("uf");
  p["spec"]["bogusField"] = 1;
  auto lax = call("POST", "/api/v1/namespaces/default/pods", p.dump());
  EXPECT_EQ(lax.status, 201);
  ASSERT_EQ(lax.warnings.size(), 1u);
  EXPECT_NE(lax.warnings[0].find("spec.bogusField"), std::string::npos);
  p["metadata"]["name"] = "uf2";
  auto strict = call("POST", "/api/v1/namespaces/default/pods?fieldValidation=Strict", p.dump());
  EXPECT_EQ(strict.status, 400);
  EXPECT_NE(strict.body.find("unknown field"), std::string::npos);
}

TEST_F(ApiServerTest, ServesVersionDiscoveryAndMetrics) {
  json v = callJson("GET", "/version");
  EXPECT_EQ(v["minor"], "32");
  auto agg = call("GET", "/api", "", {{"Accept", "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"}});
  EXPECT_EQ(agg.headers["content-type"], "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList");
  auto legacy = callJson("GET", "/apis");
  EXPECT_EQ(legacy["kind"], "APIGroupList");
  callJson("GET", "/apis/apps/v1");
  auto metrics = call("GET", "/metrics");
  EXPECT_NE(metrics.body.find("apiserver_request_total"), std::string::npos);
  EXPECT_NE(metrics.body.find("etcd_request_duration_seconds"), std::string::npos);
}

TEST_F(ApiServerTest, AnIngressWithoutAClassGetsTheDefaultIngressClass) {
  const std::string classes = "/apis/networking.k8s.io/v1/ingressclasses";
  const std::string ingresses = "/apis/networking.k8s.io/v1/namespaces/default/ingresses";
  auto ingress = [](const std::string& name) {
    return json{{"metadata", {{"name", name}}},
                {"spec", {{"defaultBackend", {{"service", {{"name", "s"}, {"port", {{"number", 80}}}}}}}}}};
  };
  auto class_of = [&](const json& body) {
    auto r = call("POST", ingresses, body.dump());
    EXPECT_EQ(r.status, 201) << r.body;
    return json::parse(r.body, nullptr, false)["spec"].value("ingressClassName", "<none>");
  };
  EXPECT_EQ(class_of(ingress("before")), "<none>");  // no default class yet
  ASSERT_EQ(call("POST", classes, R"({"metadata":{"name":"plain"},"spec":{"controller":"example.com/a"}})").status, 201);
  ASSERT_EQ(call("POST", classes,
                 R"({"metadata":{"name":"ours","annotations":{"ingressclass.kubernetes.io/is-default-class":"true"}},)"
                 R"("spec":{"controller":"example.com/b"}})")
                .status,
            201);
  EXPECT_EQ(class_of(ingress("classless")), "ours");
  json named = ingress("named");
  named["spec"]["ingressClassName"] = "plain";
  EXPECT_EQ(class_of(named), "plain");
  json legacy = ingress("legacy");
  legacy["metadata"]["annotations"] = {{"kubernetes.io/ingress.class", "plain"}};
  EXPECT_EQ(class_of(legacy), "<none>");  // the annotation names it; it is left alone
  // Only creates: an update that drops the class keeps it dropped.
  auto got = call("GET", ingresses + "/classless");
  json classless = json::parse(got.body);
  classless["spec"].erase("ingressClassName");
  auto put = call("PUT", ingresses + "/classless", classless.dump());
  EXPECT_EQ(put.status, 200) << put.body;
  EXPECT_FALSE(json::parse(put.body)["spec"].contains("ingressClassName"));
}

TEST_F(ApiServerTest, ServesTheResourcesOfACustomResourceDefinition) {
  const std::string widgets = "/apis/example.com/v1/namespaces/default/widgets";
  EXPECT_EQ(call("GET", widgets).status, 404);
  json crd = callJson("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
                      widgetCrd(), 201);
  EXPECT_EQ(crd["status"]["acceptedNames"]["kind"], "Widget");
  json discovery = callJson("GET", "/apis/example.com/v1");
  ASSERT_EQ(discovery["resources"].size(), 3u);  // widgets, widgets/status, widgets/scale
  EXPECT_EQ(discovery["resources"][0]["name"], "widgets");

  // Watch, create (defaulted, pruned), refuse an invalid one.
  HttpConnection watch(server_->port());
  ASSERT_TRUE(watch.sendRequest("GET", widgets + "?watch=1", "", {}));
  HttpResult head;
  ASSERT_TRUE(watch.readHead(&head, 5s));
  json w = {{"apiVersion", "example.com/v1"},
            {"kind", "Widget"},
            {"metadata", {{"name", "w1"}}},
            {"spec", {{"size", 3}, {"extra", true}}},
            {"status", {{"ready", 9}}}};
  json created = callJson("POST", widgets, w, 201);
  EXPECT_EQ(created["spec"], json({{"color", "blue"}, {"size", 3}}));
  EXPECT_FALSE(created.contains("status"));  // written only through widgets/status
  auto events = readEvents(watch, 1);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["type"], "ADDED");
  EXPECT_EQ(events[0]["object"]["metadata"]["name"], "w1");
  json big = w;
  big["metadata"]["name"] = "big";
  big["spec"]["size"] = 11;
  auto refused = call("POST", widgets, big.dump());
  EXPECT_EQ(refused.status, 422) << refused.body;
  EXPECT_NE(refused.body.find("spec.size"), std::string::npos);

  // The status and scale subresources, and the other version.
  json status = callJson("GET", widgets + "/w1/status");
  status["status"] = {{"ready", 2}};
  EXPECT_EQ(callJson("PUT", widgets + "/w1/status", status)["status"]["ready"], 2);
  json scale = callJson("GET", widgets + "/w1/scale");
  EXPECT_EQ(scale["spec"]["replicas"], 3);
  EXPECT_EQ(scale["status"]["replicas"], 2);
  scale["spec"]["replicas"] = 7;
  callJson("PUT", widgets + "/w1/scale", scale);
  json beta = callJson("GET", "/apis/example.com/v1beta1/namespaces/default/widgets/w1");
  EXPECT_EQ(beta["apiVersion"], "example.com/v1beta1");
  EXPECT_EQ(beta["spec"]["size"], 7);
  json beta_list = callJson("GET", "/apis/example.com/v1beta1/widgets");
  ASSERT_EQ(beta_list["items"].size(), 1u);
  EXPECT_EQ(beta_list["items"][0]["apiVersion"], "example.com/v1beta1");
  beta["spec"]["size"] = 4;
  callJson("PUT", "/apis/example.com/v1beta1/namespaces/default/widgets/w1", beta);
  json stored = callJson("GET", widgets + "/w1");
  EXPECT_EQ(stored["apiVersion"], "example.com/v1");
  EXPECT_EQ(stored["spec"]["size"], 4);

  // Deleting the CRD deletes its objects, and the resource is no longer served.
  callJson("DELETE", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com");
  EXPECT_EQ(call("GET", widgets).status, 404);
  auto left = store_->list("/registry/example.com/widgets/");
  ASSERT_TRUE(left.isOk());
  EXPECT_TRUE(left->items.empty());
}

}  // namespace apiserver_test
}  // namespace minik8s::apiserver
