// The scheduling decision, pure: run the filter plugins on the nodes, then pick one of the
// feasible nodes by the policy. No I/O, no clock; the only state is PolicyState (the
// round-robin position, where the next search starts, the random generator), owned by the
// caller.
//
// Policies: RoundRobin (the next feasible node by name after the last one chosen: the
// search stops at the first that fits), Random (uniform over all feasible nodes),
// LeastAllocated (default) and BalancedAllocation (highest score; ties go round-robin). The
// scoring policies, like kube-scheduler, stop searching once feasibleNodesToFind() nodes
// fit, and the next search starts where this one stopped, so large clusters are searched
// in turns rather than in full for every pod.
#pragma once

#include <map>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "scheduler/node_info.h"
#include "scheduler/plugin.h"

namespace minik8s::scheduler {

enum class Policy { kRoundRobin, kRandom, kLeastAllocated, kBalancedAllocation };

// "RoundRobin", "Random", "LeastAllocated", "BalancedAllocation" (case-insensitive).
Result<Policy> parsePolicy(std::string_view name);
std::string_view policyName(Policy policy);

struct PolicyState {
  std::string last_node;  // the node chosen last (round-robin position)
  std::mt19937_64 rng{42};
  size_t next_start_index = 0;  // where the scoring policies' next search begins
};

// How many feasible nodes are enough to score, of `num_nodes`: kube-scheduler's
// numFeasibleNodesToFind with its adaptive percentageOfNodesToScore. Every node below 100;
// otherwise (50 - num_nodes/125)% of them, at least 5%, and never fewer than 100.
size_t feasibleNodesToFind(size_t num_nodes);

// The filters every policy applies: NodeReady, NodeUnschedulable, NodeSelector,
// TaintToleration, NodePorts, NodeResourcesFit.
std::vector<std::unique_ptr<FilterPlugin>> defaultFilters();
// The score plugin of a scoring policy; nullptr for RoundRobin and Random.
std::unique_ptr<ScorePlugin> scorePluginFor(Policy policy);

struct ScheduleResult {
  std::string node;     // "" when no node fits
  std::string message;  // when no node fits: "0/3 nodes are available: 1 Insufficient cpu, ..."
  int feasible = 0;
  int examined = 0;  // nodes the filters ran on
};

// Kubernetes' FitError text: "0/<n> nodes are available: <count> <reason>, ... ." with
// the "<count> <reason>" strings sorted; "no nodes available to schedule pods" when n = 0.
std::string fitErrorMessage(size_t num_nodes, const std::map<std::string, int>& reason_counts);

// The decision for one pod. REQUIRES: `nodes` sorted by name (as the scheduler's
// Snapshot is). A node's filtering stops at the first failing plugin (which may give
// several reasons, e.g. cpu and memory). When no node fits, every node has been examined
// and the message counts all of them.
ScheduleResult schedulePod(const api::Pod& pod, std::span<const NodeInfo* const> nodes,
                           const std::vector<std::unique_ptr<FilterPlugin>>& filters,
                           const ScorePlugin* score, Policy policy, PolicyState& state);
// The same for nodes in any order (table tests).
ScheduleResult schedulePod(const api::Pod& pod, const std::vector<NodeInfo>& nodes,
                           const std::vector<std::unique_ptr<FilterPlugin>>& filters,
                           const ScorePlugin* score, Policy policy, PolicyState& state);

}  // namespace minik8s::scheduler
