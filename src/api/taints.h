// Taints and tolerations (pure): Kubernetes' ToleratesTaint and the node taints the
// control plane manages.
#pragma once

#include <string_view>
#include <vector>

#include "api/types_core.h"

namespace minik8s::api {

inline constexpr std::string_view kTaintNodeNotReady = "node.kubernetes.io/not-ready";
inline constexpr std::string_view kTaintNodeUnreachable = "node.kubernetes.io/unreachable";
inline constexpr std::string_view kTaintNodeUnschedulable = "node.kubernetes.io/unschedulable";
inline constexpr std::string_view kTaintNodeMemoryPressure = "node.kubernetes.io/memory-pressure";
inline constexpr std::string_view kTaintNodeDiskPressure = "node.kubernetes.io/disk-pressure";
inline constexpr std::string_view kTaintNodePidPressure = "node.kubernetes.io/pid-pressure";
inline constexpr std::string_view kTaintNodeNetworkUnavailable =
    "node.kubernetes.io/network-unavailable";

// Empty effect matches every effect; an empty key with Exists matches every taint; Exists
// ignores the value; Equal (or "") compares it.
bool toleratesTaint(const Toleration& toleration, const Taint& taint);
bool toleratesAny(const std::vector<Toleration>& tolerations, const Taint& taint);

}  // namespace minik8s::api
