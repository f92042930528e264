// The original project's tables: `mkctl get <kind>`'s default output and `-o original`.
// Columns separated by spaces, left-aligned, header first; a value the cluster does not
// have (yet) is `N/A` so that a script's `awk '{print $3}'` still finds column 3. Each
// table is a pure function of fixed objects (time is passed in); thread-safe.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "api/scheme.h"
#include "common/clock.h"

namespace minik8s::cli {

enum class OriginalTable { kPods, kServices, kDeployments, kHpas, kNodes, kDnses };

// The tables of `get all`, in the original's order.
inline constexpr OriginalTable kOriginalGetAll[] = {
    OriginalTable::kPods, OriginalTable::kServices, OriginalTable::kDeployments,
    OriginalTable::kHpas, OriginalTable::kNodes,    OriginalTable::kDnses};

// The original table that shows `resource` (both the seed Hpa and autoscaling/v2
// HorizontalPodAutoscaler go to kHpas); nullopt for a kind the original had no table for.
std::optional<OriginalTable> originalTableOf(const api::ResourceInfo& resource);

// Every resource shown in `table`, in `resources`' order.
std::vector<const api::ResourceInfo*> originalTableResources(
    OriginalTable table, const std::vector<api::ResourceInfo>& resources);

// What a table is made from.
struct OriginalInputs {
  std::vector<nlohmann::json> objects;       // the table's own objects
  std::vector<nlohmann::json> endpoints;     // kServices: Endpoints objects
  std::vector<nlohmann::json> pods;          // kNodes: all pods (to count each node's)
  std::vector<nlohmann::json> node_metrics;  // kNodes: metrics.k8s.io NodeMetrics items
  Clock::WallTime now;                       // kPods: Runtime
  bool with_namespace = false;               // a `Namespace` column first (-A)
};

// The header and one row per object:
//   kPods        Name Status IP Runtime Node
//   kServices    Name Phase ClusterIP Endpoints
//   kDeployments Name Replicas ReadyReplicas
//   kHpas        Name Min Max Current cpu(%) memory(%)
//   kNodes       IP HostName Condition NumPods CpuPercent MemPercent
//   kDnses       Name Host Phase Paths
std::vector<std::vector<std::string>> originalRows(OriginalTable table,
                                                   const OriginalInputs& inputs);

// The cells, one piece each:

// Whole seconds as Go prints a time.Duration: "0s", "45s", "1m5s", "2h0m3s".
std::string goDuration(std::chrono::seconds d);

// `terminating` once deletionTimestamp is set, else the lower-case phase (`pending` when
// there is none yet).
std::string originalPodStatus(const nlohmann::json& pod);

// Time since the earliest container start (state or lastState, running or terminated) as
// goDuration; `N/A` when no container has started.
std::string originalPodRuntime(const nlohmann::json& pod, Clock::WallTime now);

// The ready endpoints of an Endpoints object as `IP/port` (every ready address with every
// port; the IP alone for a subset without ports), in order.
std::vector<std::string> readyEndpoints(const nlohmann::json& endpoints);

// `running` once the Service's Endpoints has a ready address, else `pending`.
std::string originalServicePhase(const nlohmann::json* endpoints);

// `Ready` (Ready condition True), `NotReady` (False), `Unknown` (Unknown or absent).
std::string originalNodeCondition(const nlohmann::json& node);

// usage / allocatable (capacity when allocatable lacks it) in whole percent, truncated as
// `kubectl top node` does; `N/A` when either is missing or allocatable is zero.
std::string usagePercent(const nlohmann::json* node_metrics, const nlohmann::json& node,
                         const char* resource);

}  // namespace minik8s::cli
