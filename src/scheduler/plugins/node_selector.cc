#include "scheduler/plugins/node_selector.h"

namespace minik8s::scheduler::plugins {

std::vector<std::string> NodeSelector::filter(const api::Pod& pod, const NodeInfo& node) const {
  if (api::podFitsNodeSelectorAndAffinity(pod.spec, *node.node)) return {};
  return {kNodeSelectorReason};
}

}  // namespace minik8s::scheduler::plugins
