// `minik8s up` / `minik8s down`: a whole local cluster on this machine with one command.
// `up` starts `minik8s server` and `minik8s agent` as detached background processes under
// one data dir, loads the stock images into the node's containerd, writes a kubeconfig and
// returns when the Node is Ready; `down` stops them and removes every pod and what the
// pods left on the host, keeping the cluster's objects in etcd.
#pragma once

#include <CLI/CLI.hpp>

namespace minik8s::cmd {

// Adds `up` and `down` to `app`.
void addUpDownCommands(CLI::App& app);

}  // namespace minik8s::cmd
