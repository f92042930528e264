// The CNI network of a node: a bridge with host-local IPAM over the node's podCIDR (pure).
#pragma once

#include <cstdint>
#include <string>

#include "common/ipv4.h"
#include "common/status.h"

namespace minik8s::node {

using minik8s::Ipv4Cidr;

// A node's pod CIDR: "10.244.1.0/24" → {0x0af40100, 24}. Prefixes 8..30; host bits must be
// zero (kInvalid).
Result<Ipv4Cidr> parseIpv4Cidr(const std::string& text);

struct CniOptions {
  std::string network_name = "minik8s";
  std::string bridge = "mk8s0";   // a Linux interface name: at most 15 bytes
  std::string pod_cidr;           // the node's podCIDR, e.g. "10.244.1.0/24"
  std::string ipam_data_dir;      // host-local lease directory, per node
  bool ip_masq = true;            // false for multi-node host-gw/VXLAN (keep pod source IPs)
  bool hairpin = true;
  bool port_map = true;           // the portmap plugin, for hostPort
  // The MTU of the bridge and the pods' veths (the bridge plugin's "mtu"); 0: unset, the
  // kernel's default. With a cross-node backend: network::podMtu (VXLAN: underlay − 50).
  int mtu = 0;
};

// The conflist (bridge + host-local, portmap, loopback) as JSON text, or kInvalid for a bad
// CIDR, bridge name, MTU (not 0 and outside 68..65535) or empty data dir.
Result<std::string> renderCniConflist(const CniOptions& options);

// The file name containerd reads: "10-<network_name>.conflist".
std::string cniConflistFileName(const CniOptions& options);

}  // namespace minik8s::node
