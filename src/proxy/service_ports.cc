#include "proxy/service_ports.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

namespace minik8s::proxy {
namespace {

bool isIpv4(const std::string& ip) {
  return !ip.empty() && ip.find(':') == std::string::npos && ip != "None";
}

int32_t affinitySeconds(const api::ServiceSpec& spec) {
  if (spec.session_affinity != "ClientIP") return 0;
  int32_t seconds = kDefaultAffinitySeconds;
  if (!spec.session_affinity_config.isNull()) {
    const nlohmann::json& config = spec.session_affinity_config.get();
    if (config.is_object() && config.contains("clientIP") && config["clientIP"].is_object()) {
      const nlohmann::json& client_ip = config["clientIP"];
      if (client_ip.contains("timeoutSeconds") && client_ip["timeoutSeconds"].is_number_integer()) {
        seconds = client_ip["timeoutSeconds"].get<int32_t>();
      }
    }
  }
  return seconds > 0 ? seconds : kDefaultAffinitySeconds;
}

std::string orTcp(const std::string& protocol) {
  return protocol.empty() ? "TCP" : protocol;
}

}  // namespace

std::string ServicePortInfo::servicePortName() const {
  std::string out = ns + "/" + name;
  if (!port_name.empty()) out += ":" + port_name;
  return out;
}

std::vector<ServicePortInfo> buildServicePorts(
    const std::vector<std::shared_ptr<const api::Service>>& services,
    const std::vector<std::shared_ptr<const api::EndpointSlice>>& slices) {
  // "ns/service" → its IPv4 slices.
  std::map<std::string, std::vector<const api::EndpointSlice*>> slices_of;
  for (const auto& slice : slices) {
    if (!slice || slice->address_type != "IPv4") continue;
    auto label = slice->metadata.labels.find(api::kLabelServiceName);
    if (label == slice->metadata.labels.end()) continue;
    slices_of[slice->metadata.namespace_ + "/" + label->second].push_back(slice.get());
  }

  std::vector<ServicePortInfo> out;
  for (const auto& service : services) {
    if (!service) continue;
    const api::ServiceSpec& spec = service->spec;
    if (spec.type == "ExternalName" || !isIpv4(spec.cluster_ip)) continue;
    std::vector<std::string> external_ips;
    for (const auto& ip : spec.external_ips) {
      if (isIpv4(ip)) external_ips.push_back(ip);
    }
    if (spec.type == "LoadBalancer") {
      for (const auto& ingress : service->status.load_balancer.ingress) {
        if (isIpv4(ingress.ip)) external_ips.push_back(ingress.ip);
      }
    }
    std::sort(external_ips.begin(), external_ips.end());
    external_ips.erase(std::unique(external_ips.begin(), external_ips.end()), external_ips.end());
    const auto& own_slices = slices_of[service->metadata.namespace_ + "/" + service->metadata.name];

    for (const api::ServicePort& port : spec.ports) {
      ServicePortInfo info;
      info.ns = service->metadata.namespace_;
      info.name = service->metadata.name;
      info.port_name = port.name;
      info.protocol = orTcp(port.protocol);
      info.cluster_ip = spec.cluster_ip;
      info.port = port.port;
      info.node_port =
          (spec.type == "NodePort" || spec.type == "LoadBalancer") ? port.node_port : 0;
      info.external_ips = external_ips;
      info.affinity_seconds = affinitySeconds(spec);
      info.internal_local = spec.internal_traffic_policy.value_or("Cluster") == "Local";
      info.external_local = spec.external_traffic_policy == "Local";

      std::map<std::string, ProxyEndpoint> by_address;
      for (const api::EndpointSlice* slice : own_slices) {
        std::optional<int32_t> target;
        for (const auto& slice_port : slice->ports) {
          if (slice_port.name.value_or("") == port.name &&
              orTcp(slice_port.protocol.value_or("")) == info.protocol && slice_port.port) {
            target = *slice_port.port;
            break;
          }
        }
        if (!target) continue;
        for (const api::Endpoint& endpoint : slice->endpoints) {
          if (endpoint.addresses.empty()) continue;
          ProxyEndpoint ep;
          ep.ip = endpoint.addresses.front();  // Kubernetes uses only the first address
          ep.port = *target;
          ep.node_name = endpoint.node_name.value_or("");
          ep.ready = endpoint.conditions.ready.value_or(true);
          ep.serving = endpoint.conditions.serving.value_or(ep.ready);
          ep.terminating = endpoint.conditions.terminating.value_or(false);
          // The same address in two slices (a pod moving between them): keep the readier.
          auto [it, inserted] = by_address.emplace(ep.address(), ep);
          if (!inserted && ep.ready && !it->second.ready) it->second = ep;
        }
      }
      for (auto& [address, ep] : by_address) info.endpoints.push_back(std::move(ep));
      out.push_back(std::move(info));
    }
  }
  std::sort(out.begin(), out.end(), [](const ServicePortInfo& a, const ServicePortInfo& b) {
    return std::pair(a.servicePortName(), a.protocol) < std::pair(b.servicePortName(), b.protocol);
  });
  return out;
}

CategorizedEndpoints categorizeEndpoints(const std::vector<ProxyEndpoint>& endpoints,
                                         const std::string& node_name) {
  auto pick = [&](bool local_only) {
    std::vector<ProxyEndpoint> ready, fallback;
    for (const auto& ep : endpoints) {
      if (local_only && ep.node_name != node_name) continue;
      if (ep.ready)
        ready.push_back(ep);
      else if (ep.serving && ep.terminating)
        fallback.push_back(ep);
    }
    return ready.empty() ? fallback : ready;
  };
  CategorizedEndpoints out;
  out.cluster = pick(false);
  out.local = pick(true);
  return out;
}

}  // namespace minik8s::proxy
