// The node lifecycle and taint eviction controllers over the fake client, prefilled
// caches and the fake clock.
#include "controller/node_lifecycle.h"

#include <gtest/gtest.h>

#include "client/fake_client.h"
#include "controller/fixtures.h"
#include "controller/pod_util.h"
#include "controller/taint_eviction.h"

namespace minik8s::controller {
namespace node_lifecycle_test {

using nlohmann::json;
using namespace std::chrono_literals;
using testing::decoded;
using testing::podJson;


json nodeJson(const std::string& name, const std::string& ready = "True",
              const std::string& heartbeat = "2026-01-01T00:00:00Z") {
  return {{"apiVersion", "v1"},
          {"kind", "Node"},
          {"metadata", {{"name", name}, {"uid", "uid-" + name}}},
          {"status",
           {{"conditions",
             {{{"type", "Ready"}, {"status", ready}, {"reason", "KubeletReady"},
               {"lastHeartbeatTime", heartbeat}, {"lastTransitionTime", "2026-01-01T00:00:00Z"}}}}}}};
}

api::Taint taint(const std::string& key, const std::string& effect, const std::string& added = "") {
  return {.key = key, .value = "", .effect = effect, .time_added = added};
}

TEST(TaintsFor, FollowTheReadyConditionAndTheSpec) {
  auto keys = [](const std::vector<api::Taint>& taints) {
    std::vector<std::string> out;
    for (const auto& t : taints) out.push_back(t.key + ":" + t.effect);
    return out;
  };
  EXPECT_TRUE(taintsFor(decoded<api::Node>(nodeJson("n")), true).empty());
  EXPECT_EQ(keys(taintsFor(decoded<api::Node>(nodeJson("n", "False")), true)),
            (std::vector<std::string>{"node.kubernetes.io/not-ready:NoSchedule",
                                      "node.kubernetes.io/not-ready:NoExecute"}));
  EXPECT_EQ(keys(taintsFor(decoded<api::Node>(nodeJson("n", "Unknown")), false)),
            std::vector<std::string>{"node.kubernetes.io/unreachable:NoSchedule"});
  json cordoned = nodeJson("n");
  cordoned["spec"]["unschedulable"] = true;
  cordoned["status"]["conditions"].push_back({{"type", "MemoryPressure"}, {"status", "True"}});
  EXPECT_EQ(keys(taintsFor(decoded<api::Node>(cordoned), true)),
            (std::vector<std::string>{"node.kubernetes.io/memory-pressure:NoSchedule",
                                      "node.kubernetes.io/unschedulable:NoSchedule"}));
}

TEST(ReconcileTaints, KeepsForeignTaintsAndTimeAdded) {
  std::vector<api::Taint> current = {taint("example.com/gpu", "NoSchedule"),
                                     taint("node.kubernetes.io/unreachable", "NoExecute", "T0")};
  EXPECT_FALSE(reconcileTaints(current, {taint("node.kubernetes.io/unreachable", "NoExecute")}, "T1"));
  auto cleared = reconcileTaints(current, {}, "T1");
  ASSERT_TRUE(cleared);
  ASSERT_EQ(cleared->size(), 1u);
  EXPECT_EQ((*cleared)[0].key, "example.com/gpu");
  auto added = reconcileTaints({}, {taint("node.kubernetes.io/not-ready", "NoExecute"),
                                    taint("node.kubernetes.io/not-ready", "NoSchedule")}, "T1");
  ASSERT_TRUE(added);
  EXPECT_EQ((*added)[0].time_added, "T1");
  EXPECT_EQ((*added)[1].time_added, "");  // NoSchedule taints carry no timeAdded
}

TEST(EvictionsAllowed, StopInFullAndPartialDisruption) {
  EXPECT_TRUE(evictionsAllowed(2, 1, 0.55));
  EXPECT_FALSE(evictionsAllowed(0, 1, 0.55));   // every node down: the control plane's fault?
  EXPECT_TRUE(evictionsAllowed(1, 2, 0.55));    // fewer than 3 not ready
  EXPECT_FALSE(evictionsAllowed(2, 3, 0.55));   // 60% of 5
  EXPECT_TRUE(evictionsAllowed(10, 3, 0.55));
}

TEST(EvictionDelay, TheSmallestTolerationOfTheTaintsApplies) {
  std::vector<api::Taint> unreachable = {taint("node.kubernetes.io/unreachable", "NoExecute")};
  api::Toleration t300{.key = "node.kubernetes.io/unreachable", .op = "Exists", .value = "",
                       .effect = "NoExecute", .toleration_seconds = 300};
  api::Toleration t5 = t300;
  t5.toleration_seconds = 5;
  api::Toleration forever{.key = "", .op = "Exists", .value = "", .effect = "", .toleration_seconds = {}};
  EXPECT_EQ(evictionDelay({}, unreachable), 0s);
  EXPECT_EQ(evictionDelay({t300}, unreachable), 300s);
  EXPECT_EQ(evictionDelay({t300, t5}, unreachable), 5s);
  EXPECT_EQ(evictionDelay({forever}, unreachable), std::nullopt);
  EXPECT_EQ(evictionDelay({t300}, {taint("node.kubernetes.io/unreachable", "NoSchedule")}), std::nullopt);
  std::vector<api::Taint> both = {unreachable[0], taint("example.com/x", "NoExecute")};
  EXPECT_EQ(evictionDelay({t300}, both), 0s);  // one taint not tolerated: now
}

class NodeLifecycleTest : public ::testing::Test {
 protected:
  void addNode(const json& node) {
    client_.add(nodesResource(), node);
    refreshNode(node["metadata"]["name"].get<std::string>());
  }
  void refreshNode(const std::string& name) {
    auto stored = client_.object(nodesResource(), "", name);
    if (stored) nodes_.add(decoded<api::Node>(*stored));
  }
  void renewLease(const std::string& node, const std::string& when) {
    json lease = {{"apiVersion", "coordination.k8s.io/v1"}, {"kind", "Lease"},
                  {"metadata", {{"name", node}, {"namespace", "kube-node-lease"}}},
                  {"spec", {{"holderIdentity", node}, {"renewTime", when}}}};
    leases_.add(decoded<api::Lease>(lease));
  }
  json node(const std::string& name) { return *client_.object(nodesResource(), "", name); }

  FakeClock clock_;
  client::FakeClient client_{clock_};
  client::ObjectCache<api::Node> nodes_;
  client::ObjectCache<api::Lease> leases_;
  client::ObjectCache<api::Pod> pods_;
  NodeLifecycleOptions options_{.monitor_period = 1s, .grace_period = 4s,
                                .startup_grace_period = 10s, .unhealthy_zone_threshold = 0.55};
  NodeLifecycleController controller_{client_, nodes_, leases_, pods_, options_, clock_};
};

TEST_F(NodeLifecycleTest, ASilentNodeBecomesUnknownAndTaintedAndComesBack) {
  addNode(nodeJson("a"));
  addNode(nodeJson("b"));
  json pod = podJson("p", "", "a", "Running", true);
  client_.add(podsResource(), pod);
  pods_.add(decoded<api::Pod>(pod));
  renewLease("a", "t0");
  renewLease("b", "t0");
  ASSERT_TRUE(controller_.monitorNodeHealth().isOk());
  EXPECT_TRUE(client_.writes().empty());
  // b renews its lease, a does not: after the grace period only a is Unknown.
  for (int i = 1; i <= 5; ++i) {
    clock_.advance(1s);
    renewLease("b", "t" + std::to_string(i));
    ASSERT_TRUE(controller_.monitorNodeHealth().isOk());
    refreshNode("a");
    refreshNode("b");
  }
  EXPECT_EQ(node("a")["status"]["conditions"][0]["status"], "Unknown");
  EXPECT_EQ(node("a")["status"]["conditions"][0]["reason"], "NodeStatusUnknown");
  EXPECT_EQ(node("b")["status"]["conditions"][0]["status"], "True");
  // Its pod is no longer Ready; the taints follow on the next pass.
  EXPECT_EQ((*client_.object(podsResource(), "default", "p"))["status"]["conditions"][0]["status"], "False");
  ASSERT_TRUE(controller_.monitorNodeHealth().isOk());
  refreshNode("a");
  json taints = node("a")["spec"]["taints"];
  ASSERT_EQ(taints.size(), 2u) << taints;
  EXPECT_EQ(taints[0]["key"], "node.kubernetes.io/unreachable");
  EXPECT_EQ(taints[1]["effect"], "NoExecute");
  EXPECT_TRUE(taints[1].contains("timeAdded"));
  EXPECT_FALSE(node("b")["spec"].contains("taints"));
  // The kubelet posts Ready again: the taints go.
  json back = node("a");
  back["status"]["conditions"][0]["status"] = "True";
  back["status"]["conditions"][0]["lastHeartbeatTime"] = "2026-01-01T00:00:09Z";
  ASSERT_TRUE(client_.update(nodesResource(), "", back, "status").isOk());
  refreshNode("a");
  ASSERT_TRUE(controller_.monitorNodeHealth().isOk());
  refreshNode("a");
  EXPECT_TRUE(node("a")["spec"].value("taints", json::array()).empty()) << node("a");
}

TEST_F(NodeLifecycleTest, WhenEveryNodeIsDownNothingIsEvicted) {
  addNode(nodeJson("only", "Unknown"));
  ASSERT_TRUE(controller_.monitorNodeHealth().isOk());
  refreshNode("only");
  json taints = node("only")["spec"]["taints"];
  ASSERT_EQ(taints.size(), 1u) << taints;
  EXPECT_EQ(taints[0]["effect"], "NoSchedule");
}

TEST_F(NodeLifecycleTest, ANodeThatNeverReportedGetsTheStartupGracePeriod) {
  json fresh = nodeJson("fresh");
  fresh["status"].erase("conditions");
  addNode(fresh);
  addNode(nodeJson("other"));
  renewLease("other", "t0");
  Status first = controller_.monitorNodeHealth();
  ASSERT_TRUE(first.isOk()) << first.toString();
  for (int i = 1; i <= 6; ++i) {
    clock_.advance(1s);
    renewLease("other", "t" + std::to_string(i));
    ASSERT_TRUE(controller_.monitorNodeHealth().isOk());
    refreshNode("fresh");
    refreshNode("other");
  }
  refreshNode("fresh");
  EXPECT_FALSE(node("fresh")["status"].contains("conditions"));  // 6 s < 10 s
  for (int i = 7; i <= 11; ++i) {
    clock_.advance(1s);
    renewLease("other", "t" + std::to_string(i));
    ASSERT_TRUE(controller_.monitorNodeHealth().isOk());
    refreshNode("fresh");
    refreshNode("other");
  }
  refreshNode("fresh");
  EXPECT_EQ(node("fresh")["status"]["conditions"][0]["reason"], "NodeStatusNeverUpdated");
}

class TaintEvictionTest : public ::testing::Test {
 protected:
  void addNode(json node) {
    client_.add(nodesResource(), node);
    nodes_.add(decoded<api::Node>(
        *client_.object(nodesResource(), "", node["metadata"]["name"].get<std::string>())));
  }
  void addPod(json pod) {
    client_.add(podsResource(), pod);
    pods_.add(decoded<api::Pod>(
        *client_.object(podsResource(), "default", pod["metadata"]["name"].get<std::string>())));
  }

  FakeClock clock_;
  client::FakeClient client_{clock_};
  client::ObjectCache<api::Pod> pods_;
  client::ObjectCache<api::Node> nodes_;
  TaintEvictionController controller_{client_, pods_, nodes_, clock_};
};

TEST_F(TaintEvictionTest, EvictsWhenTheTolerationRunsOut) {
  json n = nodeJson("a", "Unknown");
  n["spec"]["taints"] = {{{"key", "node.kubernetes.io/unreachable"}, {"effect", "NoExecute"},
                          {"timeAdded", formatRfc3339(clock_.now())}}};
  addNode(n);
  json pod = podJson("p", "", "a", "Running", true);
  pod["spec"]["tolerations"] = {{{"key", "node.kubernetes.io/unreachable"}, {"operator", "Exists"},
                                 {"effect", "NoExecute"}, {"tolerationSeconds", 2}}};
  addPod(pod);
  json forever = podJson("stays", "", "a", "Running", true);
  forever["spec"]["tolerations"] = {{{"operator", "Exists"}}};
  addPod(forever);
  client_.clearActions();
  ASSERT_TRUE(controller_.sync("default/p").isOk());
  ASSERT_TRUE(controller_.sync("default/stays").isOk());
  EXPECT_TRUE(client_.writes().empty());  // 2 s to go
  clock_.advance(2s);
  ASSERT_TRUE(controller_.sync("default/p").isOk());
  ASSERT_TRUE(controller_.sync("default/stays").isOk());
  std::vector<std::string> summaries;
  for (const auto& a : client_.writes()) summaries.push_back(a.summary() + " " + a.name);
  EXPECT_EQ(summaries, (std::vector<std::string>{"create events ", "patch pods/status p",
                                                 "delete pods p"}))
      << ::testing::PrintToString(summaries);
  EXPECT_FALSE(client_.object(podsResource(), "default", "p"));
  EXPECT_TRUE(client_.object(podsResource(), "default", "stays"));
}

TEST_F(TaintEvictionTest, AnUntoleratedTaintEvictsAtOnceAndNoTaintNever) {
  json tainted = nodeJson("t");
  tainted["spec"]["taints"] = {{{"key", "example.com/drain"}, {"effect", "NoExecute"}}};
  addNode(tainted);
  addNode(nodeJson("clean"));
  addPod(podJson("on-tainted", "", "t", "Running", true));
  addPod(podJson("on-clean", "", "clean", "Running", true));
  client_.clearActions();
  ASSERT_TRUE(controller_.sync("default/on-clean").isOk());
  EXPECT_TRUE(client_.writes().empty());
  ASSERT_TRUE(controller_.sync("default/on-tainted").isOk());
  EXPECT_FALSE(client_.object(podsResource(), "default", "on-tainted"));
}

}  // namespace node_lifecycle_test
}  // namespace minik8s::controller
