// HorizontalPodAutoscalerController: scales the targets of autoscaling/v2
// HorizontalPodAutoscalers on their pods' cpu and memory usage (Kubernetes'
// HorizontalController, pkg/controller/podautoscaler).
//
// Every sync period (--horizontal-pod-autoscaler-sync-period, 15 s) and when an HPA is
// added or its spec changes, sync(key) reads the HPA from its lister and its target
// (Deployment, ReplicaSet: any kind with a scale subresource) from the apiserver, lists the
// target's pods by the target's selector from the pod informer, reads their usage from
// metrics.k8s.io (the same path as `kubectl top`), decides with decideHpa
// (hpa_decision.h), writes the target's /scale when the count changes, then writes the
// HPA's status (currentReplicas, desiredReplicas, currentMetrics, lastScaleTime,
// conditions) when it changed. Events: SuccessfulRescale, FailedRescale, FailedGetScale,
// FailedGetResourceMetric, FailedGetContainerResourceMetric, InvalidMetricSourceType.
// The stabilization windows and rate limits need each HPA's recent recommendations and
// scale events: the controller keeps them in memory, as Kubernetes does.
// Thread-safe; one sync per key at a time.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "api/types_autoscaling.h"
#include "api/types_core.h"
#include "client/client.h"
#include "client/controller_loop.h"
#include "client/event_recorder.h"
#include "client/informer.h"
#include "client/work_queue.h"
#include "common/clock.h"
#include "controller/hpa_decision.h"

namespace minik8s::controller {

struct HpaControllerOptions {
  std::chrono::milliseconds sync_period{std::chrono::seconds(15)};
  HpaOptions decision;  // tolerance, cpu initialization period, readiness delay, ...
};

// metrics.k8s.io/v1beta1 pods, as a resource the client can list.
const api::ResourceInfo& podMetricsResource();

// PodMetrics items (metrics.k8s.io JSON) as the decision reads them; items that do not
// parse are left out.
std::vector<HpaPodUsage> parsePodMetrics(const nlohmann::json& list);

// The usage of `pods` (all of namespace `ns`) from metrics.k8s.io, through `client`.
Result<std::vector<HpaPodUsage>> readPodUsage(client::Client& client, const std::string& ns,
                                              const std::vector<api::Pod>& pods);

// The decision's view of an autoscaling/v2 spec: behavior with Kubernetes' defaults for
// unset fields (nullopt when the HPA has no behavior), metrics reduced to their targets.
std::optional<HpaBehavior> behaviorOf(const api::HorizontalPodAutoscalerSpec& spec);
std::vector<HpaMetric> metricsOf(const api::HorizontalPodAutoscalerSpec& spec);

class HorizontalPodAutoscalerController {
 public:
  using HpaPtr = std::shared_ptr<const api::HorizontalPodAutoscaler>;

  HorizontalPodAutoscalerController(client::Client& client,
                                    client::SharedInformerFactory& informers,
                                    HpaControllerOptions options = {},
                                    Clock& clock = Clock::real());
  // For tests: reads prefilled caches; no handlers are registered.
  HorizontalPodAutoscalerController(client::Client& client,
                                    const client::ObjectCache<api::HorizontalPodAutoscaler>& hpas,
                                    const client::ObjectCache<api::Pod>& pods,
                                    HpaControllerOptions options = {},
                                    Clock& clock = Clock::real());
  ~HorizontalPodAutoscalerController();
  HorizontalPodAutoscalerController(const HorizontalPodAutoscalerController&) = delete;
  HorizontalPodAutoscalerController& operator=(const HorizontalPodAutoscalerController&) = delete;

  Status run(int workers, std::chrono::milliseconds sync_timeout = std::chrono::seconds(30));
  void stop();

  Status sync(const std::string& key);

  client::WorkQueue& queue() { return queue_; }

 private:
  struct Target {
    const api::ResourceInfo* resource = nullptr;
    int32_t spec_replicas = 0;
    int32_t status_replicas = 0;
    api::LabelSelector selector;
  };

  Result<Target> readTarget(const api::HorizontalPodAutoscaler& hpa);
  Status writeStatus(const api::HorizontalPodAutoscaler& hpa,
                     const api::HorizontalPodAutoscalerStatus& status);
  void event(const api::HorizontalPodAutoscaler& hpa, const std::string& type,
             const std::string& reason, const std::string& message);
  // Schedules the next periodic sync of `key` unless one is already due.
  void scheduleResync(const std::string& key);

  client::Client& client_;
  const HpaControllerOptions options_;
  Clock& clock_;
  const api::ResourceInfo* hpas_resource_;
  client::Lister<api::HorizontalPodAutoscaler> hpas_;
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
