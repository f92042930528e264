// The DaemonSet controller over the fake client and prefilled caches.
#include "controller/daemonset.h"

#include <gtest/gtest.h>

#include "client/fake_client.h"
#include "controller/fixtures.h"
#include "controller/pod_util.h"

namespace minik8s::controller {
namespace daemonset_test {

using nlohmann::json;
using testing::decoded;

const api::ResourceInfo& dsResource() { return *api::findResource("apps", "v1", "daemonsets"); }

json daemonSetJson(const std::string& image = "agent:1") {
  return {{"apiVersion", "apps/v1"},
          {"kind", "DaemonSet"},
          {"metadata", {{"name", "agent"}, {"namespace", "default"}, {"uid", "ds-uid"}, {"generation", 1}}},
          {"spec",
           {{"selector", {{"matchLabels", {{"app", "agent"}}}}},
            {"template",
             {{"metadata", {{"labels", {{"app", "agent"}}}}},
              {"spec", {{"containers", {{{"name", "c"}, {"image", image}}}},
                        {"nodeSelector", {{"role", "worker"}}}}}}},
            {"updateStrategy", {{"type", "RollingUpdate"}, {"rollingUpdate", {{"maxUnavailable", 1}}}}}}}};
}

json nodeJson(const std::string& name, bool worker = true) {
  json n = {{"apiVersion", "v1"}, {"kind", "Node"}, {"metadata", {{"name", name}, {"labels", json::object()}}}};
  if (worker) n["metadata"]["labels"]["role"] = "worker";
  return n;
}

class DaemonSetTest : public ::testing::Test {
 protected:
  void addSet(const json& ds) {
    client_.add(dsResource(), ds);
    sets_.add(decoded<api::DaemonSet>(*client_.object(dsResource(), "default", "agent")));
  }
  void addNode(const json& node) { nodes_.add(decoded<api::Node>(node)); }
  void addPod(json pod) {
    client_.add(podsResource(), pod);
    pods_.add(decoded<api::Pod>(*client_.object(podsResource(), "default", pod["metadata"]["name"].get<std::string>())));
  }
  // A running, ready daemon pod of "agent" on `node` with `hash`.
  json daemonPod(const std::string& name, const std::string& node, const std::string& hash) {
    json pod = testing::podJson(name, "", node, "Running", true);
    pod["metadata"]["labels"] = {{"app", "agent"}, {"controller-revision-hash", hash}};
    pod["metadata"]["ownerReferences"] = {{{"apiVersion", "apps/v1"}, {"kind", "DaemonSet"}, {"name", "agent"},
                                           {"uid", "ds-uid"}, {"controller", true}}};
    return pod;
  }
  std::vector<std::string> summaries() {
    std::vector<std::string> out;
    for (const auto& a : client_.writes()) {
      if (a.resource != "events") out.push_back(a.summary() + " " + a.name);
    }
    return out;
  }
  std::vector<client::Action> actionsOf(const std::string& verb, const std::string& resource) {
    std::vector<client::Action> out;
    for (const auto& a : client_.writes()) {
      if (a.verb == verb && a.resource == resource) out.push_back(a);
    }
    return out;
  }
  std::string currentHash() { return daemonSetHash(*sets_.get("default/agent")); }

  FakeClock clock_;
  client::FakeClient client_{clock_};
  client::ObjectCache<api::DaemonSet> sets_;
  client::ObjectCache<api::Pod> pods_;
  client::ObjectCache<api::Node> nodes_;
  DaemonSetController controller_{client_, sets_, pods_, nodes_, clock_};
};

TEST(NodeShouldRunDaemonPod, FollowsSelectorAndTaints) {
  auto ds = decoded<api::DaemonSet>(daemonSetJson());
  EXPECT_TRUE(nodeShouldRunDaemonPod(decoded<api::Node>(nodeJson("w")), ds).run);
  EXPECT_FALSE(nodeShouldRunDaemonPod(decoded<api::Node>(nodeJson("m", false)), ds).keep);
  json tainted = nodeJson("t");
  tainted["spec"]["taints"] = {{{"key", "dedicated"}, {"value", "db"}, {"effect", "NoSchedule"}}};
  auto should = nodeShouldRunDaemonPod(decoded<api::Node>(tainted), ds);
  EXPECT_FALSE(should.run);
  EXPECT_TRUE(should.keep);  // NoSchedule keeps what runs
  // The daemon tolerations cover the node lifecycle's taints.
  json unreachable = nodeJson("u");
  unreachable["spec"]["taints"] = {{{"key", "node.kubernetes.io/unreachable"}, {"effect", "NoExecute"}},
                                   {{"key", "node.kubernetes.io/unschedulable"}, {"effect", "NoSchedule"}}};
  EXPECT_TRUE(nodeShouldRunDaemonPod(decoded<api::Node>(unreachable), ds).run);
}

TEST_F(DaemonSetTest, CreatesOnePodPerMatchingNodePinnedByAffinity) {
  addSet(daemonSetJson());
  addNode(nodeJson("w1"));
  addNode(nodeJson("w2"));
  addNode(nodeJson("master", false));
  ASSERT_TRUE(controller_.sync("default/agent").isOk());
  auto creates = actionsOf("create", "pods");
  ASSERT_EQ(creates.size(), 2u);
  std::set<std::string> nodes;
  for (const auto& a : creates) {
    const json& term = a.object["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
                                ["nodeSelectorTerms"][0]["matchFields"][0];
    EXPECT_EQ(term["key"], "metadata.name");
    nodes.insert(term["values"][0].get<std::string>());
    EXPECT_EQ(a.object["metadata"]["labels"]["controller-revision-hash"], currentHash());
    EXPECT_EQ(a.object["metadata"]["ownerReferences"][0]["kind"], "DaemonSet");
  }
  EXPECT_EQ(nodes, (std::set<std::string>{"w1", "w2"}));
  auto ds = client_.object(dsResource(), "default", "agent");
  EXPECT_EQ((*ds)["status"]["desiredNumberScheduled"], 2);
  // Until the informer shows the two creates, a second sync creates nothing more.
  client_.clearActions();
  ASSERT_TRUE(controller_.sync("default/agent").isOk());
  EXPECT_TRUE(actionsOf("create", "pods").empty());
}

TEST_F(DaemonSetTest, DeletesPodsOnNodesThatNoLongerMatchAndDuplicates) {
  addSet(daemonSetJson());
  addNode(nodeJson("w1"));
  addNode(nodeJson("m", false));
  std::string hash = currentHash();
  json first = daemonPod("a1", "w1", hash);
  first["metadata"]["creationTimestamp"] = "2026-01-01T00:00:00Z";
  addPod(first);
  json dup = daemonPod("a2", "w1", hash);
  dup["metadata"]["creationTimestamp"] = "2026-01-01T00:00:05Z";
  addPod(dup);
  addPod(daemonPod("a3", "m", hash));
  client_.clearActions();
  ASSERT_TRUE(controller_.sync("default/agent").isOk());
  auto got = summaries();
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<std::string>{"delete pods a2", "delete pods a3", "patch daemonsets/status agent"}))
      << ::testing::PrintToString(got);
}

TEST_F(DaemonSetTest, RollingUpdateReplacesAtMostMaxUnavailableAtATime) {
  addSet(daemonSetJson("agent:2"));
  for (const char* n : {"w1", "w2", "w3"}) addNode(nodeJson(n));
  addPod(daemonPod("p1", "w1", "old"));
  addPod(daemonPod("p2", "w2", "old"));
  addPod(daemonPod("p3", "w3", "old"));
  client_.clearActions();
  ASSERT_TRUE(controller_.sync("default/agent").isOk());
  auto deletes = actionsOf("delete", "pods");
  ASSERT_EQ(deletes.size(), 1u);  // maxUnavailable 1
  auto ds = client_.object(dsResource(), "default", "agent");
  EXPECT_EQ((*ds)["status"].value("updatedNumberScheduled", -1), -1);  // 0: omitted
  EXPECT_EQ((*ds)["status"]["numberAvailable"], 3);
}

}  // namespace daemonset_test
}  // namespace minik8s::controller
