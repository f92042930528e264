#include "network/overlay_reconciler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <set>

namespace minik8s::network {
namespace overlay_reconciler_test {

// An in-memory Dataplane: one underlay, at most one VXLAN device, and the entry sets.
// Counts mutations and can fail the next addRoute.
class FakeDataplane : public Dataplane {
 public:
  Underlay underlay{"eth0", 1500, 24};
  std::string underlay_ip = "192.168.251.1";
  std::optional<VxlanDevice> device;
  std::string device_mac;
  std::set<Route> routes;
  std::set<Neighbor> neighbors;
  std::set<FdbEntry> fdb;
  int mutations = 0;
  int devices_created = 0;
  std::optional<Status> fail_add_route;

  Result<Underlay> findUnderlay(const std::string& node_ip) override {
    if (node_ip != underlay_ip) return notFound("no device has " + node_ip);
    return underlay;
  }
  Result<std::string> ensureVxlan(const VxlanDevice& want) override {
    if (!device || device->vni != want.vni || device->local != want.local) {
      dropDevice();
      device = want;
      device_mac = want.mac;
      ++devices_created;
      ++mutations;
    } else if (*device != want) {
      std::string mac = device->mac;
      device = want;
      device->mac = mac;
      ++mutations;
    }
    return device_mac;
  }
  Status deleteLink(const std::string& name) override {
    if (device && device->name == name) {
      dropDevice();
      ++mutations;
    }
    return Status::ok();
  }
  Result<OverlayEntries> listEntries(const std::string&) override {
    return OverlayEntries{{routes.begin(), routes.end()},
                          {neighbors.begin(), neighbors.end()},
                          {fdb.begin(), fdb.end()}};
  }
  Status addRoute(const Route& r) override {
    if (fail_add_route) {
      Status st = *fail_add_route;
      fail_add_route.reset();
      return st;
    }
    ++mutations;
    return routes.insert(r).second ? Status::ok() : alreadyExists("route " + r.dst);
  }
  Status deleteRoute(const Route& r) override {
    ++mutations;
    routes.erase(r);
    return Status::ok();
  }
  Status addNeighbor(const Neighbor& n) override {
    ++mutations;
    neighbors.insert(n);
    return Status::ok();
  }
  Status deleteNeighbor(const Neighbor& n) override {
    ++mutations;
    neighbors.erase(n);
    return Status::ok();
  }
  Status addFdb(const FdbEntry& f) override {
    ++mutations;
    fdb.insert(f);
    return Status::ok();
  }
  Status deleteFdb(const FdbEntry& f) override {
    ++mutations;
    fdb.erase(f);
    return Status::ok();
  }

 private:
  // Like the kernel: entries on the device go with it.
  void dropDevice() {
    if (!device) return;
    std::erase_if(routes, [&](const Route& r) { return r.device == device->name; });
    neighbors.clear();
    fdb.clear();
    device.reset();
  }
};

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

}  // namespace minik8s::network
