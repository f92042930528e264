#include "kubelet/node_status_manager.h"

#include <gtest/gtest.h>

#include "api/scheme.h"
#include "client/fake_client.h"
#include "cri/fake_runtime.h"

namespace minik8s::kubelet {
namespace node_status_manager_test {

using nlohmann::json;

const api::ResourceInfo& nodes() { return *api::findResource("", "v1", "nodes"); }
const api::ResourceInfo& leases() {
  return *api::findResource("coordination.k8s.io", "v1", "leases");
}

NodeConfig nodeConfig() {
  NodeConfig config;
  config.node_name = "node-1";
  config.node_ip = "10.0.0.5";
  config.pod_cidr = "10.244.1.0/24";
  return config;
}

std::string condition(const json& node, const std::string& type) {
  for (const auto& c : node["status"].value("conditions", json::array())) {
    if (c.value("type", "") == type) return c.value("status", "");
  }
  return "";
}

class NodeStatusManagerTest : public ::testing::Test {
 protected:
  FakeClock clock_;
  client::FakeClient client_{clock_};
  cri::FakeRuntime runtime_{clock_};
  NodeStatusManager manager_{client_, runtime_, nodeConfig(), std::chrono::seconds(10), clock_};
};

TEST_F(NodeStatusManagerTest, RegistersAReadyNodeAndItsLease) {
  ASSERT_TRUE(manager_.registerNode().isOk());
  auto node = client_.object(nodes(), "", "node-1");
  ASSERT_TRUE(node.has_value());
  EXPECT_EQ((*node)["spec"]["podCIDR"], "10.244.1.0/24");
  EXPECT_EQ(condition(*node, "Ready"), "True");
  EXPECT_EQ(manager_.runtimeVersion(), "fake://0.0.1");
  auto lease = client_.object(leases(), "kube-node-lease", "node-1");
  ASSERT_TRUE(lease.has_value());
  EXPECT_EQ((*lease)["spec"]["holderIdentity"], "node-1");
  EXPECT_EQ((*lease)["spec"]["leaseDurationSeconds"], 40);
}

TEST_F(NodeStatusManagerTest, TakesOverAnExistingNodeKeepingWhatOthersSet) {
  client_.add(nodes(), {{"apiVersion", "v1"},
                        {"kind", "Node"},
                        {"metadata", {{"name", "node-1"}, {"labels", {{"team", "a"}}}}},
                        {"spec", {{"unschedulable", true}}}});
  ASSERT_TRUE(manager_.registerNode().isOk());
  auto node = client_.object(nodes(), "", "node-1");
  ASSERT_TRUE(node.has_value());
  EXPECT_EQ((*node)["metadata"]["labels"]["team"], "a");
  EXPECT_EQ((*node)["metadata"]["labels"]["kubernetes.io/hostname"], "node-1");
  EXPECT_EQ((*node)["spec"]["unschedulable"], true);
  EXPECT_EQ((*node)["spec"]["podCIDR"], "10.244.1.0/24");
  EXPECT_EQ(condition(*node, "Ready"), "True");
}

TEST_F(NodeStatusManagerTest, HeartbeatRenewsTheLease) {
  ASSERT_TRUE(manager_.registerNode().isOk());
  std::string first = (*client_.object(leases(), "kube-node-lease", "node-1"))["spec"]["renewTime"];
  clock_.advance(std::chrono::seconds(10));
  manager_.heartbeat();
  std::string second = (*client_.object(leases(), "kube-node-lease", "node-1"))["spec"]["renewTime"];
  EXPECT_NE(first, second);
}

TEST_F(NodeStatusManagerTest, HeartbeatRegistersAgainWhenTheNodeWasDeleted) {
  ASSERT_TRUE(manager_.registerNode().isOk());
  ASSERT_TRUE(client_.remove(nodes(), "", "node-1", client::DeleteOptions{}).isOk());
  manager_.heartbeat();
  auto node = client_.object(nodes(), "", "node-1");
  ASSERT_TRUE(node.has_value());
  EXPECT_EQ(condition(*node, "Ready"), "True");
}

TEST_F(NodeStatusManagerTest, TheNodeIsNotReadyWhileTheRuntimeIsDown) {
  ASSERT_TRUE(manager_.registerNode().isOk());
  runtime_.setAvailable(false);
  manager_.heartbeat();
  EXPECT_EQ(condition(*client_.object(nodes(), "", "node-1"), "Ready"), "False");
  runtime_.setAvailable(true);
  manager_.heartbeat();
  EXPECT_EQ(condition(*client_.object(nodes(), "", "node-1"), "Ready"), "True");
}

TEST_F(NodeStatusManagerTest, TheHeartbeatThreadRunsEveryPeriod) {
  ASSERT_TRUE(manager_.registerNode().isOk());
  manager_.start();
  ASSERT_TRUE(clock_.waitForSleepers(1));
  int64_t calls = clock_.sleepCalls();
  client_.clearActions();
  clock_.advance(std::chrono::seconds(10));
  ASSERT_TRUE(clock_.waitForSleepCalls(calls + 1));
  int lease_updates = 0;
  for (const auto& a : client_.writes()) lease_updates += a.summary() == "update leases";
  EXPECT_EQ(lease_updates, 1);
  manager_.stop();
}

TEST_F(NodeStatusManagerTest, LeavesAnExistingLeaseNamespaceAlone) {
  client_.add(
      *api::findResource("", "v1", "namespaces"),
      {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "kube-node-lease"}}}});
  // A node may not create namespaces: the existing one must not even be tried.
  client_.failNext("create", "namespaces", Status(Code::kForbidden, "nodes cannot"));
  ASSERT_TRUE(manager_.registerNode().isOk());
  for (const auto& a : client_.writes()) EXPECT_NE(a.summary(), "create namespaces");
  EXPECT_TRUE(client_.object(leases(), "kube-node-lease", "node-1").has_value());
}

TEST_F(NodeStatusManagerTest, CreatesTheLeaseNamespaceOnlyWhenItIsMissing) {
  ASSERT_TRUE(manager_.registerNode().isOk());
  int creates = 0;
  for (const auto& a : client_.writes()) creates += a.summary() == "create namespaces";
  EXPECT_EQ(creates, 1);
  EXPECT_TRUE(client_.object(*api::findResource("", "v1", "namespaces"), "", "kube-node-lease")
                  .has_value());
}

}  // namespace node_status_manager_test
}  // namespace minik8s::kubelet
