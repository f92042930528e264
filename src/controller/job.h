// JobController: runs the pods of every batch/v1 Job to completion (Kubernetes' Job
// controller, NonIndexed and Indexed completion modes).
//
// sync(key) is level-triggered: it reads the Job and the pods it owns (controller
// reference with the Job's uid) from the listers, asks the pure computeJobActions what
// to do, then creates pods from the template (only when its expectations are satisfied,
// as the ReplicaSet controller does), deletes surplus or no-longer-wanted active pods,
// writes status last, and requeues itself for the next deadline it knows of (the
// activeDeadlineSeconds, the failure back-off).
//
// What it decides (computeJobActions), as kube-controller-manager 1.32 does:
// - succeeded/failed count the Job's finished pods (phase Succeeded / Failed) and never go
//   down (see the deviation below); active and ready its active pods, terminating its
//   pods being deleted;
// - podFailurePolicy (matchPodFailurePolicy): a failed pod matching an Ignore rule is not
//   counted at all; one matching FailJob fails the Job at once (reason PodFailurePolicy);
//   Count and no match count as usual. With it, podReplacementPolicy defaults to Failed:
//   a pod being deleted is replaced only once it has failed;
// - failed > backoffLimit, or for restartPolicy OnFailure the container restarts of the
//   active pods reaching backoffLimit, is BackoffLimitExceeded; startTime +
//   activeDeadlineSeconds passed is DeadlineExceeded. Either first adds the
//   FailureTarget condition and deletes the active pods, then, once no pod is active or
//   terminating, the Failed condition (event Warning with the reason);
// - completions reached (or, without completions, a success and no pod active), or for
//   Indexed Jobs a successPolicy rule met (reason SuccessPolicy, "Matched rules at index
//   N"), adds SuccessCriteriaMet, deletes what is still active, then Complete with
//   completionTime (event Completed);
// - suspend deletes the active pods and sets the Suspended condition (events Suspended,
//   Resumed; resuming restarts startTime, so the deadline counts from there);
// - otherwise it keeps min(parallelism, completions - succeeded) pods active, after a
//   failure waiting 10 s × 2^(failures-1) (at most 6 min) from the last failure before it
//   creates again;
// - Indexed: each pod carries its index (annotation and label
//   batch.kubernetes.io/job-completion-index, env JOB_COMPLETION_INDEX from the annotation,
//   hostname "<job>-<index>", generateName "<job>-<index>-"); the lowest indexes neither
//   succeeded nor active are created; a second active pod of an index, or one of an index
//   already succeeded or out of range, is deleted; status.completedIndexes lists the
//   succeeded indexes ("1,3-5") and succeeded counts them; the Job completes when every
//   index in [0, completions) has succeeded. Per-index back-off limits
//   (backoffLimitPerIndex, maxFailedIndexes) are not run (the apiserver refuses them).
// Events: SuccessfulCreate, FailedCreate, SuccessfulDelete, FailedDelete, Completed,
// BackoffLimitExceeded, DeadlineExceeded, Suspended, Resumed.
//
// Deviation: Kubernetes counts finished pods through the batch.kubernetes.io/job-tracking
// finalizer and status.uncountedTerminatedPods, so a finished pod deleted early is still
// counted. minik8s counts the finished pods that exist, never lowering a count already in
// status: a finished pod deleted early is remembered, but one that finishes after such a
// deletion may be missed. Orphan pods are not adopted (a generated selector names the
// Job's own uid, so there are none unless a user made them on purpose).
// Thread-safe; one sync per key at a time (the work queue guarantees it).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "api/completion_indexes.h"
#include "api/types_batch.h"
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

using JobPtr = std::shared_ptr<const api::Job>;

struct JobOptions {
  int create_parallelism = 16;  // requests in flight within a slow-start batch
  int burst = 500;              // at most this many creates per sync
};

// One event the controller records for the Job.
struct JobEvent {
  std::string type;  // Normal, Warning
  std::string reason;
  std::string message;
};

// What one sync of a Job should do; pure output of computeJobActions.
struct JobActions {
  api::JobStatus status;       // the status to write (counts before this sync's writes)
  int create = 0;              // pods to create from the template
  std::vector<int32_t> create_indexes;  // Indexed: the index of each of those pods
  std::vector<PodPtr> remove;  // active pods to delete
  std::vector<JobEvent> events;
  std::optional<std::chrono::nanoseconds> requeue_after;
};

// The decision for `job` whose pods (owned, any phase) are `pods`, at `now`.
JobActions computeJobActions(const api::Job& job, const std::vector<PodPtr>& pods,
                             Clock::WallTime now);

// podFailurePolicy: the first rule that matches a failed pod (a container of it, init
// containers first, that terminated with a non-zero exit code In / NotIn the rule's
// values, or a pod condition with the rule's type and status), with Kubernetes' message
// ("Container main for pod ns/p failed with exit code 42 matching FailJob rule at index
// 0"); nullopt when none does (the failure counts, as with action Count).
struct PodFailurePolicyMatch {
  std::string action;  // FailJob, Ignore, Count, FailIndex
  std::string message;
};
std::optional<PodFailurePolicyMatch> matchPodFailurePolicy(const api::PodFailurePolicy& policy,
                                                          const api::Pod& pod);

// successPolicy: the index of the first rule the succeeded indexes meet (all of its
// succeededIndexes, or succeededCount of them / of all indexes), if any.
std::optional<size_t> matchingSuccessRule(const api::SuccessPolicy& policy,
                                          const std::set<int32_t>& succeeded, int32_t completions);

// The completion index of a pod (its annotation, else its label), if valid.
std::optional<int32_t> podCompletionIndex(const api::Pod& pod);

// Whether the Job has finished: a Complete or Failed condition that is True.
bool isJobFinished(const api::Job& job);
// The time it finished (that condition's lastTransitionTime), if it has.
std::optional<Clock::WallTime> jobFinishTime(const api::Job& job);

class JobController {
 public:
  // Reads through `informers` (the Job and Pod informers; the caller starts the factory).
  JobController(client::Client& client, client::SharedInformerFactory& informers,
                JobOptions options = {}, Clock& clock = Clock::real());
  // For tests: reads prefilled caches; no handlers are registered.
  JobController(client::Client& client, const client::ObjectCache<api::Job>& jobs,
                const client::ObjectCache<api::Pod>& pods, JobOptions options = {},
                Clock& clock = Clock::real());
  ~JobController();
  JobController(const JobController&) = delete;
  JobController& operator=(const JobController&) = delete;

  Status run(int workers, std::chrono::milliseconds sync_timeout = std::chrono::seconds(30));
  void stop();

  // One level-triggered pass over Job `key` ("namespace/name").
  Status sync(const std::string& key);

  // Event handlers (the informers call them; tests may too).
  void onJob(const JobPtr& job);
  void onJobDeleted(const JobPtr& job);
  void onPodAdded(const PodPtr& pod);
  void onPodUpdated(const PodPtr& old_pod, const PodPtr& pod);
  void onPodDeleted(const PodPtr& pod);

  client::WorkQueue& queue() { return queue_; }
  Expectations& expectations() { return expectations_; }

 private:
  JobPtr ownerOf(const api::Pod& pod) const;
  std::vector<PodPtr> podsOf(const api::Job& job) const;
  int createPods(const api::Job& job, int count, const std::vector<int32_t>& indexes,
                 Status* failure);
  int deletePods(const api::Job& job, const std::vector<PodPtr>& pods, Status* failure);
  Status updateStatus(const api::Job& job, const api::JobStatus& status);
  void recordEvent(const api::Job& job, const JobEvent& event);

  client::Client& client_;
  const JobOptions options_;
  Clock& clock_;
  const api::ResourceInfo* jobs_resource_;
  const api::ResourceInfo* pods_resource_;
  client::Lister<api::Job> jobs_;
  client::Lister<api::Pod> pods_;
  std::vector<client::InformerBase*> informers_;
  client::EventRecorder events_;
  Expectations expectations_;
  client::WorkQueue queue_;
  client::ControllerLoop loop_;
};

}  // namespace minik8s::controller
