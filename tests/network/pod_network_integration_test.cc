// The pod network controller on the real kernel, as the agent runs it: two node namespaces
// on a veth underlay with a pod behind each (netns_fixture.h), and in each node a
// PodNetworkController (Node informer, one worker) over NetlinkDataplane and the real
// iptables, all against one FakeClient holding both Nodes (the apiserver). The nodes publish
// their VTEP MACs, learn each other's, and the pods reach each other over VXLAN with their own
// addresses (although both nodes' FORWARD policy is DROP, as with Docker: the agents' forward
// chain accepts the cluster CIDR); the VXLAN device's MTU is the underlay's − 50, what the
// agent gives the pods; a pod's traffic to an address outside the cluster CIDR leaves
// masqueraded. A Node that is deleted loses its route; stopping leaves everything in place;
// teardown (what `minik8s down` calls) removes it. Traffic stays inside the test's namespaces.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "api/scheme.h"
#include "client/fake_client.h"
#include "network/netlink_dataplane.h"
#include "network/netns_fixture.h"
#include "network/overlay_reconciler.h"
#include "network/pod_masquerade.h"
#include "network/pod_network_controller.h"
#include "proxy/iptables.h"

namespace minik8s::network {
namespace pod_network_integration_test {

using namespace testing;
using nlohmann::json;

const api::ResourceInfo& nodes() {
  return *api::findResource("", "v1", "nodes");
}

constexpr char kClusterCidr[] = "10.244.0.0/16";

json nodeJson(const std::string& name, const std::string& ip, const std::string& cidr) {
  return {{"apiVersion", "v1"},
          {"kind", "Node"},
          {"metadata", {{"name", name}}},
          {"spec", {{"podCIDR", cidr}, {"podCIDRs", {cidr}}}},
          {"status", {{"addresses", {{{"type", "InternalIP"}, {"address", ip}}}}}}};
}

// One node's pod network as the agent wires it (cmd/minik8s/agent_cmd.cc, NodePodNetwork),
// with the netlink socket and iptables inside the node's namespace.
class NodeAgent {
 public:
  NodeAgent(client::Client& client, const std::string& ns, const std::string& name,
            const std::string& pod_cidr)
      : iptables_({"ip", "netns", "exec", ns}), informers_(client) {
    auto opened = inNetns(ns, [] { return NetlinkDataplane::open(); });
    EXPECT_TRUE(opened.isOk()) << opened.status().toString();
    if (!opened.isOk()) return;
    dataplane_ = std::move(opened).value();
    reconciler_ = std::make_unique<OverlayReconciler>(dataplane_.get(), Backend::kVxlan);
    PodNetworkOptions options;
    options.node_name = name;
    options.resync_period = std::chrono::seconds(1);
    options.ensure_iptables = [this, rules = PodMasquerade{pod_cidr, kClusterCidr}] {
      Status first = ensurePodMasquerade(iptables_, rules);
      Status forward = ensurePodForward(iptables_, kClusterCidr);
      return first.isOk() ? forward : first;
    };
    controller_ = PodNetworkController::create(client, informers_, *reconciler_, options);
    informers_.start();
    Status running = controller_->run(std::chrono::seconds(10));
    EXPECT_TRUE(running.isOk()) << running.toString();
  }
  ~NodeAgent() {
    informers_.stop();
    controller_.reset();
  }
  bool ok() const { return controller_ != nullptr; }
  proxy::Iptables& iptables() { return iptables_; }

 private:
  proxy::ExecIptables iptables_;
  client::SharedInformerFactory informers_;
  std::unique_ptr<NetlinkDataplane> dataplane_;
  std::unique_ptr<OverlayReconciler> reconciler_;
  std::unique_ptr<PodNetworkController> controller_;
};

// A host outside the cluster: namespace `ns` behind node `node` on 192.168.252.0/24.
class Outside {
 public:
  Outside(const std::string& node, const std::string& ns) : ns_(ns) {
    ok_ = run("ip netns add " + ns) == 0 &&
          run("ip -n " + node + " link add out0 type veth peer name eth0 netns " + ns) == 0 &&
          run("ip -n " + node + " addr add 192.168.252.1/24 dev out0") == 0 &&
          run("ip -n " + node + " link set out0 up") == 0 &&
          run("ip -n " + ns + " addr add 192.168.252.2/24 dev eth0") == 0 &&
          run("ip -n " + ns + " link set eth0 up") == 0 &&
          run("ip -n " + ns + " link set lo up") == 0;
  }
  ~Outside() { run("ip netns del " + ns_); }
  bool ok() const { return ok_; }

 private:
  std::string ns_;
  bool ok_ = false;
};

// The source address a datagram from `src_ip` in `src_ns` arrives with at `dst_ip` in
// `dst_ns`, once the answer came back to the sender; "" when it did not.
std::string sourceSeen(const std::string& src_ns, const std::string& src_ip,
                       const std::string& dst_ns, const std::string& dst_ip) {
  Fd client{udpSocket(src_ns, src_ip)};
  Fd server{udpSocket(dst_ns, dst_ip)};
  if (client.fd < 0 || server.fd < 0) return "";
  sockaddr_in to = address(dst_ip, portOf(server.fd));
  for (int attempt = 0; attempt < 3; ++attempt) {
    const char ping[] = "ping";
    if (::sendto(client.fd, ping, sizeof ping, 0, reinterpret_cast<sockaddr*>(&to), sizeof to) <
        0) {
      return "";
    }
    sockaddr_in from{};
    std::string seen = receive(server.fd, 1000, &from);
    if (seen.empty()) continue;
    const char pong[] = "pong";
    ::sendto(server.fd, pong, sizeof pong, 0, reinterpret_cast<sockaddr*>(&from), sizeof from);
    sockaddr_in back{};
    if (receive(client.fd, 1000, &back) == dst_ip) return seen;
  }
  return "";
}

// Polls `done` every 100 ms for up to `seconds`.
template <typename F>
bool eventually(F done, int seconds = 15) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return done();
}

std::string macOf(client::FakeClient& client, const std::string& name) {
  auto node = client.object(nodes(), "", name);
  if (!node) return "";
  return (*node)["metadata"].value("annotations", json::object()).value(kVtepMacAnnotation, "");
}

}  // namespace pod_network_integration_test

using namespace pod_network_integration_test;

TEST(PodNetworkNetns, TwoAgentsConnectTheirPodsAndMasqueradeTrafficLeavingTheCluster) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  if (run("ip -V") != 0 || run("iptables-restore --version") != 0) {
    GTEST_SKIP() << "needs iproute2 and iptables";
  }
  TwoNodes fixture("h30");
  ASSERT_TRUE(fixture.ok()) << "fixture set-up failed";
  const std::string outside_ns = "mk8s-h30-out-" + std::to_string(::getpid());
  Outside outside(fixture.a(), outside_ns);
  ASSERT_TRUE(outside.ok()) << "outside set-up failed";
  const std::string& a = fixture.a();
  const std::string& pa = fixture.podA();
  const std::string& pb = fixture.podB();
  EXPECT_FALSE(podRoundTrip(pa, "10.244.1.5", pb, "10.244.2.5")) << "reachable before any route";
  // Both nodes drop forwarded traffic by default, as a host with Docker does: the pods meet
  // only through the agents' MINIK8S-POD-FORWARD accepts.
  ASSERT_EQ(run("ip netns exec " + a + " iptables -w 5 -P FORWARD DROP"), 0);
  ASSERT_EQ(run("ip netns exec " + fixture.b() + " iptables -w 5 -P FORWARD DROP"), 0);

  client::FakeClient client;
  client.add(nodes(), nodeJson("node-a", "192.168.251.1", "10.244.1.0/24"));
  client.add(nodes(), nodeJson("node-b", "192.168.251.2", "10.244.2.0/24"));
  auto agent_a = std::make_unique<NodeAgent>(client, a, "node-a", "10.244.1.0/24");
  auto agent_b = std::make_unique<NodeAgent>(client, fixture.b(), "node-b", "10.244.2.0/24");
  ASSERT_TRUE(agent_a->ok() && agent_b->ok());

  // Each publishes its MAC, sees the other's, and the pods meet over VXLAN.
  EXPECT_TRUE(eventually([&] {
    return macOf(client, "node-a") == vtepMacFor("node-a") &&
           macOf(client, "node-b") == vtepMacFor("node-b");
  })) << "VTEP MACs not published";
  EXPECT_TRUE(eventually([&] { return podRoundTrip(pa, "10.244.1.5", pb, "10.244.2.5"); }))
      << output("ip -n " + a + " route show") << output("ip -n " + a + " neigh show");
  EXPECT_TRUE(podRoundTrip(pb, "10.244.2.5", pa, "10.244.1.5"));
  show("node A routes", "ip -n " + a + " route show");

  // The VXLAN device has room for the encapsulation (veth underlay 1500 − 50), the MTU the
  // agent gives the pods' CNI bridge (findPodMtu, the same number).
  auto pod_mtu = inNetns(a, [] {
    auto dataplane = NetlinkDataplane::open();
    if (!dataplane.isOk()) return Result<int>(dataplane.status());
    return findPodMtu(**dataplane, Backend::kVxlan, "192.168.251.1");
  });
  ASSERT_TRUE(pod_mtu.isOk()) << pod_mtu.status().toString();
  EXPECT_EQ(*pod_mtu, 1450);
  EXPECT_TRUE(contains(output("ip -n " + a + " link show minik8s.1"), "mtu 1450"))
      << output("ip -n " + a + " link show minik8s.1");
  auto filter = agent_a->iptables().save("filter");
  ASSERT_TRUE(filter.isOk()) << filter.status().toString();
  EXPECT_TRUE(contains(*filter, ":FORWARD DROP")) << *filter;
  EXPECT_TRUE(contains(*filter, "-A FORWARD -j MINIK8S-POD-FORWARD")) << *filter;
  EXPECT_TRUE(contains(*filter, "-A MINIK8S-POD-FORWARD -s 10.244.0.0/16 -j ACCEPT")) << *filter;
  EXPECT_TRUE(contains(*filter, "-A MINIK8S-POD-FORWARD -d 10.244.0.0/16 -j ACCEPT")) << *filter;

  // Published once each, although every node event and resync runs a sync.
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  int patches = 0;
  for (const auto& w : client.writes()) patches += w.verb == "patch" && w.resource == "nodes";
  EXPECT_EQ(patches, 2);

  // The masquerade rules, in their own chain; pod → outside leaves with the node's address,
  // pod → pod (inside the cluster CIDR) kept its own above.
  auto nat = agent_a->iptables().save("nat");
  ASSERT_TRUE(nat.isOk()) << nat.status().toString();
  EXPECT_TRUE(contains(*nat, "-A POSTROUTING -j MINIK8S-POD-MASQ")) << *nat;
  EXPECT_TRUE(contains(*nat, "-A MINIK8S-POD-MASQ -s 10.244.1.0/24 -d 10.244.0.0/16 -j RETURN"))
      << *nat;
  EXPECT_TRUE(contains(*nat, "-A MINIK8S-POD-MASQ -s 10.244.1.0/24 -j MASQUERADE")) << *nat;
  EXPECT_EQ(sourceSeen(pa, "10.244.1.5", outside_ns, "192.168.252.2"), "192.168.252.1");

  // Node B is deleted: A forgets its route and the pods lose each other.
  ASSERT_TRUE(client.remove(nodes(), "", "node-b").isOk());
  EXPECT_TRUE(eventually([&] {
    return !contains(output("ip -n " + a + " route show proto 181"), "10.244.2.0/24");
  })) << output("ip -n " + a + " route show proto 181");
  EXPECT_FALSE(podRoundTrip(pa, "10.244.1.5", pb, "10.244.2.5"));

  // An agent that stops leaves the device and the rules (traffic survives a restart).
  agent_b.reset();
  agent_a.reset();
  EXPECT_EQ(run("ip -n " + a + " link show minik8s.1"), 0);
  proxy::ExecIptables iptables_a({"ip", "netns", "exec", a});
  EXPECT_TRUE(contains(*iptables_a.save("nat"), "MINIK8S-POD-MASQ"));
  EXPECT_TRUE(contains(*iptables_a.save("filter"), "MINIK8S-POD-FORWARD"));

  // What `minik8s down` calls, in the node's namespace: everything goes, twice is fine.
  Status down = inNetns(a, [&] { return teardownPodNetwork(iptables_a); });
  EXPECT_TRUE(down.isOk()) << down.toString();
  EXPECT_NE(run("ip -n " + a + " link show minik8s.1"), 0);
  EXPECT_EQ(output("ip -n " + a + " route show proto 181"), "");
  EXPECT_FALSE(contains(*iptables_a.save("nat"), "MINIK8S-POD-MASQ"));
  EXPECT_FALSE(contains(*iptables_a.save("filter"), "MINIK8S-POD-FORWARD"));
  EXPECT_TRUE(contains(*iptables_a.save("filter"), ":FORWARD DROP"));  // the policy stays
  Status again = inNetns(a, [&] { return teardownPodNetwork(iptables_a); });
  EXPECT_TRUE(again.isOk()) << again.toString();
}

}  // namespace minik8s::network
