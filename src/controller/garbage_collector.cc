#include "controller/garbage_collector.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "api/codec.h"
#include "api/custom_resource.h"
#include "api/types_apps.h"
#include "api/types_batch.h"
#include "api/types_core.h"
#include "api/types_discovery.h"
#include "api/types_partial.h"
#include "common/log.h"
#include "controller/pod_util.h"

namespace minik8s::controller {

using nlohmann::json;

std::vector<std::string> ownerUidsOf(const api::ObjectMeta& meta) {
  std::vector<std::string> out;
  for (const auto& ref : meta.owner_references) out.push_back(ref.uid);
  return out;
}

namespace {

// The custom resource of apiVersion/kind, from the CRDs the apiserver has now; nullopt when
// none serves it (or they cannot be listed: the caller keeps the dependent).
std::optional<api::ResourceInfo> customResourceOf(client::Client& client,
                                                  const std::string& api_version,
                                                  const std::string& kind) {
  static const api::ResourceInfo& crds =
      *api::findResource(api::kApiextensionsGroup, "v1", "customresourcedefinitions");
  auto listed = client.list(crds, "");
  if (!listed.isOk()) return std::nullopt;
  for (const json& crd : listed->value("items", json::array())) {
    for (api::ResourceInfo& r : api::customResourcesOf(crd)) {
      if (r.kind == kind && r.apiVersion() == api_version) return std::move(r);
    }
  }
  return std::nullopt;
}

bool hasFinalizer(const std::vector<std::string>& finalizers, std::string_view f) {
  return std::find(finalizers.begin(), finalizers.end(), f) != finalizers.end();
}

bool waitsForDependents(const api::ObjectMeta& meta) {
  return !meta.deletion_timestamp.empty() && hasFinalizer(meta.finalizers, kForegroundFinalizer);
}

std::string resourceKey(const api::ResourceInfo& r) {
  return r.group.empty() ? r.plural : r.plural + "." + r.group;
}

// Kinds the collector never looks at (as Kubernetes' ignoredResources).
bool ignored(const api::ResourceInfo& r) {
  bool deletable = std::find(r.verbs.begin(), r.verbs.end(), "delete") != r.verbs.end();
  return !deletable || r.plural == "events";
}

}  // namespace

DependentDecision decideForDependent(const std::vector<api::OwnerReference>& owners,
                                     const std::vector<OwnerState>& states,
                                     const std::vector<std::string>& own_finalizers,
                                     bool has_dependents) {
  DependentDecision d;
  if (owners.empty()) return d;  // not a dependent (any more): kept
  bool any_present = false, any_waiting = false;
  for (size_t i = 0; i < owners.size(); ++i) {
    if (states[i] == OwnerState::kPresent) {
      any_present = true;
    } else {
      any_waiting = any_waiting || states[i] == OwnerState::kWaitingForDependentsDeletion;
      d.drop_uids.push_back(owners[i].uid);
    }
  }
  if (any_present) {
    d.action = d.drop_uids.empty() ? DependentDecision::kKeep : DependentDecision::kDropReferences;
    if (d.action == DependentDecision::kKeep) d.drop_uids.clear();
    return d;
  }
  d.drop_uids.clear();
  d.action = DependentDecision::kDelete;
  if (any_waiting && has_dependents) {
    d.propagation = "Foreground";
  } else if (hasFinalizer(own_finalizers, kOrphanFinalizer)) {
    d.propagation = "Orphan";
  } else if (hasFinalizer(own_finalizers, kForegroundFinalizer)) {
    d.propagation = "Foreground";
  } else {
    d.propagation = "Background";
  }
  return d;
}

template <typename T>
void GarbageCollector::watch(client::SharedInformerFactory& informers,
                             const api::ResourceInfo& resource) {
  auto& informer = informers.informerFor<T>(resource);
  informer.addIndex(kOwnerUidIndex, [](const T& obj) { return ownerUidsOf(obj.metadata); });
  informer.addHandler({
      .on_add = [this, &resource](const auto& o) { onObject(resource, o->metadata); },
      .on_update = [this, &resource](const auto&, const auto& o) { onObject(resource, o->metadata); },
      .on_delete = [this](const auto& o) { onDeleted(o->metadata); },
  });
  track(resource, informer.cache());
  informers_.push_back(&informer);
}

GarbageCollector::GarbageCollector(client::Client& client, Clock& clock)
    : client_(client),
      queue_(clock),
      loop_("garbage-collector", queue_, [this](const std::string& key) { return sync(key); }) {}

GarbageCollector::GarbageCollector(client::Client& client, client::SharedInformerFactory& informers,
                                   Clock& clock)
    : GarbageCollector(client, clock) {
  tracked_.reserve(api::allResources().size());
  // The kinds the controllers of this process watch typed are shared, not watched twice.
  for (const auto& r : api::allResources()) {
    if (ignored(r)) continue;
    const std::string key = resourceKey(r);
    if (key == "pods") {
      watch<api::Pod>(informers, r);
    } else if (key == "services") {
      watch<api::Service>(informers, r);
    } else if (key == "replicasets.apps") {
      watch<api::ReplicaSet>(informers, r);
    } else if (key == "deployments.apps") {
      watch<api::Deployment>(informers, r);
    } else if (key == "daemonsets.apps") {
      watch<api::DaemonSet>(informers, r);
    } else if (key == "jobs.batch") {
      watch<api::Job>(informers, r);
    } else if (key == "cronjobs.batch") {
      watch<api::CronJob>(informers, r);
    } else if (key == "endpointslices.discovery.k8s.io") {
      watch<api::EndpointSlice>(informers, r);
    } else {
      watch<api::PartialObjectMetadata>(informers, r);
    }
  }
}

GarbageCollector::~GarbageCollector() {
  stop();
}

Status GarbageCollector::run(int workers, std::chrono::milliseconds sync_timeout) {
  return loop_.run(workers, informers_, sync_timeout);
}

void GarbageCollector::stop() {
  loop_.stop();
}

std::string GarbageCollector::keyFor(const api::ResourceInfo& resource, const api::ObjectMeta& meta) {
  return resourceKey(resource) + "/" + meta.namespace_ + "/" + meta.name;
}

void GarbageCollector::onObject(const api::ResourceInfo& resource, const api::ObjectMeta& meta) {
  bool deleting = !meta.deletion_timestamp.empty();
  bool collector_finalizer = hasFinalizer(meta.finalizers, kOrphanFinalizer) ||
                             hasFinalizer(meta.finalizers, kForegroundFinalizer);
  if ((deleting && collector_finalizer) || (!deleting && !meta.owner_references.empty())) {
    queue_.add(keyFor(resource, meta));
  }
}

void GarbageCollector::onDeleted(const api::ObjectMeta& meta) {
  // Its dependents may now be garbage; an owner waiting for it may now finish.
  for (const auto& d : dependentsOf(meta.uid)) queue_.add(keyFor(*d.tracked->resource, d.meta));
  for (const auto& ref : meta.owner_references) {
    const api::ResourceInfo* owner = api::findResourceByKind(ref.api_version, ref.kind);
    if (!owner || !trackedFor(*owner)) continue;
    api::ObjectMeta owner_meta;
    owner_meta.name = ref.name;
    owner_meta.namespace_ = owner->namespaced ? meta.namespace_ : "";
    queue_.add(keyFor(*owner, owner_meta));
  }
}

const GarbageCollector::Tracked* GarbageCollector::trackedFor(const api::ResourceInfo& resource) const {
  for (const auto& t : tracked_) {
    if (t.resource->group == resource.group && t.resource->plural == resource.plural) return &t;
  }
  return nullptr;
}

std::vector<GarbageCollector::Dependent> GarbageCollector::dependentsOf(const std::string& owner_uid) const {
  std::vector<Dependent> out;
  if (owner_uid.empty()) return out;
  for (const auto& t : tracked_) {
    for (auto& meta : t.byOwner(owner_uid)) out.push_back({&t, std::move(meta)});
  }
  return out;
}

Result<OwnerState> GarbageCollector::ownerState(const std::string& ns, const api::OwnerReference& ref) {
  const api::ResourceInfo* resource = api::findResourceByKind(ref.api_version, ref.kind);
  std::optional<api::ResourceInfo> custom;
  if (!resource) {  // a custom resource's kind, or one we cannot look up: never delete on a guess
    custom = customResourceOf(client_, ref.api_version, ref.kind);
    if (!custom) return OwnerState::kPresent;
    resource = &*custom;
  }
  const std::string key = resource->namespaced ? ns + "/" + ref.name : ref.name;
  if (const Tracked* t = trackedFor(*resource)) {
    if (auto cached = t->get(key); cached && cached->uid == ref.uid) {
      return waitsForDependents(*cached) ? OwnerState::kWaitingForDependentsDeletion
                                         : OwnerState::kPresent;
    }
  }
  // Absent or replaced in the cache: the cache may lag, so ask the apiserver.
  auto live = client_.get(*resource, resource->namespaced ? ns : "", ref.name);
  if (live.status().code() == Code::kNotFound) return OwnerState::kGone;
  if (!live.isOk()) return live.status();
  auto meta = api::decode<api::ObjectMeta>(live.value().value("metadata", json::object()));
  if (!meta.isOk()) return meta.status();
  if (meta->uid != ref.uid) return OwnerState::kGone;
  return waitsForDependents(*meta) ? OwnerState::kWaitingForDependentsDeletion : OwnerState::kPresent;
}

Status GarbageCollector::sync(const std::string& key) {
  size_t slash = key.find('/');
  if (slash == std::string::npos) return Status::ok();
  const std::string resource_key = key.substr(0, slash);
  std::string object_key = key.substr(slash + 1);
  if (object_key.starts_with("/")) object_key.erase(0, 1);  // cluster-scoped: "/name"
  const Tracked* tracked = nullptr;
  for (const auto& t : tracked_) {
    if (resourceKey(*t.resource) == resource_key) tracked = &t;
  }
  if (!tracked) return Status::ok();
  std::optional<api::ObjectMeta> meta = tracked->get(object_key);
  if (!meta) return Status::ok();
  if (!meta->deletion_timestamp.empty()) {
    if (hasFinalizer(meta->finalizers, kOrphanFinalizer)) return orphanDependents(*tracked, *meta);
    if (hasFinalizer(meta->finalizers, kForegroundFinalizer)) {
      return deleteDependentsFirst(*tracked, *meta);
    }
    return Status::ok();
  }
  if (meta->owner_references.empty()) return Status::ok();
  return syncDependent(*tracked, *meta);
}

Result<DependentDecision> GarbageCollector::decisionFor(const api::ObjectMeta& meta) {
  std::vector<OwnerState> states;
  for (const auto& ref : meta.owner_references) {
    ASSIGN_OR_RETURN(OwnerState state, ownerState(meta.namespace_, ref));
    states.push_back(state);
  }
  return decideForDependent(meta.owner_references, states, meta.finalizers,
                            !dependentsOf(meta.uid).empty());
}

Status GarbageCollector::syncDependent(const Tracked& tracked, const api::ObjectMeta& cached) {
  ASSIGN_OR_RETURN(DependentDecision decision, decisionFor(cached));
  if (decision.action == DependentDecision::kKeep) return Status::ok();
  // The cache may lag the apiserver: the patch that orphaned this very object may still be
  // on its way while its owner is already gone. So, as Kubernetes' collector does, decide
  // again on the live object before acting, and act on that.
  const api::ResourceInfo& resource = *tracked.resource;
  auto live = client_.get(resource, cached.namespace_, cached.name);
  if (live.status().code() == Code::kNotFound) return Status::ok();
  if (!live.isOk()) return live.status();
  ASSIGN_OR_RETURN(api::ObjectMeta meta,
                   api::decode<api::ObjectMeta>(live.value().value("metadata", json::object())));
  if (meta.uid != cached.uid) return Status::ok();  // replaced: the new one gets its own sync
  ASSIGN_OR_RETURN(decision, decisionFor(meta));
  if (decision.action == DependentDecision::kKeep) return Status::ok();
  if (decision.action == DependentDecision::kDelete) {
    log::info("garbage collector: deleting {} {}/{} ({}): its owners are gone or going",
              resource.qualifiedName(), meta.namespace_, meta.name, decision.propagation);
    client::DeleteOptions opts;
    opts.propagation_policy = decision.propagation;
    opts.precondition_uid = meta.uid;
    auto gone = client_.remove(resource, meta.namespace_, meta.name, opts);
    if (gone.isOk() || gone.status().code() == Code::kNotFound) return Status::ok();
    return gone.status();
  }
  std::vector<api::OwnerReference> remaining;
  for (const auto& ref : meta.owner_references) {
    if (std::find(decision.drop_uids.begin(), decision.drop_uids.end(), ref.uid) ==
        decision.drop_uids.end()) {
      remaining.push_back(ref);
    }
  }
  Status s = client_
                 .patch(resource, meta.namespace_, meta.name, client::PatchType::kJson,
                        ownerReferencesPatch(meta, remaining))
                 .status();
  return s.code() == Code::kNotFound ? Status::ok() : s;
}

Status GarbageCollector::orphanDependents(const Tracked& owner, const api::ObjectMeta& meta) {
  for (const auto& d : dependentsOf(meta.uid)) {
    std::vector<api::OwnerReference> remaining;
    for (const auto& ref : d.meta.owner_references) {
      if (ref.uid != meta.uid) remaining.push_back(ref);
    }
    Status s = client_
                   .patch(*d.tracked->resource, d.meta.namespace_, d.meta.name,
                          client::PatchType::kJson, ownerReferencesPatch(d.meta, remaining))
                   .status();
    if (!s.isOk() && s.code() != Code::kNotFound) return s;
  }
  log::info("garbage collector: orphaned the dependents of {} {}/{}", owner.resource->qualifiedName(),
            meta.namespace_, meta.name);
  return removeFinalizer(owner, meta, kOrphanFinalizer);
}

Status GarbageCollector::deleteDependentsFirst(const Tracked& owner, const api::ObjectMeta& meta) {
  bool blocked = false;
  for (const auto& d : dependentsOf(meta.uid)) {
    for (const auto& ref : d.meta.owner_references) {
      if (ref.uid == meta.uid && ref.block_owner_deletion.value_or(false)) blocked = true;
    }
    // Its owner now waits for it: its own sync deletes it.
    if (d.meta.deletion_timestamp.empty()) queue_.add(keyFor(*d.tracked->resource, d.meta));
  }
  if (blocked) return Status::ok();  // requeued when the last blocking dependent goes
  return removeFinalizer(owner, meta, kForegroundFinalizer);
}

Status GarbageCollector::removeFinalizer(const Tracked& owner, const api::ObjectMeta& meta,
                                         const std::string& finalizer) {
  json rest = json::array();
  for (const auto& f : meta.finalizers) {
    if (f != finalizer) rest.push_back(f);
  }
  std::string patch =
      json::array({{{"op", "test"}, {"path", "/metadata/uid"}, {"value", meta.uid}},
                   {{"op", "test"}, {"path", "/metadata/resourceVersion"}, {"value", meta.resource_version}},
                   {{"op", "add"}, {"path", "/metadata/finalizers"}, {"value", rest}}})
          .dump();
  Status s = client_.patch(*owner.resource, meta.namespace_, meta.name, client::PatchType::kJson, patch)
                 .status();
  return s.code() == Code::kNotFound ? Status::ok() : s;
}

}  // namespace minik8s::controller
