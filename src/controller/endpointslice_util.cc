#include "controller/endpointslice_util.h"

#include <algorithm>

namespace minik8s::controller {

bool serviceHasSelector(const api::Service& svc) {
  return !svc.spec.selector.empty() && svc.spec.type != "ExternalName";
}

api::LabelSelector serviceSelector(const api::Service& svc) {
  if (svc.spec.selector.empty()) return api::LabelSelector::nothing();
  nlohmann::json map = nlohmann::json::object();
  for (const auto& [k, v] : svc.spec.selector) map[k] = v;
  auto parsed = api::LabelSelector::fromMap(map);
  return parsed.isOk() ? std::move(parsed).value() : api::LabelSelector::nothing();
}

bool isHeadlessService(const api::Service& svc) {
  return svc.spec.cluster_ip.empty() || svc.spec.cluster_ip == "None";
}

bool shouldPodBeInEndpoints(const api::Pod& pod, bool include_terminating) {
  if (pod.status.phase == "Succeeded" || pod.status.phase == "Failed") return false;
  if (pod.status.pod_ip.empty() && pod.status.pod_ips.empty()) return false;
  if (!include_terminating && !pod.metadata.deletion_timestamp.empty()) return false;
  return true;
}

bool shouldSetHostname(const api::Pod& pod, const api::Service& svc) {
  return !pod.spec.hostname.empty() && pod.spec.subdomain == svc.metadata.name &&
         pod.metadata.namespace_ == svc.metadata.namespace_;
}

std::optional<int32_t> findPort(const api::Pod& pod, const api::ServicePort& port) {
  api::IntOrString target = port.target_port.value_or(api::IntOrString::ofInt(port.port));
  if (!target.is_string) return target.int_value;
  const std::string protocol = port.protocol.empty() ? "TCP" : port.protocol;
  auto search = [&](const std::vector<api::Container>& containers,
                    bool sidecars_only) -> std::optional<int32_t> {
    for (const auto& c : containers) {
      if (sidecars_only && c.restart_policy != "Always") continue;
      for (const auto& p : c.ports) {
        const std::string p_protocol = p.protocol.empty() ? "TCP" : p.protocol;
        if (p.name == target.str_value && p_protocol == protocol) return p.container_port;
      }
    }
    return std::nullopt;
  };
  if (auto found = search(pod.spec.containers, false)) return found;
  return search(pod.spec.init_containers, true);
}

bool isIpv6(std::string_view ip) {
  return ip.find(':') != std::string_view::npos;
}

std::vector<std::string> podIpsOfFamily(const api::Pod& pod, std::string_view family) {
  std::vector<std::string> ips;
  for (const auto& p : pod.status.pod_ips) ips.push_back(p.ip);
  if (ips.empty() && !pod.status.pod_ip.empty()) ips.push_back(pod.status.pod_ip);
  std::erase_if(
      ips, [&](const std::string& ip) { return ip.empty() || isIpv6(ip) != (family == "IPv6"); });
  return ips;
}

std::pair<bool, bool> podEndpointsChanged(const api::Pod& old_pod, const api::Pod& pod) {
  bool labels_changed = old_pod.metadata.labels != pod.metadata.labels ||
                        old_pod.spec.hostname != pod.spec.hostname ||
                        old_pod.spec.subdomain != pod.spec.subdomain;
  auto ips = [](const api::Pod& p) {
    std::vector<std::string> out;
    for (const auto& ip : p.status.pod_ips) out.push_back(ip.ip);
    if (out.empty() && !p.status.pod_ip.empty()) out.push_back(p.status.pod_ip);
    return out;
  };
  auto finished = [](const api::Pod& p) {
    return p.status.phase == "Succeeded" || p.status.phase == "Failed";
  };
  bool changed = old_pod.metadata.deletion_timestamp != pod.metadata.deletion_timestamp ||
                 isPodReady(old_pod) != isPodReady(pod) || ips(old_pod) != ips(pod) ||
                 finished(old_pod) != finished(pod) || old_pod.spec.node_name != pod.spec.node_name;
  return {changed, labels_changed};
}

std::set<std::string> podServiceMemberships(const client::Lister<api::Service>& services,
                                            const api::Pod& pod) {
  std::set<std::string> out;
  for (const auto& svc : services.listNamespace(pod.metadata.namespace_)) {
    if (svc->spec.selector.empty()) continue;
    if (serviceSelector(*svc).matches(pod.metadata.labels)) out.insert(keyOf(svc->metadata));
  }
  return out;
}

std::set<std::string> servicesToUpdateOnPodChange(const client::Lister<api::Service>& services,
                                                  const api::Pod& old_pod, const api::Pod& pod) {
  if (old_pod.metadata.resource_version == pod.metadata.resource_version) return {};
  auto [pod_changed, labels_changed] = podEndpointsChanged(old_pod, pod);
  if (!pod_changed && !labels_changed) return {};
  std::set<std::string> now = podServiceMemberships(services, pod);
  if (!labels_changed) return now;
  std::set<std::string> before = podServiceMemberships(services, old_pod);
  std::set<std::string> out;
  if (pod_changed) {
    out = now;
    out.insert(before.begin(), before.end());
    return out;
  }
  std::set_symmetric_difference(before.begin(), before.end(), now.begin(), now.end(),
                                std::inserter(out, out.end()));
  return out;
}

std::optional<Clock::WallTime> TriggerTimeTracker::compute(const api::Service& svc,
                                                           const std::vector<PodPtr>& pods) {
  const std::string key = keyOf(svc.metadata);
  State state;
  bool known = false;
  {
    std::lock_guard lock(mu_);
    if (auto it = states_.find(key); it != states_.end()) {
      state = it->second;
      known = true;
    }
  }
  std::optional<Clock::WallTime> min_changed;
  auto consider = [&](Clock::WallTime t) {
    if (!min_changed || t < *min_changed) min_changed = t;
  };
  State next;
  for (const auto& pod : pods) {
    const api::Condition* ready = findCondition(pod->status.conditions, "Ready");
    Clock::WallTime t;
    if (!ready || !parseRfc3339(ready->last_transition_time, &t)) continue;
    next.pod_times[pod->metadata.name] = t;
    auto before = state.pod_times.find(pod->metadata.name);
    if (before == state.pod_times.end() || t > before->second) consider(t);
  }
  Clock::WallTime created;
  if (parseRfc3339(svc.metadata.creation_timestamp, &created)) {
    next.service_time = created;
    if (!state.service_time || created > *state.service_time) consider(created);
  }
  {
    std::lock_guard lock(mu_);
    states_[key] = next;
  }
  if (!known) return next.service_time;
  return min_changed;
}

void TriggerTimeTracker::deleteService(const std::string& key) {
  std::lock_guard lock(mu_);
  states_.erase(key);
}

}  // namespace minik8s::controller
