// DetachedProcess: a daemon that outlives the process supervising it (a node's containerd
// must survive a `kill -9` of the agent so that running pods keep their runtime), and the
// /proc and pid-file helpers to find such a daemon again and adopt or stop it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/status.h"

namespace minik8s::node {

struct DetachedProcessOptions {
  std::vector<std::string> argv;  // required; argv[0] is the executable's path (no PATH lookup)
  std::string log_path;           // required; stdout and stderr are appended to it
  std::string pid_file;           // required; holds the running daemon's PID
  std::string name = "daemon";    // for log lines
  std::chrono::milliseconds stop_grace{10000};  // SIGTERM, then SIGKILL
  std::chrono::milliseconds max_restart_backoff{10000};
  bool restart_on_exit = true;
};

// Owns the supervision of one daemon process and the thread doing it. Unlike
// SupervisedProcess the daemon gets its own session (setsid) and no parent-death signal,
// so it keeps running when its supervisor dies; its PID is written to `pid_file` after
// each spawn so that the next supervisor can adopt it (start(pid)). An adopted daemon is
// not our child: it is watched with kill(pid, 0) (and its /proc state, a zombie counts
// as dead). When it exits it is started again after a back-off of 200 ms doubling to
// max_restart_backoff. stop() or destruction sends SIGTERM to the PID, then SIGKILL after
// stop_grace, and removes the pid file; release() stops supervising and leaves the daemon
// and its pid file alone. Thread-safe.
class DetachedProcess {
 public:
  explicit DetachedProcess(DetachedProcessOptions options);
  ~DetachedProcess();  // stop()

  DetachedProcess(const DetachedProcess&) = delete;
  DetachedProcess& operator=(const DetachedProcess&) = delete;

  // Starts the supervisor thread: it adopts `adopt_pid` when > 0 (recording it in the pid
  // file), else spawns the daemon at once. Later calls do nothing.
  void start(pid_t adopt_pid = 0);
  // Stops the daemon and the supervisor; idempotent.
  void stop();
  // Stops supervising and leaves the daemon running (what a kill -9 of us leaves behind).
  void release();

  pid_t pid() const;    // the running daemon's PID, 0 while none runs
  int starts() const;   // how many times the daemon was spawned (an adoption is not one)
  bool exited() const;  // the daemon exited on its own at least once

  const DetachedProcessOptions& options() const { return options_; }

 private:
  pid_t spawn();  // REQUIRES: called on the supervisor thread
  void supervise(std::stop_token stop, pid_t adopt_pid);
  void finish(bool terminate_daemon);

  const DetachedProcessOptions options_;
  mutable std::mutex mu_;
  std::condition_variable_any cv_;
  pid_t pid_ = 0;               // GUARDED_BY(mu_)
  int starts_ = 0;              // GUARDED_BY(mu_)
  bool exited_ = false;         // GUARDED_BY(mu_)
  bool leave_running_ = false;  // GUARDED_BY(mu_): release() was called
  std::mutex control_mu_;       // serializes start(), stop() and release()
  bool started_ = false;        // GUARDED_BY(control_mu_)
  std::jthread supervisor_;
};

// ---- pure helpers (table-tested) ----

// The PID in a pid file's text ("1234\n"); nullopt unless it is one positive number.
std::optional<pid_t> parsePidFile(std::string_view text);

// The state letter of /proc/<pid>/stat text ('R', 'S', 'Z', ...; '?' when malformed). The
// command name in parentheses may itself contain ") ".
char procStatState(std::string_view stat_text);

// Whether `want` occurs as a contiguous run of arguments in `cmdline` (empty `want`:
// false). Identifies our daemon behind a recycled PID: {"--config", "/x/config.toml"}.
bool cmdlineContains(const std::vector<std::string>& cmdline, const std::vector<std::string>& want);

// ---- effects ----

// /proc/<pid>/cmdline split at NULs (empty when the process is gone).
std::vector<std::string> readProcCmdline(pid_t pid);

// The process exists and is not a zombie.
bool processAlive(pid_t pid);

// The PID recorded in `pid_file` when that process is alive and its command line contains
// `identity`; nullopt otherwise (no file, stale PID, recycled PID).
std::optional<pid_t> livePidFromFile(const std::string& pid_file,
                                     const std::vector<std::string>& identity);

// Forks and execs argv[0] in its own session (setsid), without a parent-death signal, with
// stdin from /dev/null, stdout and stderr appended to `log_path`, no other fds, and our
// environment (plus a standard PATH when it has none): a daemon that outlives us. The
// caller may reap it (waitpid) or leave it to init.
Result<pid_t> spawnDetached(const std::vector<std::string>& argv, const std::string& log_path);

// Writes "<pid>\n" to `path` atomically (creating its directory).
Status writePidFile(const std::string& path, pid_t pid);

// SIGTERM to `pid`, waits up to `grace` for it to go (reaping it when it is our child),
// then SIGKILL and waits up to `kill_wait`. True when the process is gone.
bool terminateProcess(pid_t pid, std::chrono::milliseconds grace,
                      std::chrono::milliseconds kill_wait = std::chrono::milliseconds(5000));

}  // namespace minik8s::node
