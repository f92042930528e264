// Conversion between autoscaling/v2 HorizontalPodAutoscaler (the stored version) and its
// autoscaling/v1 view, as kube-apiserver converts them (pkg/apis/autoscaling/v1/conversion.go):
// - spec.targetCPUUtilizationPercentage <-> the Resource cpu metric with a Utilization target;
// - status.currentCPUUtilizationPercentage <- the Resource cpu metric's current utilization;
// - what v1 has no field for rides in annotations, as JSON: the other metrics
//   (kMetricSpecsAnnotation, in v1's MetricSpec shape), status.currentMetrics
//   (kMetricStatusesAnnotation), status.conditions (kConditionsAnnotation) and spec.behavior
//   (kBehaviorAnnotation, with Go's field names as Kubernetes writes them).
// v2 -> v1 -> v2 keeps every field. Pure functions; thread-safe.
#pragma once

#include <string_view>

#include "api/types_autoscaling.h"
#include "common/status.h"

namespace minik8s::api {

inline constexpr std::string_view kMetricSpecsAnnotation = "autoscaling.alpha.kubernetes.io/metrics";
inline constexpr std::string_view kMetricStatusesAnnotation =
    "autoscaling.alpha.kubernetes.io/current-metrics";
inline constexpr std::string_view kConditionsAnnotation =
    "autoscaling.alpha.kubernetes.io/conditions";
inline constexpr std::string_view kBehaviorAnnotation = "autoscaling.alpha.kubernetes.io/behavior";
// The CPU target of a v1 HPA that names none (and has no other metric).
inline constexpr int32_t kDefaultCpuUtilization = 80;

// The v1 view of a stored v2 object (apiVersion autoscaling/v1). Round-trip annotations the
// v2 object carries are replaced by the ones computed here.
HorizontalPodAutoscalerV1 toAutoscalingV1(const HorizontalPodAutoscaler& hpa);

// The v2 object a v1 one stands for (apiVersion autoscaling/v2), with the round-trip
// annotations moved back into fields and removed. kBadRequest when the metrics,
// current-metrics or conditions annotation is not valid JSON of its shape (as Kubernetes);
// a malformed behavior annotation is ignored (as Kubernetes).
Result<HorizontalPodAutoscaler> fromAutoscalingV1(const HorizontalPodAutoscalerV1& hpa);

}  // namespace minik8s::api
