// Pod DNS: the resolv.conf a pod's sandbox gets, computed as Kubernetes' kubelet does
// (pkg/kubelet/network/dns) from the pod's dnsPolicy and dnsConfig, the kubelet's
// --cluster-dns / --cluster-domain, and the host's resolv.conf (--resolv-conf). Pure and
// table-tested; the kubelet reads the host file and records the warnings as Events.
//
// - ClusterFirst (the default): the cluster DNS servers, the searches
//   <ns>.svc.<domain> svc.<domain> <domain> then the host's, and ndots:5. A hostNetwork
//   pod gets Default instead, unless its policy is ClusterFirstWithHostNet. Without
//   --cluster-dns the pod falls back to Default (Event MissingClusterDNS).
// - Default: the host's nameservers, searches and options.
// - None: nothing but the pod's dnsConfig.
// - dnsConfig is then merged in: nameservers and searches appended without duplicates,
//   options by name (the pod's value wins).
// - Limits (Event DNSConfigForming when trimmed): 3 nameservers, 32 search domains of at
//   most 2,048 characters in all.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "api/types_core.h"
#include "cri/types.h"

namespace minik8s::kubelet {

struct ResolvConf {
  std::vector<std::string> nameservers;
  std::vector<std::string> searches;
  std::vector<std::string> options;  // "ndots:5", "edns0", ...
};

// The nameserver, search/domain and options lines of a resolv.conf (comments and other
// lines ignored; the last search or domain line wins, as the resolver reads it).
ResolvConf parseResolvConf(std::string_view text);

struct ClusterDns {
  std::vector<std::string> servers;        // --cluster-dns
  std::string domain = "cluster.local";    // --cluster-domain ("" : no cluster searches)
};

struct PodDns {
  cri::DnsConfig config;
  // Events for the pod: {reason, message}, e.g. MissingClusterDNS, DNSConfigForming.
  std::vector<std::pair<std::string, std::string>> warnings;
};

inline constexpr size_t kMaxDnsNameservers = 3;
inline constexpr size_t kMaxDnsSearchPaths = 32;
inline constexpr size_t kMaxDnsSearchListChars = 2048;

PodDns podDns(const api::Pod& pod, const ClusterDns& cluster, const ResolvConf& host);

}  // namespace minik8s::kubelet
