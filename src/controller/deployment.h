// DeploymentController: rolls Deployments out through ReplicaSets (Kubernetes'
// DeploymentController).
//
// sync(key) is level-triggered. It claims the Deployment's ReplicaSets (adopt/release by
// selector, like the ReplicaSet controller claims pods), finds the new ReplicaSet (the
// one whose template equals the Deployment's, pod-template-hash aside) and then does one
// step per sync:
// - paused, or a scaling event (spec.replicas changed mid-rollout): scale the active
//   ReplicaSets proportionally, no rollout;
// - RollingUpdate: create the new ReplicaSet (named <deployment>-<hash>, revision = max+1)
//   and scale it up within maxSurge; else scale old ones down within maxUnavailable
//   (unhealthy replicas first, then oldest ReplicaSets first);
// - Recreate: scale every old ReplicaSet to 0, wait until their pods are gone, then
//   create/scale the new one to spec.replicas;
// then writes status (replicas, updated/ready/available/unavailable, observedGeneration,
// the Available and Progressing conditions, ProgressDeadlineExceeded after
// progressDeadlineSeconds without progress) and, once complete, deletes old ReplicaSets
// beyond revisionHistoryLimit. `kubectl rollout undo/restart/pause/resume/status/history`
// work through these fields and the revision annotations. Event: ScalingReplicaSet.
// Thread-safe; one sync per key at a time.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/types_apps.h"
#include "api/types_core.h"
#include "client/client.h"
#include "client/controller_loop.h"
#include "client/event_recorder.h"
#include "client/informer.h"
#include "client/work_queue.h"
#include "common/clock.h"
#include "controller/pod_util.h"

namespace minik8s::controller {

class DeploymentController {
 public:
  DeploymentController(client::Client& client, client::SharedInformerFactory& informers,
                       Clock& clock = Clock::real());
  // For tests: prefilled caches, no handlers.
  DeploymentController(client::Client& client,
                       const client::ObjectCache<api::Deployment>& deployments,
                       const client::ObjectCache<api::ReplicaSet>& sets,
                       const client::ObjectCache<api::Pod>& pods, Clock& clock = Clock::real());
  ~DeploymentController();
  DeploymentController(const DeploymentController&) = delete;
  DeploymentController& operator=(const DeploymentController&) = delete;

  Status run(int workers, std::chrono::milliseconds sync_timeout = std::chrono::seconds(30));
  void stop();

  Status sync(const std::string& key);

  void onDeployment(const std::shared_ptr<const api::Deployment>& d);
  void onReplicaSet(const std::shared_ptr<const api::ReplicaSet>& rs);
  void onReplicaSetUpdated(const std::shared_ptr<const api::ReplicaSet>& old_rs,
                           const std::shared_ptr<const api::ReplicaSet>& rs);
  void onPodDeleted(const PodPtr& pod);

  client::WorkQueue& queue() { return queue_; }

 private:
  using DeploymentPtr = std::shared_ptr<const api::Deployment>;
  struct Rollout;  // one sync's view: the Deployment, its new and old ReplicaSets

  void registerHandlers(client::Informer<api::Deployment>& deployments,
                        client::Informer<api::ReplicaSet>& sets, client::Informer<api::Pod>& pods);
  void enqueue(const api::ObjectMeta& deployment);
  DeploymentPtr ownerOf(const api::ObjectMeta& rs) const;

  Result<std::vector<api::ReplicaSet>> claimReplicaSets(const api::Deployment& d);
  // Splits the claimed sets into new and old, syncs the new one's revision, and creates it
  // when `create` and it does not exist.
  Status prepare(Rollout& r, bool create);
  Status createNewReplicaSet(Rollout& r);
  Status scaleReplicaSet(Rollout& r, api::ReplicaSet& rs, int32_t replicas);

  Status rolloutRolling(Rollout& r);
  Status rolloutRecreate(Rollout& r);
  Status scaleOnly(Rollout& r);
  // An active ReplicaSet was sized for another spec.replicas (read from r.all).
  bool isScalingEvent(const Rollout& r) const;
  bool oldPodsRunning(const Rollout& r) const;
  // The available pods that stay once every ReplicaSet has reached its spec: per
  // ReplicaSet, the available pods in the cache that are not being deleted, at most its
  // spec.replicas. ReplicaSet status lags the deletions its controller has just made, so
  // scaling old ReplicaSets down by it could break maxUnavailable.
  int32_t availableAfterScaling(const Rollout& r) const;
  Status cleanupOldReplicaSets(Rollout& r);
  Status syncStatus(Rollout& r, bool rolling_out);
  void recordEvent(const api::Deployment& d, const std::string& type, const std::string& reason,
                   const std::string& message);

  client::Client& client_;
  Clock& clock_;
  const api::ResourceInfo* deployments_resource_;
  const api::ResourceInfo* sets_resource_;
  client::Lister<api::Deployment> deployments_;
  client::Lister<api::ReplicaSet> sets_;
  client::Lister<api::Pod> pods_;
  std::vector<client::InformerBase*> informers_;
  client::EventRecorder events_;
  client::WorkQueue queue_;
  client::ControllerLoop loop_;
};

}  // namespace minik8s::controller
