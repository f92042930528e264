// SchedulerCache: the scheduler's running picture of the cluster, one NodeInfo per node,
// kept up to date from node and pod events instead of rebuilt for every decision (as
// kube-scheduler's internal cache does).
//
// - Bound pods count on their node as the pod informer shows them.
// - A pod the scheduler has decided to bind is "assumed": it counts on its chosen node at
//   once, so the next decision sees it while the binding is still in flight. The informer
//   showing the pod bound confirms it (the informer's copy replaces the assumed one);
//   forget() takes it back when the binding fails.
// - A pod may name a node the cache has not seen yet; it is kept and counted once the node
//   arrives.
//
// snapshot() gives the nodes sorted by name, as immutable NodeInfos shared with the cache:
// a change replaces one node's NodeInfo (copy on write). A snapshot is only remade when
// something changed since the last one, and then, when no one holds the last one any more
// and no node came or went, only the entries of the nodes that changed are replaced (the
// scheduler's worker drops its snapshot after each decision, so one decision costs
// O(nodes changed), not O(nodes)). Thread-safe.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "api/types_core.h"
#include "scheduler/node_info.h"

namespace minik8s::scheduler {

// The nodes at one moment, sorted by name.
struct Snapshot {
  std::vector<std::shared_ptr<const NodeInfo>> owned;
  std::vector<const NodeInfo*> nodes;  // the same, as plain pointers for schedulePod
};

class SchedulerCache {
 public:
  void setNode(std::shared_ptr<const api::Node> node);
  void removeNode(const std::string& name);

  // A pod as the informer shows it. A bound pod counts on its node (replacing an assumed
  // copy), a finished one no longer does; an unbound one changes nothing.
  void setPod(std::shared_ptr<const api::Pod> pod);
  void removePod(const std::string& namespace_, const std::string& name);

  // `bound_pod` (spec.nodeName set) counts on its node until the informer shows it or
  // forget() is called.
  void assume(std::shared_ptr<const api::Pod> bound_pod);
  // Takes back an assumption (a failed binding); a pod the informer has shown bound stays.
  void forget(const std::string& namespace_, const std::string& name);
  bool isAssumed(const std::string& namespace_, const std::string& name) const;

  std::shared_ptr<const Snapshot> snapshot();

  size_t nodeCount() const;

 private:
  struct PodEntry {
    std::string node;
    bool assumed = false;
  };
  struct NodeEntry {
    bool present = false;            // the node object is known
    std::shared_ptr<NodeInfo> info;  // never null; info->node null while !present
  };

  // REQUIRES: mu_ held. The entry of `node`, created empty when missing.
  NodeEntry& entryLocked(const std::string& node);
  // REQUIRES: mu_ held. Copy-on-write access to the NodeInfo of node `name`.
  NodeInfo& mutableInfoLocked(const std::string& name, NodeEntry& entry);
  // REQUIRES: mu_ held.
  void removePodLocked(const std::string& key, const std::string& namespace_,
                       const std::string& name);
  void dropEmptyLocked(const std::string& node);

  mutable std::mutex mu_;
  std::map<std::string, NodeEntry> nodes_;  // GUARDED_BY(mu_), by node name
  std::map<std::string, PodEntry> pods_;    // GUARDED_BY(mu_), by namespace/name
  // The last snapshot, and what changed since: nodes whose NodeInfo was replaced, and
  // whether a node came or went (then the next snapshot is built afresh).
  std::shared_ptr<Snapshot> snapshot_;       // GUARDED_BY(mu_)
  std::set<std::string> changed_;            // GUARDED_BY(mu_)
  bool membership_changed_ = true;           // GUARDED_BY(mu_)
};

}  // namespace minik8s::scheduler
