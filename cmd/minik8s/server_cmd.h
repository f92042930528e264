// `minik8s server` / `minik8s apiserver`: flag wiring for the control plane.
#pragma once

#include <CLI/CLI.hpp>

namespace minik8s::cmd {

// Adds the subcommand to `app`; its callback runs the server until SIGINT/SIGTERM.
void addServerCommand(CLI::App& app, const std::string& name, const std::string& description);

}  // namespace minik8s::cmd
