#include "scheduler/plugins/node_unschedulable.h"

#include "scheduler/plugins/taint_toleration.h"

namespace minik8s::scheduler::plugins {

std::vector<std::string> NodeUnschedulable::filter(const api::Pod& pod,
                                                   const NodeInfo& node) const {
  if (!node.node->spec.unschedulable) return {};
  api::Taint taint{"node.kubernetes.io/unschedulable", "", "NoSchedule", ""};
  if (toleratesAny(pod.spec.tolerations, taint)) return {};
  return {kNodeUnschedulableReason};
}

}  // namespace minik8s::scheduler::plugins
