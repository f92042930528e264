// NodeUnschedulable: a cordoned node (spec.unschedulable) takes only pods that tolerate
// node.kubernetes.io/unschedulable:NoSchedule.
#pragma once

#include "scheduler/plugin.h"

namespace minik8s::scheduler::plugins {

inline constexpr char kNodeUnschedulableReason[] = "node(s) were unschedulable";

class NodeUnschedulable : public FilterPlugin {
 public:
  std::string_view name() const override { return "NodeUnschedulable"; }
  std::vector<std::string> filter(const api::Pod& pod, const NodeInfo& node) const override;
};

}  // namespace minik8s::scheduler::plugins
