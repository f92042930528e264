// What a node publishes about its pod network, and how to read it off a Node object (pure).
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

namespace minik8s::api {
struct Node;
}

namespace minik8s::network {

// The annotation in which a node publishes the MAC address of its VXLAN device.
inline constexpr std::string_view kVtepMacAnnotation = "minik8s.io/vtep-mac";
// flannel's annotation, also read: {"VNI":1,"VtepMAC":"aa:bb:cc:dd:ee:ff"}.
inline constexpr std::string_view kFlannelBackendDataAnnotation =
    "flannel.alpha.coreos.com/backend-data";

// One node of the pod network: this node or a peer. Empty fields are unknown.
struct NodeNetwork {
  std::string name;
  std::string node_ip;   // the underlay address (status.addresses InternalIP)
  std::string pod_cidr;  // spec.podCIDR, "10.244.1.0/24"
  std::string vtep_mac;  // the node's VXLAN device MAC, lower case

  bool operator==(const NodeNetwork&) const = default;
};

// Reads metadata.name, the first InternalIP of status.addresses, spec.podCIDR and the VTEP
// MAC (kVtepMacAnnotation, else VtepMAC of kFlannelBackendDataAnnotation). Missing or
// malformed fields stay empty; the planner skips such peers with a reason.
NodeNetwork fromNode(const nlohmann::json& node);
NodeNetwork fromNode(const api::Node& node);

// "AA:bb:..." → "aa:bb:...", or "" when `text` is not six colon-separated hex octets.
std::string normalizeMac(std::string_view text);

}  // namespace minik8s::network
