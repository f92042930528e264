#include "node/containerd_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "common/log.h"
#include "cri/cri_runtime.h"

namespace minik8s::node {

namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;

namespace {

std::string exitText(int status) {
  if (WIFEXITED(status)) return "exit code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "signal " + std::to_string(WTERMSIG(status));
  return "status " + std::to_string(status);
}

Status writeFileAtomically(const std::string& path, const std::string& content) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return internalError("writing " + tmp + ": " + std::strerror(errno));
    out << content;
    if (!out.flush()) return internalError("writing " + tmp + ": " + std::strerror(errno));
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return internalError("renaming " + tmp + ": " + ec.message());
  return Status::ok();
}

}  // namespace

std::string fileTail(const std::string& path, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  in.seekg(0, std::ios::end);
  auto size = static_cast<size_t>(in.tellg());
  in.seekg(static_cast<std::streamoff>(size > max_bytes ? size - max_bytes : 0));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Status writeContainerdFiles(const ContainerdProcessOptions& options) {
  ContainerdPaths paths = containerdPaths(options.base_dir);
  if (paths.socket.size() >= 100) {
    return invalid("containerd: socket path " + paths.socket + " is too long for a unix socket");
  }
  for (const auto& dir : {paths.base_dir, paths.root_dir, paths.state_dir, paths.cni_conf_dir,
                          paths.cni_ipam_dir}) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return internalError("containerd: creating " + dir + ": " + ec.message());
  }
  RETURN_IF_ERROR(
      writeFileAtomically(paths.config_file, renderContainerdConfig(paths, options.config)));
  if (options.cni) {
    CniOptions cni = *options.cni;
    if (cni.ipam_data_dir.empty()) cni.ipam_data_dir = paths.cni_ipam_dir;
    ASSIGN_OR_RETURN(std::string conflist, renderCniConflist(cni));
    RETURN_IF_ERROR(
        writeFileAtomically(paths.cni_conf_dir + "/" + cniConflistFileName(cni), conflist));
  }
  return Status::ok();
}

ContainerdProcess::ContainerdProcess(ContainerdProcessOptions options, ContainerdPaths paths)
    : options_(std::move(options)), paths_(std::move(paths)) {}

ContainerdProcess::~ContainerdProcess() { stop(); }

Result<std::unique_ptr<ContainerdProcess>> ContainerdProcess::start(
    ContainerdProcessOptions options) {
  if (options.base_dir.empty()) return invalid("containerd: base_dir is required");
  if (::access(options.binary.c_str(), X_OK) != 0) {
    return unavailable("containerd: " + options.binary + " is not executable");
  }
  if (!options.netns_path.empty() && ::access(options.nsenter_binary.c_str(), X_OK) != 0) {
    return unavailable("containerd: " + options.nsenter_binary + " is not executable");
  }
  RETURN_IF_ERROR(writeContainerdFiles(options));
  ContainerdPaths paths = containerdPaths(options.base_dir);
  std::unique_ptr<ContainerdProcess> proc(new ContainerdProcess(std::move(options), paths));
  proc->supervisor_ =
      std::jthread([p = proc.get()](std::stop_token st) { p->supervise(st); });

  auto cri = cri::CriRuntime::connect(paths.socket);
  auto deadline = SteadyClock::now() + proc->options_.start_timeout;
  for (;;) {
    {
      std::lock_guard lock(proc->mu_);
      if (proc->exited_) break;
    }
    if (cri->waitReady(std::chrono::milliseconds(200)).isOk()) {
      log::info("containerd ready at {} (pid {})", paths.socket, proc->pid());
      return proc;
    }
    if (SteadyClock::now() >= deadline) {
      proc->stop();
      return deadlineExceeded("containerd did not answer CRI Version at " + paths.socket +
                              " within " +
                              std::to_string(proc->options_.start_timeout.count()) +
                              " ms; log tail:\n" + fileTail(paths.log_file));
    }
  }
  proc->stop();
  return unavailable("containerd exited during start-up; log tail:\n" +
                     fileTail(paths.log_file));
}

pid_t ContainerdProcess::pid() const {
  std::lock_guard lock(mu_);
  return pid_;
}

int ContainerdProcess::starts() const {
  std::lock_guard lock(mu_);
  return starts_;
}

Status ContainerdProcess::waitReady(std::chrono::milliseconds timeout) const {
  return cri::CriRuntime::connect(paths_.socket)->waitReady(timeout);
}

void ContainerdProcess::stop() {
  std::lock_guard lock(stop_mu_);
  if (!supervisor_.joinable()) return;
  supervisor_.request_stop();
  cv_.notify_all();
  supervisor_.join();
}

pid_t ContainerdProcess::spawn() {
  std::vector<std::string> args;
  if (!options_.netns_path.empty()) {
    args = {options_.nsenter_binary, "--net=" + options_.netns_path, "--"};
  }
  args.push_back(options_.binary);
  args.push_back("--config");
  args.push_back(paths_.config_file);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  int log_fd = ::open(paths_.log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    log::error("containerd: opening {}: {}", paths_.log_file, std::strerror(errno));
    return -1;
  }
  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(127);
    ::setpgid(0, 0);
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
  if (pid < 0) log::error("containerd: fork: {}", std::strerror(errno));
  return pid;
}

void ContainerdProcess::terminate(pid_t pid) {
  ::kill(pid, SIGTERM);
  auto deadline = SteadyClock::now() + options_.stop_grace;
  int status = 0;
  while (SteadyClock::now() < deadline) {
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid || (r < 0 && errno == ECHILD)) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  log::warn("containerd (pid {}) ignored SIGTERM for {} ms; killing it", pid,
            options_.stop_grace.count());
  ::kill(pid, SIGKILL);
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

void ContainerdProcess::supervise(std::stop_token stop) {
  auto backoff = std::chrono::milliseconds(200);
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
        cv_.wait_for(lock, stop, std::chrono::milliseconds(50), [] { return false; });
      }
      {
        std::lock_guard lock(mu_);
        pid_ = 0;
        exited_ = true;
      }
      log::warn("containerd (pid {}) exited with {}", pid, exitText(status));
    }
    if (!options_.restart_on_exit) return;
    if (SteadyClock::now() - started > std::chrono::seconds(60)) {
      backoff = std::chrono::milliseconds(200);
    }
    log::info("restarting containerd in {} ms", backoff.count());
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, stop, backoff, [] { return false; });
    backoff = std::min(backoff * 2, options_.max_restart_backoff);
  }
}

}  // namespace minik8s::node
