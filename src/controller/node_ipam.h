// NodeIpamController: gives each Node a podCIDR from the cluster's pod range (Kubernetes'
// node IPAM controller with the range allocator: --cluster-cidr, --node-cidr-mask-size).
//
// CidrSet is the allocator (pure): the blocks of `mask` bits inside the cluster CIDR, the
// lowest free one first. The controller keeps one, filled from the Nodes it sees (a node
// whose podCIDR lies in the range occupies it; one outside, e.g. a kubelet's own
// --pod-cidr, is left alone) and freed when a node is deleted. sync(node) gives a node
// without a podCIDR the next free block through a merge patch of spec.podCIDR and
// spec.podCIDRs that names the resourceVersion it read; on failure the block is freed
// again. A full range records CIDRNotAvailable on the node and retries later.
// Thread-safe.
#pragma once

#include <chrono>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "api/types_core.h"
#include "client/client.h"
#include "client/controller_loop.h"
#include "client/event_recorder.h"
#include "client/informer.h"
#include "client/work_queue.h"
#include "common/clock.h"
#include "common/ipv4.h"

namespace minik8s::controller {

class CidrSet {
 public:
  // kInvalid when the mask is not longer than the cluster prefix, or the set would have
  // more than 2^16 blocks.
  static Result<CidrSet> create(std::string_view cluster_cidr, int node_mask);

  Result<std::string> allocateNext();  // kUnavailable when every block is taken
  // Marks a block taken; false when it is not one of this set's blocks.
  bool occupy(std::string_view cidr);
  void release(std::string_view cidr);
  size_t used() const { return used_.size(); }

 private:
  CidrSet(Ipv4Cidr cluster, int mask) : cluster_(cluster), mask_(mask) {}
  std::optional<uint32_t> indexOf(std::string_view cidr) const;

  Ipv4Cidr cluster_;
  int mask_;
  std::set<uint32_t> used_;  // block indexes
};

struct NodeIpamOptions {
  std::string cluster_cidr = "10.244.0.0/16";  // --cluster-cidr
  int node_cidr_mask_size = 24;                // --node-cidr-mask-size
};

class NodeIpamController {
 public:
  // kInvalid for a bad --cluster-cidr or mask size.
  static Result<std::unique_ptr<NodeIpamController>> create(client::Client& client,
                                                            client::SharedInformerFactory& informers,
                                                            NodeIpamOptions options = {},
                                                            Clock& clock = Clock::real());
  // For tests: a prefilled cache; call observe() for each node, then sync().
  NodeIpamController(client::Client& client, const client::ObjectCache<api::Node>& nodes,
                     CidrSet cidrs, Clock& clock = Clock::real());
  ~NodeIpamController();
  NodeIpamController(const NodeIpamController&) = delete;
  NodeIpamController& operator=(const NodeIpamController&) = delete;

  Status run(int workers, std::chrono::milliseconds sync_timeout = std::chrono::seconds(30));
  void stop();

  Status sync(const std::string& node_name);
  // Handlers: a node appeared or changed (occupies its block, queues it if it has none);
  // a node was deleted (frees its block).
  void observe(const api::Node& node);
  void forget(const api::Node& node);
  client::WorkQueue& queue() { return queue_; }

 private:
  client::Client& client_;
  const client::ObjectCache<api::Node>& nodes_;
  std::mutex mu_;
  CidrSet cidrs_;  // GUARDED_BY(mu_)
  client::EventRecorder recorder_;
  std::vector<client::InformerBase*> informers_;
  client::WorkQueue queue_;
  client::ControllerLoop loop_;
};

}  // namespace minik8s::controller
