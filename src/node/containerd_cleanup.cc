#include "node/containerd_cleanup.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

#include "common/log.h"

extern char** environ;

namespace minik8s::node {

namespace fs = std::filesystem;

namespace {

// Runs argv with stdout/stderr discarded; returns the exit code (-1 on spawn failure).
int runQuiet(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  int rc = ::posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return -1;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::vector<std::string> readCmdline(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::vector<std::string> args;
  std::string arg;
  while (std::getline(in, arg, '\0')) args.push_back(arg);
  return args;
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescapeMountPath(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      int v = (s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0');
      out += static_cast<char>(v);
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

bool isUnder(const std::string& path, const std::string& dir) {
  return path == dir || (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
                         path[dir.size()] == '/');
}

// The stdout of argv (stderr discarded); nullopt when it cannot run or exits non-zero.
std::optional<std::string> runCapture(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return std::nullopt;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  int rc = ::posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(fds[1]);
  std::string out;
  if (rc == 0) {
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fds[0], buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR)) {
      if (n > 0) out.append(buf, static_cast<size_t>(n));
    }
  }
  ::close(fds[0]);
  if (rc != 0) return std::nullopt;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return std::nullopt;
  return out;
}

constexpr char kIptables[] = "/usr/sbin/iptables";
constexpr char kHostportPrefix[] = "CNI-HOSTPORT-";

bool isHostportChain(const std::string& name) {
  return name.rfind(kHostportPrefix, 0) == 0;
}

}  // namespace

std::vector<std::string> splitIptablesLine(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  bool in_quotes = false, have = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (in_quotes) {
      if (c == '\\' && i + 1 < line.size()) {
        cur += line[++i];
      } else if (c == '"') {
        in_quotes = false;
      } else {
        cur += c;
      }
    } else if (c == '"') {
      in_quotes = have = true;
    } else if (c == ' ' || c == '\t' || c == '\n') {
      if (have) out.push_back(cur);
      cur.clear();
      have = false;
    } else {
      cur += c;
      have = true;
    }
  }
  if (have) out.push_back(cur);
  return out;
}

std::vector<std::vector<std::string>> unusedHostportChainCommands(const std::string& nat_rules) {
  std::vector<std::string> chains;
  std::vector<std::vector<std::string>> jumps;
  std::istringstream in(nat_rules);
  std::string line;
  while (std::getline(in, line)) {
    auto args = splitIptablesLine(line);
    if (args.size() == 2 && args[0] == "-N" && isHostportChain(args[1])) {
      chains.push_back(args[1]);
      continue;
    }
    if (args.size() < 2 || args[0] != "-A") continue;
    if (args[1] == "CNI-HOSTPORT-DNAT") return {};  // a pod still maps a host port
    if (isHostportChain(args[1])) continue;         // flushed with its chain
    for (size_t i = 2; i + 1 < args.size(); ++i) {
      if (args[i] == "-j" && isHostportChain(args[i + 1])) {
        std::vector<std::string> del = {"-t", "nat", "-D"};
        del.insert(del.end(), args.begin() + 1, args.end());
        jumps.push_back(std::move(del));
        break;
      }
    }
  }
  std::vector<std::vector<std::string>> out = std::move(jumps);
  for (const auto& c : chains) out.push_back({"-t", "nat", "-F", c});
  for (const auto& c : chains) out.push_back({"-t", "nat", "-X", c});
  return out;
}

std::vector<std::string> hostportChains() {
  std::vector<std::string> out;
  auto rules = runCapture({kIptables, "-t", "nat", "-S"});
  if (!rules) return out;
  std::istringstream in(*rules);
  std::string line;
  while (std::getline(in, line)) {
    auto args = splitIptablesLine(line);
    if (args.size() == 2 && args[0] == "-N" && isHostportChain(args[1])) out.push_back(args[1]);
  }
  return out;
}

Result<int> removeAllPodSandboxes(cri::Runtime& runtime) {
  ASSIGN_OR_RETURN(auto sandboxes, runtime.listPodSandbox({}));
  int removed = 0;
  for (const auto& sb : sandboxes) {
    RETURN_IF_ERROR(runtime.stopPodSandbox(sb.id));
    RETURN_IF_ERROR(runtime.removePodSandbox(sb.id));
    ++removed;
  }
  return removed;
}

std::vector<pid_t> findShimPids(const std::string& containerd_socket) {
  std::vector<pid_t> pids;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit)) continue;
    pid_t pid = static_cast<pid_t>(std::stol(name));
    auto args = readCmdline(pid);
    if (args.empty() || args[0].find("containerd-shim") == std::string::npos) continue;
    for (size_t i = 0; i + 1 < args.size(); ++i) {
      if (args[i] == "-address" && args[i + 1] == containerd_socket) {
        pids.push_back(pid);
        break;
      }
    }
  }
  return pids;
}

std::vector<std::string> mountsUnder(const std::string& dir) {
  std::vector<std::string> out;
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string id, parent, devno, root, mount_point;
    ls >> id >> parent >> devno >> root >> mount_point;
    std::string path = unescapeMountPath(mount_point);
    if (isUnder(path, dir)) out.push_back(path);
  }
  // Deepest first; the same path may be mounted more than once.
  std::stable_sort(out.begin(), out.end(),
                   [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  return out;
}

std::vector<std::string> cgroupDirsOf(const std::string& cgroup_parent) {
  std::vector<std::string> out;
  if (cgroup_parent.empty() || cgroup_parent == "/") return out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/sys/fs/cgroup", ec)) {
    if (entry.is_symlink(ec) || !entry.is_directory(ec)) continue;
    fs::path dir = entry.path().string() + cgroup_parent;
    if (fs::is_directory(dir, ec)) out.push_back(dir.string());
  }
  return out;
}

bool linkExists(const std::string& name, const std::string& netns_path) {
  if (netns_path.empty()) return fs::exists("/sys/class/net/" + name);
  return runQuiet({"/usr/bin/nsenter", "--net=" + netns_path, "/usr/sbin/ip", "link", "show", "dev",
                   name}) == 0;
}

NodeCleanupReport cleanupContainerdNode(const ContainerdPaths& paths,
                                        const NodeCleanupOptions& options) {
  NodeCleanupReport report;
  // 1. Shims that outlived their pods (e.g. the daemon died first).
  for (pid_t pid : findShimPids(paths.socket)) {
    if (::kill(pid, SIGKILL) == 0) ++report.shims_killed;
  }
  for (int i = 0; i < 100 && !findShimPids(paths.socket).empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  // 2. Mounts: rootfs overlays, sandbox /dev/shm, netns bind mounts.
  for (const auto& m : mountsUnder(paths.base_dir)) {
    if (::umount2(m.c_str(), MNT_DETACH) == 0) {
      ++report.unmounted;
    } else if (errno != EINVAL && errno != ENOENT) {
      report.problems.push_back("umount " + m + ": " + std::strerror(errno));
    }
  }
  // 3. Pod cgroups: containerd removes the leaves, the kubelet owns the parents.
  for (const auto& dir : cgroupDirsOf(options.cgroup_parent)) {
    std::vector<fs::path> dirs;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(dir, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (it->is_directory(ec) && !it->is_symlink(ec)) dirs.push_back(it->path());
    }
    std::sort(dirs.begin(), dirs.end(), [](const fs::path& a, const fs::path& b) {
      return a.string().size() > b.string().size();
    });
    dirs.push_back(dir);
    for (const auto& d : dirs) {
      if (::rmdir(d.c_str()) == 0) {
        ++report.cgroups_removed;
      } else if (errno != ENOENT) {
        report.problems.push_back("rmdir " + d.string() + ": " + std::strerror(errno));
      }
    }
  }
  // 4. The CNI bridge (host-local leases go with the base dir).
  if (!options.bridge.empty() && linkExists(options.bridge, options.netns_path)) {
    std::vector<std::string> cmd;
    if (!options.netns_path.empty()) {
      cmd = {"/usr/bin/nsenter", "--net=" + options.netns_path};
    }
    for (const char* a : {"/usr/sbin/ip", "link", "del", "dev"}) cmd.push_back(a);
    cmd.push_back(options.bridge);
    report.bridge_deleted = runQuiet(cmd) == 0;
    if (!report.bridge_deleted) report.problems.push_back("ip link del " + options.bridge);
  }
  // 5. portmap's host chains, once no pod on this host maps a port.
  if (options.unused_hostport_chains && ::access(kIptables, X_OK) == 0) {
    if (auto rules = runCapture({kIptables, "-w", "5", "-t", "nat", "-S"})) {
      for (auto cmd : unusedHostportChainCommands(*rules)) {
        std::string text;
        for (const auto& a : cmd) text += " " + a;
        cmd.insert(cmd.begin(), {kIptables, "-w", "5"});
        if (runQuiet(cmd) == 0) {
          ++report.iptables_rules_removed;
        } else {
          report.problems.push_back("iptables" + text);
        }
      }
    }
  }
  // 6. The instance's files.
  if (options.remove_base_dir) {
    std::error_code ec;
    fs::remove_all(paths.base_dir, ec);
    if (ec) report.problems.push_back("removing " + paths.base_dir + ": " + ec.message());
  }
  for (const auto& p : report.problems) log::warn("node cleanup: {}", p);
  return report;
}

}  // namespace minik8s::node
