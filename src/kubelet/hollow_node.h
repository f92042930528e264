// Hollow nodes (Kubernetes' kubemark): the real Kubelet over an in-memory FakeRuntime, so
// one process can stand in for many nodes. Each registers its Node, renews its Lease and
// runs the pods bound to it through the same sync path as a real node, but runs no
// container and touches nothing of the host: no cgroups, no volume directories, no CNI;
// only sandbox log directories under the node's data dir (owned by the caller). Pod IPs
// come from the node's podCIDR and are never routed. No kubelet HTTP endpoint (the Node
// advertises port 0: logs, exec and stats of a hollow pod fail fast).
//
// HollowNode owns its runtime, client and kubelet; HollowNodes owns many. start() once,
// stop() once (also from the destructors). Not thread-safe: one owner drives them.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "client/rest_client.h"
#include "common/status.h"
#include "cri/fake_runtime.h"
#include "kubelet/kubelet.h"

namespace minik8s::kubelet {

// Node `index`'s podCIDR when none is given: 10.(200 + index / 256).(index % 256).0/24,
// so 14,336 nodes get disjoint ranges (kInvalid beyond that).
Result<std::string> hollowPodCidr(int index);

struct HollowNodeOptions {
  std::string name;
  std::string pod_cidr;  // Node.spec.podCIDR and the range of its pod IPs
  std::string data_dir;  // this node's directory (sandbox log dirs only); must exist
  std::chrono::milliseconds heartbeat_period{std::chrono::seconds(10)};
  int workers = 2;  // pod sync workers (a real kubelet has 4)
};

// The kubelet options of a hollow node: the defaults of a real one, with every host effect
// off (manage_cgroups, manage_volumes) and fewer threads.
KubeletOptions hollowKubeletOptions(const HollowNodeOptions& options);

class HollowNode {
 public:
  // `config` is the apiserver's; each node has its own client (own connections).
  HollowNode(const client::ClientConfig& config, HollowNodeOptions options);
  ~HollowNode();

  // Registers the Node (retrying while the server starts) and starts the kubelet.
  Status start();
  void stop();
  const std::string& name() const { return options_.name; }

 private:
  const HollowNodeOptions options_;
  const client::ClientConfig config_;
  std::unique_ptr<client::RestClient> client_;
  cri::FakeRuntime runtime_;
  std::unique_ptr<Kubelet> kubelet_;
};

struct HollowNodesOptions {
  int count = 1;
  int first_index = 0;  // node i is <prefix><first_index + i>, podCIDR hollowPodCidr(index)
  std::string name_prefix = "hollow-";
  std::string data_dir;  // parent of the per-node directories; must exist
  std::chrono::milliseconds heartbeat_period{std::chrono::seconds(10)};
  int workers = 2;
  int start_parallelism = 8;  // nodes registering at once
};

class HollowNodes {
 public:
  HollowNodes(const client::ClientConfig& config, HollowNodesOptions options);
  ~HollowNodes();

  // Starts every node; the first error stops those started and is returned.
  Status start();
  void stop();
  size_t size() const { return nodes_.size(); }

 private:
  const client::ClientConfig config_;
  const HollowNodesOptions options_;
  std::vector<std::unique_ptr<HollowNode>> nodes_;
};

}  // namespace minik8s::kubelet
