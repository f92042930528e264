// apps/v1 (Deployment, ReplicaSet, DaemonSet), coordination.k8s.io/v1 (Lease) and the seed
// kinds Dns and Hpa (apiVersion v1); autoscaling/v2 is in types_autoscaling.h.
// Plain aggregates; codec.h maps them to Kubernetes' JSON keys.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "api/quantity.h"
#include "api/raw_json.h"
#include "api/types_autoscaling.h"
#include "api/types_core.h"
#include "api/types_meta.h"

namespace minik8s::api {

// ---- apps/v1 ----

struct RollingUpdateDeployment {
  std::optional<IntOrString> max_unavailable;
  std::optional<IntOrString> max_surge;
};

struct DeploymentStrategy {
  std::string type;  // RollingUpdate, Recreate
  std::optional<RollingUpdateDeployment> rolling_update;
};

struct DeploymentSpec {
  std::optional<int32_t> replicas;
  std::optional<LabelSelectorSpec> selector;  // required
  PodTemplateSpec template_;                  // "template"; required
  DeploymentStrategy strategy;
  int32_t min_ready_seconds = 0;
  std::optional<int32_t> revision_history_limit;
  bool paused = false;
  std::optional<int32_t> progress_deadline_seconds;
};

struct DeploymentStatus {
  int64_t observed_generation = 0;
  int32_t replicas = 0;
  int32_t updated_replicas = 0;
  int32_t ready_replicas = 0;
  int32_t available_replicas = 0;
  int32_t unavailable_replicas = 0;
  std::vector<Condition> conditions;
  std::optional<int32_t> collision_count;
};

struct Deployment {
  std::string api_version;
  std::string kind;
  ObjectMeta metadata;
  DeploymentSpec spec;
  DeploymentStatus status;
};

struct ReplicaSetSpec {
  std::optional<int32_t> replicas;
  int32_t min_ready_seconds = 0;
  std::optional<LabelSelectorSpec> selector;  // required
  PodTemplateSpec template_;                  // "template"
};

struct ReplicaSetStatus {
  int32_t replicas = 0;  // required
  int32_t fully_labeled_replicas = 0;
  int32_t ready_replicas = 0;
  int32_t available_replicas = 0;
  int64_t observed_generation = 0;
  std::vector<Condition> conditions;
};

struct ReplicaSet {
  std::string api_version;
  std::string kind;
  ObjectMeta metadata;
  ReplicaSetSpec spec;
  ReplicaSetStatus status;
};

struct RollingUpdateDaemonSet {
  std::optional<IntOrString> max_unavailable;
  std::optional<IntOrString> max_surge;
};

struct DaemonSetUpdateStrategy {
  std::string type;  // RollingUpdate, OnDelete
  std::optional<RollingUpdateDaemonSet> rolling_update;
};

struct DaemonSetSpec {
  std::optional<LabelSelectorSpec> selector;  // required
  PodTemplateSpec template_;                  // "template"; required
  DaemonSetUpdateStrategy update_strategy;
  int32_t min_ready_seconds = 0;
  std::optional<int32_t> revision_history_limit;
};

struct DaemonSetStatus {
  int32_t current_number_scheduled = 0;  // required
  int32_t number_misscheduled = 0;       // required
  int32_t desired_number_scheduled = 0;  // required
  int32_t number_ready = 0;              // required
  int64_t observed_generation = 0;
  int32_t updated_number_scheduled = 0;
  int32_t number_available = 0;
  int32_t number_unavailable = 0;
  std::optional<int32_t> collision_count;
  std::vector<Condition> conditions;
};

struct DaemonSet {
  std::string api_version;
  std::string kind;
  ObjectMeta metadata;
  DaemonSetSpec spec;
  DaemonSetStatus status;
};

// ---- coordination.k8s.io/v1 ----

struct LeaseSpec {
  std::optional<std::string> holder_identity;
  std::optional<int32_t> lease_duration_seconds;
  std::string acquire_time;  // MicroTime
  std::string renew_time;    // MicroTime
  std::optional<int32_t> lease_transitions;
  std::optional<std::string> strategy;
  std::optional<std::string> preferred_holder;
};

struct Lease {
  std::string api_version;
  std::string kind;
  ObjectMeta metadata;
  LeaseSpec spec;
};

// ---- seed kinds (apiVersion v1) ----

struct DnsPath {
  std::string service_name;
  int32_t service_port = 0;
  std::string url_path;
};

struct DnsSpec {
  std::string hostname;
  std::vector<DnsPath> paths;
};

struct Dns {
  std::string api_version;
  std::string kind;
  ObjectMeta metadata;
  DnsSpec spec;
  RawJson status;
};

struct HpaTargetMeta {
  std::string name;
};

struct HpaScaleTargetRef {
  std::string kind;
  HpaTargetMeta metadata;
};

struct HpaMetrics {
  std::optional<int32_t> cpu_percent;
  std::optional<int32_t> mem_percent;
};

struct HpaSpec {
  std::optional<int32_t> min_replicas;
  int32_t max_replicas = 0;
  HpaScaleTargetRef scale_target_ref;
  std::optional<int32_t> interval;  // seconds
  std::optional<LabelSelectorSpec> selector;
  HpaMetrics metrics;
};

struct Hpa {
  std::string api_version;
  std::string kind;
  ObjectMeta metadata;
  HpaSpec spec;
  RawJson status;
};

}  // namespace minik8s::api
