// autoscaling/v2 HorizontalPodAutoscaler (autoscaling/v1 is served as a view of it).
// Resource and ContainerResource metrics and behavior are typed; the Pods, Object and
// External sources, which need a custom metrics API we do not serve, stay raw.
// Plain aggregates; codec.h maps them to Kubernetes' JSON keys.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "api/quantity.h"
#include "api/raw_json.h"
#include "api/types_meta.h"

namespace minik8s::api {

struct CrossVersionObjectReference {
  std::string kind;  // required
  std::string name;  // required
  std::string api_version;
};

struct MetricTarget {
  std::string type;  // Utilization, Value, AverageValue
  Quantity value;
  Quantity average_value;
  std::optional<int32_t> average_utilization;
};

struct ResourceMetricSource {
  std::string name;  // cpu, memory
  MetricTarget target;
};

struct ContainerResourceMetricSource {
  std::string name;  // cpu, memory
  MetricTarget target;
  std::string container;
};

struct MetricSpec {
  std::string type;  // Resource, ContainerResource (typed); Pods, Object, External (raw)
  std::optional<ResourceMetricSource> resource;
  RawJson pods;
  RawJson object;
  RawJson external;
  std::optional<ContainerResourceMetricSource> container_resource;
};

struct HPAScalingPolicy {
  std::string type;  // Pods, Percent
  int32_t value = 0;
  int32_t period_seconds = 0;
};

struct HPAScalingRules {
  std::optional<int32_t> stabilization_window_seconds;
  std::optional<std::string> select_policy;  // Max, Min, Disabled
  std::vector<HPAScalingPolicy> policies;
};

struct HorizontalPodAutoscalerBehavior {
  std::optional<HPAScalingRules> scale_up;
  std::optional<HPAScalingRules> scale_down;
};

struct HorizontalPodAutoscalerSpec {
  CrossVersionObjectReference scale_target_ref;
  std::optional<int32_t> min_replicas;
  int32_t max_replicas = 0;  // required
  std::vector<MetricSpec> metrics;
  std::optional<HorizontalPodAutoscalerBehavior> behavior;
};

struct MetricValueStatus {
  std::optional<Quantity> value;
  std::optional<Quantity> average_value;
  std::optional<int32_t> average_utilization;
};

struct ResourceMetricStatus {
  std::string name;
  MetricValueStatus current;
};

struct ContainerResourceMetricStatus {
  std::string name;
  MetricValueStatus current;
  std::string container;
};

struct MetricStatus {
  std::string type;
  std::optional<ResourceMetricStatus> resource;
  std::optional<ContainerResourceMetricStatus> container_resource;
  RawJson pods;
  RawJson object;
  RawJson external;
};

struct HorizontalPodAutoscalerStatus {
  std::optional<int64_t> observed_generation;
  std::string last_scale_time;
  int32_t current_replicas = 0;
  int32_t desired_replicas = 0;  // required
  std::vector<MetricStatus> current_metrics;
  std::vector<Condition> conditions;
};

struct HorizontalPodAutoscaler {
  std::string api_version;
  std::string kind;
  ObjectMeta metadata;
  HorizontalPodAutoscalerSpec spec;
  HorizontalPodAutoscalerStatus status;
};

// autoscaling/v1, served as a view of v2 (autoscaling_conversion.h converts): one CPU
// utilization target; v2's other fields travel in the autoscaling.alpha.kubernetes.io/*
// annotations.
struct HorizontalPodAutoscalerSpecV1 {
  CrossVersionObjectReference scale_target_ref;
  std::optional<int32_t> min_replicas;
  int32_t max_replicas = 0;  // required
  std::optional<int32_t> target_cpu_utilization_percentage;
};

struct HorizontalPodAutoscalerStatusV1 {
  std::optional<int64_t> observed_generation;
  std::string last_scale_time;
  int32_t current_replicas = 0;
  int32_t desired_replicas = 0;  // required
  std::optional<int32_t> current_cpu_utilization_percentage;
};

struct HorizontalPodAutoscalerV1 {
  std::string api_version;
  std::string kind;
  ObjectMeta metadata;
  HorizontalPodAutoscalerSpecV1 spec;
  HorizontalPodAutoscalerStatusV1 status;
};

}  // namespace minik8s::api
