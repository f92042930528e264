// The pure parts of `minik8s up` / `minik8s down` (a whole local cluster on this machine):
// where things live under the data dir, the command lines of the server and the agent,
// what identifies their processes, the state file `up` leaves for `down`, the kubeconfig
// merge and the readiness of a Node object. Table-tested; the effects are in
// cmd/minik8s/up_cmd.cc.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "node/containerd_config.h"
#include "node/node_config.h"

namespace minik8s::node {

inline constexpr const char* kDefaultLocalDataDir = "/var/lib/minik8s";
inline constexpr const char* kLocalClusterName = "minik8s";  // cluster, context and user

// Everything of one local cluster lives under its data dir D.
struct LocalClusterPaths {
  std::string data_dir;          // D
  std::string server_dir;        // D/server: `minik8s server --data-dir` (etcd)
  std::string node_dir;          // D/node: `minik8s agent --data-dir`
  std::string images_dir;        // D/images: the stock image archives
  std::string logs_dir;          // D/logs
  std::string run_dir;           // D/run
  std::string server_log;        // D/logs/server.log
  std::string agent_log;         // D/logs/agent.log
  std::string server_pid;        // D/run/server.pid
  std::string agent_pid;         // D/run/agent.pid
  std::string state_file;        // D/run/cluster.json (LocalClusterState)
  std::string pki_dir;           // D/server/pki: the cluster CA and certificates (server --tls)
  std::string agent_kubeconfig;  // D/node/kubeconfig: the agent's node credentials
  std::string kubelet_cert;      // D/node/kubelet.crt: the kubelet endpoint's serving certificate
  std::string kubelet_key;       // D/node/kubelet.key (both from the cluster CA, with TLS)
  ContainerdPaths containerd;    // D/node/containerd: the agent's managed containerd
};

LocalClusterPaths localClusterPaths(const std::string& data_dir);

// What `up` started, for `down` and for the next `up`.
struct LocalClusterState {
  int port = 6443;
  std::string node_name;
  std::string cgroup_root = "minik8s";   // the agent's --cgroup-root
  std::string bridge = "mk8s0";          // the CNI bridge the agent's conflist names
  std::vector<std::string> agent_args;   // extra agent flags
  std::vector<std::string> server_args;  // extra server flags
  // HTTPS with the cluster CA and authentication (`server --tls`); the agent connects with
  // a node certificate. A state file from before this field reads false: a running
  // cluster keeps what it was started with.
  bool tls = true;
  // `up --nodes N`: node 1 above, nodes 2..N each in a network namespace on the underlay
  // bridge (see MultiNodeLayout). 1: today's single node, none of the below is made.
  int nodes = 1;
  std::string underlay_bridge = "minik8s-br0";
  std::string underlay_subnet = "172.31.240.0/24";
  // `up --node-config node.yaml` (repeatable, also on a running cluster): more nodes, each
  // named, labelled and addressed (spec.ip) by its manifest, after nodes 1..N.
  std::vector<NodeConfigFile> node_configs;

  // Every node: the --nodes ones and the manifests'. More than one makes a multi-node
  // cluster (the underlay, the server on the bridge's address).
  int nodeCount() const { return nodes + static_cast<int>(node_configs.size()); }

  bool operator==(const LocalClusterState&) const = default;
};

nlohmann::json stateToJson(const LocalClusterState& state);
Result<LocalClusterState> stateFromJson(const nlohmann::json& j);

// `<binary> server --port P --data-dir D/server [--tls]`.
std::vector<std::string> serverArgv(const std::string& binary, const LocalClusterPaths& paths,
                                    const LocalClusterState& state);
// The kube-dns Service's address: the cluster DNS's, for pods (Kubernetes' usual one).
inline constexpr char kClusterDnsAddress[] = "10.96.0.10";

// `<binary> agent --server http://127.0.0.1:P --node-name N --data-dir D/node
// (with TLS `--kubeconfig D/node/kubeconfig` instead of --server, and the kubelet endpoint
// on HTTPS for the API server only: `--tls-cert-file D/node/kubelet.crt
// --tls-private-key-file D/node/kubelet.key --client-ca-file D/server/pki/ca.crt`)
// [--cgroup-root R] [--cni-bridge B] --run-dns=true --cluster-dns=10.96.0.10 [extra...]`
// (the first two only when not the defaults, the DNS flags unless extra names them).
std::vector<std::string> agentArgv(const std::string& binary, const LocalClusterPaths& paths,
                                   const LocalClusterState& state);

// The arguments that identify our processes in /proc/<pid>/cmdline (a recycled PID in a
// stale pid file is not ours).
std::vector<std::string> serverIdentity(const LocalClusterPaths& paths);
std::vector<std::string> agentIdentity(const LocalClusterPaths& paths);

// "http://127.0.0.1:<port>", or https.
std::string localServerUrl(int port, bool tls = false);

// ---- `up --nodes N` ----
//
// Node 1 runs in the host's network namespace as with one node, but its node IP is the
// underlay bridge's address (the subnet's first, .1): the other nodes reach its kubelet
// and, over VXLAN, its pods there (127.0.0.1 would be their own loopback). The API server
// binds that address too (https://172.31.240.1:6443, in its certificate): the only one the
// host and every node share. Node k (2..N) lives in network namespace minik8s-<name> with
// address .k on its eth0, a veth to the bridge, its own containerd, agent, cgroup root and
// CNI bridge under D/nodes/<name>, and joins with a bootstrap token as a remote machine
// would. With one node nothing of this exists and the server stays on 127.0.0.1.

// One node of a local cluster: what its agent is started with and what `down` removes.
struct LocalNode {
  int index = 1;            // 1..N
  std::string name;         // node 1: state.node_name; node k: <node_name>-<k>
  std::string netns;        // "" for node 1 (the host's); else "minik8s-<name>"
  std::string host_veth;    // the bridge port of its veth ("" for node 1)
  std::string node_ip;      // "" for node 1 of a single-node cluster (127.0.0.1)
  std::string address_cidr;  // node_ip with the subnet's prefix
  std::string cgroup_root;  // node k: <cgroup_root>-<k>
  std::string cni_bridge;   // node k: a name of its own (it lives in its namespace)
  std::string data_dir;     // the agent's --data-dir: D/node, D/nodes/<name>
  std::string agent_log;    // D/logs/agent.log, D/logs/agent-<name>.log
  std::string agent_pid;    // D/run/agent.pid, D/run/agent-<name>.pid
  ContainerdPaths containerd;
  // A node from a manifest (`up --node-config`): the manifest, which `up` writes to
  // node_config_file (D/nodes/<name>/node.yaml) for the agent's --node-config.
  std::optional<NodeConfigFile> manifest;
  std::string node_config_file;
};

// The underlay and every node, or kInvalid (a bad subnet, more nodes than it has
// addresses, a node count below 1, a bridge name longer than 15 characters, a manifest
// node whose name is not a DNS subdomain or is taken, or whose spec.ip is outside the
// subnet, its network, broadcast or bridge address, or another node's).
//
// The manifest nodes follow nodes 1..N: the i-th is node N+i (its cgroup root and CNI
// bridge are numbered so) but is named by its manifest (namespace minik8s-<name>, D/nodes/
// <name>) and has its spec.ip.
struct MultiNodeLayout {
  std::string bridge;        // "" with one node
  std::string gateway;       // the bridge's address: .1
  std::string gateway_cidr;  // "172.31.240.1/24"
  std::vector<LocalNode> nodes;
};
Result<MultiNodeLayout> multiNodeLayout(const LocalClusterPaths& paths,
                                        const LocalClusterState& state);

// `state` with the manifests of `up --node-config` added: one already there (same name)
// is kept if it is the same (a manifest without spec.ip matches any address), else
// kInvalid (`down` first to change it); a manifest without spec.ip gets the subnet's first
// free address. kInvalid as multiNodeLayout for the result.
Result<LocalClusterState> addNodeConfigs(const LocalClusterPaths& paths, LocalClusterState state,
                                         const std::vector<NodeConfigFile>& configs);

// The host part of the API server's URL: 127.0.0.1, or the bridge's address with nodes.
std::string apiHost(const LocalClusterState& state);
// "https://<apiHost>:<port>" (http without TLS).
std::string clusterServerUrl(const LocalClusterState& state);

// The agent command line of node k ≥ 2: `[nsenter --net=/run/netns/<netns> --] <binary>
// agent --server <url> --token-file F --discovery-token-ca-cert-hash H --node-name N --node-ip
// IP --data-dir DIR --cgroup-root R --cni-bridge B --run-dns=true --cluster-dns=10.96.0.10
// [extra...]` (the join command of `token create --print-join-command`, with the token in
// the 0600 file F rather than on the command line, which any user can read, plus the node's
// own flags; no /etc/hosts block: that is node 1's). A manifest node's also has
// `--node-config <node_config_file>` (its labels; its name and address agree).
std::vector<std::string> joinAgentArgv(const std::string& binary, const LocalNode& node,
                                       const LocalClusterState& state,
                                       const std::string& token_file,
                                       const std::string& ca_cert_hash,
                                       const std::string& nsenter = "/usr/bin/nsenter");
std::vector<std::string> agentIdentity(const LocalNode& node);

// What a kubeconfig user proves itself with, and the CA its cluster is trusted by (PEM;
// empty fields are left out).
struct KubeconfigCredentials {
  std::string ca_pem;
  std::string client_cert_pem;
  std::string client_key_pem;
};

// Adds (or replaces) the cluster, context and user named `name` pointing at
// `server_url` in the kubeconfig text `existing` ("" for none) and makes it the current
// context; every other entry is kept. The credentials go in inline
// (certificate-authority-data, client-certificate-data, client-key-data). kInvalid when
// `existing` is not a kubeconfig.
Result<std::string> mergeKubeconfig(const std::string& existing, const std::string& server_url,
                                    const KubeconfigCredentials& credentials = {},
                                    const std::string& name = kLocalClusterName);

// Whether a Node object (JSON) has condition Ready=True, posted (lastHeartbeatTime) at or
// after `not_before` (Unix seconds; 0: any time: a Node left Ready by a kubelet that has
// since stopped still reads Ready); `why` gets the reason otherwise.
bool nodeIsReady(const nlohmann::json& node, std::string* why = nullptr, int64_t not_before = 0);

// "2026-11-27T10:36:55Z" (fractions and offsets allowed) → Unix seconds; nullopt if bad.
std::optional<int64_t> parseRfc3339Seconds(const std::string& text);

// The last `lines` lines of `text`.
std::string lastLines(const std::string& text, size_t lines);

}  // namespace minik8s::node
