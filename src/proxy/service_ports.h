// What the proxy programs, one entry per Service port: the Service's addresses and policies
// with its endpoints gathered from the Service's EndpointSlices. Pure functions; the
// renderer (iptables_render.h) and the syncer (proxier.h) read these, never api types.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "api/types_core.h"
#include "api/types_discovery.h"

namespace minik8s::proxy {

// One backend address of one Service port (discovery/v1 conditions, nil read as Kubernetes
// does: ready nil = ready, serving nil = ready, terminating nil = false).
struct ProxyEndpoint {
  std::string ip;
  int32_t port = 0;
  std::string node_name;
  bool ready = true;
  bool serving = true;
  bool terminating = false;

  std::string address() const { return ip + ":" + std::to_string(port); }  // "10.244.0.5:80"
  bool operator==(const ProxyEndpoint&) const = default;
};

inline constexpr int32_t kDefaultAffinitySeconds = 10800;  // Kubernetes' ClientIP default

struct ServicePortInfo {
  std::string ns;
  std::string name;
  std::string port_name;  // "" for an unnamed port
  std::string protocol;   // TCP, UDP, SCTP
  std::string cluster_ip;
  int32_t port = 0;
  int32_t node_port = 0;                  // 0: none
  std::vector<std::string> external_ips;  // spec.externalIPs and LoadBalancer ingress IPs
  int32_t affinity_seconds = 0;           // > 0: sessionAffinity ClientIP
  bool internal_local = false;            // internalTrafficPolicy: Local
  bool external_local = false;            // externalTrafficPolicy: Local
  std::vector<ProxyEndpoint> endpoints;   // every endpoint, sorted by address, no duplicates

  // kube-proxy's ServicePortName: "ns/name:port", or "ns/name" for an unnamed port.
  std::string servicePortName() const;
  bool hasExternal() const { return node_port > 0 || !external_ips.empty(); }
  bool operator==(const ServicePortInfo&) const = default;
};

// Every proxied Service port, sorted by servicePortName then protocol. Left out: headless
// Services (clusterIP None), ExternalName, Services without an IPv4 cluster IP, and
// EndpointSlices that are not IPv4. A slice belongs to the Service its
// kubernetes.io/service-name label names in its namespace; its port matches a Service port
// by name and protocol.
std::vector<ServicePortInfo> buildServicePorts(
    const std::vector<std::shared_ptr<const api::Service>>& services,
    const std::vector<std::shared_ptr<const api::EndpointSlice>>& slices);

// kube-proxy's CategorizeEndpoints: the endpoints cluster-wide traffic may use (ready ones;
// when none is ready, the serving terminating ones) and those on `node_name` (same rule
// applied to the node's own).
struct CategorizedEndpoints {
  std::vector<ProxyEndpoint> cluster;
  std::vector<ProxyEndpoint> local;
};
CategorizedEndpoints categorizeEndpoints(const std::vector<ProxyEndpoint>& endpoints,
                                         const std::string& node_name);

}  // namespace minik8s::proxy
