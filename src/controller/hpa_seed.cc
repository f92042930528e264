#include "controller/hpa_seed.h"

#include <algorithm>

#include "api/codec.h"
#include "common/log.h"
#include "controller/hpa.h"
#include "controller/pod_util.h"
#include "controller/replicaset.h"

namespace minik8s::controller {

using nlohmann::json;

namespace {

constexpr int32_t kDefaultIntervalSeconds = 15;

bool hasSeedFinalizer(const api::ObjectMeta& meta) {
  return std::find(meta.finalizers.begin(), meta.finalizers.end(), kSeedHpaFinalizer) !=
         meta.finalizers.end();
}

bool controlledBySomeone(const api::ObjectMeta& meta) {
  for (const auto& ref : meta.owner_references) {
    if (ref.controller.value_or(false)) return true;
  }
  return false;
}

}  // namespace

json seedHpaReplicaSet(const api::Hpa& hpa, const api::Pod& template_pod) {
  json selector = hpa.spec.selector ? api::toJson(*hpa.spec.selector) : json::object();
  json labels = json::object();
  for (const auto& [k, v] : template_pod.metadata.labels) labels[k] = v;
  if (hpa.spec.selector) {
    for (const auto& [k, v] : hpa.spec.selector->match_labels) labels[k] = v;
  }
  json spec = api::toJson(template_pod.spec);
  spec.erase("nodeName");
  return {{"apiVersion", "apps/v1"},
          {"kind", "ReplicaSet"},
          {"metadata",
           {{"name", hpa.metadata.name},
            {"namespace", hpa.metadata.namespace_},
            {"labels", labels},
            {"ownerReferences",
             {{{"apiVersion", "v1"},
               {"kind", "Hpa"},
               {"name", hpa.metadata.name},
               {"uid", hpa.metadata.uid},
               {"controller", true},
               {"blockOwnerDeletion", true}}}}}},
          {"spec",
           {{"replicas", 1},
            {"selector", selector},
            {"template", {{"metadata", {{"labels", labels}}}, {"spec", spec}}}}}};
}

api::Pod withRequestsFromLimits(api::Pod pod) {
  for (auto& c : pod.spec.containers) {
    for (const char* resource : {"cpu", "memory"}) {
      auto limit = c.resources.limits.find(resource);
      if (!c.resources.requests.count(resource) && limit != c.resources.limits.end()) {
        c.resources.requests[resource] = limit->second;
      }
    }
  }
  return pod;
}

SeedHpaController::SeedHpaController(client::Client& client,
                                     const client::ObjectCache<api::Hpa>& hpas,
                                     const client::ObjectCache<api::Pod>& pods, HpaOptions options,
                                     Clock& clock)
    : client_(client),
      options_(options),
      clock_(clock),
      hpas_resource_(api::findResource("", "v1", "hpas")),
      replicasets_resource_(api::findResource("apps", "v1", "replicasets")),
      pods_resource_(api::findResource("", "v1", "pods")),
      hpas_(hpas),
      pods_(pods),
      events_(client, {"hpa-controller", ""}, clock),
      queue_(clock),
      loop_("hpa", queue_, [this](const std::string& key) { return sync(key); }) {}

SeedHpaController::SeedHpaController(client::Client& client,
                                     client::SharedInformerFactory& informers, HpaOptions options,
                                     Clock& clock)
    : SeedHpaController(
          client, informers.informerFor<api::Hpa>(*api::findResource("", "v1", "hpas")).cache(),
          informers.informerFor<api::Pod>(*api::findResource("", "v1", "pods")).cache(), options,
          clock) {
  auto& hpas = informers.informerFor<api::Hpa>(*hpas_resource_);
  auto& pods = informers.informerFor<api::Pod>(*pods_resource_);
  informers_ = {&hpas, &pods};
  hpas.addHandler({
      .on_add = [this](const HpaPtr& hpa) { queue_.add(keyOf(hpa->metadata)); },
      // Our status writes come back as updates; a new spec, a deletion or our finalizer
      // arriving is worth a sync.
      .on_update =
          [this](const HpaPtr& old_hpa, const HpaPtr& hpa) {
            if (old_hpa->metadata.generation != hpa->metadata.generation ||
                old_hpa->metadata.deletion_timestamp != hpa->metadata.deletion_timestamp ||
                old_hpa->metadata.finalizers != hpa->metadata.finalizers) {
              queue_.add(keyOf(hpa->metadata));
            }
          },
      .on_delete = nullptr,
  });
}

SeedHpaController::~SeedHpaController() {
  stop();
}

Status SeedHpaController::run(int workers, std::chrono::milliseconds sync_timeout) {
  return loop_.run(workers, informers_, sync_timeout);
}

void SeedHpaController::stop() {
  loop_.stop();
}

void SeedHpaController::scheduleResync(const std::string& key, std::chrono::milliseconds period) {
  Clock::Instant now = clock_.monotonic();
  {
    std::lock_guard lock(mu_);
    auto it = resync_due_.find(key);
    if (it != resync_due_.end() && it->second > now) return;
    resync_due_[key] = now + period;
  }
  queue_.addAfter(key, period);
}

void SeedHpaController::event(const api::Hpa& hpa, const std::string& type,
                              const std::string& reason, const std::string& message) {
  client::EventTarget target{"Hpa",
                             "v1",
                             hpa.metadata.namespace_,
                             hpa.metadata.name,
                             hpa.metadata.uid,
                             hpa.metadata.resource_version};
  events_.record(target, {type, reason, message});
}

Status SeedHpaController::writeStatus(const api::Hpa& hpa, const json& status) {
  if (!hpa.status.isNull() && hpa.status.get() == status) return Status::ok();
  json object = api::toJson(hpa);
  object["status"] = status;
  auto written = client_.update(*hpas_resource_, hpa.metadata.namespace_, object);
  if (written.status().code() == Code::kNotFound) return Status::ok();
  return written.status();
}

// The Hpa is being deleted: back to the original pod alone, then let the Hpa go.
Status SeedHpaController::release(const api::Hpa& hpa, const std::string& key) {
  const std::string& ns = hpa.metadata.namespace_;
  auto rs = client_.get(*replicasets_resource_, ns, hpa.metadata.name);
  bool rs_gone = rs.status().code() == Code::kNotFound;
  if (!rs_gone && !rs.isOk()) return rs.status();
  json rs_meta = rs_gone ? json::object() : rs->value("metadata", json::object());
  if (!rs_meta.is_object()) rs_meta = json::object();
  if (!rs_gone && rs_meta.value("deletionTimestamp", "").empty()) {
    client::DeleteOptions options;
    options.propagation_policy = "Orphan";  // the pods stay; we choose which go
    options.precondition_uid = rs_meta.value("uid", "");
    auto removed = client_.remove(*replicasets_resource_, ns, hpa.metadata.name, options);
    if (!removed.isOk() && removed.status().code() != Code::kNotFound) return removed.status();
  }
  std::vector<PodPtr> selected = pods_.listNamespace(ns, selectorOf(hpa.spec.selector));
  // The original: the template pod by name, or (when none has that name) the oldest.
  std::string original = hpa.spec.scale_target_ref.metadata.name;
  if (!pods_.get(ns, original)) {
    std::string oldest;
    for (const auto& pod : selected) {
      if (original == hpa.spec.scale_target_ref.metadata.name ||
          pod->metadata.creation_timestamp < oldest) {
        original = pod->metadata.name;
        oldest = pod->metadata.creation_timestamp;
      }
    }
  }
  for (const auto& pod : selected) {
    if (pod->metadata.name == original || !pod->metadata.deletion_timestamp.empty()) continue;
    auto removed = client_.remove(*pods_resource_, ns, pod->metadata.name);
    if (!removed.isOk() && removed.status().code() != Code::kNotFound) return removed.status();
  }
  if (!rs_gone) {
    queue_.addAfter(key, std::chrono::seconds(1));  // until the garbage collector orphans
    return Status::ok();
  }
  json finalizers = json::array();
  for (const auto& f : hpa.metadata.finalizers) {
    if (f != kSeedHpaFinalizer) finalizers.push_back(f);
  }
  json patch = {{"metadata",
                 {{"finalizers", finalizers}, {"resourceVersion", hpa.metadata.resource_version}}}};
  auto patched = client_.patch(*hpas_resource_, ns, hpa.metadata.name, client::PatchType::kMerge,
                               patch.dump());
  if (!patched.isOk() && patched.status().code() != Code::kNotFound) return patched.status();
  std::lock_guard lock(mu_);
  histories_.erase(key);
  resync_due_.erase(key);
  return Status::ok();
}

Status SeedHpaController::sync(const std::string& key) {
  size_t slash = key.find('/');
  if (slash == std::string::npos) return Status::ok();
  const std::string ns = key.substr(0, slash), name = key.substr(slash + 1);
  HpaPtr hpa = hpas_.get(ns, name);
  if (!hpa) {
    std::lock_guard lock(mu_);
    histories_.erase(key);
    resync_due_.erase(key);
    return Status::ok();
  }
  const api::Hpa& h = *hpa;
  if (!h.metadata.deletion_timestamp.empty()) {
    return hasSeedFinalizer(h.metadata) ? release(h, key) : Status::ok();
  }
  if (!hasSeedFinalizer(h.metadata)) {
    json finalizers = json::array();
    for (const auto& f : h.metadata.finalizers) finalizers.push_back(f);
    finalizers.push_back(kSeedHpaFinalizer);
    json patch = {{"metadata",
                   {{"finalizers", finalizers}, {"resourceVersion", h.metadata.resource_version}}}};
    // The informer brings the Hpa back with its finalizer, and that update syncs it again.
    return client_.patch(*hpas_resource_, ns, name, client::PatchType::kMerge, patch.dump())
        .status();
  }
  const int32_t interval = h.spec.interval.value_or(kDefaultIntervalSeconds);
  scheduleResync(key, std::chrono::seconds(interval));
  api::LabelSelector selector = selectorOf(h.spec.selector);
  std::vector<PodPtr> selected = pods_.listNamespace(ns, selector);

  auto rs = client_.get(*replicasets_resource_, ns, name);
  if (rs.status().code() == Code::kNotFound) {
    // The template: the named pod, or the oldest pod the selector matches.
    PodPtr template_pod = pods_.get(ns, h.spec.scale_target_ref.metadata.name);
    if (!template_pod) {
      for (const auto& pod : selected) {
        if (controlledBySomeone(pod->metadata) || !pod->metadata.deletion_timestamp.empty()) {
          continue;
        }
        if (!template_pod ||
            pod->metadata.creation_timestamp < template_pod->metadata.creation_timestamp) {
          template_pod = pod;
        }
      }
    }
    if (!template_pod) {
      event(h, "Warning", "FailedGetTemplate",
            "no pod named \"" + h.spec.scale_target_ref.metadata.name +
                "\" and no pod matching the selector to copy");
      return Status::ok();
    }
    auto created = client_.create(*replicasets_resource_, ns, seedHpaReplicaSet(h, *template_pod));
    if (!created.isOk() && created.status().code() != Code::kAlreadyExists) {
      return created.status();
    }
    event(h, "Normal", "SuccessfulCreate",
          "Created ReplicaSet " + name + " from pod " + template_pod->metadata.name);
    return Status::ok();
  }
  if (!rs.isOk()) return rs.status();
  ASSIGN_OR_RETURN(api::ReplicaSet set, api::decode<api::ReplicaSet>(*rs));
  if (set.metadata.uid.empty() || !set.metadata.deletion_timestamp.empty()) return Status::ok();

  std::vector<api::Pod> pods;
  for (const auto& pod : selected) pods.push_back(withRequestsFromLimits(*pod));
  HpaDecisionInput in;
  in.spec_replicas = set.spec.replicas.value_or(1);
  in.min_replicas = h.spec.min_replicas.value_or(1);
  in.max_replicas = h.spec.max_replicas;
  in.behavior = oneStepBehavior(interval);
  in.pods = &pods;
  in.now = clock_.now();
  in.options = options_;
  auto addMetric = [&](const char* resource, std::optional<int32_t> percent) {
    if (!percent) return;
    HpaMetric m;
    m.type = "Resource";
    m.resource = resource;
    m.target_type = "Utilization";
    m.average_utilization = *percent;
    in.metrics.push_back(m);
  };
  addMetric("cpu", h.spec.metrics.cpu_percent);
  addMetric("memory", h.spec.metrics.mem_percent);
  Result<std::vector<HpaPodUsage>> usage = readPodUsage(client_, ns, pods);
  for (auto& m : in.metrics) {
    m.samples = usage.isOk() ? extractPodMetrics(*usage, m.resource)
                             : Result<HpaPodMetrics>(usage.status());
  }
  // The original's metrics may be empty; then cpu at 80%, as Kubernetes.
  HpaHistory history;
  {
    std::lock_guard lock(mu_);
    history = histories_[key];
  }
  HpaDecision decision = decideHpa(in, history);
  for (const auto& e : decision.events) event(h, e.type, e.reason, e.message);
  // One replica per interval, also on the way to a bound.
  int32_t desired =
      std::clamp(decision.desired_replicas, in.spec_replicas - 1, in.spec_replicas + 1);
  if (decision.rescale && desired != in.spec_replicas) {
    json patch = {{"spec", {{"replicas", desired}}}};
    auto scaled =
        client_.patch(*replicasets_resource_, ns, name, client::PatchType::kMerge, patch.dump());
    if (!scaled.isOk()) {
      event(h, "Warning", "FailedRescale",
            rescaleMessage(desired, decision.reason) + "; error: " + scaled.status().message());
    } else {
      event(h, "Normal", "SuccessfulRescale", rescaleMessage(desired, decision.reason));
      recordScaleEvent(in.behavior, in.spec_replicas, desired, in.now, history);
      in.spec_replicas = desired;
    }
  }
  {
    std::lock_guard lock(mu_);
    histories_[key] = std::move(history);
  }
  json status = {{"currentReplicas", set.status.replicas}};
  for (const auto& m : decision.current_metrics) {
    if (!m.average_utilization) continue;
    status[m.resource == "cpu" ? "currentCPUPercent" : "currentMemPercent"] =
        *m.average_utilization;
  }
  return writeStatus(h, status);
}

}  // namespace minik8s::controller
