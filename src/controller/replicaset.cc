#include "controller/replicaset.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "api/codec.h"
#include "common/log.h"
#include "controller/slow_start.h"

namespace minik8s::controller {

using nlohmann::json;

namespace {

constexpr char kReplicaSetControllerName[] = "replicaset-controller";

bool labelsContain(const api::StringMap& labels, const api::StringMap& wanted) {
  for (const auto& [k, v] : wanted) {
    auto it = labels.find(k);
    if (it == labels.end() || it->second != v) return false;
  }
  return true;
}


}  // namespace

api::LabelSelector selectorOf(const std::optional<api::LabelSelectorSpec>& selector) {
  if (!selector) return api::LabelSelector::nothing();
  auto parsed = api::LabelSelector::fromJson(api::toJson(*selector));
  return parsed.isOk() ? std::move(parsed).value() : api::LabelSelector::nothing();
}

api::ReplicaSetStatus computeReplicaSetStatus(const api::ReplicaSet& rs,
                                              const std::vector<PodPtr>& pods,
                                              const Status& failure, Clock::WallTime now) {
  api::ReplicaSetStatus status = rs.status;
  status.replicas = static_cast<int32_t>(pods.size());
  status.fully_labeled_replicas = 0;
  status.ready_replicas = 0;
  status.available_replicas = 0;
  for (const auto& pod : pods) {
    if (labelsContain(pod->metadata.labels, rs.spec.template_.metadata.labels))
      ++status.fully_labeled_replicas;
    if (isPodReady(*pod)) {
      ++status.ready_replicas;
      if (isPodAvailable(*pod, rs.spec.min_ready_seconds, now)) ++status.available_replicas;
    }
  }
  status.observed_generation = rs.metadata.generation;
  const int32_t desired = rs.spec.replicas.value_or(1);
  auto& conditions = status.conditions;
  const api::Condition* existing = findCondition(conditions, "ReplicaFailure");
  if (!failure.isOk() && !existing) {
    api::Condition c;
    c.type = "ReplicaFailure";
    c.status = "True";
    c.reason = status.replicas < desired ? "FailedCreate" : "FailedDelete";
    c.message = failure.message();
    c.last_transition_time = formatRfc3339(now);
    conditions.push_back(std::move(c));
  } else if (failure.isOk() && existing) {
    std::erase_if(conditions, [](const api::Condition& c) { return c.type == "ReplicaFailure"; });
  }
  return status;
}

ReplicaSetController::ReplicaSetController(client::Client& client,
                                           const client::ObjectCache<api::ReplicaSet>& sets,
                                           const client::ObjectCache<api::Pod>& pods,
                                           ReplicaSetOptions options, Clock& clock)
    : client_(client),
      options_(options),
      clock_(clock),
      sets_resource_(api::findResource("apps", "v1", "replicasets")),
      pods_resource_(api::findResource("", "v1", "pods")),
      sets_(sets),
      pods_(pods),
      events_(client, {kReplicaSetControllerName, ""}, clock),
      expectations_(clock),
      queue_(clock),
      loop_("replicaset", queue_, [this](const std::string& key) { return sync(key); }) {}

ReplicaSetController::ReplicaSetController(client::Client& client,
                                           client::SharedInformerFactory& informers,
                                           ReplicaSetOptions options, Clock& clock)
    : ReplicaSetController(
          client,
          informers.informerFor<api::ReplicaSet>(*api::findResource("apps", "v1", "replicasets"))
              .cache(),
          informers.informerFor<api::Pod>(*api::findResource("", "v1", "pods")).cache(), options,
          clock) {
  auto& sets = informers.informerFor<api::ReplicaSet>(*sets_resource_);
  auto& pods = informers.informerFor<api::Pod>(*pods_resource_);
  informers_ = {&sets, &pods};
  registerHandlers(sets, pods);
}

ReplicaSetController::~ReplicaSetController() {
  stop();
}

void ReplicaSetController::registerHandlers(client::Informer<api::ReplicaSet>& sets,
                                            client::Informer<api::Pod>& pods) {
  sets.addHandler({
      .on_add = [this](const SetPtr& rs) { onReplicaSet(rs); },
      .on_update = [this](const SetPtr&, const SetPtr& rs) { onReplicaSet(rs); },
      .on_delete = [this](const SetPtr& rs) { onReplicaSetDeleted(rs); },
  });
  pods.addHandler({
      .on_add = [this](const PodPtr& pod) { onPodAdded(pod); },
      .on_update = [this](const PodPtr& old_pod, const PodPtr& pod) { onPodUpdated(old_pod, pod); },
      .on_delete = [this](const PodPtr& pod) { onPodDeleted(pod); },
  });
}

Status ReplicaSetController::run(int workers, std::chrono::milliseconds sync_timeout) {
  return loop_.run(workers, informers_, sync_timeout);
}

void ReplicaSetController::stop() {
  loop_.stop();
}

void ReplicaSetController::enqueue(const api::ReplicaSet& rs) {
  queue_.add(keyOf(rs.metadata));
}

void ReplicaSetController::onReplicaSet(const SetPtr& rs) {
  enqueue(*rs);
}

void ReplicaSetController::onReplicaSetDeleted(const SetPtr& rs) {
  expectations_.forget(keyOf(rs->metadata));
  enqueue(*rs);
}

ReplicaSetController::SetPtr ReplicaSetController::resolveControllerRef(
    const std::string& ns, const api::OwnerReference& ref) const {
  if (ref.kind != "ReplicaSet") return nullptr;
  SetPtr rs = sets_.get(ns, ref.name);
  return rs && rs->metadata.uid == ref.uid ? rs : nullptr;
}

std::vector<ReplicaSetController::SetPtr> ReplicaSetController::setsMatching(
    const api::Pod& pod) const {
  std::vector<SetPtr> out;
  if (pod.metadata.labels.empty()) return out;
  for (auto& rs : sets_.listNamespace(pod.metadata.namespace_)) {
    if (selectorOf(rs->spec.selector).matches(pod.metadata.labels)) out.push_back(std::move(rs));
  }
  return out;
}

void ReplicaSetController::onPodAdded(const PodPtr& pod) {
  if (!pod->metadata.deletion_timestamp.empty()) {
    // Seen for the first time while being deleted (e.g. after a restart).
    onPodDeleted(pod);
    return;
  }
  if (const api::OwnerReference* ref = controllerRefOf(pod->metadata)) {
    if (SetPtr rs = resolveControllerRef(pod->metadata.namespace_, *ref)) {
      expectations_.creationObserved(keyOf(rs->metadata));
      enqueue(*rs);
    }
    return;
  }
  for (const auto& rs : setsMatching(*pod)) enqueue(*rs);  // an orphan: who may adopt it?
}

void ReplicaSetController::onPodUpdated(const PodPtr& old_pod, const PodPtr& pod) {
  if (old_pod->metadata.resource_version == pod->metadata.resource_version) return;
  bool labels_changed = old_pod->metadata.labels != pod->metadata.labels;
  if (!pod->metadata.deletion_timestamp.empty()) {
    onPodDeleted(pod);
    if (labels_changed) onPodDeleted(old_pod);
    return;
  }
  const api::OwnerReference* old_ref = controllerRefOf(old_pod->metadata);
  const api::OwnerReference* ref = controllerRefOf(pod->metadata);
  bool ref_changed = (old_ref == nullptr) != (ref == nullptr) ||
                     (old_ref && ref && old_ref->uid != ref->uid);
  if (ref_changed && old_ref) {
    if (SetPtr rs = resolveControllerRef(old_pod->metadata.namespace_, *old_ref)) enqueue(*rs);
  }
  if (ref) {
    if (SetPtr rs = resolveControllerRef(pod->metadata.namespace_, *ref)) {
      enqueue(*rs);
      // Becoming available takes minReadySeconds after becoming ready: look again then.
      if (rs->spec.min_ready_seconds > 0 && !isPodReady(*old_pod) && isPodReady(*pod)) {
        queue_.addAfter(keyOf(rs->metadata), std::chrono::seconds(rs->spec.min_ready_seconds) +
                                                 std::chrono::seconds(1));
      }
    }
    return;
  }
  if (labels_changed || ref_changed) {
    for (const auto& rs : setsMatching(*pod)) enqueue(*rs);
  }
}

void ReplicaSetController::onPodDeleted(const PodPtr& pod) {
  const api::OwnerReference* ref = controllerRefOf(pod->metadata);
  if (!ref) return;
  if (SetPtr rs = resolveControllerRef(pod->metadata.namespace_, *ref)) {
    expectations_.deletionObserved(keyOf(rs->metadata), keyOf(pod->metadata));
    enqueue(*rs);
  }
}

Status ReplicaSetController::adopt(const api::ReplicaSet& rs, const api::Pod& pod) {
  // Never adopt for a ReplicaSet that is going away: re-read it, not the cache.
  ASSIGN_OR_RETURN(json fresh, client_.get(*sets_resource_, rs.metadata.namespace_, rs.metadata.name));
  if (fresh["metadata"].value("uid", std::string()) != rs.metadata.uid ||
      fresh["metadata"].contains("deletionTimestamp")) {
    return conflict("replicaset " + keyOf(rs.metadata) + " changed; not adopting " +
                    keyOf(pod.metadata));
  }
  auto refs = pod.metadata.owner_references;
  refs.push_back(makeControllerRef("apps/v1", "ReplicaSet", rs.metadata));
  return client_
      .patch(*pods_resource_, pod.metadata.namespace_, pod.metadata.name, client::PatchType::kJson,
             ownerReferencesPatch(pod.metadata, refs))
      .status();
}

Status ReplicaSetController::release(const api::ReplicaSet& rs, const api::Pod& pod) {
  auto refs = pod.metadata.owner_references;
  std::erase_if(refs, [&](const api::OwnerReference& r) { return r.uid == rs.metadata.uid; });
  Status s = client_
                 .patch(*pods_resource_, pod.metadata.namespace_, pod.metadata.name,
                        client::PatchType::kJson, ownerReferencesPatch(pod.metadata, refs))
                 .status();
  return s.code() == Code::kNotFound ? Status::ok() : s;  // gone is released
}

Result<std::vector<PodPtr>> ReplicaSetController::claimPods(const api::ReplicaSet& rs) {
  const api::LabelSelector selector = selectorOf(rs.spec.selector);
  const bool deleting = !rs.metadata.deletion_timestamp.empty();
  std::vector<PodPtr> claimed;
  Status first_error;
  for (auto& pod : pods_.listNamespace(rs.metadata.namespace_)) {
    if (!isPodActive(*pod)) continue;
    bool matches = selector.matches(pod->metadata.labels);
    const api::OwnerReference* ref = controllerRefOf(pod->metadata);
    if (ref) {
      if (ref->uid != rs.metadata.uid) continue;  // someone else's
      if (matches || deleting) {
        claimed.push_back(std::move(pod));
        continue;
      }
      Status s = release(rs, *pod);
      if (!s.isOk() && first_error.isOk()) first_error = s;
      continue;
    }
    if (!matches || deleting) continue;
    Status s = adopt(rs, *pod);
    if (s.isOk()) {
      claimed.push_back(std::move(pod));
    } else if (s.code() != Code::kNotFound && first_error.isOk()) {
      first_error = s;
    }
  }
  if (!first_error.isOk()) return first_error;
  return claimed;
}

Status ReplicaSetController::manageReplicas(const api::ReplicaSet& rs,
                                            const std::vector<PodPtr>& pods) {
  const std::string key = keyOf(rs.metadata);
  const int desired = rs.spec.replicas.value_or(1);
  int diff = static_cast<int>(pods.size()) - desired;
  if (diff < 0) {
    int count = std::min(-diff, options_.burst_replicas);
    expectations_.expectCreations(key, count);
    json pod_json = api::toJson(
        podFromTemplate(rs.spec.template_, rs.metadata.namespace_, rs.metadata.name + "-",
                        makeControllerRef("apps/v1", "ReplicaSet", rs.metadata)));
    log::debug("replicaset {}: too few replicas (need {}, have {}), creating {}", key, desired,
               pods.size(), count);
    Status failure;
    int created = slowStartBatch(
        count, 1, options_.create_parallelism,
        [&](int) -> Status {
          auto made = client_.create(*pods_resource_, rs.metadata.namespace_, pod_json);
          if (!made.isOk()) {
            recordEvent(rs, "Warning", "FailedCreate", "Error creating: " + made.status().message());
            return made.status();
          }
          recordEvent(rs, "Normal", "SuccessfulCreate",
                      "Created pod: " + made.value()["metadata"].value("name", std::string()));
          return Status::ok();
        },
        &failure);
    // The creates that failed or never ran will never be observed.
    for (int i = created; i < count; ++i) expectations_.creationFailed(key);
    return failure;
  }
  if (diff > 0) {
    int count = std::min(diff, options_.burst_replicas);
    std::vector<PodPtr> victims = podsToDelete(pods, pods, count);
    std::vector<std::string> victim_keys;
    for (const auto& p : victims) victim_keys.push_back(keyOf(p->metadata));
    expectations_.expectDeletions(key, victim_keys);
    log::debug("replicaset {}: too many replicas (need {}, have {}), deleting {}", key, desired,
               pods.size(), count);
    Status failure;
    slowStartBatch(
        count, count, options_.create_parallelism,
        [&](int i) -> Status {
          const api::Pod& pod = *victims[i];
          client::DeleteOptions opts;
          opts.precondition_uid = pod.metadata.uid;
          auto gone = client_.remove(*pods_resource_, pod.metadata.namespace_, pod.metadata.name, opts);
          if (!gone.isOk() && gone.status().code() != Code::kNotFound) {
            expectations_.deletionObserved(key, victim_keys[i]);
            recordEvent(rs, "Warning", "FailedDelete", "Error deleting: " + gone.status().message());
            return gone.status();
          }
          if (gone.isOk()) recordEvent(rs, "Normal", "SuccessfulDelete", "Deleted pod: " + pod.metadata.name);
          return Status::ok();
        },
        &failure);
    return failure;
  }
  return Status::ok();
}

Status ReplicaSetController::updateStatus(const api::ReplicaSet& rs,
                                          const api::ReplicaSetStatus& status) {
  if (api::toJson(rs.status) == api::toJson(status)) return Status::ok();  // observedGeneration included
  json updated = api::toJson(rs);
  updated["status"] = api::toJson(status);
  auto written = client_.update(*sets_resource_, rs.metadata.namespace_, updated, "status");
  if (written.status().code() == Code::kConflict) {
    // Status only: take the newest object and write ours over it once more.
    ASSIGN_OR_RETURN(json fresh, client_.get(*sets_resource_, rs.metadata.namespace_, rs.metadata.name));
    fresh["status"] = api::toJson(status);
    written = client_.update(*sets_resource_, rs.metadata.namespace_, fresh, "status");
  }
  if (written.status().code() == Code::kNotFound) return Status::ok();
  return written.status();
}

Status ReplicaSetController::sync(const std::string& key) {
  size_t slash = key.find('/');
  if (slash == std::string::npos) return Status::ok();  // not a ReplicaSet key
  SetPtr rs = sets_.get(key.substr(0, slash), key.substr(slash + 1));
  if (!rs) {
    expectations_.forget(key);
    return Status::ok();
  }
  const bool needs_sync = expectations_.satisfied(key);
  auto claimed = claimPods(*rs);
  if (!claimed.isOk()) return claimed.status();
  std::vector<PodPtr> pods = std::move(claimed).value();

  Status manage_error;
  if (needs_sync && rs->metadata.deletion_timestamp.empty()) {
    manage_error = manageReplicas(*rs, pods);
  }
  api::ReplicaSetStatus status = computeReplicaSetStatus(*rs, pods, manage_error, clock_.now());
  Status s = updateStatus(*rs, status);
  if (!manage_error.isOk()) return manage_error;
  if (!s.isOk()) return s;
  const int desired = rs->spec.replicas.value_or(1);
  if (rs->spec.min_ready_seconds > 0 && status.ready_replicas == desired &&
      status.available_replicas != desired) {
    queue_.addAfter(key, std::chrono::seconds(rs->spec.min_ready_seconds));
  }
  return Status::ok();
}

void ReplicaSetController::recordEvent(const api::ReplicaSet& rs, const std::string& type,
                                       const std::string& reason, const std::string& message) {
  client::EventTarget target{"ReplicaSet",           "apps/v1", rs.metadata.namespace_,
                             rs.metadata.name,       rs.metadata.uid, "", ""};
  events_.record(target, {type, reason, message});
}

}  // namespace minik8s::controller
