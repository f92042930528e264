// spawnProcess: fork/exec of one child with stdin from /dev/null, stdout and stderr appended
// to a log file, an empty signal mask and no inherited fds — the one way SupervisedProcess
// (etcd) and node::DetachedProcess (containerd) start their children.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/status.h"

namespace minik8s {

enum class SpawnMode {
  // Dies with us (PR_SET_PDEATHSIG SIGTERM) and leads its own process group, so a terminal's
  // Ctrl-C reaches only us and we stop it in order.
  kAttached,
  // Its own session and no parent-death signal: it outlives us on purpose. Gets our
  // environment with a default PATH when we have none (containerd's iptables and the CNI
  // plugins' tools are found through it).
  kDetached,
};

// argv[0] is the executable's path (no PATH lookup). Returns the child's PID.
Result<pid_t> spawnProcess(const std::vector<std::string>& argv, const std::string& log_path,
                           SpawnMode mode);

}  // namespace minik8s
