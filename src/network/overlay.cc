#include "network/overlay.h"

#include <algorithm>
#include <iterator>
#include <set>

#include "common/ipv4.h"

namespace minik8s::network {

std::string_view backendName(Backend backend) {
  switch (backend) {
    case Backend::kVxlan: return "vxlan";
    case Backend::kHostGw: return "host-gw";
  }
  return "unknown";
}

Result<Backend> parseBackend(std::string_view text) {
  if (text == "vxlan") return Backend::kVxlan;
  if (text == "host-gw") return Backend::kHostGw;
  return invalid("network backend \"" + std::string(text) + "\": want vxlan or host-gw");
}

Result<int> podMtu(Backend backend, int underlay_mtu) {
  const int mtu = backend == Backend::kVxlan ? underlay_mtu - kVxlanOverhead : underlay_mtu;
  if (mtu < kMinIpv4Mtu) {
    return invalid("underlay MTU " + std::to_string(underlay_mtu) + " is too small for " +
                   std::string(backendName(backend)));
  }
  return mtu;
}

namespace {

Result<uint32_t> parseAddress(const std::string& text) {
  ASSIGN_OR_RETURN(Ipv4Cidr cidr, parseIpv4Cidr(text + "/32"));
  return cidr.network;
}

uint32_t maskOf(int prefix) {
  return prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
}

bool overlaps(const Ipv4Cidr& a, const Ipv4Cidr& b) {
  return a.contains(b) || b.contains(a);
}

template <typename T>
std::vector<T> minus(const std::vector<T>& a, const std::vector<T>& b) {
  std::vector<T> out;
  std::set<T> sb(b.begin(), b.end());
  for (const T& x : std::set<T>(a.begin(), a.end())) {
    if (!sb.contains(x)) out.push_back(x);
  }
  return out;
}

}  // namespace

Result<OverlayPlan> planOverlay(const NodeNetwork& self, const std::vector<NodeNetwork>& peers,
                                Backend backend, const Underlay& underlay) {
  auto self_ip = parseAddress(self.node_ip);
  if (!self_ip.isOk()) return self_ip.status().withContext("node " + self.name + " IP");
  auto self_cidr = parseIpv4Cidr(self.pod_cidr, 8, 30);
  if (!self_cidr.isOk()) return self_cidr.status().withContext("node " + self.name + " podCIDR");
  if (underlay.prefix < 0 || underlay.prefix > 32) {
    return invalid("underlay prefix length " + std::to_string(underlay.prefix));
  }
  ASSIGN_OR_RETURN(const int mtu, podMtu(backend, underlay.mtu));

  OverlayPlan plan;
  plan.backend = backend;
  const std::string device(kVxlanDevice);
  if (backend == Backend::kVxlan) {
    VxlanDevice dev;
    dev.local = self.node_ip;
    dev.underlay = underlay.device;
    dev.mtu = mtu;
    dev.address = formatIpv4(self_cidr->network) + "/32";
    dev.mac = vtepMacFor(self.name);
    plan.device = dev;
  }

  std::vector<Ipv4Cidr> taken = {*self_cidr};
  const uint32_t subnet_mask = maskOf(underlay.prefix);
  for (const NodeNetwork& peer : peers) {
    if (peer.name == self.name) continue;
    auto skip = [&](std::string reason) { plan.skipped.push_back({peer.name, std::move(reason)}); };
    if (peer.node_ip.empty()) {
      skip("no node IP");
      continue;
    }
    auto ip = parseAddress(peer.node_ip);
    if (!ip.isOk()) {
      skip("bad node IP \"" + peer.node_ip + "\"");
      continue;
    }
    if (*ip == *self_ip) {
      skip("node IP " + peer.node_ip + " is this node's");
      continue;
    }
    if (peer.pod_cidr.empty()) {
      skip("no podCIDR");
      continue;
    }
    auto cidr = parseIpv4Cidr(peer.pod_cidr, 8, 30);
    if (!cidr.isOk()) {
      skip("bad podCIDR: " + cidr.status().message());
      continue;
    }
    if (std::any_of(taken.begin(), taken.end(),
                    [&](const Ipv4Cidr& t) { return overlaps(t, *cidr); })) {
      skip("podCIDR " + peer.pod_cidr + " overlaps another node's");
      continue;
    }
    const std::string dst = cidr->toString();
    if (backend == Backend::kHostGw) {
      if ((*ip & subnet_mask) != (*self_ip & subnet_mask)) {
        skip("unreachable with host-gw: " + peer.node_ip + " is not in " +
             formatIpv4(*self_ip & subnet_mask) + "/" + std::to_string(underlay.prefix));
        continue;
      }
      taken.push_back(*cidr);
      plan.entries.routes.push_back({dst, formatIpv4(*ip), underlay.device, false});
      continue;
    }
    std::string mac = normalizeMac(peer.vtep_mac);
    if (mac.empty()) {
      skip(peer.vtep_mac.empty() ? "no VTEP MAC" : "bad VTEP MAC \"" + peer.vtep_mac + "\"");
      continue;
    }
    taken.push_back(*cidr);
    const std::string gateway = formatIpv4(cidr->network);
    plan.entries.routes.push_back({dst, gateway, device, true});
    plan.entries.neighbors.push_back({gateway, mac, device});
    plan.entries.fdb.push_back({mac, formatIpv4(*ip), device});
  }
  std::sort(plan.entries.routes.begin(), plan.entries.routes.end());
  std::sort(plan.entries.neighbors.begin(), plan.entries.neighbors.end());
  std::sort(plan.entries.fdb.begin(), plan.entries.fdb.end());
  return plan;
}

OverlayChanges diffOverlay(const OverlayEntries& desired, const OverlayEntries& actual) {
  OverlayChanges changes;
  changes.add.routes = minus(desired.routes, actual.routes);
  changes.add.neighbors = minus(desired.neighbors, actual.neighbors);
  changes.add.fdb = minus(desired.fdb, actual.fdb);
  changes.remove.routes = minus(actual.routes, desired.routes);
  changes.remove.neighbors = minus(actual.neighbors, desired.neighbors);
  changes.remove.fdb = minus(actual.fdb, desired.fdb);
  return changes;
}

std::string vtepMacFor(std::string_view node_name) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a, 64 bit
  for (unsigned char c : node_name) {
    h ^= c;
    h *= 1099511628211ull;
  }
  uint8_t bytes[6];
  for (int i = 0; i < 6; ++i) bytes[i] = static_cast<uint8_t>(h >> (8 * i));
  bytes[0] = static_cast<uint8_t>((bytes[0] & 0xfc) | 0x02);  // unicast, locally administered
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 6; ++i) {
    if (i) out += ':';
    out += kHex[bytes[i] >> 4];
    out += kHex[bytes[i] & 0xf];
  }
  return out;
}

}  // namespace minik8s::network
