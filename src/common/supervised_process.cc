#include "common/supervised_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/log.h"

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
  if (options_.argv.empty()) {
    log::error("{}: no command to run", options_.name);
    return -1;
  }
  std::vector<std::string> args = options_.argv;
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  int log_fd = ::open(options_.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    log::error("{}: opening {}: {}", options_.name, options_.log_path, std::strerror(errno));
    return -1;
  }
  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(127);
    ::setpgid(0, 0);  // a terminal's Ctrl-C goes to us; we stop the child in order
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) ::dup2(null_fd, 0);
    ::dup2(log_fd, 1);
    ::dup2(log_fd, 2);
    if (::syscall(SYS_close_range, 3U, ~0U, 0U) != 0) {
      for (int fd = 3; fd < 4096; ++fd) ::close(fd);
    }
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(log_fd);
  if (pid < 0) log::error("{}: fork: {}", options_.name, std::strerror(errno));
  return pid;
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
