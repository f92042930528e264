// EndpointsController: keeps the core/v1 Endpoints object of every Service with a
// selector (Kubernetes' endpoint controller, `endpoint` in kube-controller-manager).
//
// sync(key) is level-triggered: it reads the Service and the pods its selector matches from
// the listers and computes the subsets with computeEndpointSubsets (pure): ready pods in
// `addresses`, not-ready ones in `notReadyAddresses` (terminating pods left out unless
// publishNotReadyAddresses, which makes every address ready), grouped by port set as
// Kubernetes' RepackSubsets does, each with targetRef, nodeName and hostname. It writes the
// Endpoints named like the Service only when its subsets or labels (the Service's, plus
// endpointslice.kubernetes.io/skip-mirror=true and service.kubernetes.io/headless for a
// headless Service) differ. A Service without a selector, or of type ExternalName, is left
// alone; a Service that is gone has its Endpoints deleted (also those left over from before
// a restart: every Endpoints key is queued once the caches have synced).
// Like Kubernetes', it remembers the resourceVersion it replaced and fails a sync (retried
// with back-off) while the informer still shows it. Event handlers only enqueue Service
// keys; a pod event queues only the Services whose selector matches it (old and new labels).
// Thread-safe; one sync per key at a time (the work queue guarantees it).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "api/types_core.h"
#include "client/client.h"
#include "client/controller_loop.h"
#include "client/informer.h"
#include "client/work_queue.h"
#include "common/clock.h"
#include "controller/endpointslice_util.h"
#include "controller/pod_util.h"

namespace minik8s::controller {

using EndpointsPtr = std::shared_ptr<const api::Endpoints>;

// Endpoints beyond this many addresses are truncated (annotation
// endpoints.kubernetes.io/over-capacity: truncated), as in Kubernetes.
inline constexpr size_t kMaxEndpointsCapacity = 1000;

// The subsets of `svc`'s Endpoints for `pods` (those its selector matches), repacked and
// sorted: addresses by IP then pod uid, ports by name then number, subsets by their first
// address. (Kubernetes orders ports and subsets by a hash; the sets are the same.)
std::vector<api::EndpointSubset> computeEndpointSubsets(const api::Service& svc,
                                                        const std::vector<PodPtr>& pods);

// The Endpoints to write for `svc`, or nullopt when `current` (null when absent) already
// says it. A new object carries no resourceVersion; an update carries `current`'s.
std::optional<api::Endpoints> desiredEndpoints(const api::Service& svc,
                                               const std::vector<PodPtr>& pods,
                                               const api::Endpoints* current,
                                               std::optional<Clock::WallTime> trigger_time);

class EndpointsController {
 public:
  // Reads through `informers` (Service, Pod and Endpoints informers; adds its handlers; the
  // caller starts the factory).
  EndpointsController(client::Client& client, client::SharedInformerFactory& informers,
                      Clock& clock = Clock::real());
  // For tests: reads prefilled caches; no handlers are registered.
  EndpointsController(client::Client& client, const client::ObjectCache<api::Service>& services,
                      const client::ObjectCache<api::Pod>& pods,
                      const client::ObjectCache<api::Endpoints>& endpoints,
                      Clock& clock = Clock::real());
  ~EndpointsController();
  EndpointsController(const EndpointsController&) = delete;
  EndpointsController& operator=(const EndpointsController&) = delete;

  // Waits for the informers to sync, starts `workers` workers and queues every Endpoints
  // (to delete those whose Service is gone).
  Status run(int workers, std::chrono::milliseconds sync_timeout = std::chrono::seconds(30));
  void stop();

  // One level-triggered pass over Service `key` ("namespace/name").
  Status sync(const std::string& key);

  // Event handlers (the informers call them; tests may too).
  void onService(const ServicePtr& svc);
  void onPodAdded(const PodPtr& pod);
  void onPodUpdated(const PodPtr& old_pod, const PodPtr& pod);
  void onPodDeleted(const PodPtr& pod);
  void onEndpointsDeleted(const EndpointsPtr& endpoints);

  client::WorkQueue& queue() { return queue_; }

 private:
  void registerHandlers(client::Informer<api::Service>& services, client::Informer<api::Pod>& pods,
                        client::Informer<api::Endpoints>& endpoints);

  client::Client& client_;
  const api::ResourceInfo* endpoints_resource_;
  client::Lister<api::Service> services_;
  client::Lister<api::Pod> pods_;
  client::Lister<api::Endpoints> endpoints_;
  std::vector<client::InformerBase*> informers_;  // to wait for in run()
  TriggerTimeTracker trigger_times_;
  std::mutex stale_mu_;
  std::map<std::string, std::string> stale_versions_;  // GUARDED_BY(stale_mu_): key -> replaced RV
  client::WorkQueue queue_;
  client::ControllerLoop loop_;
};

}  // namespace minik8s::controller
