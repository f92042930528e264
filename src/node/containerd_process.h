// ContainerdProcess: a node's own containerd child (the CRI endpoint of `minik8s agent`
// and of the integration tests).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "common/status.h"
#include "node/cni_config.h"
#include "node/containerd_config.h"
#include "node/detached_process.h"

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
  std::chrono::milliseconds adopt_timeout{3000};   // a running one must answer within it
  std::chrono::milliseconds stop_grace{10000};     // SIGTERM, then SIGKILL
  std::chrono::milliseconds max_restart_backoff{10000};
  bool restart_on_exit = true;
};

// Owns one containerd daemon: writes its config, starts it (or adopts the one a previous
// owner started, see start()), restarts it with back-off when it dies (running pods
// survive: their shims are not our children), and stops it by PID on stop() or
// destruction. The daemon runs in its own session without a parent-death signal, so it
// survives a kill -9 of its owner (the agent) and the next owner adopts it; its PID is in
// containerdPidFile(). Stopping the daemon leaves pods running; see
// cleanupContainerdNode() to remove them. Supervision is a DetachedProcess owned by this
// object. Thread-safe.
class ContainerdProcess {
 public:
  // When the pid file names a live containerd of this base dir whose CRI socket answers
  // Version, adopts it; otherwise (a stale one that does not answer within
  // adopt_timeout is stopped first) starts containerd and waits until CRI Version
  // answers (kDeadlineExceeded after start_timeout; kUnavailable when it exits first,
  // with the log's tail).
  static Result<std::unique_ptr<ContainerdProcess>> start(ContainerdProcessOptions options);
  ~ContainerdProcess();  // stop()

  ContainerdProcess(const ContainerdProcess&) = delete;
  ContainerdProcess& operator=(const ContainerdProcess&) = delete;

  const ContainerdPaths& paths() const { return paths_; }
  const std::string& endpoint() const { return paths_.socket; }

  pid_t pid() const;                         // 0 while none runs
  int starts() const;                        // 1 after start() spawned it, 0 after an adoption
  bool adopted() const { return adopted_; }  // start() found it running

  // Waits until CRI Version answers (e.g. after a restart).
  Status waitReady(std::chrono::milliseconds timeout) const;

  // Stops the daemon and the supervisor; idempotent.
  void stop();
  // Stops supervising and leaves the daemon running for the next owner to adopt (what a
  // kill -9 of the owner does; for tests).
  void release();

 private:
  ContainerdProcess(ContainerdProcessOptions options, ContainerdPaths paths);
  DetachedProcessOptions processOptions() const;

  ContainerdProcessOptions options_;
  ContainerdPaths paths_;
  DetachedProcess process_;  // after options_ and paths_: built from them
  bool adopted_ = false;
};

// <base>/containerd.pid: the PID of the instance's daemon while one runs.
std::string containerdPidFile(const ContainerdPaths& paths);

// The PID of the instance's daemon when it is running (pid file, live process whose
// command line names this instance's config file).
std::optional<pid_t> runningContainerd(const ContainerdPaths& paths);

// Stops the instance's daemon by the PID in its pid file (SIGTERM, SIGKILL after `grace`)
// and removes the file. Returns whether one was running; `down` uses it after the agent
// is gone.
bool stopRunningContainerd(const ContainerdPaths& paths, std::chrono::milliseconds grace);

// Writes config.toml (and the conflist when options.cni is set) and creates the
// directories; what start() does before spawning.
Status writeContainerdFiles(const ContainerdProcessOptions& options);

// The last `max_bytes` of a file ("" when unreadable).
std::string fileTail(const std::string& path, size_t max_bytes = 2048);

}  // namespace minik8s::node
