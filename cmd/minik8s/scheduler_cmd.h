// `minik8s scheduler`: flag wiring for the scheduler (logic in src/scheduler).
#pragma once

#include <CLI/CLI.hpp>

namespace minik8s::cmd {

// Adds `scheduler` to `app`; its callback runs the scheduler until SIGINT/SIGTERM.
void addSchedulerCommand(CLI::App& app);

}  // namespace minik8s::cmd
