// The pod-level cgroup (/<root>/pod<uid>) in every cgroup v1 hierarchy: created with the
// pod's limits before its sandbox (containerd puts the containers below it), removed
// after the sandbox (containerd leaves the parent behind). Effects only.
#pragma once

#include <string>

#include "common/status.h"
#include "kubelet/pod_config.h"

namespace minik8s::kubelet {

inline constexpr const char* kCgroupMount = "/sys/fs/cgroup";

// `cgroup` like "/minik8s/pod<uid>".
Status ensurePodCgroup(const std::string& cgroup, const PodCgroupLimits& limits,
                       const std::string& mount = kCgroupMount);
// rmdir, deepest first, in every hierarchy; missing directories are fine.
Status removePodCgroup(const std::string& cgroup, const std::string& mount = kCgroupMount);

}  // namespace minik8s::kubelet
