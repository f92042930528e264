// TaintToleration: a node's NoSchedule and NoExecute taints must each be tolerated by the
// pod (PreferNoSchedule taints never filter).
#pragma once

#include "scheduler/plugin.h"

namespace minik8s::scheduler::plugins {

// Kubernetes' ToleratesTaint: empty effect matches every effect; an empty key with Exists
// matches every taint; Exists ignores the value; Equal (or "") compares it.
bool toleratesTaint(const api::Toleration& toleration, const api::Taint& taint);
bool toleratesAny(const std::vector<api::Toleration>& tolerations, const api::Taint& taint);

class TaintToleration : public FilterPlugin {
 public:
  std::string_view name() const override { return "TaintToleration"; }
  std::vector<std::string> filter(const api::Pod& pod, const NodeInfo& node) const override;
};

}  // namespace minik8s::scheduler::plugins
