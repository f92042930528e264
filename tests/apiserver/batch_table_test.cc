// kubectl's columns for batch/v1 Jobs (printJob, 1.32) and CronJobs (printCronJob).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/scheme.h"
#include "apiserver/table.h"

namespace minik8s::apiserver {
namespace batch_table_test {

using nlohmann::json;
using namespace std::chrono_literals;

const Clock::WallTime kNow = Clock::WallTime(std::chrono::seconds(1767225600)) + 10min;

json cells(const char* plural, const std::string& object) {
  const api::ResourceInfo* info = api::findResource("batch", "v1", plural);
  EXPECT_NE(info, nullptr);
  return tableRow(*info, json::parse(object), kNow, IncludeObject::kNone)["cells"];
}

std::vector<std::string> columns(const char* plural, int priority) {
  std::vector<std::string> names;
  for (const json& c : tableColumns(*api::findResource("batch", "v1", plural))) {
    if (c["priority"] == priority) names.push_back(c["name"]);
  }
  return names;
}

TEST(BatchTable, ColumnsAreKubectls) {
  EXPECT_EQ(columns("jobs", 0),
            (std::vector<std::string>{"Name", "Status", "Completions", "Duration", "Age"}));
  EXPECT_EQ(columns("jobs", 1), (std::vector<std::string>{"Containers", "Images", "Selector"}));
  EXPECT_EQ(columns("cronjobs", 0),
            (std::vector<std::string>{"Name", "Schedule", "Timezone", "Suspend", "Active",
                                      "Last Schedule", "Age"}));
}

TEST(BatchTable, AJobRunningCompleteFailedOrSuspended) {
  const std::string job = R"({"metadata":{"name":"pi","creationTimestamp":"2026-01-01T00:00:00Z"},
    "spec":{"completions":3,"parallelism":1,"selector":{"matchLabels":{"a":"b"}},
            "template":{"spec":{"containers":[{"name":"c","image":"busybox"}]}}},
    "status":{"succeeded":1,"startTime":"2026-01-01T00:01:00Z"}})";
  EXPECT_EQ(cells("jobs", job), json::parse(R"(["pi","Running","1/3","9m","10m","c","busybox","a=b"])"));

  json done = json::parse(job);
  done["status"]["completionTime"] = "2026-01-01T00:01:42Z";
  done["status"]["conditions"] = {{{"type", "Complete"}, {"status", "True"}}};
  json row = cells("jobs", done.dump());
  EXPECT_EQ(row[1], "Complete");
  EXPECT_EQ(row[3], "42s");

  json failed = json::parse(job);
  failed["status"]["conditions"] = {{{"type", "FailureTarget"}, {"status", "True"}},
                                    {{"type", "Failed"}, {"status", "True"}}};
  EXPECT_EQ(cells("jobs", failed.dump())[1], "Failed");

  json suspended = json::parse(job);
  suspended["status"]["conditions"] = {{{"type", "Suspended"}, {"status", "True"}}};
  EXPECT_EQ(cells("jobs", suspended.dump())[1], "Suspended");

  json open = json::parse(job);
  open["spec"].erase("completions");
  open["spec"]["parallelism"] = 4;
  EXPECT_EQ(cells("jobs", open.dump())[2], "1/1 of 4");
}

TEST(BatchTable, ACronJob) {
  const std::string cj = R"({"metadata":{"name":"tick","creationTimestamp":"2026-01-01T00:00:00Z"},
    "spec":{"schedule":"*/5 * * * *","suspend":false,
            "jobTemplate":{"spec":{"template":{"spec":{"containers":[{"name":"c","image":"busybox"}]}}}}},
    "status":{"active":[{"name":"tick-1"}],"lastScheduleTime":"2026-01-01T00:05:00Z"}})";
  EXPECT_EQ(cells("cronjobs", cj),
            json::parse(R"(["tick","*/5 * * * *","<none>","False",1,"5m","10m","c","busybox","<none>"])"));
  json unset = json::parse(cj);
  unset["spec"].erase("suspend");
  unset["spec"]["timeZone"] = "Etc/UTC";
  unset.erase("status");
  json row = cells("cronjobs", unset.dump());
  EXPECT_EQ(row[2], "Etc/UTC");
  EXPECT_EQ(row[3], "<unset>");
  EXPECT_EQ(row[4], 0);
  EXPECT_EQ(row[5], "<none>");
}

}  // namespace batch_table_test
}  // namespace minik8s::apiserver
