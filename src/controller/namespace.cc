#include "controller/namespace.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "api/codec.h"
#include "api/custom_resource.h"
#include "common/log.h"

namespace minik8s::controller {

using nlohmann::json;

namespace {

// Kubernetes' finalizerEstimateSeconds: the wait while finalizers hold objects.
constexpr int64_t kFinalizerEstimateSeconds = 15;
constexpr int kMaxFinalizeAttempts = 5;

struct ConditionText {
  const char* type;
  const char* ok_reason;
  const char* ok_message;
};

// Kubernetes' conditionTypes with okReasons and okMessages, in its order.
constexpr ConditionText kConditions[] = {
    {"NamespaceDeletionDiscoveryFailure", "ResourcesDiscovered",
     "All resources successfully discovered"},
    {"NamespaceDeletionGroupVersionParsingFailure", "ParsedGroupVersions",
     "All legacy kube types successfully parsed"},
    {"NamespaceDeletionContentFailure", "ContentDeleted",
     "All content successfully deleted, may be waiting on finalization"},
    {"NamespaceContentRemaining", "ContentRemoved", "All content successfully removed"},
    {"NamespaceFinalizersRemaining", "ContentHasNoFinalizers",
     "All content-preserving finalizers finished"},
};

std::string joined(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ", ") + p;
  return out;
}

// The failing conditions `totals` calls for, by type.
std::map<std::string, api::Condition> failingConditions(const NamespaceContentTotals& totals) {
  std::map<std::string, api::Condition> out;
  auto add = [&](const std::string& type, const std::string& reason, const std::string& message) {
    out[type] = {.type = type, .status = "True", .reason = reason, .message = message};
  };
  if (!totals.discovery_error.empty()) {
    add("NamespaceDeletionDiscoveryFailure", "DiscoveryFailed", totals.discovery_error);
  }
  if (!totals.group_version_error.empty()) {
    add("NamespaceDeletionGroupVersionParsingFailure", "GroupVersionParsingFailed",
        totals.group_version_error);
  }
  if (!totals.delete_errors.empty()) {
    std::vector<std::string> errors = totals.delete_errors;
    std::sort(errors.begin(), errors.end());
    add("NamespaceDeletionContentFailure", "ContentDeletionFailed",
        "Failed to delete all resource types, " + std::to_string(errors.size()) +
            " remaining: " + joined(errors));
  }
  std::vector<std::string> resources;
  for (const auto& [resource, count] : totals.remaining_by_resource) {
    if (count > 0)
      resources.push_back(resource + " has " + std::to_string(count) + " resource instances");
  }
  std::sort(resources.begin(), resources.end());
  if (!resources.empty()) {
    add("NamespaceContentRemaining", "SomeResourcesRemain",
        "Some resources are remaining: " + joined(resources));
  }
  std::vector<std::string> finalizers;
  for (const auto& [finalizer, count] : totals.remaining_by_finalizer) {
    if (count > 0)
      finalizers.push_back(finalizer + " in " + std::to_string(count) + " resource instances");
  }
  std::sort(finalizers.begin(), finalizers.end());
  if (!finalizers.empty()) {
    add("NamespaceFinalizersRemaining", "SomeFinalizersRemain",
        "Some content in the namespace has finalizers remaining: " + joined(finalizers));
  }
  return out;
}

std::vector<std::string> specFinalizers(const json& ns) {
  std::vector<std::string> out;
  const json spec = ns.value("spec", json::object());
  for (const auto& f : spec.value("finalizers", json::array())) {
    if (f.is_string()) out.push_back(f.get<std::string>());
  }
  return out;
}

}  // namespace

bool updateNamespaceConditions(std::vector<api::Condition>& conditions,
                               const NamespaceContentTotals& totals, const std::string& now) {
  const auto failing = failingConditions(totals);
  bool changed = false;
  for (const auto& text : kConditions) {
    api::Condition wanted;
    if (auto it = failing.find(text.type); it != failing.end()) {
      wanted = it->second;
    } else {
      wanted = {.type = text.type,
                .status = "False",
                .reason = text.ok_reason,
                .message = text.ok_message};
    }
    auto old = std::find_if(conditions.begin(), conditions.end(),
                            [&](const api::Condition& c) { return c.type == text.type; });
    if (old == conditions.end()) {
      wanted.last_transition_time = now;
      conditions.push_back(std::move(wanted));
      changed = true;
    } else if (old->status != wanted.status || old->reason != wanted.reason ||
               old->message != wanted.message) {
      if (old->status != wanted.status) old->last_transition_time = now;
      old->status = wanted.status;
      old->reason = wanted.reason;
      old->message = wanted.message;
      changed = true;
    }
  }
  return changed;
}

std::vector<const api::ResourceInfo*> deletableNamespacedResources() {
  std::vector<const api::ResourceInfo*> out;
  for (const auto& r : api::allResources()) {
    if (!r.namespaced) continue;
    if (std::find(r.verbs.begin(), r.verbs.end(), "delete") == r.verbs.end()) continue;
    out.push_back(&r);
  }
  return out;
}

std::vector<api::ResourceInfo> namespacedCustomResources(const json& crd_list) {
  std::vector<api::ResourceInfo> out;
  const json& items = crd_list.value("items", json::array());
  if (!items.is_array()) return out;
  for (const json& crd : items) {
    std::vector<api::ResourceInfo> served = api::customResourcesOf(crd);
    if (!served.empty() && served.front().namespaced) out.push_back(std::move(served.front()));
  }
  return out;
}

NamespaceController::NamespaceController(client::Client& client,
                                         const client::ObjectCache<api::Namespace>& namespaces,
                                         NamespaceOptions options, Clock& clock)
    : client_(client),
      options_(options),
      clock_(clock),
      namespaces_resource_(api::findResource("", "v1", "namespaces")),
      namespaces_(namespaces),
      // Kubernetes' nsControllerRateLimiter: 5 ms doubling to 60 s.
      queue_(clock, client::WorkQueueOptions{.base_delay = std::chrono::milliseconds(5),
                                             .max_delay = std::chrono::seconds(60)}),
      loop_("namespace", queue_, [this](const std::string& key) { return sync(key); }) {}

NamespaceController::NamespaceController(client::Client& client,
                                         client::SharedInformerFactory& informers,
                                         NamespaceOptions options, Clock& clock)
    : NamespaceController(
          client,
          informers.informerFor<api::Namespace>(*api::findResource("", "v1", "namespaces")).cache(),
          options, clock) {
  auto& namespaces = informers.informerFor<api::Namespace>(*namespaces_resource_);
  informers_ = {&namespaces};
  namespaces.addHandler({
      .on_add = [this](const NamespacePtr& ns) { onNamespace(ns); },
      .on_update = [this](const NamespacePtr&, const NamespacePtr& ns) { onNamespace(ns); },
      .on_delete = nullptr,
  });
}

NamespaceController::~NamespaceController() {
  stop();
}

Status NamespaceController::run(int workers, std::chrono::milliseconds sync_timeout) {
  return loop_.run(workers, informers_, sync_timeout);
}

void NamespaceController::stop() {
  loop_.stop();
}

void NamespaceController::onNamespace(const NamespacePtr& ns) {
  if (ns->metadata.deletion_timestamp.empty()) return;
  queue_.addAfter(ns->metadata.name, options_.deletion_grace_period);
}

Status NamespaceController::sync(const std::string& key) {
  NamespacePtr cached = namespaces_.get("", key);
  if (!cached || cached->metadata.deletion_timestamp.empty()) return Status::ok();
  // Other controllers edit a namespace being deleted too: work from the latest copy.
  auto live = client_.get(*namespaces_resource_, "", key);
  if (live.status().code() == Code::kNotFound) return Status::ok();
  if (!live.isOk()) return live.status();
  json ns = std::move(live).value();
  if (!ns.value("metadata", json::object()).contains("deletionTimestamp")) return Status::ok();
  if (ns.value("status", json::object()).value("phase", "") != "Terminating") {
    json marked = ns;
    marked["status"]["phase"] = "Terminating";
    auto updated = client_.update(*namespaces_resource_, "", marked, "status");
    if (updated.status().code() == Code::kNotFound) return Status::ok();
    if (!updated.isOk()) return updated.status();
    ns = std::move(updated).value();
  }
  if (specFinalizers(ns).empty()) return Status::ok();

  NamespaceContentTotals totals;
  int64_t estimate = 0;
  for (const api::ResourceInfo* resource : deletableNamespacedResources()) {
    estimate = std::max(estimate, deleteContent(*resource, key, totals));
  }
  // Then the custom resources' objects, the resources as the CRDs define them now.
  static const api::ResourceInfo& crds =
      *api::findResource(api::kApiextensionsGroup, "v1", "customresourcedefinitions");
  if (auto listed = client_.list(crds, ""); listed.isOk()) {
    for (const api::ResourceInfo& resource : namespacedCustomResources(*listed)) {
      estimate = std::max(estimate, deleteContent(resource, key, totals));
    }
  } else {
    totals.delete_errors.push_back(listed.status().message());
  }
  // The conditions, whether this pass went well or not.
  auto typed = api::decode<api::Namespace>(ns);
  if (!typed.isOk()) return typed.status();
  if (updateNamespaceConditions(typed->status.conditions, totals, formatRfc3339(clock_.now()))) {
    json with_conditions = ns;
    with_conditions["status"] = api::toJson(*typed)["status"];
    auto updated = client_.update(*namespaces_resource_, "", with_conditions, "status");
    if (updated.isOk()) {
      ns = std::move(updated).value();
    } else {
      log::warn("namespace: {}: updating the status conditions: {}", key,
                updated.status().toString());
    }
  }
  if (!totals.delete_errors.empty()) {
    return Status(Code::kInternal,
                  "deleting the content of namespace " + key + ": " + joined(totals.delete_errors));
  }
  if (!totals.remaining_by_resource.empty()) {
    // Kubernetes' ResourcesRemainingError: look again after half the estimate.
    auto wait = std::chrono::seconds(estimate / 2 + 1);
    log::debug("namespace: {}: content remains, looking again in {} s", key, wait.count());
    queue_.addAfter(key, wait);
    return Status::ok();
  }
  return finalize(std::move(ns));
}

int64_t NamespaceController::deleteContent(const api::ResourceInfo& resource, const std::string& ns,
                                           NamespaceContentTotals& totals) {
  const std::string name = resource.plural + "." + resource.group;  // "pods.", "jobs.batch"
  auto listed = client_.list(resource, ns);
  if (!listed.isOk()) {
    totals.delete_errors.push_back(listed.status().message());
    return 0;
  }
  const json& items = (*listed)["items"];
  if (!items.is_array() || items.empty()) return 0;
  // Graceful pods: wait for the longest grace period of those still running.
  int64_t estimate = 0;
  if (resource.plural == "pods" && resource.group.empty()) {
    for (const auto& pod : items) {
      std::string phase = pod.value("status", json::object()).value("phase", "");
      if (phase == "Succeeded" || phase == "Failed") continue;
      estimate = std::max(
          estimate,
          pod.value("spec", json::object()).value("terminationGracePeriodSeconds", int64_t{30}));
    }
  }
  client::DeleteOptions background;
  background.propagation_policy = "Background";
  for (const auto& item : items) {
    const json& md = item["metadata"];
    if (md.contains("deletionTimestamp")) continue;  // already on its way
    auto gone = client_.remove(resource, ns, md.value("name", ""), background);
    Code code = gone.status().code();
    if (gone.isOk() || code == Code::kNotFound || code == Code::kMethodNotAllowed) continue;
    totals.delete_errors.push_back(gone.status().message());
    return estimate;
  }
  // What is left after the deletes.
  auto again = client_.list(resource, ns);
  if (!again.isOk()) {
    totals.delete_errors.push_back(again.status().message());
    return estimate;
  }
  const json& left = (*again)["items"];
  if (!left.is_array() || left.empty()) return 0;
  totals.remaining_by_resource[name] += static_cast<int>(left.size());
  bool held = false;
  for (const auto& item : left) {
    for (const auto& f : item["metadata"].value("finalizers", json::array())) {
      if (!f.is_string()) continue;
      ++totals.remaining_by_finalizer[f.get<std::string>()];
      held = true;
    }
  }
  if (estimate > 0) return estimate;
  if (held) return kFinalizerEstimateSeconds;
  // Nothing should hold these: a create that raced the deletion, or a failed delete.
  totals.delete_errors.push_back("unexpected items still remain in namespace: " + ns +
                                 " for gvr: " + resource.group + "/" + resource.version +
                                 ", Resource=" + resource.plural);
  return 0;
}

Status NamespaceController::finalize(json ns) {
  const std::string name = ns["metadata"].value("name", "");
  for (int attempt = 0;; ++attempt) {
    std::vector<std::string> finalizers = specFinalizers(ns);
    auto it = std::find(finalizers.begin(), finalizers.end(), kNamespaceFinalizer);
    if (it == finalizers.end()) return Status::ok();
    finalizers.erase(it);
    json finalized = ns;
    finalized["spec"]["finalizers"] = finalizers;
    auto done = client_.update(*namespaces_resource_, "", finalized, "finalize");
    if (done.isOk() || done.status().code() == Code::kNotFound) {
      log::info("namespace: {}: emptied and finalized", name);
      return Status::ok();
    }
    if (done.status().code() != Code::kConflict || attempt + 1 >= kMaxFinalizeAttempts) {
      return done.status();
    }
    auto live = client_.get(*namespaces_resource_, "", name);
    if (live.status().code() == Code::kNotFound) return Status::ok();
    if (!live.isOk()) return live.status();
    ns = std::move(live).value();
  }
}

}  // namespace minik8s::controller
