// `minik8s token create|list|delete`: bootstrap tokens, the shared secrets a node presents to
// join before it has a certificate (kubeadm's `token` commands; stored as Secrets in
// kube-system, see pki/bootstrap_token.h).
#pragma once

#include <CLI/CLI.hpp>

namespace minik8s::cmd {

void addTokenCommands(CLI::App& app);

}  // namespace minik8s::cmd
