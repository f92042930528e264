#include "scheduler/plugins/balanced_allocation.h"

#include <algorithm>
#include <cmath>

namespace minik8s::scheduler::plugins {

int64_t BalancedAllocation::score(const api::Pod& pod, const NodeInfo& node) const {
  Resources want = podRequests(pod, true);
  auto fraction = [](int64_t requested, int64_t capacity) {
    if (capacity <= 0) return 1.0;
    return std::min(1.0, static_cast<double>(requested) / static_cast<double>(capacity));
  };
  double cpu =
      fraction(node.non_zero_requested.milli_cpu + want.milli_cpu, node.allocatable.milli_cpu);
  double mem = fraction(node.non_zero_requested.memory + want.memory, node.allocatable.memory);
  double std_dev = std::abs(cpu - mem) / 2;
  return static_cast<int64_t>((1 - std_dev) * static_cast<double>(kMaxNodeScore));
}

}  // namespace minik8s::scheduler::plugins
