// The proxy's sync cost at scale: 1,000 Services × 10 endpoints (issue 10's figure), rendered
// and applied with the real iptables-restore inside a private network namespace (the host's
// rules are never touched). Measures, over 5 rounds (median, min, max):
//   render     renderIptables alone (pure);
//   full       iptables-save ×2 + render + iptables-restore of everything (Proxier::sync(true));
//   change     one endpoint replaced, then a partial sync (Proxier::sync(false));
//   noop       a partial sync with nothing changed (nothing read, rendered or restored);
//   save_both_tables, restore_only   the parts of a full sync;
// and the rule count. Prints the numbers and appends one JSON line to RESULTS. Needs root.
// Run: build/bench/proxy_sync_bench [bench/results.jsonl] [--services N] [--endpoints M]
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/clock.h"
#include "proxy/iptables.h"
#include "proxy/iptables_render.h"
#include "proxy/proxier.h"
#include "run_info.h"

namespace {

using namespace minik8s;
using Steady = std::chrono::steady_clock;

double ms(Steady::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

nlohmann::json summary(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return {{"p50_ms", v[v.size() / 2]}, {"min_ms", v.front()}, {"max_ms", v.back()}};
}

std::string endpointIp(int service, int endpoint) {
  int n = service * 16 + endpoint;  // 10.200.0.0/16 and up
  return "10." + std::to_string(200 + n / 65536) + "." + std::to_string((n / 256) % 256) + "." +
         std::to_string(n % 256);
}

api::EndpointSlice sliceOf(int service, int endpoints, int first = 0) {
  api::EndpointSlice s;
  s.metadata.namespace_ = "default";
  s.metadata.name = "svc-" + std::to_string(service) + "-x";
  s.metadata.labels[api::kLabelServiceName] = "svc-" + std::to_string(service);
  s.address_type = "IPv4";
  s.ports.push_back({.name = "http", .protocol = "TCP", .port = 8080});
  for (int e = first; e < first + endpoints; ++e) {
    api::Endpoint ep;
    ep.addresses = {endpointIp(service, e)};
    ep.conditions.ready = true;
    ep.node_name = "node-a";
    s.endpoints.push_back(ep);
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  std::string results;
  int services = 1000, endpoints = 10, rounds = 5;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--services" && i + 1 < argc)
      services = std::atoi(argv[++i]);
    else if (a == "--endpoints" && i + 1 < argc)
      endpoints = std::atoi(argv[++i]);
    else
      results = a;
  }
  if (::geteuid() != 0) {
    std::fprintf(stderr, "proxy_sync_bench: needs root (it creates a network namespace)\n");
    return 1;
  }
  nlohmann::json line = bench::runInfo();
  line["bench"] = "proxy_sync";
  line["date"] = formatRfc3339(std::chrono::system_clock::now());
  line["services"] = services;
  line["endpoints_per_service"] = endpoints;
  int errors = 0;

  std::string ns = "mkpbench" + std::to_string(::getpid());
  auto created = proxy::runCommand({"ip", "netns", "add", ns}, "");
  if (!created.isOk() || created->exit_code != 0) {
    std::fprintf(stderr, "proxy_sync_bench: ip netns add %s failed\n", ns.c_str());
    return 1;
  }
  {
    proxy::ExecIptables iptables({"ip", "netns", "exec", ns});
    client::ObjectCache<api::Service> service_cache;
    client::ObjectCache<api::EndpointSlice> slice_cache;
    for (int s = 0; s < services; ++s) {
      api::Service svc;
      svc.metadata.namespace_ = "default";
      svc.metadata.name = "svc-" + std::to_string(s);
      svc.spec.type = "ClusterIP";
      svc.spec.cluster_ip = "10.96." + std::to_string(s / 250) + "." + std::to_string(s % 250 + 1);
      api::ServicePort port;
      port.name = "http";
      port.protocol = "TCP";
      port.port = 80;
      svc.spec.ports.push_back(port);
      service_cache.add(svc);
      slice_cache.add(sliceOf(s, endpoints));
    }
    proxy::ProxierOptions options;
    options.render.node_name = "node-a";
    proxy::Proxier proxier(service_cache, slice_cache, iptables, options);

    std::vector<double> render, full, change, noop;
    int rules = 0;
    for (int r = 0; r < rounds; ++r) {
      auto ports = proxy::buildServicePorts(service_cache.list(), slice_cache.list());
      auto t0 = Steady::now();
      std::string text = proxy::renderIptables(ports, options.render, {});
      render.push_back(ms(Steady::now() - t0));
      rules = proxy::countRules(text);

      t0 = Steady::now();
      Status s = proxier.sync(true);
      full.push_back(ms(Steady::now() - t0));
      if (!s.isOk()) ++errors, std::fprintf(stderr, "full sync: %s\n", s.toString().c_str());

      slice_cache.add(sliceOf(r % services, endpoints, r + 1));  // one endpoint replaced
      t0 = Steady::now();
      s = proxier.sync(false);
      change.push_back(ms(Steady::now() - t0));
      if (!s.isOk()) ++errors, std::fprintf(stderr, "change sync: %s\n", s.toString().c_str());

      t0 = Steady::now();
      s = proxier.sync(false);
      noop.push_back(ms(Steady::now() - t0));
      if (!s.isOk()) ++errors, std::fprintf(stderr, "no-op sync: %s\n", s.toString().c_str());
    }
    // Where a full sync's time goes: the two iptables-save calls and the restore alone.
    std::vector<double> save, restore;
    for (int r = 0; r < rounds; ++r) {
      auto t0 = Steady::now();
      auto filter = iptables.save("filter");
      auto nat = iptables.save("nat");
      save.push_back(ms(Steady::now() - t0));
      if (!filter.isOk() || !nat.isOk()) {
        ++errors;
        continue;
      }
      auto existing = proxy::parseIptablesSave(*filter + *nat);
      std::string text =
          proxy::renderIptables(proxy::buildServicePorts(service_cache.list(), slice_cache.list()),
                                options.render, existing);
      t0 = Steady::now();
      Status s = iptables.restore(text);
      restore.push_back(ms(Steady::now() - t0));
      if (!s.isOk()) ++errors;
    }
    line["save_both_tables"] = summary(save);
    line["restore_only"] = summary(restore);
    line["rules"] = rules;
    line["render"] = summary(render);
    line["full_sync"] = summary(full);
    line["change_sync"] = summary(change);
    line["noop_sync"] = summary(noop);
    line["restores"] = proxier.restores();
  }
  auto deleted = proxy::runCommand({"ip", "netns", "del", ns}, "");
  if (!deleted.isOk() || deleted->exit_code != 0) ++errors;
  line["errors"] = errors;
  line["load_after"] = bench::loadAverage();
  std::printf("%s\n", line.dump(2).c_str());
  if (!results.empty()) std::ofstream(results, std::ios::app) << line.dump() << "\n";
  return errors == 0 ? 0 : 1;
}
