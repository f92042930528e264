// ContainerdProcess: a node's own containerd child (the CRI endpoint of `minik8s agent`
// and of the integration tests).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "common/status.h"
#include "common/supervised_process.h"
#include "node/cni_config.h"
#include "node/containerd_config.h"

namespace minik8s::node {

struct ContainerdProcessOptions {
  std::string base_dir;  // required; see ContainerdPaths
  std::string binary = "/usr/bin/containerd";
  // Run inside this network namespace ("/run/netns/n1") through `nsenter --net=`, which
  // keeps the host's /sys/fs/cgroup (ip netns exec would remount /sys). Empty: host netns.
  std::string netns_path;
  std::string nsenter_binary = "/usr/bin/nsenter";
  ContainerdConfigOptions config;
  // When set, the conflist is (re)written into the instance's CNI conf dir before start;
  // its ipam_data_dir defaults to the instance's.
  std::optional<CniOptions> cni;
  std::chrono::milliseconds start_timeout{20000};  // until CRI Version answers
  std::chrono::milliseconds stop_grace{10000};     // SIGTERM, then SIGKILL
  std::chrono::milliseconds max_restart_backoff{10000};
  bool restart_on_exit = true;
};

// Owns one containerd daemon: writes its config, starts it, restarts it with back-off when
// it dies (running pods survive: their shims are not our children), and stops it by PID on
// stop() or destruction. Stopping the daemon leaves pods running; see
// cleanupContainerdNode() to remove them. Supervision (the child, its supervisor thread,
// back-off and termination) is a SupervisedProcess owned by this object. Thread-safe.
class ContainerdProcess {
 public:
  // Starts containerd and waits until CRI Version answers (kDeadlineExceeded after
  // start_timeout; kUnavailable when it exits first, with the log's tail).
  static Result<std::unique_ptr<ContainerdProcess>> start(ContainerdProcessOptions options);
  ~ContainerdProcess();  // stop()

  ContainerdProcess(const ContainerdProcess&) = delete;
  ContainerdProcess& operator=(const ContainerdProcess&) = delete;

  const ContainerdPaths& paths() const { return paths_; }
  const std::string& endpoint() const { return paths_.socket; }

  pid_t pid() const;   // 0 while none runs
  int starts() const;  // 1 after start()

  // Waits until CRI Version answers (e.g. after a restart).
  Status waitReady(std::chrono::milliseconds timeout) const;

  // Stops the daemon and the supervisor; idempotent.
  void stop();

 private:
  ContainerdProcess(ContainerdProcessOptions options, ContainerdPaths paths);
  SupervisedProcessOptions processOptions() const;

  ContainerdProcessOptions options_;
  ContainerdPaths paths_;
  SupervisedProcess process_;  // after options_ and paths_: built from them
};

// Writes config.toml (and the conflist when options.cni is set) and creates the
// directories; what start() does before spawning.
Status writeContainerdFiles(const ContainerdProcessOptions& options);

// The last `max_bytes` of a file ("" when unreadable).
std::string fileTail(const std::string& path, size_t max_bytes = 2048);

}  // namespace minik8s::node
