// batch/v1 Job and CronJob through the scheme: decode, Kubernetes' defaults, validation
// with Kubernetes' field paths and messages.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/codec.h"
#include "api/scheme.h"
#include "api/types_batch.h"

namespace minik8s::api {
namespace batch_test {

using nlohmann::json;

const ResourceInfo& jobs() { return *findResource("batch", "v1", "jobs"); }
const ResourceInfo& cronJobs() { return *findResource("batch", "v1", "cronjobs"); }

json jobJson() {
  return json::parse(R"({
    "apiVersion": "batch/v1", "kind": "Job",
    "metadata": {"name": "pi", "namespace": "default", "uid": "u1"},
    "spec": {"selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": "u1"}},
             "template": {"metadata": {"labels": {"batch.kubernetes.io/controller-uid": "u1"}},
                          "spec": {"restartPolicy": "Never",
                                   "containers": [{"name": "c", "image": "busybox"}]}}}
  })");
}

json cronJobJson() {
  return json::parse(R"({
    "apiVersion": "batch/v1", "kind": "CronJob",
    "metadata": {"name": "hello", "namespace": "default"},
    "spec": {"schedule": "*/5 * * * *",
             "jobTemplate": {"spec": {"template": {"spec": {
                "restartPolicy": "OnFailure",
                "containers": [{"name": "c", "image": "busybox"}]}}}}}
  })");
}

std::string describe(const std::vector<FieldError>& errors) {
  std::string out;
  for (const FieldError& e : errors) out += e.field + " " + e.reason + ": " + e.message + "\n";
  return out;
}

std::vector<FieldError> normalizedErrors(const ResourceInfo& r, json object,
                                         const json* old = nullptr) {
  Status s = normalize(r, object, nullptr);
  EXPECT_TRUE(s.isOk()) << s.toString();
  return validate(r, object, old);
}

TEST(BatchScheme, JobsAndCronJobsAreServedWithKubectlsNames) {
  ASSERT_NE(findResource("batch", "v1", "jobs"), nullptr);
  EXPECT_EQ(resolveResource("cj"), &cronJobs());
  EXPECT_EQ(resolveResource("job"), &jobs());
  EXPECT_EQ(resolveResource("jobs.batch"), &jobs());
  EXPECT_TRUE(jobs().hasSubresource("status"));
  EXPECT_EQ(jobs().categories, std::vector<std::string>{"all"});
}

TEST(BatchScheme, JobDefaultsFollowKubernetes) {
  json job = jobJson();
  ASSERT_TRUE(normalize(jobs(), job, nullptr).isOk());
  EXPECT_EQ(job["spec"]["completions"], 1);
  EXPECT_EQ(job["spec"]["parallelism"], 1);
  EXPECT_EQ(job["spec"]["backoffLimit"], 6);
  EXPECT_EQ(job["spec"]["completionMode"], "NonIndexed");
  EXPECT_EQ(job["spec"]["suspend"], false);
  EXPECT_EQ(job["spec"]["podReplacementPolicy"], "TerminatingOrFailed");
  EXPECT_EQ(job["metadata"]["labels"]["batch.kubernetes.io/controller-uid"], "u1");
  EXPECT_EQ(job["spec"]["template"]["spec"]["dnsPolicy"], "ClusterFirst");
}

TEST(BatchScheme, ParallelismAloneLeavesCompletionsUnset) {
  json job = jobJson();
  job["spec"]["parallelism"] = 3;
  ASSERT_TRUE(normalize(jobs(), job, nullptr).isOk());
  EXPECT_FALSE(job["spec"].contains("completions"));
  EXPECT_EQ(job["spec"]["parallelism"], 3);
  Result<Job> typed = decode<Job>(job);
  ASSERT_TRUE(typed.isOk());
  EXPECT_FALSE(typed->spec.completions.has_value());
}

TEST(BatchScheme, AValidJobPasses) {
  auto errors = normalizedErrors(jobs(), jobJson());
  EXPECT_TRUE(errors.empty()) << describe(errors);
}

TEST(BatchScheme, AJobWithoutRestartPolicyIsRefusedAsKubernetesDoes) {
  json job = jobJson();
  job["spec"]["template"]["spec"].erase("restartPolicy");
  auto errors = normalizedErrors(jobs(), job);
  ASSERT_EQ(errors.size(), 1u) << describe(errors);
  EXPECT_EQ(errors[0].field, "spec.template.spec.restartPolicy");
  EXPECT_EQ(errors[0].message, "Required value: valid values: \"OnFailure\", \"Never\"");
}

TEST(BatchScheme, NegativeCountsAndForeignSelectorsAreInvalid) {
  json job = jobJson();
  job["spec"]["backoffLimit"] = -1;
  job["spec"]["parallelism"] = -2;
  job["spec"]["selector"]["matchLabels"]["batch.kubernetes.io/controller-uid"] = "other";
  job["spec"]["template"]["metadata"]["labels"]["batch.kubernetes.io/controller-uid"] = "other";
  auto errors = normalizedErrors(jobs(), job);
  std::string text = describe(errors);
  EXPECT_NE(text.find("spec.backoffLimit FieldValueInvalid: Invalid value: -1: must be greater "
                      "than or equal to 0"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("spec.parallelism FieldValueInvalid"), std::string::npos) << text;
  EXPECT_NE(text.find("`selector` not auto-generated"), std::string::npos) << text;
}

TEST(BatchScheme, PodFailurePolicyIsDefaultedAndValidatedLikeKubernetes) {
  json job = jobJson();
  job["spec"]["podFailurePolicy"] = json::parse(R"({"rules": [
      {"action": "FailJob", "onExitCodes": {"containerName": "c", "operator": "In", "values": [1, 42]}},
      {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget"}]}]})");
  json normalized = job;
  ASSERT_TRUE(normalize(jobs(), normalized, nullptr).isOk());
  EXPECT_TRUE(validate(jobs(), normalized, nullptr).empty()) << describe(validate(jobs(), normalized, nullptr));
  EXPECT_EQ(normalized["spec"]["podReplacementPolicy"], "Failed");
  EXPECT_EQ(normalized["spec"]["podFailurePolicy"]["rules"][1]["onPodConditions"][0]["status"], "True");

  json bad = job;
  bad["spec"]["template"]["spec"]["restartPolicy"] = "OnFailure";
  bad["spec"]["podFailurePolicy"]["rules"][0]["onExitCodes"] =
      json::parse(R"({"containerName": "nope", "operator": "Among", "values": [0, 3, 3, 2]})");
  bad["spec"]["podFailurePolicy"]["rules"][1]["action"] = "FailIndex";
  bad["spec"]["podFailurePolicy"]["rules"].push_back(json::parse(R"({"action": "Count"})"));
  std::string text = describe(normalizedErrors(jobs(), bad));
  for (const char* want :
       {"spec.template.spec.restartPolicy FieldValueInvalid: Invalid value: \"OnFailure\": only "
        "\"Never\" is supported when podFailurePolicy is specified",
        "spec.podFailurePolicy.rules[0].onExitCodes.containerName FieldValueInvalid",
        "spec.podFailurePolicy.rules[0].onExitCodes.operator FieldValueNotSupported",
        "spec.podFailurePolicy.rules[0].onExitCodes.values[2] FieldValueDuplicate",
        "spec.podFailurePolicy.rules[0].onExitCodes.values[3] FieldValueInvalid: Invalid value: 2: "
        "must be ordered",
        "spec.podFailurePolicy.rules[1].action FieldValueForbidden: Forbidden: requires the "
        "backoffLimitPerIndex to be set",
        "spec.podFailurePolicy.rules[2] FieldValueInvalid: Invalid value: null: specifying one of "
        "OnExitCodes and OnPodConditions is required"}) {
    EXPECT_NE(text.find(want), std::string::npos) << want << "\n" << text;
  }
  json in_zero = job;
  in_zero["spec"]["podFailurePolicy"]["rules"][0]["onExitCodes"]["values"] = {0};
  text = describe(normalizedErrors(jobs(), in_zero));
  EXPECT_NE(text.find("values[0] FieldValueInvalid: Invalid value: 0: must not be 0 for the In "
                      "operator"),
            std::string::npos)
      << text;
}

TEST(BatchScheme, SuccessPolicyNeedsAnIndexedJobAndSensibleRules) {
  json job = jobJson();
  job["spec"]["completionMode"] = "Indexed";
  job["spec"]["completions"] = 5;
  job["spec"]["successPolicy"] = json::parse(R"({"rules": [{"succeededIndexes": "0,2-3", "succeededCount": 2}]})");
  auto errors = normalizedErrors(jobs(), job);
  EXPECT_TRUE(errors.empty()) << describe(errors);
  json bad = job;
  bad["spec"]["successPolicy"] = json::parse(
      R"({"rules": [{"succeededIndexes": "3,1"}, {}, {"succeededIndexes": "0-1", "succeededCount": 3}]})");
  std::string text = describe(normalizedErrors(jobs(), bad));
  EXPECT_NE(text.find("spec.successPolicy.rules[0].succeededIndexes FieldValueInvalid"), std::string::npos) << text;
  EXPECT_NE(text.find("spec.successPolicy.rules[1] FieldValueInvalid: Invalid value: null: at least "
                      "one of succeededCount or succeededIndexes must be specified"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("spec.successPolicy.rules[2].succeededCount FieldValueInvalid: Invalid value: "
                      "3: must be less than or equal to 2 (the number of indexes in the specified "
                      "succeededIndexes field)"),
            std::string::npos)
      << text;
  json non_indexed = jobJson();
  non_indexed["spec"]["successPolicy"] = json::parse(R"({"rules": [{"succeededCount": 1}]})");
  text = describe(normalizedErrors(jobs(), non_indexed));
  EXPECT_NE(text.find("spec.completionMode FieldValueInvalid"), std::string::npos) << text;
}

TEST(BatchScheme, TheTemplateIsImmutableUnlessSuspendedAndNeverStarted) {
  json old = jobJson();
  ASSERT_TRUE(normalize(jobs(), old, nullptr).isOk());
  json changed = old;
  changed["spec"]["template"]["spec"]["containers"][0]["image"] = "other";
  auto errors = validate(jobs(), changed, &old);
  ASSERT_FALSE(errors.empty());
  EXPECT_EQ(errors[0].field, "spec.template");

  json scheduling = old;
  scheduling["spec"]["template"]["spec"]["nodeSelector"] = {{"disk", "ssd"}};
  EXPECT_FALSE(validate(jobs(), scheduling, &old).empty());
  json suspended = old;
  suspended["spec"]["suspend"] = true;
  scheduling["spec"]["suspend"] = true;
  auto allowed = validate(jobs(), scheduling, &suspended);
  EXPECT_TRUE(allowed.empty()) << describe(allowed);
}

TEST(BatchScheme, IndexedCompletionNeedsCompletions) {
  json job = jobJson();
  job["spec"]["completionMode"] = "Indexed";
  job["spec"]["parallelism"] = 2;  // completions no longer defaulted
  auto errors = normalizedErrors(jobs(), job);
  ASSERT_EQ(errors.size(), 1u) << describe(errors);
  EXPECT_EQ(errors[0].field, "spec.completions");
  EXPECT_EQ(errors[0].message, "Required value: when completion mode is Indexed");
  job["spec"]["completions"] = 3;
  errors = normalizedErrors(jobs(), job);
  EXPECT_TRUE(errors.empty()) << describe(errors);
  job["spec"]["completionMode"] = "Sometimes";
  errors = normalizedErrors(jobs(), job);
  ASSERT_FALSE(errors.empty());
  EXPECT_EQ(errors[0].field, "spec.completionMode");
  json per_index = jobJson();
  per_index["spec"]["completionMode"] = "Indexed";
  per_index["spec"]["backoffLimitPerIndex"] = 1;
  EXPECT_FALSE(normalizedErrors(jobs(), per_index).empty());
}

TEST(BatchScheme, CronJobDefaultsAndValidation) {
  json cj = cronJobJson();
  ASSERT_TRUE(normalize(cronJobs(), cj, nullptr).isOk());
  EXPECT_EQ(cj["spec"]["concurrencyPolicy"], "Allow");
  EXPECT_EQ(cj["spec"]["suspend"], false);
  EXPECT_EQ(cj["spec"]["successfulJobsHistoryLimit"], 3);
  EXPECT_EQ(cj["spec"]["failedJobsHistoryLimit"], 1);
  // The Job template's own fields are not defaulted (Kubernetes' SetDefaults_CronJob).
  EXPECT_FALSE(cj["spec"]["jobTemplate"]["spec"].contains("backoffLimit"));
  auto errors = validate(cronJobs(), cj, nullptr);
  EXPECT_TRUE(errors.empty()) << describe(errors);
}

TEST(BatchScheme, CronJobScheduleTimeZoneAndPolicyErrors) {
  json cj = cronJobJson();
  cj["spec"]["schedule"] = "61 * * * *";
  cj["spec"]["timeZone"] = "Local";
  cj["spec"]["concurrencyPolicy"] = "Sometimes";
  auto errors = normalizedErrors(cronJobs(), cj);
  std::string text = describe(errors);
  EXPECT_NE(text.find("spec.schedule FieldValueInvalid: Invalid value: \"61 * * * *\": end of "
                      "range (61) above maximum (59): 61"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("spec.timeZone FieldValueInvalid"), std::string::npos) << text;
  EXPECT_NE(text.find("spec.concurrencyPolicy FieldValueNotSupported: Unsupported value: "
                      "\"Sometimes\": supported values: \"Allow\", \"Forbid\", \"Replace\""),
            std::string::npos)
      << text;

  json tz = cronJobJson();
  tz["spec"]["schedule"] = "TZ=UTC 0 * * * *";
  text = describe(normalizedErrors(cronJobs(), tz));
  EXPECT_NE(text.find("cannot use TZ or CRON_TZ in schedule, use timeZone field instead"),
            std::string::npos)
      << text;

  json long_name = cronJobJson();
  long_name["metadata"]["name"] = std::string(53, 'a');
  text = describe(normalizedErrors(cronJobs(), long_name));
  EXPECT_NE(text.find("must be no more than 52 characters"), std::string::npos) << text;
}

TEST(BatchScheme, JobStatusRoundTrips) {
  json job = jobJson();
  job["status"] = json::parse(R"({"active": 1, "ready": 0, "startTime": "2026-01-01T00:00:00Z",
      "conditions": [{"type": "Complete", "status": "True", "reason": "CompletionsReached"}],
      "uncountedTerminatedPods": {}})");
  Result<Job> typed = decode<Job>(job);
  ASSERT_TRUE(typed.isOk()) << typed.status().toString();
  json back = toJson(*typed);
  EXPECT_EQ(back["status"]["active"], 1);
  EXPECT_EQ(back["status"]["ready"], 0);
  EXPECT_EQ(back["status"]["conditions"][0]["reason"], "CompletionsReached");
  EXPECT_EQ(back["status"]["uncountedTerminatedPods"], json::object());
}

}  // namespace batch_test
}  // namespace minik8s::api
