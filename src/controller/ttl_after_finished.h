// TtlAfterFinishedController: deletes a finished Job once its
// spec.ttlSecondsAfterFinished has passed (Kubernetes' ttl-after-finished controller).
//
// A Job is finished when its Complete or Failed condition is True; it expires at that
// condition's lastTransitionTime + ttlSecondsAfterFinished. sync(key) reads the Job from
// the lister; before expiry it requeues itself for the time left (through the Clock); at
// expiry it re-reads the Job from the apiserver (the TTL may have been changed), and
// deletes it with propagationPolicy Background and its uid as precondition, so its pods
// go with it (through the garbage collector).
// Thread-safe; one sync per key at a time.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "api/types_batch.h"
#include "client/client.h"
#include "client/controller_loop.h"
#include "client/informer.h"
#include "client/work_queue.h"
#include "common/clock.h"
#include "controller/job.h"

namespace minik8s::controller {

// When a finished Job with a TTL expires; nullopt when it has no TTL or has not finished.
std::optional<Clock::WallTime> jobExpiry(const api::Job& job);

class TtlAfterFinishedController {
 public:
  TtlAfterFinishedController(client::Client& client, client::SharedInformerFactory& informers,
                             Clock& clock = Clock::real());
  // For tests: reads a prefilled cache; no handlers are registered.
  TtlAfterFinishedController(client::Client& client, const client::ObjectCache<api::Job>& jobs,
                             Clock& clock = Clock::real());
  ~TtlAfterFinishedController();
  TtlAfterFinishedController(const TtlAfterFinishedController&) = delete;
  TtlAfterFinishedController& operator=(const TtlAfterFinishedController&) = delete;

  Status run(int workers, std::chrono::milliseconds sync_timeout = std::chrono::seconds(30));
  void stop();

  Status sync(const std::string& key);
  void onJob(const JobPtr& job);

  client::WorkQueue& queue() { return queue_; }

 private:
  client::Client& client_;
  Clock& clock_;
  const api::ResourceInfo* jobs_resource_;
  client::Lister<api::Job> jobs_;
  std::vector<client::InformerBase*> informers_;
  client::WorkQueue queue_;
  client::ControllerLoop loop_;
};

}  // namespace minik8s::controller
