#include "scheduler/cache.h"

#include <algorithm>

namespace minik8s::scheduler {

namespace {

std::string keyOf(const std::string& namespace_, const std::string& name) {
  return namespace_ + "/" + name;
}

}  // namespace

SchedulerCache::NodeEntry& SchedulerCache::entryLocked(const std::string& node) {
  NodeEntry& entry = nodes_[node];
  if (!entry.info) entry.info = std::make_shared<NodeInfo>();
  return entry;
}

NodeInfo& SchedulerCache::mutableInfoLocked(const std::string& name, NodeEntry& entry) {
  // A NodeInfo only this cache holds may change in place; one a snapshot still holds is
  // copied first. Snapshots are only handed out under mu_, so a count of 1 stays 1.
  if (entry.info.use_count() > 1) entry.info = std::make_shared<NodeInfo>(*entry.info);
  if (entry.present) changed_.insert(name);
  return *entry.info;
}

void SchedulerCache::dropEmptyLocked(const std::string& node) {
  auto it = nodes_.find(node);
  if (it != nodes_.end() && !it->second.present && it->second.info->pods.empty()) nodes_.erase(it);
}

void SchedulerCache::setNode(std::shared_ptr<const api::Node> node) {
  std::lock_guard lock(mu_);
  const std::string name = node->metadata.name;
  NodeEntry& entry = entryLocked(name);
  if (!entry.present) membership_changed_ = true;
  entry.present = true;
  mutableInfoLocked(name, entry).setNode(std::move(node));
}

void SchedulerCache::removeNode(const std::string& name) {
  std::lock_guard lock(mu_);
  auto it = nodes_.find(name);
  if (it == nodes_.end() || !it->second.present) return;
  // Its pods stay known: they are deleted through their own events, and a node that comes
  // back under the same name finds them.
  it->second.present = false;
  it->second.info = std::make_shared<NodeInfo>(*it->second.info);
  it->second.info->node = nullptr;
  membership_changed_ = true;
  dropEmptyLocked(name);
}

void SchedulerCache::removePodLocked(const std::string& key, const std::string& namespace_,
                                     const std::string& name) {
  auto it = pods_.find(key);
  if (it == pods_.end()) return;
  std::string node = it->second.node;
  pods_.erase(it);
  auto n = nodes_.find(node);
  if (n == nodes_.end()) return;
  mutableInfoLocked(node, n->second).removePod(namespace_, name);
  dropEmptyLocked(node);
}

void SchedulerCache::setPod(std::shared_ptr<const api::Pod> pod) {
  // An unbound pod changes nothing here, and must not undo its own assumption.
  if (pod->spec.node_name.empty()) return;
  const std::string& ns = pod->metadata.namespace_;
  const std::string& name = pod->metadata.name;
  std::string key = keyOf(ns, name);
  std::lock_guard lock(mu_);
  removePodLocked(key, ns, name);
  if (!podOccupiesNode(*pod)) return;
  std::string node = pod->spec.node_name;
  NodeEntry& entry = entryLocked(node);
  mutableInfoLocked(node, entry).addPod(std::move(pod));
  pods_[key] = {node, false};
}

void SchedulerCache::removePod(const std::string& namespace_, const std::string& name) {
  std::lock_guard lock(mu_);
  removePodLocked(keyOf(namespace_, name), namespace_, name);
}

void SchedulerCache::assume(std::shared_ptr<const api::Pod> bound_pod) {
  const std::string& ns = bound_pod->metadata.namespace_;
  const std::string& name = bound_pod->metadata.name;
  std::string key = keyOf(ns, name);
  std::lock_guard lock(mu_);
  if (pods_.count(key)) return;  // already counted: the informer was faster
  std::string node = bound_pod->spec.node_name;
  NodeEntry& entry = entryLocked(node);
  if (mutableInfoLocked(node, entry).addPod(std::move(bound_pod))) pods_[key] = {node, true};
}

void SchedulerCache::forget(const std::string& namespace_, const std::string& name) {
  std::string key = keyOf(namespace_, name);
  std::lock_guard lock(mu_);
  auto it = pods_.find(key);
  if (it == pods_.end() || !it->second.assumed) return;
  removePodLocked(key, namespace_, name);
}

bool SchedulerCache::isAssumed(const std::string& namespace_, const std::string& name) const {
  std::lock_guard lock(mu_);
  auto it = pods_.find(keyOf(namespace_, name));
  return it != pods_.end() && it->second.assumed;
}

std::shared_ptr<const Snapshot> SchedulerCache::snapshot() {
  std::lock_guard lock(mu_);
  if (snapshot_ && !membership_changed_ && changed_.empty()) return snapshot_;
  if (snapshot_ && !membership_changed_ && snapshot_.use_count() == 1) {
    // No one else holds the last snapshot: replace the changed nodes' entries in place.
    for (const auto& name : changed_) {
      auto at = std::lower_bound(
          snapshot_->nodes.begin(), snapshot_->nodes.end(), name,
          [](const NodeInfo* info, const std::string& n) { return info->name() < n; });
      size_t i = static_cast<size_t>(at - snapshot_->nodes.begin());
      const auto& info = nodes_.at(name).info;
      snapshot_->owned[i] = info;
      snapshot_->nodes[i] = info.get();
    }
    changed_.clear();
    return snapshot_;
  }
  auto snapshot = std::make_shared<Snapshot>();
  snapshot->owned.reserve(nodes_.size());
  snapshot->nodes.reserve(nodes_.size());
  for (const auto& [name, entry] : nodes_) {
    if (!entry.present) continue;
    snapshot->owned.push_back(entry.info);
    snapshot->nodes.push_back(entry.info.get());
  }
  snapshot_ = std::move(snapshot);
  changed_.clear();
  membership_changed_ = false;
  return snapshot_;
}

size_t SchedulerCache::nodeCount() const {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (const auto& [name, entry] : nodes_) n += entry.present ? 1 : 0;
  return n;
}

}  // namespace minik8s::scheduler
