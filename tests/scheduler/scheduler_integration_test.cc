// The scheduler against a real apiserver on port 0 and a real etcd, with Ready nodes
// created through the API (no kubelet, no containers).
#include <gtest/gtest.h>

#include <thread>

#include "client/rest_client.h"
#include "scheduler/scheduler.h"
#include "testing/api_fixture.h"

namespace minik8s::scheduler {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using testing::eventually;

class SchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto api = testing::ApiFixture::start();
    ASSERT_TRUE(api.isOk()) << api.status().toString();
    api_ = std::move(api).value();
    client_ = &api_->client();
  }

  void TearDown() override {
    if (scheduler_) scheduler_->stop();
  }

  void startScheduler(Policy policy) {
    scheduler_ = std::make_unique<Scheduler>(*client_, SchedulerOptions{.policy = policy});
    Status s = scheduler_->start(10s);
    ASSERT_TRUE(s.isOk()) << s.toString();
  }

  const api::ResourceInfo& res(const char* plural) { return *api::findResource("", "v1", plural); }

  void createNode(const std::string& name, const std::string& cpu, json labels = json::object(),
                  json taints = json::array()) {
    json node = {{"apiVersion", "v1"},
                 {"kind", "Node"},
                 {"metadata", {{"name", name}, {"labels", labels}}},
                 {"spec", {{"taints", taints}}},
                 {"status",
                  {{"allocatable", {{"cpu", cpu}, {"memory", "8Gi"}, {"pods", "110"}}},
                   {"capacity", {{"cpu", cpu}, {"memory", "8Gi"}, {"pods", "110"}}},
                   {"conditions", json::array({{{"type", "Ready"}, {"status", "True"}}})}}}};
    auto created = client_->create(res("nodes"), "", node);
    ASSERT_TRUE(created.isOk()) << created.status().toString();
    // Some servers drop status on create: write it through the status subresource too.
    json current = *created;
    current["status"] = node["status"];
    auto updated = client_->update(res("nodes"), "", current, "status");
    ASSERT_TRUE(updated.isOk()) << updated.status().toString();
  }

  void createPod(const std::string& name, const std::string& cpu = "",
                 json extra_spec = json::object()) {
    json container = {{"name", "c"}, {"image", "busybox"}};
    if (!cpu.empty()) container["resources"] = {{"requests", {{"cpu", cpu}}}};
    json spec = {{"containers", json::array({container})}};
    spec.update(extra_spec);
    json pod = {
        {"apiVersion", "v1"}, {"kind", "Pod"}, {"metadata", {{"name", name}}}, {"spec", spec}};
    auto created = client_->create(res("pods"), "default", pod);
    ASSERT_TRUE(created.isOk()) << created.status().toString();
  }

  std::string nodeOf(const std::string& pod) {
    auto got = client_->get(res("pods"), "default", pod);
    if (!got.isOk()) return "";
    return (*got)["spec"].value("nodeName", "");
  }

  std::string waitForNode(const std::string& pod) {
    std::string node;
    eventually([&] { return !(node = nodeOf(pod)).empty(); });
    return node;
  }

  // The messages of the pod's events with `reason`.
  std::vector<std::string> eventsOf(const std::string& pod, const std::string& reason) {
    std::vector<std::string> out;
    auto list = client_->list(res("events"), "default");
    if (!list.isOk()) return out;
    for (const auto& e : (*list)["items"]) {
      if (e["involvedObject"].value("name", "") == pod && e.value("reason", "") == reason) {
        out.push_back(e.value("message", ""));
      }
    }
    return out;
  }

  std::unique_ptr<testing::ApiFixture> api_;
  client::RestClient* client_ = nullptr;
  std::unique_ptr<Scheduler> scheduler_;
};

TEST_F(SchedulerTest, RoundRobinSpreadsPodsOverTheNodesInTurn) {
  for (const char* n : {"node-a", "node-b", "node-c"}) createNode(n, "4");
  startScheduler(Policy::kRoundRobin);
  std::vector<std::string> got;
  for (int i = 0; i < 6; ++i) {
    std::string name = "rr-" + std::to_string(i);
    createPod(name);
    got.push_back(waitForNode(name));
  }
  EXPECT_EQ(got,
            (std::vector<std::string>{"node-a", "node-b", "node-c", "node-a", "node-b", "node-c"}));
  ASSERT_TRUE(eventually([&] { return eventsOf("rr-0", "Scheduled").size() == 1; }));
  EXPECT_EQ(eventsOf("rr-0", "Scheduled")[0], "Successfully assigned default/rr-0 to node-a");
}

TEST_F(SchedulerTest, APodThatFitsNowhereWaitsWithTheReasonAndIsScheduledWhenANodeWithRoomAppears) {
  createNode("small-1", "1");
  createNode("small-2", "1");
  startScheduler(Policy::kLeastAllocated);
  createPod("big", "2");
  ASSERT_TRUE(eventually([&] { return !eventsOf("big", "FailedScheduling").empty(); }));
  EXPECT_EQ(eventsOf("big", "FailedScheduling")[0], "0/2 nodes are available: 2 Insufficient cpu.");
  EXPECT_EQ(nodeOf("big"), "");
  createNode("large", "4");
  EXPECT_EQ(waitForNode("big"), "large");
}

TEST_F(SchedulerTest, BoundRequestsCountAgainstTheNode) {
  createNode("only", "2");
  startScheduler(Policy::kLeastAllocated);
  createPod("first", "1500m");
  EXPECT_EQ(waitForNode("first"), "only");
  createPod("second", "1");
  ASSERT_TRUE(eventually([&] { return !eventsOf("second", "FailedScheduling").empty(); }));
  EXPECT_EQ(eventsOf("second", "FailedScheduling")[0],
            "0/1 nodes are available: 1 Insufficient cpu.");
  // Deleting the first pod frees the room.
  ASSERT_TRUE(client_->remove(res("pods"), "default", "first", {.grace_period_seconds = 0}).isOk());
  EXPECT_EQ(waitForNode("second"), "only");
}

TEST_F(SchedulerTest, NodeSelectorAndTaintsAreHonoured) {
  createNode("plain", "4");
  createNode("ssd", "4", {{"disk", "ssd"}});
  createNode("gpu", "4", {{"disk", "ssd"}},
             json::array({{{"key", "dedicated"}, {"value", "gpu"}, {"effect", "NoSchedule"}}}));
  startScheduler(Policy::kRoundRobin);
  for (int i = 0; i < 3; ++i) {
    std::string name = "sel-" + std::to_string(i);
    createPod(name, "", {{"nodeSelector", {{"disk", "ssd"}}}});
    EXPECT_EQ(waitForNode(name), "ssd") << name;  // gpu is tainted, plain lacks the label
  }
  createPod("tolerant", "",
            {{"nodeSelector", {{"disk", "ssd"}}},
             {"tolerations", json::array({{{"key", "dedicated"},
                                           {"operator", "Equal"},
                                           {"value", "gpu"},
                                           {"effect", "NoSchedule"}}})}});
  std::string tolerant_node = waitForNode("tolerant");
  EXPECT_TRUE(tolerant_node == "gpu" || tolerant_node == "ssd") << tolerant_node;
  createPod("nowhere", "", {{"nodeSelector", {{"disk", "hdd"}}}});
  ASSERT_TRUE(eventually([&] { return !eventsOf("nowhere", "FailedScheduling").empty(); }));
  EXPECT_EQ(eventsOf("nowhere", "FailedScheduling")[0],
            "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.");
}

}  // namespace
}  // namespace minik8s::scheduler
