#include "scheduler/node_info.h"

#include <algorithm>

namespace minik8s::scheduler {

void Resources::add(const Resources& other) {
  milli_cpu += other.milli_cpu;
  memory += other.memory;
  ephemeral_storage += other.ephemeral_storage;
  for (const auto& [name, v] : other.scalar) scalar[name] += v;
}

void Resources::subtract(const Resources& other) {
  milli_cpu -= other.milli_cpu;
  memory -= other.memory;
  ephemeral_storage -= other.ephemeral_storage;
  for (const auto& [name, v] : other.scalar) {
    if ((scalar[name] -= v) == 0) scalar.erase(name);
  }
}

void Resources::setMax(const Resources& other) {
  milli_cpu = std::max(milli_cpu, other.milli_cpu);
  memory = std::max(memory, other.memory);
  ephemeral_storage = std::max(ephemeral_storage, other.ephemeral_storage);
  for (const auto& [name, v] : other.scalar) scalar[name] = std::max(scalar[name], v);
}

Resources resourcesOf(const api::ResourceList& list) {
  Resources r;
  for (const auto& [name, q] : list) {
    if (name == "cpu") {
      r.milli_cpu = q.milliValue();
    } else if (name == "memory") {
      r.memory = q.value();
    } else if (name == "ephemeral-storage") {
      r.ephemeral_storage = q.value();
    } else if (name != "pods") {
      r.scalar[name] = q.value();
    }
  }
  return r;
}

namespace {

Resources containerRequests(const api::Container& c, bool non_zero) {
  Resources r = resourcesOf(c.resources.requests);
  // A limit without a request defaults the request (API defaulting may not have run).
  for (const auto& [name, q] : c.resources.limits) {
    if (c.resources.requests.count(name)) continue;
    api::ResourceList one{{name, q}};
    Resources l = resourcesOf(one);
    if (name == "cpu") r.milli_cpu = l.milli_cpu;
    if (name == "memory") r.memory = l.memory;
  }
  if (non_zero) {
    if (!c.resources.requests.count("cpu") && !c.resources.limits.count("cpu")) {
      r.milli_cpu = kDefaultMilliCpuRequest;
    }
    if (!c.resources.requests.count("memory") && !c.resources.limits.count("memory")) {
      r.memory = kDefaultMemoryRequest;
    }
  }
  return r;
}

}  // namespace

Resources podRequests(const api::Pod& pod, bool non_zero) {
  Resources total;
  for (const auto& c : pod.spec.containers) total.add(containerRequests(c, non_zero));
  Resources sidecars;
  Resources init_max;
  for (const auto& c : pod.spec.init_containers) {
    Resources r = containerRequests(c, non_zero);
    if (c.restart_policy == "Always") {
      sidecars.add(r);
      total.add(r);
    } else {
      r.add(sidecars);
      init_max.setMax(r);
    }
  }
  total.setMax(init_max);
  if (pod.spec.resources) {
    const auto& requests = pod.spec.resources->requests;
    if (auto it = requests.find("cpu"); it != requests.end())
      total.milli_cpu = it->second.milliValue();
    if (auto it = requests.find("memory"); it != requests.end()) total.memory = it->second.value();
  }
  return total;
}

std::vector<HostPort> podHostPorts(const api::Pod& pod) {
  std::vector<HostPort> out;
  auto collect = [&](const std::vector<api::Container>& containers) {
    for (const auto& c : containers) {
      for (const auto& p : c.ports) {
        if (p.host_port <= 0) continue;
        out.push_back({p.host_ip, p.protocol.empty() ? "TCP" : p.protocol, p.host_port});
      }
    }
  };
  collect(pod.spec.init_containers);
  collect(pod.spec.containers);
  return out;
}

bool hostPortsConflict(const HostPort& a, const HostPort& b) {
  if (a.port != b.port) return false;
  std::string pa = a.protocol.empty() ? "TCP" : a.protocol;
  std::string pb = b.protocol.empty() ? "TCP" : b.protocol;
  if (pa != pb) return false;
  auto any = [](const std::string& ip) { return ip.empty() || ip == "0.0.0.0" || ip == "::"; };
  return any(a.ip) || any(b.ip) || a.ip == b.ip;
}

bool podOccupiesNode(const api::Pod& pod) {
  return !pod.spec.node_name.empty() && pod.status.phase != "Succeeded" &&
         pod.status.phase != "Failed";
}

bool NodeInfo::addPod(std::shared_ptr<const api::Pod> pod) {
  if (!podOccupiesNode(*pod)) return false;
  requested.add(podRequests(*pod));
  non_zero_requested.add(podRequests(*pod, true));
  for (auto& p : podHostPorts(*pod)) used_ports.push_back(std::move(p));
  pods.push_back(std::move(pod));
  return true;
}

bool NodeInfo::removePod(const std::string& namespace_, const std::string& name) {
  auto it = std::find_if(pods.begin(), pods.end(), [&](const auto& p) {
    return p->metadata.name == name && p->metadata.namespace_ == namespace_;
  });
  if (it == pods.end()) return false;
  requested.subtract(podRequests(**it));
  non_zero_requested.subtract(podRequests(**it, true));
  pods.erase(it);
  used_ports.clear();
  for (const auto& pod : pods) {
    for (auto& p : podHostPorts(*pod)) used_ports.push_back(std::move(p));
  }
  return true;
}

void NodeInfo::setNode(std::shared_ptr<const api::Node> new_node) {
  allocatable = resourcesOf(new_node->status.allocatable);
  allowed_pods = -1;
  if (auto it = new_node->status.allocatable.find("pods");
      it != new_node->status.allocatable.end()) {
    allowed_pods = it->second.value();
  }
  node = std::move(new_node);
}

NodeInfo makeNodeInfo(std::shared_ptr<const api::Node> node,
                      std::vector<std::shared_ptr<const api::Pod>> pods) {
  NodeInfo info;
  info.setNode(std::move(node));
  for (auto& pod : pods) info.addPod(std::move(pod));
  return info;
}

}  // namespace minik8s::scheduler
