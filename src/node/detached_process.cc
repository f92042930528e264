#include "node/detached_process.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/log.h"
#include "common/spawn.h"

namespace minik8s::node {

namespace fs = std::filesystem;

namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr std::chrono::milliseconds kInitialRestartBackoff{200};
constexpr std::chrono::seconds kBackoffResetUptime{60};
constexpr std::chrono::milliseconds kPollInterval{50};

std::string readSmall(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Dead or alive, reaping it when it is our child.
bool stillRunning(pid_t pid) {
  int status = 0;
  pid_t r = ::waitpid(pid, &status, WNOHANG);
  if (r == pid) return false;
  if (r == 0) return true;
  return processAlive(pid);  // ECHILD: not our child (adopted)
}

}  // namespace

std::optional<pid_t> parsePidFile(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  if (text.empty()) return std::nullopt;
  long value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value <= 0 || value > 0x3fffffff) {
    return std::nullopt;
  }
  return static_cast<pid_t>(value);
}

char procStatState(std::string_view stat_text) {
  size_t close = stat_text.rfind(')');
  if (close == std::string_view::npos || close + 2 >= stat_text.size()) return '?';
  if (stat_text[close + 1] != ' ') return '?';
  return stat_text[close + 2];
}

bool cmdlineContains(const std::vector<std::string>& cmdline,
                     const std::vector<std::string>& want) {
  if (want.empty() || want.size() > cmdline.size()) return false;
  return std::search(cmdline.begin(), cmdline.end(), want.begin(), want.end()) != cmdline.end();
}

std::vector<std::string> readProcCmdline(pid_t pid) {
  std::string raw = readSmall("/proc/" + std::to_string(pid) + "/cmdline");
  std::vector<std::string> args;
  size_t start = 0;
  while (start < raw.size()) {
    size_t nul = raw.find('\0', start);
    if (nul == std::string::npos) nul = raw.size();
    args.push_back(raw.substr(start, nul - start));
    start = nul + 1;
  }
  return args;
}

bool processAlive(pid_t pid) {
  if (pid <= 0) return false;
  if (::kill(pid, 0) != 0 && errno == ESRCH) return false;
  char state = procStatState(readSmall("/proc/" + std::to_string(pid) + "/stat"));
  return state != 'Z' && state != 'X' && state != '?';
}

std::optional<pid_t> livePidFromFile(const std::string& pid_file,
                                     const std::vector<std::string>& identity) {
  auto pid = parsePidFile(readSmall(pid_file));
  if (!pid || !processAlive(*pid)) return std::nullopt;
  if (!cmdlineContains(readProcCmdline(*pid), identity)) return std::nullopt;
  return pid;
}

Result<pid_t> spawnDetached(const std::vector<std::string>& argv, const std::string& log_path) {
  return spawnProcess(argv, log_path, SpawnMode::kDetached);
}

Status writePidFile(const std::string& path, pid_t pid) {
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << pid << "\n";
    if (!out.flush()) return internalError("writing " + tmp + ": " + std::strerror(errno));
  }
  fs::rename(tmp, path, ec);
  if (ec) return internalError("renaming " + tmp + ": " + ec.message());
  return Status::ok();
}

bool terminateProcess(pid_t pid, std::chrono::milliseconds grace,
                      std::chrono::milliseconds kill_wait) {
  if (pid <= 0) return true;
  if (::kill(pid, SIGTERM) != 0 && errno == ESRCH) {
    stillRunning(pid);  // reap a zombie child
    return true;
  }
  auto wait_gone = [pid](std::chrono::milliseconds budget) {
    auto deadline = SteadyClock::now() + budget;
    for (;;) {
      if (!stillRunning(pid)) return true;
      if (SteadyClock::now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  };
  if (wait_gone(grace)) return true;
  log::warn("pid {} ignored SIGTERM for {} ms; killing it", pid, grace.count());
  ::kill(pid, SIGKILL);
  return wait_gone(kill_wait);
}

DetachedProcess::DetachedProcess(DetachedProcessOptions options) : options_(std::move(options)) {}

DetachedProcess::~DetachedProcess() {
  stop();
}

void DetachedProcess::start(pid_t adopt_pid) {
  std::lock_guard lock(control_mu_);
  if (started_) return;
  started_ = true;
  if (adopt_pid > 0) {
    std::lock_guard l(mu_);
    pid_ = adopt_pid;  // visible at once, before the thread runs
  }
  supervisor_ = std::jthread([this, adopt_pid](std::stop_token st) { supervise(st, adopt_pid); });
}

void DetachedProcess::stop() {
  finish(/*terminate_daemon=*/true);
}

void DetachedProcess::release() {
  finish(/*terminate_daemon=*/false);
}

void DetachedProcess::finish(bool terminate_daemon) {
  std::lock_guard lock(control_mu_);
  if (!supervisor_.joinable()) return;
  {
    std::lock_guard l(mu_);
    leave_running_ = !terminate_daemon;
  }
  supervisor_.request_stop();
  cv_.notify_all();
  supervisor_.join();
}

pid_t DetachedProcess::pid() const {
  std::lock_guard lock(mu_);
  return pid_;
}

int DetachedProcess::starts() const {
  std::lock_guard lock(mu_);
  return starts_;
}

bool DetachedProcess::exited() const {
  std::lock_guard lock(mu_);
  return exited_;
}

pid_t DetachedProcess::spawn() {
  auto pid = spawnDetached(options_.argv, options_.log_path);
  if (!pid.isOk()) {
    log::error("{}: {}", options_.name, pid.status().toString());
    return -1;
  }
  if (Status s = writePidFile(options_.pid_file, *pid); !s.isOk()) {
    log::warn("{}: {}", options_.name, s.toString());
  }
  return *pid;
}

void DetachedProcess::supervise(std::stop_token stop, pid_t adopt_pid) {
  auto backoff = kInitialRestartBackoff;
  pid_t pid = adopt_pid;
  if (pid > 0) {
    log::info("{}: adopted the running daemon (pid {})", options_.name, pid);
    if (Status s = writePidFile(options_.pid_file, pid); !s.isOk()) {
      log::warn("{}: {}", options_.name, s.toString());
    }
  }
  while (!stop.stop_requested()) {
    bool spawned = false;
    if (pid <= 0) {
      pid = spawn();
      spawned = pid > 0;
    }
    auto started = SteadyClock::now();
    if (pid > 0) {
      {
        std::lock_guard lock(mu_);
        pid_ = pid;
        if (spawned) ++starts_;
      }
      while (stillRunning(pid)) {
        if (stop.stop_requested()) {
          bool leave;
          {
            std::lock_guard lock(mu_);
            leave = leave_running_;
          }
          if (!leave) {
            terminateProcess(pid, options_.stop_grace);
            std::error_code ec;
            fs::remove(options_.pid_file, ec);
          }
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
      log::warn("{} (pid {}) exited", options_.name, pid);
    }
    pid = 0;
    if (!options_.restart_on_exit) break;
    if (SteadyClock::now() - started > kBackoffResetUptime) backoff = kInitialRestartBackoff;
    log::info("restarting {} in {} ms", options_.name, backoff.count());
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, stop, backoff, [] { return false; });
    backoff = std::min(backoff * 2, options_.max_restart_backoff);
  }
  bool leave;
  {
    std::lock_guard lock(mu_);
    leave = leave_running_;
    pid_ = 0;
  }
  if (!leave) {
    if (pid > 0) terminateProcess(pid, options_.stop_grace);  // adopted, stopped at once
    std::error_code ec;
    fs::remove(options_.pid_file, ec);
  }
}

}  // namespace minik8s::node
