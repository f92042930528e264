// `minik8s hollow-nodes`: many fake nodes in one process (Kubernetes' kubemark), for
// scale tests and the controller benchmarks. The logic is src/kubelet/hollow_node.h.
#pragma once

#include <CLI/CLI.hpp>

namespace minik8s::cmd {

void addHollowNodesCommand(CLI::App& app);

}  // namespace minik8s::cmd
