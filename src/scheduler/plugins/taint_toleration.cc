#include "scheduler/plugins/taint_toleration.h"

namespace minik8s::scheduler::plugins {

bool toleratesTaint(const api::Toleration& t, const api::Taint& taint) {
  if (!t.effect.empty() && t.effect != taint.effect) return false;
  if (t.key.empty()) return t.op == "Exists";
  if (t.key != taint.key) return false;
  if (t.op == "Exists") return true;
  if (t.op.empty() || t.op == "Equal") return t.value == taint.value;
  return false;
}

bool toleratesAny(const std::vector<api::Toleration>& tolerations, const api::Taint& taint) {
  for (const auto& t : tolerations) {
    if (toleratesTaint(t, taint)) return true;
  }
  return false;
}

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
