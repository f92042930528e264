#include "controller/deployment_util.h"

#include <algorithm>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "api/codec.h"

namespace minik8s::controller {

using nlohmann::json;

namespace {

bool isRollingUpdate(const api::Deployment& d) {
  return d.spec.strategy.type.empty() || d.spec.strategy.type == "RollingUpdate";
}

// spec.strategy.rollingUpdate's two values resolved (surge up, unavailable down), before
// the both-zero fencepost.
std::pair<int32_t, int32_t> resolvedSurgeAndUnavailable(const api::Deployment& d) {
  const int32_t replicas = desiredReplicas(d);
  const api::IntOrString default_value = api::IntOrString::ofString("25%");
  api::IntOrString surge = default_value, unavailable = default_value;
  if (d.spec.strategy.rolling_update) {
    if (d.spec.strategy.rolling_update->max_surge) surge = *d.spec.strategy.rolling_update->max_surge;
    if (d.spec.strategy.rolling_update->max_unavailable)
      unavailable = *d.spec.strategy.rolling_update->max_unavailable;
  }
  auto s = api::scaledValueFromIntOrPercent(surge, replicas, true);
  auto u = api::scaledValueFromIntOrPercent(unavailable, replicas, false);
  return {s.isOk() ? *s : 0, u.isOk() ? *u : 0};
}

json templateWithoutHash(const api::PodTemplateSpec& t) {
  json j = api::toJson(t);
  if (j.contains("metadata") && j["metadata"].contains("labels")) {
    j["metadata"]["labels"].erase(kPodTemplateHashLabel);
    if (j["metadata"]["labels"].empty()) j["metadata"].erase("labels");
    if (j["metadata"].empty()) j.erase("metadata");
  }
  return j;
}

}  // namespace

std::string podTemplateHash(const api::PodTemplateSpec& pod_template,
                            std::optional<int32_t> collision_count) {
  std::string text = api::toJson(pod_template).dump();
  if (collision_count) text += "#" + std::to_string(*collision_count);
  uint32_t hash = 2166136261u;  // FNV-1a, 32 bit
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 16777619u;
  }
  static constexpr char kAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  std::string out;
  for (char digit : std::to_string(hash)) out += kAlphabet[static_cast<unsigned char>(digit) % 27];
  return out;
}

bool equalIgnoreHash(const api::PodTemplateSpec& a, const api::PodTemplateSpec& b) {
  return templateWithoutHash(a) == templateWithoutHash(b);
}

int findNewReplicaSet(const api::Deployment& d, const std::vector<api::ReplicaSet>& sets) {
  int found = -1;
  for (size_t i = 0; i < sets.size(); ++i) {
    if (!equalIgnoreHash(sets[i].spec.template_, d.spec.template_)) continue;
    if (found < 0 || sets[i].metadata.creation_timestamp < sets[found].metadata.creation_timestamp)
      found = static_cast<int>(i);
  }
  return found;
}

int64_t revisionOf(const api::ObjectMeta& meta) {
  auto it = meta.annotations.find(kRevisionAnnotation);
  if (it == meta.annotations.end()) return 0;
  char* end = nullptr;
  long long v = std::strtoll(it->second.c_str(), &end, 10);
  return end && *end == '\0' ? v : 0;
}

int64_t maxRevision(const std::vector<api::ReplicaSet>& sets) {
  int64_t max = 0;
  for (const auto& rs : sets) max = std::max(max, revisionOf(rs.metadata));
  return max;
}

int32_t desiredReplicas(const api::Deployment& d) {
  return d.spec.replicas.value_or(1);
}

int32_t maxSurge(const api::Deployment& d) {
  if (!isRollingUpdate(d)) return 0;
  return resolvedSurgeAndUnavailable(d).first;
}

int32_t maxUnavailable(const api::Deployment& d) {
  const int32_t replicas = desiredReplicas(d);
  if (!isRollingUpdate(d) || replicas == 0) return 0;
  auto [surge, unavailable] = resolvedSurgeAndUnavailable(d);
  if (surge == 0 && unavailable == 0) unavailable = 1;
  return std::min(unavailable, replicas);
}

int32_t specReplicas(const api::ReplicaSet& rs) {
  return rs.spec.replicas.value_or(1);
}

int32_t sumSpecReplicas(const std::vector<api::ReplicaSet>& sets) {
  int32_t n = 0;
  for (const auto& rs : sets) n += specReplicas(rs);
  return n;
}

int32_t sumStatusReplicas(const std::vector<api::ReplicaSet>& sets) {
  int32_t n = 0;
  for (const auto& rs : sets) n += rs.status.replicas;
  return n;
}

int32_t sumAvailableReplicas(const std::vector<api::ReplicaSet>& sets) {
  int32_t n = 0;
  for (const auto& rs : sets) n += rs.status.available_replicas;
  return n;
}

int32_t newReplicaSetReplicas(const api::Deployment& d, const std::vector<api::ReplicaSet>& all,
                              int32_t new_rs_replicas) {
  const int32_t replicas = desiredReplicas(d);
  if (!isRollingUpdate(d)) return replicas;
  const int32_t current = sumSpecReplicas(all);
  const int32_t max_total = replicas + maxSurge(d);
  if (current >= max_total) return new_rs_replicas;  // no room to surge
  int32_t scale_up = std::min(max_total - current, replicas - new_rs_replicas);
  return new_rs_replicas + std::max(scale_up, 0);
}

int32_t maxScaledDown(const api::Deployment& d, const std::vector<api::ReplicaSet>& all,
                      const api::ReplicaSet* new_rs) {
  const int32_t min_available = desiredReplicas(d) - maxUnavailable(d);
  const int32_t new_unavailable =
      new_rs ? specReplicas(*new_rs) - new_rs->status.available_replicas : 0;
  return sumSpecReplicas(all) - min_available - new_unavailable;
}

api::StringMap annotationsToCopy(const api::ObjectMeta& deployment) {
  api::StringMap out;
  for (const auto& [k, v] : deployment.annotations) {
    if (k == "kubectl.kubernetes.io/last-applied-configuration" || k == kRevisionAnnotation ||
        k == kDesiredReplicasAnnotation || k == kMaxReplicasAnnotation ||
        k == "deployment.kubernetes.io/revision-history" ||
        k == "deprecated.deployment.rollback.to") {
      continue;
    }
    out[k] = v;
  }
  return out;
}

api::Condition makeCondition(const std::string& type, const std::string& status,
                             const std::string& reason, const std::string& message,
                             Clock::WallTime now) {
  api::Condition c;
  c.type = type;
  c.status = status;
  c.reason = reason;
  c.message = message;
  c.last_update_time = formatRfc3339(now);
  c.last_transition_time = c.last_update_time;
  return c;
}

void setCondition(std::vector<api::Condition>& conditions, api::Condition c) {
  const api::Condition* current = findCondition(conditions, c.type);
  if (current && current->status == c.status && current->reason == c.reason) return;
  if (current && current->status == c.status) c.last_transition_time = current->last_transition_time;
  std::erase_if(conditions, [&](const api::Condition& x) { return x.type == c.type; });
  conditions.push_back(std::move(c));
}

api::DeploymentStatus calculateStatus(const api::Deployment& d,
                                      const std::vector<api::ReplicaSet>& all,
                                      const api::ReplicaSet* new_rs, Clock::WallTime now) {
  api::DeploymentStatus status;
  const int32_t available = sumAvailableReplicas(all);
  status.observed_generation = d.metadata.generation;
  status.replicas = sumStatusReplicas(all);
  status.updated_replicas = new_rs ? new_rs->status.replicas : 0;
  for (const auto& rs : all) status.ready_replicas += rs.status.ready_replicas;
  status.available_replicas = available;
  status.unavailable_replicas = std::max(sumSpecReplicas(all) - available, 0);
  status.collision_count = d.status.collision_count;
  status.conditions = d.status.conditions;
  if (available >= desiredReplicas(d) - maxUnavailable(d)) {
    setCondition(status.conditions,
                 makeCondition("Available", "True", "MinimumReplicasAvailable",
                               "Deployment has minimum availability.", now));
  } else {
    setCondition(status.conditions,
                 makeCondition("Available", "False", "MinimumReplicasUnavailable",
                               "Deployment does not have minimum availability.", now));
  }
  return status;
}

bool deploymentComplete(const api::Deployment& d, const api::DeploymentStatus& status) {
  const int32_t replicas = desiredReplicas(d);
  return status.updated_replicas == replicas && status.replicas == replicas &&
         status.available_replicas == replicas &&
         status.observed_generation >= d.metadata.generation;
}

bool deploymentProgressing(const api::Deployment& d, const api::DeploymentStatus& status) {
  const api::DeploymentStatus& old = d.status;
  return status.updated_replicas > old.updated_replicas ||
         status.replicas - status.updated_replicas < old.replicas - old.updated_replicas ||
         status.ready_replicas > old.ready_replicas ||
         status.available_replicas > old.available_replicas;
}

bool deploymentTimedOut(const api::Deployment& d, const api::DeploymentStatus& status,
                        Clock::WallTime now) {
  if (!d.spec.progress_deadline_seconds) return false;
  const api::Condition* c = findCondition(status.conditions, "Progressing");
  if (!c || c->reason == "NewReplicaSetAvailable") return false;
  if (c->reason == "ProgressDeadlineExceeded") return true;
  Clock::WallTime from;
  if (!parseRfc3339(c->last_update_time, &from)) return false;
  return from + std::chrono::seconds(*d.spec.progress_deadline_seconds) < now;
}

}  // namespace minik8s::controller
