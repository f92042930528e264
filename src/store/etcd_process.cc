#include "store/etcd_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
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
#include "store/etcd_store.h"

namespace minik8s::store {

namespace {

using SteadyClock = std::chrono::steady_clock;

std::string logTail(const std::string& path, std::streamoff max_bytes = 2048) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  in.seekg(0, std::ios::end);
  std::streamoff size = in.tellg();
  in.seekg(std::max<std::streamoff>(0, size - max_bytes));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string describeExit(int status) {
  if (WIFEXITED(status)) return "exit code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "signal " + std::to_string(WTERMSIG(status));
  return "status " + std::to_string(status);
}

}  // namespace

Result<int> pickFreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return internalError(std::string("socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    int err = errno;
    ::close(fd);
    return internalError(std::string("picking a free port: ") + std::strerror(err));
  }
  ::close(fd);
  return static_cast<int>(ntohs(addr.sin_port));
}

EtcdProcess::EtcdProcess(EtcdProcessOptions options)
    : options_(std::move(options)),
      client_endpoint_("http://127.0.0.1:" + std::to_string(options_.client_port)) {}

EtcdProcess::~EtcdProcess() {
  stop();
}

Result<std::unique_ptr<EtcdProcess>> EtcdProcess::start(EtcdProcessOptions options) {
  if (options.state_dir.empty()) return invalid("etcd: state_dir is required");
  std::error_code ec;
  std::filesystem::create_directories(options.state_dir, ec);
  if (ec) return internalError("etcd: creating " + options.state_dir + ": " + ec.message());
  if (::access(options.binary.c_str(), X_OK) != 0) {
    return unavailable("etcd: " + options.binary + " is not executable");
  }

  const bool pick_ports = options.client_port == 0 || options.peer_port == 0;
  Status last;
  // Auto-picked ports can be taken between release and etcd's bind: retry with new ones.
  for (int attempt = 0; attempt < (pick_ports ? 3 : 1); ++attempt) {
    EtcdProcessOptions opts = options;
    if (opts.client_port == 0) {
      ASSIGN_OR_RETURN(opts.client_port, pickFreePort());
    }
    while (opts.peer_port == 0 || opts.peer_port == opts.client_port) {
      ASSIGN_OR_RETURN(opts.peer_port, pickFreePort());
    }
    std::unique_ptr<EtcdProcess> proc(new EtcdProcess(opts));
    proc->supervisor_ = std::jthread([p = proc.get()](std::stop_token st) { p->supervise(st); });

    auto deadline = SteadyClock::now() + opts.start_timeout;
    for (;;) {
      {
        std::lock_guard lock(proc->mu_);
        if (proc->exited_) break;
      }
      EtcdStoreOptions so;
      so.connect_timeout = std::chrono::milliseconds(500);
      so.call_timeout = std::chrono::milliseconds(1000);
      if (EtcdStore::connect({proc->client_endpoint_}, so).isOk()) {
        log::info("etcd ready at {} (pid {}, data in {}/etcd)", proc->client_endpoint_, proc->pid(),
                  opts.state_dir);
        return proc;
      }
      if (SteadyClock::now() >= deadline) {
        proc->stop();
        return deadlineExceeded("etcd did not answer at " + proc->client_endpoint_ + " within " +
                                std::to_string(opts.start_timeout.count()) + " ms; log tail:\n" +
                                logTail(proc->logPath()));
      }
    }
    proc->stop();
    last = unavailable("etcd exited during start-up; log tail:\n" + logTail(proc->logPath()));
    log::warn("{}", last.toString());
  }
  return last;
}

pid_t EtcdProcess::pid() const {
  std::lock_guard lock(mu_);
  return pid_;
}

int EtcdProcess::starts() const {
  std::lock_guard lock(mu_);
  return starts_;
}

Status EtcdProcess::waitReady(std::chrono::milliseconds timeout) const {
  EtcdStoreOptions so;
  so.connect_timeout = timeout;
  so.call_timeout = std::chrono::milliseconds(1000);
  auto store = EtcdStore::connect({client_endpoint_}, so);
  return store.status();
}

void EtcdProcess::stop() {
  std::lock_guard lock(stop_mu_);
  if (!supervisor_.joinable()) return;
  supervisor_.request_stop();
  cv_.notify_all();
  supervisor_.join();
}

pid_t EtcdProcess::spawn() {
  const std::string peer_url = "http://127.0.0.1:" + std::to_string(options_.peer_port);
  std::vector<std::string> args = {
      options_.binary,
      "--name=" + options_.name,
      "--data-dir=" + options_.state_dir + "/etcd",
      "--listen-client-urls=" + client_endpoint_,
      "--advertise-client-urls=" + client_endpoint_,
      "--listen-peer-urls=" + peer_url,
      "--initial-advertise-peer-urls=" + peer_url,
      "--initial-cluster=" + options_.name + "=" + peer_url,
      "--initial-cluster-state=new",
      "--initial-cluster-token=minik8s-" + options_.name,
      "--quota-backend-bytes=" + std::to_string(options_.quota_backend_bytes),
      "--snapshot-count=10000",
      "--max-request-bytes=" + std::to_string(3 << 20),
      "--logger=zap",
      "--log-outputs=stderr",
  };
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  const std::string log_path = logPath();
  int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    log::error("etcd: opening {}: {}", log_path, std::strerror(errno));
    return -1;
  }
  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid == 0) {
    // Child: async-signal-safe calls only until exec.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(127);
    ::setpgid(0, 0);  // a terminal's Ctrl-C goes to us; we stop etcd in order
    sigset_t all;
    ::sigemptyset(&all);
    ::sigprocmask(SIG_SETMASK, &all, nullptr);
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
  if (pid < 0) log::error("etcd: fork: {}", std::strerror(errno));
  return pid;
}

void EtcdProcess::terminate(pid_t pid) {
  ::kill(pid, SIGTERM);
  auto deadline = SteadyClock::now() + options_.stop_grace;
  int status = 0;
  while (SteadyClock::now() < deadline) {
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid || (r < 0 && errno == ECHILD)) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  log::warn("etcd (pid {}) ignored SIGTERM for {} ms; killing it", pid,
            options_.stop_grace.count());
  ::kill(pid, SIGKILL);
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

void EtcdProcess::supervise(std::stop_token stop) {
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
      log::warn("etcd (pid {}) exited with {}", pid, describeExit(status));
    }
    if (!options_.restart_on_exit) return;
    if (SteadyClock::now() - started > std::chrono::seconds(60)) {
      backoff = std::chrono::milliseconds(200);
    }
    log::info("restarting etcd in {} ms", backoff.count());
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, stop, backoff, [] { return false; });
    backoff = std::min(backoff * 2, options_.max_restart_backoff);
  }
}

}  // namespace minik8s::store
