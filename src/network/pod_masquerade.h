// The pod network's iptables rules, flannel's two rule sets each in a chain of our own:
// masquerade for pod traffic that leaves the cluster, when the node's CNI bridge does not
// (ipMasq false with a cross-node backend),
//
//   nat POSTROUTING → MINIK8S-POD-MASQ:
//     -s <podCIDR> -d <clusterCIDR> -j RETURN      (pod → pod, any node: keep the source)
//     -s <podCIDR> -d 224.0.0.0/4 -j RETURN        (multicast)
//     -s <podCIDR> -j MASQUERADE                   (everything else: out of the cluster)
//
// and forwarding of pod traffic on a host whose FORWARD policy is DROP (Docker sets it),
// flannel's FLANNEL-FWD:
//
//   filter FORWARD → MINIK8S-POD-FORWARD:
//     -s <clusterCIDR> -j ACCEPT
//     -d <clusterCIDR> -j ACCEPT
//
// Each chain is jumped to once, appended to the built-in chain, and written through the
// service proxy's iptables seam (proxy::Iptables: iptables-save, one iptables-restore
// --noflush transaction). The render functions are pure; ensure/remove are
// the thin effects. Idempotent: ensure writes only when the chain or the jump differs.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "proxy/iptables.h"
#include "proxy/iptables_render.h"

namespace minik8s::network {

inline constexpr char kPodMasqueradeChain[] = "MINIK8S-POD-MASQ";
inline constexpr char kPodForwardChain[] = "MINIK8S-POD-FORWARD";

struct PodMasquerade {
  std::string pod_cidr;      // this node's spec.podCIDR
  std::string cluster_cidr;  // the whole pod range (--proxy-cluster-cidr)
};

// The rules of our chain as iptables-save prints them ("-A MINIK8S-POD-MASQ ..."), or
// kInvalid for a bad CIDR.
Result<std::vector<std::string>> podMasqueradeRules(const PodMasquerade& masquerade);

// The restore transaction that makes `existing` hold our chain with exactly these rules and
// one jump from nat POSTROUTING; "" when it already does.
Result<std::string> renderPodMasquerade(const PodMasquerade& masquerade,
                                        const proxy::IptablesState& existing);

// Deletes the jumps to our chain, then flushes and deletes it; "" when there is none.
std::string renderPodMasqueradeCleanup(const proxy::IptablesState& existing);

// iptables-save -t nat → render → iptables-restore when needed.
Status ensurePodMasquerade(proxy::Iptables& iptables, const PodMasquerade& masquerade);
Status removePodMasquerade(proxy::Iptables& iptables);

// The same for the forward chain, in the filter table: its rules ("-A MINIK8S-POD-FORWARD
// ..."), the restore text for one jump from filter FORWARD ("" when in place), the cleanup,
// and iptables-save -t filter → render → iptables-restore.
Result<std::vector<std::string>> podForwardRules(const std::string& cluster_cidr);
Result<std::string> renderPodForward(const std::string& cluster_cidr,
                                     const proxy::IptablesState& existing);
std::string renderPodForwardCleanup(const proxy::IptablesState& existing);
Status ensurePodForward(proxy::Iptables& iptables, const std::string& cluster_cidr);
Status removePodForward(proxy::Iptables& iptables);

}  // namespace minik8s::network
