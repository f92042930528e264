// NodeResourcesFit: the pod's requests (podRequests: containers, init containers and
// pod-level resources) must fit the node's allocatable minus what its pods request, and
// the node must have room for one more pod. Reports every resource that does not fit.
#pragma once

#include "scheduler/plugin.h"

namespace minik8s::scheduler::plugins {

class NodeResourcesFit : public FilterPlugin {
 public:
  std::string_view name() const override { return "NodeResourcesFit"; }
  std::vector<std::string> filter(const api::Pod& pod, const NodeInfo& node) const override;
};

}  // namespace minik8s::scheduler::plugins
