#include "kubelet/pod_cgroups.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

namespace minik8s::kubelet {
namespace fs = std::filesystem;
namespace {

Status writeValue(const fs::path& file, const std::string& value) {
  std::ofstream out(file);
  out << value;
  out.flush();
  if (!out) return internalError("writing " + value + " to " + file.string());
  return Status::ok();
}

}  // namespace

Status ensurePodCgroup(const std::string& cgroup, const PodCgroupLimits& limits,
                       const std::string& mount) {
  std::error_code ec;
  for (const char* controller : {"memory", "cpu", "cpuacct", "pids"}) {
    fs::path base = fs::path(mount) / controller;
    if (!fs::is_directory(base, ec)) continue;
    fs::create_directories(base.string() + cgroup, ec);
    if (ec) return internalError("creating cgroup " + base.string() + cgroup + ": " + ec.message());
  }
  fs::path memory = fs::path(mount) / "memory";
  if (limits.memory_bytes && fs::is_directory(memory.string() + cgroup, ec)) {
    RETURN_IF_ERROR(writeValue(memory.string() + cgroup + "/memory.limit_in_bytes",
                               std::to_string(*limits.memory_bytes)));
  }
  fs::path cpu = fs::path(mount) / "cpu";
  if (fs::is_directory(cpu.string() + cgroup, ec)) {
    if (limits.cpu_quota) {
      RETURN_IF_ERROR(writeValue(cpu.string() + cgroup + "/cpu.cfs_period_us", std::to_string(kCpuPeriod)));
      RETURN_IF_ERROR(writeValue(cpu.string() + cgroup + "/cpu.cfs_quota_us", std::to_string(*limits.cpu_quota)));
    }
    if (limits.cpu_shares > 0) {
      RETURN_IF_ERROR(writeValue(cpu.string() + cgroup + "/cpu.shares", std::to_string(limits.cpu_shares)));
    }
  }
  return Status::ok();
}

Status removePodCgroup(const std::string& cgroup, const std::string& mount) {
  std::error_code ec;
  Status result = Status::ok();
  for (auto it = fs::directory_iterator(mount, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    fs::path dir = it->path().string() + cgroup;
    if (!fs::is_directory(dir)) continue;
    std::vector<fs::path> dirs;
    std::error_code walk_ec;
    for (auto sub = fs::recursive_directory_iterator(dir, walk_ec);
         !walk_ec && sub != fs::recursive_directory_iterator(); sub.increment(walk_ec)) {
      if (sub->is_directory()) dirs.push_back(sub->path());
    }
    std::sort(dirs.begin(), dirs.end(), [](const auto& a, const auto& b) {
      return a.string().size() > b.string().size();
    });
    dirs.push_back(dir);
    for (const auto& d : dirs) {
      if (::rmdir(d.c_str()) != 0 && errno != ENOENT) {
        result = internalError("removing cgroup " + d.string() + ": " + std::strerror(errno));
      }
    }
  }
  return result;
}

}  // namespace minik8s::kubelet
