#include "scheduler/framework.h"

#include <algorithm>
#include <cctype>

#include "scheduler/plugins/balanced_allocation.h"
#include "scheduler/plugins/least_allocated.h"
#include "scheduler/plugins/node_ports.h"
#include "scheduler/plugins/node_ready.h"
#include "scheduler/plugins/node_resources_fit.h"
#include "scheduler/plugins/node_selector.h"
#include "scheduler/plugins/node_unschedulable.h"
#include "scheduler/plugins/taint_toleration.h"

namespace minik8s::scheduler {

namespace {

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// The first name after `last` in cyclic order; `names` sorted and not empty.
const std::string& nextInTurn(const std::vector<const std::string*>& names,
                              const std::string& last) {
  for (const auto* n : names) {
    if (*n > last) return *n;
  }
  return *names.front();
}

}  // namespace

Result<Policy> parsePolicy(std::string_view name) {
  for (Policy p : {Policy::kRoundRobin, Policy::kRandom, Policy::kLeastAllocated,
                   Policy::kBalancedAllocation}) {
    if (equalsIgnoreCase(name, policyName(p))) return p;
  }
  return badRequest("unknown scheduling policy \"" + std::string(name) +
                    "\" (want RoundRobin, Random, LeastAllocated or BalancedAllocation)");
}

std::string_view policyName(Policy policy) {
  switch (policy) {
    case Policy::kRoundRobin: return "RoundRobin";
    case Policy::kRandom: return "Random";
    case Policy::kLeastAllocated: return "LeastAllocated";
    case Policy::kBalancedAllocation: return "BalancedAllocation";
  }
  return "LeastAllocated";
}

std::vector<std::unique_ptr<FilterPlugin>> defaultFilters() {
  std::vector<std::unique_ptr<FilterPlugin>> out;
  out.push_back(std::make_unique<plugins::NodeReady>());
  out.push_back(std::make_unique<plugins::NodeUnschedulable>());
  out.push_back(std::make_unique<plugins::NodeSelector>());
  out.push_back(std::make_unique<plugins::TaintToleration>());
  out.push_back(std::make_unique<plugins::NodePorts>());
  out.push_back(std::make_unique<plugins::NodeResourcesFit>());
  return out;
}

std::unique_ptr<ScorePlugin> scorePluginFor(Policy policy) {
  if (policy == Policy::kLeastAllocated) return std::make_unique<plugins::LeastAllocated>();
  if (policy == Policy::kBalancedAllocation) return std::make_unique<plugins::BalancedAllocation>();
  return nullptr;
}

std::string fitErrorMessage(size_t num_nodes, const std::map<std::string, int>& reason_counts) {
  if (num_nodes == 0) return "no nodes available to schedule pods";
  std::vector<std::string> parts;
  for (const auto& [reason, count] : reason_counts) {
    parts.push_back(std::to_string(count) + " " + reason);
  }
  std::sort(parts.begin(), parts.end());
  std::string msg = "0/" + std::to_string(num_nodes) + " nodes are available: ";
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) msg += ", ";
    msg += parts[i];
  }
  return msg + ".";
}

ScheduleResult schedulePod(const api::Pod& pod, const std::vector<NodeInfo>& nodes,
                           const std::vector<std::unique_ptr<FilterPlugin>>& filters,
                           const ScorePlugin* score, Policy policy, PolicyState& state) {
  ScheduleResult result;
  std::map<std::string, int> reasons;
  std::vector<const NodeInfo*> feasible;
  for (const auto& node : nodes) {
    bool fits = true;
    for (const auto& f : filters) {
      auto why = f->filter(pod, node);
      if (why.empty()) continue;
      for (const auto& r : why) ++reasons[r];
      fits = false;
      break;
    }
    if (fits) feasible.push_back(&node);
  }
  result.feasible = static_cast<int>(feasible.size());
  if (feasible.empty()) {
    result.message = fitErrorMessage(nodes.size(), reasons);
    return result;
  }
  std::sort(feasible.begin(), feasible.end(),
            [](const NodeInfo* a, const NodeInfo* b) { return a->name() < b->name(); });
  std::vector<const std::string*> candidates;
  if (policy == Policy::kRandom) {
    std::uniform_int_distribution<size_t> pick(0, feasible.size() - 1);
    result.node = feasible[pick(state.rng)]->name();
    state.last_node = result.node;
    return result;
  }
  if (score != nullptr && policy != Policy::kRoundRobin) {
    int64_t best = -1;
    for (const auto* n : feasible) {
      int64_t s = score->score(pod, *n);
      if (s > best) {
        best = s;
        candidates.clear();
      }
      if (s == best) candidates.push_back(&n->name());
    }
  } else {
    for (const auto* n : feasible) candidates.push_back(&n->name());
  }
  result.node = nextInTurn(candidates, state.last_node);
  state.last_node = result.node;
  return result;
}

}  // namespace minik8s::scheduler
