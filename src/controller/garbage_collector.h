// GarbageCollector: deletes objects whose owners are gone, and carries out foreground and
// orphan deletion (Kubernetes' garbage collector).
//
// The object graph comes from ownerReferences, read through informers with an owner-uid
// index: typed ones for the kinds the process's controllers already watch (pods, Services,
// ReplicaSets, Deployments, DaemonSets, Jobs, CronJobs, EndpointSlices: no extra watch) and
// metadata-only ones for every other kind that can be deleted (events excepted). Keys are "<plural>[.<group>]/<namespace>/<name>".
//
// sync(key) is level-triggered:
//  - an object being deleted with the `orphan` finalizer: its dependents lose their
//    references to it, then the finalizer is removed;
//  - one being deleted with `foregroundDeletion`: its dependents are queued (they are
//    deleted because their owner waits for them); once no dependent that blocks owner
//    deletion (blockOwnerDeletion) remains, the finalizer is removed;
//  - any other object with owners: decideForDependent (below) on its owners' states. An
//    owner is looked up in the informers' caches and, when absent or replaced there (the
//    cache may lag), by a GET: 404 or another uid makes it gone. An owner of a kind that
//    is not served counts as present: nothing is deleted on a guess.
// Queued: an object with owners or with a collector finalizer when it appears or changes
// (so a restart catches up); the dependents and the owners of an object when it is
// deleted.
// Thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/types_meta.h"
#include "client/client.h"
#include "client/controller_loop.h"
#include "client/informer.h"
#include "client/work_queue.h"
#include "common/clock.h"

namespace minik8s::controller {

// The index the collector adds to every informer it reads: owner uid → objects.
inline constexpr char kOwnerUidIndex[] = "owner-uid";
std::vector<std::string> ownerUidsOf(const api::ObjectMeta& meta);

inline constexpr char kOrphanFinalizer[] = "orphan";
inline constexpr char kForegroundFinalizer[] = "foregroundDeletion";

// An owner reference as the collector finds it.
enum class OwnerState {
  kPresent,                      // exists with that uid
  kGone,                         // 404, or the name now belongs to another uid
  kWaitingForDependentsDeletion  // exists, being deleted with foregroundDeletion
};

// What happens to an object (not itself being deleted) given its owners' states.
struct DependentDecision {
  enum Action { kKeep, kDropReferences, kDelete } action = kKeep;
  std::vector<std::string> drop_uids;  // kDropReferences: the references to remove
  std::string propagation;             // kDelete: "Background", "Foreground" or "Orphan"
};
// Kubernetes' attemptToDeleteItem: owners that remain keep the object (references to
// owners that are gone or waiting are dropped); with none, the object is deleted, in the
// foreground when an owner waits for it and it has dependents of its own (so they go
// first), else as its own finalizers ask (orphan, foregroundDeletion) or in the background.
// An object with no owner references is no dependent: kept.
DependentDecision decideForDependent(const std::vector<api::OwnerReference>& owners,
                                     const std::vector<OwnerState>& states,
                                     const std::vector<std::string>& own_finalizers,
                                     bool has_dependents);

class GarbageCollector {
 public:
  // Reads through `informers`: the typed informers the controllers share (they get the
  // owner-uid index and handlers) and metadata informers for the other kinds.
  GarbageCollector(client::Client& client, client::SharedInformerFactory& informers,
                   Clock& clock = Clock::real());
  // For tests: no informers; track() the prefilled caches.
  explicit GarbageCollector(client::Client& client, Clock& clock = Clock::real());
  ~GarbageCollector();
  GarbageCollector(const GarbageCollector&) = delete;
  GarbageCollector& operator=(const GarbageCollector&) = delete;

  // Reads `cache` (which must carry the owner-uid index) for `resource`'s objects.
  template <typename T>
  void track(const api::ResourceInfo& resource, const client::ObjectCache<T>& cache) {
    tracked_.push_back(
        {&resource,
         [&cache](const std::string& key) -> std::optional<api::ObjectMeta> {
           auto obj = cache.get(key);
           if (!obj) return std::nullopt;
           return obj->metadata;
         },
         [&cache](const std::string& uid) {
           std::vector<api::ObjectMeta> out;
           for (const auto& obj : cache.byIndex(kOwnerUidIndex, uid)) out.push_back(obj->metadata);
           return out;
         }});
  }

  Status run(int workers, std::chrono::milliseconds sync_timeout = std::chrono::seconds(30));
  void stop();

  Status sync(const std::string& key);

  // Handlers: an object appeared or changed; an object was deleted.
  void onObject(const api::ResourceInfo& resource, const api::ObjectMeta& meta);
  void onDeleted(const api::ObjectMeta& meta);

  // "<plural>[.<group>]/<namespace>/<name>"
  static std::string keyFor(const api::ResourceInfo& resource, const api::ObjectMeta& meta);
  client::WorkQueue& queue() { return queue_; }

 private:
  struct Tracked {  // one resource's cache, typed access erased
    const api::ResourceInfo* resource;
    std::function<std::optional<api::ObjectMeta>(const std::string& key)> get;
    std::function<std::vector<api::ObjectMeta>(const std::string& owner_uid)> byOwner;
  };
  struct Dependent {
    const Tracked* tracked;
    api::ObjectMeta meta;
  };

  template <typename T>
  void watch(client::SharedInformerFactory& informers, const api::ResourceInfo& resource);

  const Tracked* trackedFor(const api::ResourceInfo& resource) const;
  std::vector<Dependent> dependentsOf(const std::string& owner_uid) const;
  Result<OwnerState> ownerState(const std::string& ns, const api::OwnerReference& ref);
  Status syncDependent(const Tracked& tracked, const api::ObjectMeta& cached);
  // What to do with a dependent, from the state of each of its owners.
  Result<DependentDecision> decisionFor(const api::ObjectMeta& meta);
  Status orphanDependents(const Tracked& owner, const api::ObjectMeta& meta);
  Status deleteDependentsFirst(const Tracked& owner, const api::ObjectMeta& meta);
  Status removeFinalizer(const Tracked& owner, const api::ObjectMeta& meta,
                         const std::string& finalizer);

  client::Client& client_;
  std::vector<Tracked> tracked_;
  std::vector<client::InformerBase*> informers_;
  client::WorkQueue queue_;
  client::ControllerLoop loop_;
};

}  // namespace minik8s::controller
