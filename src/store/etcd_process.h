// EtcdProcess: a local etcd child process for `minik8s server` when no --etcd-servers is
// given, and for integration tests.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "common/status.h"
#include "common/supervised_process.h"

namespace minik8s::store {

struct EtcdProcessOptions {
  std::string state_dir;  // required: data in <state_dir>/etcd, log in <state_dir>/etcd.log
  std::string binary = "/usr/bin/etcd";
  std::string name = "minik8s";
  int client_port = 0;  // 0: pick a free loopback port
  int peer_port = 0;    // 0: pick a free loopback port
  int64_t quota_backend_bytes = int64_t{2} << 30;
  std::chrono::milliseconds start_timeout{20000};  // until the first Range answers
  std::chrono::milliseconds stop_grace{5000};      // SIGTERM, then SIGKILL
  std::chrono::milliseconds max_restart_backoff{10000};
  bool restart_on_exit = true;
};

// Owns one etcd child process: starts it, restarts it with back-off when it dies, and stops
// it (SIGTERM, then SIGKILL after the grace period, by PID) on stop() or destruction. Auto
// compaction stays off: the apiserver compacts. Supervision (the child, its supervisor
// thread, back-off and termination) is a SupervisedProcess owned by this object.
// Thread-safe.
class EtcdProcess {
 public:
  // Starts etcd and waits until it answers a Range (kDeadlineExceeded after start_timeout,
  // kUnavailable when it exits first; the message then carries the log's tail).
  static Result<std::unique_ptr<EtcdProcess>> start(EtcdProcessOptions options);
  ~EtcdProcess();  // stop()

  EtcdProcess(const EtcdProcess&) = delete;
  EtcdProcess& operator=(const EtcdProcess&) = delete;

  // "http://127.0.0.1:<client port>"; stable across restarts.
  const std::string& clientEndpoint() const { return client_endpoint_; }
  int clientPort() const { return options_.client_port; }
  int peerPort() const { return options_.peer_port; }
  std::string logPath() const { return options_.state_dir + "/etcd.log"; }

  // The running child's PID, 0 while none runs.
  pid_t pid() const;
  // How many times the child was started (1 after start()).
  int starts() const;

  // Waits until etcd answers a Range (e.g. after a restart).
  Status waitReady(std::chrono::milliseconds timeout) const;

  // Stops the child and the supervisor; idempotent. After it returns no etcd of ours runs.
  void stop();

 private:
  explicit EtcdProcess(EtcdProcessOptions options);
  SupervisedProcessOptions processOptions() const;
  // Logs "etcd ready" for each restarted child once it answers (runs on restart_reporter_).
  void reportRestarts(std::stop_token stop);

  EtcdProcessOptions options_;
  std::string client_endpoint_;
  SupervisedProcess process_;  // after options_ and client_endpoint_: built from them
  std::jthread restart_reporter_;
};

// A loopback TCP port that was free a moment ago (bind to port 0, read it, release it).
Result<int> pickFreePort();

}  // namespace minik8s::store
