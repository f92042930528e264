// batch/v1 (Job, CronJob). Plain aggregates; codec.cc maps them to Kubernetes' JSON keys.
// Kept apart from types_apps.h so that only the code that uses batch includes it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "api/raw_json.h"
#include "api/types_core.h"
#include "api/types_meta.h"

namespace minik8s::api {

// The labels and annotations of batch/v1.
inline constexpr char kJobControllerUidLabel[] = "batch.kubernetes.io/controller-uid";
inline constexpr char kJobNameLabel[] = "batch.kubernetes.io/job-name";
inline constexpr char kLegacyControllerUidLabel[] = "controller-uid";
inline constexpr char kLegacyJobNameLabel[] = "job-name";
inline constexpr char kJobCompletionIndexAnnotation[] = "batch.kubernetes.io/job-completion-index";
inline constexpr char kCronJobScheduledTimestampAnnotation[] =
    "batch.kubernetes.io/cronjob-scheduled-timestamp";

// podFailurePolicy: what a failed pod means for its Job, by its containers' exit codes or
// its conditions. The first matching rule decides.
struct PodFailurePolicyOnExitCodesRequirement {
  std::optional<std::string> container_name;
  std::string op;               // "operator": In, NotIn
  std::vector<int32_t> values;  // ascending, unique
};

struct PodFailurePolicyOnPodConditionsPattern {
  std::string type;
  std::string status;  // True (default), False, Unknown
};

struct PodFailurePolicyRule {
  std::string action;  // FailJob, Ignore, Count, FailIndex
  std::optional<PodFailurePolicyOnExitCodesRequirement> on_exit_codes;
  std::vector<PodFailurePolicyOnPodConditionsPattern> on_pod_conditions;
};

struct PodFailurePolicy {
  std::vector<PodFailurePolicyRule> rules;
};

// successPolicy (Indexed Jobs): the Job succeeds once any rule is met.
struct SuccessPolicyRule {
  std::optional<std::string> succeeded_indexes;  // "0,2-4"
  std::optional<int32_t> succeeded_count;
};

struct SuccessPolicy {
  std::vector<SuccessPolicyRule> rules;
};

struct JobSpec {
  std::optional<int32_t> parallelism;
  std::optional<int32_t> completions;
  std::optional<int64_t> active_deadline_seconds;
  std::optional<PodFailurePolicy> pod_failure_policy;
  std::optional<SuccessPolicy> success_policy;
  std::optional<int32_t> backoff_limit;
  std::optional<int32_t> backoff_limit_per_index;
  std::optional<int32_t> max_failed_indexes;
  std::optional<LabelSelectorSpec> selector;
  std::optional<bool> manual_selector;
  PodTemplateSpec template_;  // "template"; required
  std::optional<int32_t> ttl_seconds_after_finished;
  std::optional<std::string> completion_mode;  // NonIndexed, Indexed
  std::optional<bool> suspend;
  std::optional<std::string> pod_replacement_policy;  // TerminatingOrFailed, Failed
  std::optional<std::string> managed_by;
};

struct UncountedTerminatedPods {
  std::vector<std::string> succeeded;
  std::vector<std::string> failed;
};

struct JobStatus {
  std::vector<Condition> conditions;  // JobCondition: type, status, lastProbeTime,
                                      // lastTransitionTime, reason, message
  std::string start_time;
  std::string completion_time;
  int32_t active = 0;
  int32_t succeeded = 0;
  int32_t failed = 0;
  std::optional<int32_t> terminating;
  std::string completed_indexes;
  std::optional<std::string> failed_indexes;
  std::optional<UncountedTerminatedPods> uncounted_terminated_pods;
  std::optional<int32_t> ready;
};

struct Job {
  std::string api_version;
  std::string kind;
  ObjectMeta metadata;
  JobSpec spec;
  JobStatus status;
};

struct JobTemplateSpec {
  ObjectMeta metadata;
  JobSpec spec;
};

struct CronJobSpec {
  std::string schedule;  // required
  std::optional<std::string> time_zone;
  std::optional<int64_t> starting_deadline_seconds;
  std::string concurrency_policy;  // Allow, Forbid, Replace
  std::optional<bool> suspend;
  JobTemplateSpec job_template;  // required
  std::optional<int32_t> successful_jobs_history_limit;
  std::optional<int32_t> failed_jobs_history_limit;
};

struct CronJobStatus {
  std::vector<ObjectReference> active;
  std::string last_schedule_time;
  std::string last_successful_time;
};

struct CronJob {
  std::string api_version;
  std::string kind;
  ObjectMeta metadata;
  CronJobSpec spec;
  CronJobStatus status;
};

}  // namespace minik8s::api
