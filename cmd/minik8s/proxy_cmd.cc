#include "cmd/minik8s/proxy_cmd.h"

#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "client/informer.h"
#include "cmd/minik8s/cmd_util.h"
#include "cmd/minik8s/signals.h"
#include "common/duration.h"
#include "common/ipv4.h"
#include "common/log.h"
#include "proxy/iptables.h"
#include "proxy/proxier.h"

namespace minik8s::cmd {
namespace {

struct ProxyCommandFlags {
  std::string server;
  std::string kubeconfig;
  std::string context;
  std::string hostname_override;
  ProxyFlags proxy;
  bool cleanup = false;
  std::string log_level = "info";
};

int runProxy(const ProxyCommandFlags& flags) {
  log::setLevel(flags.log_level);
  blockStopSignals();
  proxy::ExecIptables iptables;
  if (flags.cleanup) {
    Status s = proxy::cleanupIptables(iptables);
    if (!s.isOk()) return reportError("cleanup: " + s.toString());
    log::info("proxy: removed every rule, chain and UDP conntrack entry of ours");
    return 0;
  }

  auto options = proxierOptions(flags.proxy, "",
                                flags.hostname_override.empty() ? hostName() : flags.hostname_override);
  if (!options.isOk()) return reportError(options.status().message());
  auto client = connectComponent(flags.server, flags.kubeconfig, flags.context, "minik8s-proxy");
  if (!client.isOk()) return reportError(client.status().message());
  client::SharedInformerFactory informers(**client);
  proxy::Proxier proxier(informers, iptables, *options);
  std::unique_ptr<http::HttpServer> metrics;
  if (!flags.proxy.metrics_bind_address.empty()) {
    auto started = startProxyMetricsServer(flags.proxy.metrics_bind_address, proxier.metrics());
    if (!started.isOk())
      return reportError("--metrics-bind-address: " + started.status().message());
    metrics = std::move(*started);
  }
  informers.start();
  proxier.start();
  log::info("proxy: node {}, balance {}, service range {}", options->render.node_name,
            flags.proxy.balance, flags.proxy.service_cluster_ip_range);
  int sig = waitForStopSignal();
  log::info("proxy: signal {} received, stopping (rules stay in place)", sig);
  if (metrics) metrics->stop();
  proxier.stop();
  informers.stop();
  return 0;
}

}  // namespace

Result<std::unique_ptr<http::HttpServer>> startProxyMetricsServer(
    const std::string& address, const proxy::ProxyMetrics& metrics) {
  size_t colon = address.rfind(':');
  if (colon == std::string::npos) return invalid("want HOST:PORT, got " + address);
  int port = 0;
  try {
    port = std::stoi(address.substr(colon + 1));
  } catch (const std::exception&) {
    port = -1;
  }
  if (port < 0 || port > 65535) return invalid("bad port in " + address);
  http::HttpServerOptions options;
  options.bind_address = address.substr(0, colon);
  options.port = static_cast<uint16_t>(port);
  options.io_threads = 1;
  options.worker_threads = 1;
  auto server = http::HttpServer::create(options, [&metrics](http::HttpRequest& request) {
    http::HandlerResult result;
    if (request.method != "GET" || request.path != "/metrics") {
      result.response = http::statusResponse(404, "NotFound", "only GET /metrics is served");
      return result;
    }
    result.response.headers.emplace_back("Content-Type", "text/plain; version=0.0.4");
    result.response.body = metrics.render();
    return result;
  });
  RETURN_IF_ERROR(server->start());
  log::info("proxy: metrics on http://{}:{}/metrics", options.bind_address, server->port());
  return server;
}

Result<proxy::ProxierOptions> proxierOptions(const ProxyFlags& flags, const std::string& prefix,
                                             const std::string& node_name) {
  auto bad = [&](const std::string& flag, const std::string& why) {
    return invalid("--" + prefix + flag + ": " + why);
  };
  proxy::ProxierOptions options;
  auto balance = proxy::parseBalance(flags.balance);
  if (!balance.isOk()) return bad("balance", balance.status().message());
  options.render.balance = *balance;
  if (auto cidr = parseIpv4Cidr(flags.service_cluster_ip_range); !cidr.isOk())
    return bad("service-cluster-ip-range", cidr.status().message());
  if (!flags.cluster_cidr.empty()) {
    if (auto cidr = parseIpv4Cidr(flags.cluster_cidr); !cidr.isOk())
      return bad("cluster-cidr", cidr.status().message());
  }
  options.render.service_cidr = flags.service_cluster_ip_range;
  options.render.cluster_cidr = flags.cluster_cidr;
  options.render.node_port_addresses = flags.nodeport_addresses;
  options.render.localhost_node_ports = flags.localhost_nodeports;
  options.render.masquerade_all = flags.masquerade_all;
  options.render.node_name = node_name;
  auto period = parseDuration(flags.sync_period);
  if (!period.isOk() || period->count() <= 0) return bad("sync-period", "want a positive duration");
  auto min_period = parseDuration(flags.min_sync_period);
  if (!min_period.isOk() || min_period->count() < 0)
    return bad("min-sync-period", "want a duration such as 1s");
  options.sync_period = *period;
  options.min_sync_period = *min_period;
  return options;
}

void addProxyFlags(CLI::App& cmd, ProxyFlags& flags, const std::string& prefix) {
  const std::string p = "--" + prefix;
  cmd.add_option(p + "service-cluster-ip-range", flags.service_cluster_ip_range,
                 "the apiserver's service range; traffic to an unallocated address is rejected")
      ->capture_default_str();
  cmd.add_option(p + "cluster-cidr", flags.cluster_cidr,
                 "pod range: traffic from outside it to a cluster IP is masqueraded");
  cmd.add_option(p + "nodeport-addresses", flags.nodeport_addresses,
                 "addresses NodePorts answer on (default: every local address)")
      ->delimiter(',');
  cmd.add_option(p + "localhost-nodeports", flags.localhost_nodeports,
                 "NodePorts answer on 127.0.0.1 too (sets route_localnet)")
      ->capture_default_str();
  cmd.add_option(p + "masquerade-all", flags.masquerade_all, "SNAT all traffic sent to cluster IPs")
      ->capture_default_str();
  cmd.add_option(p + "balance", flags.balance, "random or round-robin")->capture_default_str();
  cmd.add_option(p + "sync-period", flags.sync_period, "how often a full sync runs")
      ->capture_default_str();
  cmd.add_option(p + "min-sync-period", flags.min_sync_period,
                 "least time between two syncs (changes in between are coalesced)")
      ->capture_default_str();
  cmd.add_option(p + "metrics-bind-address", flags.metrics_bind_address,
                 "HOST:PORT of the proxy's /metrics endpoint (off when empty; port 0 picks one)");
}

void addProxyCommand(CLI::App& app) {
  auto flags = std::make_shared<ProxyCommandFlags>();
  CLI::App* cmd = app.add_subcommand(
      "proxy", "the service proxy: programs iptables for Services (kube-proxy's iptables mode)");
  cmd->add_option("-s,--server", flags->server, "apiserver URL (overrides the kubeconfig)");
  cmd->add_option("--kubeconfig", flags->kubeconfig, "kubeconfig file");
  cmd->add_option("--context", flags->context, "kubeconfig context");
  cmd->add_option("--hostname-override", flags->hostname_override,
                  "this node's name (endpoints with this nodeName are local); default: hostname");
  addProxyFlags(*cmd, flags->proxy, "");
  cmd->add_flag("--cleanup", flags->cleanup,
                "remove every rule, chain and UDP conntrack entry the proxy made, then exit");
  cmd->add_option("--log-level", flags->log_level, "debug, info, warn, error")
      ->capture_default_str();
  cmd->callback([flags] { std::exit(runProxy(*flags)); });
}

}  // namespace minik8s::cmd
