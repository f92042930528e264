#include "client/event_recorder.h"

#include <gtest/gtest.h>

#include "api/scheme.h"
#include "testing/api_fixture.h"

namespace minik8s::client {
namespace event_recorder_test {

using nlohmann::json;
using namespace std::chrono_literals;

const EventSource kKubelet{"kubelet", "node-1"};

EventTarget podTarget(const std::string& name, const std::string& field_path = "") {
  return {"Pod", "v1", "default", name, "uid-" + name, "", field_path};
}

// ---- pure parts ----

TEST(EventDedupKey, RepeatsShareAKeyAndAnyDifferenceSplitsIt) {
  EventRecord backoff{"Warning", "BackOff", "Back-off restarting failed container app"};
  std::string key = eventDedupKey(kKubelet, podTarget("web"), backoff);
  EXPECT_EQ(key, eventDedupKey(kKubelet, podTarget("web"), backoff));
  EXPECT_NE(key, eventDedupKey(kKubelet, podTarget("db"), backoff));
  EXPECT_NE(key, eventDedupKey({"kubelet", "node-2"}, podTarget("web"), backoff));
  EXPECT_NE(key, eventDedupKey(kKubelet, podTarget("web", "spec.containers{app}"), backoff));
  EXPECT_NE(key, eventDedupKey(kKubelet, podTarget("web"),
                               {"Warning", "BackOff", "Back-off restarting failed container b"}));
  EXPECT_NE(key, eventDedupKey(kKubelet, podTarget("web"), {"Normal", "BackOff", backoff.message}));
}

TEST(FirstEvent, IsACoreEventAboutTheTargetCountedOnce) {
  FakeClock clock;
  json e = firstEvent(kKubelet, podTarget("web", "spec.containers{app}"),
                      {"Normal", "Started", "Started container app"}, clock.now());
  EXPECT_EQ(e["kind"], "Event");
  EXPECT_EQ(e["metadata"]["namespace"], "default");
  EXPECT_EQ(e["metadata"]["name"].get<std::string>().rfind("web.", 0), 0u);
  EXPECT_EQ(e["involvedObject"], json({{"kind", "Pod"},
                                       {"apiVersion", "v1"},
                                       {"namespace", "default"},
                                       {"name", "web"},
                                       {"uid", "uid-web"},
                                       {"fieldPath", "spec.containers{app}"}}));
  EXPECT_EQ(e["source"], json({{"component", "kubelet"}, {"host", "node-1"}}));
  EXPECT_EQ(e["reportingInstance"], "node-1");
  EXPECT_EQ(e["count"], 1);
  EXPECT_EQ(e["firstTimestamp"], "2026-01-01T00:00:00Z");
  EXPECT_EQ(e["lastTimestamp"], e["firstTimestamp"]);

  json scheduler = firstEvent({"default-scheduler", ""}, podTarget("web"),
                              {"Normal", "Scheduled", "assigned"}, clock.now());
  EXPECT_EQ(scheduler["source"], json({{"component", "default-scheduler"}}));
  EXPECT_FALSE(scheduler.contains("reportingInstance"));
  EXPECT_FALSE(scheduler["involvedObject"].contains("fieldPath"));
}

TEST(RepeatPatch, SetsCountAndLastTimestampOnly) {
  FakeClock clock;
  clock.advance(90s);
  EXPECT_EQ(repeatPatch(4, clock.now()),
            json({{"count", 4}, {"lastTimestamp", "2026-01-01T00:01:30Z"}}));
}

// ---- against a real apiserver and etcd ----

class EventRecorderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto fixture = testing::ApiFixture::start();
    ASSERT_TRUE(fixture.isOk()) << fixture.status().toString();
    api_ = std::move(fixture).value();
  }
  std::vector<json> events() {
    auto list = api_->client().list(*api::findResource("", "v1", "events"), "default");
    EXPECT_TRUE(list.isOk());
    std::vector<json> out;
    if (list.isOk()) {
      for (const auto& item : (*list)["items"]) out.push_back(item);
    }
    return out;
  }
  std::unique_ptr<testing::ApiFixture> api_;
  FakeClock clock_;
};

TEST_F(EventRecorderTest, RepeatsAreCountedOnOneEvent) {
  EventRecorder recorder(api_->client(), kKubelet, clock_);
  EventRecord backoff{"Warning", "BackOff", "Back-off restarting failed container app"};
  recorder.record(podTarget("web"), backoff);
  clock_.advance(10s);
  recorder.record(podTarget("web"), backoff);
  clock_.advance(20s);
  recorder.record(podTarget("web"), backoff);
  recorder.record(podTarget("web"), {"Normal", "Pulled", "Container image already present"});

  auto all = events();
  ASSERT_EQ(all.size(), 2u);
  const json& counted = all[0]["reason"] == "BackOff" ? all[0] : all[1];
  EXPECT_EQ(counted["count"], 3);
  EXPECT_EQ(counted["firstTimestamp"], "2026-01-01T00:00:00Z");
  EXPECT_EQ(counted["lastTimestamp"], "2026-01-01T00:00:30Z");
  EXPECT_EQ(counted["message"], backoff.message);
}

TEST_F(EventRecorderTest, AnEventDeletedMeanwhileIsStartedAgain) {
  EventRecorder recorder(api_->client(), kKubelet, clock_);
  EventRecord failed{"Warning", "FailedScheduling", "0/1 nodes are available"};
  recorder.record(podTarget("web"), failed);
  auto first = events();
  ASSERT_EQ(first.size(), 1u);
  ASSERT_TRUE(api_->client()
                  .remove(*api::findResource("", "v1", "events"), "default",
                          first[0]["metadata"]["name"].get<std::string>())
                  .isOk());
  clock_.advance(1s);
  recorder.record(podTarget("web"), failed);
  auto again = events();
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0]["count"], 1);
  EXPECT_NE(again[0]["metadata"]["name"], first[0]["metadata"]["name"]);
  clock_.advance(1s);
  recorder.record(podTarget("web"), failed);
  EXPECT_EQ(events().at(0)["count"], 2);
}

TEST_F(EventRecorderTest, ForgetsTheLeastRecentlyUsedBeyondItsLimit) {
  EventRecorder recorder(api_->client(), kKubelet, clock_, /*max_tracked=*/2);
  EventRecord started{"Normal", "Started", "Started container app"};
  recorder.record(podTarget("a"), started);
  clock_.advance(1s);
  recorder.record(podTarget("b"), started);
  clock_.advance(1s);
  recorder.record(podTarget("a"), started);  // a is now the most recent
  clock_.advance(1s);
  recorder.record(podTarget("c"), started);  // b is forgotten
  clock_.advance(1s);
  recorder.record(podTarget("a"), started);  // a is still counted (3)
  clock_.advance(1s);
  recorder.record(podTarget("b"), started);  // b starts a second Event
  int b_events = 0;
  for (const auto& e : events()) {
    std::string name = e["involvedObject"]["name"];
    if (name == "a") {
      EXPECT_EQ(e["count"], 3);
    }
    if (name == "b") ++b_events;
  }
  EXPECT_EQ(b_events, 2);
}

}  // namespace event_recorder_test
}  // namespace minik8s::client
