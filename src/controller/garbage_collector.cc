#include "controller/garbage_collector.h"

#include <nlohmann/json.hpp>

#include "api/codec.h"
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

template <typename T>
std::function<std::optional<api::ObjectMeta>(const std::string&)> getterOf(
    const client::ObjectCache<T>& cache) {
  return [&cache](const std::string& key) -> std::optional<api::ObjectMeta> {
    auto obj = cache.get(key);
    if (!obj) return std::nullopt;
    return obj->metadata;
  };
}

template <typename T>
std::function<std::vector<api::ObjectMeta>(const std::string&)> byOwnerOf(
    const client::ObjectCache<T>& cache) {
  return [&cache](const std::string& uid) {
    std::vector<api::ObjectMeta> out;
    for (const auto& obj : cache.byIndex(kOwnerUidIndex, uid)) out.push_back(obj->metadata);
    return out;
  };
}

template <typename T>
void indexByOwner(client::Informer<T>& informer) {
  informer.addIndex(kOwnerUidIndex, [](const T& obj) { return ownerUidsOf(obj.metadata); });
}

}  // namespace

GarbageCollector::GarbageCollector(client::Client& client,
                                   const client::ObjectCache<api::Pod>& pods,
                                   const client::ObjectCache<api::ReplicaSet>& sets,
                                   const client::ObjectCache<api::Deployment>& deployments,
                                   Clock& clock)
    : client_(client),
      dependents_({{api::findResource("", "v1", "pods"), getterOf(pods), byOwnerOf(pods)},
                   {api::findResource("apps", "v1", "replicasets"), getterOf(sets), byOwnerOf(sets)}}),
      sets_(&sets),
      deployments_(&deployments),
      queue_(clock),
      loop_("garbage-collector", queue_, [this](const std::string& key) { return sync(key); }) {}

GarbageCollector::GarbageCollector(client::Client& client, client::SharedInformerFactory& informers,
                                   Clock& clock)
    : GarbageCollector(
          client, informers.informerFor<api::Pod>(*api::findResource("", "v1", "pods")).cache(),
          informers.informerFor<api::ReplicaSet>(*api::findResource("apps", "v1", "replicasets"))
              .cache(),
          informers.informerFor<api::Deployment>(*api::findResource("apps", "v1", "deployments"))
              .cache(),
          clock) {
  auto& pods = informers.informerFor<api::Pod>(*dependents_[0].resource);
  auto& sets = informers.informerFor<api::ReplicaSet>(*dependents_[1].resource);
  auto& deployments =
      informers.informerFor<api::Deployment>(*api::findResource("apps", "v1", "deployments"));
  indexByOwner(pods);
  indexByOwner(sets);
  informers_ = {&pods, &sets, &deployments};
  pods.addHandler({
      .on_add = [this](const auto& p) { onDependent("pods", p->metadata); },
      .on_update = [this](const auto&, const auto& p) { onDependent("pods", p->metadata); },
      .on_delete = [this](const auto& p) { onOwnerDeleted(p->metadata); },
  });
  sets.addHandler({
      .on_add = [this](const auto& rs) { onDependent("replicasets", rs->metadata); },
      .on_update = [this](const auto&, const auto& rs) { onDependent("replicasets", rs->metadata); },
      .on_delete = [this](const auto& rs) { onOwnerDeleted(rs->metadata); },
  });
  deployments.addHandler({.on_add = nullptr,
                          .on_update = nullptr,
                          .on_delete = [this](const auto& d) { onOwnerDeleted(d->metadata); }});
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

void GarbageCollector::onDependent(const std::string& plural, const api::ObjectMeta& meta) {
  if (meta.owner_references.empty() || !meta.deletion_timestamp.empty()) return;
  queue_.add(plural + "/" + keyOf(meta));
}

void GarbageCollector::onOwnerDeleted(const api::ObjectMeta& owner) {
  for (const auto& d : dependents_) {
    for (const auto& meta : d.byOwner(owner.uid)) queue_.add(d.resource->plural + "/" + keyOf(meta));
  }
}

Result<bool> GarbageCollector::ownerExists(const std::string& ns, const api::OwnerReference& ref) {
  const api::ResourceInfo* resource = api::findResourceByKind(ref.api_version, ref.kind);
  if (!resource) return true;  // a kind we cannot look up: never delete on a guess
  const std::string key = resource->namespaced ? ns + "/" + ref.name : ref.name;
  std::optional<std::string> cached_uid;
  if (resource->plural == "replicasets" && resource->group == "apps") {
    if (auto rs = sets_->get(key)) cached_uid = rs->metadata.uid;
  } else if (resource->plural == "deployments" && resource->group == "apps") {
    if (auto d = deployments_->get(key)) cached_uid = d->metadata.uid;
  }
  if (cached_uid == ref.uid) return true;
  // Absent or replaced in the cache: the cache may lag, so ask the apiserver.
  auto live = client_.get(*resource, resource->namespaced ? ns : "", ref.name);
  if (live.status().code() == Code::kNotFound) return false;
  if (!live.isOk()) return live.status();
  return live.value()["metadata"].value("uid", std::string()) == ref.uid;
}

Status GarbageCollector::sync(const std::string& key) {
  size_t slash = key.find('/');
  if (slash == std::string::npos) return Status::ok();
  const std::string plural = key.substr(0, slash);
  const std::string object_key = key.substr(slash + 1);
  const Dependents* dependents = nullptr;
  for (const auto& d : dependents_) {
    if (d.resource->plural == plural) dependents = &d;
  }
  if (!dependents) return Status::ok();
  std::optional<api::ObjectMeta> meta = dependents->get(object_key);
  if (!meta || meta->owner_references.empty() || !meta->deletion_timestamp.empty())
    return Status::ok();

  std::vector<api::OwnerReference> remaining;
  for (const auto& ref : meta->owner_references) {
    ASSIGN_OR_RETURN(bool exists, ownerExists(meta->namespace_, ref));
    if (exists) remaining.push_back(ref);
  }
  if (remaining.size() == meta->owner_references.size()) return Status::ok();
  if (remaining.empty()) {
    log::info("garbage collector: deleting {} {}: its owners are gone", plural, object_key);
    client::DeleteOptions opts;
    opts.propagation_policy = "Background";
    opts.precondition_uid = meta->uid;
    auto gone = client_.remove(*dependents->resource, meta->namespace_, meta->name, opts);
    if (gone.isOk() || gone.status().code() == Code::kNotFound) return Status::ok();
    return gone.status();
  }
  // Some owners remain: drop the references to the others.
  Status s = client_
                 .patch(*dependents->resource, meta->namespace_, meta->name,
                        client::PatchType::kJson, ownerReferencesPatch(*meta, remaining))
                 .status();
  return s.code() == Code::kNotFound ? Status::ok() : s;
}

}  // namespace minik8s::controller
