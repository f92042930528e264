#include "kubelet/dns_config.h"

#include <algorithm>
#include <sstream>

namespace minik8s::kubelet {

namespace {

enum class DnsType { kCluster, kHost, kNone };

DnsType dnsTypeOf(const api::Pod& pod) {
  const std::string& policy = pod.spec.dns_policy;
  if (policy == "None") return DnsType::kNone;
  if (policy == "Default") return DnsType::kHost;
  if (policy == "ClusterFirstWithHostNet") return DnsType::kCluster;
  // ClusterFirst, and "" (defaulted to it).
  return pod.spec.host_network ? DnsType::kHost : DnsType::kCluster;
}

void appendUnique(std::vector<std::string>& to, const std::vector<std::string>& more) {
  for (const auto& s : more) {
    if (std::find(to.begin(), to.end(), s) == to.end()) to.push_back(s);
  }
}

std::string optionName(const std::string& option) {
  return option.substr(0, option.find(':'));
}

// Options by name: a later one replaces an earlier one of the same name in place.
void mergeOptions(std::vector<std::string>& to, const std::vector<api::PodDnsConfigOption>& more) {
  for (const auto& o : more) {
    std::string option = o.value ? o.name + ":" + *o.value : o.name;
    auto same = std::find_if(to.begin(), to.end(),
                             [&](const std::string& have) { return optionName(have) == o.name; });
    if (same != to.end()) {
      *same = option;
    } else {
      to.push_back(option);
    }
  }
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : " ") + s;
  return out;
}

}  // namespace

ResolvConf parseResolvConf(std::string_view text) {
  ResolvConf conf;
  std::istringstream in{std::string(text)};
  for (std::string line; std::getline(in, line);) {
    if (auto hash = line.find_first_of("#;"); hash != std::string::npos) line.resize(hash);
    std::istringstream words(line);
    std::string keyword;
    if (!(words >> keyword)) continue;
    std::vector<std::string> args;
    for (std::string w; words >> w;) args.push_back(w);
    if (keyword == "nameserver" && !args.empty()) {
      conf.nameservers.push_back(args.front());
    } else if (keyword == "search" || keyword == "domain") {
      conf.searches.clear();
      for (auto& a : args) {
        if (a.size() > 1 && a.back() == '.') a.pop_back();
        if (a != ".") conf.searches.push_back(a);
      }
    } else if (keyword == "options") {
      for (const auto& a : args) {
        auto same = std::find_if(conf.options.begin(), conf.options.end(),
                                 [&](const std::string& o) { return optionName(o) == optionName(a); });
        if (same != conf.options.end()) {
          *same = a;
        } else {
          conf.options.push_back(a);
        }
      }
    }
  }
  return conf;
}

PodDns podDns(const api::Pod& pod, const ClusterDns& cluster, const ResolvConf& host) {
  PodDns out;
  DnsType type = dnsTypeOf(pod);
  if (type == DnsType::kCluster && cluster.servers.empty()) {
    std::string policy = pod.spec.dns_policy.empty() ? "ClusterFirst" : pod.spec.dns_policy;
    out.warnings.emplace_back(
        "MissingClusterDNS",
        "pod: \"" + pod.metadata.name + "_" + pod.metadata.namespace_ + "(" + pod.metadata.uid +
            ")\". kubelet does not have ClusterDNS IP configured and cannot create Pod using \"" +
            policy + "\" policy. Falling back to \"Default\" policy.");
    type = DnsType::kHost;
  }
  cri::DnsConfig& dns = out.config;
  switch (type) {
    case DnsType::kCluster:
      dns.servers = cluster.servers;
      if (!cluster.domain.empty()) {
        const std::string& ns = pod.metadata.namespace_;
        dns.searches = {ns + ".svc." + cluster.domain, "svc." + cluster.domain, cluster.domain};
      }
      appendUnique(dns.searches, host.searches);
      dns.options = {"ndots:5"};
      break;
    case DnsType::kHost:
      dns.servers = host.nameservers;
      dns.searches = host.searches;
      dns.options = host.options;
      break;
    case DnsType::kNone:
      break;
  }
  if (pod.spec.dns_config) {
    appendUnique(dns.servers, pod.spec.dns_config->nameservers);
    appendUnique(dns.searches, pod.spec.dns_config->searches);
    mergeOptions(dns.options, pod.spec.dns_config->options);
  }
  if (dns.servers.size() > kMaxDnsNameservers) {
    dns.servers.resize(kMaxDnsNameservers);
    out.warnings.emplace_back("DNSConfigForming",
                              "Nameserver limits were exceeded, some nameservers have been "
                              "omitted, the applied nameserver line is: " +
                                  joined(dns.servers));
  }
  size_t chars = 0, keep = 0;
  for (; keep < dns.searches.size() && keep < kMaxDnsSearchPaths; ++keep) {
    size_t more = dns.searches[keep].size() + (keep > 0 ? 1 : 0);
    if (chars + more > kMaxDnsSearchListChars) break;
    chars += more;
  }
  if (keep < dns.searches.size()) {
    dns.searches.resize(keep);
    out.warnings.emplace_back("DNSConfigForming",
                              "Search Line limits were exceeded, some search paths have been "
                              "omitted, the applied search line is: " +
                                  joined(dns.searches));
  }
  return out;
}

}  // namespace minik8s::kubelet
