// `minik8s proxy`: flag wiring for the iptables service proxy (logic in src/proxy). The
// agent runs the same proxy beside its kubelet with the same flags, prefixed.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "http/http_server.h"
#include "proxy/proxier.h"

namespace minik8s::cmd {

struct ProxyFlags {
  std::string service_cluster_ip_range = "10.96.0.0/12";
  std::string cluster_cidr;  // "": the agent uses its node's podCIDR
  std::vector<std::string> nodeport_addresses;
  bool localhost_nodeports = true;
  bool masquerade_all = false;
  std::string balance = "random";
  std::string sync_period = "30s";
  std::string min_sync_period = "1s";
  std::string metrics_bind_address;  // "": no /metrics endpoint (kube-proxy: 127.0.0.1:10249)
};

// Registers the proxy's flags on `cmd`, each name prefixed by `prefix` ("" for `proxy`,
// "proxy-" for the agent, whose --balance would otherwise read as the kubelet's).
void addProxyFlags(CLI::App& cmd, ProxyFlags& flags, const std::string& prefix);

// The Proxier's options from the flags, for the node `node_name`; kInvalidArgument names
// the bad flag.
Result<proxy::ProxierOptions> proxierOptions(const ProxyFlags& flags, const std::string& prefix,
                                             const std::string& node_name);

// Serves `metrics` as GET /metrics on `address` (HOST:PORT, port 0 picks one) until the
// returned server is stopped or destroyed; the caller keeps `metrics` alive meanwhile.
Result<std::unique_ptr<http::HttpServer>> startProxyMetricsServer(
    const std::string& address, const proxy::ProxyMetrics& metrics);

// Adds `proxy` to `app`; its callback runs the proxy until SIGINT/SIGTERM, or with
// --cleanup removes the proxy's rules and exits.
void addProxyCommand(CLI::App& app);

}  // namespace minik8s::cmd
