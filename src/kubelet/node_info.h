// The Node a kubelet registers and keeps up to date (pure, apart from readHostInfo).
#pragma once

#include <cstdint>
#include <string>

#include "api/types_core.h"

namespace minik8s::kubelet {

struct HostInfo {
  int64_t cpus = 1;
  int64_t memory_bytes = 0;
  std::string kernel_version;
  std::string os_image;
  std::string architecture;  // Kubernetes' names: amd64, arm64
  std::string machine_id;
  std::string hostname;
};

HostInfo readHostInfo();  // /proc, uname, /etc/os-release

struct NodeConfig {
  std::string node_name;
  std::string node_ip;
  int kubelet_port = 10250;
  std::string pod_cidr;
  std::string runtime_version;  // "containerd://1.6.20"
  std::string kubelet_version = "v1.32.0-minik8s";
};

struct RuntimeHealth {
  bool ready = false;
  std::string message;  // why not
};

// Capacity (= allocatable: nothing is reserved) of a node on this host: cpu, memory, pods=110.
api::ResourceList nodeCapacity(const HostInfo& host);

// The Node object as this kubelet sees it: labels, podCIDR, capacity/allocatable,
// addresses, daemon endpoint, node info and conditions with heartbeat `now`. Conditions
// keep their lastTransitionTime from `previous` when unchanged.
api::Node desiredNode(const NodeConfig& config, const HostInfo& host, const RuntimeHealth& health,
                      const api::Node& previous, const std::string& now);

}  // namespace minik8s::kubelet
