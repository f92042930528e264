// policy/v1: PodDisruptionBudget (how many of a set of pods may be down by choice: the
// disruption controller computes status.disruptionsAllowed, evictions spend it). Plain
// aggregates; codec.cc maps them to Kubernetes'
// JSON keys.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "api/quantity.h"
#include "api/types_meta.h"

namespace minik8s::api {

inline constexpr char kPolicyGroup[] = "policy";

// unhealthyPodEvictionPolicy values.
inline constexpr char kIfHealthyBudget[] = "IfHealthyBudget";
inline constexpr char kAlwaysAllow[] = "AlwaysAllow";

// The DisruptionAllowed condition and its reasons.
inline constexpr char kDisruptionAllowedCondition[] = "DisruptionAllowed";
inline constexpr char kSufficientPodsReason[] = "SufficientPods";
inline constexpr char kInsufficientPodsReason[] = "InsufficientPods";
inline constexpr char kSyncFailedReason[] = "SyncFailed";

struct PodDisruptionBudgetSpec {
  std::optional<IntOrString> min_available;    // exclusive with max_unavailable
  std::optional<LabelSelectorSpec> selector;   // null selects no pods, {} every pod
  std::optional<IntOrString> max_unavailable;  // an int or "N%"
  std::optional<std::string> unhealthy_pod_eviction_policy;  // IfHealthyBudget, AlwaysAllow
};

// metav1.Condition (with observedGeneration, which core's conditions lack).
struct PodDisruptionBudgetCondition {
  std::string type;    // DisruptionAllowed
  std::string status;  // True, False, Unknown
  int64_t observed_generation = 0;
  std::string last_transition_time;  // RFC 3339
  std::string reason;
  std::string message;
};

struct PodDisruptionBudgetStatus {
  int64_t observed_generation = 0;
  StringMap disrupted_pods;  // pod name -> when its eviction was allowed (RFC 3339)
  int32_t disruptions_allowed = 0;
  int32_t current_healthy = 0;
  int32_t desired_healthy = 0;
  int32_t expected_pods = 0;
  std::vector<PodDisruptionBudgetCondition> conditions;
};

struct PodDisruptionBudget {
  std::string api_version;
  std::string kind;
  ObjectMeta metadata;
  PodDisruptionBudgetSpec spec;
  PodDisruptionBudgetStatus status;
};

}  // namespace minik8s::api
