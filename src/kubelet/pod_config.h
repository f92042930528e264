// Pod → CRI configuration (pure; table-tested): the sandbox config of a pod, the container
// config of each container (image, command/args with $(VAR) expansion, env incl. downward
// API and configMap/secret references, mounts, cgroup resources, labels the kubelet
// recovers from), and the cgroup limits of the pod itself.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api/types_core.h"
#include "common/status.h"
#include "cri/types.h"

namespace minik8s::kubelet {

// CRI labels and annotations the kubelet writes and reads back (docs/kubelet.md).
inline constexpr const char* kPodNameLabel = "io.kubernetes.pod.name";
inline constexpr const char* kPodNamespaceLabel = "io.kubernetes.pod.namespace";
inline constexpr const char* kPodUidLabel = "io.kubernetes.pod.uid";
inline constexpr const char* kContainerNameLabel = "io.kubernetes.container.name";
inline constexpr const char* kRestartCountAnnotation = "io.kubernetes.container.restartCount";
inline constexpr const char* kContainerHashAnnotation = "io.kubernetes.container.hash";
inline constexpr const char* kGracePeriodAnnotation = "io.kubernetes.pod.terminationGracePeriod";

// The restart count a container's annotations carry (kRestartCountAnnotation); 0 when
// absent or not a number.
uint32_t restartCountOf(const cri::Labels& annotations);

// Where the node keeps things; all derived from the kubelet's data dir.
struct NodePaths {
  std::string data_dir;     // --data-dir
  std::string cgroup_root;  // "minik8s": pods live in /<root>/pod<uid>

  std::string podDir(const std::string& uid) const { return data_dir + "/pods/" + uid; }
  std::string volumeDir(const std::string& uid, const std::string& kind,
                        const std::string& name) const {
    return podDir(uid) + "/volumes/" + kind + "/" + name;
  }
  std::string logDir(const api::Pod& pod) const;  // <data>/logs/<ns>_<name>_<uid>
  std::string podCgroup(const std::string& uid) const { return "/" + cgroup_root + "/pod" + uid; }
};

// The host directory backing each volume of a pod, by volume name.
using VolumePaths = std::map<std::string, std::string>;

// Looks up a key of a ConfigMap ("configmap") or Secret ("secret", value decoded) in the
// pod's namespace; nullopt when the object or key is missing.
struct ObjectData {
  std::map<std::string, std::string> data;  // decoded values
};
using ObjectLookup =
    std::function<std::optional<ObjectData>(const std::string& kind, const std::string& name)>;

struct PodIdentity {
  std::string node_name;
  std::string host_ip;
  std::string pod_ip;  // empty before the sandbox exists
  // What a resourceFieldRef of an unset limit reads (Kubernetes: the node's allocatable).
  api::ResourceList node_allocatable = {};
};

cri::PodSandboxConfig makeSandboxConfig(const api::Pod& pod, const NodePaths& paths,
                                        uint32_t attempt);

// A stable hash of the fields that require a restart when they change.
std::string containerHash(const api::Container& container);

// kInvalid (reason CreateContainerConfigError) when a referenced ConfigMap/Secret key is
// missing and not optional, or a volume mount names no volume.
Result<cri::ContainerConfig> makeContainerConfig(const api::Pod& pod,
                                                 const api::Container& container,
                                                 uint32_t restart_count,
                                                 const VolumePaths& volumes,
                                                 const PodIdentity& identity,
                                                 const ObjectLookup& lookup);

// Environment of a container in order, with $(VAR) references expanded.
Result<std::vector<std::pair<std::string, std::string>>> resolveEnv(
    const api::Pod& pod, const api::Container& container, const PodIdentity& identity,
    const ObjectLookup& lookup);

// Kubernetes' $(VAR) expansion: $(NAME) → value when defined, $$ → $, else kept as is.
std::string expandVars(const std::string& text,
                       const std::map<std::string, std::string>& vars);

// Cgroup settings of one container from its requests and limits.
cri::LinuxResources containerResources(const api::ResourceRequirements& resources);

// Limits of the pod cgroup: the pod-level `resources.limits` when given (the original
// project's pod.yaml), else the sum of container limits when every container has one.
struct PodCgroupLimits {
  std::optional<int64_t> memory_bytes;
  std::optional<int64_t> cpu_quota;  // per kCpuPeriod
  int64_t cpu_shares = 0;            // 0: leave the default
};
inline constexpr int64_t kCpuPeriod = 100000;
PodCgroupLimits podCgroupLimits(const api::Pod& pod);

// "Guaranteed", "Burstable" or "BestEffort".
std::string qosClass(const api::Pod& pod);

}  // namespace minik8s::kubelet
