// Tearing a node's containerd instance down without leftovers (runtime-recipe §8): pods,
// shims, mounts, pod cgroups, the CNI bridge and the instance's directories.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/status.h"
#include "cri/runtime.h"
#include "node/containerd_config.h"

namespace minik8s::node {

// Stops and removes every pod sandbox the runtime knows (containers go with them). Run it
// while the daemon is up. Returns how many sandboxes were removed.
Result<int> removeAllPodSandboxes(cri::Runtime& runtime);

struct NodeCleanupOptions {
  std::string cgroup_parent;  // the node's pod cgroup prefix ("/minik8s-n1"); empty: skip
  std::string bridge;         // the CNI bridge to delete; empty: skip
  std::string netns_path;     // the bridge lives in this netns (empty: host)
  bool remove_base_dir = true;
  // Remove portmap's CNI-HOSTPORT-* nat chains and their jump rules when no pod (of any
  // node on this host) still has a hostPort rule in them.
  bool unused_hostport_chains = false;
};

struct NodeCleanupReport {
  int shims_killed = 0;
  int unmounted = 0;
  int cgroups_removed = 0;
  bool bridge_deleted = false;
  int iptables_rules_removed = 0;     // jump rules and chains
  std::vector<std::string> problems;  // what could not be undone
};

// After the daemon has stopped: kills this instance's leftover shims by PID, unmounts
// everything under the base dir (deepest first), removes the pod cgroup directories under
// `cgroup_parent` in every hierarchy, deletes the bridge, and removes the base dir.
NodeCleanupReport cleanupContainerdNode(const ContainerdPaths& paths,
                                        const NodeCleanupOptions& options);

// The iptables argument lists (after "iptables") that remove portmap's CNI-HOSTPORT-*
// chains of the nat table and the rules jumping to them, from `iptables -t nat -S` text;
// none while CNI-HOSTPORT-DNAT still has a rule (a pod with a hostPort is running). Pure.
std::vector<std::vector<std::string>> unusedHostportChainCommands(const std::string& nat_rules);

// Splits one `iptables -S` line into arguments ("a \"b c\"" → a, b c). Pure.
std::vector<std::string> splitIptablesLine(const std::string& line);

// Leftover probes (also used by tests).
std::vector<pid_t> findShimPids(const std::string& containerd_socket);
std::vector<std::string> mountsUnder(const std::string& dir);  // mount points, deepest first
std::vector<std::string> cgroupDirsOf(const std::string& cgroup_parent);  // existing ones
bool linkExists(const std::string& name, const std::string& netns_path = "");
std::vector<std::string> hostportChains();  // CNI-HOSTPORT-* chains in the host nat table

}  // namespace minik8s::node
