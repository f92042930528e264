// TtlAfterFinishedController with the fake client and a prefilled cache.
#include "controller/ttl_after_finished.h"

#include <gtest/gtest.h>

#include "client/fake_client.h"
#include "controller/fixtures.h"

namespace minik8s::controller {
namespace ttl_after_finished_test {

using nlohmann::json;
using testing::decoded;
using namespace std::chrono_literals;

json finishedJob(std::optional<int> ttl, const std::string& condition = "Complete") {
  json job = json::parse(R"({
    "apiVersion": "batch/v1", "kind": "Job",
    "metadata": {"name": "pi", "namespace": "default", "uid": "job-uid"},
    "spec": {"template": {"spec": {"restartPolicy": "Never",
                                   "containers": [{"name": "c", "image": "busybox"}]}}},
    "status": {"conditions": [{"type": ")" + condition + R"(", "status": "True",
                               "lastTransitionTime": "2026-01-01T00:00:00Z"}]}
  })");
  if (ttl) job["spec"]["ttlSecondsAfterFinished"] = *ttl;
  return job;
}

class TtlAfterFinishedTest : public ::testing::Test {
 protected:
  TtlAfterFinishedTest() : client_(clock_), controller_(client_, jobs_, clock_) {}
  const api::ResourceInfo& jobsResource() { return *api::findResource("batch", "v1", "jobs"); }
  void addJob(const json& job) {
    client_.add(jobsResource(), job);
    jobs_.add(decoded<api::Job>(*client_.object(jobsResource(), "default", "pi")));
  }
  std::vector<client::Action> deletes() const {
    std::vector<client::Action> out;
    for (const auto& a : client_.writes()) {
      if (a.summary() == "delete jobs") out.push_back(a);
    }
    return out;
  }
  FakeClock clock_;
  client::FakeClient client_;
  client::ObjectCache<api::Job> jobs_;
  TtlAfterFinishedController controller_;
};

TEST_F(TtlAfterFinishedTest, DeletesAFinishedJobInTheBackgroundOnceTheTtlHasPassed) {
  addJob(finishedJob(100));
  clock_.advance(99s);
  ASSERT_TRUE(controller_.sync("default/pi").isOk());
  EXPECT_TRUE(deletes().empty());
  clock_.advance(1s);
  ASSERT_TRUE(controller_.sync("default/pi").isOk());
  auto d = deletes();
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].object["propagationPolicy"], "Background");
  EXPECT_EQ(d[0].object["preconditions"]["uid"], "job-uid");
  EXPECT_FALSE(client_.object(jobsResource(), "default", "pi"));
}

TEST_F(TtlAfterFinishedTest, FailedJobsExpireTooAndJobsWithoutTtlOrUnfinishedNever) {
  addJob(finishedJob(0, "Failed"));
  ASSERT_TRUE(controller_.sync("default/pi").isOk());
  EXPECT_EQ(deletes().size(), 1u);

  EXPECT_FALSE(jobExpiry(decoded<api::Job>(finishedJob(std::nullopt))));
  json running = finishedJob(10);
  running["status"]["conditions"][0]["type"] = "SuccessCriteriaMet";
  EXPECT_FALSE(jobExpiry(decoded<api::Job>(running)));
}

TEST_F(TtlAfterFinishedTest, ATtlRaisedSinceTheCacheWasFilledIsHonoured) {
  addJob(finishedJob(10));
  json raised = *client_.object(jobsResource(), "default", "pi");
  raised["spec"]["ttlSecondsAfterFinished"] = 3600;
  client_.add(jobsResource(), raised);  // the apiserver has it, the cache does not yet
  clock_.advance(11s);
  ASSERT_TRUE(controller_.sync("default/pi").isOk());
  EXPECT_TRUE(deletes().empty());
}

}  // namespace ttl_after_finished_test
}  // namespace minik8s::controller
