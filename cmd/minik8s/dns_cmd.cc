#include "cmd/minik8s/dns_cmd.h"

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "client/informer.h"
#include "client/rest_client.h"
#include "cmd/minik8s/cmd_util.h"
#include "cmd/minik8s/signals.h"
#include "common/files.h"
#include "common/log.h"
#include "dns/cluster_records.h"
#include "dns/forward.h"
#include "dns/records.h"
#include "dns/server.h"

namespace minik8s::cmd {
namespace {

struct DnsFlags {
  std::string server;
  std::string kubeconfig;
  std::string context;
  std::string listen = "0.0.0.0:53";
  std::string cluster_domain = "cluster.local";
  uint32_t ttl = dns::kDefaultTtl;
  std::vector<std::string> upstreams;
  std::string resolv_conf = "/etc/resolv.conf";
  size_t cache_size = 10000;
  int threads = 2;
  std::string log_level = "info";
};

int runDns(const DnsFlags& flags) {
  log::setLevel(flags.log_level);
  blockStopSignals();

  if (Status s = dns::validateZone(flags.cluster_domain); !s.isOk()) {
    return reportError("--cluster-domain: " + s.message());
  }
  dns::DnsServerOptions options;
  options.listen = flags.listen;
  options.cache_size = flags.cache_size;
  options.threads = flags.threads;
  std::vector<std::string> upstreams = flags.upstreams;
  if (upstreams.empty()) {
    auto text = readFile(flags.resolv_conf);
    if (text.isOk()) {
      upstreams = dns::resolvConfNameservers(*text);
    } else {
      log::warn("dns: --resolv-conf: {}", text.status().message());
    }
  }
  for (const auto& text : upstreams) {
    auto up = dns::parseUpstream(text);
    if (!up.isOk()) return reportError("--upstream: " + up.status().message());
    options.upstreams.push_back(*up);
  }
  if (options.upstreams.empty()) log::warn("dns: no upstream; names outside the cluster fail");

  auto client = connectComponent(flags.server, flags.kubeconfig, flags.context, "minik8s-dns");
  if (!client.isOk()) return reportError(client.status().message());
  dns::DnsServer server(options);
  client::SharedInformerFactory informers(**client);
  dns::ClusterRecords records(informers, flags.cluster_domain, flags.ttl,
                              [&server](auto r) { server.setRecords(std::move(r)); });
  // As CoreDNS does, wait up to 5 s for the first lists before serving, so that a restart
  // does not answer NXDOMAIN for names that exist; then serve what is known.
  records.start();
  informers.start();
  if (!informers.waitForCacheSync(std::chrono::seconds(5))) {
    log::warn("dns: informers not synced after 5 s; serving what is known");
  }
  records.rebuildNow();
  if (Status s = server.start(); !s.isOk()) return reportError(s.toString());
  int sig = waitForStopSignal();
  log::info("dns: signal {} received, stopping", sig);
  server.stop();
  records.stop();
  informers.stop();
  return 0;
}

}  // namespace

void addDnsCommand(CLI::App& app) {
  auto flags = std::make_shared<DnsFlags>();
  CLI::App* cmd = app.add_subcommand(
      "dns", "cluster DNS: Kubernetes DNS records for Services and Pods, other names forwarded");
  cmd->add_option("-s,--server", flags->server, "apiserver URL (overrides the kubeconfig)");
  cmd->add_option("--kubeconfig", flags->kubeconfig, "kubeconfig file");
  cmd->add_option("--context", flags->context, "kubeconfig context");
  cmd->add_option("--listen", flags->listen, "address:port for UDP and TCP")
      ->capture_default_str();
  cmd->add_option("--cluster-domain", flags->cluster_domain, "the zone served")
      ->capture_default_str();
  cmd->add_option("--ttl", flags->ttl, "TTL of cluster records, seconds (CoreDNS' default)")
      ->capture_default_str()
      ->check(CLI::Range(0, 3600));
  cmd->add_option("--upstream", flags->upstreams,
                  "upstream resolvers, address[:port] (default: the nameservers of --resolv-conf)");
  cmd->add_option("--resolv-conf", flags->resolv_conf, "where the default upstreams come from")
      ->capture_default_str();
  cmd->add_option("--cache-size", flags->cache_size, "forwarded replies kept")
      ->capture_default_str();
  cmd->add_option("--threads", flags->threads, "I/O threads")->capture_default_str()
      ->check(CLI::Range(1, 64));
  cmd->add_option("--log-level", flags->log_level, "debug, info, warn, error")
      ->capture_default_str();
  cmd->callback([flags] { std::exit(runDns(*flags)); });
}

}  // namespace minik8s::cmd
