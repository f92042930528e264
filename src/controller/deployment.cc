#include "controller/deployment.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "api/codec.h"
#include "common/log.h"
#include "controller/deployment_util.h"
#include "controller/replicaset.h"

namespace minik8s::controller {

using nlohmann::json;

namespace {

constexpr char kDeploymentControllerName[] = "deployment-controller";

bool olderFirst(const api::ReplicaSet& a, const api::ReplicaSet& b) {
  if (a.metadata.creation_timestamp != b.metadata.creation_timestamp)
    return a.metadata.creation_timestamp < b.metadata.creation_timestamp;
  return a.metadata.name < b.metadata.name;
}

template <typename T>
Result<T> decodeResult(const Result<json>& r) {
  if (!r.isOk()) return r.status();
  return api::decode<T>(r.value());
}

}  // namespace

struct DeploymentController::Rollout {
  api::Deployment d;
  std::vector<api::ReplicaSet> all;  // claimed, before the split
  std::optional<api::ReplicaSet> new_rs;
  std::vector<api::ReplicaSet> old;

  std::vector<api::ReplicaSet> everything() const {
    std::vector<api::ReplicaSet> out = old;
    if (new_rs) out.push_back(*new_rs);
    return out;
  }
};

DeploymentController::DeploymentController(client::Client& client,
                                           const client::ObjectCache<api::Deployment>& deployments,
                                           const client::ObjectCache<api::ReplicaSet>& sets,
                                           const client::ObjectCache<api::Pod>& pods, Clock& clock)
    : client_(client),
      clock_(clock),
      deployments_resource_(api::findResource("apps", "v1", "deployments")),
      sets_resource_(api::findResource("apps", "v1", "replicasets")),
      deployments_(deployments),
      sets_(sets),
      pods_(pods),
      events_(client, {kDeploymentControllerName, ""}, clock),
      queue_(clock),
      loop_("deployment", queue_, [this](const std::string& key) { return sync(key); }) {}

DeploymentController::DeploymentController(client::Client& client,
                                           client::SharedInformerFactory& informers, Clock& clock)
    : DeploymentController(
          client,
          informers.informerFor<api::Deployment>(*api::findResource("apps", "v1", "deployments"))
              .cache(),
          informers.informerFor<api::ReplicaSet>(*api::findResource("apps", "v1", "replicasets"))
              .cache(),
          informers.informerFor<api::Pod>(*api::findResource("", "v1", "pods")).cache(), clock) {
  auto& deployments = informers.informerFor<api::Deployment>(*deployments_resource_);
  auto& sets = informers.informerFor<api::ReplicaSet>(*sets_resource_);
  auto& pods = informers.informerFor<api::Pod>(*api::findResource("", "v1", "pods"));
  informers_ = {&deployments, &sets, &pods};
  registerHandlers(deployments, sets, pods);
}

DeploymentController::~DeploymentController() {
  stop();
}

void DeploymentController::registerHandlers(client::Informer<api::Deployment>& deployments,
                                            client::Informer<api::ReplicaSet>& sets,
                                            client::Informer<api::Pod>& pods) {
  deployments.addHandler({
      .on_add = [this](const DeploymentPtr& d) { onDeployment(d); },
      .on_update = [this](const DeploymentPtr&, const DeploymentPtr& d) { onDeployment(d); },
      .on_delete = [this](const DeploymentPtr& d) { onDeployment(d); },
  });
  using SetPtr = std::shared_ptr<const api::ReplicaSet>;
  sets.addHandler({
      .on_add = [this](const SetPtr& rs) { onReplicaSet(rs); },
      .on_update = [this](const SetPtr& old_rs, const SetPtr& rs) { onReplicaSetUpdated(old_rs, rs); },
      .on_delete = [this](const SetPtr& rs) { onReplicaSet(rs); },
  });
  pods.addHandler({.on_add = nullptr,
                   .on_update = nullptr,
                   .on_delete = [this](const PodPtr& pod) { onPodDeleted(pod); }});
}

Status DeploymentController::run(int workers, std::chrono::milliseconds sync_timeout) {
  return loop_.run(workers, informers_, sync_timeout);
}

void DeploymentController::stop() {
  loop_.stop();
}

void DeploymentController::enqueue(const api::ObjectMeta& deployment) {
  queue_.add(keyOf(deployment));
}

void DeploymentController::onDeployment(const DeploymentPtr& d) {
  enqueue(d->metadata);
}

DeploymentController::DeploymentPtr DeploymentController::ownerOf(const api::ObjectMeta& rs) const {
  const api::OwnerReference* ref = controllerRefOf(rs);
  if (!ref || ref->kind != "Deployment") return nullptr;
  DeploymentPtr d = deployments_.get(rs.namespace_, ref->name);
  return d && d->metadata.uid == ref->uid ? d : nullptr;
}

void DeploymentController::onReplicaSet(const std::shared_ptr<const api::ReplicaSet>& rs) {
  if (DeploymentPtr d = ownerOf(rs->metadata)) {
    enqueue(d->metadata);
    return;
  }
  if (controllerRefOf(rs->metadata)) return;  // someone else's
  for (const auto& d : deployments_.listNamespace(rs->metadata.namespace_)) {
    if (selectorOf(d->spec.selector).matches(rs->metadata.labels)) enqueue(d->metadata);
  }
}

void DeploymentController::onReplicaSetUpdated(const std::shared_ptr<const api::ReplicaSet>& old_rs,
                                               const std::shared_ptr<const api::ReplicaSet>& rs) {
  if (old_rs->metadata.resource_version == rs->metadata.resource_version) return;
  const api::OwnerReference* old_ref = controllerRefOf(old_rs->metadata);
  const api::OwnerReference* ref = controllerRefOf(rs->metadata);
  if (old_ref && (!ref || ref->uid != old_ref->uid)) {
    if (DeploymentPtr d = ownerOf(old_rs->metadata)) enqueue(d->metadata);
  }
  onReplicaSet(rs);
}

void DeploymentController::onPodDeleted(const PodPtr& pod) {
  // A Recreate rollout waits for the old pods to be gone.
  const api::OwnerReference* ref = controllerRefOf(pod->metadata);
  if (!ref || ref->kind != "ReplicaSet") return;
  auto rs = sets_.get(pod->metadata.namespace_, ref->name);
  if (!rs || rs->metadata.uid != ref->uid) return;
  DeploymentPtr d = ownerOf(rs->metadata);
  if (d && d->spec.strategy.type == "Recreate") enqueue(d->metadata);
}

Result<std::vector<api::ReplicaSet>> DeploymentController::claimReplicaSets(const api::Deployment& d) {
  const api::LabelSelector selector = selectorOf(d.spec.selector);
  const bool deleting = !d.metadata.deletion_timestamp.empty();
  std::vector<api::ReplicaSet> claimed;
  bool fresh_checked = false;
  for (const auto& rs : sets_.listNamespace(d.metadata.namespace_)) {
    const bool matches = selector.matches(rs->metadata.labels);
    const api::OwnerReference* ref = controllerRefOf(rs->metadata);
    if (ref) {
      if (ref->uid != d.metadata.uid) continue;
      if (matches || deleting) {
        claimed.push_back(*rs);
        continue;
      }
      auto refs = rs->metadata.owner_references;
      std::erase_if(refs, [&](const api::OwnerReference& r) { return r.uid == d.metadata.uid; });
      Status s = client_
                     .patch(*sets_resource_, rs->metadata.namespace_, rs->metadata.name,
                            client::PatchType::kJson, ownerReferencesPatch(rs->metadata, refs))
                     .status();
      if (!s.isOk() && s.code() != Code::kNotFound) return s;
      continue;
    }
    if (!matches || deleting || !rs->metadata.deletion_timestamp.empty()) continue;
    if (!fresh_checked) {  // never adopt for a Deployment that is going away
      ASSIGN_OR_RETURN(json fresh, client_.get(*deployments_resource_, d.metadata.namespace_, d.metadata.name));
      if (fresh["metadata"].value("uid", std::string()) != d.metadata.uid ||
          fresh["metadata"].contains("deletionTimestamp")) {
        return conflict("deployment " + keyOf(d.metadata) + " changed; not adopting");
      }
      fresh_checked = true;
    }
    auto refs = rs->metadata.owner_references;
    refs.push_back(makeControllerRef("apps/v1", "Deployment", d.metadata));
    ASSIGN_OR_RETURN(api::ReplicaSet adopted,
                     decodeResult<api::ReplicaSet>(client_.patch(
                         *sets_resource_, rs->metadata.namespace_, rs->metadata.name,
                         client::PatchType::kJson, ownerReferencesPatch(rs->metadata, refs))));
    claimed.push_back(std::move(adopted));
  }
  return claimed;
}

Status DeploymentController::prepare(Rollout& r, bool create) {
  r.new_rs.reset();
  r.old.clear();
  int found = findNewReplicaSet(r.d, r.all);
  for (size_t i = 0; i < r.all.size(); ++i) {
    if (static_cast<int>(i) == found) r.new_rs = r.all[i];
    else r.old.push_back(r.all[i]);
  }
  const std::string new_revision = std::to_string(maxRevision(r.old) + 1);
  if (r.new_rs) {
    api::ReplicaSet& rs = *r.new_rs;
    bool changed = false;
    if (revisionOf(rs.metadata) < maxRevision(r.old) + 1) {
      rs.metadata.annotations[kRevisionAnnotation] = new_revision;
      changed = true;
    }
    for (const auto& [k, v] : annotationsToCopy(r.d.metadata)) {
      auto it = rs.metadata.annotations.find(k);
      if (it == rs.metadata.annotations.end() || it->second != v) {
        rs.metadata.annotations[k] = v;
        changed = true;
      }
    }
    if (rs.spec.min_ready_seconds != r.d.spec.min_ready_seconds) {
      rs.spec.min_ready_seconds = r.d.spec.min_ready_seconds;
      changed = true;
    }
    if (changed) {
      ASSIGN_OR_RETURN(rs, decodeResult<api::ReplicaSet>(
                               client_.update(*sets_resource_, rs.metadata.namespace_, api::toJson(rs))));
    }
    if (r.d.spec.progress_deadline_seconds && !findCondition(r.d.status.conditions, "Progressing")) {
      setCondition(r.d.status.conditions,
                   makeCondition("Progressing", "True", "FoundNewReplicaSet",
                                 "Found new replica set \"" + rs.metadata.name + "\"", clock_.now()));
    }
  } else if (create) {
    RETURN_IF_ERROR(createNewReplicaSet(r));
  }
  if (r.new_rs) {
    const std::string revision = std::to_string(revisionOf(r.new_rs->metadata));
    auto it = r.d.metadata.annotations.find(kRevisionAnnotation);
    if (it == r.d.metadata.annotations.end() || it->second != revision) {
      json patch = {{"metadata", {{"annotations", {{kRevisionAnnotation, revision}}}}}};
      ASSIGN_OR_RETURN(api::Deployment patched,
                       decodeResult<api::Deployment>(client_.patch(
                           *deployments_resource_, r.d.metadata.namespace_, r.d.metadata.name,
                           client::PatchType::kMerge, patch.dump())));
      r.d.metadata = std::move(patched.metadata);  // this sync's status changes stay
    }
  }
  return Status::ok();
}

Status DeploymentController::createNewReplicaSet(Rollout& r) {
  const api::Deployment& d = r.d;
  const std::string hash = podTemplateHash(d.spec.template_, d.status.collision_count);
  api::ReplicaSet rs;
  rs.api_version = "apps/v1";
  rs.kind = "ReplicaSet";
  rs.metadata.name = d.metadata.name + "-" + hash;
  rs.metadata.namespace_ = d.metadata.namespace_;
  rs.spec.template_ = d.spec.template_;
  rs.spec.template_.metadata.labels[kPodTemplateHashLabel] = hash;
  rs.metadata.labels = rs.spec.template_.metadata.labels;
  rs.metadata.annotations = annotationsToCopy(d.metadata);
  rs.metadata.annotations[kRevisionAnnotation] = std::to_string(maxRevision(r.old) + 1);
  rs.metadata.annotations[kDesiredReplicasAnnotation] = std::to_string(desiredReplicas(d));
  rs.metadata.annotations[kMaxReplicasAnnotation] = std::to_string(desiredReplicas(d) + maxSurge(d));
  rs.metadata.owner_references.push_back(makeControllerRef("apps/v1", "Deployment", d.metadata));
  rs.spec.selector = d.spec.selector.value_or(api::LabelSelectorSpec{});
  rs.spec.selector->match_labels[kPodTemplateHashLabel] = hash;
  rs.spec.min_ready_seconds = d.spec.min_ready_seconds;
  const int32_t replicas = newReplicaSetReplicas(d, r.old, 0);
  rs.spec.replicas = replicas;

  auto created = client_.create(*sets_resource_, d.metadata.namespace_, api::toJson(rs));
  if (created.status().code() == Code::kAlreadyExists) {
    ASSIGN_OR_RETURN(api::ReplicaSet existing,
                     decodeResult<api::ReplicaSet>(
                         client_.get(*sets_resource_, d.metadata.namespace_, rs.metadata.name)));
    const api::OwnerReference* ref = controllerRefOf(existing.metadata);
    if (ref && ref->uid == d.metadata.uid && equalIgnoreHash(existing.spec.template_, d.spec.template_)) {
      r.new_rs = std::move(existing);
      return Status::ok();
    }
    // A hash collision: another template already has this name. Count it; the next sync
    // hashes with the new count.
    json status_update = api::toJson(d);
    status_update["status"]["collisionCount"] = d.status.collision_count.value_or(0) + 1;
    RETURN_IF_ERROR(client_.update(*deployments_resource_, d.metadata.namespace_, status_update, "status").status());
    return conflict("replica set name " + rs.metadata.name + " collides; retrying with a new hash");
  }
  ASSIGN_OR_RETURN(api::ReplicaSet made, decodeResult<api::ReplicaSet>(created));
  if (replicas > 0) {
    recordEvent(d, "Normal", "ScalingReplicaSet",
                "Scaled up replica set " + made.metadata.name + " from 0 to " + std::to_string(replicas));
  }
  if (d.spec.progress_deadline_seconds) {
    setCondition(r.d.status.conditions,
                 makeCondition("Progressing", "True", "NewReplicaSetCreated",
                               "Created new replica set \"" + made.metadata.name + "\"", clock_.now()));
  }
  r.new_rs = std::move(made);
  return Status::ok();
}

Status DeploymentController::scaleReplicaSet(Rollout& r, api::ReplicaSet& rs, int32_t replicas) {
  const std::string desired = std::to_string(desiredReplicas(r.d));
  const std::string max = std::to_string(desiredReplicas(r.d) + maxSurge(r.d));
  const int32_t from = specReplicas(rs);
  if (from == replicas && rs.metadata.annotations[kDesiredReplicasAnnotation] == desired &&
      rs.metadata.annotations[kMaxReplicasAnnotation] == max) {
    return Status::ok();
  }
  api::ReplicaSet scaled = rs;
  scaled.spec.replicas = replicas;
  scaled.metadata.annotations[kDesiredReplicasAnnotation] = desired;
  scaled.metadata.annotations[kMaxReplicasAnnotation] = max;
  ASSIGN_OR_RETURN(rs, decodeResult<api::ReplicaSet>(
                           client_.update(*sets_resource_, rs.metadata.namespace_, api::toJson(scaled))));
  if (from != replicas) {
    recordEvent(r.d, "Normal", "ScalingReplicaSet",
                std::string("Scaled ") + (replicas > from ? "up" : "down") + " replica set " +
                    rs.metadata.name + " from " + std::to_string(from) + " to " +
                    std::to_string(replicas));
  }
  return Status::ok();
}

Status DeploymentController::rolloutRolling(Rollout& r) {
  RETURN_IF_ERROR(prepare(r, true));
  const int32_t desired = desiredReplicas(r.d);
  // Scale the new ReplicaSet up (within maxSurge) or down to spec.replicas.
  if (r.new_rs) {
    const int32_t current = specReplicas(*r.new_rs);
    int32_t target = current > desired ? desired
                                       : newReplicaSetReplicas(r.d, r.everything(), current);
    if (target != current) {
      RETURN_IF_ERROR(scaleReplicaSet(r, *r.new_rs, target));
      return syncStatus(r, true);
    }
  }
  // Scale old ReplicaSets down within maxUnavailable: unhealthy replicas first.
  std::sort(r.old.begin(), r.old.end(), olderFirst);
  if (sumSpecReplicas(r.old) > 0) {
    const int32_t budget = maxScaledDown(r.d, r.everything(), r.new_rs ? &*r.new_rs : nullptr);
    int32_t scaled_down = 0;
    if (budget > 0) {
      for (auto& rs : r.old) {
        if (scaled_down >= budget) break;
        const int32_t unhealthy = specReplicas(rs) - rs.status.available_replicas;
        if (specReplicas(rs) == 0 || unhealthy <= 0) continue;
        const int32_t n = std::min(budget - scaled_down, unhealthy);
        RETURN_IF_ERROR(scaleReplicaSet(r, rs, specReplicas(rs) - n));
        scaled_down += n;
      }
      // Then available ones, oldest ReplicaSet first, keeping the minimum available.
      const int32_t min_available = desired - maxUnavailable(r.d);
      const int32_t available = availableAfterScaling(r);
      int32_t removable = available - min_available;
      for (auto& rs : r.old) {
        if (removable <= 0) break;
        if (specReplicas(rs) == 0) continue;
        const int32_t n = std::min(specReplicas(rs), removable);
        RETURN_IF_ERROR(scaleReplicaSet(r, rs, specReplicas(rs) - n));
        removable -= n;
        scaled_down += n;
      }
    }
    if (scaled_down > 0) return syncStatus(r, true);
  }
  if (deploymentComplete(r.d, calculateStatus(r.d, r.everything(), r.new_rs ? &*r.new_rs : nullptr,
                                              clock_.now()))) {
    RETURN_IF_ERROR(cleanupOldReplicaSets(r));
  }
  return syncStatus(r, true);
}

int32_t DeploymentController::availableAfterScaling(const Rollout& r) const {
  std::map<std::string, int32_t> available;  // ReplicaSet uid → available pods in the cache
  for (const auto& pod : pods_.listNamespace(r.d.metadata.namespace_)) {
    const api::OwnerReference* ref = controllerRefOf(pod->metadata);
    if (!ref || !pod->metadata.deletion_timestamp.empty()) continue;
    if (isPodAvailable(*pod, r.d.spec.min_ready_seconds, clock_.now())) ++available[ref->uid];
  }
  int32_t total = 0;
  for (const auto& rs : r.everything()) {
    auto it = available.find(rs.metadata.uid);
    if (it != available.end()) total += std::min(it->second, specReplicas(rs));
  }
  return total;
}

bool DeploymentController::oldPodsRunning(const Rollout& r) const {
  if (sumStatusReplicas(r.old) > 0) return true;
  std::set<std::string> old_uids;
  for (const auto& rs : r.old) old_uids.insert(rs.metadata.uid);
  for (const auto& pod : pods_.listNamespace(r.d.metadata.namespace_)) {
    const api::OwnerReference* ref = controllerRefOf(pod->metadata);
    if (!ref || !old_uids.count(ref->uid)) continue;
    if (pod->status.phase != "Failed" && pod->status.phase != "Succeeded") return true;
  }
  return false;
}

Status DeploymentController::rolloutRecreate(Rollout& r) {
  RETURN_IF_ERROR(prepare(r, false));
  bool scaled_down = false;
  for (auto& rs : r.old) {
    if (specReplicas(rs) == 0) continue;
    RETURN_IF_ERROR(scaleReplicaSet(r, rs, 0));
    scaled_down = true;
  }
  if (scaled_down || oldPodsRunning(r)) return syncStatus(r, true);
  if (!r.new_rs) RETURN_IF_ERROR(prepare(r, true));
  if (r.new_rs && specReplicas(*r.new_rs) != desiredReplicas(r.d)) {
    RETURN_IF_ERROR(scaleReplicaSet(r, *r.new_rs, desiredReplicas(r.d)));
  }
  if (deploymentComplete(r.d, calculateStatus(r.d, r.everything(), r.new_rs ? &*r.new_rs : nullptr,
                                              clock_.now()))) {
    RETURN_IF_ERROR(cleanupOldReplicaSets(r));
  }
  return syncStatus(r, true);
}

bool DeploymentController::isScalingEvent(const Rollout& r) const {
  for (const auto& rs : r.all) {
    if (specReplicas(rs) == 0) continue;
    auto it = rs.metadata.annotations.find(kDesiredReplicasAnnotation);
    if (it != rs.metadata.annotations.end() && it->second != std::to_string(desiredReplicas(r.d)))
      return true;
  }
  return false;
}

Status DeploymentController::scaleOnly(Rollout& r) {
  RETURN_IF_ERROR(prepare(r, false));
  const int32_t desired = desiredReplicas(r.d);
  std::vector<api::ReplicaSet*> active;
  if (r.new_rs && specReplicas(*r.new_rs) > 0) active.push_back(&*r.new_rs);
  for (auto& rs : r.old) {
    if (specReplicas(rs) > 0) active.push_back(&rs);
  }
  api::ReplicaSet* only = nullptr;
  if (active.size() == 1) {
    only = active[0];
  } else if (active.empty()) {  // the latest one gets the replicas
    if (r.new_rs) {
      only = &*r.new_rs;
    } else if (!r.old.empty()) {
      only = &*std::max_element(r.old.begin(), r.old.end(), olderFirst);
    }
  }
  if (only) {
    RETURN_IF_ERROR(scaleReplicaSet(r, *only, desired));
  } else if (!active.empty()) {
    if (r.new_rs && specReplicas(*r.new_rs) == desired &&
        r.new_rs->status.available_replicas == desired) {
      for (auto& rs : r.old) RETURN_IF_ERROR(scaleReplicaSet(r, rs, 0));  // saturated
    } else if (r.d.spec.strategy.type != "Recreate") {
      // Proportional scaling: spread the change over the active ReplicaSets by size.
      const int32_t allowed = desired + maxSurge(r.d);
      int32_t total = 0;
      for (auto* rs : active) total += specReplicas(*rs);
      const int32_t to_add = allowed - total;
      if (to_add != 0 && total > 0) {
        std::sort(active.begin(), active.end(), [&](auto* a, auto* b) {
          if (specReplicas(*a) != specReplicas(*b)) return specReplicas(*a) > specReplicas(*b);
          return to_add > 0 ? olderFirst(*b, *a) : olderFirst(*a, *b);
        });
        std::vector<int32_t> targets;
        int32_t added = 0;
        for (auto* rs : active) {
          int32_t share = static_cast<int32_t>(
              std::lround(static_cast<double>(specReplicas(*rs)) * to_add / total));
          if (to_add > 0) share = std::min(share, to_add - added);
          else share = std::max(share, to_add - added);
          targets.push_back(std::max(specReplicas(*rs) + share, 0));
          added += share;
        }
        targets[0] = std::max(targets[0] + (to_add - added), 0);  // the rounding leftover
        for (size_t i = 0; i < active.size(); ++i) {
          RETURN_IF_ERROR(scaleReplicaSet(r, *active[i], targets[i]));
        }
      }
    }
  }
  if (r.d.spec.paused) RETURN_IF_ERROR(cleanupOldReplicaSets(r));
  return syncStatus(r, false);
}

Status DeploymentController::cleanupOldReplicaSets(Rollout& r) {
  const int32_t limit = r.d.spec.revision_history_limit.value_or(10);
  std::vector<api::ReplicaSet*> cleanable;
  for (auto& rs : r.old) {
    if (specReplicas(rs) == 0 && rs.status.replicas == 0 && rs.metadata.deletion_timestamp.empty())
      cleanable.push_back(&rs);
  }
  if (static_cast<int32_t>(cleanable.size()) <= limit) return Status::ok();
  std::sort(cleanable.begin(), cleanable.end(), [](auto* a, auto* b) {
    return revisionOf(a->metadata) < revisionOf(b->metadata);
  });
  const size_t excess = cleanable.size() - static_cast<size_t>(limit);
  for (size_t i = 0; i < excess; ++i) {
    client::DeleteOptions opts;
    opts.precondition_uid = cleanable[i]->metadata.uid;
    auto gone = client_.remove(*sets_resource_, cleanable[i]->metadata.namespace_,
                               cleanable[i]->metadata.name, opts);
    if (!gone.isOk() && gone.status().code() != Code::kNotFound) return gone.status();
  }
  return Status::ok();
}

Status DeploymentController::syncStatus(Rollout& r, bool rolling_out) {
  const Clock::WallTime now = clock_.now();
  const api::ReplicaSet* new_rs = r.new_rs ? &*r.new_rs : nullptr;
  api::DeploymentStatus status = calculateStatus(r.d, r.everything(), new_rs, now);
  const std::string rs_name = new_rs ? new_rs->metadata.name : "";
  if (rolling_out && r.d.spec.progress_deadline_seconds) {
    const api::Condition* current = findCondition(status.conditions, "Progressing");
    const bool complete_already = status.replicas == status.updated_replicas && current &&
                                  current->reason == "NewReplicaSetAvailable";
    if (!complete_already) {
      if (deploymentComplete(r.d, status)) {
        setCondition(status.conditions,
                     makeCondition("Progressing", "True", "NewReplicaSetAvailable",
                                   "ReplicaSet \"" + rs_name + "\" has successfully progressed.", now));
      } else if (deploymentProgressing(r.d, status)) {
        api::Condition c = makeCondition("Progressing", "True", "ReplicaSetUpdated",
                                         "ReplicaSet \"" + rs_name + "\" is progressing.", now);
        if (current && current->status == "True") c.last_transition_time = current->last_transition_time;
        std::erase_if(status.conditions, [](const api::Condition& x) { return x.type == "Progressing"; });
        status.conditions.push_back(std::move(c));
      } else if (deploymentTimedOut(r.d, status, now)) {
        setCondition(status.conditions,
                     makeCondition("Progressing", "False", "ProgressDeadlineExceeded",
                                   "ReplicaSet \"" + rs_name + "\" has timed out progressing.", now));
      }
    }
  }
  // A ReplicaSet that cannot create or delete pods makes the Deployment say so. (A copy:
  // everything() returns a temporary.)
  std::optional<api::Condition> failure;
  for (const auto& rs : r.everything()) {
    const api::Condition* c = findCondition(rs.status.conditions, "ReplicaFailure");
    if (c && c->status == "True" && (!failure || (new_rs && rs.metadata.uid == new_rs->metadata.uid)))
      failure = *c;
  }
  if (failure) {
    setCondition(status.conditions,
                 makeCondition("ReplicaFailure", "True", failure->reason, failure->message, now));
  } else {
    std::erase_if(status.conditions, [](const api::Condition& x) { return x.type == "ReplicaFailure"; });
  }

  if (api::toJson(status) != api::toJson(r.d.status)) {
    json updated = api::toJson(r.d);
    updated["status"] = api::toJson(status);
    auto written = client_.update(*deployments_resource_, r.d.metadata.namespace_, updated, "status");
    if (written.status().code() == Code::kNotFound) return Status::ok();
    RETURN_IF_ERROR(written.status());
  }
  // Look again when the progress deadline would pass.
  const api::Condition* progressing = findCondition(status.conditions, "Progressing");
  if (rolling_out && r.d.spec.progress_deadline_seconds && progressing &&
      progressing->reason != "NewReplicaSetAvailable" &&
      progressing->reason != "ProgressDeadlineExceeded" && !deploymentComplete(r.d, status)) {
    Clock::WallTime since;
    if (parseRfc3339(progressing->last_update_time, &since)) {
      auto after = since + std::chrono::seconds(*r.d.spec.progress_deadline_seconds) - now;
      queue_.addAfter(keyOf(r.d.metadata),
                      std::max<std::chrono::nanoseconds>(after, std::chrono::seconds(0)) +
                          std::chrono::seconds(1));
    }
  }
  return Status::ok();
}

Status DeploymentController::sync(const std::string& key) {
  size_t slash = key.find('/');
  if (slash == std::string::npos) return Status::ok();
  DeploymentPtr cached = deployments_.get(key.substr(0, slash), key.substr(slash + 1));
  if (!cached) return Status::ok();
  Rollout r;
  r.d = *cached;
  if (!r.d.spec.selector ||
      (r.d.spec.selector->match_labels.empty() && r.d.spec.selector->match_expressions.empty())) {
    recordEvent(r.d, "Warning", "SelectingAll",
                "This deployment is selecting all pods. A non-empty selector is required.");
    return Status::ok();
  }
  ASSIGN_OR_RETURN(r.all, claimReplicaSets(r.d));
  if (!r.d.metadata.deletion_timestamp.empty()) {
    RETURN_IF_ERROR(prepare(r, false));
    return syncStatus(r, false);
  }
  if (r.d.spec.progress_deadline_seconds) {
    const api::Condition* c = findCondition(r.d.status.conditions, "Progressing");
    const bool paused_condition = c && c->reason == "DeploymentPaused";
    if (r.d.spec.paused && !paused_condition) {
      setCondition(r.d.status.conditions, makeCondition("Progressing", "Unknown", "DeploymentPaused",
                                                        "Deployment is paused", clock_.now()));
    } else if (!r.d.spec.paused && paused_condition) {
      setCondition(r.d.status.conditions, makeCondition("Progressing", "Unknown", "DeploymentResumed",
                                                        "Deployment is resumed", clock_.now()));
    }
  }
  if (r.d.spec.paused) return scaleOnly(r);
  if (isScalingEvent(r)) return scaleOnly(r);
  if (r.d.spec.strategy.type == "Recreate") return rolloutRecreate(r);
  return rolloutRolling(r);
}

void DeploymentController::recordEvent(const api::Deployment& d, const std::string& type,
                                       const std::string& reason, const std::string& message) {
  client::EventTarget target{"Deployment", "apps/v1", d.metadata.namespace_, d.metadata.name,
                             d.metadata.uid, "", ""};
  events_.record(target, {type, reason, message});
}

}  // namespace minik8s::controller
