#include "scheduler/plugins/least_allocated.h"

namespace minik8s::scheduler::plugins {

namespace {

int64_t leastRequested(int64_t requested, int64_t capacity) {
  if (capacity <= 0 || requested > capacity) return 0;
  return (capacity - requested) * kMaxNodeScore / capacity;
}

}  // namespace

int64_t LeastAllocated::score(const api::Pod& pod, const NodeInfo& node) const {
  Resources want = podRequests(pod, true);
  int64_t cpu = leastRequested(node.non_zero_requested.milli_cpu + want.milli_cpu,
                               node.allocatable.milli_cpu);
  int64_t mem =
      leastRequested(node.non_zero_requested.memory + want.memory, node.allocatable.memory);
  return (cpu + mem) / 2;
}

}  // namespace minik8s::scheduler::plugins
