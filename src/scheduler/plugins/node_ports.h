// NodePorts: the pod's hostPorts must be free on the node (same protocol and port on an
// overlapping address is a conflict).
#pragma once

#include "scheduler/plugin.h"

namespace minik8s::scheduler::plugins {

inline constexpr char kNodePortsReason[] =
    "node(s) didn't have free ports for the requested pod ports";

class NodePorts : public FilterPlugin {
 public:
  std::string_view name() const override { return "NodePorts"; }
  std::vector<std::string> filter(const api::Pod& pod, const NodeInfo& node) const override;
};

}  // namespace minik8s::scheduler::plugins
