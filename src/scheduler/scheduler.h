// Scheduler: binds pods that name no node to a node, through the API only.
//
// Informers on pods and nodes (all namespaces); event handlers only enqueue pod keys
// ("namespace/name") on a WorkQueue; one ControllerLoop worker pops a key and calls
// scheduleOne(key), which re-reads the pod and the nodes from the informers' caches, runs
// the pure decision (framework.h) and POSTs pods/{name}/binding, then records an Event
// (Scheduled, or FailedScheduling with the reason per node). A pod that fits nowhere is
// parked as unschedulable and re-queued when a node is added or changes, or when a bound
// pod goes away or finishes; a failed API call is retried with per-pod back-off.
//
// Pods bound by this scheduler are "assumed" on their node until the pod informer shows
// the binding, so decisions in quick succession see each other.
//
// Owns its threads (informers and one worker); start() then stop(), stop() also on
// destruction. Thread-safe.
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
#include "scheduler/framework.h"

namespace minik8s::scheduler {

inline constexpr char kDefaultSchedulerName[] = "default-scheduler";

struct SchedulerOptions {
  Policy policy = Policy::kLeastAllocated;
  std::string scheduler_name = kDefaultSchedulerName;  // pods naming another are ignored
  uint64_t seed = 42;                                  // for Policy::kRandom
  // Unschedulable pods are also retried this often, changes or not (0: only on changes).
  std::chrono::seconds unschedulable_flush{60};
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
  std::vector<NodeInfo> snapshot();
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

  std::mutex mu_;
  std::set<std::string> unschedulable_;                             // GUARDED_BY(mu_)
  std::map<std::string, std::shared_ptr<const api::Pod>> assumed_;  // GUARDED_BY(mu_)
  PolicyState policy_state_;  // used by the worker thread only
  client::ControllerLoop loop_;  // one worker: decisions in order see each other
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
