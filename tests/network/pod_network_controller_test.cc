// The per-node pod network controller over the fake client and the fake dataplane: what it
// programs, when it patches its Node's VTEP MAC, and how it retries.
#include "network/pod_network_controller.h"

#include <gtest/gtest.h>

#include "api/scheme.h"
#include "client/fake_client.h"
#include "network/fake_dataplane.h"

namespace minik8s::network {
namespace pod_network_controller_test {

using nlohmann::json;
using testing::FakeDataplane;

const api::ResourceInfo& nodes() {
  return *api::findResource("", "v1", "nodes");
}

json nodeJson(const std::string& name, const std::string& ip, const std::string& cidr,
              const std::string& mac = "") {
  json node = {{"apiVersion", "v1"},
               {"kind", "Node"},
               {"metadata", {{"name", name}}},
               {"spec", {{"podCIDR", cidr}, {"podCIDRs", {cidr}}}},
               {"status", {{"addresses", {{{"type", "InternalIP"}, {"address", ip}}}}}}};
  if (!mac.empty()) node["metadata"]["annotations"] = {{kVtepMacAnnotation, mac}};
  return node;
}

api::Node decodedNode(const json& j) {
  auto node = api::decode<api::Node>(j);
  EXPECT_TRUE(node.isOk()) << node.status().toString();
  return std::move(node).value();
}

class PodNetworkControllerTest : public ::testing::Test {
 protected:
  PodNetworkControllerTest() {
    dp_.underlay_ip = "192.168.251.1";
    addNode(nodeJson("node-1", "192.168.251.1", "10.244.1.0/24"));
  }
  // Into the API (the fake client) and the informer's cache, as a watch event would.
  void addNode(const json& node) {
    client_.add(nodes(), node);
    refresh(node["metadata"]["name"]);
  }
  void refresh(const std::string& name) {
    cache_.add(decodedNode(*client_.object(nodes(), "", name)));
  }
  void removeNode(const std::string& name) {
    ASSERT_TRUE(client_.remove(nodes(), "", name).isOk());
    cache_.put(name, "", nullptr);
  }
  std::string publishedMac() {
    auto node = *client_.object(nodes(), "", "node-1");
    return node["metadata"].value("annotations", json::object()).value(kVtepMacAnnotation, "");
  }
  int patches() {
    int n = 0;
    for (const auto& a : client_.writes()) n += a.verb == "patch" && a.resource == "nodes";
    return n;
  }

  FakeClock clock_;
  client::FakeClient client_{clock_};
  client::ObjectCache<api::Node> cache_;
  FakeDataplane dp_;
  OverlayReconciler reconciler_{&dp_, Backend::kVxlan};
  PodNetworkOptions options_{.node_name = "node-1"};
};

TEST(VtepMacPatch, OnlyWhenTheNodeSaysOtherwise) {
  api::Node node = decodedNode(nodeJson("n", "192.168.251.1", "10.244.1.0/24"));
  auto add = vtepMacPatch(node, "0e:00:00:00:00:01");
  ASSERT_TRUE(add.has_value());
  EXPECT_EQ(*add, json::parse(R"({"metadata":{"annotations":
                                  {"minik8s.io/vtep-mac":"0e:00:00:00:00:01"}}})"));
  EXPECT_FALSE(vtepMacPatch(node, "").has_value());  // host-gw, nothing published

  node.metadata.annotations[std::string(kVtepMacAnnotation)] = "0E:00:00:00:00:01";
  EXPECT_FALSE(vtepMacPatch(node, "0e:00:00:00:00:01").has_value());  // same MAC
  auto change = vtepMacPatch(node, "0e:00:00:00:00:02");
  ASSERT_TRUE(change.has_value());
  EXPECT_EQ((*change)["metadata"]["annotations"][kVtepMacAnnotation], "0e:00:00:00:00:02");
  auto remove = vtepMacPatch(node, "");
  ASSERT_TRUE(remove.has_value());
  EXPECT_TRUE((*remove)["metadata"]["annotations"][kVtepMacAnnotation].is_null());
}

TEST(SelfNetwork, TheAgentsAddressAndCidrFillWhatTheNodeLacks) {
  PodNetworkOptions options{.node_name = "n", .node_ip = "192.168.251.9",
                            .pod_cidr = "10.244.9.0/24"};
  api::Node bare = decodedNode(json{{"apiVersion", "v1"}, {"kind", "Node"},
                                    {"metadata", {{"name", "n"}}}});
  EXPECT_EQ(selfNetwork(bare, options),
            (NodeNetwork{"n", "192.168.251.9", "10.244.9.0/24", ""}));
  api::Node full = decodedNode(nodeJson("n", "192.168.251.1", "10.244.1.0/24"));
  EXPECT_EQ(selfNetwork(full, options), (NodeNetwork{"n", "192.168.251.1", "10.244.1.0/24", ""}));
}

TEST_F(PodNetworkControllerTest, PublishesTheVtepMacOnceAndProgramsPeers) {
  addNode(nodeJson("node-2", "192.168.251.2", "10.244.2.0/24", "0e:00:00:00:00:02"));
  PodNetworkController controller(client_, cache_, reconciler_, options_, clock_);
  ASSERT_TRUE(controller.sync().isOk());
  EXPECT_EQ(publishedMac(), vtepMacFor("node-1"));
  EXPECT_EQ(patches(), 1);
  EXPECT_EQ(dp_.routes.count(Route{"10.244.2.0/24", "10.244.2.0", "minik8s.1", true}), 1u);
  EXPECT_EQ(dp_.fdb.size(), 1u);

  // The watch brings the patched Node back: nothing more to send, nothing to program.
  refresh("node-1");
  int mutations = dp_.mutations;
  ASSERT_TRUE(controller.sync().isOk());
  ASSERT_TRUE(controller.sync().isOk());
  EXPECT_EQ(patches(), 1);
  EXPECT_EQ(dp_.mutations, mutations);
}

TEST_F(PodNetworkControllerTest, PeersComeAndGo) {
  PodNetworkController controller(client_, cache_, reconciler_, options_, clock_);
  ASSERT_TRUE(controller.sync().isOk());
  EXPECT_TRUE(dp_.routes.empty());

  addNode(nodeJson("node-2", "192.168.251.2", "10.244.2.0/24", "0e:00:00:00:00:02"));
  addNode(nodeJson("node-3", "192.168.251.3", "10.244.3.0/24", "0e:00:00:00:00:03"));
  ASSERT_TRUE(controller.sync().isOk());
  EXPECT_EQ(dp_.routes.size(), 2u);
  EXPECT_EQ(dp_.neighbors.size(), 2u);

  removeNode("node-2");
  ASSERT_TRUE(controller.sync().isOk());
  ASSERT_EQ(dp_.routes.size(), 1u);
  EXPECT_EQ(dp_.routes.begin()->dst, "10.244.3.0/24");
  ASSERT_EQ(dp_.fdb.size(), 1u);
  EXPECT_EQ(dp_.fdb.begin()->mac, "0e:00:00:00:00:03");

  // A peer without a VTEP MAC yet is skipped until it publishes one.
  addNode(nodeJson("node-4", "192.168.251.4", "10.244.4.0/24"));
  ASSERT_TRUE(controller.sync().isOk());
  EXPECT_EQ(dp_.routes.size(), 1u);
  addNode(nodeJson("node-4", "192.168.251.4", "10.244.4.0/24", "0e:00:00:00:00:04"));
  ASSERT_TRUE(controller.sync().isOk());
  EXPECT_EQ(dp_.routes.size(), 2u);
}

TEST_F(PodNetworkControllerTest, AFailedPatchIsRetriedWithBackOff) {
  PodNetworkController controller(client_, cache_, reconciler_, options_, clock_);
  client_.failNext("patch", "nodes", unavailable("apiserver away"));
  controller.nodesChanged();
  ASSERT_TRUE(controller.processNextItem());
  EXPECT_EQ(publishedMac(), "");
  EXPECT_EQ(controller.queue().numRequeues(PodNetworkController::kKey), 1);
  EXPECT_EQ(controller.queue().len(), 0u);  // waiting out its back-off

  clock_.advance(std::chrono::seconds(1));
  ASSERT_TRUE(controller.processNextItem());
  EXPECT_EQ(publishedMac(), vtepMacFor("node-1"));
  EXPECT_EQ(controller.queue().numRequeues(PodNetworkController::kKey), 0);  // forgotten
}

TEST_F(PodNetworkControllerTest, AFailedRouteStillPublishesTheMacAndIsRetried) {
  addNode(nodeJson("node-2", "192.168.251.2", "10.244.2.0/24", "0e:00:00:00:00:02"));
  PodNetworkController controller(client_, cache_, reconciler_, options_, clock_);
  dp_.fail_add_route = alreadyExists("a foreign route to 10.244.2.0/24");
  Status first = controller.sync();
  EXPECT_EQ(first.code(), Code::kAlreadyExists) << first.toString();
  EXPECT_EQ(publishedMac(), vtepMacFor("node-1"));  // node-2 can reach us meanwhile
  EXPECT_TRUE(dp_.routes.empty());

  ASSERT_TRUE(controller.sync().isOk());
  EXPECT_EQ(dp_.routes.size(), 1u);
}

TEST_F(PodNetworkControllerTest, WaitsForItsOwnNodeAndRunsTheMasqueradeHook) {
  options_.node_name = "node-9";
  int masquerades = 0;
  options_.ensure_iptables = [&] {
    ++masquerades;
    return Status::ok();
  };
  PodNetworkController controller(client_, cache_, reconciler_, options_, clock_);
  EXPECT_EQ(controller.sync().code(), Code::kUnavailable);
  EXPECT_EQ(masquerades, 1);
  EXPECT_TRUE(dp_.routes.empty());
  EXPECT_EQ(patches(), 0);
}

TEST_F(PodNetworkControllerTest, AFailingMasqueradeIsAnErrorButTheOverlayStillConverges) {
  options_.ensure_iptables = [] { return unavailable("iptables-restore: exit 4"); };
  addNode(nodeJson("node-2", "192.168.251.2", "10.244.2.0/24", "0e:00:00:00:00:02"));
  PodNetworkController controller(client_, cache_, reconciler_, options_, clock_);
  EXPECT_EQ(controller.sync().code(), Code::kUnavailable);
  EXPECT_EQ(dp_.routes.size(), 1u);
  EXPECT_EQ(publishedMac(), vtepMacFor("node-1"));
}

TEST_F(PodNetworkControllerTest, ResyncsPeriodicallyAfterASuccess) {
  options_.resync_period = std::chrono::seconds(30);
  PodNetworkController controller(client_, cache_, reconciler_, options_, clock_);
  controller.nodesChanged();
  ASSERT_TRUE(controller.processNextItem());
  EXPECT_FALSE(controller.queue().tryGet().has_value());
  clock_.advance(std::chrono::seconds(31));
  auto key = controller.queue().tryGet();
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(*key, PodNetworkController::kKey);
  controller.queue().done(*key);
}

TEST_F(PodNetworkControllerTest, HostGwRemovesAStaleVtepMac) {
  client_.add(nodes(), nodeJson("node-1", "192.168.251.1", "10.244.1.0/24", "0e:00:00:00:00:01"));
  refresh("node-1");
  addNode(nodeJson("node-2", "192.168.251.2", "10.244.2.0/24"));
  OverlayReconciler host_gw(&dp_, Backend::kHostGw);
  PodNetworkController controller(client_, cache_, host_gw, options_, clock_);
  ASSERT_TRUE(controller.sync().isOk());
  EXPECT_EQ(publishedMac(), "");
  EXPECT_EQ(dp_.routes.count(Route{"10.244.2.0/24", "192.168.251.2", "eth0", false}), 1u);
}

}  // namespace pod_network_controller_test
}  // namespace minik8s::network
