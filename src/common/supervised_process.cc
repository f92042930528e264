#include "common/supervised_process.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/log.h"
#include "common/spawn.h"

namespace minik8s {

namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr std::chrono::milliseconds kInitialRestartBackoff{200};
constexpr std::chrono::seconds kBackoffResetUptime{60};
constexpr std::chrono::milliseconds kPollInterval{50};

std::string describeExit(int status) {
  if (WIFEXITED(status)) return "exit code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "signal " + std::to_string(WTERMSIG(status));
  return "status " + std::to_string(status);
}

}  // namespace

SupervisedProcess::SupervisedProcess(SupervisedProcessOptions options)
    : options_(std::move(options)) {}

SupervisedProcess::~SupervisedProcess() {
  stop();
}

void SupervisedProcess::start() {
  std::lock_guard lock(control_mu_);
  if (started_) return;
  started_ = true;
  supervisor_ = std::jthread([this](std::stop_token st) { supervise(st); });
}

void SupervisedProcess::stop() {
  std::lock_guard lock(control_mu_);
  if (!supervisor_.joinable()) return;
  supervisor_.request_stop();
  cv_.notify_all();
  supervisor_.join();
}

pid_t SupervisedProcess::pid() const {
  std::lock_guard lock(mu_);
  return pid_;
}

int SupervisedProcess::starts() const {
  std::lock_guard lock(mu_);
  return starts_;
}

bool SupervisedProcess::exited() const {
  std::lock_guard lock(mu_);
  return exited_;
}

pid_t SupervisedProcess::spawn() {
  auto pid = spawnProcess(options_.argv, options_.log_path, SpawnMode::kAttached);
  if (!pid.isOk()) {
    log::error("{}: {}", options_.name, pid.status().toString());
    return -1;
  }
  return *pid;
}

void SupervisedProcess::terminate(pid_t pid) {
  ::kill(pid, SIGTERM);
  auto deadline = SteadyClock::now() + options_.stop_grace;
  int status = 0;
  while (SteadyClock::now() < deadline) {
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid || (r < 0 && errno == ECHILD)) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  log::warn("{} (pid {}) ignored SIGTERM for {} ms; killing it", options_.name, pid,
            options_.stop_grace.count());
  ::kill(pid, SIGKILL);
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

void SupervisedProcess::supervise(std::stop_token stop) {
  auto backoff = kInitialRestartBackoff;
  while (!stop.stop_requested()) {
    pid_t pid = spawn();
    auto started = SteadyClock::now();
    if (pid > 0) {
      {
        std::lock_guard lock(mu_);
        pid_ = pid;
        ++starts_;
      }
      int status = 0;
      for (;;) {
        pid_t r = ::waitpid(pid, &status, WNOHANG);
        if (r == pid || (r < 0 && errno != EINTR)) break;
        if (stop.stop_requested()) {
          terminate(pid);
          std::lock_guard lock(mu_);
          pid_ = 0;
          return;
        }
        std::unique_lock lock(mu_);
        cv_.wait_for(lock, stop, kPollInterval, [] { return false; });
      }
      {
        std::lock_guard lock(mu_);
        pid_ = 0;
        exited_ = true;
      }
      log::warn("{} (pid {}) exited with {}", options_.name, pid, describeExit(status));
    }
    if (!options_.restart_on_exit) return;
    if (SteadyClock::now() - started > kBackoffResetUptime) backoff = kInitialRestartBackoff;
    log::info("restarting {} in {} ms", options_.name, backoff.count());
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, stop, backoff, [] { return false; });
    backoff = std::min(backoff * 2, options_.max_restart_backoff);
  }
}

}  // namespace minik8s
