// TaintToleration: a node's NoSchedule and NoExecute taints must each be tolerated by the
// pod (PreferNoSchedule taints never filter).
#pragma once

#include "api/taints.h"
#include "scheduler/plugin.h"

namespace minik8s::scheduler::plugins {

using api::toleratesAny;
using api::toleratesTaint;

class TaintToleration : public FilterPlugin {
 public:
  std::string_view name() const override { return "TaintToleration"; }
  std::vector<std::string> filter(const api::Pod& pod, const NodeInfo& node) const override;
};

}  // namespace minik8s::scheduler::plugins
