// `minik8s dns`: flag wiring for the cluster DNS server (logic in src/dns).
#pragma once

#include <CLI/CLI.hpp>

namespace minik8s::cmd {

// Adds `dns` to `app`; its callback serves DNS until SIGINT/SIGTERM.
void addDnsCommand(CLI::App& app);

}  // namespace minik8s::cmd
