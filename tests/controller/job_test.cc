// JobController with the fake client and prefilled caches, Kubernetes-style: fill the
// listers, call sync(key), assert the recorded actions; computeJobActions as a table.
#include "controller/job.h"

#include <gtest/gtest.h>

#include "client/fake_client.h"
#include "controller/fixtures.h"

namespace minik8s::controller {
namespace job_test {

using nlohmann::json;
using testing::decoded;
using namespace std::chrono_literals;

// FakeClock starts at 2026-01-01T00:00:00Z.
json jobJson(const std::string& name, std::optional<int> completions, int parallelism,
             int backoff_limit = 6, const std::string& restart_policy = "Never") {
  json job = json::parse(R"({
    "apiVersion": "batch/v1", "kind": "Job",
    "metadata": {"name": ")" + name + R"(", "namespace": "default", "uid": "job-uid",
                 "creationTimestamp": "2026-01-01T00:00:00Z"},
    "spec": {"selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": "job-uid"}},
             "template": {"metadata": {"labels": {"batch.kubernetes.io/controller-uid": "job-uid",
                                                  "job-name": ")" + name + R"("}},
                          "spec": {"restartPolicy": ")" + restart_policy + R"(",
                                   "containers": [{"name": "c", "image": "busybox"}]}}}
  })");
  if (completions) job["spec"]["completions"] = *completions;
  job["spec"]["parallelism"] = parallelism;
  job["spec"]["backoffLimit"] = backoff_limit;
  return job;
}

json jobPod(const std::string& name, const std::string& phase, bool ready = false,
            const std::string& owner_uid = "job-uid") {
  json pod = {{"apiVersion", "v1"},
              {"kind", "Pod"},
              {"metadata",
               {{"name", name},
                {"namespace", "default"},
                {"uid", "uid-" + name},
                {"creationTimestamp", "2026-01-01T00:00:00Z"},
                {"labels", {{"batch.kubernetes.io/controller-uid", "job-uid"}}},
                {"ownerReferences",
                 {{{"apiVersion", "batch/v1"},
                   {"kind", "Job"},
                   {"name", "pi"},
                   {"uid", owner_uid},
                   {"controller", true},
                   {"blockOwnerDeletion", true}}}}}},
              {"spec", {{"nodeName", "n1"}, {"containers", {{{"name", "c"}, {"image", "busybox"}}}}}},
              {"status", {{"phase", phase}}}};
  if (ready) {
    pod["status"]["conditions"] = {{{"type", "Ready"}, {"status", "True"}}};
  }
  if (phase == "Failed") {
    pod["status"]["containerStatuses"] = {
        {{"name", "c"},
         {"ready", false},
         {"restartCount", 0},
         {"image", "busybox"},
         {"imageID", ""},
         {"state", {{"terminated", {{"exitCode", 1}, {"finishedAt", "2026-01-01T00:00:00Z"}}}}}}};
  }
  return pod;
}

class JobControllerTest : public ::testing::Test {
 protected:
  JobControllerTest() : client_(clock_), controller_(client_, jobs_, pods_, {}, clock_) {}

  const api::ResourceInfo& jobsResource() { return *api::findResource("batch", "v1", "jobs"); }
  const api::ResourceInfo& podsResource() { return *api::findResource("", "v1", "pods"); }

  void addJob(const json& job) {
    client_.add(jobsResource(), job);
    refreshJob(job["metadata"]["name"]);
  }
  // The stored Job (after status writes) into the cache, as the informer would show it.
  void refreshJob(const std::string& name) {
    jobs_.add(decoded<api::Job>(*client_.object(jobsResource(), "default", name)));
  }
  void addPod(const json& pod) {
    client_.add(podsResource(), pod);
    pods_.add(decoded<api::Pod>(*client_.object(podsResource(), "default", pod["metadata"]["name"].get<std::string>())));
  }
  void removePod(const std::string& name) { pods_.put("default/" + name, "", nullptr); }

  void sync() {
    Status s = controller_.sync("default/pi");
    ASSERT_TRUE(s.isOk()) << s.toString();
  }
  std::vector<client::Action> writesOf(const std::string& summary) const {
    std::vector<client::Action> out;
    for (const auto& a : client_.writes()) {
      if (a.summary() == summary) out.push_back(a);
    }
    return out;
  }
  json status() {
    auto stored = client_.object(jobsResource(), "default", "pi");
    return stored ? (*stored)["status"] : json();
  }
  json condition(const std::string& type) {
    for (const auto& c : status().value("conditions", json::array())) {
      if (c["type"] == type) return c;
    }
    return json();
  }
  std::vector<std::string> eventReasons() const {
    std::vector<std::string> out;
    for (const auto& a : client_.writes()) {
      if (a.resource == "events" && a.verb == "create") out.push_back(a.object.value("reason", ""));
    }
    return out;
  }

  FakeClock clock_;
  client::FakeClient client_;
  client::ObjectCache<api::Job> jobs_;
  client::ObjectCache<api::Pod> pods_;
  JobController controller_;
};

TEST_F(JobControllerTest, CreatesParallelismPodsWithAControllerRefAndStartsTheClock) {
  addJob(jobJson("pi", 3, 2));
  client_.clearActions();
  sync();
  auto creates = writesOf("create pods");
  ASSERT_EQ(creates.size(), 2u);
  for (const auto& c : creates) {
    const json& meta = c.object["metadata"];
    EXPECT_EQ(meta["generateName"], "pi-");
    EXPECT_EQ(meta["labels"]["batch.kubernetes.io/controller-uid"], "job-uid");
    ASSERT_EQ(meta["ownerReferences"].size(), 1u);
    EXPECT_EQ(meta["ownerReferences"][0]["apiVersion"], "batch/v1");
    EXPECT_EQ(meta["ownerReferences"][0]["kind"], "Job");
    EXPECT_EQ(meta["ownerReferences"][0]["controller"], true);
    EXPECT_EQ(meta["ownerReferences"][0]["blockOwnerDeletion"], true);
    EXPECT_EQ(c.object["spec"]["restartPolicy"], "Never");
  }
  EXPECT_EQ(status()["active"], 2);
  EXPECT_EQ(status()["startTime"], "2026-01-01T00:00:00Z");
  EXPECT_EQ(status()["ready"], 0);
  EXPECT_EQ(eventReasons(), std::vector<std::string>(2, "SuccessfulCreate"));
}

TEST_F(JobControllerTest, DoesNotCreateAgainUntilItsCreatesAreObserved) {
  addJob(jobJson("pi", 3, 2));
  sync();
  refreshJob("pi");
  client_.clearActions();
  sync();
  EXPECT_TRUE(writesOf("create pods").empty());
  for (const auto& pod : client_.objects(podsResource())) {
    auto typed = std::make_shared<const api::Pod>(decoded<api::Pod>(pod));
    pods_.add(*typed);
    controller_.onPodAdded(typed);
  }
  EXPECT_TRUE(controller_.expectations().satisfied("default/pi"));
  sync();
  EXPECT_TRUE(writesOf("create pods").empty());  // 2 active of parallelism 2
}

TEST_F(JobControllerTest, RemainingCompletionsLimitTheActivePods) {
  addJob(jobJson("pi", 3, 3));
  addPod(jobPod("a", "Succeeded"));
  addPod(jobPod("b", "Succeeded"));
  client_.clearActions();
  sync();
  EXPECT_EQ(writesOf("create pods").size(), 1u);
  EXPECT_EQ(status()["succeeded"], 2);
}

TEST_F(JobControllerTest, CompletesWhenCompletionsSucceeded) {
  addJob(jobJson("pi", 2, 1));
  addPod(jobPod("a", "Succeeded"));
  addPod(jobPod("b", "Succeeded"));
  client_.clearActions();
  clock_.advance(42s);
  sync();
  EXPECT_TRUE(writesOf("create pods").empty());
  EXPECT_EQ(condition("SuccessCriteriaMet")["status"], "True");
  EXPECT_EQ(condition("Complete")["status"], "True");
  EXPECT_EQ(condition("Complete")["reason"], "CompletionsReached");
  EXPECT_EQ(status()["completionTime"], "2026-01-01T00:00:42Z");
  EXPECT_EQ(status()["succeeded"], 2);
  EXPECT_EQ(eventReasons(), std::vector<std::string>{"Completed"});
  // Finished: a later sync changes nothing.
  refreshJob("pi");
  client_.clearActions();
  sync();
  EXPECT_TRUE(client_.writes().empty());
}

TEST_F(JobControllerTest, PodsStillActiveAtSuccessAreDeletedBeforeComplete) {
  addJob(jobJson("pi", 1, 2));
  addPod(jobPod("done", "Succeeded"));
  addPod(jobPod("running", "Running", true));
  client_.clearActions();
  sync();
  auto deletes = writesOf("delete pods");
  ASSERT_EQ(deletes.size(), 1u);
  EXPECT_EQ(deletes[0].name, "running");
  EXPECT_EQ(condition("SuccessCriteriaMet")["status"], "True");
  EXPECT_TRUE(condition("Complete").is_null());
  EXPECT_EQ(status()["terminating"], 1);

  refreshJob("pi");
  removePod("running");
  controller_.onPodDeleted(std::make_shared<const api::Pod>(decoded<api::Pod>(jobPod("running", "Running"))));
  sync();
  EXPECT_EQ(condition("Complete")["status"], "True");
}

TEST_F(JobControllerTest, FailsWithBackoffLimitExceeded) {
  addJob(jobJson("pi", 1, 1, /*backoff_limit=*/1));
  addPod(jobPod("f1", "Failed"));
  addPod(jobPod("f2", "Failed"));
  client_.clearActions();
  sync();
  EXPECT_TRUE(writesOf("create pods").empty());
  EXPECT_EQ(status()["failed"], 2);
  EXPECT_EQ(condition("FailureTarget")["reason"], "BackoffLimitExceeded");
  EXPECT_EQ(condition("Failed")["status"], "True");
  EXPECT_EQ(condition("Failed")["reason"], "BackoffLimitExceeded");
  EXPECT_EQ(condition("Failed")["message"], "Job has reached the specified backoff limit");
  EXPECT_EQ(eventReasons(), std::vector<std::string>{"BackoffLimitExceeded"});
}

TEST_F(JobControllerTest, OneFailureBelowTheLimitWaitsTheBackOffBeforeReplacing) {
  addJob(jobJson("pi", 1, 1, 6));
  addPod(jobPod("f1", "Failed"));  // finished at 00:00:00
  client_.clearActions();
  clock_.advance(5s);
  sync();
  EXPECT_TRUE(writesOf("create pods").empty());
  EXPECT_EQ(status()["failed"], 1);
  refreshJob("pi");
  clock_.advance(5s);  // 10 s after the failure
  sync();
  EXPECT_EQ(writesOf("create pods").size(), 1u);
}

TEST_F(JobControllerTest, RestartsCountAgainstTheBackoffLimitWithOnFailure) {
  addJob(jobJson("pi", 1, 1, 2, "OnFailure"));
  json pod = jobPod("p", "Running");
  pod["status"]["containerStatuses"] = {{{"name", "c"},
                                         {"ready", false},
                                         {"restartCount", 2},
                                         {"image", "busybox"},
                                         {"imageID", ""}}};
  addPod(pod);
  client_.clearActions();
  sync();
  ASSERT_EQ(writesOf("delete pods").size(), 1u);
  EXPECT_EQ(condition("FailureTarget")["reason"], "BackoffLimitExceeded");
  EXPECT_TRUE(condition("Failed").is_null());  // not until the pod is gone
  refreshJob("pi");
  removePod("p");
  sync();
  EXPECT_EQ(condition("Failed")["reason"], "BackoffLimitExceeded");
}

TEST_F(JobControllerTest, ActiveDeadlineFailsTheJobWithDeadlineExceeded) {
  json job = jobJson("pi", 1, 1);
  job["spec"]["activeDeadlineSeconds"] = 30;
  addJob(job);
  sync();  // creates a pod, starts the clock
  refreshJob("pi");
  for (const auto& p : client_.objects(podsResource())) {
    auto typed = std::make_shared<const api::Pod>(decoded<api::Pod>(p));
    pods_.add(*typed);
    controller_.onPodAdded(typed);
  }
  // Before the deadline: the computed requeue is the time left.
  JobActions early = computeJobActions(*jobs_.get("default/pi"), {}, clock_.now() + 10s);
  ASSERT_TRUE(early.requeue_after);
  EXPECT_EQ(*early.requeue_after, std::chrono::nanoseconds(20s));

  client_.clearActions();
  clock_.advance(30s);
  sync();
  EXPECT_EQ(writesOf("delete pods").size(), 1u);
  EXPECT_EQ(condition("FailureTarget")["reason"], "DeadlineExceeded");
  refreshJob("pi");
  for (const auto& p : pods_.list()) pods_.put(keyOf(p->metadata), "", nullptr);
  sync();
  EXPECT_EQ(condition("Failed")["reason"], "DeadlineExceeded");
  EXPECT_EQ(condition("Failed")["message"], "Job was active longer than specified deadline");
  EXPECT_EQ(eventReasons().back(), "DeadlineExceeded");
}

TEST_F(JobControllerTest, SuspendDeletesActivePodsAndResumeRestartsTheClock) {
  json job = jobJson("pi", 2, 2);
  job["spec"]["suspend"] = true;
  addJob(job);
  addPod(jobPod("r", "Running"));
  client_.clearActions();
  sync();
  EXPECT_EQ(writesOf("delete pods").size(), 1u);
  EXPECT_TRUE(writesOf("create pods").empty());
  EXPECT_EQ(condition("Suspended")["status"], "True");
  EXPECT_EQ(condition("Suspended")["reason"], "JobSuspended");
  EXPECT_FALSE(status().contains("startTime"));

  removePod("r");
  json stored = *client_.object(jobsResource(), "default", "pi");
  stored["spec"]["suspend"] = false;
  client_.add(jobsResource(), stored);
  refreshJob("pi");
  controller_.expectations().forget("default/pi");
  client_.clearActions();
  clock_.advance(1min);
  sync();
  EXPECT_EQ(writesOf("create pods").size(), 2u);
  EXPECT_EQ(condition("Suspended")["status"], "False");
  EXPECT_EQ(condition("Suspended")["reason"], "JobResumed");
  EXPECT_EQ(status()["startTime"], "2026-01-01T00:01:00Z");
  auto reasons = eventReasons();
  EXPECT_NE(std::find(reasons.begin(), reasons.end(), "Resumed"), reasons.end());
}

TEST_F(JobControllerTest, AStatusConflictFailsTheSyncInsteadOfWritingOverNewerStatus) {
  addJob(jobJson("pi", 2, 1));
  addPod(jobPod("a", "Succeeded"));
  client_.clearActions();
  client_.failNext("update", "jobs", conflict("the object has been modified"));
  Status s = controller_.sync("default/pi");
  EXPECT_EQ(s.code(), Code::kConflict) << s.toString() << [&] {
    std::string all;
    for (const auto& a : client_.actions()) all += a.summary() + "\n";
    return all;
  }();
  EXPECT_EQ(writesOf("update jobs/status").size(), 1u);  // the refused one, not retried
  EXPECT_FALSE(status().contains("startTime"));
  EXPECT_EQ(writesOf("create pods").size(), 1u);  // the pod was made; the retry will not remake it
  refreshJob("pi");
  ASSERT_TRUE(controller_.sync("default/pi").isOk());
  EXPECT_EQ(writesOf("create pods").size(), 1u);
}

json indexedPod(const std::string& name, int index, const std::string& phase) {
  json pod = jobPod(name, phase);
  pod["metadata"]["annotations"] = {{"batch.kubernetes.io/job-completion-index", std::to_string(index)}};
  return pod;
}

TEST_F(JobControllerTest, IndexedJobsCreateTheLowestMissingIndexes) {
  json job = jobJson("pi", 4, 2);
  job["spec"]["completionMode"] = "Indexed";
  addJob(job);
  addPod(indexedPod("pi-0-a", 0, "Succeeded"));
  addPod(indexedPod("pi-1-a", 1, "Running"));
  client_.clearActions();
  sync();
  auto creates = writesOf("create pods");
  ASSERT_EQ(creates.size(), 1u);
  const json& pod = creates[0].object;
  EXPECT_EQ(pod["metadata"]["generateName"], "pi-2-");
  EXPECT_EQ(pod["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"], "2");
  EXPECT_EQ(pod["metadata"]["labels"]["batch.kubernetes.io/job-completion-index"], "2");
  EXPECT_EQ(pod["spec"]["hostname"], "pi-2");
  ASSERT_EQ(pod["spec"]["containers"][0]["env"].size(), 1u);
  EXPECT_EQ(pod["spec"]["containers"][0]["env"][0]["name"], "JOB_COMPLETION_INDEX");
  EXPECT_EQ(pod["spec"]["containers"][0]["env"][0]["valueFrom"]["fieldRef"]["fieldPath"],
            "metadata.annotations['batch.kubernetes.io/job-completion-index']");
  EXPECT_EQ(status()["completedIndexes"], "0");
  EXPECT_EQ(status()["succeeded"], 1);
}

TEST_F(JobControllerTest, IndexedJobsDeleteDuplicatesAndCompleteWhenEveryIndexSucceeded) {
  json job = jobJson("pi", 3, 3);
  job["spec"]["completionMode"] = "Indexed";
  addJob(job);
  addPod(indexedPod("pi-0-a", 0, "Succeeded"));
  addPod(indexedPod("pi-0-b", 0, "Running"));  // index 0 is done: delete
  addPod(indexedPod("pi-1-a", 1, "Running"));
  addPod(indexedPod("pi-1-b", 1, "Running"));  // a second pod of index 1: delete one
  addPod(indexedPod("pi-9-a", 9, "Running"));  // out of range: delete
  client_.clearActions();
  sync();
  std::vector<std::string> deleted;
  for (const auto& d : writesOf("delete pods")) deleted.push_back(d.name);
  std::sort(deleted.begin(), deleted.end());
  EXPECT_EQ(deleted, (std::vector<std::string>{"pi-0-b", "pi-1-b", "pi-9-a"}));
  EXPECT_TRUE(writesOf("create pods").empty());  // expectations wait for the deletes

  for (const auto& name : deleted) removePod(name);
  controller_.expectations().forget("default/pi");
  refreshJob("pi");
  client_.clearActions();
  sync();
  ASSERT_EQ(writesOf("create pods").size(), 1u);
  EXPECT_EQ(writesOf("create pods")[0].object["metadata"]["generateName"], "pi-2-");

  addPod(indexedPod("pi-1-done", 1, "Succeeded"));
  addPod(indexedPod("pi-2-done", 2, "Succeeded"));
  removePod("pi-1-a");
  controller_.expectations().forget("default/pi");
  refreshJob("pi");
  sync();
  EXPECT_EQ(status()["completedIndexes"], "0-2");
  EXPECT_EQ(condition("Complete")["status"], "True");
}

TEST(CompletedIndexes, FormatAndParseIntervals) {
  EXPECT_EQ(api::formatCompletionIndexes({}), "");
  EXPECT_EQ(api::formatCompletionIndexes({0, 1, 2}), "0-2");
  EXPECT_EQ(api::formatCompletionIndexes({1, 3, 4, 5, 7}), "1,3-5,7");
  EXPECT_EQ(api::parseCompletionIndexes("1,3-5,7", 10), (std::vector<int32_t>{1, 3, 4, 5, 7}));
  EXPECT_EQ(api::parseCompletionIndexes("1,3-5,7", 5), (std::vector<int32_t>{1, 3, 4}));
  EXPECT_EQ(api::parseCompletionIndexes("x,2", 5), (std::vector<int32_t>{2}));
}

TEST(ComputeJobActions, WithoutCompletionsTheFirstSuccessStopsNewPodsAndTheLastEndsTheJob) {
  json j = jobJson("pi", std::nullopt, 2);
  auto job = decoded<api::Job>(j);
  auto pod = [](const json& p) { return std::make_shared<const api::Pod>(decoded<api::Pod>(p)); };
  FakeClock clock;
  JobActions a = computeJobActions(job, {pod(jobPod("ok", "Succeeded")), pod(jobPod("r", "Running"))},
                                   clock.now());
  EXPECT_EQ(a.create, 0);
  EXPECT_TRUE(a.remove.empty());
  EXPECT_EQ(findCondition(a.status.conditions, "Complete"), nullptr);
  a = computeJobActions(job, {pod(jobPod("ok", "Succeeded")), pod(jobPod("r", "Succeeded"))},
                        clock.now());
  ASSERT_NE(findCondition(a.status.conditions, "Complete"), nullptr);
  EXPECT_EQ(a.status.succeeded, 2);
  // Nothing has succeeded yet: parallelism pods.
  a = computeJobActions(job, {}, clock.now());
  EXPECT_EQ(a.create, 2);
}

TEST(ComputeJobActions, CountsNeverGoDownWhenFinishedPodsDisappear) {
  json j = jobJson("pi", 3, 1);
  j["status"] = {{"succeeded", 2}, {"failed", 1}};
  auto job = decoded<api::Job>(j);
  FakeClock clock;
  JobActions a = computeJobActions(job, {}, clock.now() + 1h);
  EXPECT_EQ(a.status.succeeded, 2);
  EXPECT_EQ(a.status.failed, 1);
  EXPECT_EQ(a.create, 1);
}

TEST(ComputeJobActions, ParallelismLoweredDeletesTheSurplus) {
  json j = jobJson("pi", 5, 1);
  auto job = decoded<api::Job>(j);
  auto pod = [](const json& p) { return std::make_shared<const api::Pod>(decoded<api::Pod>(p)); };
  FakeClock clock;
  JobActions a = computeJobActions(
      job, {pod(jobPod("ready", "Running", true)), pod(jobPod("pending", "Pending"))}, clock.now());
  ASSERT_EQ(a.remove.size(), 1u);
  EXPECT_EQ(a.remove[0]->metadata.name, "pending");
  EXPECT_EQ(a.status.ready, 1);
}

// A failed pod whose container "c" exited with `code`, with extra pod conditions.
json failedWith(const std::string& name, int code, json conditions = json::array()) {
  json p = jobPod(name, "Failed");
  p["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"] = code;
  p["status"]["conditions"] = conditions;
  return p;
}

api::Job withFailurePolicy(json job, json rules) {
  job["spec"]["podFailurePolicy"] = {{"rules", rules}};
  return decoded<api::Job>(job);
}

PodPtr podOf(const json& p) {
  return std::make_shared<const api::Pod>(decoded<api::Pod>(p));
}

TEST(PodFailurePolicy, AFailJobExitCodeFailsTheJobAtOnceWithKubernetesMessage) {
  auto job = withFailurePolicy(
      jobJson("pi", 3, 1),
      json::parse(R"([{"action": "FailJob", "onExitCodes": {"containerName": "c", "operator": "In", "values": [42]}}])"));
  FakeClock clock;
  JobActions a = computeJobActions(job, {podOf(failedWith("p1", 42))}, clock.now());
  const api::Condition* target = findCondition(a.status.conditions, "FailureTarget");
  ASSERT_NE(target, nullptr);
  EXPECT_EQ(target->reason, "PodFailurePolicy");
  EXPECT_EQ(target->message,
            "Container c for pod default/p1 failed with exit code 42 matching FailJob rule at index 0");
  ASSERT_NE(findCondition(a.status.conditions, "Failed"), nullptr);
  EXPECT_EQ(a.create, 0);
  // Another exit code is an ordinary failure below the backoff limit.
  a = computeJobActions(job, {podOf(failedWith("p1", 1))}, clock.now() + 1h);
  EXPECT_EQ(findCondition(a.status.conditions, "FailureTarget"), nullptr);
  EXPECT_EQ(a.status.failed, 1);
  EXPECT_EQ(a.create, 1);
}

TEST(PodFailurePolicy, IgnoredFailuresAreNotCountedAndNotBackedOff) {
  auto job = withFailurePolicy(
      jobJson("pi", 1, 1, /*backoff_limit=*/0),
      json::parse(R"([{"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget"}]}])"));
  FakeClock clock;
  json disrupted = failedWith("p1", 137, json::parse(R"([{"type": "DisruptionTarget", "status": "True"}])"));
  JobActions a = computeJobActions(job, {podOf(disrupted)}, clock.now());
  EXPECT_EQ(a.status.failed, 0);
  EXPECT_EQ(findCondition(a.status.conditions, "FailureTarget"), nullptr);
  EXPECT_EQ(a.create, 1);  // replaced at once: no back-off for an ignored failure
  // The same failure without the condition counts, and backoffLimit 0 fails the Job.
  a = computeJobActions(job, {podOf(failedWith("p1", 137))}, clock.now());
  EXPECT_EQ(a.status.failed, 1);
  EXPECT_EQ(findCondition(a.status.conditions, "FailureTarget")->reason, "BackoffLimitExceeded");
}

TEST(PodFailurePolicy, NotInMatchesOtherNonZeroCodesAndRulesGoInOrder) {
  api::PodFailurePolicy policy;
  policy.rules.push_back({"Ignore", std::nullopt, {{"DisruptionTarget", "True"}}});
  policy.rules.push_back({"FailJob", api::PodFailurePolicyOnExitCodesRequirement{std::nullopt, "NotIn", {1, 2}}, {}});
  EXPECT_FALSE(matchPodFailurePolicy(policy, decoded<api::Pod>(failedWith("p", 1))));
  auto m = matchPodFailurePolicy(policy, decoded<api::Pod>(failedWith("p", 3)));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->action, "FailJob");
  EXPECT_EQ(m->message, "Container c for pod default/p failed with exit code 3 matching FailJob rule at index 1");
  // Exit code 0 never matches, even NotIn.
  EXPECT_FALSE(matchPodFailurePolicy(policy, decoded<api::Pod>(failedWith("p", 0))));
  // The first matching rule wins.
  auto disrupted = decoded<api::Pod>(
      failedWith("p", 3, json::parse(R"([{"type": "DisruptionTarget", "status": "True"}])")));
  EXPECT_EQ(matchPodFailurePolicy(policy, disrupted)->action, "Ignore");
}

TEST(PodFailurePolicy, APodBeingDeletedIsReplacedOnlyOnceItFailed) {
  auto job = withFailurePolicy(jobJson("pi", 2, 2), json::parse(R"([{"action": "Count", "onExitCodes": {"operator": "In", "values": [5]}}])"));
  json leaving = jobPod("t1", "Running");
  leaving["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z";
  FakeClock clock;
  JobActions a = computeJobActions(job, {podOf(leaving), podOf(jobPod("r1", "Running"))}, clock.now());
  EXPECT_EQ(a.create, 0);
  EXPECT_EQ(a.status.terminating, 1);
  // Without a podFailurePolicy (TerminatingOrFailed) it is replaced at once.
  a = computeJobActions(decoded<api::Job>(jobJson("pi", 2, 2)),
                        {podOf(leaving), podOf(jobPod("r1", "Running"))}, clock.now());
  EXPECT_EQ(a.create, 1);
}

TEST(SuccessPolicy, AnIndexedJobSucceedsWhenARuleIsMetAndStopsTheRest) {
  json j = jobJson("pi", 5, 5);
  j["spec"]["completionMode"] = "Indexed";
  j["spec"]["successPolicy"] = json::parse(R"({"rules": [{"succeededIndexes": "0,2-3", "succeededCount": 2}, {"succeededCount": 3}]})");
  auto job = decoded<api::Job>(j);
  FakeClock clock;
  JobActions a = computeJobActions(
      job, {podOf(indexedPod("a", 0, "Succeeded")), podOf(indexedPod("b", 1, "Succeeded")),
            podOf(indexedPod("c", 2, "Running"))},
      clock.now());
  EXPECT_EQ(findCondition(a.status.conditions, "SuccessCriteriaMet"), nullptr);
  a = computeJobActions(
      job, {podOf(indexedPod("a", 0, "Succeeded")), podOf(indexedPod("c", 3, "Succeeded")),
            podOf(indexedPod("d", 4, "Running"))},
      clock.now());
  const api::Condition* met = findCondition(a.status.conditions, "SuccessCriteriaMet");
  ASSERT_NE(met, nullptr);
  EXPECT_EQ(met->reason, "SuccessPolicy");
  EXPECT_EQ(met->message, "Matched rules at index 0");
  ASSERT_EQ(a.remove.size(), 1u);  // the index still running is stopped
  EXPECT_EQ(findCondition(a.status.conditions, "Complete"), nullptr);  // not until it is gone
  EXPECT_EQ(matchingSuccessRule(*job.spec.success_policy, {1, 2, 4}, 5), std::optional<size_t>(1));
}

TEST(CompletedIndexes, WellFormedListsForValidation) {
  EXPECT_TRUE(api::completionIndexesWellFormed("0,2-3,5", 6));
  EXPECT_FALSE(api::completionIndexesWellFormed("0,2-3,6", 6));  // 6 is not below completions
  EXPECT_FALSE(api::completionIndexesWellFormed("2,1", 6));        // not ascending
  EXPECT_FALSE(api::completionIndexesWellFormed("1-3,3", 6));      // overlapping
  EXPECT_FALSE(api::completionIndexesWellFormed("3-3", 6));        // a range needs a < b
  EXPECT_FALSE(api::completionIndexesWellFormed("", 6));
  EXPECT_FALSE(api::completionIndexesWellFormed("1,,2", 6));
  EXPECT_FALSE(api::completionIndexesWellFormed("-1", 6));
}

}  // namespace job_test
}  // namespace minik8s::controller
