#include "controller/disruption.h"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "api/codec.h"
#include "api/quantity.h"
#include "common/log.h"
#include "controller/replicaset.h"

namespace minik8s::controller {

using nlohmann::json;

namespace {

bool isPdbAppsKind(const api::OwnerReference& ref, const std::string& kind) {
  if (ref.kind != kind) return false;
  return ref.api_version.rfind("apps/", 0) == 0 || ref.api_version.rfind("extensions/", 0) == 0;
}

// The sum of the scales of the pods' controllers, each counted once.
Result<int32_t> pdbExpectedScale(const std::vector<PodPtr>& pods, const ScaleFinder& scales) {
  std::set<std::string> seen;
  int32_t total = 0;
  for (const auto& pod : pods) {
    const api::OwnerReference* ref = controllerRefOf(pod->metadata);
    if (!ref) continue;  // unmanaged: Kubernetes leaves it out of the expected count
    auto scale = scales(pod->metadata.namespace_, *ref);
    if (!scale) {
      return Status(Code::kInternal, "found no controllers for pod \"" + pod->metadata.name + "\"");
    }
    if (seen.insert(scale->uid).second) total += scale->replicas;
  }
  return total;
}

}  // namespace

Result<ExpectedCounts> expectedCounts(const api::PodDisruptionBudget& pdb,
                                      const std::vector<PodPtr>& pods, const ScaleFinder& scales) {
  ExpectedCounts out;
  if (pdb.spec.max_unavailable) {
    ASSIGN_OR_RETURN(out.expected_pods, pdbExpectedScale(pods, scales));
    ASSIGN_OR_RETURN(int32_t max_unavailable,
                     api::scaledValueFromIntOrPercent(*pdb.spec.max_unavailable,
                                                      out.expected_pods, true));
    out.desired_healthy = std::max(0, out.expected_pods - max_unavailable);
  } else if (pdb.spec.min_available) {
    if (!pdb.spec.min_available->is_string) {
      out.desired_healthy = pdb.spec.min_available->int_value;
      out.expected_pods = static_cast<int32_t>(pods.size());
    } else {
      ASSIGN_OR_RETURN(out.expected_pods, pdbExpectedScale(pods, scales));
      ASSIGN_OR_RETURN(out.desired_healthy,
                       api::scaledValueFromIntOrPercent(*pdb.spec.min_available,
                                                        out.expected_pods, true));
    }
  }
  return out;
}

int32_t countHealthyPods(const std::vector<PodPtr>& pods, const api::StringMap& disrupted,
                         Clock::WallTime now) {
  int32_t healthy = 0;
  for (const auto& pod : pods) {
    if (!pod->metadata.deletion_timestamp.empty()) continue;
    if (auto it = disrupted.find(pod->metadata.name); it != disrupted.end()) {
      Clock::WallTime at;
      if (parseRfc3339(it->second, &at) && at + kDeletionTimeout > now) continue;
    }
    if (isPodReady(*pod)) ++healthy;
  }
  return healthy;
}

void updateDisruptionAllowedCondition(api::PodDisruptionBudgetStatus& status, Clock::WallTime now) {
  api::PodDisruptionBudgetCondition want;
  want.type = api::kDisruptionAllowedCondition;
  want.observed_generation = status.observed_generation;
  if (status.disruptions_allowed > 0) {
    want.status = "True";
    want.reason = api::kSufficientPodsReason;
  } else {
    want.status = "False";
    want.reason = api::kInsufficientPodsReason;
  }
  auto it = std::find_if(status.conditions.begin(), status.conditions.end(),
                         [](const auto& c) { return c.type == api::kDisruptionAllowedCondition; });
  if (it == status.conditions.end()) {
    want.last_transition_time = formatRfc3339(now);
    status.conditions.push_back(std::move(want));
    return;
  }
  // metav1 SetStatusCondition: the transition time moves only with the status.
  want.last_transition_time = it->status == want.status && !it->last_transition_time.empty()
                                  ? it->last_transition_time
                                  : formatRfc3339(now);
  *it = std::move(want);
}

PdbStatusResult computePdbStatus(const api::PodDisruptionBudget& pdb,
                                 const std::vector<PodPtr>& pods, const ScaleFinder& scales,
                                 Clock::WallTime now) {
  PdbStatusResult out;
  api::PodDisruptionBudgetStatus& status = out.status;
  status.conditions = pdb.status.conditions;
  status.observed_generation = pdb.metadata.generation;

  // Evictions the apiserver allowed whose pods still exist, are not being deleted yet and
  // are not older than kDeletionTimeout (Kubernetes' buildDisruptedPodMap).
  for (const auto& [name, when] : pdb.status.disrupted_pods) {
    auto pod = std::find_if(pods.begin(), pods.end(),
                            [&name = name](const PodPtr& p) { return p->metadata.name == name; });
    if (pod == pods.end() || !(*pod)->metadata.deletion_timestamp.empty()) continue;
    Clock::WallTime at;
    if (!parseRfc3339(when, &at)) continue;
    Clock::WallTime expires = at + kDeletionTimeout;
    if (expires <= now) {
      log::warn("disruption: pod {}/{} was expected to be deleted at {} but it was not",
                pdb.metadata.namespace_, name, when);
      continue;
    }
    status.disrupted_pods[name] = when;
    if (!out.recheck || expires < *out.recheck) out.recheck = expires;
  }

  auto counts = expectedCounts(pdb, pods, scales);
  if (!counts.isOk()) {
    // Kubernetes' failSafe: nothing may be disrupted while the counts are unknown.
    status.disruptions_allowed = 0;
    status.current_healthy = pdb.status.current_healthy;
    status.desired_healthy = pdb.status.desired_healthy;
    status.expected_pods = pdb.status.expected_pods;
    api::PodDisruptionBudgetCondition failed{.type = api::kDisruptionAllowedCondition,
                                             .status = "False",
                                             .observed_generation = status.observed_generation,
                                             .last_transition_time = formatRfc3339(now),
                                             .reason = api::kSyncFailedReason,
                                             .message = counts.status().message()};
    auto it = std::find_if(status.conditions.begin(), status.conditions.end(),
                           [](const auto& c) { return c.type == api::kDisruptionAllowedCondition; });
    if (it == status.conditions.end()) {
      status.conditions.push_back(std::move(failed));
    } else {
      if (it->status == "False") failed.last_transition_time = it->last_transition_time;
      *it = std::move(failed);
    }
    return out;
  }
  status.expected_pods = counts->expected_pods;
  status.desired_healthy = counts->desired_healthy;
  status.current_healthy = countHealthyPods(pods, status.disrupted_pods, now);
  status.disruptions_allowed = status.current_healthy - status.desired_healthy;
  if (status.expected_pods <= 0 || status.disruptions_allowed <= 0) status.disruptions_allowed = 0;
  updateDisruptionAllowedCondition(status, now);
  return out;
}

// ---------------------------------------------------------------------------------------

DisruptionController::DisruptionController(
    client::Client& client, const client::ObjectCache<api::PodDisruptionBudget>& pdbs,
    const client::ObjectCache<api::Pod>& pods,
    const client::ObjectCache<api::ReplicaSet>& replica_sets,
    const client::ObjectCache<api::Deployment>& deployments, Clock& clock)
    : client_(client),
      clock_(clock),
      pdbs_resource_(api::findResource("policy", "v1", "poddisruptionbudgets")),
      pdbs_(pdbs),
      pods_(pods),
      replica_sets_(replica_sets),
      deployments_(deployments),
      queue_(clock),
      loop_("disruption", queue_, [this](const std::string& key) { return sync(key); }) {}

DisruptionController::DisruptionController(client::Client& client,
                                           client::SharedInformerFactory& informers, Clock& clock)
    : DisruptionController(
          client,
          informers
              .informerFor<api::PodDisruptionBudget>(
                  *api::findResource("policy", "v1", "poddisruptionbudgets"))
              .cache(),
          informers.informerFor<api::Pod>(podsResource()).cache(),
          informers.informerFor<api::ReplicaSet>(*api::findResource("apps", "v1", "replicasets"))
              .cache(),
          informers.informerFor<api::Deployment>(*api::findResource("apps", "v1", "deployments"))
              .cache(),
          clock) {
  auto& pdbs = informers.informerFor<api::PodDisruptionBudget>(*pdbs_resource_);
  auto& pods = informers.informerFor<api::Pod>(podsResource());
  auto& sets = informers.informerFor<api::ReplicaSet>(*api::findResource("apps", "v1", "replicasets"));
  auto& deps = informers.informerFor<api::Deployment>(*api::findResource("apps", "v1", "deployments"));
  informers_ = {&pdbs, &pods, &sets, &deps};
  pdbs.addHandler({
      .on_add = [this](const PdbPtr& pdb) { onPdb(pdb); },
      .on_update = [this](const PdbPtr&, const PdbPtr& pdb) { onPdb(pdb); },
      .on_delete = nullptr,
  });
  pods.addHandler({
      .on_add = [this](const PodPtr& pod) { onPod(pod); },
      .on_update =
          [this](const PodPtr& old_pod, const PodPtr& pod) {
            if (old_pod->metadata.labels != pod->metadata.labels) onPod(old_pod);
            onPod(pod);
          },
      .on_delete = [this](const PodPtr& pod) { onPod(pod); },
  });
}

DisruptionController::~DisruptionController() {
  stop();
}

Status DisruptionController::run(int workers, std::chrono::milliseconds sync_timeout) {
  return loop_.run(workers, informers_, sync_timeout);
}

void DisruptionController::stop() {
  loop_.stop();
}

void DisruptionController::onPdb(const PdbPtr& pdb) {
  queue_.add(keyOf(pdb->metadata));
}

void DisruptionController::onPod(const PodPtr& pod) {
  for (const auto& pdb : pdbs_.listNamespace(pod->metadata.namespace_)) {
    if (selectorOf(pdb->spec.selector).matches(pod->metadata.labels)) {
      queue_.add(keyOf(pdb->metadata));
    }
  }
}

std::optional<ControllerScale> DisruptionController::findScale(const std::string& ns,
                                                               const api::OwnerReference& ref) const {
  if (isPdbAppsKind(ref, "ReplicaSet")) {
    auto rs = replica_sets_.get(ns, ref.name);
    if (!rs || rs->metadata.uid != ref.uid) return std::nullopt;
    // A ReplicaSet of a Deployment counts through the Deployment (once for all its sets).
    if (const api::OwnerReference* owner = controllerRefOf(rs->metadata);
        owner && isPdbAppsKind(*owner, "Deployment")) {
      auto deployment = deployments_.get(ns, owner->name);
      if (!deployment || deployment->metadata.uid != owner->uid) return std::nullopt;
      return ControllerScale{deployment->metadata.uid, deployment->spec.replicas.value_or(1)};
    }
    return ControllerScale{rs->metadata.uid, rs->spec.replicas.value_or(1)};
  }
  if (isPdbAppsKind(ref, "Deployment")) {
    auto deployment = deployments_.get(ns, ref.name);
    if (!deployment || deployment->metadata.uid != ref.uid) return std::nullopt;
    return ControllerScale{deployment->metadata.uid, deployment->spec.replicas.value_or(1)};
  }
  // StatefulSets and ReplicationControllers are not served; other kinds' scale
  // subresources are not consulted.
  return std::nullopt;
}

Status DisruptionController::sync(const std::string& key) {
  size_t slash = key.find('/');
  if (slash == std::string::npos) return Status::ok();
  const std::string ns = key.substr(0, slash), name = key.substr(slash + 1);
  PdbPtr pdb = pdbs_.get(ns, name);
  if (!pdb || !pdb->metadata.deletion_timestamp.empty()) return Status::ok();
  std::vector<PodPtr> pods = pods_.listNamespace(ns, selectorOf(pdb->spec.selector));
  const Clock::WallTime now = clock_.now();
  PdbStatusResult result = computePdbStatus(
      *pdb, pods,
      [this](const std::string& pod_ns, const api::OwnerReference& ref) {
        return findScale(pod_ns, ref);
      },
      now);
  if (result.recheck) queue_.addAfter(key, *result.recheck - now);
  if (api::toJson(result.status) == api::toJson(pdb->status)) return Status::ok();
  json updated = api::toJson(*pdb);
  updated["status"] = api::toJson(result.status);
  // With the cached resourceVersion: a conflict (an eviction spent a disruption since)
  // fails the sync, which re-queues it to start again from the newer object.
  auto written = client_.update(*pdbs_resource_, ns, updated, "status");
  if (written.status().code() == Code::kNotFound) return Status::ok();
  return written.status();
}

}  // namespace minik8s::controller
