// CronJobController: creates a Job for each scheduled time of every batch/v1 CronJob
// (Kubernetes' CronJob controller, "cronjob-controller" v2).
//
// sync(key) is level-triggered: it reads the CronJob and the Jobs it owns from the
// listers, confirms with a GET the active Jobs the cache no longer has, asks the pure
// computeCronJobActions what to do, then creates the Job, deletes the Jobs it replaces
// or no longer keeps (propagationPolicy Background), writes status last, and requeues
// itself 100 ms after the next scheduled time (through the Clock).
//
// What it decides, as kube-controller-manager 1.32 does:
// - status.active holds the owned Jobs that have not finished; a finished one leaves it
//   (event SawCompletedJob; a Complete one moves lastSuccessfulTime), a vanished one too
//   (event MissingJob);
// - the most recent scheduled time not after now, counted from lastScheduleTime (else the
//   creation time), or from now - startingDeadlineSeconds if that is later; more than 100
//   missed times is a TooManyMissedTimes warning; a time older than
//   startingDeadlineSeconds is missed (MissSchedule);
// - one Job per scheduled time, named "<cronjob>-<scheduled unix time in minutes>", with
//   the template's labels and annotations plus batch.kubernetes.io/cronjob-scheduled-
//   timestamp, a controller reference, and lastScheduleTime; concurrencyPolicy Forbid
//   skips the time while a Job is active (JobAlreadyActive), Replace deletes the active
//   Jobs first;
// - suspend creates nothing; a schedule or time zone that does not parse is a warning
//   event (UnparseableSchedule, UnknownTimeZone) and no requeue;
// - successfulJobsHistoryLimit / failedJobsHistoryLimit: the oldest finished Jobs beyond
//   them are deleted.
// Events: SuccessfulCreate, FailedCreate, SuccessfulDelete, FailedDelete, SawCompletedJob,
// MissingJob, JobAlreadyActive, MissSchedule, TooManyMissedTimes, UnparseableSchedule,
// UnknownTimeZone.
// Thread-safe; one sync per key at a time.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "api/types_batch.h"
#include "client/client.h"
#include "client/controller_loop.h"
#include "client/event_recorder.h"
#include "client/informer.h"
#include "client/work_queue.h"
#include "common/clock.h"
#include "controller/job.h"

namespace minik8s::controller {

using CronJobPtr = std::shared_ptr<const api::CronJob>;

// What one sync of a CronJob should do; pure output of computeCronJobActions.
struct CronJobActions {
  api::CronJobStatus status;             // to write (a created Job's uid added by the caller)
  std::optional<api::Job> create;        // the Job for the scheduled time
  std::vector<std::string> delete_jobs;  // names, Replace's first, then history
  std::vector<JobEvent> events;
  std::optional<std::chrono::nanoseconds> requeue_after;
};

// The decision for `cron_job` owning `jobs` at `now`; `missing` names active Jobs that
// the apiserver confirmed gone.
CronJobActions computeCronJobActions(const api::CronJob& cron_job,
                                     const std::vector<JobPtr>& jobs,
                                     const std::set<std::string>& missing, Clock::WallTime now);

// "<cronjob>-<scheduled unix time in minutes>".
std::string cronJobJobName(const std::string& cron_job_name, Clock::WallTime scheduled);

class CronJobController {
 public:
  CronJobController(client::Client& client, client::SharedInformerFactory& informers,
                    Clock& clock = Clock::real());
  // For tests: reads prefilled caches; no handlers are registered.
  CronJobController(client::Client& client, const client::ObjectCache<api::CronJob>& cron_jobs,
                    const client::ObjectCache<api::Job>& jobs, Clock& clock = Clock::real());
  ~CronJobController();
  CronJobController(const CronJobController&) = delete;
  CronJobController& operator=(const CronJobController&) = delete;

  Status run(int workers, std::chrono::milliseconds sync_timeout = std::chrono::seconds(30));
  void stop();

  Status sync(const std::string& key);

  void onCronJob(const CronJobPtr& cron_job);
  void onJob(const JobPtr& job);

  client::WorkQueue& queue() { return queue_; }

 private:
  Status updateStatus(const api::CronJob& cron_job, const api::CronJobStatus& status);
  void recordEvent(const api::CronJob& cron_job, const JobEvent& event);

  client::Client& client_;
  Clock& clock_;
  const api::ResourceInfo* cron_jobs_resource_;
  const api::ResourceInfo* jobs_resource_;
  client::Lister<api::CronJob> cron_jobs_;
  client::Lister<api::Job> jobs_;
  std::vector<client::InformerBase*> informers_;
  client::EventRecorder events_;
  client::WorkQueue queue_;
  client::ControllerLoop loop_;
};

}  // namespace minik8s::controller
