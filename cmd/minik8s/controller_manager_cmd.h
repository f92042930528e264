// `minik8s controller-manager`: flag wiring for the controller manager (logic in
// src/controller). `minik8s server` takes the same controller flags and runs one too.
#pragma once

#include <CLI/CLI.hpp>

#include "controller/manager.h"

namespace minik8s::cmd {

// Adds kube-controller-manager's flags that apply (--controllers, --leader-elect*,
// --concurrent-*-syncs) to `cmd`, writing into `options`.
void addControllerManagerFlags(CLI::App* cmd, controller::ControllerManagerOptions& options);

// Adds `controller-manager` to `app`; its callback runs it until SIGINT/SIGTERM.
void addControllerManagerCommand(CLI::App& app);

}  // namespace minik8s::cmd
