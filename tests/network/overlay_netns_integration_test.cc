// The pod network on the real kernel: two "node" network namespaces of this test joined by a
// veth pair (the underlay, 192.168.251.0/24), a reconciler in each over NetlinkDataplane, and
// a "pod" namespace behind each node in its podCIDR. UDP between the pods crosses the VXLAN
// device, then host-gw routes. Only the fixture runs `ip`/`bridge`; all traffic stays
// inside the test's namespaces (they have no default route).
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <thread>

#include "network/netlink_dataplane.h"
#include "network/overlay_reconciler.h"

namespace minik8s::network {
namespace overlay_netns_integration_test {

// Runs `cmd` through the shell; returns its exit status and fills `out` with stdout+stderr.
int run(const std::string& cmd, std::string* out = nullptr) {
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (p == nullptr) return -1;
  std::string text;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) text.append(buf.data(), n);
  int rc = ::pclose(p);
  if (out != nullptr) *out = text;
  return rc;
}

std::string output(const std::string& cmd) {
  std::string out;
  run(cmd, &out);
  return out;
}

// Runs f() on a thread that has joined network namespace `ns`; sockets it opens stay there.
template <typename F>
auto inNetns(const std::string& ns, F f) -> decltype(f()) {
  std::optional<decltype(f())> result;
  std::thread t([&] {
    int fd = ::open(("/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) {
      std::perror(("setns " + ns).c_str());
      std::abort();  // never run the code under test in the host's namespace
    }
    ::close(fd);
    result.emplace(f());
  });
  t.join();
  return std::move(*result);
}

// Two "nodes" A and B (network namespaces) joined by a veth underlay, each with one "pod":
// a third namespace behind a veth whose node end holds the pod gateway (like a CNI bridge),
// with a default route to it. Every namespace is deleted in the destructor, devices with
// them, also when a test fails.
class TwoNodes {
 public:
  TwoNodes() {
    const std::string pid = std::to_string(::getpid());
    a_ = "mk8s-h24-a-" + pid;
    b_ = "mk8s-h24-b-" + pid;
    pod_a_ = "mk8s-h24-pa-" + pid;
    pod_b_ = "mk8s-h24-pb-" + pid;
    ok_ = fixture("ip netns add " + a_) && fixture("ip netns add " + b_) &&
          fixture("ip netns add " + pod_a_) && fixture("ip netns add " + pod_b_) &&
          // Created inside A with its peer inside B: no device ever exists in the host's ns.
          fixture("ip -n " + a_ + " link add eth0 type veth peer name eth0 netns " + b_) &&
          setUp(a_, pod_a_, "192.168.251.1/24", "10.244.1") &&
          setUp(b_, pod_b_, "192.168.251.2/24", "10.244.2");
  }
  ~TwoNodes() {
    for (const std::string& ns : {pod_a_, pod_b_, a_, b_}) run("ip netns del " + ns);
  }
  bool ok() const { return ok_; }
  const std::string& a() const { return a_; }
  const std::string& b() const { return b_; }
  const std::string& podA() const { return pod_a_; }
  const std::string& podB() const { return pod_b_; }

 private:
  static bool fixture(const std::string& cmd) {
    std::string out;
    if (run(cmd, &out) == 0) return true;
    std::cerr << "fixture: " << cmd << ": " << out;
    return false;
  }
  // The node gets `node_ip` on eth0 and <net>.1/24 on pod0; the pod <net>.5/24 on its eth0.
  static bool setUp(const std::string& ns, const std::string& pod, const std::string& node_ip,
                    const std::string& net) {
    const std::string ip = "ip -n " + ns + " ";
    const std::string pip = "ip -n " + pod + " ";
    return fixture(ip + "link set lo up") && fixture(ip + "addr add " + node_ip + " dev eth0") &&
           fixture(ip + "link set eth0 up") &&
           fixture(ip + "link add pod0 type veth peer name eth0 netns " + pod) &&
           fixture(ip + "addr add " + net + ".1/24 dev pod0") && fixture(ip + "link set pod0 up") &&
           fixture("ip netns exec " + ns + " sysctl -qw net.ipv4.ip_forward=1") &&
           fixture(pip + "link set lo up") && fixture(pip + "addr add " + net + ".5/24 dev eth0") &&
           fixture(pip + "link set eth0 up") &&
           fixture(pip + "route add default via " + net + ".1");
  }

  std::string a_, b_, pod_a_, pod_b_;
  bool ok_ = false;
};

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

sockaddr_in address(const std::string& ip, uint16_t port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  ::inet_pton(AF_INET, ip.c_str(), &sa.sin_addr);
  return sa;
}

// A UDP socket in `ns` bound to ip:0; -1 on failure.
int udpSocket(const std::string& ns, const std::string& ip) {
  return inNetns(ns, [&] {
    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in sa = address(ip, 0);
    if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
      ::close(fd);
      fd = -1;
    }
    return fd;
  });
}

uint16_t portOf(int fd) {
  sockaddr_in sa{};
  socklen_t len = sizeof sa;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  return ntohs(sa.sin_port);
}

// Waits up to `ms` for a datagram; returns its sender's IP, or "".
std::string receive(int fd, int ms, sockaddr_in* from) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, ms) != 1) return "";
  char buf[2048];
  socklen_t len = sizeof *from;
  if (::recvfrom(fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(from), &len) < 0) return "";
  char text[INET_ADDRSTRLEN];
  ::inet_ntop(AF_INET, &from->sin_addr, text, sizeof text);
  return text;
}

// Pod `src_ip` in `src_ns` sends a datagram to pod `dst_ip` in `dst_ns`, which answers. True
// when the answer came back and each side saw the other's pod address (no NAT on the way).
bool podRoundTrip(const std::string& src_ns, const std::string& src_ip, const std::string& dst_ns,
                  const std::string& dst_ip) {
  Fd client{udpSocket(src_ns, src_ip)};
  Fd server{udpSocket(dst_ns, dst_ip)};
  if (client.fd < 0 || server.fd < 0) return false;
  sockaddr_in to = address(dst_ip, portOf(server.fd));
  for (int attempt = 0; attempt < 3; ++attempt) {
    const char ping[] = "ping";
    if (::sendto(client.fd, ping, sizeof ping, 0, reinterpret_cast<sockaddr*>(&to), sizeof to) <
        0) {
      return false;  // e.g. ENETUNREACH: no route at all
    }
    sockaddr_in from{};
    if (receive(server.fd, 1000, &from) != src_ip) continue;
    const char pong[] = "pong";
    ::sendto(server.fd, pong, sizeof pong, 0, reinterpret_cast<sockaddr*>(&from), sizeof from);
    sockaddr_in back{};
    if (receive(client.fd, 1000, &back) == dst_ip) return true;
  }
  return false;
}

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

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

void show(const std::string& title, const std::string& cmd) {
  std::cout << "--- " << title << ": " << cmd << "\n" << output(cmd);
}

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
