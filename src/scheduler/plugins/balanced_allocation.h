// BalancedAllocation (score): prefers the node whose cpu and memory would be used in the
// most equal fractions after placing the pod: (1 - |cpu% - mem%| / 2) * 100.
#pragma once

#include "scheduler/plugin.h"

namespace minik8s::scheduler::plugins {

class BalancedAllocation : public ScorePlugin {
 public:
  std::string_view name() const override { return "BalancedAllocation"; }
  int64_t score(const api::Pod& pod, const NodeInfo& node) const override;
};

}  // namespace minik8s::scheduler::plugins
