// PodGarbageCollector: removes pods nobody else will (Kubernetes' pod garbage collector).
//
// Every --pod-gc-period (20 s) one pass over the shared pod and Node caches:
//  - orphans: pods bound to a node that has been gone (absent from the cache, and a GET
//    answers 404) for the 40 s quarantine; they get the DisruptionTarget condition
//    (DeletionByPodGC) and are force-deleted (grace period 0), since no kubelet will
//    finish them;
//  - unscheduled pods being deleted: force-deleted at once (no kubelet holds them);
//  - finished pods (Succeeded or Failed) beyond --terminated-pod-gc-threshold (12500),
//    the oldest first.
// Thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "api/types_core.h"
#include "client/client.h"
#include "client/informer.h"
#include "common/clock.h"

namespace minik8s::controller {

struct PodGcOptions {
  std::chrono::milliseconds period{std::chrono::seconds(20)};
  std::chrono::milliseconds quarantine{std::chrono::seconds(40)};
  int terminated_pod_threshold = 12500;  // --terminated-pod-gc-threshold; <= 0: never
};

// The finished pods to delete so that at most `threshold` remain: the oldest by creation.
std::vector<api::Pod> excessTerminatedPods(std::vector<api::Pod> terminated, int threshold);

class PodGarbageCollector {
 public:
  PodGarbageCollector(client::Client& client, client::SharedInformerFactory& informers,
                      PodGcOptions options = {}, Clock& clock = Clock::real());
  // For tests: prefilled caches; call collect() directly.
  PodGarbageCollector(client::Client& client, const client::ObjectCache<api::Pod>& pods,
                      const client::ObjectCache<api::Node>& nodes, PodGcOptions options = {},
                      Clock& clock = Clock::real());
  ~PodGarbageCollector();
  PodGarbageCollector(const PodGarbageCollector&) = delete;
  PodGarbageCollector& operator=(const PodGarbageCollector&) = delete;

  Status run(std::chrono::milliseconds sync_timeout = std::chrono::seconds(30));
  void stop();

  // One pass; the first error is returned after the pass.
  Status collect();

 private:
  Status forceDelete(const api::Pod& pod, const std::string& reason, const std::string& message);

  client::Client& client_;
  const client::ObjectCache<api::Pod>& pods_;
  const client::ObjectCache<api::Node>& nodes_;
  PodGcOptions options_;
  Clock& clock_;
  std::vector<client::InformerBase*> informers_;
  std::mutex mu_;
  std::map<std::string, Clock::Instant> missing_since_;  // node name → first seen gone; GUARDED_BY(mu_)
  std::jthread loop_;
};

}  // namespace minik8s::controller
