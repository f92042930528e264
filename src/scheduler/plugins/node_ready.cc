#include "scheduler/plugins/node_ready.h"

namespace minik8s::scheduler::plugins {

std::vector<std::string> NodeReady::filter(const api::Pod&, const NodeInfo& node) const {
  for (const auto& c : node.node->status.conditions) {
    if (c.type == "Ready") {
      if (c.status == "True") return {};
      break;
    }
  }
  return {kNodeNotReadyReason};
}

}  // namespace minik8s::scheduler::plugins
