// CronJobController with the fake client and prefilled caches, and computeCronJobActions
// as a table; FakeClock starts at 2026-01-01T00:00:00Z (a Thursday).
#include "controller/cronjob.h"

#include <gtest/gtest.h>

#include "client/fake_client.h"
#include "controller/fixtures.h"

namespace minik8s::controller {
namespace cronjob_test {

using nlohmann::json;
using testing::decoded;
using namespace std::chrono_literals;

json cronJobJson(const std::string& schedule, const std::string& policy = "Allow") {
  return json::parse(R"({
    "apiVersion": "batch/v1", "kind": "CronJob",
    "metadata": {"name": "hello", "namespace": "default", "uid": "cj-uid",
                 "creationTimestamp": "2026-01-01T00:00:00Z"},
    "spec": {"schedule": ")" + schedule + R"(", "concurrencyPolicy": ")" + policy + R"(",
             "suspend": false, "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 1,
             "jobTemplate": {"metadata": {"labels": {"team": "a"}},
                             "spec": {"backoffLimit": 2, "template": {"spec": {
                "restartPolicy": "OnFailure",
                "containers": [{"name": "c", "image": "busybox"}]}}}}}
  })");
}

// A Job of the CronJob, started at `start`; `finished` is "", "Complete" or "Failed".
json ownedJob(const std::string& name, const std::string& start, const std::string& finished = "") {
  json job = {{"apiVersion", "batch/v1"},
              {"kind", "Job"},
              {"metadata",
               {{"name", name},
                {"namespace", "default"},
                {"uid", "uid-" + name},
                {"creationTimestamp", start},
                {"ownerReferences",
                 {{{"apiVersion", "batch/v1"},
                   {"kind", "CronJob"},
                   {"name", "hello"},
                   {"uid", "cj-uid"},
                   {"controller", true},
                   {"blockOwnerDeletion", true}}}}}},
              {"spec",
               {{"template",
                 {{"spec", {{"restartPolicy", "Never"}, {"containers", {{{"name", "c"}, {"image", "busybox"}}}}}}}}}},
              {"status", {{"startTime", start}}}};
  if (!finished.empty()) {
    job["status"]["conditions"] = {{{"type", finished}, {"status", "True"}}};
    if (finished == "Complete") job["status"]["completionTime"] = start;
  }
  return job;
}

JobPtr jobPtr(const json& j) { return std::make_shared<const api::Job>(decoded<api::Job>(j)); }

Clock::WallTime at(const std::string& s) {
  Clock::WallTime t;
  EXPECT_TRUE(parseRfc3339(s, &t));
  return t;
}

std::vector<std::string> reasons(const CronJobActions& a) {
  std::vector<std::string> out;
  for (const auto& e : a.events) out.push_back(e.reason);
  return out;
}

TEST(CronJobJobName, IsTheScheduledUnixTimeInMinutes) {
  EXPECT_EQ(cronJobJobName("hello", at("2026-01-01T00:05:00Z")), "hello-29453765");
}

TEST(ComputeCronJobActions, NothingBeforeTheFirstTimeAndARequeueForIt) {
  auto cj = decoded<api::CronJob>(cronJobJson("*/5 * * * *"));
  CronJobActions a = computeCronJobActions(cj, {}, {}, at("2026-01-01T00:03:00Z"));
  EXPECT_FALSE(a.create);
  ASSERT_TRUE(a.requeue_after);
  EXPECT_EQ(*a.requeue_after, std::chrono::nanoseconds(2min + 100ms));
}

TEST(ComputeCronJobActions, CreatesTheJobForTheMostRecentTime) {
  auto cj = decoded<api::CronJob>(cronJobJson("*/5 * * * *"));
  CronJobActions a = computeCronJobActions(cj, {}, {}, at("2026-01-01T00:11:00Z"));
  ASSERT_TRUE(a.create);
  EXPECT_EQ(a.create->metadata.name, cronJobJobName("hello", at("2026-01-01T00:10:00Z")));
  EXPECT_EQ(a.create->metadata.labels.at("team"), "a");
  EXPECT_EQ(a.create->metadata.annotations.at("batch.kubernetes.io/cronjob-scheduled-timestamp"),
            "2026-01-01T00:10:00Z");
  ASSERT_EQ(a.create->metadata.owner_references.size(), 1u);
  EXPECT_EQ(a.create->metadata.owner_references[0].kind, "CronJob");
  EXPECT_EQ(a.create->metadata.owner_references[0].controller, true);
  EXPECT_EQ(a.create->spec.backoff_limit, 2);
  EXPECT_EQ(a.status.last_schedule_time, "2026-01-01T00:10:00Z");
  EXPECT_EQ(*a.requeue_after, std::chrono::nanoseconds(4min + 100ms));
}

TEST(ComputeCronJobActions, ATimeAlreadyScheduledIsNotScheduledAgain) {
  json j = cronJobJson("*/5 * * * *");
  j["status"]["lastScheduleTime"] = "2026-01-01T00:10:00Z";
  auto cj = decoded<api::CronJob>(j);
  EXPECT_FALSE(computeCronJobActions(cj, {}, {}, at("2026-01-01T00:14:59Z")).create);
  EXPECT_TRUE(computeCronJobActions(cj, {}, {}, at("2026-01-01T00:15:00Z")).create);
}

TEST(ComputeCronJobActions, ForbidSkipsWhileAJobIsActiveAndReplaceDeletesIt) {
  auto running = jobPtr(ownedJob("hello-old", "2026-01-01T00:00:00Z"));
  auto forbid = decoded<api::CronJob>(cronJobJson("*/5 * * * *", "Forbid"));
  CronJobActions a = computeCronJobActions(forbid, {running}, {}, at("2026-01-01T00:05:00Z"));
  EXPECT_FALSE(a.create);
  EXPECT_EQ(reasons(a), std::vector<std::string>{"JobAlreadyActive"});
  ASSERT_EQ(a.status.active.size(), 1u);  // the running Job was adopted into active

  auto replace = decoded<api::CronJob>(cronJobJson("*/5 * * * *", "Replace"));
  a = computeCronJobActions(replace, {running}, {}, at("2026-01-01T00:05:00Z"));
  ASSERT_TRUE(a.create);
  EXPECT_EQ(a.delete_jobs, std::vector<std::string>{"hello-old"});
  EXPECT_TRUE(a.status.active.empty());

  auto allow = decoded<api::CronJob>(cronJobJson("*/5 * * * *", "Allow"));
  a = computeCronJobActions(allow, {running}, {}, at("2026-01-01T00:05:00Z"));
  EXPECT_TRUE(a.create);
  EXPECT_TRUE(a.delete_jobs.empty());
}

TEST(ComputeCronJobActions, FinishedJobsLeaveActiveAndSetLastSuccessfulTime) {
  json j = cronJobJson("0 * * * *");
  j["status"]["active"] = {{{"kind", "Job"}, {"name", "hello-a"}, {"namespace", "default"}, {"uid", "uid-hello-a"}},
                           {{"kind", "Job"}, {"name", "hello-gone"}, {"namespace", "default"}, {"uid", "uid-gone"}}};
  j["status"]["lastScheduleTime"] = "2026-01-01T00:00:00Z";
  auto cj = decoded<api::CronJob>(j);
  auto done = jobPtr(ownedJob("hello-a", "2026-01-01T00:00:30Z", "Complete"));
  CronJobActions a = computeCronJobActions(cj, {done}, {"hello-gone"}, at("2026-01-01T00:30:00Z"));
  EXPECT_TRUE(a.status.active.empty());
  EXPECT_EQ(a.status.last_successful_time, "2026-01-01T00:00:30Z");
  EXPECT_EQ(reasons(a), (std::vector<std::string>{"SawCompletedJob", "MissingJob"}));
  EXPECT_EQ(a.events[0].message, "Saw completed job: hello-a, condition: Complete");
}

TEST(ComputeCronJobActions, HistoryLimitsDeleteTheOldestFinishedJobs) {
  json j = cronJobJson("0 0 1 1 *");
  j["spec"]["successfulJobsHistoryLimit"] = 1;
  j["spec"]["failedJobsHistoryLimit"] = 0;
  auto cj = decoded<api::CronJob>(j);
  CronJobActions a = computeCronJobActions(
      cj,
      {jobPtr(ownedJob("s2", "2026-01-01T00:02:00Z", "Complete")),
       jobPtr(ownedJob("s1", "2026-01-01T00:01:00Z", "Complete")),
       jobPtr(ownedJob("f1", "2026-01-01T00:03:00Z", "Failed")),
       jobPtr(ownedJob("r", "2026-01-01T00:04:00Z"))},
      {}, at("2026-01-01T00:30:00Z"));
  EXPECT_EQ(a.delete_jobs, (std::vector<std::string>{"s1", "f1"}));
}

TEST(ComputeCronJobActions, StartingDeadlineMissesLateTimesAndSuspendStopsAll) {
  json j = cronJobJson("0 * * * *");
  j["spec"]["startingDeadlineSeconds"] = 60;
  j["status"]["lastScheduleTime"] = "2026-01-01T00:00:00Z";
  auto cj = decoded<api::CronJob>(j);
  // 01:00 is due; at 01:00:30 it is in time, at 01:02 too late (and earlier times too).
  EXPECT_TRUE(computeCronJobActions(cj, {}, {}, at("2026-01-01T01:00:30Z")).create);
  CronJobActions late = computeCronJobActions(cj, {}, {}, at("2026-01-01T01:02:00Z"));
  EXPECT_FALSE(late.create);
  EXPECT_TRUE(late.events.empty());  // the deadline window holds no time at all

  json s = cronJobJson("* * * * *");
  s["spec"]["suspend"] = true;
  CronJobActions suspended =
      computeCronJobActions(decoded<api::CronJob>(s), {}, {}, at("2026-01-01T00:10:00Z"));
  EXPECT_FALSE(suspended.create);
  EXPECT_FALSE(suspended.requeue_after);
}

TEST(ComputeCronJobActions, TooManyMissedTimesWarnsAndStillRunsTheLatest) {
  auto cj = decoded<api::CronJob>(cronJobJson("* * * * *"));
  CronJobActions a = computeCronJobActions(cj, {}, {}, at("2026-01-01T05:00:30Z"));
  ASSERT_TRUE(a.create);
  EXPECT_EQ(a.status.last_schedule_time, "2026-01-01T05:00:00Z");
  EXPECT_EQ(reasons(a), std::vector<std::string>{"TooManyMissedTimes"});
}

TEST(ComputeCronJobActions, TimeZonesShiftTheScheduleAndTheAnnotation) {
  json j = cronJobJson("0 9 * * *");
  j["spec"]["timeZone"] = "Etc/GMT-9";  // UTC+9: 09:00 local is 00:00 UTC
  auto cj = decoded<api::CronJob>(j);
  j["metadata"]["creationTimestamp"] = "2025-12-31T23:00:00Z";
  cj = decoded<api::CronJob>(j);
  CronJobActions a = computeCronJobActions(cj, {}, {}, at("2026-01-01T00:00:10Z"));
  ASSERT_TRUE(a.create);
  EXPECT_EQ(a.create->metadata.annotations.at("batch.kubernetes.io/cronjob-scheduled-timestamp"),
            "2026-01-01T09:00:00+09:00");
  json bad = cronJobJson("0 9 * * *");
  bad["spec"]["timeZone"] = "Mars/Olympus";
  a = computeCronJobActions(decoded<api::CronJob>(bad), {}, {}, at("2026-01-01T10:00:00Z"));
  EXPECT_FALSE(a.create);
  EXPECT_EQ(reasons(a), std::vector<std::string>{"UnknownTimeZone"});
}

class CronJobControllerTest : public ::testing::Test {
 protected:
  CronJobControllerTest() : client_(clock_), controller_(client_, cron_jobs_, jobs_, clock_) {}
  const api::ResourceInfo& cronJobsResource() { return *api::findResource("batch", "v1", "cronjobs"); }
  const api::ResourceInfo& jobsResource() { return *api::findResource("batch", "v1", "jobs"); }
  void addCronJob(const json& cj) {
    client_.add(cronJobsResource(), cj);
    refresh();
  }
  void refresh() {
    cron_jobs_.add(decoded<api::CronJob>(*client_.object(cronJobsResource(), "default", "hello")));
  }
  void addJob(const json& job) {
    client_.add(jobsResource(), job);
    jobs_.add(decoded<api::Job>(*client_.object(jobsResource(), "default", job["metadata"]["name"].get<std::string>())));
  }
  void sync() {
    Status s = controller_.sync("default/hello");
    ASSERT_TRUE(s.isOk()) << s.toString();
  }
  std::vector<client::Action> writesOf(const std::string& summary) const {
    std::vector<client::Action> out;
    for (const auto& a : client_.writes()) {
      if (a.summary() == summary) out.push_back(a);
    }
    return out;
  }
  json status() { return (*client_.object(cronJobsResource(), "default", "hello"))["status"]; }

  FakeClock clock_;
  client::FakeClient client_;
  client::ObjectCache<api::CronJob> cron_jobs_;
  client::ObjectCache<api::Job> jobs_;
  CronJobController controller_;
};

TEST_F(CronJobControllerTest, CreatesTheJobAndRecordsItAsActive) {
  addCronJob(cronJobJson("*/5 * * * *"));
  clock_.advance(5min + 2s);
  client_.clearActions();
  sync();
  auto creates = writesOf("create jobs");
  ASSERT_EQ(creates.size(), 1u);
  EXPECT_EQ(creates[0].object["metadata"]["name"], "hello-29453765");
  EXPECT_EQ(status()["lastScheduleTime"], "2026-01-01T00:05:00Z");
  ASSERT_EQ(status()["active"].size(), 1u);
  EXPECT_EQ(status()["active"][0]["name"], "hello-29453765");
  EXPECT_FALSE(status()["active"][0].value("uid", "").empty());

  // The same time again (the cache shows the new status): no second Job.
  refresh();
  client_.clearActions();
  sync();
  EXPECT_TRUE(writesOf("create jobs").empty());
}

TEST_F(CronJobControllerTest, ReplaceDeletesTheActiveJobInTheBackground) {
  addCronJob(cronJobJson("*/5 * * * *", "Replace"));
  addJob(ownedJob("hello-old", "2026-01-01T00:00:00Z"));
  clock_.advance(5min);
  client_.clearActions();
  sync();
  auto deletes = writesOf("delete jobs");
  ASSERT_EQ(deletes.size(), 1u);
  EXPECT_EQ(deletes[0].name, "hello-old");
  EXPECT_EQ(deletes[0].object["propagationPolicy"], "Background");
  EXPECT_EQ(writesOf("create jobs").size(), 1u);
}

TEST_F(CronJobControllerTest, AnActiveJobTheApiserverNoLongerHasIsDropped) {
  json cj = cronJobJson("0 0 1 1 *");
  cj["status"]["active"] = {{{"kind", "Job"}, {"name", "hello-x"}, {"namespace", "default"}, {"uid", "uid-x"}}};
  addCronJob(cj);
  client_.clearActions();
  sync();
  EXPECT_FALSE(status().contains("active"));
}

}  // namespace cronjob_test
}  // namespace minik8s::controller
