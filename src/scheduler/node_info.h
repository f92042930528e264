// NodeInfo: what the scheduler knows about one node: the node, the pods bound to it (and
// assumed bound), their summed requests and used host ports. A plain value: the
// SchedulerCache (cache.h) keeps one per node and replaces it on each change (copy, then
// addPod/removePod/setNode), so a decision reads an immutable NodeInfo with no lock.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "api/types_core.h"

namespace minik8s::scheduler {

struct Resources {
  int64_t milli_cpu = 0;
  int64_t memory = 0;                     // bytes
  int64_t ephemeral_storage = 0;          // bytes
  std::map<std::string, int64_t> scalar;  // every other resource, in whole units

  void add(const Resources& other);
  void subtract(const Resources& other);
  void setMax(const Resources& other);  // element-wise max
};

// Resources of a ResourceList ("cpu" in milli-units, everything else in units).
Resources resourcesOf(const api::ResourceList& list);

// The pod's effective requests as Kubernetes computes them: the sum over containers plus
// restartable (sidecar) init containers, at least the largest regular init container (plus
// the sidecars started before it); the pod-level spec.resources.requests replace cpu and
// memory when given. `non_zero` counts a container without a cpu/memory request as
// 100m / 200Mi (the scheduler's scoring defaults).
Resources podRequests(const api::Pod& pod, bool non_zero = false);

inline constexpr int64_t kDefaultMilliCpuRequest = 100;
inline constexpr int64_t kDefaultMemoryRequest = 200 * 1024 * 1024;

struct HostPort {
  std::string ip;        // "" or "0.0.0.0" = every address
  std::string protocol;  // "TCP" when empty
  int32_t port = 0;
};
// Host ports the pod asks for (containers and init containers, hostPort > 0).
std::vector<HostPort> podHostPorts(const api::Pod& pod);
// True when two host ports clash (same protocol and port, overlapping addresses).
bool hostPortsConflict(const HostPort& a, const HostPort& b);

// A pod that occupies its node: bound and not Succeeded/Failed.
bool podOccupiesNode(const api::Pod& pod);

struct NodeInfo {
  std::shared_ptr<const api::Node> node;
  std::vector<std::shared_ptr<const api::Pod>> pods;
  Resources allocatable;
  int64_t allowed_pods = -1;     // allocatable "pods"; -1 when the node does not say
  Resources requested;           // sum of the pods' requests
  Resources non_zero_requested;  // the same with scoring defaults
  std::vector<HostPort> used_ports;

  const std::string& name() const { return node->metadata.name; }

  // Counts `pod` on this node if it occupies it (podOccupiesNode); false when it does not.
  bool addPod(std::shared_ptr<const api::Pod> pod);
  // Stops counting the pod named namespace/name; false when it was not counted.
  bool removePod(const std::string& namespace_, const std::string& name);
  // Replaces the node object (allocatable and allowed pods follow it).
  void setNode(std::shared_ptr<const api::Node> node);
};

NodeInfo makeNodeInfo(std::shared_ptr<const api::Node> node,
                      std::vector<std::shared_ptr<const api::Pod>> pods);

}  // namespace minik8s::scheduler
