// LeastAllocated (score): prefers the node with the most free cpu and memory after placing
// the pod: mean over cpu and memory of (allocatable - requested) * 100 / allocatable, with
// the scoring defaults for pods that request nothing.
#pragma once

#include "scheduler/plugin.h"

namespace minik8s::scheduler::plugins {

class LeastAllocated : public ScorePlugin {
 public:
  std::string_view name() const override { return "LeastAllocated"; }
  int64_t score(const api::Pod& pod, const NodeInfo& node) const override;
};

}  // namespace minik8s::scheduler::plugins
