// `minik8s proxy`: flag wiring for the iptables service proxy (logic in src/proxy).
#pragma once

#include <CLI/CLI.hpp>

namespace minik8s::cmd {

// Adds `proxy` to `app`; its callback runs the proxy until SIGINT/SIGTERM, or with
// --cleanup removes the proxy's rules and exits.
void addProxyCommand(CLI::App& app);

}  // namespace minik8s::cmd
