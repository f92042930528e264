// NodeReady: only nodes whose Ready condition is True take new pods.
#pragma once

#include "scheduler/plugin.h"

namespace minik8s::scheduler::plugins {

inline constexpr char kNodeNotReadyReason[] = "node(s) were not ready";

class NodeReady : public FilterPlugin {
 public:
  std::string_view name() const override { return "NodeReady"; }
  std::vector<std::string> filter(const api::Pod& pod, const NodeInfo& node) const override;
};

}  // namespace minik8s::scheduler::plugins
