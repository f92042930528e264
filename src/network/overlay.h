// The cross-node pod network as a plan (pure): which VXLAN device, routes, permanent
// neighbours and FDB entries a node needs to reach its peers' pod CIDRs, the same layout as
// flannel's vxlan and host-gw backends, and the diff between that plan and what the kernel
// has, so that a reconcile touches only what changed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "network/node_network.h"

namespace minik8s::network {

enum class Backend { kVxlan, kHostGw };

std::string_view backendName(Backend backend);  // "vxlan", "host-gw"
Result<Backend> parseBackend(std::string_view text);

inline constexpr std::string_view kVxlanDevice = "minik8s.1";  // ≤ 15 bytes (IFNAMSIZ - 1)
inline constexpr uint32_t kVxlanVni = 1;
inline constexpr uint16_t kVxlanPort = 8472;  // the Linux default, flannel's too
inline constexpr int kVxlanOverhead = 50;     // outer Ethernet 14 + IPv4 20 + UDP 8 + VXLAN 8
// The smallest IPv4 MTU (RFC 791): below it a device cannot carry an IPv4 packet.
inline constexpr int kMinIpv4Mtu = 68;
// rtm_protocol of every route we install: we list and delete only routes carrying it.
inline constexpr int kRouteProtocol = 0xb5;  // 181, unassigned in /etc/iproute2/rt_protos

// The interface that carries the node IP: its name, MTU and the prefix length of node_ip.
struct Underlay {
  std::string device;
  int mtu = 1500;
  int prefix = 24;

  bool operator==(const Underlay&) const = default;
};

// The MTU of the pods' interfaces (CNI bridge and veths) and of the VXLAN device, from the
// MTU of the underlay device (the one holding the node IP), as flannel computes its subnet
// MTU: vxlan → underlay − kVxlanOverhead (the encapsulation must fit in one underlay
// frame), host-gw → the underlay's (packets are routed unchanged). kInvalid when the result
// would be below kMinIpv4Mtu. (No backend, "none": the pods keep the kernel's default.)
Result<int> podMtu(Backend backend, int underlay_mtu);

struct VxlanDevice {
  std::string name{kVxlanDevice};
  uint32_t vni = kVxlanVni;
  uint16_t port = kVxlanPort;
  std::string local;     // the node IP
  std::string underlay;  // the device carrying `local`
  int mtu = 0;           // podMtu(kVxlan, underlay MTU)
  std::string address;   // first address of the podCIDR as /32: "10.244.1.0/32"
  std::string mac;       // wanted MAC for a new device (vtepMacFor); kept if it exists
  bool learning = false;

  bool operator==(const VxlanDevice&) const = default;
};

// `ip route add <dst> via <gateway> dev <device> [onlink] proto kRouteProtocol`.
struct Route {
  std::string dst;  // "10.244.2.0/24"
  std::string gateway;
  std::string device;
  bool onlink = false;

  auto operator<=>(const Route&) const = default;
};

// `ip neigh replace <ip> lladdr <mac> dev <device> nud permanent`.
struct Neighbor {
  std::string ip;
  std::string mac;
  std::string device;

  auto operator<=>(const Neighbor&) const = default;
};

// `bridge fdb append <mac> dst <dst> dev <device> self permanent`.
struct FdbEntry {
  std::string mac;
  std::string dst;
  std::string device;

  auto operator<=>(const FdbEntry&) const = default;
};

// The entries we own: routes with kRouteProtocol, permanent neighbours and FDB entries with
// a dst on our VXLAN device. Each list sorted.
struct OverlayEntries {
  std::vector<Route> routes;
  std::vector<Neighbor> neighbors;
  std::vector<FdbEntry> fdb;

  bool empty() const { return routes.empty() && neighbors.empty() && fdb.empty(); }
  bool operator==(const OverlayEntries&) const = default;
};

struct SkippedPeer {
  std::string name;
  std::string reason;

  bool operator==(const SkippedPeer&) const = default;
};

struct OverlayPlan {
  Backend backend = Backend::kVxlan;
  std::optional<VxlanDevice> device;  // vxlan only
  OverlayEntries entries;
  std::vector<SkippedPeer> skipped;  // incomplete, conflicting or (host-gw) unreachable peers
};

// The plan for `self` and its peers. `self` needs a node IP and a podCIDR (kInvalid
// otherwise); its own vtep_mac is not used. A peer named like `self` is ignored. A peer
// without node IP or podCIDR, with a podCIDR overlapping another's, without VTEP MAC
// (vxlan), or not on self's underlay subnet (host-gw) is skipped with a reason.
Result<OverlayPlan> planOverlay(const NodeNetwork& self, const std::vector<NodeNetwork>& peers,
                                Backend backend, const Underlay& underlay);

// What to add and what to remove to turn `actual` into `desired`. A changed entry is removed
// and added again; entries of nodes that left are removed. Apply removals first.
struct OverlayChanges {
  OverlayEntries add;
  OverlayEntries remove;

  bool empty() const { return add.empty() && remove.empty(); }
};
OverlayChanges diffOverlay(const OverlayEntries& desired, const OverlayEntries& actual);

// A stable, locally administered unicast MAC derived from the node name, so that a node
// publishes the same VTEP MAC after a restart or a re-created device.
std::string vtepMacFor(std::string_view node_name);

}  // namespace minik8s::network
