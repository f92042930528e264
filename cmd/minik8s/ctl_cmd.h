// `minik8s ctl ...`, `mkctl ...` and `minik8s completion bash`: wiring of the CLI in
// src/cli into the one binary.
#pragma once

#include <CLI/CLI.hpp>

namespace minik8s::cmd {

// Adds the `ctl` and `completion` subcommands to `app`. When the binary was started as
// `mkctl` (argv[0]'s base name), runs the CLI on the rest of argv instead, stores its exit
// code in *exit_code and returns true; main then returns that code.
bool addCtlCommands(CLI::App& app, int argc, char** argv, int* exit_code);

}  // namespace minik8s::cmd
