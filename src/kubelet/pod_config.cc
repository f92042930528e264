#include "kubelet/pod_config.h"

#include <algorithm>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "api/codec.h"
#include "image/reference.h"

namespace minik8s::kubelet {
namespace {

cri::NamespaceOptions namespaceOptions(const api::PodSpec& spec) {
  cri::NamespaceOptions ns;
  ns.network = spec.host_network ? cri::NamespaceMode::kNode : cri::NamespaceMode::kPod;
  ns.pid = spec.host_pid ? cri::NamespaceMode::kNode
           : spec.share_process_namespace.value_or(false) ? cri::NamespaceMode::kPod
                                                          : cri::NamespaceMode::kContainer;
  ns.ipc = spec.host_ipc ? cri::NamespaceMode::kNode : cri::NamespaceMode::kPod;
  return ns;
}

cri::Protocol protocolOf(const std::string& protocol) {
  if (protocol == "UDP") return cri::Protocol::kUdp;
  if (protocol == "SCTP") return cri::Protocol::kSctp;
  return cri::Protocol::kTcp;
}

cri::Labels podLabels(const api::Pod& pod) {
  return {{kPodNameLabel, pod.metadata.name},
          {kPodNamespaceLabel, pod.metadata.namespace_},
          {kPodUidLabel, pod.metadata.uid}};
}

// "metadata.labels['app']" → "app" for prefix "metadata.labels".
std::optional<std::string> subscript(const std::string& path, const std::string& prefix) {
  if (path.rfind(prefix + "['", 0) != 0 || path.size() < prefix.size() + 4) return std::nullopt;
  if (path.substr(path.size() - 2) != "']") return std::nullopt;
  return path.substr(prefix.size() + 2, path.size() - prefix.size() - 4);
}

Result<std::string> fieldValue(const api::Pod& pod, const std::string& path,
                               const PodIdentity& identity) {
  const auto& md = pod.metadata;
  if (path == "metadata.name") return md.name;
  if (path == "metadata.namespace") return md.namespace_;
  if (path == "metadata.uid") return md.uid;
  if (path == "spec.nodeName") return identity.node_name;
  if (path == "spec.serviceAccountName") return pod.spec.service_account_name;
  if (path == "status.hostIP" || path == "status.hostIPs") return identity.host_ip;
  if (path == "status.podIP" || path == "status.podIPs") return identity.pod_ip;
  if (auto key = subscript(path, "metadata.labels")) {
    auto it = md.labels.find(*key);
    return it == md.labels.end() ? std::string() : it->second;
  }
  if (auto key = subscript(path, "metadata.annotations")) {
    auto it = md.annotations.find(*key);
    return it == md.annotations.end() ? std::string() : it->second;
  }
  return invalid("unsupported fieldRef fieldPath \"" + path + "\"");
}

// An unset limit reads as the node's allocatable, an unset request as 0 (as Kubernetes).
Result<std::string> resourceValue(const api::Container& container,
                                  const api::ResourceFieldSelector& ref,
                                  const api::ResourceList& node_allocatable) {
  bool is_limit = ref.resource.rfind("limits.", 0) == 0;
  std::string name = ref.resource.substr(ref.resource.find('.') + 1);
  auto valid = [&](const api::ResourceList& list) -> const api::Quantity* {
    auto it = list.find(name);
    return it != list.end() && it->second.isValid() ? &it->second : nullptr;
  };
  const api::Quantity* quantity =
      valid(is_limit ? container.resources.limits : container.resources.requests);
  if (quantity == nullptr && is_limit) quantity = valid(node_allocatable);
  if (quantity == nullptr) return std::string("0");
  if (name == "cpu") {
    int64_t divisor_milli = ref.divisor.isValid() ? ref.divisor.milliValue() : 1000;
    if (divisor_milli <= 0) divisor_milli = 1000;
    int64_t milli = quantity->milliValue();
    return std::to_string((milli + divisor_milli - 1) / divisor_milli);
  }
  int64_t divisor = ref.divisor.isValid() ? ref.divisor.value() : 1;
  if (divisor <= 0) divisor = 1;
  return std::to_string((quantity->value() + divisor - 1) / divisor);
}

Status configError(const std::string& message) {
  return Status(Code::kInvalid, message);
}

int64_t cpuMilli(const api::ResourceList& list) {
  auto it = list.find("cpu");
  return it != list.end() && it->second.isValid() ? it->second.milliValue() : -1;
}

int64_t memoryBytes(const api::ResourceList& list) {
  auto it = list.find("memory");
  return it != list.end() && it->second.isValid() ? it->second.value() : -1;
}

}  // namespace

uint32_t restartCountOf(const cri::Labels& annotations) {
  auto it = annotations.find(kRestartCountAnnotation);
  if (it == annotations.end()) return 0;
  try {
    return static_cast<uint32_t>(std::stoul(it->second));
  } catch (...) {
    return 0;
  }
}

std::string NodePaths::logDir(const api::Pod& pod) const {
  return data_dir + "/logs/" + pod.metadata.namespace_ + "_" + pod.metadata.name + "_" +
         pod.metadata.uid;
}

cri::PodSandboxConfig makeSandboxConfig(const api::Pod& pod, const NodePaths& paths,
                                        uint32_t attempt) {
  cri::PodSandboxConfig config;
  config.metadata = {pod.metadata.name, pod.metadata.uid, pod.metadata.namespace_, attempt};
  std::string hostname = pod.spec.hostname.empty() ? pod.metadata.name : pod.spec.hostname;
  config.hostname = hostname.substr(0, 63);
  config.log_directory = paths.logDir(pod);
  for (const auto& c : pod.spec.containers) {
    for (const auto& port : c.ports) {
      if (port.host_port <= 0) continue;
      config.port_mappings.push_back(
          {protocolOf(port.protocol), port.container_port, port.host_port, port.host_ip});
    }
  }
  config.labels = podLabels(pod);
  for (const auto& [k, v] : pod.metadata.labels) config.labels.emplace(k, v);
  config.annotations = pod.metadata.annotations;
  config.cgroup_parent = paths.podCgroup(pod.metadata.uid);
  config.namespace_options = namespaceOptions(pod.spec);
  return config;
}

std::string containerHash(const api::Container& container) {
  // FNV-1a over the container's JSON: stable across kubelet restarts and builds.
  std::string text = api::toJson(container).dump();
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

std::string expandVars(const std::string& text,
                       const std::map<std::string, std::string>& vars) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '$' || i + 1 >= text.size()) {
      out += text[i];
      continue;
    }
    if (text[i + 1] == '$') {
      out += '$';
      ++i;
      continue;
    }
    if (text[i + 1] == '(') {
      size_t close = text.find(')', i + 2);
      if (close != std::string::npos) {
        std::string name = text.substr(i + 2, close - i - 2);
        auto it = vars.find(name);
        if (it != vars.end()) {
          out += it->second;
          i = close;
          continue;
        }
      }
    }
    out += text[i];
  }
  return out;
}

Result<std::vector<std::pair<std::string, std::string>>> resolveEnv(
    const api::Pod& pod, const api::Container& container, const PodIdentity& identity,
    const ObjectLookup& lookup) {
  std::vector<std::pair<std::string, std::string>> env;
  std::map<std::string, std::string> vars;
  auto set = [&](const std::string& name, const std::string& value) {
    auto it = std::find_if(env.begin(), env.end(), [&](const auto& e) { return e.first == name; });
    if (it != env.end()) {
      it->second = value;
    } else {
      env.emplace_back(name, value);
    }
    vars[name] = value;
  };
  for (const auto& from : container.env_from) {
    const api::EnvFromRef* ref = from.config_map_ref ? &*from.config_map_ref
                                 : from.secret_ref    ? &*from.secret_ref
                                                      : nullptr;
    if (ref == nullptr) continue;
    std::string kind = from.config_map_ref ? "configmap" : "secret";
    auto object = lookup(kind, ref->name);
    if (!object) {
      if (ref->optional.value_or(false)) continue;
      return configError(kind + " \"" + ref->name + "\" not found");
    }
    for (const auto& [k, v] : object->data) set(from.prefix + k, v);
  }
  for (const auto& e : container.env) {
    if (!e.value_from) {
      set(e.name, expandVars(e.value, vars));
      continue;
    }
    const auto& src = *e.value_from;
    if (src.field_ref) {
      ASSIGN_OR_RETURN(std::string value, fieldValue(pod, src.field_ref->field_path, identity));
      set(e.name, value);
    } else if (src.resource_field_ref) {
      ASSIGN_OR_RETURN(std::string value, resourceValue(container, *src.resource_field_ref,
                                                          identity.node_allocatable));
      set(e.name, value);
    } else if (src.config_map_key_ref || src.secret_key_ref) {
      const auto& ref = src.config_map_key_ref ? *src.config_map_key_ref : *src.secret_key_ref;
      std::string kind = src.config_map_key_ref ? "configmap" : "secret";
      auto object = lookup(kind, ref.name);
      auto it = object ? object->data.find(ref.key) : decltype(object->data.end()){};
      if (!object || it == object->data.end()) {
        if (ref.optional.value_or(false)) continue;
        if (!object) return configError(kind + " \"" + ref.name + "\" not found");
        return configError("couldn't find key " + ref.key + " in " + (kind == "configmap" ? "ConfigMap " : "Secret ") +
                           pod.metadata.namespace_ + "/" + ref.name);
      }
      set(e.name, it->second);
    }
  }
  return env;
}

cri::LinuxResources containerResources(const api::ResourceRequirements& resources) {
  cri::LinuxResources r;
  int64_t cpu_limit = cpuMilli(resources.limits);
  int64_t cpu_request = cpuMilli(resources.requests);
  if (cpu_request < 0) cpu_request = cpu_limit;  // requests default to limits
  r.cpu_shares = cpu_request < 0 ? 2 : std::max<int64_t>(2, cpu_request * 1024 / 1000);
  if (cpu_limit > 0) {
    r.cpu_period = kCpuPeriod;
    r.cpu_quota = std::max<int64_t>(1000, cpu_limit * kCpuPeriod / 1000);
  }
  int64_t memory_limit = memoryBytes(resources.limits);
  if (memory_limit > 0) r.memory_limit_in_bytes = memory_limit;
  return r;
}

Result<cri::ContainerConfig> makeContainerConfig(const api::Pod& pod,
                                                 const api::Container& container,
                                                 uint32_t restart_count,
                                                 const VolumePaths& volumes,
                                                 const PodIdentity& identity,
                                                 const ObjectLookup& lookup) {
  cri::ContainerConfig config;
  config.metadata = {container.name, restart_count};
  auto image = image::normalizeImageName(container.image);
  config.image = image.isOk() ? *image : container.image;
  ASSIGN_OR_RETURN(config.envs, resolveEnv(pod, container, identity, lookup));
  std::map<std::string, std::string> vars(config.envs.begin(), config.envs.end());
  for (const auto& c : container.command) config.command.push_back(expandVars(c, vars));
  for (const auto& a : container.args) config.args.push_back(expandVars(a, vars));
  config.working_dir = container.working_dir;
  for (const auto& m : container.volume_mounts) {
    auto it = volumes.find(m.name);
    if (it == volumes.end()) {
      return configError("volume \"" + m.name + "\" of volumeMount " + m.mount_path +
                         " is not defined or not supported");
    }
    std::string host = it->second;
    if (!m.sub_path.empty()) host += "/" + m.sub_path;
    cri::Mount mount;
    mount.container_path = m.mount_path;
    mount.host_path = host;
    mount.readonly = m.read_only;
    if (m.mount_propagation == "HostToContainer") {
      mount.propagation = cri::MountPropagation::kHostToContainer;
    } else if (m.mount_propagation == "Bidirectional") {
      mount.propagation = cri::MountPropagation::kBidirectional;
    }
    config.mounts.push_back(mount);
  }
  config.labels = podLabels(pod);
  config.labels[kContainerNameLabel] = container.name;
  config.annotations[kRestartCountAnnotation] = std::to_string(restart_count);
  config.annotations[kContainerHashAnnotation] = containerHash(container);
  config.annotations[kGracePeriodAnnotation] =
      std::to_string(pod.spec.termination_grace_period_seconds.value_or(30));
  config.log_path = container.name + "/" + std::to_string(restart_count) + ".log";
  config.stdin = container.stdin;
  config.stdin_once = container.stdin_once;
  config.tty = container.tty;
  config.resources = containerResources(container.resources);
  config.namespace_options = namespaceOptions(pod.spec);
  return config;
}

PodCgroupLimits podCgroupLimits(const api::Pod& pod) {
  PodCgroupLimits limits;
  if (pod.spec.resources) {
    int64_t mem = memoryBytes(pod.spec.resources->limits);
    int64_t cpu = cpuMilli(pod.spec.resources->limits);
    int64_t cpu_req = cpuMilli(pod.spec.resources->requests);
    if (mem > 0) limits.memory_bytes = mem;
    if (cpu > 0) limits.cpu_quota = std::max<int64_t>(1000, cpu * kCpuPeriod / 1000);
    if (cpu_req < 0) cpu_req = cpu;
    if (cpu_req > 0) limits.cpu_shares = std::max<int64_t>(2, cpu_req * 1024 / 1000);
    if (mem > 0 || cpu > 0) return limits;
  }
  int64_t mem_sum = 0, cpu_sum = 0, req_sum = 0;
  bool all_mem = !pod.spec.containers.empty(), all_cpu = all_mem;
  for (const auto& c : pod.spec.containers) {
    int64_t mem = memoryBytes(c.resources.limits);
    int64_t cpu = cpuMilli(c.resources.limits);
    int64_t req = cpuMilli(c.resources.requests);
    if (mem > 0) mem_sum += mem; else all_mem = false;
    if (cpu > 0) cpu_sum += cpu; else all_cpu = false;
    req_sum += req > 0 ? req : (cpu > 0 ? cpu : 0);
  }
  if (all_mem) limits.memory_bytes = mem_sum;
  if (all_cpu) limits.cpu_quota = std::max<int64_t>(1000, cpu_sum * kCpuPeriod / 1000);
  if (req_sum > 0) limits.cpu_shares = std::max<int64_t>(2, req_sum * 1024 / 1000);
  return limits;
}

namespace {

// Limits for cpu and memory, and requests (when given) equal to them.
bool guaranteedResources(const api::ResourceRequirements& r) {
  for (const char* name : {"cpu", "memory"}) {
    auto lim = r.limits.find(name);
    if (lim == r.limits.end() || !lim->second.isValid()) return false;
    auto req = r.requests.find(name);
    if (req != r.requests.end() && req->second.isValid() &&
        req->second.milliValue() != lim->second.milliValue()) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string qosClass(const api::Pod& pod) {
  std::vector<const api::ResourceRequirements*> containers;
  for (const auto& c : pod.spec.init_containers) containers.push_back(&c.resources);
  for (const auto& c : pod.spec.containers) containers.push_back(&c.resources);
  auto set = [](const api::ResourceRequirements* r) {
    return !r->limits.empty() || !r->requests.empty();
  };
  // Pod-level resources, when given, decide alone (Kubernetes' PodLevelResources).
  if (pod.spec.resources && set(&*pod.spec.resources)) {
    return guaranteedResources(*pod.spec.resources) ? "Guaranteed" : "Burstable";
  }
  if (std::none_of(containers.begin(), containers.end(), set)) return "BestEffort";
  bool guaranteed = std::all_of(containers.begin(), containers.end(),
                                [](const auto* r) { return guaranteedResources(*r); });
  return guaranteed ? "Guaranteed" : "Burstable";
}

}  // namespace minik8s::kubelet
