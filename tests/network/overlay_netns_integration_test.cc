// The pod network on the real kernel: two "node" network namespaces of this test joined by a
// veth pair (the underlay, 192.168.251.0/24), a reconciler in each over NetlinkDataplane, and
// a "pod" namespace behind each node in its podCIDR. UDP between the pods crosses the VXLAN
// device, then host-gw routes. Only the fixture runs `ip`/`bridge`; all traffic stays
// inside the test's namespaces (they have no default route).
#include <gtest/gtest.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "network/netlink_dataplane.h"
#include "network/netns_fixture.h"
#include "network/overlay_reconciler.h"

namespace minik8s::network {
namespace overlay_netns_integration_test {

using namespace testing;

// One node's reconciler over a netlink socket inside its namespace.
struct Node {
  std::string ns;
  NodeNetwork self;
  std::unique_ptr<NetlinkDataplane> dataplane;
  std::unique_ptr<OverlayReconciler> reconciler;

  Node(std::string netns, NodeNetwork network, Backend backend)
      : ns(std::move(netns)), self(std::move(network)) {
    auto opened = inNetns(ns, [] { return NetlinkDataplane::open(); });
    EXPECT_TRUE(opened.isOk()) << opened.status().toString();
    if (opened.isOk()) dataplane = std::move(opened).value();
    reconciler = std::make_unique<OverlayReconciler>(dataplane.get(), backend);
  }
  Result<ReconcileResult> reconcile(const std::vector<NodeNetwork>& nodes) {
    return reconciler->reconcile(self, nodes);
  }
};

}  // namespace overlay_netns_integration_test

using namespace overlay_netns_integration_test;

class OverlayNetns : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    if (run("ip -V") != 0) GTEST_SKIP() << "needs iproute2 for the fixture";
    nodes_ = std::make_unique<TwoNodes>();
    ASSERT_TRUE(nodes_->ok()) << "fixture set-up failed";
  }
  std::unique_ptr<TwoNodes> nodes_;
};

TEST_F(OverlayNetns, VxlanCarriesPodTrafficAndForgetsPeersThatLeft) {
  const std::string& a = nodes_->a();
  const std::string& b = nodes_->b();
  const std::string& pa = nodes_->podA();
  const std::string& pb = nodes_->podB();
  EXPECT_FALSE(podRoundTrip(pa, "10.244.1.5", pb, "10.244.2.5")) << "reachable before any route";

  Node na(a, {"node-a", "192.168.251.1", "10.244.1.0/24", ""}, Backend::kVxlan);
  Node nb(b, {"node-b", "192.168.251.2", "10.244.2.0/24", ""}, Backend::kVxlan);
  ASSERT_TRUE(na.dataplane && nb.dataplane);

  // First pass without peers: the devices exist and each node learns its MAC to publish.
  auto ra = na.reconcile({});
  auto rb = nb.reconcile({});
  ASSERT_TRUE(ra.isOk()) << ra.status().toString();
  ASSERT_TRUE(rb.isOk()) << rb.status().toString();
  EXPECT_EQ(ra->vtep_mac, vtepMacFor("node-a"));
  EXPECT_EQ(rb->vtep_mac, vtepMacFor("node-b"));
  na.self.vtep_mac = ra->vtep_mac;
  nb.self.vtep_mac = rb->vtep_mac;
  const std::vector<NodeNetwork> all = {na.self, nb.self};

  ra = na.reconcile(all);
  rb = nb.reconcile(all);
  ASSERT_TRUE(ra.isOk()) << ra.status().toString();
  ASSERT_TRUE(rb.isOk()) << rb.status().toString();
  EXPECT_EQ(ra->applied.add.routes.size(), 1u);
  EXPECT_EQ(ra->applied.add.neighbors.size(), 1u);
  EXPECT_EQ(ra->applied.add.fdb.size(), 1u);

  const std::string link = output("ip -n " + a + " -d link show minik8s.1");
  EXPECT_TRUE(contains(link, "mtu 1450")) << link;
  EXPECT_TRUE(contains(link, "vxlan id 1 local 192.168.251.1")) << link;
  EXPECT_TRUE(contains(link, "dstport 8472")) << link;
  EXPECT_TRUE(contains(link, "nolearning")) << link;
  EXPECT_TRUE(contains(link, "link/ether " + vtepMacFor("node-a"))) << link;
  EXPECT_TRUE(contains(link, "state UNKNOWN") || contains(link, ",UP")) << link;
  EXPECT_TRUE(contains(output("ip -n " + a + " addr show dev minik8s.1"), "inet 10.244.1.0/32"));
  const std::string routes = output("ip -n " + a + " route show proto 181");
  EXPECT_TRUE(contains(routes, "10.244.2.0/24 via 10.244.2.0 dev minik8s.1 onlink")) << routes;
  const std::string neigh = output("ip -n " + a + " neigh show dev minik8s.1");
  EXPECT_TRUE(contains(neigh, "10.244.2.0 lladdr " + nb.self.vtep_mac + " PERMANENT")) << neigh;
  const std::string fdb = output("bridge -n " + a + " fdb show dev minik8s.1");
  EXPECT_TRUE(contains(fdb, nb.self.vtep_mac + " dst 192.168.251.2 self permanent")) << fdb;
  show("node A link", "ip -n " + a + " -d link show minik8s.1");
  show("node A routes", "ip -n " + a + " route show");
  show("node A neighbours", "ip -n " + a + " neigh show dev minik8s.1");
  show("node A fdb", "bridge -n " + a + " fdb show dev minik8s.1");

  EXPECT_TRUE(podRoundTrip(pa, "10.244.1.5", pb, "10.244.2.5"));
  EXPECT_TRUE(podRoundTrip(pb, "10.244.2.5", pa, "10.244.1.5"));
  // The traffic went through the tunnel: the VXLAN device counted packets.
  const std::string stats = output("ip -n " + a + " -s link show minik8s.1");
  std::cout << "--- node A minik8s.1 counters\n" << stats;

  // Idempotent on the real kernel: what listEntries reads back is exactly the plan.
  auto again = na.reconcile(all);
  ASSERT_TRUE(again.isOk()) << again.status().toString();
  EXPECT_TRUE(again->applied.empty());

  // A restarted agent (new socket and reconciler) keeps the device and its MAC.
  Node na2(a, na.self, Backend::kVxlan);
  auto restarted = na2.reconcile(all);
  ASSERT_TRUE(restarted.isOk()) << restarted.status().toString();
  EXPECT_EQ(restarted->vtep_mac, na.self.vtep_mac);
  EXPECT_TRUE(restarted->applied.empty());

  // Node B leaves: A drops its route, neighbour and FDB entry, and the pods lose each other.
  auto left = na.reconcile({na.self});
  ASSERT_TRUE(left.isOk()) << left.status().toString();
  EXPECT_EQ(left->applied.remove.routes.size(), 1u);
  EXPECT_EQ(left->applied.remove.neighbors.size(), 1u);
  EXPECT_EQ(left->applied.remove.fdb.size(), 1u);
  EXPECT_EQ(output("ip -n " + a + " route show proto 181"), "");
  EXPECT_FALSE(contains(output("ip -n " + a + " neigh show dev minik8s.1"), "10.244.2.0"));
  EXPECT_FALSE(contains(output("bridge -n " + a + " fdb show dev minik8s.1"), "192.168.251.2"));
  EXPECT_FALSE(podRoundTrip(pa, "10.244.1.5", pb, "10.244.2.5"));

  ASSERT_TRUE(na.reconciler->teardown().isOk());
  ASSERT_TRUE(nb.reconciler->teardown().isOk());
  EXPECT_NE(run("ip -n " + a + " link show minik8s.1"), 0);
  EXPECT_NE(run("ip -n " + b + " link show minik8s.1"), 0);
  EXPECT_EQ(output("ip -n " + b + " route show proto 181"), "");
  EXPECT_TRUE(na.reconciler->teardown().isOk());  // nothing left to remove is fine
}

TEST_F(OverlayNetns, HostGwRoutesPodTrafficViaNodeIpsAndLeavesForeignRoutesAlone) {
  const std::string& a = nodes_->a();
  const std::string& b = nodes_->b();
  const std::string& pa = nodes_->podA();
  const std::string& pb = nodes_->podB();
  // A route that is not ours, to a podCIDR-looking destination.
  ASSERT_EQ(run("ip -n " + a + " route add 10.244.9.0/24 via 192.168.251.9"), 0);

  NodeNetwork node_a{"node-a", "192.168.251.1", "10.244.1.0/24", ""};
  NodeNetwork node_b{"node-b", "192.168.251.2", "10.244.2.0/24", ""};
  // Start as vxlan, then switch the backend: the VXLAN device must go.
  Node vx(a, node_a, Backend::kVxlan);
  ASSERT_TRUE(vx.dataplane);
  ASSERT_TRUE(vx.reconcile({}).isOk());
  ASSERT_EQ(run("ip -n " + a + " link show minik8s.1"), 0);

  Node na(a, node_a, Backend::kHostGw);
  Node nb(b, node_b, Backend::kHostGw);
  ASSERT_TRUE(na.dataplane && nb.dataplane);
  NodeNetwork far{"node-far", "192.168.77.7", "10.244.7.0/24", ""};
  auto ra = na.reconcile({node_a, node_b, far});
  auto rb = nb.reconcile({node_a, node_b});
  ASSERT_TRUE(ra.isOk()) << ra.status().toString();
  ASSERT_TRUE(rb.isOk()) << rb.status().toString();
  EXPECT_NE(run("ip -n " + a + " link show minik8s.1"), 0) << "vxlan device left behind";
  ASSERT_EQ(ra->skipped.size(), 1u);
  EXPECT_EQ(ra->skipped[0].name, "node-far");
  const std::string routes = output("ip -n " + a + " route show proto 181");
  EXPECT_EQ(routes, "10.244.2.0/24 via 192.168.251.2 dev eth0 \n") << routes;
  show("node A routes", "ip -n " + a + " route show");

  EXPECT_TRUE(podRoundTrip(pa, "10.244.1.5", pb, "10.244.2.5"));
  EXPECT_TRUE(podRoundTrip(pb, "10.244.2.5", pa, "10.244.1.5"));
  auto again = na.reconcile({node_a, node_b, far});
  ASSERT_TRUE(again.isOk());
  EXPECT_TRUE(again->applied.empty());

  auto left = nb.reconcile({node_b});
  ASSERT_TRUE(left.isOk());
  EXPECT_EQ(output("ip -n " + b + " route show proto 181"), "");
  EXPECT_FALSE(podRoundTrip(pa, "10.244.1.5", pb, "10.244.2.5"));

  ASSERT_TRUE(na.reconciler->teardown().isOk());
  EXPECT_EQ(output("ip -n " + a + " route show proto 181"), "");
  EXPECT_TRUE(contains(output("ip -n " + a + " route show"), "10.244.9.0/24 via 192.168.251.9"))
      << "a foreign route was deleted";
}

}  // namespace minik8s::network
