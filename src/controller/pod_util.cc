#include "controller/pod_util.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <tuple>

#include "api/codec.h"

namespace minik8s::controller {

const api::ResourceInfo& podsResource() {
  static const api::ResourceInfo& r = *api::findResource("", "v1", "pods");
  return r;
}

const api::ResourceInfo& nodesResource() {
  static const api::ResourceInfo& r = *api::findResource("", "v1", "nodes");
  return r;
}

namespace {

const api::Condition* readyCondition(const api::Pod& pod) {
  return findCondition(pod.status.conditions, "Ready");
}

int phaseRank(const std::string& phase) {
  if (phase == "Pending") return 0;
  if (phase == "Unknown") return 1;
  if (phase == "Running") return 2;
  return 3;
}

Clock::WallTime parsedOr(const std::string& text, Clock::WallTime fallback) {
  Clock::WallTime t;
  return parseRfc3339(text, &t) ? t : fallback;
}

int32_t maxRestarts(const api::Pod& pod) {
  int32_t n = 0;
  for (const auto& c : pod.status.container_statuses) n = std::max(n, c.restart_count);
  return n;
}

}  // namespace

std::string keyOf(const api::ObjectMeta& meta) {
  return meta.namespace_ + "/" + meta.name;
}

const api::Condition* findCondition(const std::vector<api::Condition>& conditions,
                                    const std::string& type) {
  for (const auto& c : conditions) {
    if (c.type == type) return &c;
  }
  return nullptr;
}

bool isPodActive(const api::Pod& pod) {
  return pod.status.phase != "Succeeded" && pod.status.phase != "Failed" &&
         pod.metadata.deletion_timestamp.empty();
}

bool isPodReady(const api::Pod& pod) {
  const api::Condition* ready = readyCondition(pod);
  return ready && ready->status == "True";
}

bool isPodAvailable(const api::Pod& pod, int32_t min_ready_seconds, Clock::WallTime now) {
  const api::Condition* ready = readyCondition(pod);
  if (!ready || ready->status != "True") return false;
  if (min_ready_seconds <= 0) return true;
  Clock::WallTime since;
  if (!parseRfc3339(ready->last_transition_time, &since)) return false;
  return since + std::chrono::seconds(min_ready_seconds) <= now;
}

const api::OwnerReference* controllerRefOf(const api::ObjectMeta& meta) {
  for (const auto& ref : meta.owner_references) {
    if (ref.controller.value_or(false)) return &ref;
  }
  return nullptr;
}

api::OwnerReference makeControllerRef(const std::string& api_version, const std::string& kind,
                                      const api::ObjectMeta& owner) {
  api::OwnerReference ref;
  ref.api_version = api_version;
  ref.kind = kind;
  ref.name = owner.name;
  ref.uid = owner.uid;
  ref.controller = true;
  ref.block_owner_deletion = true;
  return ref;
}

std::string ownerReferencesPatch(const api::ObjectMeta& meta,
                                 const std::vector<api::OwnerReference>& refs) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& ref : refs) list.push_back(api::toJson(ref));
  return nlohmann::json::array(
             {{{"op", "test"}, {"path", "/metadata/uid"}, {"value", meta.uid}},
              {{"op", "test"}, {"path", "/metadata/resourceVersion"}, {"value", meta.resource_version}},
              {{"op", "add"}, {"path", "/metadata/ownerReferences"}, {"value", list}}})
      .dump();
}

api::Pod podFromTemplate(const api::PodTemplateSpec& pod_template, const std::string& ns,
                         const std::string& generate_name, const api::OwnerReference& owner) {
  api::Pod pod;
  pod.api_version = "v1";
  pod.kind = "Pod";
  pod.metadata.namespace_ = ns;
  pod.metadata.generate_name = generate_name;
  pod.metadata.labels = pod_template.metadata.labels;
  pod.metadata.annotations = pod_template.metadata.annotations;
  pod.metadata.finalizers = pod_template.metadata.finalizers;
  pod.metadata.owner_references.push_back(owner);
  pod.spec = pod_template.spec;
  return pod;
}

std::vector<PodPtr> podsToDelete(std::vector<PodPtr> pods, const std::vector<PodPtr>& related,
                                 size_t count) {
  if (count >= pods.size()) return pods;
  std::map<std::string, int> pods_on_node;  // related active pods per node
  for (const auto& p : related) {
    if (isPodActive(*p) && !p->spec.node_name.empty()) ++pods_on_node[p->spec.node_name];
  }
  constexpr Clock::WallTime kUnknown = Clock::WallTime::max();  // sorts as "newest"
  auto key = [&](const PodPtr& p) {
    bool scheduled = !p->spec.node_name.empty();
    bool ready = isPodReady(*p);
    Clock::WallTime ready_since =
        ready ? parsedOr(readyCondition(*p)->last_transition_time, kUnknown) : kUnknown;
    Clock::WallTime created = parsedOr(p->metadata.creation_timestamp, kUnknown);
    int crowd = scheduled ? pods_on_node[p->spec.node_name] : 0;
    // Smaller tuples are deleted first; "kUnknown - t" puts later times first.
    return std::make_tuple(scheduled, phaseRank(p->status.phase), ready, -crowd,
                           kUnknown - ready_since, -maxRestarts(*p), kUnknown - created,
                           p->metadata.name);
  };
  std::stable_sort(pods.begin(), pods.end(),
                   [&](const PodPtr& a, const PodPtr& b) { return key(a) < key(b); });
  pods.resize(count);
  return pods;
}

}  // namespace minik8s::controller
