// Scheduler: binds pods that name no node to a node, through the API only.
//
// Informers on pods and nodes (all namespaces). Their event handlers keep the
// SchedulerCache (a NodeInfo per node, cache.h) up to date and enqueue the keys
// ("namespace/name") of pods to schedule on a WorkQueue. One ControllerLoop worker pops a
// key and calls scheduleOne(key): it re-reads the pod from the informer, runs the pure
// decision (framework.h) on the cache's snapshot, assumes the pod on the chosen node and
// hands the binding to the binder pool, so the next decision starts at once. A binder
// thread POSTs pods/{name}/binding and queues the Event (Scheduled) for the event
// writers, whose writes never hold up the next binding; a failed binding
// takes the assumption back and re-queues the pod with per-pod back-off. A pod that fits
// nowhere is parked as unschedulable (Event FailedScheduling with the reason per node) and
// re-queued when a node is added or changes, or when a bound pod goes away or finishes.
//
// Owns its threads (informers, one worker, the binder pool, a retry timer); start() then
// stop(), stop() also on destruction. Thread-safe.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "api/types_core.h"
#include "client/controller_loop.h"
#include "client/event_recorder.h"
#include "client/informer.h"
#include "client/leader_election.h"
#include "client/rest_client.h"
#include "client/work_queue.h"
#include "common/clock.h"
#include "common/task_pool.h"
#include "scheduler/cache.h"
#include "scheduler/framework.h"

namespace minik8s::scheduler {

inline constexpr char kDefaultSchedulerName[] = "default-scheduler";

struct SchedulerOptions {
  Policy policy = Policy::kLeastAllocated;
  std::string scheduler_name = kDefaultSchedulerName;  // pods naming another are ignored
  uint64_t seed = 42;                                  // for Policy::kRandom
  // Unschedulable pods are also retried this often, changes or not (0: only on changes).
  std::chrono::seconds unschedulable_flush{60};
  // Bindings in flight at once.
  size_t bind_parallelism = 16;
  // Events written at once; they queue behind the bindings' writes, as client-go's event
  // broadcaster writes them from one goroutine.
  size_t event_parallelism = 2;
};

class Scheduler {
 public:
  Scheduler(client::Client& client, SchedulerOptions options, Clock& clock = Clock::real());
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Starts the informers and, once they have listed (or `sync_timeout` passed: kUnavailable),
  // the worker.
  Status start(std::chrono::milliseconds sync_timeout = std::chrono::seconds(30));
  void stop();

  // One scheduling attempt for `key` (exposed for tests; the worker calls it).
  Status scheduleOne(const std::string& key);

 private:
  bool isOurs(const api::Pod& pod) const;
  void onPod(const std::shared_ptr<const api::Pod>& old_pod,
             const std::shared_ptr<const api::Pod>& pod);
  void onPodDeleted(const std::shared_ptr<const api::Pod>& pod);
  void onNode(const std::shared_ptr<const api::Node>& old_node,
              const std::shared_ptr<const api::Node>& node);
  void moveAllToActive(const char* why);
  // Runs on a binder thread: the binding of an assumed pod, then its Event.
  void bindAssumed(const std::shared_ptr<const api::Pod>& pod, const std::string& node);
  Status bind(const api::Pod& pod, const std::string& node);
  void recordEvent(const api::Pod& pod, const std::string& type, const std::string& reason,
                   const std::string& message);
  void runFlusher(std::stop_token stop);

  client::Client& client_;
  const SchedulerOptions options_;
  Clock& clock_;
  const api::ResourceInfo* pods_resource_;
  const api::ResourceInfo* nodes_resource_;
  client::EventRecorder events_;
  std::vector<std::unique_ptr<FilterPlugin>> filters_;
  std::unique_ptr<ScorePlugin> score_;
  client::WorkQueue queue_;
  std::unique_ptr<client::Informer<api::Pod>> pods_;
  std::unique_ptr<client::Informer<api::Node>> nodes_;

  SchedulerCache cache_;

  std::mutex mu_;
  std::set<std::string> unschedulable_;  // GUARDED_BY(mu_)
  PolicyState policy_state_;             // used by the worker thread only
  client::ControllerLoop loop_;          // one worker: decisions in order see each other
  TaskPool binder_;
  TaskPool event_writer_;
  std::jthread flusher_;
};

// The key of a pod: "namespace/name".
std::string podKey(const api::Pod& pod);

// ElectedScheduler: the scheduler of a process that may have peers. With leader election
// (kube-scheduler's default) a Scheduler runs only while this process holds the Lease
// kube-system/kube-scheduler; each term gets a fresh one. Without, it runs at once.
class ElectedScheduler {
 public:
  ElectedScheduler(client::Client& client, SchedulerOptions options, bool leader_elect,
                   client::LeaderElectionConfig election = {});
  ~ElectedScheduler() { stop(); }
  // Starts campaigning, or (without leader election) the scheduler.
  Status start();
  void stop();

 private:
  void startTerm();
  void stopTerm();

  client::Client& client_;
  const SchedulerOptions options_;
  std::unique_ptr<client::LeaderElectedRunner> election_;
  std::mutex mu_;
  std::unique_ptr<Scheduler> scheduler_;  // GUARDED_BY(mu_)
};

}  // namespace minik8s::scheduler
