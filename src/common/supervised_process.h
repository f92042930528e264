// SupervisedProcess: one child process kept running by a supervisor thread (the local etcd of
// `minik8s server`, a node's containerd).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace minik8s {

struct SupervisedProcessOptions {
  std::vector<std::string> argv;  // required; argv[0] is the executable's path (no PATH lookup)
  std::string log_path;           // required; stdout and stderr are appended to it
  std::string name = "child";     // for log lines: "<name> (pid N) exited with ..."
  std::chrono::milliseconds stop_grace{5000};  // SIGTERM, then SIGKILL
  std::chrono::milliseconds max_restart_backoff{10000};
  bool restart_on_exit = true;
};

// Owns one child process and the supervisor thread that forks, reaps, restarts and kills it.
// The child gets PR_SET_PDEATHSIG(SIGTERM) (so it dies with the supervisor thread), its own
// process group, stdin from /dev/null, stdout/stderr appended to log_path and no other fds.
// When it exits it is started again after a back-off of 200 ms doubling to
// max_restart_backoff (back to 200 ms after a run of more than 60 s). stop() or destruction
// sends SIGTERM to the PID only, then SIGKILL after stop_grace, and reaps it; the child's own
// children are not touched. Thread-safe.
class SupervisedProcess {
 public:
  explicit SupervisedProcess(SupervisedProcessOptions options);
  ~SupervisedProcess();  // stop()

  SupervisedProcess(const SupervisedProcess&) = delete;
  SupervisedProcess& operator=(const SupervisedProcess&) = delete;

  // Starts the supervisor thread, which spawns the child at once. Later calls do nothing.
  void start();
  // Stops the child and the supervisor; idempotent. After it returns the child is reaped.
  void stop();

  pid_t pid() const;    // the running child's PID, 0 while none runs
  int starts() const;   // how many times the child was spawned
  bool exited() const;  // the child exited on its own at least once

  const SupervisedProcessOptions& options() const { return options_; }

 private:
  pid_t spawn();  // REQUIRES: called on the supervisor thread
  void supervise(std::stop_token stop);
  void terminate(pid_t pid);

  const SupervisedProcessOptions options_;
  mutable std::mutex mu_;
  std::condition_variable_any cv_;
  pid_t pid_ = 0;          // GUARDED_BY(mu_)
  int starts_ = 0;         // GUARDED_BY(mu_)
  bool exited_ = false;    // GUARDED_BY(mu_)
  std::mutex control_mu_;  // serializes start() and stop()
  bool started_ = false;   // GUARDED_BY(control_mu_)
  std::jthread supervisor_;
};

}  // namespace minik8s
