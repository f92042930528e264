// GarbageCollector: deletes objects whose owners are gone (Kubernetes' garbage collector,
// background propagation). Deleting a Deployment then takes its ReplicaSets, and those
// take their pods.
//
// It reads the process's shared pod, ReplicaSet and Deployment informers (the ones the
// workload controllers use: no extra watch), with an owner-uid index on pods and
// ReplicaSets. sync(key) is level-triggered: a dependent whose every ownerReference names
// an owner that no longer exists (absent from the owner's cache and confirmed by a GET:
// 404 or another uid) is deleted with its uid as precondition; one that lost only some of
// its owners has those references removed. An owner of a kind it cannot look up is taken
// to exist: nothing is deleted on a guess. Keys are queued when a dependent with owners
// appears or changes (so a restart catches up) and, through the index, when an owner is
// deleted.
//
// Not yet: foreground deletion (the foregroundDeletion finalizer, blockOwnerDeletion) and
// orphaning (the orphan finalizer), and dependents of other kinds.
// Thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/types_apps.h"
#include "api/types_core.h"
#include "client/client.h"
#include "client/controller_loop.h"
#include "client/informer.h"
#include "client/work_queue.h"
#include "common/clock.h"

namespace minik8s::controller {

// The index the collector adds to dependents' informers: owner uid → objects.
inline constexpr char kOwnerUidIndex[] = "owner-uid";
std::vector<std::string> ownerUidsOf(const api::ObjectMeta& meta);

class GarbageCollector {
 public:
  GarbageCollector(client::Client& client, client::SharedInformerFactory& informers,
                   Clock& clock = Clock::real());
  // For tests: prefilled caches (the pod and ReplicaSet caches need the owner-uid index).
  GarbageCollector(client::Client& client, const client::ObjectCache<api::Pod>& pods,
                   const client::ObjectCache<api::ReplicaSet>& sets,
                   const client::ObjectCache<api::Deployment>& deployments,
                   Clock& clock = Clock::real());
  ~GarbageCollector();
  GarbageCollector(const GarbageCollector&) = delete;
  GarbageCollector& operator=(const GarbageCollector&) = delete;

  Status run(int workers, std::chrono::milliseconds sync_timeout = std::chrono::seconds(30));
  void stop();

  // key: "pods/namespace/name" or "replicasets/namespace/name".
  Status sync(const std::string& key);

  // Handlers: a dependent appeared or changed; any watched object was deleted.
  void onDependent(const std::string& plural, const api::ObjectMeta& meta);
  void onOwnerDeleted(const api::ObjectMeta& owner);

  client::WorkQueue& queue() { return queue_; }

 private:
  struct Dependents {  // one collected resource: its cache, typed access erased
    const api::ResourceInfo* resource;
    std::function<std::optional<api::ObjectMeta>(const std::string& key)> get;
    std::function<std::vector<api::ObjectMeta>(const std::string& owner_uid)> byOwner;
  };

  Result<bool> ownerExists(const std::string& ns, const api::OwnerReference& ref);

  client::Client& client_;
  std::vector<Dependents> dependents_;  // pods, replicasets
  const client::ObjectCache<api::ReplicaSet>* sets_;
  const client::ObjectCache<api::Deployment>* deployments_;
  std::vector<client::InformerBase*> informers_;
  client::WorkQueue queue_;
  client::ControllerLoop loop_;
};

}  // namespace minik8s::controller
