#include "network/overlay_reconciler.h"

#include <gtest/gtest.h>

#include "network/fake_dataplane.h"

namespace minik8s::network {
namespace overlay_reconciler_test {

using testing::FakeDataplane;

const NodeNetwork kSelf{"node-1", "192.168.251.1", "10.244.1.0/24", ""};
const NodeNetwork kPeer2{"node-2", "192.168.251.2", "10.244.2.0/24", "0e:00:00:00:00:02"};
const NodeNetwork kPeer3{"node-3", "192.168.251.3", "10.244.3.0/24", "0e:00:00:00:00:03"};

}  // namespace overlay_reconciler_test

using namespace overlay_reconciler_test;

TEST(OverlayReconciler, VxlanCreatesDeviceAndEntriesAndReturnsTheMac) {
  FakeDataplane dp;
  OverlayReconciler reconciler(&dp, Backend::kVxlan);
  auto result = reconciler.reconcile(kSelf, {kSelf, kPeer2, kPeer3});
  ASSERT_TRUE(result.isOk()) << result.status().toString();
  EXPECT_EQ(result->vtep_mac, vtepMacFor("node-1"));
  ASSERT_TRUE(dp.device.has_value());
  EXPECT_EQ(dp.device->mtu, 1450);
  EXPECT_EQ(dp.routes.size(), 2u);
  EXPECT_EQ(dp.neighbors.size(), 2u);
  EXPECT_EQ(dp.fdb.size(), 2u);
  EXPECT_EQ(result->applied.add.routes.size(), 2u);
  EXPECT_TRUE(result->skipped.empty());
}

TEST(OverlayReconciler, SecondReconcileChangesNothing) {
  FakeDataplane dp;
  OverlayReconciler reconciler(&dp, Backend::kVxlan);
  ASSERT_TRUE(reconciler.reconcile(kSelf, {kPeer2, kPeer3}).isOk());
  int before = dp.mutations;
  auto again = reconciler.reconcile(kSelf, {kPeer3, kPeer2});
  ASSERT_TRUE(again.isOk());
  EXPECT_EQ(dp.mutations, before);
  EXPECT_TRUE(again->applied.empty());
  EXPECT_EQ(dp.devices_created, 1);
}

TEST(OverlayReconciler, PeerThatLeftLosesItsEntriesOnly) {
  FakeDataplane dp;
  OverlayReconciler reconciler(&dp, Backend::kVxlan);
  ASSERT_TRUE(reconciler.reconcile(kSelf, {kPeer2, kPeer3}).isOk());
  int before = dp.mutations;
  auto result = reconciler.reconcile(kSelf, {kPeer3});
  ASSERT_TRUE(result.isOk());
  EXPECT_EQ(dp.mutations - before, 3);  // one route, one neighbour, one FDB entry
  EXPECT_EQ(dp.routes, (std::set<Route>{{"10.244.3.0/24", "10.244.3.0", "minik8s.1", true}}));
  EXPECT_EQ(dp.fdb, (std::set<FdbEntry>{{"0e:00:00:00:00:03", "192.168.251.3", "minik8s.1"}}));
  EXPECT_EQ(dp.neighbors.size(), 1u);
}

TEST(OverlayReconciler, IncompletePeerIsReportedNotProgrammed) {
  FakeDataplane dp;
  OverlayReconciler reconciler(&dp, Backend::kVxlan);
  NodeNetwork no_mac = kPeer2;
  no_mac.vtep_mac = "";
  auto result = reconciler.reconcile(kSelf, {no_mac});
  ASSERT_TRUE(result.isOk());
  EXPECT_TRUE(dp.routes.empty());
  ASSERT_EQ(result->skipped.size(), 1u);
  EXPECT_EQ(result->skipped[0], (SkippedPeer{"node-2", "no VTEP MAC"}));
}

TEST(OverlayReconciler, HostGwDeletesTheVxlanDeviceAndRoutesViaNodeIps) {
  FakeDataplane dp;
  OverlayReconciler vxlan(&dp, Backend::kVxlan);
  ASSERT_TRUE(vxlan.reconcile(kSelf, {kPeer2}).isOk());
  OverlayReconciler hostgw(&dp, Backend::kHostGw);
  auto result = hostgw.reconcile(kSelf, {kPeer2});
  ASSERT_TRUE(result.isOk()) << result.status().toString();
  EXPECT_FALSE(dp.device.has_value());
  EXPECT_EQ(result->vtep_mac, "");
  EXPECT_EQ(dp.routes, (std::set<Route>{{"10.244.2.0/24", "192.168.251.2", "eth0", false}}));
  EXPECT_TRUE(dp.neighbors.empty());
  EXPECT_TRUE(dp.fdb.empty());
}

TEST(OverlayReconciler, FailureIsReturnedAfterTryingEverythingAndRetriedNextTime) {
  FakeDataplane dp;
  OverlayReconciler reconciler(&dp, Backend::kHostGw);
  dp.fail_add_route = alreadyExists("route 10.244.2.0/24: File exists");
  auto first = reconciler.reconcile(kSelf, {kPeer2, kPeer3});
  EXPECT_EQ(first.status().code(), Code::kAlreadyExists);
  EXPECT_EQ(dp.routes.size(), 1u);  // the other route went in
  auto second = reconciler.reconcile(kSelf, {kPeer2, kPeer3});
  ASSERT_TRUE(second.isOk());
  EXPECT_EQ(dp.routes.size(), 2u);
  EXPECT_EQ(second->applied.add.routes.size(), 1u);
}

TEST(OverlayReconciler, UnknownNodeIpIsAnError) {
  FakeDataplane dp;
  OverlayReconciler reconciler(&dp, Backend::kVxlan);
  NodeNetwork elsewhere = kSelf;
  elsewhere.node_ip = "10.9.9.9";
  EXPECT_EQ(reconciler.reconcile(elsewhere, {}).status().code(), Code::kNotFound);
  EXPECT_FALSE(dp.device.has_value());
}

TEST(OverlayReconciler, TeardownRemovesRoutesAndDevice) {
  FakeDataplane dp;
  OverlayReconciler reconciler(&dp, Backend::kVxlan);
  ASSERT_TRUE(reconciler.reconcile(kSelf, {kPeer2}).isOk());
  dp.routes.insert({"10.244.9.0/24", "192.168.251.9", "eth0", false});  // ours, from host-gw
  ASSERT_TRUE(reconciler.teardown().isOk());
  EXPECT_FALSE(dp.device.has_value());
  EXPECT_TRUE(dp.routes.empty());
  EXPECT_TRUE(dp.fdb.empty());
}

TEST(FindPodMtu, IsTheUnderlaysMinusTheEncapsulationAndMatchesTheVxlanDevice) {
  FakeDataplane dp;
  dp.underlay.mtu = 9000;
  auto vxlan = findPodMtu(dp, Backend::kVxlan, "192.168.251.1");
  ASSERT_TRUE(vxlan.isOk()) << vxlan.status().toString();
  EXPECT_EQ(*vxlan, 8950);
  OverlayReconciler reconciler(&dp, Backend::kVxlan);
  ASSERT_TRUE(reconciler.reconcile(kSelf, {kPeer2}).isOk());
  EXPECT_EQ(dp.device->mtu, *vxlan);  // one number for the pods and the device
  EXPECT_EQ(*findPodMtu(dp, Backend::kHostGw, "192.168.251.1"), 9000);
}

TEST(FindPodMtu, NoDeviceWithTheNodeIpOrATinyMtuIsAnError) {
  FakeDataplane dp;
  EXPECT_EQ(findPodMtu(dp, Backend::kVxlan, "10.0.0.9").status().code(), Code::kNotFound);
  dp.underlay.mtu = 100;
  auto tiny = findPodMtu(dp, Backend::kVxlan, "192.168.251.1");
  EXPECT_EQ(tiny.status().code(), Code::kInvalid);
  EXPECT_NE(tiny.status().message().find("eth0"), std::string::npos) << tiny.status().toString();
}

}  // namespace minik8s::network
