// The iptables renderer: services and endpoints in, the whole `iptables-restore --noflush`
// transaction out (filter and nat tables), with kube-proxy's chain layout:
//
//   nat   PREROUTING/OUTPUT → KUBE-SERVICES: per cluster IP (and external IP) → KUBE-SVC-<h>
//         (or KUBE-SVL-<h> for Local, KUBE-EXT-<h> for external IPs); last, for node-local
//         destinations, → KUBE-NODEPORTS: per NodePort → KUBE-EXT-<h>.
//         KUBE-SVC-<h>: masquerade rule, then one rule per endpoint → KUBE-SEP-<h'> (ClientIP
//         affinity through `-m recent`, then `-m statistic` random or nth).
//         KUBE-SEP-<h'>: hairpin masquerade, DNAT to the endpoint.
//         POSTROUTING → KUBE-POSTROUTING: MASQUERADE what KUBE-MARK-MASQ marked (0x4000).
//   filter OUTPUT/FORWARD → KUBE-SERVICES: REJECT a service port without endpoints (DROP
//         one with endpoints but none local under a Local policy), then REJECT the rest of
//         the service range (unallocated cluster IPs, unserved ports). TCP is rejected with
//         a reset, the rest with icmp-port-unreachable (see reject() in the .cc).
//         INPUT/FORWARD → KUBE-EXTERNAL-SERVICES: the same for NodePorts and external IPs.
//         FORWARD → KUBE-FORWARD; INPUT/OUTPUT → KUBE-FIREWALL (localnet martians).
// Chain names hash the service port name and protocol (and endpoint) as kube-proxy does, so
// they are stable across restarts. Pure: no I/O.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "proxy/service_ports.h"

namespace minik8s::proxy {

enum class Balance { kRandom, kRoundRobin };
Result<Balance> parseBalance(std::string_view text);  // "random", "round-robin"

struct RenderOptions {
  std::string node_name;  // endpoints with this nodeName are local
  // Destinations NodePorts answer on. Empty: every local address (`-m addrtype --dst-type
  // LOCAL`), which includes 127.0.0.1.
  std::vector<std::string> node_port_addresses;
  bool localhost_node_ports = true;           // NodePorts on 127.0.0.1 (needs route_localnet)
  std::string service_cidr = "10.96.0.0/12";  // the apiserver's --service-cluster-ip-range
  std::string cluster_cidr;  // pod range: traffic from outside it to a cluster IP is masqueraded
  bool masquerade_all = false;
  Balance balance = Balance::kRandom;
};

// Chains and rules present now, from iptables-save.
struct IptablesState {
  std::map<std::string, std::set<std::string>> chains;    // table → chain names
  std::map<std::string, std::vector<std::string>> rules;  // table → "-A CHAIN ..." lines
};
IptablesState parseIptablesSave(std::string_view text);

inline constexpr char kMasqueradeMark[] = "0x4000";

// "KUBE-SVC-" + the first 16 base32 characters of sha256(servicePortName + protocol).
std::string serviceChainName(const std::string& prefix, const ServicePortInfo& port);
// "KUBE-SEP-" + the first 16 base32 characters of sha256(name + protocol + "ip:port").
std::string endpointChainName(const ServicePortInfo& port, const ProxyEndpoint& endpoint);

// True for a chain this proxy creates (and may delete): the fixed KUBE-* chains and the
// per-service KUBE-SVC-/SVL-/EXT-/SEP- chains.
bool isOwnChain(const std::string& table, const std::string& chain);

// The rules last written to each per-service chain (KUBE-SVC/SVL/EXT/SEP-*), one string
// per chain: what a partial sync compares against.
using ChainContents = std::map<std::string, std::string>;

// The transaction: every chain of ours re-declared (so flushed and refilled in one step),
// the jumps from the built-in chains that `existing` lacks inserted first, and chains of
// ours that `existing` has and no longer are wanted deleted. With `previous` (a partial
// sync), a per-service chain that `existing` has and whose rules equal `previous`'s is left
// out entirely, as kube-proxy's partial syncs do; the fixed chains (KUBE-SERVICES, ...) are
// always rewritten. `written`, when given, receives every per-service chain's rules.
std::string renderIptables(const std::vector<ServicePortInfo>& ports, const RenderOptions& options,
                           const IptablesState& existing, const ChainContents* previous = nullptr,
                           ChainContents* written = nullptr);

// `--cleanup`: deletes our jumps from the built-in chains, then flushes and deletes every
// chain of ours in `existing`. Empty when there is nothing of ours.
std::string renderCleanup(const IptablesState& existing);

// Number of "-A" rules in a restore text (for logs and benchmarks).
int countRules(std::string_view restore_text);

}  // namespace minik8s::proxy
