#include "store/etcd_process.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

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
      client_endpoint_("http://127.0.0.1:" + std::to_string(options_.client_port)),
      process_(processOptions()) {}

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
    proc->process_.start();

    auto deadline = SteadyClock::now() + opts.start_timeout;
    for (;;) {
      if (proc->process_.exited()) break;
      EtcdStoreOptions so;
      so.connect_timeout = std::chrono::milliseconds(500);
      so.call_timeout = std::chrono::milliseconds(1000);
      if (EtcdStore::connect({proc->client_endpoint_}, so).isOk()) {
        log::info("etcd ready at {} (pid {}, data in {}/etcd)", proc->client_endpoint_, proc->pid(),
                  opts.state_dir);
        auto* raw = proc.get();
        proc->restart_reporter_ =
            std::jthread([raw](std::stop_token stop) { raw->reportRestarts(stop); });
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
  return process_.pid();
}

int EtcdProcess::starts() const {
  return process_.starts();
}

Status EtcdProcess::waitReady(std::chrono::milliseconds timeout) const {
  EtcdStoreOptions so;
  so.connect_timeout = timeout;
  so.call_timeout = std::chrono::milliseconds(1000);
  auto store = EtcdStore::connect({client_endpoint_}, so);
  return store.status();
}

void EtcdProcess::stop() {
  restart_reporter_ = std::jthread();  // requests stop and joins
  process_.stop();
}

void EtcdProcess::reportRestarts(std::stop_token stop) {
  std::mutex mu;
  std::condition_variable_any cv;
  int reported = process_.starts();
  while (!stop.stop_requested()) {
    {
      std::unique_lock lock(mu);
      // A restart waits >= 200 ms of back-off and etcd ~300 ms to start: a 100 ms poll of
      // the supervisor's counter sees it before it answers, at 10 wake-ups a second idle.
      cv.wait_for(lock, stop, std::chrono::milliseconds(100), [] { return false; });
    }
    const int starts = process_.starts();
    if (starts <= reported) continue;
    const auto restarted = SteadyClock::now();
    while (!stop.stop_requested() && process_.starts() == starts && process_.pid() != 0) {
      EtcdStoreOptions so;
      so.connect_timeout = std::chrono::milliseconds(50);  // a fresh try every ~50 ms
      so.call_timeout = std::chrono::milliseconds(500);
      if (EtcdStore::connect({client_endpoint_}, so).isOk()) {
        auto took =
            std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - restarted);
        log::info("etcd ready again at {} (pid {}, start {}) {} ms after its restart",
                  client_endpoint_, process_.pid(), starts, took.count());
        break;
      }
    }
    reported = starts;
  }
}

SupervisedProcessOptions EtcdProcess::processOptions() const {
  const std::string peer_url = "http://127.0.0.1:" + std::to_string(options_.peer_port);
  SupervisedProcessOptions po;
  po.argv = {
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
      // One member on loopback: elect itself in ~0.1 s instead of ~1.5 s after a restart.
      "--heartbeat-interval=10",
      "--election-timeout=100",
      "--max-request-bytes=" + std::to_string(3 << 20),
      "--logger=zap",
      "--log-outputs=stderr",
  };
  po.log_path = logPath();
  po.name = "etcd";
  po.stop_grace = options_.stop_grace;
  po.max_restart_backoff = options_.max_restart_backoff;
  po.restart_on_exit = options_.restart_on_exit;
  return po;
}

}  // namespace minik8s::store
