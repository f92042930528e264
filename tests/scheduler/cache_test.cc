// The scheduler's cache: NodeInfos follow node and pod events, assumed pods count at once
// and are confirmed or forgotten, and snapshots are immutable and rebuilt only on change.
#include "scheduler/cache.h"

#include <gtest/gtest.h>

#include "testing_objects.h"

namespace minik8s::scheduler {
namespace cache_test {

using namespace testing;

std::shared_ptr<const api::Node> nodePtr(const std::string& name, const std::string& cpu = "4") {
  return std::make_shared<const api::Node>(node(name, cpu));
}

std::shared_ptr<const api::Pod> podOn(const std::string& name, const std::string& node_name,
                                      const std::string& cpu = "1") {
  return std::make_shared<const api::Pod>(boundTo(pod(name, cpu), node_name));
}

const NodeInfo* find(const Snapshot& s, const std::string& name) {
  for (const auto* n : s.nodes) {
    if (n->name() == name) return n;
  }
  return nullptr;
}

TEST(SchedulerCache, SnapshotListsTheNodesSortedByNameWithTheirPods) {
  SchedulerCache cache;
  cache.setNode(nodePtr("b"));
  cache.setNode(nodePtr("a"));
  cache.setPod(podOn("p1", "a"));
  cache.setPod(podOn("p2", "a"));
  auto s = cache.snapshot();
  ASSERT_EQ(s->nodes.size(), 2u);
  EXPECT_EQ(s->nodes[0]->name(), "a");
  EXPECT_EQ(s->nodes[1]->name(), "b");
  EXPECT_EQ(s->nodes[0]->pods.size(), 2u);
  EXPECT_EQ(s->nodes[0]->requested.milli_cpu, 2000);
  EXPECT_EQ(s->nodes[1]->pods.size(), 0u);
}

TEST(SchedulerCache, ASnapshotIsReusedUntilSomethingChangesAndNeverChangesItself) {
  SchedulerCache cache;
  cache.setNode(nodePtr("a"));
  auto first = cache.snapshot();
  EXPECT_EQ(cache.snapshot(), first);
  cache.setPod(podOn("p1", "a"));
  auto second = cache.snapshot();
  EXPECT_NE(second, first);
  EXPECT_EQ(find(*first, "a")->pods.size(), 0u);  // the old snapshot is untouched
  EXPECT_EQ(find(*second, "a")->pods.size(), 1u);
}

TEST(SchedulerCache, ASnapshotNoOneHoldsIsUpdatedForTheNodesThatChanged) {
  SchedulerCache cache;
  for (const char* n : {"a", "b", "c"}) cache.setNode(nodePtr(n));
  cache.snapshot();  // built, then dropped
  cache.setPod(podOn("p1", "b"));
  cache.assume(podOn("p2", "c"));
  auto s = cache.snapshot();
  ASSERT_EQ(s->nodes.size(), 3u);
  EXPECT_EQ(s->nodes[0]->name(), "a");
  EXPECT_EQ(s->nodes[1]->name(), "b");
  EXPECT_EQ(s->nodes[2]->name(), "c");
  EXPECT_EQ(s->nodes[0]->pods.size(), 0u);
  EXPECT_EQ(s->nodes[1]->pods.size(), 1u);
  EXPECT_EQ(s->nodes[2]->pods.size(), 1u);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(s->nodes[i], s->owned[i].get());
  // A node that comes or goes rebuilds it, in order.
  s.reset();
  cache.setNode(nodePtr("bb"));
  cache.removeNode("a");
  s = cache.snapshot();
  ASSERT_EQ(s->nodes.size(), 3u);
  EXPECT_EQ(s->nodes[0]->name(), "b");
  EXPECT_EQ(s->nodes[1]->name(), "bb");
  EXPECT_EQ(s->nodes[2]->name(), "c");
}

TEST(SchedulerCache, AnAssumedPodCountsAtOnceAndTheInformersCopyConfirmsIt) {
  SchedulerCache cache;
  cache.setNode(nodePtr("a"));
  cache.assume(podOn("p1", "a", "2"));
  EXPECT_TRUE(cache.isAssumed("default", "p1"));
  EXPECT_EQ(find(*cache.snapshot(), "a")->requested.milli_cpu, 2000);
  // The pending pod's own updates (no node yet) do not undo the assumption.
  cache.setPod(std::make_shared<const api::Pod>(pod("p1", "2")));
  EXPECT_TRUE(cache.isAssumed("default", "p1"));
  cache.setPod(podOn("p1", "a", "2"));
  EXPECT_FALSE(cache.isAssumed("default", "p1"));
  EXPECT_EQ(find(*cache.snapshot(), "a")->pods.size(), 1u);  // counted once
  cache.forget("default", "p1");  // a confirmed pod is not forgotten
  EXPECT_EQ(find(*cache.snapshot(), "a")->pods.size(), 1u);
}

TEST(SchedulerCache, AFailedBindingIsForgottenAndFreesTheNode) {
  SchedulerCache cache;
  cache.setNode(nodePtr("a"));
  cache.assume(podOn("p1", "a", "3"));
  cache.forget("default", "p1");
  EXPECT_FALSE(cache.isAssumed("default", "p1"));
  auto a = find(*cache.snapshot(), "a");
  EXPECT_EQ(a->pods.size(), 0u);
  EXPECT_EQ(a->requested.milli_cpu, 0);
}

TEST(SchedulerCache, FinishedAndDeletedPodsFreeTheirNode) {
  SchedulerCache cache;
  cache.setNode(nodePtr("a"));
  cache.setPod(podOn("p1", "a"));
  cache.setPod(podOn("p2", "a"));
  api::Pod done = boundTo(pod("p1", "1"), "a");
  done.status.phase = "Succeeded";
  cache.setPod(std::make_shared<const api::Pod>(done));
  cache.removePod("default", "p2");
  auto a = find(*cache.snapshot(), "a");
  EXPECT_EQ(a->pods.size(), 0u);
  EXPECT_EQ(a->requested.milli_cpu, 0);
}

TEST(SchedulerCache, PodsOfANodeNotYetSeenCountOnceItArrives) {
  SchedulerCache cache;
  cache.setPod(podOn("p1", "late"));
  EXPECT_EQ(cache.snapshot()->nodes.size(), 0u);
  cache.setNode(nodePtr("late"));
  EXPECT_EQ(find(*cache.snapshot(), "late")->pods.size(), 1u);
}

TEST(SchedulerCache, ARemovedNodeLeavesTheSnapshotAndANodeUpdateKeepsItsPods) {
  SchedulerCache cache;
  cache.setNode(nodePtr("a", "4"));
  cache.setNode(nodePtr("b"));
  cache.setPod(podOn("p1", "a"));
  cache.setNode(nodePtr("a", "8"));
  auto a = find(*cache.snapshot(), "a");
  EXPECT_EQ(a->allocatable.milli_cpu, 8000);
  EXPECT_EQ(a->pods.size(), 1u);
  cache.removeNode("b");
  EXPECT_EQ(cache.snapshot()->nodes.size(), 1u);
  EXPECT_EQ(cache.nodeCount(), 1u);
}

TEST(SchedulerCache, HostPortsFollowThePods) {
  SchedulerCache cache;
  cache.setNode(nodePtr("a"));
  api::Pod web = boundTo(pod("web"), "a");
  web.spec.containers[0].ports.push_back({});
  web.spec.containers[0].ports.back().container_port = 80;
  web.spec.containers[0].ports.back().host_port = 8080;
  cache.setPod(std::make_shared<const api::Pod>(web));
  cache.setPod(podOn("other", "a"));
  EXPECT_EQ(find(*cache.snapshot(), "a")->used_ports.size(), 1u);
  cache.removePod("default", "web");
  EXPECT_EQ(find(*cache.snapshot(), "a")->used_ports.size(), 0u);
}

}  // namespace cache_test
}  // namespace minik8s::scheduler
