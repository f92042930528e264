// Table tests of the scheduling decision: every policy, and the FitError text.
#include "scheduler/framework.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <set>

#include "testing_objects.h"

namespace minik8s::scheduler {
namespace framework_test {

using namespace testing;

ScheduleResult run(Policy policy, const api::Pod& p, const std::vector<NodeInfo>& nodes,
                   PolicyState& state) {
  auto filters = defaultFilters();
  auto score = scorePluginFor(policy);
  return schedulePod(p, nodes, filters, score.get(), policy, state);
}

TEST(ParsePolicy, AcceptsTheFourPoliciesInAnyCase) {
  EXPECT_EQ(parsePolicy("RoundRobin").value(), Policy::kRoundRobin);
  EXPECT_EQ(parsePolicy("random").value(), Policy::kRandom);
  EXPECT_EQ(parsePolicy("LeastAllocated").value(), Policy::kLeastAllocated);
  EXPECT_EQ(parsePolicy("BALANCEDALLOCATION").value(), Policy::kBalancedAllocation);
  EXPECT_EQ(parsePolicy("Best").status().code(), Code::kBadRequest);
}

TEST(FitErrorMessage, CountsReasonsLikeKubernetes) {
  EXPECT_EQ(fitErrorMessage(3, {{"Insufficient cpu", 1},
                                {"node(s) didn't match Pod's node affinity/selector", 2}}),
            "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't match Pod's node "
            "affinity/selector.");
  EXPECT_EQ(fitErrorMessage(0, {}), "no nodes available to schedule pods");
}

TEST(SchedulePod, RoundRobinPlacesPodsOnTheNodesInTurn) {
  std::vector<NodeInfo> nodes = {info(node("c")), info(node("a")), info(node("b"))};
  PolicyState state;
  std::vector<std::string> got;
  for (int i = 0; i < 6; ++i) got.push_back(run(Policy::kRoundRobin, pod("p"), nodes, state).node);
  EXPECT_EQ(got, (std::vector<std::string>{"a", "b", "c", "a", "b", "c"}));
}

TEST(SchedulePod, RoundRobinSkipsNodesThatDoNotFit) {
  std::vector<NodeInfo> nodes = {info(node("a")), info(node("b", "4", "8Gi", false)),
                                 info(node("c"))};
  PolicyState state;
  std::vector<std::string> got;
  for (int i = 0; i < 4; ++i) got.push_back(run(Policy::kRoundRobin, pod("p"), nodes, state).node);
  EXPECT_EQ(got, (std::vector<std::string>{"a", "c", "a", "c"}));
}

TEST(SchedulePod, RandomPicksOnlyFeasibleNodesAndReachesEach) {
  api::Node tainted = node("b");
  tainted.spec.taints.push_back({"k", "v", "NoSchedule", ""});
  std::vector<NodeInfo> nodes = {info(node("a")), info(tainted), info(node("c")), info(node("d"))};
  PolicyState state;
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) seen.insert(run(Policy::kRandom, pod("p"), nodes, state).node);
  EXPECT_EQ(seen, (std::set<std::string>{"a", "c", "d"}));
}

TEST(SchedulePod, LeastAllocatedPrefersTheEmptiestNode) {
  std::vector<NodeInfo> nodes = {info(node("a"), {boundTo(pod("x", "3", "6Gi"), "a")}),
                                 info(node("b"), {boundTo(pod("y", "1", "1Gi"), "b")}),
                                 info(node("c", "2", "1Gi"))};
  PolicyState state;
  EXPECT_EQ(run(Policy::kLeastAllocated, pod("p", "500m", "512Mi"), nodes, state).node, "b");
}

TEST(SchedulePod, ScoringTiesGoInTurn) {
  std::vector<NodeInfo> nodes = {info(node("a")), info(node("b"))};
  PolicyState state;
  EXPECT_EQ(run(Policy::kLeastAllocated, pod("p"), nodes, state).node, "a");
  EXPECT_EQ(run(Policy::kLeastAllocated, pod("p"), nodes, state).node, "b");
}

TEST(SchedulePod, BalancedAllocationPrefersEvenUse) {
  // Placing 2cpu/1Gi: on "a" (already memory-heavy) cpu and memory become even.
  std::vector<NodeInfo> nodes = {info(node("a"), {boundTo(pod("x", "0", "3Gi"), "a")}),
                                 info(node("b"))};
  PolicyState state;
  EXPECT_EQ(run(Policy::kBalancedAllocation, pod("p", "2", "1Gi"), nodes, state).node, "a");
}

TEST(SchedulePod, NoFeasibleNodeGivesTheReasonPerNode) {
  api::Node labelled = node("c", "8");
  labelled.metadata.labels = {{"disk", "ssd"}};
  api::Node a = node("a", "1"), b = node("b", "1");
  a.metadata.labels = b.metadata.labels = {{"disk", "hdd"}};
  std::vector<NodeInfo> nodes = {info(a), info(b), info(labelled)};
  api::Pod p = pod("p", "2");
  p.spec.node_selector = {{"disk", "hdd"}};
  PolicyState state;
  ScheduleResult r = run(Policy::kLeastAllocated, p, nodes, state);
  EXPECT_EQ(r.node, "");
  EXPECT_EQ(r.message,
            "0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, "
            "2 Insufficient cpu.");
}

TEST(FeasibleNodesToFind, FollowsKubeSchedulersAdaptivePercentage) {
  EXPECT_EQ(feasibleNodesToFind(0), 0u);
  EXPECT_EQ(feasibleNodesToFind(99), 99u);
  EXPECT_EQ(feasibleNodesToFind(100), 100u);   // 50% would be 50: never fewer than 100
  EXPECT_EQ(feasibleNodesToFind(1000), 420u);  // 50 - 8 = 42%
  EXPECT_EQ(feasibleNodesToFind(5000), 500u);  // 50 - 40 = 10%
  EXPECT_EQ(feasibleNodesToFind(10000), 500u);  // at least 5%
}

std::vector<NodeInfo> manyNodes(int count) {
  std::vector<NodeInfo> nodes;
  char name[16];
  for (int i = 0; i < count; ++i) {
    std::snprintf(name, sizeof name, "n%04d", i);
    nodes.push_back(info(node(name)));
  }
  return nodes;
}

TEST(SchedulePod, ScoringOnALargeClusterSearchesInTurnsAndResumesWhereItStopped) {
  auto nodes = manyNodes(1000);
  PolicyState state;
  ScheduleResult first = run(Policy::kLeastAllocated, pod("p"), nodes, state);
  EXPECT_EQ(first.examined, 420);
  EXPECT_EQ(first.feasible, 420);
  EXPECT_EQ(state.next_start_index, 420u);
  ScheduleResult second = run(Policy::kLeastAllocated, pod("p"), nodes, state);
  EXPECT_EQ(second.examined, 420);
  EXPECT_EQ(state.next_start_index, 840u);
  run(Policy::kLeastAllocated, pod("p"), nodes, state);
  EXPECT_EQ(state.next_start_index, 260u);  // wrapped around
  // Every node gets its turn: the equally empty nodes are chosen in name order.
  EXPECT_EQ(first.node, "n0000");
  EXPECT_EQ(second.node, "n0420");
}

TEST(SchedulePod, ScoringKeepsSearchingPastNodesThatDoNotFit) {
  auto nodes = manyNodes(200);
  for (int i = 0; i < 150; ++i) nodes[i] = info(node(nodes[i].name(), "100m"));
  PolicyState state;
  ScheduleResult r = run(Policy::kLeastAllocated, pod("p", "1"), nodes, state);
  EXPECT_EQ(r.feasible, 50);  // wanted 100, only 50 fit: every node examined
  EXPECT_EQ(r.examined, 200);
  EXPECT_EQ(r.node, "n0150");
}

TEST(SchedulePod, WhenNothingFitsEveryNodeIsExaminedAndCounted) {
  auto nodes = manyNodes(1000);
  PolicyState state;
  ScheduleResult r = run(Policy::kLeastAllocated, pod("p", "64"), nodes, state);
  EXPECT_EQ(r.node, "");
  EXPECT_EQ(r.examined, 1000);
  EXPECT_EQ(r.message, "0/1000 nodes are available: 1000 Insufficient cpu.");
}

TEST(SchedulePod, RoundRobinStopsAtTheFirstNodeThatFits) {
  auto nodes = manyNodes(1000);
  PolicyState state;
  state.last_node = "n0500";
  ScheduleResult r = run(Policy::kRoundRobin, pod("p"), nodes, state);
  EXPECT_EQ(r.node, "n0501");
  EXPECT_EQ(r.examined, 1);
  state.last_node = "n0999";
  EXPECT_EQ(run(Policy::kRoundRobin, pod("p"), nodes, state).node, "n0000");
}

}  // namespace framework_test
}  // namespace minik8s::scheduler
