#include "controller/pod_gc.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "api/codec.h"
#include "common/log.h"
#include "controller/pod_util.h"

namespace minik8s::controller {

using nlohmann::json;

std::vector<api::Pod> excessTerminatedPods(std::vector<api::Pod> terminated, int threshold) {
  if (threshold <= 0 || static_cast<int>(terminated.size()) <= threshold) return {};
  std::sort(terminated.begin(), terminated.end(), [](const api::Pod& a, const api::Pod& b) {
    if (a.metadata.creation_timestamp != b.metadata.creation_timestamp)
      return a.metadata.creation_timestamp < b.metadata.creation_timestamp;
    return keyOf(a.metadata) < keyOf(b.metadata);
  });
  terminated.resize(terminated.size() - static_cast<size_t>(threshold));
  return terminated;
}

PodGarbageCollector::PodGarbageCollector(client::Client& client,
                                         const client::ObjectCache<api::Pod>& pods,
                                         const client::ObjectCache<api::Node>& nodes,
                                         PodGcOptions options, Clock& clock)
    : client_(client), pods_(pods), nodes_(nodes), options_(options), clock_(clock) {}

PodGarbageCollector::PodGarbageCollector(client::Client& client,
                                         client::SharedInformerFactory& informers,
                                         PodGcOptions options, Clock& clock)
    : PodGarbageCollector(client, informers.informerFor<api::Pod>(podsResource()).cache(),
                          informers.informerFor<api::Node>(nodesResource()).cache(), options,
                          clock) {
  informers_ = {&informers.informerFor<api::Pod>(podsResource()),
                &informers.informerFor<api::Node>(nodesResource())};
}

PodGarbageCollector::~PodGarbageCollector() {
  stop();
}

Status PodGarbageCollector::run(std::chrono::milliseconds sync_timeout) {
  for (auto* informer : informers_) {
    if (!informer->waitForSync(sync_timeout)) {
      return Status(Code::kUnavailable, "pod gc: informers did not sync");
    }
  }
  loop_ = std::jthread([this](std::stop_token stop) {
    while (clock_.sleepFor(options_.period, stop)) {
      if (Status s = collect(); !s.isOk()) log::warn("pod gc: {}", s.toString());
    }
  });
  return Status::ok();
}

void PodGarbageCollector::stop() {
  if (loop_.joinable()) {
    loop_.request_stop();
    loop_.join();
  }
}

Status PodGarbageCollector::collect() {
  Status first_error;
  auto note = [&](const Status& s) {
    if (!s.isOk() && s.code() != Code::kNotFound && first_error.isOk()) first_error = s;
  };
  const auto now = clock_.monotonic();
  std::vector<api::Pod> terminated;
  std::set<std::string> gone_nodes;  // past quarantine and confirmed by the apiserver
  std::set<std::string> present_nodes;
  std::lock_guard lock(mu_);
  const auto pods = pods_.list();
  for (const auto& pod : pods) {
    const std::string& phase = pod->status.phase;
    if ((phase == "Succeeded" || phase == "Failed") && pod->metadata.deletion_timestamp.empty()) {
      terminated.push_back(*pod);
    }
    const std::string& node = pod->spec.node_name;
    if (node.empty()) {
      if (!pod->metadata.deletion_timestamp.empty()) {
        note(forceDelete(*pod, "", ""));  // being deleted, and no kubelet holds it
      }
      continue;
    }
    if (present_nodes.count(node)) continue;
    if (!gone_nodes.count(node)) {
      if (nodes_.get(node)) {
        missing_since_.erase(node);
        present_nodes.insert(node);
        continue;
      }
      auto [it, inserted] = missing_since_.try_emplace(node, now);
      if (now - it->second < options_.quarantine) continue;
      auto live = client_.get(nodesResource(), "", node);
      if (live.isOk()) {
        missing_since_.erase(node);
        present_nodes.insert(node);
        continue;
      }
      if (live.status().code() != Code::kNotFound) {
        note(live.status());
        continue;
      }
      gone_nodes.insert(node);
    }
    log::info("pod gc: deleting pod {} of the deleted node {}", keyOf(pod->metadata), node);
    note(forceDelete(*pod, "DeletionByPodGC", "PodGC: node no longer exists"));
  }
  // Forget nodes no pod points at any more.
  std::erase_if(missing_since_, [&](const auto& entry) {
    return !gone_nodes.count(entry.first) && !present_nodes.count(entry.first) &&
           std::none_of(pods.begin(), pods.end(),
                        [&](const auto& p) { return p->spec.node_name == entry.first; });
  });
  for (const auto& pod : excessTerminatedPods(std::move(terminated), options_.terminated_pod_threshold)) {
    note(forceDelete(pod, "", ""));
  }
  return first_error;
}

Status PodGarbageCollector::forceDelete(const api::Pod& pod, const std::string& reason,
                                        const std::string& message) {
  if (!reason.empty()) {
    json conditions = json::array();
    for (const auto& c : pod.status.conditions) {
      if (c.type != "DisruptionTarget") conditions.push_back(api::toJson(c));
    }
    conditions.push_back({{"type", "DisruptionTarget"},
                          {"status", "True"},
                          {"reason", reason},
                          {"message", message},
                          {"lastTransitionTime", formatRfc3339(clock_.now())}});
    json status = {{"conditions", conditions}};
    if (pod.status.phase != "Succeeded" && pod.status.phase != "Failed") status["phase"] = "Failed";
    auto marked = client_.patch(podsResource(), pod.metadata.namespace_, pod.metadata.name,
                                client::PatchType::kMerge, json({{"status", status}}).dump(),
                                client::PatchOptions{.subresource = "status"});
    if (!marked.isOk() && marked.status().code() != Code::kNotFound) return marked.status();
  }
  client::DeleteOptions options;
  options.grace_period_seconds = 0;
  options.precondition_uid = pod.metadata.uid;
  auto gone = client_.remove(podsResource(), pod.metadata.namespace_, pod.metadata.name, options);
  if (gone.isOk() || gone.status().code() == Code::kNotFound || gone.status().code() == Code::kConflict)
    return Status::ok();
  return gone.status();
}

}  // namespace minik8s::controller
