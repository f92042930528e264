// The scheduler's plugin interfaces. A filter says whether a pod may run on a node (and why
// not, in Kubernetes' words); a score ranks the nodes that passed. Both are pure functions
// of (pod, NodeInfo): stateless, thread-safe, table-tested one plugin per file in plugins/.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "api/types_core.h"
#include "scheduler/node_info.h"

namespace minik8s::scheduler {

class FilterPlugin {
 public:
  virtual ~FilterPlugin() = default;
  virtual std::string_view name() const = 0;
  // Why `pod` cannot run on `node` ("Insufficient cpu", ...); empty when it can.
  virtual std::vector<std::string> filter(const api::Pod& pod, const NodeInfo& node) const = 0;
};

inline constexpr int64_t kMaxNodeScore = 100;

class ScorePlugin {
 public:
  virtual ~ScorePlugin() = default;
  virtual std::string_view name() const = 0;
  // 0..kMaxNodeScore; higher is better.
  virtual int64_t score(const api::Pod& pod, const NodeInfo& node) const = 0;
};

}  // namespace minik8s::scheduler
