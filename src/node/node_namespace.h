// The underlay of `minik8s up --nodes N` (a multi-node cluster on one machine, as kind's):
// a bridge in the host's network namespace, and per extra node a named network namespace
// (as `ip netns add` makes one: /proc/<thread>/ns/net bind-mounted on /run/netns/<name>)
// joined to the bridge by a veth pair, with its address, loopback up and a default route
// through the bridge. All through rtnetlink (libnl-route-3); never spawns `ip`. The layout
// (names, addresses) is decided by node/local_cluster.h's multiNodeLayout().
#pragma once

#include <string>

#include "common/status.h"

namespace minik8s::node {

inline constexpr char kNetnsDir[] = "/run/netns";

// /run/netns/<name>.
std::string netnsPath(const std::string& name);

// One extra node's network namespace and its link to the underlay bridge.
struct NodeNamespaceSpec {
  std::string netns;         // its name under /run/netns
  std::string bridge;        // the underlay bridge (host side)
  std::string host_veth;     // the veth end in the host, a port of the bridge (≤ 15 chars)
  std::string address_cidr;  // the node's address on "eth0" inside, e.g. "172.31.240.2/24"
  std::string gateway;       // its default route, e.g. "172.31.240.1" (the bridge's address)
};

// Creates the bridge `name` when missing, gives it `address_cidr` ("172.31.240.1/24"; other
// IPv4 addresses on it are removed) and sets it up. Idempotent.
Status ensureUnderlayBridge(const std::string& name, const std::string& address_cidr);

// Creates what of `spec` is missing: the namespace, the veth pair (its inner end "eth0"
// created inside the namespace), the bridge port, the address, lo and eth0 up, the default
// route. Idempotent; the bridge must exist.
Status ensureNodeNamespace(const NodeNamespaceSpec& spec);

// Deletes the host end of the veth (the inner end goes with it) and the namespace's file
// (unmounted, then removed). The namespace itself lives on while a process still runs in
// it. Idempotent.
Status deleteNodeNamespace(const std::string& netns, const std::string& host_veth);

// Deletes the link `name` of the host's namespace when it exists (the underlay bridge).
Status deleteHostLink(const std::string& name);

// Whether /run/netns/<name> is a mounted network namespace.
bool netnsExists(const std::string& name);

}  // namespace minik8s::node
