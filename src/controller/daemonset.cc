#include "controller/daemonset.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "api/codec.h"
#include "api/node_affinity.h"
#include "api/quantity.h"
#include "api/taints.h"
#include "common/log.h"
#include "controller/deployment_util.h"
#include "controller/pod_util.h"

namespace minik8s::controller {

using nlohmann::json;
using PodPtr = std::shared_ptr<const api::Pod>;

namespace {

constexpr char kDaemonSetControllerName[] = "daemonset-controller";

const api::ResourceInfo& daemonSetsResource() {
  static const api::ResourceInfo& r = *api::findResource("apps", "v1", "daemonsets");
  return r;
}

// The node a daemon pod is for: its nodeName, or the metadata.name term it was made with.
std::string nodeOfDaemonPod(const api::Pod& pod) {
  if (!pod.spec.node_name.empty()) return pod.spec.node_name;
  if (pod.spec.affinity.isNull()) return "";
  const json& a = pod.spec.affinity.get();
  try {
    for (const auto& term : a.at("nodeAffinity").at("requiredDuringSchedulingIgnoredDuringExecution").at("nodeSelectorTerms")) {
      for (const auto& f : term.value("matchFields", json::array())) {
        if (f.value("key", "") == "metadata.name" && f.value("operator", "") == "In" &&
            f.contains("values") && f["values"].size() == 1) {
          return f["values"][0].get<std::string>();
        }
      }
    }
  } catch (const json::exception&) {
  }
  return "";
}

bool isFailed(const api::Pod& pod) { return pod.status.phase == "Failed"; }

}  // namespace

NodeShouldRun nodeShouldRunDaemonPod(const api::Node& node, const api::DaemonSet& ds) {
  api::PodTemplateSpec tmpl = daemonPodTemplate(ds, "");
  if (!api::podFitsNodeSelectorAndAffinity(tmpl.spec, node)) return {};
  NodeShouldRun out{true, true};
  for (const auto& taint : node.spec.taints) {
    if (taint.effect != "NoSchedule" && taint.effect != "NoExecute") continue;
    if (api::toleratesAny(tmpl.spec.tolerations, taint)) continue;
    out.run = false;
    if (taint.effect == "NoExecute") out.keep = false;
  }
  return out;
}

std::string daemonSetHash(const api::DaemonSet& ds) {
  return podTemplateHash(ds.spec.template_, ds.status.collision_count);
}

api::PodTemplateSpec daemonPodTemplate(const api::DaemonSet& ds, const std::string& hash) {
  api::PodTemplateSpec tmpl = ds.spec.template_;
  if (!hash.empty()) tmpl.metadata.labels[kControllerRevisionHashLabel] = hash;
  auto add = [&](std::string_view key, const char* effect) {
    api::Toleration t{.key = std::string(key), .op = "Exists", .value = "", .effect = effect,
                      .toleration_seconds = {}};
    for (const auto& have : tmpl.spec.tolerations) {
      if (have.key == t.key && have.effect == t.effect && have.op == t.op) return;
    }
    tmpl.spec.tolerations.push_back(t);
  };
  add(api::kTaintNodeNotReady, "NoExecute");
  add(api::kTaintNodeUnreachable, "NoExecute");
  add(api::kTaintNodeDiskPressure, "NoSchedule");
  add(api::kTaintNodeMemoryPressure, "NoSchedule");
  add(api::kTaintNodePidPressure, "NoSchedule");
  add(api::kTaintNodeUnschedulable, "NoSchedule");
  if (tmpl.spec.host_network) add(api::kTaintNodeNetworkUnavailable, "NoSchedule");
  return tmpl;
}

DaemonSetController::DaemonSetController(client::Client& client,
                                         const client::ObjectCache<api::DaemonSet>& sets,
                                         const client::ObjectCache<api::Pod>& pods,
                                         const client::ObjectCache<api::Node>& nodes, Clock& clock)
    : client_(client),
      sets_(sets),
      pods_(pods),
      nodes_(nodes),
      clock_(clock),
      expectations_(clock),
      events_(client, {kDaemonSetControllerName, ""}, clock),
      queue_(clock),
      loop_("daemonset", queue_, [this](const std::string& key) { return sync(key); }) {}

DaemonSetController::DaemonSetController(client::Client& client,
                                         client::SharedInformerFactory& informers, Clock& clock)
    : DaemonSetController(client, informers.informerFor<api::DaemonSet>(daemonSetsResource()).cache(),
                          informers.informerFor<api::Pod>(podsResource()).cache(),
                          informers.informerFor<api::Node>(nodesResource()).cache(), clock) {
  auto& sets = informers.informerFor<api::DaemonSet>(daemonSetsResource());
  auto& pods = informers.informerFor<api::Pod>(podsResource());
  auto& nodes = informers.informerFor<api::Node>(nodesResource());
  sets.addHandler({
      .on_add = [this](const auto& ds) { queue_.add(keyOf(ds->metadata)); },
      .on_update = [this](const auto&, const auto& ds) { queue_.add(keyOf(ds->metadata)); },
      .on_delete = [this](const auto& ds) { expectations_.forget(keyOf(ds->metadata)); },
  });
  pods.addHandler({
      .on_add = [this](const auto& p) {
        const api::OwnerReference* ref = controllerRefOf(p->metadata);
        if (ref && ref->kind == "DaemonSet" && p->metadata.deletion_timestamp.empty()) {
          expectations_.creationObserved(p->metadata.namespace_ + "/" + ref->name);
        }
        onPod(*p, false);
      },
      .on_update = [this](const auto&, const auto& p) { onPod(*p, false); },
      .on_delete = [this](const auto& p) { onPod(*p, true); },
  });
  // A node that appears, changes labels or taints, or goes may change every DaemonSet.
  nodes.addHandler({
      .on_add = [this](const auto&) { enqueueAll(); },
      .on_update = [this](const auto& old_node, const auto& node) {
        // Heartbeats change only status: compare what placement reads, without encoding.
        if (old_node->metadata.labels != node->metadata.labels ||
            old_node->spec.unschedulable != node->spec.unschedulable ||
            !std::equal(old_node->spec.taints.begin(), old_node->spec.taints.end(),
                        node->spec.taints.begin(), node->spec.taints.end(),
                        [](const api::Taint& a, const api::Taint& b) {
                          return a.key == b.key && a.value == b.value && a.effect == b.effect;
                        })) {
          enqueueAll();
        }
      },
      .on_delete = [this](const auto&) { enqueueAll(); },
  });
  informers_ = {&sets, &pods, &nodes};
}

DaemonSetController::~DaemonSetController() {
  stop();
}

Status DaemonSetController::run(int workers, std::chrono::milliseconds sync_timeout) {
  return loop_.run(workers, informers_, sync_timeout);
}

void DaemonSetController::stop() {
  loop_.stop();
}

void DaemonSetController::enqueueAll() {
  for (const auto& ds : sets_.list()) queue_.add(keyOf(ds->metadata));
}

void DaemonSetController::onPod(const api::Pod& pod, bool deleted) {
  const api::OwnerReference* ref = controllerRefOf(pod.metadata);
  if (!ref || ref->kind != "DaemonSet") return;
  const std::string key = pod.metadata.namespace_ + "/" + ref->name;
  auto ds = sets_.get(key);
  if (!ds || ds->metadata.uid != ref->uid) return;
  if (deleted || !pod.metadata.deletion_timestamp.empty()) {
    expectations_.deletionObserved(key, keyOf(pod.metadata));
  }
  queue_.add(key);
}

void DaemonSetController::recordEvent(const api::DaemonSet& ds, const std::string& type,
                                      const std::string& reason, const std::string& message) {
  client::EventTarget target{"DaemonSet", "apps/v1", ds.metadata.namespace_, ds.metadata.name,
                             ds.metadata.uid, "", ""};
  events_.record(target, {type, reason, message});
}

Status DaemonSetController::sync(const std::string& key) {
  auto ds = sets_.get(key);
  if (!ds) {
    expectations_.forget(key);
    return Status::ok();
  }
  const auto now = clock_.now();
  const std::string hash = daemonSetHash(*ds);

  // The pods this DaemonSet owns, by node.
  std::map<std::string, std::vector<PodPtr>> by_node;
  for (const auto& pod : client::Lister<api::Pod>(pods_).listNamespace(ds->metadata.namespace_)) {
    const api::OwnerReference* ref = controllerRefOf(pod->metadata);
    if (!ref || ref->uid != ds->metadata.uid) continue;
    if (!pod->metadata.deletion_timestamp.empty()) continue;
    by_node[nodeOfDaemonPod(*pod)].push_back(pod);
  }

  std::vector<std::string> create_on;
  std::vector<PodPtr> to_delete;
  api::DaemonSetStatus status;
  status.observed_generation = ds->metadata.generation;
  status.collision_count = ds->status.collision_count;
  std::vector<PodPtr> old_available;  // candidates for a rolling update
  int unavailable = 0;
  const int32_t min_ready = ds->spec.min_ready_seconds;
  for (const auto& node : nodes_.list()) {
    NodeShouldRun should = nodeShouldRunDaemonPod(*node, *ds);
    auto it = by_node.find(node->metadata.name);
    std::vector<PodPtr> pods = it == by_node.end() ? std::vector<PodPtr>{} : it->second;
    if (it != by_node.end()) by_node.erase(it);
    if (should.run) ++status.desired_number_scheduled;
    if (!should.keep) {
      to_delete.insert(to_delete.end(), pods.begin(), pods.end());
      if (!pods.empty()) ++status.number_misscheduled;
      continue;
    }
    // Failed pods go (a new one comes next sync); of several, the oldest stays.
    std::vector<PodPtr> live;
    for (const auto& p : pods) (isFailed(*p) ? to_delete : live).push_back(p);
    std::sort(live.begin(), live.end(), [](const PodPtr& a, const PodPtr& b) {
      return a->metadata.creation_timestamp < b->metadata.creation_timestamp;
    });
    if (live.size() > 1) {
      to_delete.insert(to_delete.end(), live.begin() + 1, live.end());
      live.resize(1);
    }
    if (live.empty()) {
      if (should.run) {
        create_on.push_back(node->metadata.name);
        ++unavailable;
      }
      continue;
    }
    const api::Pod& pod = *live[0];
    ++status.current_number_scheduled;
    if (!should.run) ++status.number_misscheduled;
    bool ready = isPodReady(pod);
    bool available = isPodAvailable(pod, min_ready, now);
    bool updated = pod.metadata.labels.count(kControllerRevisionHashLabel) &&
                   pod.metadata.labels.at(kControllerRevisionHashLabel) == hash;
    if (ready) ++status.number_ready;
    if (available) ++status.number_available;
    if (updated) ++status.updated_number_scheduled;
    if (!available) ++unavailable;
    if (!updated) {
      if (available) {
        old_available.push_back(live[0]);
      } else if (ds->spec.update_strategy.type == "RollingUpdate") {
        to_delete.push_back(live[0]);  // an old pod that is not available anyway
      }
    }
  }
  // Pods for nodes that are gone.
  for (auto& [node, pods] : by_node) to_delete.insert(to_delete.end(), pods.begin(), pods.end());
  status.number_unavailable = std::max(0, status.desired_number_scheduled - status.number_available);

  // RollingUpdate: replace old available pods while the unavailable ones stay within bound.
  if (ds->spec.update_strategy.type == "RollingUpdate" && !old_available.empty()) {
    int max_unavailable = 1;
    if (ds->spec.update_strategy.rolling_update && ds->spec.update_strategy.rolling_update->max_unavailable) {
      auto scaled = api::scaledValueFromIntOrPercent(*ds->spec.update_strategy.rolling_update->max_unavailable,
                                                     status.desired_number_scheduled, true);
      if (scaled.isOk()) max_unavailable = std::max(1, *scaled);
    }
    for (const auto& pod : old_available) {
      if (unavailable >= max_unavailable) break;
      to_delete.push_back(pod);
      ++unavailable;
    }
  }

  Status first_error;
  if (expectations_.satisfied(key)) {
    if (!create_on.empty()) {
      expectations_.expectCreations(key, static_cast<int>(create_on.size()));
      api::PodTemplateSpec tmpl = daemonPodTemplate(*ds, hash);
      for (const auto& node : create_on) {
        api::Pod pod = podFromTemplate(tmpl, ds->metadata.namespace_, ds->metadata.name + "-",
                                       makeControllerRef("apps/v1", "DaemonSet", ds->metadata));
        json object = api::toJson(pod);
        json term = {{"matchFields", {{{"key", "metadata.name"}, {"operator", "In"}, {"values", {node}}}}}};
        object["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"] =
            {{"nodeSelectorTerms", {term}}};
        auto made = client_.create(podsResource(), ds->metadata.namespace_, object);
        if (!made.isOk()) {
          expectations_.creationFailed(key);
          recordEvent(*ds, "Warning", "FailedCreate", "Error creating: " + made.status().message());
          if (first_error.isOk()) first_error = made.status();
          continue;
        }
        recordEvent(*ds, "Normal", "SuccessfulCreate",
                    "Created pod: " + made.value()["metadata"].value("name", std::string()));
      }
    }
    std::vector<std::string> victims;
    for (const auto& p : to_delete) victims.push_back(keyOf(p->metadata));
    if (!victims.empty()) expectations_.expectDeletions(key, victims);
    for (const auto& pod : to_delete) {
      client::DeleteOptions options;
      options.precondition_uid = pod->metadata.uid;
      auto gone = client_.remove(podsResource(), pod->metadata.namespace_, pod->metadata.name, options);
      if (!gone.isOk() && gone.status().code() != Code::kNotFound) {
        expectations_.deletionObserved(key, keyOf(pod->metadata));
        if (first_error.isOk()) first_error = gone.status();
        continue;
      }
      recordEvent(*ds, "Normal", "SuccessfulDelete", "Deleted pod: " + pod->metadata.name);
    }
  }

  // Status, when it changed.
  if (api::toJson(status) != api::toJson(ds->status)) {
    json patch = {{"status", api::toJson(status)}};
    auto written = client_.patch(daemonSetsResource(), ds->metadata.namespace_, ds->metadata.name,
                                 client::PatchType::kMerge, patch.dump(),
                                 client::PatchOptions{.subresource = "status"});
    if (!written.isOk() && written.status().code() != Code::kNotFound && first_error.isOk())
      first_error = written.status();
  }
  // Becoming available takes minReadySeconds: look again then.
  if (min_ready > 0 && status.number_ready > status.number_available) {
    queue_.addAfter(key, std::chrono::seconds(min_ready));
  }
  return first_error;
}

}  // namespace minik8s::controller
