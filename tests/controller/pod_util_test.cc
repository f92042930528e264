#include "controller/pod_util.h"

#include <gtest/gtest.h>

#include "controller/expectations.h"
#include "controller/fixtures.h"
#include "controller/slow_start.h"

namespace minik8s::controller {
namespace pod_util_test {

using testing::decoded;
using testing::podJson;
using namespace std::chrono_literals;

PodPtr pod(const nlohmann::json& j) {
  return std::make_shared<const api::Pod>(decoded<api::Pod>(j));
}

std::vector<std::string> names(const std::vector<PodPtr>& pods) {
  std::vector<std::string> out;
  for (const auto& p : pods) out.push_back(p->metadata.name);
  return out;
}

TEST(PodsToDelete, RanksLikeKubernetes) {
  auto restarted = podJson("restarted", "u", "n1", "Running", true, "2026-01-01T00:00:00Z");
  restarted["status"]["containerStatuses"] = {{{"name", "c"}, {"ready", true}, {"restartCount", 4},
                                               {"image", "i"}, {"imageID", ""}}};
  std::vector<PodPtr> pods = {
      pod(podJson("ready-old", "u", "n1", "Running", true, "2026-01-01T00:00:00Z")),
      pod(restarted),
      pod(podJson("running-not-ready", "u", "n1", "Running", false)),
      pod(podJson("pending", "u", "n1", "Pending")),
      pod(podJson("unknown", "u", "n1", "Unknown")),
      pod(podJson("unscheduled", "u")),
  };
  EXPECT_EQ(names(podsToDelete(pods, pods, 6)).size(), 6u);
  EXPECT_EQ(names(podsToDelete(pods, pods, 5)),
            (std::vector<std::string>{"unscheduled", "pending", "unknown", "running-not-ready",
                                      "restarted"}));
}

TEST(PodsToDelete, PrefersPodsOnCrowdedNodesThenNewerOnes) {
  std::vector<PodPtr> pods = {
      pod(podJson("alone", "u", "n2", "Running", true, "2026-01-01T00:09:00Z")),
      pod(podJson("crowded-old", "u", "n1", "Running", true, "2026-01-01T00:00:00Z")),
      pod(podJson("crowded-new", "u", "n1", "Running", true, "2026-01-01T00:05:00Z")),
  };
  EXPECT_EQ(names(podsToDelete(pods, pods, 2)),
            (std::vector<std::string>{"crowded-new", "crowded-old"}));
}

TEST(PodUtil, ReadinessAvailabilityAndActivity) {
  auto ready = decoded<api::Pod>(podJson("a", "u", "n", "Running", true));
  Clock::WallTime t;
  ASSERT_TRUE(parseRfc3339("2026-01-01T00:00:10Z", &t));
  EXPECT_TRUE(isPodReady(ready));
  EXPECT_TRUE(isPodAvailable(ready, 0, t));
  EXPECT_FALSE(isPodAvailable(ready, 5, t + 4s));
  EXPECT_TRUE(isPodAvailable(ready, 5, t + 5s));
  EXPECT_TRUE(isPodActive(ready));
  EXPECT_FALSE(isPodActive(decoded<api::Pod>(podJson("b", "u", "n", "Failed"))));
  auto leaving = podJson("c", "u", "n", "Running");
  leaving["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z";
  EXPECT_FALSE(isPodActive(decoded<api::Pod>(leaving)));
}

TEST(PodUtil, PodFromTemplateCarriesLabelsSpecAndTheControllerRef) {
  api::PodTemplateSpec tmpl;
  tmpl.metadata.labels = {{"app", "web"}};
  tmpl.metadata.annotations = {{"a", "b"}};
  tmpl.spec.containers.resize(1);
  tmpl.spec.containers[0].name = "c";
  api::ObjectMeta owner;
  owner.name = "web-123";
  owner.uid = "u1";
  api::Pod p = podFromTemplate(tmpl, "ns1", "web-123-", makeControllerRef("apps/v1", "ReplicaSet", owner));
  EXPECT_EQ(p.metadata.namespace_, "ns1");
  EXPECT_EQ(p.metadata.generate_name, "web-123-");
  EXPECT_EQ(p.metadata.labels, tmpl.metadata.labels);
  EXPECT_EQ(p.metadata.annotations, tmpl.metadata.annotations);
  ASSERT_NE(controllerRefOf(p.metadata), nullptr);
  EXPECT_EQ(controllerRefOf(p.metadata)->uid, "u1");
  EXPECT_EQ(p.spec.containers.size(), 1u);
}

TEST(SlowStartBatch, DoublesTheBatchAndStopsAfterAFailingOne) {
  std::atomic<int> calls{0};
  Status first;
  // Calls 0..2 succeed (batches 1 and 2), the batch of 4 has a failure, nothing after it.
  int ok = slowStartBatch(20, 1, 1, [&](int i) {
    ++calls;
    return i == 4 ? Status(Code::kForbidden, "no") : Status::ok();
  }, &first);
  EXPECT_EQ(calls.load(), 7);
  EXPECT_EQ(ok, 6);
  EXPECT_EQ(first.message(), "no");
  std::atomic<int> all{0};
  EXPECT_EQ(slowStartBatch(100, 1, 16, [&](int) { ++all; return Status::ok(); }, nullptr), 100);
  EXPECT_EQ(all.load(), 100);
}

TEST(Expectations, SatisfiedWhenObservedOrExpired) {
  FakeClock clock;
  Expectations e(clock);
  EXPECT_TRUE(e.satisfied("k"));
  e.expectCreations("k", 2);
  EXPECT_FALSE(e.satisfied("k"));
  e.creationObserved("k");
  e.creationObserved("k");
  EXPECT_TRUE(e.satisfied("k"));
  e.expectDeletions("k", {"ns/a", "ns/b"});
  e.deletionObserved("k", "ns/a");
  e.deletionObserved("k", "ns/a");  // the same deletion seen twice counts once
  EXPECT_FALSE(e.satisfied("k"));
  clock.advance(5min + 1s);
  EXPECT_TRUE(e.satisfied("k"));
}

}  // namespace pod_util_test
}  // namespace minik8s::controller
