// The scheduler's decision path alone, with no apiserver: a SchedulerCache of N plain
// nodes (N = 1,000 and 5,000), then 5,000 decisions in a row, each as the scheduler's
// worker makes it (snapshot, schedulePod with LeastAllocated and the default filters,
// assume). Decisions per second, best of 3 runs. The end-to-end number, bindings through a
// real apiserver and etcd included, is controller_bench's `scheduler` scenario.
//
//   scheduler_bench [results file]
#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "api/quantity.h"
#include "common/clock.h"
#include "run_info.h"
#include "scheduler/cache.h"
#include "scheduler/framework.h"

using nlohmann::json;
using namespace minik8s;
using namespace minik8s::scheduler;

namespace {

api::Quantity q(const std::string& s) {
  return api::Quantity::parse(s).value();
}

std::shared_ptr<const api::Node> readyNode(int i) {
  auto n = std::make_shared<api::Node>();
  n->metadata.name = "node-" + std::to_string(i);
  n->metadata.labels = {{"kubernetes.io/hostname", n->metadata.name}};
  n->status.allocatable = {{"cpu", q("32")}, {"memory", q("128Gi")}, {"pods", q("110")}};
  n->status.conditions.push_back({});
  n->status.conditions.back().type = "Ready";
  n->status.conditions.back().status = "True";
  return n;
}

api::Pod pendingPod(int i) {
  api::Pod p;
  p.metadata.name = "p-" + std::to_string(i);
  p.metadata.namespace_ = "bench";
  api::Container c;
  c.name = "c";
  c.image = "busybox";
  c.resources.requests["cpu"] = q("10m");
  p.spec.containers.push_back(c);
  return p;
}

// Decisions per second for `pods` pods on `nodes` nodes.
double decisionsPerSecond(int nodes, int pods) {
  SchedulerCache cache;
  for (int i = 0; i < nodes; ++i) cache.setNode(readyNode(i));
  auto filters = defaultFilters();
  auto score = scorePluginFor(Policy::kLeastAllocated);
  PolicyState state;
  std::vector<api::Pod> todo;
  for (int i = 0; i < pods; ++i) todo.push_back(pendingPod(i));
  auto start = std::chrono::steady_clock::now();
  for (const auto& pod : todo) {
    auto snapshot = cache.snapshot();
    ScheduleResult r =
        schedulePod(pod, snapshot->nodes, filters, score.get(), Policy::kLeastAllocated, state);
    auto assumed = std::make_shared<api::Pod>(pod);
    assumed->spec.node_name = r.node;
    cache.assume(std::move(assumed));
  }
  std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  return pods / took.count();
}

}  // namespace

int main(int argc, char** argv) {
  const std::string results = argc > 1 ? argv[1] : "bench/results.jsonl";
  json line = bench::runInfo();
  line["bench"] = "scheduler_decisions";
  constexpr int kPods = 5000;
  line["pods"] = kPods;
  for (int nodes : {1000, 5000}) {
    double best = 0;
    for (int run = 0; run < 3; ++run) best = std::max(best, decisionsPerSecond(nodes, kPods));
    std::cout << "scheduler decisions, " << nodes << " nodes, " << kPods
              << " pods: " << static_cast<int64_t>(best) << " pods/s (best of 3)\n";
    line["decisions_per_s_" + std::to_string(nodes) + "_nodes"] = best;
  }
  line["load_after"] = bench::loadAverage();
  line["date"] = formatRfc3339(Clock::real().now());
  std::ofstream(results, std::ios::app) << line.dump() << "\n";
  std::cout << "results appended to " << results << "\n";
  return 0;
}
