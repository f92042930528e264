// ReplicaSetController: keeps spec.replicas pods of every ReplicaSet (Kubernetes'
// ReplicaSetController).
//
// sync(key) is level-triggered: it reads the ReplicaSet and its namespace's pods from the
// listers, claims its pods (adopts orphans its selector matches, releases owned pods it no
// longer matches, both through JSON patches that check the pod's uid and
// resourceVersion), then, only when its expectations are satisfied, creates the missing
// pods in slow-start batches or deletes the surplus ones in Kubernetes' order
// (podsToDelete), and writes status (replicas, fullyLabeledReplicas, readyReplicas,
// availableReplicas with minReadySeconds, observedGeneration, the ReplicaFailure
// condition) when it changed. Expectations make a restart or a slow watch never create
// extra pods: until the informer has shown the pods this controller created or deleted,
// it does not count again.
//
// Event handlers only enqueue ReplicaSet keys and observe expectations. Events:
// SuccessfulCreate, FailedCreate, SuccessfulDelete, FailedDelete.
// Thread-safe; one sync per key at a time (the work queue guarantees it).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "api/selector.h"
#include "api/types_apps.h"
#include "api/types_core.h"
#include "client/client.h"
#include "client/controller_loop.h"
#include "client/event_recorder.h"
#include "client/informer.h"
#include "client/work_queue.h"
#include "common/clock.h"
#include "controller/expectations.h"
#include "controller/pod_util.h"

namespace minik8s::controller {

struct ReplicaSetOptions {
  int burst_replicas = 500;    // at most this many creates or deletes per sync
  int create_parallelism = 16; // requests in flight within a slow-start batch
};

class ReplicaSetController {
 public:
  // Reads through `informers` (asks for the ReplicaSet and Pod informers and adds its
  // handlers; the caller starts the factory).
  ReplicaSetController(client::Client& client, client::SharedInformerFactory& informers,
                       ReplicaSetOptions options = {}, Clock& clock = Clock::real());
  // For tests: reads prefilled caches; no handlers are registered.
  ReplicaSetController(client::Client& client, const client::ObjectCache<api::ReplicaSet>& sets,
                       const client::ObjectCache<api::Pod>& pods, ReplicaSetOptions options = {},
                       Clock& clock = Clock::real());
  ~ReplicaSetController();
  ReplicaSetController(const ReplicaSetController&) = delete;
  ReplicaSetController& operator=(const ReplicaSetController&) = delete;

  // Waits for the informers to sync and starts `workers` workers.
  Status run(int workers, std::chrono::milliseconds sync_timeout = std::chrono::seconds(30));
  void stop();

  // One level-triggered pass over ReplicaSet `key` ("namespace/name").
  Status sync(const std::string& key);

  // Event handlers (the informers call them; tests may too).
  void onReplicaSet(const std::shared_ptr<const api::ReplicaSet>& rs);
  void onReplicaSetDeleted(const std::shared_ptr<const api::ReplicaSet>& rs);
  void onPodAdded(const PodPtr& pod);
  void onPodUpdated(const PodPtr& old_pod, const PodPtr& pod);
  void onPodDeleted(const PodPtr& pod);

  client::WorkQueue& queue() { return queue_; }
  Expectations& expectations() { return expectations_; }

 private:
  using SetPtr = std::shared_ptr<const api::ReplicaSet>;

  void registerHandlers(client::Informer<api::ReplicaSet>& sets, client::Informer<api::Pod>& pods);
  // The ReplicaSet `ref` names in `ns`, if it exists with that uid.
  SetPtr resolveControllerRef(const std::string& ns, const api::OwnerReference& ref) const;
  // Every ReplicaSet of the pod's namespace whose selector matches it.
  std::vector<SetPtr> setsMatching(const api::Pod& pod) const;
  void enqueue(const api::ReplicaSet& rs);

  // Adopts and releases; returns the active pods this ReplicaSet owns now.
  Result<std::vector<PodPtr>> claimPods(const api::ReplicaSet& rs);
  Status adopt(const api::ReplicaSet& rs, const api::Pod& pod);
  Status release(const api::ReplicaSet& rs, const api::Pod& pod);
  Status manageReplicas(const api::ReplicaSet& rs, const std::vector<PodPtr>& pods);
  Status updateStatus(const api::ReplicaSet& rs, const api::ReplicaSetStatus& status);
  void recordEvent(const api::ReplicaSet& rs, const std::string& type, const std::string& reason,
                   const std::string& message);

  client::Client& client_;
  const ReplicaSetOptions options_;
  Clock& clock_;
  const api::ResourceInfo* sets_resource_;
  const api::ResourceInfo* pods_resource_;
  client::Lister<api::ReplicaSet> sets_;
  client::Lister<api::Pod> pods_;
  std::vector<client::InformerBase*> informers_;  // to wait for in run()
  client::EventRecorder events_;
  Expectations expectations_;
  client::WorkQueue queue_;
  client::ControllerLoop loop_;
};

// The status a ReplicaSet should report for its active `pods` at `now`; `failure` is the
// error of this sync's creates or deletes (ok when none), kept as the ReplicaFailure
// condition.
api::ReplicaSetStatus computeReplicaSetStatus(const api::ReplicaSet& rs,
                                              const std::vector<PodPtr>& pods,
                                              const Status& failure, Clock::WallTime now);

// The ReplicaSet's label selector (nothing when absent or malformed).
api::LabelSelector selectorOf(const std::optional<api::LabelSelectorSpec>& selector);

}  // namespace minik8s::controller
