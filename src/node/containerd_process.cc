#include "node/containerd_process.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/files.h"
#include "common/log.h"
#include "cri/cri_runtime.h"

namespace minik8s::node {

namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;

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
  for (const auto& dir :
       {paths.base_dir, paths.root_dir, paths.state_dir, paths.cni_conf_dir, paths.cni_ipam_dir}) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return internalError("containerd: creating " + dir + ": " + ec.message());
  }
  RETURN_IF_ERROR(
      writeFileAtomically(paths.config_file, renderContainerdConfig(paths, options.config), 0644));
  if (options.cni) {
    CniOptions cni = *options.cni;
    if (cni.ipam_data_dir.empty()) cni.ipam_data_dir = paths.cni_ipam_dir;
    ASSIGN_OR_RETURN(std::string conflist, renderCniConflist(cni));
    RETURN_IF_ERROR(
        writeFileAtomically(paths.cni_conf_dir + "/" + cniConflistFileName(cni), conflist, 0644));
  }
  return Status::ok();
}

ContainerdProcess::ContainerdProcess(ContainerdProcessOptions options, ContainerdPaths paths)
    : options_(std::move(options)), paths_(std::move(paths)), process_(processOptions()) {}

ContainerdProcess::~ContainerdProcess() {
  stop();
}

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
  auto cri = cri::CriRuntime::connect(paths.socket);

  // A daemon a previous owner started (the agent was killed or restarted): adopt it when
  // it answers, so that its pods keep running untouched.
  if (auto running = runningContainerd(paths)) {
    if (cri->waitReady(options.adopt_timeout).isOk()) {
      std::unique_ptr<ContainerdProcess> proc(new ContainerdProcess(std::move(options), paths));
      proc->adopted_ = true;
      proc->process_.start(*running);
      log::info("containerd at {} adopted (pid {})", paths.socket, *running);
      return proc;
    }
    log::warn("containerd pid {} does not answer at {}; replacing it", *running, paths.socket);
    terminateProcess(*running, options.stop_grace);
  }

  std::unique_ptr<ContainerdProcess> proc(new ContainerdProcess(std::move(options), paths));
  proc->process_.start();
  auto deadline = SteadyClock::now() + proc->options_.start_timeout;
  for (;;) {
    if (proc->process_.exited()) break;
    if (cri->waitReady(std::chrono::milliseconds(200)).isOk()) {
      log::info("containerd ready at {} (pid {})", paths.socket, proc->pid());
      return proc;
    }
    if (SteadyClock::now() >= deadline) {
      proc->stop();
      return deadlineExceeded("containerd did not answer CRI Version at " + paths.socket +
                              " within " + std::to_string(proc->options_.start_timeout.count()) +
                              " ms; log tail:\n" + fileTail(paths.log_file));
    }
  }
  proc->stop();
  return unavailable("containerd exited during start-up; log tail:\n" + fileTail(paths.log_file));
}

pid_t ContainerdProcess::pid() const {
  return process_.pid();
}

int ContainerdProcess::starts() const {
  return process_.starts();
}

Status ContainerdProcess::waitReady(std::chrono::milliseconds timeout) const {
  return cri::CriRuntime::connect(paths_.socket)->waitReady(timeout);
}

void ContainerdProcess::stop() {
  process_.stop();
}

void ContainerdProcess::release() {
  process_.release();
}

std::string containerdPidFile(const ContainerdPaths& paths) {
  return paths.base_dir + "/containerd.pid";
}

std::optional<pid_t> runningContainerd(const ContainerdPaths& paths) {
  return livePidFromFile(containerdPidFile(paths), {"--config", paths.config_file});
}

bool stopRunningContainerd(const ContainerdPaths& paths, std::chrono::milliseconds grace) {
  auto pid = runningContainerd(paths);
  if (pid) terminateProcess(*pid, grace);
  std::error_code ec;
  fs::remove(containerdPidFile(paths), ec);
  return pid.has_value();
}

DetachedProcessOptions ContainerdProcess::processOptions() const {
  DetachedProcessOptions po;
  if (!options_.netns_path.empty()) {
    po.argv = {options_.nsenter_binary, "--net=" + options_.netns_path, "--"};
  }
  po.argv.push_back(options_.binary);
  po.argv.push_back("--config");
  po.argv.push_back(paths_.config_file);
  po.log_path = paths_.log_file;
  po.pid_file = containerdPidFile(paths_);
  po.name = "containerd";
  po.stop_grace = options_.stop_grace;
  po.max_restart_backoff = options_.max_restart_backoff;
  po.restart_on_exit = options_.restart_on_exit;
  return po;
}

}  // namespace minik8s::node
