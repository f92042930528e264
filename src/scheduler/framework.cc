#include "scheduler/framework.h"

#include <algorithm>
#include <cassert>
#include <cctype>

#include "common/strings.h"
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

// The first name after `last` in cyclic order: the smallest name above `last`, else the
// smallest of all. `names` in any order, not empty.
const std::string& nextInTurn(const std::vector<const std::string*>& names,
                              const std::string& last) {
  const std::string* smallest = names.front();
  const std::string* next = nullptr;
  for (const auto* n : names) {
    if (*n < *smallest) smallest = n;
    if (*n > last && (next == nullptr || *n < *next)) next = n;
  }
  return next != nullptr ? *next : *smallest;
}

}  // namespace

Result<Policy> parsePolicy(std::string_view name) {
  for (Policy p : {Policy::kRoundRobin, Policy::kRandom, Policy::kLeastAllocated,
                   Policy::kBalancedAllocation}) {
    if (iequals(name, policyName(p))) return p;
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

size_t feasibleNodesToFind(size_t num_nodes) {
  constexpr size_t kMinFeasibleNodes = 100;
  constexpr int64_t kBasePercentage = 50;
  constexpr int64_t kMinPercentage = 5;
  if (num_nodes < kMinFeasibleNodes) return num_nodes;
  int64_t percentage =
      std::max(kBasePercentage - static_cast<int64_t>(num_nodes) / 125, kMinPercentage);
  size_t wanted = num_nodes * static_cast<size_t>(percentage) / 100;
  return std::max(wanted, kMinFeasibleNodes);
}

namespace {

using Filters = std::vector<std::unique_ptr<FilterPlugin>>;

// Whether `pod` fits `node`; the first failing plugin's reasons are counted in `reasons`.
bool fits(const api::Pod& pod, const NodeInfo& node, const Filters& filters,
          std::map<std::string, int>& reasons) {
  for (const auto& f : filters) {
    auto why = f->filter(pod, node);
    if (why.empty()) continue;
    for (const auto& r : why) ++reasons[r];
    return false;
  }
  return true;
}

bool byName(const NodeInfo* a, const NodeInfo* b) {
  return a->name() < b->name();
}

}  // namespace

ScheduleResult schedulePod(const api::Pod& pod, std::span<const NodeInfo* const> nodes,
                           const Filters& filters, const ScorePlugin* score, Policy policy,
                           PolicyState& state) {
  ScheduleResult result;
  assert(std::is_sorted(nodes.begin(), nodes.end(), byName));
  const size_t n = nodes.size();
  std::map<std::string, int> reasons;
  std::vector<const NodeInfo*> feasible;
  auto finish = [&]() -> ScheduleResult& {
    result.feasible = static_cast<int>(feasible.size());
    if (feasible.empty()) result.message = fitErrorMessage(n, reasons);
    return result;
  };

  if (policy == Policy::kRoundRobin || (policy != Policy::kRandom && score == nullptr)) {
    // The first node after the last one chosen, by name, that fits.
    auto after = std::upper_bound(
        nodes.begin(), nodes.end(), state.last_node,
        [](const std::string& last, const NodeInfo* node) { return last < node->name(); });
    size_t start = static_cast<size_t>(after - nodes.begin());
    for (size_t i = 0; i < n && feasible.empty(); ++i) {
      const NodeInfo* node = nodes[(start + i) % n];
      ++result.examined;
      if (fits(pod, *node, filters, reasons)) feasible.push_back(node);
    }
    if (!feasible.empty()) result.node = state.last_node = feasible.front()->name();
    return finish();
  }

  if (policy == Policy::kRandom) {
    for (const NodeInfo* node : nodes) {
      if (fits(pod, *node, filters, reasons)) feasible.push_back(node);
    }
    result.examined = static_cast<int>(n);
    if (!feasible.empty()) {
      std::uniform_int_distribution<size_t> pick(0, feasible.size() - 1);
      result.node = state.last_node = feasible[pick(state.rng)]->name();
    }
    return finish();
  }

  // Scoring: search in turns until enough nodes fit, then take the best score.
  const size_t wanted = feasibleNodesToFind(n);
  const size_t start = n == 0 ? 0 : state.next_start_index % n;
  size_t examined = 0;
  for (; examined < n && feasible.size() < wanted; ++examined) {
    const NodeInfo* node = nodes[(start + examined) % n];
    if (fits(pod, *node, filters, reasons)) feasible.push_back(node);
  }
  result.examined = static_cast<int>(examined);
  state.next_start_index = n == 0 ? 0 : (start + examined) % n;
  if (feasible.empty()) return finish();
  std::vector<const std::string*> candidates;
  int64_t best = -1;
  for (const auto* node : feasible) {
    int64_t s = score->score(pod, *node);
    if (s > best) {
      best = s;
      candidates.clear();
    }
    if (s == best) candidates.push_back(&node->name());
  }
  result.node = state.last_node = nextInTurn(candidates, state.last_node);
  return finish();
}

ScheduleResult schedulePod(const api::Pod& pod, const std::vector<NodeInfo>& nodes,
                           const Filters& filters, const ScorePlugin* score, Policy policy,
                           PolicyState& state) {
  std::vector<const NodeInfo*> pointers;
  pointers.reserve(nodes.size());
  for (const auto& node : nodes) pointers.push_back(&node);
  std::sort(pointers.begin(), pointers.end(), byName);
  return schedulePod(pod, pointers, filters, score, policy, state);
}

}  // namespace minik8s::scheduler
