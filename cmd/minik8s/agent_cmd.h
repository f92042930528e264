// `minik8s agent` and `minik8s kubelet`: the node agent (kubelet; the proxy joins later).
#pragma once

#include <CLI/CLI.hpp>

namespace minik8s::cmd {

void addAgentCommands(CLI::App& app);

}  // namespace minik8s::cmd
