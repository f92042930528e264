#include "kubelet/node_info.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "kubelet/conditions.h"

namespace minik8s::kubelet {
namespace {

std::string firstLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

std::string osImage() {
  std::ifstream in("/etc/os-release");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("PRETTY_NAME=", 0) == 0) {
      std::string v = line.substr(12);
      if (v.size() >= 2 && v.front() == '"') v = v.substr(1, v.size() - 2);
      return v;
    }
  }
  return "Linux";
}

std::string kubeArch(const std::string& machine) {
  if (machine == "x86_64") return "amd64";
  if (machine == "aarch64") return "arm64";
  return machine;
}

api::Condition nodeCondition(const api::Node& previous, const std::string& type, bool value,
                             const std::string& reason, const std::string& message,
                             const std::string& now) {
  api::Condition c = makeCondition(previous.status.conditions, type, value, reason, message, now);
  c.last_heartbeat_time = now;
  return c;
}

}  // namespace

HostInfo readHostInfo() {
  HostInfo info;
  info.cpus = std::max<unsigned>(1, std::thread::hardware_concurrency());
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  int64_t kib = 0;
  std::string unit;
  while (meminfo >> key >> kib >> unit) {
    if (key == "MemTotal:") {
      info.memory_bytes = kib * 1024;
      break;
    }
  }
  struct utsname u {};
  if (uname(&u) == 0) {
    info.kernel_version = u.release;
    info.architecture = kubeArch(u.machine);
    info.hostname = u.nodename;
  }
  info.os_image = osImage();
  info.machine_id = firstLine("/etc/machine-id");
  return info;
}

api::ResourceList nodeCapacity(const HostInfo& host) {
  return {{"cpu", api::Quantity::fromInt(host.cpus)},
          {"memory", api::Quantity::parseLenient(std::to_string(host.memory_bytes / 1024) + "Ki")},
          {"pods", api::Quantity::fromInt(110)}};
}

api::Node desiredNode(const NodeConfig& config, const HostInfo& host, const RuntimeHealth& health,
                      const api::Node& previous, const std::string& now) {
  api::Node node = previous;
  node.api_version = "v1";
  node.kind = "Node";
  node.metadata.name = config.node_name;
  node.metadata.labels["kubernetes.io/hostname"] = config.node_name;
  node.metadata.labels["kubernetes.io/os"] = "linux";
  node.metadata.labels["kubernetes.io/arch"] = host.architecture;
  node.metadata.labels["beta.kubernetes.io/os"] = "linux";
  node.metadata.labels["beta.kubernetes.io/arch"] = host.architecture;
  if (!config.pod_cidr.empty()) {
    node.spec.pod_cidr = config.pod_cidr;
    node.spec.pod_cidrs = {config.pod_cidr};
  }
  auto& s = node.status;
  s.capacity = nodeCapacity(host);
  s.allocatable = s.capacity;
  s.addresses = {{"InternalIP", config.node_ip}, {"Hostname", config.node_name}};
  s.daemon_endpoints.kubelet_endpoint.port = config.kubelet_port;
  s.node_info.machine_id = host.machine_id;
  s.node_info.system_uuid = host.machine_id;
  s.node_info.kernel_version = host.kernel_version;
  s.node_info.os_image = host.os_image;
  s.node_info.container_runtime_version = config.runtime_version;
  s.node_info.kubelet_version = config.kubelet_version;
  s.node_info.kube_proxy_version = config.kubelet_version;
  s.node_info.operating_system = "linux";
  s.node_info.architecture = host.architecture;
  s.conditions = {
      nodeCondition(previous, "MemoryPressure", false, "KubeletHasSufficientMemory",
                    "kubelet has sufficient memory available", now),
      nodeCondition(previous, "DiskPressure", false, "KubeletHasNoDiskPressure",
                    "kubelet has no disk pressure", now),
      nodeCondition(previous, "PIDPressure", false, "KubeletHasSufficientPID",
                    "kubelet has sufficient PID available", now),
      nodeCondition(previous, "Ready", health.ready,
                    health.ready ? "KubeletReady" : "KubeletNotReady",
                    health.ready ? "kubelet is posting ready status" : health.message, now),
  };
  return node;
}

}  // namespace minik8s::kubelet
