// The pod garbage collector over the fake client, prefilled caches and the fake clock.
#include "controller/pod_gc.h"

#include <gtest/gtest.h>

#include "client/fake_client.h"
#include "controller/fixtures.h"
#include "controller/pod_util.h"

namespace minik8s::controller {
namespace pod_gc_test {

using nlohmann::json;
using namespace std::chrono_literals;
using testing::decoded;
using testing::podJson;

class PodGcTest : public ::testing::Test {
 protected:
  void addPod(json pod) {
    client_.add(podsResource(), pod);
    pods_.add(decoded<api::Pod>(
        *client_.object(podsResource(), "default", pod["metadata"]["name"].get<std::string>())));
  }
  void addNode(const std::string& name) {
    json node = {{"apiVersion", "v1"}, {"kind", "Node"}, {"metadata", {{"name", name}}}};
    client_.add(nodesResource(), node);
    nodes_.add(decoded<api::Node>(*client_.object(nodesResource(), "", name)));
  }
  bool exists(const std::string& pod) { return client_.object(podsResource(), "default", pod).has_value(); }

  FakeClock clock_;
  client::FakeClient client_{clock_};
  client::ObjectCache<api::Pod> pods_;
  client::ObjectCache<api::Node> nodes_;
  PodGcOptions options_{.period = 20s, .quarantine = 40s, .terminated_pod_threshold = 2};
  PodGarbageCollector gc_{client_, pods_, nodes_, options_, clock_};
};

TEST_F(PodGcTest, PodsOfADeletedNodeGoAfterTheQuarantine) {
  addNode("alive");
  addPod(podJson("on-alive", "", "alive", "Running"));
  addPod(podJson("on-gone", "", "gone", "Running"));
  ASSERT_TRUE(gc_.collect().isOk());
  EXPECT_TRUE(exists("on-gone"));  // quarantine: the cache may not have seen the node yet
  clock_.advance(40s);
  client_.clearActions();
  ASSERT_TRUE(gc_.collect().isOk());
  EXPECT_FALSE(exists("on-gone"));
  EXPECT_TRUE(exists("on-alive"));
  auto writes = client_.writes();
  ASSERT_EQ(writes.size(), 2u);
  EXPECT_EQ(writes[0].summary(), "patch pods/status");
  EXPECT_NE(writes[0].object.dump().find("DeletionByPodGC"), std::string::npos);
  EXPECT_EQ(writes[1].object["gracePeriodSeconds"], 0);
}

TEST_F(PodGcTest, ANodeTheCacheMissesButTheApiserverHasKeepsItsPods) {
  client_.add(nodesResource(), {{"apiVersion", "v1"}, {"kind", "Node"}, {"metadata", {{"name", "late"}}}});
  addPod(podJson("on-late", "", "late", "Running"));
  ASSERT_TRUE(gc_.collect().isOk());
  clock_.advance(41s);
  ASSERT_TRUE(gc_.collect().isOk());
  EXPECT_TRUE(exists("on-late"));
}

TEST_F(PodGcTest, UnscheduledPodsBeingDeletedGoAtOnce) {
  json pod = podJson("pending", "");
  pod["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z";
  pod["metadata"]["finalizers"] = json::array();
  addPod(pod);
  addPod(podJson("waiting", ""));
  ASSERT_TRUE(gc_.collect().isOk());
  EXPECT_FALSE(exists("pending"));
  EXPECT_TRUE(exists("waiting"));
}

TEST_F(PodGcTest, FinishedPodsBeyondTheThresholdGoOldestFirst) {
  addNode("n");
  addPod(podJson("old", "", "n", "Succeeded", false, "2026-01-01T00:00:00Z"));
  addPod(podJson("mid", "", "n", "Failed", false, "2026-01-01T00:00:01Z"));
  addPod(podJson("new", "", "n", "Succeeded", false, "2026-01-01T00:00:02Z"));
  addPod(podJson("running", "", "n", "Running", false, "2025-01-01T00:00:00Z"));
  ASSERT_TRUE(gc_.collect().isOk());
  EXPECT_FALSE(exists("old"));
  EXPECT_TRUE(exists("mid"));
  EXPECT_TRUE(exists("new"));
  EXPECT_TRUE(exists("running"));
}

}  // namespace pod_gc_test
}  // namespace minik8s::controller
