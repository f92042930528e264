// SeedHpaController: the original project's `Hpa` kind (v1, resource `hpas`), done as the
// original intended (issue 9).
//
// An Hpa names a template pod (spec.scaleTargetRef.metadata.name; when no pod has that
// name, the oldest pod its selector matches) and a selector. The controller keeps a
// ReplicaSet named after the Hpa and owned by it, made from the template pod with the Hpa's
// selector; the ReplicaSet adopts the original pod, so the original counts as one of the
// replicas. Every spec.interval seconds (15 by default) the Hpa's cpuPercent and memPercent
// targets (percent of the pods' requests, of their limits when a container sets no
// request) go through decideHpa (hpa_decision.h) with oneStepBehavior(interval): the
// ReplicaSet moves at most one replica per interval and reaches both minReplicas and
// maxReplicas. Status: currentReplicas, currentCPUPercent, currentMemPercent.
//
// Deleting the Hpa returns to the single original pod: the controller's finalizer holds the
// Hpa while it deletes the ReplicaSet with propagationPolicy Orphan and every other pod of
// the selector, then lets the Hpa go.
// Thread-safe; one sync per key at a time.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
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
#include "controller/hpa_decision.h"

namespace minik8s::controller {

inline constexpr char kSeedHpaFinalizer[] = "minik8s.io/hpa-release-original-pod";

// The ReplicaSet an Hpa keeps, from its template pod (owned by the Hpa, 1 replica).
nlohmann::json seedHpaReplicaSet(const api::Hpa& hpa, const api::Pod& template_pod);

// The pod as the Hpa's utilization sees it: a container without a request of cpu or memory
// has its limit as the request.
api::Pod withRequestsFromLimits(api::Pod pod);

class SeedHpaController {
 public:
  using HpaPtr = std::shared_ptr<const api::Hpa>;

  SeedHpaController(client::Client& client, client::SharedInformerFactory& informers,
                    HpaOptions options = {}, Clock& clock = Clock::real());
  // For tests: reads prefilled caches; no handlers are registered.
  SeedHpaController(client::Client& client, const client::ObjectCache<api::Hpa>& hpas,
                    const client::ObjectCache<api::Pod>& pods, HpaOptions options = {},
                    Clock& clock = Clock::real());
  ~SeedHpaController();
  SeedHpaController(const SeedHpaController&) = delete;
  SeedHpaController& operator=(const SeedHpaController&) = delete;

  Status run(int workers, std::chrono::milliseconds sync_timeout = std::chrono::seconds(30));
  void stop();

  Status sync(const std::string& key);

  client::WorkQueue& queue() { return queue_; }

 private:
  Status release(const api::Hpa& hpa, const std::string& key);
  Status writeStatus(const api::Hpa& hpa, const nlohmann::json& status);
  void event(const api::Hpa& hpa, const std::string& type, const std::string& reason,
             const std::string& message);
  void scheduleResync(const std::string& key, std::chrono::milliseconds period);

  client::Client& client_;
  const HpaOptions options_;
  Clock& clock_;
  const api::ResourceInfo* hpas_resource_;
  const api::ResourceInfo* replicasets_resource_;
  const api::ResourceInfo* pods_resource_;
  client::Lister<api::Hpa> hpas_;
  client::Lister<api::Pod> pods_;
  std::vector<client::InformerBase*> informers_;
  client::EventRecorder events_;
  client::WorkQueue queue_;
  client::ControllerLoop loop_;

  std::mutex mu_;
  std::map<std::string, HpaHistory> histories_;       // GUARDED_BY(mu_)
  std::map<std::string, Clock::Instant> resync_due_;  // GUARDED_BY(mu_)
};

}  // namespace minik8s::controller
