#include "network/overlay.h"

#include <gtest/gtest.h>

namespace minik8s::network {
namespace overlay_test {

const Underlay kEth0{"eth0", 1500, 24};

NodeNetwork self() {
  return {"node-1", "192.168.251.1", "10.244.1.0/24", ""};
}
NodeNetwork peer2() {
  return {"node-2", "192.168.251.2", "10.244.2.0/24", "0e:00:00:00:00:02"};
}
NodeNetwork peer3() {
  return {"node-3", "192.168.251.3", "10.244.3.0/24", "0E:00:00:00:00:03"};
}

}  // namespace overlay_test

using namespace overlay_test;

TEST(PlanOverlay, VxlanDeviceFollowsFlannel) {
  auto plan = planOverlay(self(), {}, Backend::kVxlan, kEth0);
  ASSERT_TRUE(plan.isOk()) << plan.status().toString();
  ASSERT_TRUE(plan->device.has_value());
  EXPECT_EQ(plan->device->name, "minik8s.1");
  EXPECT_LE(plan->device->name.size(), 15u);
  EXPECT_EQ(plan->device->vni, 1u);
  EXPECT_EQ(plan->device->port, 8472);
  EXPECT_EQ(plan->device->local, "192.168.251.1");
  EXPECT_EQ(plan->device->underlay, "eth0");
  EXPECT_EQ(plan->device->mtu, 1450);
  EXPECT_EQ(plan->device->address, "10.244.1.0/32");
  EXPECT_FALSE(plan->device->learning);
  EXPECT_EQ(plan->device->mac, vtepMacFor("node-1"));
  EXPECT_TRUE(plan->entries.empty());
  EXPECT_TRUE(plan->skipped.empty());
}

TEST(PlanOverlay, VxlanPeerGetsRouteNeighbourAndFdb) {
  auto plan = planOverlay(self(), {peer3(), self(), peer2()}, Backend::kVxlan, kEth0);
  ASSERT_TRUE(plan.isOk());
  EXPECT_EQ(plan->entries.routes,
            (std::vector<Route>{{"10.244.2.0/24", "10.244.2.0", "minik8s.1", true},
                                {"10.244.3.0/24", "10.244.3.0", "minik8s.1", true}}));
  EXPECT_EQ(plan->entries.neighbors,
            (std::vector<Neighbor>{{"10.244.2.0", "0e:00:00:00:00:02", "minik8s.1"},
                                   {"10.244.3.0", "0e:00:00:00:00:03", "minik8s.1"}}));
  EXPECT_EQ(plan->entries.fdb,
            (std::vector<FdbEntry>{{"0e:00:00:00:00:02", "192.168.251.2", "minik8s.1"},
                                   {"0e:00:00:00:00:03", "192.168.251.3", "minik8s.1"}}));
  EXPECT_TRUE(plan->skipped.empty());  // self in the list is not a peer
}

TEST(PlanOverlay, MtuIsUnderlayMinusFifty) {
  auto plan = planOverlay(self(), {}, Backend::kVxlan, {"ens3", 9001, 20});
  ASSERT_TRUE(plan.isOk());
  EXPECT_EQ(plan->device->mtu, 8951);
}

TEST(PlanOverlay, AnUnderlayTooSmallForVxlanIsInvalid) {
  auto plan = planOverlay(self(), {}, Backend::kVxlan, {"ens3", 117, 24});
  EXPECT_EQ(plan.status().code(), Code::kInvalid);
  EXPECT_TRUE(planOverlay(self(), {}, Backend::kHostGw, {"ens3", 117, 24}).isOk());
}

TEST(PodMtu, VxlanLeavesRoomForTheEncapsulationHostGwKeepsTheUnderlays) {
  struct Case {
    Backend backend;
    int underlay;
    int want;  // 0: kInvalid
  };
  for (const Case& c : std::vector<Case>{{Backend::kVxlan, 1500, 1450},
                                         {Backend::kVxlan, 9001, 8951},
                                         {Backend::kVxlan, 1280, 1230},
                                         {Backend::kVxlan, 118, 68},
                                         {Backend::kVxlan, 117, 0},
                                         {Backend::kVxlan, 0, 0},
                                         {Backend::kHostGw, 1500, 1500},
                                         {Backend::kHostGw, 9000, 9000},
                                         {Backend::kHostGw, 68, 68},
                                         {Backend::kHostGw, 67, 0}}) {
    auto mtu = podMtu(c.backend, c.underlay);
    SCOPED_TRACE(std::string(backendName(c.backend)) + " " + std::to_string(c.underlay));
    if (c.want == 0) {
      EXPECT_EQ(mtu.status().code(), Code::kInvalid);
    } else {
      ASSERT_TRUE(mtu.isOk()) << mtu.status().toString();
      EXPECT_EQ(*mtu, c.want);
    }
  }
}

TEST(PodMtu, IsTheVxlanDevicesMtu) {
  auto plan = planOverlay(self(), {}, Backend::kVxlan, {"ens3", 1400, 24});
  ASSERT_TRUE(plan.isOk());
  EXPECT_EQ(plan->device->mtu, *podMtu(Backend::kVxlan, 1400));
}

TEST(PlanOverlay, HostGwRoutesViaNodeIpOnTheSameSubnet) {
  NodeNetwork far{"node-far", "192.168.9.4", "10.244.4.0/24", "0e:00:00:00:00:04"};
  NodeNetwork no_mac{"node-5", "192.168.251.5", "10.244.5.0/24", ""};
  auto plan = planOverlay(self(), {peer2(), far, no_mac}, Backend::kHostGw, kEth0);
  ASSERT_TRUE(plan.isOk());
  EXPECT_FALSE(plan->device.has_value());
  EXPECT_EQ(plan->entries.routes,
            (std::vector<Route>{{"10.244.2.0/24", "192.168.251.2", "eth0", false},
                                {"10.244.5.0/24", "192.168.251.5", "eth0", false}}));
  EXPECT_TRUE(plan->entries.neighbors.empty());
  EXPECT_TRUE(plan->entries.fdb.empty());
  ASSERT_EQ(plan->skipped.size(), 1u);
  EXPECT_EQ(plan->skipped[0].name, "node-far");
  EXPECT_NE(plan->skipped[0].reason.find("unreachable with host-gw"), std::string::npos)
      << plan->skipped[0].reason;
}

struct SkipCase {
  const char* what;
  NodeNetwork peer;
  Backend backend;
  const char* reason;  // a substring
};

TEST(PlanOverlay, IncompletePeersAreSkippedWithAReason) {
  const SkipCase cases[] = {
      {"no IP", {"p", "", "10.244.2.0/24", "0e:00:00:00:00:02"}, Backend::kVxlan, "no node IP"},
      {"bad IP",
       {"p", "300.1.1.1", "10.244.2.0/24", "0e:00:00:00:00:02"},
       Backend::kVxlan,
       "bad node IP"},
      {"self's IP",
       {"p", "192.168.251.1", "10.244.2.0/24", "0e:00:00:00:00:02"},
       Backend::kVxlan,
       "this node's"},
      {"no CIDR", {"p", "192.168.251.2", "", "0e:00:00:00:00:02"}, Backend::kVxlan, "no podCIDR"},
      {"bad CIDR",
       {"p", "192.168.251.2", "10.244.2.1/24", "0e:00:00:00:00:02"},
       Backend::kVxlan,
       "bad podCIDR"},
      {"overlaps self",
       {"p", "192.168.251.2", "10.244.0.0/16", "0e:00:00:00:00:02"},
       Backend::kVxlan,
       "overlaps"},
      {"no MAC", {"p", "192.168.251.2", "10.244.2.0/24", ""}, Backend::kVxlan, "no VTEP MAC"},
      {"bad MAC",
       {"p", "192.168.251.2", "10.244.2.0/24", "0e:00:00:00:00"},
       Backend::kVxlan,
       "bad VTEP MAC"},
      {"host-gw, no CIDR", {"p", "192.168.251.2", "", ""}, Backend::kHostGw, "no podCIDR"},
      {"host-gw, other subnet",
       {"p", "192.168.252.2", "10.244.2.0/24", ""},
       Backend::kHostGw,
       "unreachable"},
  };
  for (const SkipCase& c : cases) {
    auto plan = planOverlay(self(), {c.peer}, c.backend, kEth0);
    ASSERT_TRUE(plan.isOk()) << c.what;
    EXPECT_TRUE(plan->entries.empty()) << c.what;
    ASSERT_EQ(plan->skipped.size(), 1u) << c.what;
    EXPECT_EQ(plan->skipped[0].name, "p") << c.what;
    EXPECT_NE(plan->skipped[0].reason.find(c.reason), std::string::npos)
        << c.what << ": " << plan->skipped[0].reason;
  }
}

TEST(PlanOverlay, SecondPeerWithTheSamePodCidrIsSkipped) {
  NodeNetwork twin = peer2();
  twin.name = "node-2b";
  twin.node_ip = "192.168.251.22";
  auto plan = planOverlay(self(), {peer2(), twin}, Backend::kVxlan, kEth0);
  ASSERT_TRUE(plan.isOk());
  EXPECT_EQ(plan->entries.routes.size(), 1u);
  ASSERT_EQ(plan->skipped.size(), 1u);
  EXPECT_EQ(plan->skipped[0].name, "node-2b");
}

TEST(PlanOverlay, SelfWithoutIpOrPodCidrIsInvalid) {
  NodeNetwork no_ip = self();
  no_ip.node_ip = "";
  NodeNetwork no_cidr = self();
  no_cidr.pod_cidr = "";
  EXPECT_EQ(planOverlay(no_ip, {}, Backend::kVxlan, kEth0).status().code(), Code::kInvalid);
  EXPECT_EQ(planOverlay(no_cidr, {}, Backend::kHostGw, kEth0).status().code(), Code::kInvalid);
  EXPECT_EQ(planOverlay(self(), {}, Backend::kVxlan, {"eth0", 100, 24}).status().code(),
            Code::kInvalid);
}

TEST(DiffOverlay, NothingToDoWhenEqual) {
  auto plan = planOverlay(self(), {peer2(), peer3()}, Backend::kVxlan, kEth0);
  ASSERT_TRUE(plan.isOk());
  EXPECT_TRUE(diffOverlay(plan->entries, plan->entries).empty());
}

TEST(DiffOverlay, AddsNewPeersAndRemovesLeftOnes) {
  auto before = planOverlay(self(), {peer2()}, Backend::kVxlan, kEth0);
  auto after = planOverlay(self(), {peer3()}, Backend::kVxlan, kEth0);
  ASSERT_TRUE(before.isOk() && after.isOk());
  OverlayChanges c = diffOverlay(after->entries, before->entries);
  EXPECT_EQ(c.add, after->entries);
  EXPECT_EQ(c.remove, before->entries);
}

TEST(DiffOverlay, ChangedPeerIsRemovedAndAddedOnlyWhereItChanged) {
  NodeNetwork moved = peer2();
  moved.node_ip = "192.168.251.20";  // same MAC and CIDR, new underlay address
  auto before = planOverlay(self(), {peer2(), peer3()}, Backend::kVxlan, kEth0);
  auto after = planOverlay(self(), {moved, peer3()}, Backend::kVxlan, kEth0);
  ASSERT_TRUE(before.isOk() && after.isOk());
  OverlayChanges c = diffOverlay(after->entries, before->entries);
  EXPECT_TRUE(c.add.routes.empty());
  EXPECT_TRUE(c.add.neighbors.empty());
  EXPECT_EQ(c.add.fdb,
            (std::vector<FdbEntry>{{"0e:00:00:00:00:02", "192.168.251.20", "minik8s.1"}}));
  EXPECT_EQ(c.remove.fdb,
            (std::vector<FdbEntry>{{"0e:00:00:00:00:02", "192.168.251.2", "minik8s.1"}}));
  EXPECT_TRUE(c.remove.routes.empty());
}

TEST(DiffOverlay, SwitchingBackendReplacesEveryRoute) {
  auto vxlan = planOverlay(self(), {peer2()}, Backend::kVxlan, kEth0);
  auto hostgw = planOverlay(self(), {peer2()}, Backend::kHostGw, kEth0);
  ASSERT_TRUE(vxlan.isOk() && hostgw.isOk());
  OverlayChanges c = diffOverlay(hostgw->entries, vxlan->entries);
  EXPECT_EQ(c.add.routes, hostgw->entries.routes);
  EXPECT_EQ(c.remove.routes, vxlan->entries.routes);
  EXPECT_EQ(c.remove.neighbors, vxlan->entries.neighbors);
  EXPECT_EQ(c.remove.fdb, vxlan->entries.fdb);
}

TEST(VtepMacFor, StableLocallyAdministeredUnicast) {
  std::string a = vtepMacFor("node-1");
  EXPECT_EQ(a, vtepMacFor("node-1"));
  EXPECT_NE(a, vtepMacFor("node-2"));
  EXPECT_EQ(normalizeMac(a), a);
  int first = std::stoi(a.substr(0, 2), nullptr, 16);
  EXPECT_EQ(first & 0x03, 0x02);  // locally administered, not multicast
}

TEST(Backend, ParsesAndNames) {
  EXPECT_EQ(*parseBackend("vxlan"), Backend::kVxlan);
  EXPECT_EQ(*parseBackend("host-gw"), Backend::kHostGw);
  EXPECT_EQ(parseBackend("udp").status().code(), Code::kInvalid);
  EXPECT_EQ(backendName(Backend::kHostGw), "host-gw");
}

}  // namespace minik8s::network
