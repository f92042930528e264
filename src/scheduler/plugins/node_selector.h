// NodeSelector: the node's labels must match spec.nodeSelector, and one of the
// nodeSelectorTerms of spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution
// when there are any (matchExpressions In/NotIn/Exists/DoesNotExist/Gt/Lt on labels,
// matchFields on metadata.name).
#pragma once

#include "api/node_affinity.h"
#include "scheduler/plugin.h"

namespace minik8s::scheduler::plugins {

inline constexpr char kNodeSelectorReason[] = "node(s) didn't match Pod's node affinity/selector";

using api::nodeMatchesTerm;

class NodeSelector : public FilterPlugin {
 public:
  std::string_view name() const override { return "NodeSelector"; }
  std::vector<std::string> filter(const api::Pod& pod, const NodeInfo& node) const override;
};

}  // namespace minik8s::scheduler::plugins
