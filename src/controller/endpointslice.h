// EndpointSliceController: keeps the discovery.k8s.io/v1 EndpointSlices of every Service
// with a selector (Kubernetes' EndpointSliceController and its reconciler).
//
// sync(key) is level-triggered: it reads the Service, the pods its selector matches and
// the slices it manages (labelled kubernetes.io/service-name=<service> and
// endpointslice.kubernetes.io/managed-by=endpointslice-controller.k8s.io) from the
// listers, computes the creates, updates and deletes with computeEndpointSliceChanges (a
// pure function shaped like Kubernetes' reconciler: minimal churn, see there), and writes
// them. A Service without a selector, or of type ExternalName, is left alone; a Service
// that is gone has its managed slices deleted (they are also owned by it, for the garbage
// collector).
//
// Like Kubernetes' EndpointSliceTracker, the controller remembers the resourceVersion of
// every slice it wrote and each slice it deleted; while the informer has not caught up
// with them a sync fails (and is retried with back-off) instead of acting on a stale
// cache, which would create duplicate slices. Event handlers only enqueue Service keys:
// a pod event queues only the Services whose selector matches it (old and new labels).
// Thread-safe; one sync per key at a time (the work queue guarantees it).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "api/types_core.h"
#include "api/types_discovery.h"
#include "client/client.h"
#include "client/controller_loop.h"
#include "client/informer.h"
#include "client/work_queue.h"
#include "common/clock.h"
#include "controller/endpointslice_util.h"
#include "controller/pod_util.h"

namespace minik8s::controller {

inline constexpr char kEndpointSliceControllerName[] = "endpointslice-controller.k8s.io";

using SlicePtr = std::shared_ptr<const api::EndpointSlice>;

struct EndpointSliceOptions {
  int max_endpoints_per_slice = 100;  // --max-endpoints-per-slice
};

// What one sync writes.
struct EndpointSliceChanges {
  std::vector<api::EndpointSlice> to_create;  // generateName "<service>-"
  std::vector<api::EndpointSlice> to_update;  // carry the cached resourceVersion
  std::vector<SlicePtr> to_delete;
  bool empty() const { return to_create.empty() && to_update.empty() && to_delete.empty(); }
};

// Kubernetes' reconciler, per address type of the Service (spec.ipFamilies):
// - desired endpoints (one per pod that has an IP of that family and is not finished;
//   terminating pods included) are grouped by their resolved port set;
// - each existing slice of a port set keeps the desired endpoints it already holds
//   (updated in place when their conditions, node, zone or target changed) and drops the
//   others; a slice left empty is deleted; a slice whose Service labels are stale is
//   updated;
// - the remaining endpoints go first into the slices already being updated (fullest
//   first), then into the unchanged slice that fits them best, then into new slices, never
//   more than `max_per_slice` per slice;
// - slices of port sets no longer wanted, of other address types or owned by another
//   Service uid are deleted; a create is turned into an update of a slice that would be
//   deleted (same address type, same owner);
// - with no endpoints at all one placeholder slice (no endpoints, no ports) is kept.
// `node_zones` maps node name to its topology.kubernetes.io/zone label. Slices written get
// the last-change-trigger-time annotation when `trigger_time` is set (removed otherwise), in
// RFC 3339 with the sub-second part Go's RFC3339Nano keeps (the proxy's network programming
// latency is measured from it).
// Endpoints are placed in pod-name order, so the result is deterministic.
EndpointSliceChanges computeEndpointSliceChanges(
    const api::Service& svc, const std::vector<PodPtr>& pods, const std::vector<SlicePtr>& existing,
    const std::map<std::string, std::string>& node_zones, size_t max_per_slice,
    std::optional<Clock::WallTime> trigger_time);

// The endpoint of `pod` for `svc` in a slice of `address_type` (podToEndpoint).
api::Endpoint podToEndpoint(const api::Pod& pod, const api::Service& svc,
                            const std::string& address_type, const std::string& zone);
// The ports of `svc` as `pod` serves them (named targetPorts resolved per pod; ports
// that resolve nowhere left out).
std::vector<api::EndpointSlicePort> endpointPortsFor(const api::Service& svc, const api::Pod& pod);

class EndpointSliceController {
 public:
  // Reads through `informers` (Service, Pod, EndpointSlice and Node informers; adds its
  // handlers; the caller starts the factory).
  EndpointSliceController(client::Client& client, client::SharedInformerFactory& informers,
                          EndpointSliceOptions options = {}, Clock& clock = Clock::real());
  // For tests: reads prefilled caches (`nodes` may be null); no handlers are registered.
  EndpointSliceController(client::Client& client, const client::ObjectCache<api::Service>& services,
                          const client::ObjectCache<api::Pod>& pods,
                          const client::ObjectCache<api::EndpointSlice>& slices,
                          const client::ObjectCache<api::Node>* nodes,
                          EndpointSliceOptions options = {}, Clock& clock = Clock::real());
  ~EndpointSliceController();
  EndpointSliceController(const EndpointSliceController&) = delete;
  EndpointSliceController& operator=(const EndpointSliceController&) = delete;

  // Waits for the informers to sync and starts `workers` workers.
  Status run(int workers, std::chrono::milliseconds sync_timeout = std::chrono::seconds(30));
  void stop();

  // One level-triggered pass over Service `key` ("namespace/name").
  Status sync(const std::string& key);

  // Event handlers (the informers call them; tests may too).
  void onService(const ServicePtr& svc);
  void onPodAdded(const PodPtr& pod);
  void onPodUpdated(const PodPtr& old_pod, const PodPtr& pod);
  void onPodDeleted(const PodPtr& pod);
  void onSliceChanged(const SlicePtr& old_slice, const SlicePtr& slice);
  void onSliceDeleted(const SlicePtr& slice);

  client::WorkQueue& queue() { return queue_; }

 private:
  // Kubernetes' EndpointSliceTracker, by resourceVersion (minik8s' are etcd revisions).
  class Tracker {
   public:
    void written(const std::string& service, const std::string& uid, const std::string& rv);
    void deleted(const std::string& service, const std::string& uid);
    // The cache lags behind what this controller wrote or deleted.
    bool stale(const std::string& service, const std::vector<SlicePtr>& cached) const;
    // False when `slice` is exactly what this controller last wrote.
    bool shouldSync(const api::EndpointSlice& slice) const;
    // Forgets a deleted slice; true when this controller deleted it.
    bool handleDeletion(const api::EndpointSlice& slice);
    void forgetService(const std::string& service);

   private:
    static constexpr int64_t kDeletionExpected = -1;
    mutable std::mutex mu_;
    std::map<std::string, std::map<std::string, int64_t>> expected_;  // GUARDED_BY(mu_)
  };

  void registerHandlers(client::Informer<api::Service>& services, client::Informer<api::Pod>& pods,
                        client::Informer<api::EndpointSlice>& slices);
  void enqueueSliceService(const api::EndpointSlice& slice);
  // The slices this controller manages for Service ns/name, not being deleted.
  std::vector<SlicePtr> managedSlices(const std::string& ns, const std::string& name) const;
  Status deleteSlices(const std::string& service_key, const std::vector<SlicePtr>& slices);
  Status apply(const std::string& service_key, const EndpointSliceChanges& changes);

  client::Client& client_;
  const EndpointSliceOptions options_;
  const api::ResourceInfo* slices_resource_;
  client::Lister<api::Service> services_;
  client::Lister<api::Pod> pods_;
  client::Lister<api::EndpointSlice> slices_;
  std::optional<client::Lister<api::Node>> nodes_;
  std::vector<client::InformerBase*> informers_;  // to wait for in run()
  Tracker tracker_;
  TriggerTimeTracker trigger_times_;
  client::WorkQueue queue_;
  client::ControllerLoop loop_;
};

}  // namespace minik8s::controller
