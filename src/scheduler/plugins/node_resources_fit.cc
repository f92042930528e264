#include "scheduler/plugins/node_resources_fit.h"

namespace minik8s::scheduler::plugins {

std::vector<std::string> NodeResourcesFit::filter(const api::Pod& pod, const NodeInfo& node) const {
  std::vector<std::string> reasons;
  if (node.allowed_pods >= 0 && static_cast<int64_t>(node.pods.size()) + 1 > node.allowed_pods) {
    reasons.push_back("Too many pods");
  }
  Resources want = podRequests(pod);
  const Resources& have = node.allocatable;
  const Resources& used = node.requested;
  if (want.milli_cpu > 0 && want.milli_cpu > have.milli_cpu - used.milli_cpu) {
    reasons.push_back("Insufficient cpu");
  }
  if (want.memory > 0 && want.memory > have.memory - used.memory) {
    reasons.push_back("Insufficient memory");
  }
  if (want.ephemeral_storage > 0 &&
      want.ephemeral_storage > have.ephemeral_storage - used.ephemeral_storage) {
    reasons.push_back("Insufficient ephemeral-storage");
  }
  for (const auto& [name, v] : want.scalar) {
    if (v <= 0) continue;
    auto h = have.scalar.find(name);
    auto u = used.scalar.find(name);
    int64_t free =
        (h == have.scalar.end() ? 0 : h->second) - (u == used.scalar.end() ? 0 : u->second);
    if (v > free) reasons.push_back("Insufficient " + name);
  }
  return reasons;
}

}  // namespace minik8s::scheduler::plugins
