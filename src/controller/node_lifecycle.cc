#include "controller/node_lifecycle.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "api/codec.h"
#include "api/taints.h"
#include "common/log.h"
#include "controller/pod_util.h"

namespace minik8s::controller {

using nlohmann::json;

namespace {

constexpr char kLeaseNamespace[] = "kube-node-lease";

bool isManaged(const api::Taint& t) {
  for (std::string_view key :
       {api::kTaintNodeNotReady, api::kTaintNodeUnreachable, api::kTaintNodeUnschedulable,
        api::kTaintNodeMemoryPressure, api::kTaintNodeDiskPressure, api::kTaintNodePidPressure,
        api::kTaintNodeNetworkUnavailable}) {
    if (t.key == key && (t.effect == "NoSchedule" || t.effect == "NoExecute")) return true;
  }
  return false;
}

bool sameTaint(const api::Taint& a, const api::Taint& b) {
  return a.key == b.key && a.effect == b.effect && a.value == b.value;
}

const api::Condition* conditionOf(const api::Node& node, std::string_view type) {
  for (const auto& c : node.status.conditions) {
    if (c.type == type) return &c;
  }
  return nullptr;
}

bool isReady(const api::Node& node) {
  const api::Condition* ready = conditionOf(node, "Ready");
  return ready && ready->status == "True";
}


}  // namespace

std::vector<api::Taint> taintsFor(const api::Node& node, bool evict) {
  std::vector<api::Taint> out;
  auto add = [&](std::string_view key, const char* effect) {
    out.push_back({.key = std::string(key), .value = "", .effect = effect, .time_added = ""});
  };
  // A node that never posted Ready gets no taint until the startup grace period makes it
  // Unknown.
  const api::Condition* ready = conditionOf(node, "Ready");
  std::string status = ready ? ready->status : "True";
  if (status == "False") {
    add(api::kTaintNodeNotReady, "NoSchedule");
    if (evict) add(api::kTaintNodeNotReady, "NoExecute");
  } else if (status != "True") {
    add(api::kTaintNodeUnreachable, "NoSchedule");
    if (evict) add(api::kTaintNodeUnreachable, "NoExecute");
  }
  for (auto [type, key] : {std::pair{"MemoryPressure", api::kTaintNodeMemoryPressure},
                           std::pair{"DiskPressure", api::kTaintNodeDiskPressure},
                           std::pair{"PIDPressure", api::kTaintNodePidPressure},
                           std::pair{"NetworkUnavailable", api::kTaintNodeNetworkUnavailable}}) {
    const api::Condition* c = conditionOf(node, type);
    if (c && c->status == "True") add(key, "NoSchedule");
  }
  if (node.spec.unschedulable) add(api::kTaintNodeUnschedulable, "NoSchedule");
  return out;
}

std::optional<std::vector<api::Taint>> reconcileTaints(const std::vector<api::Taint>& current,
                                                       const std::vector<api::Taint>& wanted,
                                                       const std::string& now) {
  std::vector<api::Taint> next;
  bool changed = false;
  for (const auto& t : current) {
    bool keep = !isManaged(t) ||
                std::any_of(wanted.begin(), wanted.end(), [&](const auto& w) { return sameTaint(t, w); });
    if (keep) {
      next.push_back(t);
    } else {
      changed = true;
    }
  }
  for (const auto& w : wanted) {
    if (std::any_of(current.begin(), current.end(), [&](const auto& t) { return sameTaint(t, w); }))
      continue;
    api::Taint added = w;
    if (added.effect == "NoExecute") added.time_added = now;
    next.push_back(std::move(added));
    changed = true;
  }
  if (!changed) return std::nullopt;
  return next;
}

std::optional<std::vector<api::Condition>> markUnknown(const std::vector<api::Condition>& conditions,
                                                       const std::string& now) {
  std::vector<api::Condition> next = conditions;
  bool changed = false;
  for (const char* type : {"Ready", "MemoryPressure", "DiskPressure", "PIDPressure"}) {
    auto it = std::find_if(next.begin(), next.end(), [&](const auto& c) { return c.type == type; });
    if (it == next.end()) {
      next.push_back({.type = type, .status = "Unknown", .last_probe_time = "",
                      .last_heartbeat_time = now, .last_update_time = "",
                      .last_transition_time = now, .reason = "NodeStatusNeverUpdated",
                      .message = "Kubelet never posted node status."});
      changed = true;
    } else if (it->status != "Unknown") {
      it->status = "Unknown";
      it->reason = "NodeStatusUnknown";
      it->message = "Kubelet stopped posting node status.";
      it->last_transition_time = now;
      changed = true;
    }
  }
  if (!changed) return std::nullopt;
  return next;
}

bool evictionsAllowed(int ready_nodes, int not_ready_nodes, double unhealthy_zone_threshold) {
  if (ready_nodes == 0 && not_ready_nodes > 0) return false;  // full disruption
  if (not_ready_nodes > 2 &&
      static_cast<double>(not_ready_nodes) / (not_ready_nodes + ready_nodes) >= unhealthy_zone_threshold)
    return false;  // partial disruption
  return true;
}

NodeLifecycleController::NodeLifecycleController(client::Client& client,
                                                 const client::ObjectCache<api::Node>& nodes,
                                                 const client::ObjectCache<api::Lease>& leases,
                                                 const client::ObjectCache<api::Pod>& pods,
                                                 NodeLifecycleOptions options, Clock& clock)
    : client_(client), nodes_(nodes), leases_(leases), pods_(pods), options_(options), clock_(clock) {}

NodeLifecycleController::NodeLifecycleController(client::Client& client,
                                                 client::SharedInformerFactory& informers,
                                                 NodeLifecycleOptions options, Clock& clock)
    : NodeLifecycleController(
          client, informers.informerFor<api::Node>(nodesResource()).cache(),
          informers
              .informerFor<api::Lease>(*api::findResource("coordination.k8s.io", "v1", "leases"),
                                       client::InformerOptions{.ns = kLeaseNamespace})
              .cache(),
          informers.informerFor<api::Pod>(podsResource()).cache(), options, clock) {
  informers_ = {&informers.informerFor<api::Node>(nodesResource()),
                &informers.informerFor<api::Lease>(
                    *api::findResource("coordination.k8s.io", "v1", "leases"),
                    client::InformerOptions{.ns = kLeaseNamespace}),
                &informers.informerFor<api::Pod>(podsResource())};
}

NodeLifecycleController::~NodeLifecycleController() {
  stop();
}

Status NodeLifecycleController::run(std::chrono::milliseconds sync_timeout) {
  for (auto* informer : informers_) {
    if (!informer->waitForSync(sync_timeout)) {
      return Status(Code::kUnavailable, "node lifecycle: informers did not sync");
    }
  }
  monitor_ = std::jthread([this](std::stop_token stop) {
    do {
      if (Status s = monitorNodeHealth(); !s.isOk()) log::warn("node lifecycle: {}", s.toString());
    } while (clock_.sleepFor(options_.monitor_period, stop));
  });
  return Status::ok();
}

void NodeLifecycleController::stop() {
  if (monitor_.joinable()) {
    monitor_.request_stop();
    monitor_.join();
  }
}

Status NodeLifecycleController::monitorNodeHealth() {
  const auto now = clock_.monotonic();
  const std::string stamp = formatRfc3339(clock_.now());
  Status first_error;
  auto note = [&](const Status& s) {
    if (!s.isOk() && s.code() != Code::kNotFound && first_error.isOk()) first_error = s;
  };
  std::vector<api::Node> nodes;
  for (const auto& n : nodes_.list()) nodes.push_back(*n);

  // 1. Who has gone silent.
  for (auto& node : nodes) {
    const std::string& name = node.metadata.name;
    const api::Condition* ready = conditionOf(node, "Ready");
    std::string heartbeat = ready ? ready->last_heartbeat_time : "";
    std::string renew;
    if (auto lease = leases_.get(std::string(kLeaseNamespace) + "/" + name)) renew = lease->spec.renew_time;
    bool silent = false;
    {
      std::lock_guard lock(mu_);
      auto [it, first_seen] = health_.try_emplace(name, Health{now, heartbeat, renew, ready != nullptr});
      Health& h = it->second;
      if (!first_seen && (h.heartbeat != heartbeat || h.renew != renew)) {
        h = Health{now, heartbeat, renew, h.ever_ready || ready != nullptr};
      }
      auto grace = h.ever_ready ? options_.grace_period : options_.startup_grace_period;
      silent = now - h.probe > grace;
    }
    if (!silent) continue;
    auto conditions = markUnknown(node.status.conditions, stamp);
    if (!conditions) continue;
    log::info("node lifecycle: node {} stopped posting status; marking it Unknown", name);
    json list = json::array();
    for (const auto& c : *conditions) list.push_back(api::toJson(c));
    // A merge patch naming the resourceVersion it read: a compare-and-swap.
    json patch = {{"metadata", {{"resourceVersion", node.metadata.resource_version}}},
                  {"status", {{"conditions", list}}}};
    auto updated = client_.patch(nodesResource(), "", name, client::PatchType::kMerge, patch.dump(),
                                 client::PatchOptions{.subresource = "status"});
    note(updated.status());
    if (!updated.isOk()) continue;
    node.status.conditions = *conditions;
    node.metadata.resource_version =
        updated.value()["metadata"].value("resourceVersion", node.metadata.resource_version);
    note(markPodsNotReady(name));
  }
  {
    std::lock_guard lock(mu_);
    std::erase_if(health_, [&](const auto& entry) {
      return std::none_of(nodes.begin(), nodes.end(),
                          [&](const auto& n) { return n.metadata.name == entry.first; });
    });
  }

  // 2. The taints that follow.
  int ready_nodes = 0;
  for (const auto& node : nodes) ready_nodes += isReady(node) ? 1 : 0;
  const int not_ready = static_cast<int>(nodes.size()) - ready_nodes;
  const bool evict = evictionsAllowed(ready_nodes, not_ready, options_.unhealthy_zone_threshold);
  for (const auto& node : nodes) {
    auto taints = reconcileTaints(node.spec.taints, taintsFor(node, evict), stamp);
    if (!taints) continue;
    json list = json::array();
    for (const auto& t : *taints) list.push_back(api::toJson(t));
    json patch = {{"metadata", {{"resourceVersion", node.metadata.resource_version}}},
                  {"spec", {{"taints", list}}}};
    log::info("node lifecycle: node {}: taints now {}", node.metadata.name, list.dump());
    note(client_.patch(nodesResource(), "", node.metadata.name, client::PatchType::kMerge, patch.dump())
             .status());
  }
  return first_error;
}

Status NodeLifecycleController::markPodsNotReady(const std::string& node) {
  Status first_error;
  const std::string stamp = formatRfc3339(clock_.now());
  for (const auto& pod : pods_.list()) {
    if (pod->spec.node_name != node || !pod->metadata.deletion_timestamp.empty()) continue;
    std::vector<api::Condition> conditions = pod->status.conditions;
    bool changed = false;
    for (auto& c : conditions) {
      if ((c.type == "Ready" || c.type == "ContainersReady") && c.status != "False") {
        c.status = "False";
        c.last_transition_time = stamp;
        changed = true;
      }
    }
    if (!changed) continue;
    json list = json::array();
    for (const auto& c : conditions) list.push_back(api::toJson(c));
    json patch = json::array(
        {{{"op", "test"}, {"path", "/metadata/uid"}, {"value", pod->metadata.uid}},
         {{"op", "add"}, {"path", "/status/conditions"}, {"value", list}}});
    Status s = client_
                   .patch(podsResource(), pod->metadata.namespace_, pod->metadata.name,
                          client::PatchType::kJson, patch.dump(),
                          client::PatchOptions{.subresource = "status"})
                   .status();
    if (!s.isOk() && s.code() != Code::kNotFound && first_error.isOk()) first_error = s;
  }
  return first_error;
}

}  // namespace minik8s::controller
