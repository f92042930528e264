#include "scheduler/plugins/node_ports.h"

namespace minik8s::scheduler::plugins {

std::vector<std::string> NodePorts::filter(const api::Pod& pod, const NodeInfo& node) const {
  for (const auto& wanted : podHostPorts(pod)) {
    for (const auto& used : node.used_ports) {
      if (hostPortsConflict(wanted, used)) return {kNodePortsReason};
    }
  }
  return {};
}

}  // namespace minik8s::scheduler::plugins
