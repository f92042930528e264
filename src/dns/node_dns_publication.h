// How pods reach a node-local cluster DNS (the agent's --run-dns): through the Service
// kube-system/kube-dns at the cluster DNS address, whose endpoints are one EndpointSlice per
// node, "kube-dns-<node>", naming that node's DNS address. Every agent publishes its own
// slice, and creates the Service when nobody has yet.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "client/client.h"
#include "common/status.h"

namespace minik8s::dns {

struct NodeDnsPublication {
  std::string node_name;
  std::string cluster_ip;  // the kube-dns Service's address (the first --cluster-dns)
  std::string address;     // where this node's DNS server answers
};

// The Service kube-system/kube-dns: UDP and TCP port 53 at `cluster_ip`.
nlohmann::json kubeDnsService(const std::string& cluster_ip);
// This node's EndpointSlice of kube-dns: one ready endpoint, its DNS address.
nlohmann::json nodeDnsSlice(const NodeDnsPublication& publication);

// Creates kube-dns when missing, leaving an existing one alone, then creates or replaces
// this node's slice. Agents start together: the one that loses the race to create the
// Service is refused for its address ("already allocated") before its name, so a refused
// create that finds the Service there afterwards is a success.
Status publishNodeDns(client::Client& client, const NodeDnsPublication& publication);

}  // namespace minik8s::dns
