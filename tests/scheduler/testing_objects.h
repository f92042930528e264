// Builders of typed pods and nodes for the scheduler's table tests.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "api/quantity.h"
#include "api/types_core.h"
#include "scheduler/node_info.h"

namespace minik8s::scheduler::testing {

inline api::Quantity q(const std::string& s) {
  return api::Quantity::parse(s).value();
}

inline api::Node node(const std::string& name, const std::string& cpu = "4",
                      const std::string& memory = "8Gi", bool ready = true) {
  api::Node n;
  n.metadata.name = name;
  n.status.allocatable = {{"cpu", q(cpu)}, {"memory", q(memory)}, {"pods", q("110")}};
  n.status.conditions.push_back({});
  n.status.conditions.back().type = "Ready";
  n.status.conditions.back().status = ready ? "True" : "False";
  return n;
}

inline api::Pod pod(const std::string& name, const std::string& cpu = "",
                    const std::string& memory = "") {
  api::Pod p;
  p.metadata.name = name;
  p.metadata.namespace_ = "default";
  api::Container c;
  c.name = "c";
  c.image = "busybox";
  if (!cpu.empty()) c.resources.requests["cpu"] = q(cpu);
  if (!memory.empty()) c.resources.requests["memory"] = q(memory);
  p.spec.containers.push_back(c);
  return p;
}

inline api::Pod boundTo(api::Pod p, const std::string& node) {
  p.spec.node_name = node;
  return p;
}

inline NodeInfo info(const api::Node& n, const std::vector<api::Pod>& pods = {}) {
  std::vector<std::shared_ptr<const api::Pod>> ptrs;
  for (const auto& p : pods) ptrs.push_back(std::make_shared<const api::Pod>(p));
  return makeNodeInfo(std::make_shared<const api::Node>(n), ptrs);
}

}  // namespace minik8s::scheduler::testing
