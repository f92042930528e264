// The HorizontalPodAutoscaler's decision, as pure functions: Kubernetes' replica
// calculator (pkg/controller/podautoscaler/replica_calculator.go) and the normalization of
// its proposal (stabilization windows, scaling policies, min/max bounds) from
// horizontal.go. No I/O: the controller reads the scale, the pods and the pod metrics,
// calls decideHpa, and writes what it returns. The only state carried from one sync to the
// next is HpaHistory (recent recommendations and scale events), which the controller keeps
// per HPA and passes in.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api/types_core.h"
#include "common/clock.h"
#include "common/status.h"

namespace minik8s::controller {

// One pod's usage of one resource, in milli-units (millicores, milli-bytes) as the
// metrics API reported it.
struct HpaPodMetric {
  int64_t milli = 0;
  Clock::WallTime timestamp;
  std::chrono::seconds window{0};
};
using HpaPodMetrics = std::map<std::string, HpaPodMetric>;  // pod name -> usage

// One PodMetrics item of metrics.k8s.io: per-container usage.
struct HpaPodUsage {
  std::string name;
  Clock::WallTime timestamp;
  std::chrono::seconds window{0};
  std::vector<std::pair<std::string, api::ResourceList>> containers;  // container -> usage
};

// The usage of `resource` per pod: the sum over its containers, or the one `container`
// (ContainerResource). As Kubernetes' metrics client: a pod whose container lacks the
// resource is left out (a missing pod); kNotFound "container C not present in metrics for
// pod P" when `container` is named and a pod has no such container; kNotFound "no metrics
// returned from resource metrics API" when `usage` is empty.
Result<HpaPodMetrics> extractPodMetrics(const std::vector<HpaPodUsage>& usage,
                                        const std::string& resource,
                                        const std::string& container = "");

struct HpaScalingPolicy {
  std::string type;  // Pods, Percent
  int32_t value = 0;
  int32_t period_seconds = 0;
};

// autoscaling/v2 HPAScalingRules with every field set (as after defaulting).
struct HpaScalingRules {
  int32_t stabilization_window_seconds = 0;
  std::string select_policy = "Max";  // Max, Min, Disabled
  std::vector<HpaScalingPolicy> policies;
};

struct HpaBehavior {
  HpaScalingRules scale_up;
  HpaScalingRules scale_down;
};

// Kubernetes' defaults (GenerateHPAScaleUpRules / GenerateHPAScaleDownRules): scale up
// 0 s window, Max of {4 Pods, 100 Percent} per 15 s; scale down 300 s window, 100 Percent
// per 15 s.
HpaScalingRules defaultScaleUpRules();
HpaScalingRules defaultScaleDownRules();

// The original project's rate: at most one replica up or down per `interval_seconds`, no
// stabilization. The policies' period is a second shorter than the interval, so a sync one
// interval after a step (give or take the timer's jitter) may step again.
HpaBehavior oneStepBehavior(int32_t interval_seconds);

// One entry of spec.metrics, reduced to what the decision needs.
struct HpaMetric {
  std::string type;                 // Resource, ContainerResource (others: InvalidMetricSourceType)
  std::string resource;             // cpu, memory
  std::string container;            // ContainerResource
  std::string target_type;          // Utilization, AverageValue (Value: invalid for resources)
  int32_t average_utilization = 0;  // percent of requests
  int64_t average_milli = 0;        // AverageValue, milli-units
  // The metric's samples as the controller fetched them, or why it could not.
  Result<HpaPodMetrics> samples = HpaPodMetrics{};
};

// What a metric measured (status.currentMetrics[i]).
struct HpaMetricStatus {
  std::string type;  // Resource, ContainerResource
  std::string resource;
  std::string container;
  std::optional<int32_t> average_utilization;
  int64_t average_milli = 0;
};

struct HpaCondition {
  std::string type;    // AbleToScale, ScalingActive, ScalingLimited
  std::string status;  // True, False
  std::string reason;
  std::string message;
};

struct HpaEvent {
  std::string type;  // Normal, Warning
  std::string reason;
  std::string message;
};

struct HpaOptions {
  double tolerance = 0.1;
  std::chrono::milliseconds cpu_initialization_period{std::chrono::minutes(5)};
  std::chrono::milliseconds initial_readiness_delay{std::chrono::seconds(30)};
  // The scale-down window of an HPA without behavior (--horizontal-pod-autoscaler-
  // downscale-stabilization).
  std::chrono::milliseconds downscale_stabilization{std::chrono::minutes(5)};
};

// Kept by the controller per HPA between syncs (Kubernetes keeps the same in maps on the
// controller): the unstabilized recommendations and the applied scale changes.
struct HpaHistory {
  struct Recommendation {
    Clock::WallTime time;
    int32_t replicas = 0;
  };
  struct ScaleEvent {
    Clock::WallTime time;
    int32_t change = 0;  // replicas added (up) or removed (down), > 0
    bool outdated = false;
  };
  std::vector<Recommendation> recommendations;
  std::vector<ScaleEvent> scale_up;
  std::vector<ScaleEvent> scale_down;
};

// The replica calculator for one Resource or ContainerResource metric.
struct ResourceReplicaInput {
  int32_t current_replicas = 0;                 // the scale's spec.replicas
  const std::vector<api::Pod>* pods = nullptr;  // the pods the scale's selector matches
  HpaPodMetrics metrics;
  std::string resource;
  std::string container;                      // ContainerResource
  std::optional<int32_t> target_utilization;  // Utilization
  int64_t target_average_milli = 0;           // AverageValue, when no target_utilization
  Clock::WallTime now;
  HpaOptions options;
};

struct ReplicaProposal {
  int32_t replicas = 0;
  std::optional<int32_t> utilization;  // Utilization: percent of requests
  int64_t average_milli = 0;           // the ready pods' average usage
};

// Kubernetes' GetResourceReplicas (Utilization) and GetRawResourceReplicas (AverageValue):
// pods being deleted or Failed are ignored; Pending pods, and for cpu pods not yet ready
// (within the initialization period, or never ready since the initial readiness delay),
// are unready; pods without a sample are missing. The ready pods' usage gives the ratio;
// within the tolerance nothing changes. Missing pods count as 100% of their request (the
// target for AverageValue) when scaling down and 0 when scaling up; unready pods count as
// 0 when scaling up; a proposal that the fill-in reverses or brings within tolerance keeps
// the current count. kInvalid on missing requests, no pods, or no usable metrics.
Result<ReplicaProposal> computeResourceReplicas(const ResourceReplicaInput& in);

struct HpaDecisionInput {
  int32_t spec_replicas = 0;  // the scale's spec.replicas
  int32_t min_replicas = 1;
  int32_t max_replicas = 1;
  // nullopt: the path of an HPA without spec.behavior (a scale-down window of
  // options.downscale_stabilization, scale up at most to max(2 x current, 4)).
  std::optional<HpaBehavior> behavior;
  std::vector<HpaMetric> metrics;  // empty: cpu at 80% utilization (the API's default)
  const std::vector<api::Pod>* pods = nullptr;
  Clock::WallTime now;
  HpaOptions options;
};

struct HpaDecision {
  int32_t desired_replicas = 0;
  bool rescale = false;  // write the scale with desired_replicas
  std::string reason;    // for SuccessfulRescale: "cpu resource utilization ... above target"
  std::vector<HpaCondition> conditions;  // the conditions to set, in order
  std::vector<HpaMetricStatus> current_metrics;
  std::vector<HpaEvent> events;  // warnings about metrics
  Status error;  // not OK: no replica count could be computed (status is still written)
};

// One reconcile of horizontal.go's reconcileAutoscaler after the scale was read: bounds,
// every metric's proposal (the largest wins), then stabilization and rate limits.
// Records this sync's recommendation in `history`.
HpaDecision decideHpa(const HpaDecisionInput& in, HpaHistory& history);

// After a successful write of the scale: records the change for the rate limits of
// `behavior` (Kubernetes' storeScaleEvent). Nothing without behavior.
void recordScaleEvent(const std::optional<HpaBehavior>& behavior, int32_t previous, int32_t current,
                      Clock::WallTime now, HpaHistory& history);

// Kubernetes' SuccessfulRescale message: "New size: 3; reason: cpu resource utilization
// (percentage of request) above target".
std::string rescaleMessage(int32_t size, const std::string& reason);

}  // namespace minik8s::controller
