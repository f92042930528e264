#include "scheduler/plugins/taint_toleration.h"

namespace minik8s::scheduler::plugins {

std::vector<std::string> TaintToleration::filter(const api::Pod& pod, const NodeInfo& node) const {
  for (const auto& taint : node.node->spec.taints) {
    if (taint.effect != "NoSchedule" && taint.effect != "NoExecute") continue;
    if (!toleratesAny(pod.spec.tolerations, taint)) {
      return {"node(s) had untolerated taint {" + taint.key + ": " + taint.value + "}"};
    }
  }
  return {};
}

}  // namespace minik8s::scheduler::plugins
