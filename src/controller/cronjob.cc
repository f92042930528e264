#include "controller/cronjob.h"

#include <algorithm>
#include <ctime>
#include <map>
#include <nlohmann/json.hpp>

#include "api/codec.h"
#include "api/cron_schedule.h"
#include "common/log.h"
#include "controller/pod_util.h"

namespace minik8s::controller {

using nlohmann::json;
using namespace std::chrono_literals;

namespace {

constexpr char kCronJobControllerName[] = "cronjob-controller";
constexpr int kMaxMissedTimes = 100;
constexpr auto kCronJobRequeueSlack = 100ms;

std::optional<Clock::WallTime> parseCronTime(const std::string& s) {
  Clock::WallTime t;
  if (s.empty() || !parseRfc3339(s, &t)) return std::nullopt;
  return t;
}

// Go's time.RFC1123Z in UTC: "Thu, 01 Jan 2026 00:05:00 +0000".
std::string formatRfc1123z(Clock::WallTime t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

// RFC 3339 in the CronJob's zone: "Z" for UTC, else "+05:00" style.
std::string formatInZone(Clock::WallTime t, const api::CronTimeZone& tz) {
  std::string utc = formatRfc3339(t + tz.offset);
  if (tz.offset.count() == 0) return utc;
  int total = static_cast<int>(tz.offset.count());
  char buf[32];
  std::snprintf(buf, sizeof buf, "%c%02d:%02d", total < 0 ? '-' : '+', std::abs(total) / 60,
                std::abs(total) % 60);
  return utc.substr(0, utc.size() - 1) + buf;
}

std::string jobConditionType(const api::Job& job) {
  for (const auto& c : job.status.conditions) {
    if ((c.type == "Complete" || c.type == "Failed") && c.status == "True") return c.type;
  }
  return "";
}

Clock::WallTime jobStart(const api::Job& job) {
  if (auto t = parseCronTime(job.status.start_time)) return *t;
  if (auto t = parseCronTime(job.metadata.creation_timestamp)) return *t;
  return {};
}

api::ObjectReference jobRef(const api::Job& job) {
  api::ObjectReference ref;
  ref.kind = "Job";
  ref.namespace_ = job.metadata.namespace_;
  ref.name = job.metadata.name;
  ref.uid = job.metadata.uid;
  ref.api_version = "batch/v1";
  ref.resource_version = job.metadata.resource_version;
  return ref;
}

// The oldest finished Jobs of one kind beyond `limit`.
void oldestBeyond(std::vector<JobPtr> jobs, int32_t limit, std::vector<std::string>& out) {
  if (static_cast<int32_t>(jobs.size()) <= limit) return;
  std::sort(jobs.begin(), jobs.end(), [](const JobPtr& a, const JobPtr& b) {
    Clock::WallTime ta = jobStart(*a), tb = jobStart(*b);
    return ta != tb ? ta < tb : a->metadata.name < b->metadata.name;
  });
  for (size_t i = 0; i < jobs.size() - static_cast<size_t>(std::max(limit, 0)); ++i) {
    out.push_back(jobs[i]->metadata.name);
  }
}

}  // namespace

std::string cronJobJobName(const std::string& cron_job_name, Clock::WallTime scheduled) {
  auto minutes = std::chrono::duration_cast<std::chrono::minutes>(scheduled.time_since_epoch());
  return cron_job_name + "-" + std::to_string(minutes.count());
}

CronJobActions computeCronJobActions(const api::CronJob& cj, const std::vector<JobPtr>& jobs,
                                     const std::set<std::string>& missing, Clock::WallTime now) {
  CronJobActions a;
  a.status = cj.status;
  auto& active = a.status.active;
  auto inActive = [&](const std::string& uid) {
    return std::any_of(active.begin(), active.end(),
                       [&](const api::ObjectReference& r) { return r.uid == uid; });
  };

  // 1. Reconcile the active list with the Jobs that exist.
  std::vector<JobPtr> succeeded, failed;
  for (const auto& job : jobs) {
    const std::string finished = jobConditionType(*job);
    if (finished == "Complete") succeeded.push_back(job);
    if (finished == "Failed") failed.push_back(job);
    const bool listed = inActive(job->metadata.uid);
    if (finished.empty() && !listed) {
      active.push_back(jobRef(*job));
    } else if (!finished.empty() && listed) {
      std::erase_if(active, [&](const api::ObjectReference& r) { return r.uid == job->metadata.uid; });
      a.events.push_back({"Normal", "SawCompletedJob",
                          "Saw completed job: " + job->metadata.name + ", condition: " + finished});
      if (finished == "Complete") {
        auto done = parseCronTime(job->status.completion_time);
        auto last = parseCronTime(a.status.last_successful_time);
        if (done && (!last || *last < *done)) a.status.last_successful_time = formatRfc3339(*done);
      }
    }
  }
  for (const auto& name : missing) {
    auto before = active.size();
    std::erase_if(active, [&](const api::ObjectReference& r) { return r.name == name; });
    if (active.size() != before) {
      a.events.push_back({"Normal", "MissingJob", "Active job went missing: " + name});
    }
  }

  // History limits (Kubernetes' cleanupFinishedJobs runs whatever the schedule says).
  if (cj.spec.successful_jobs_history_limit) {
    oldestBeyond(succeeded, *cj.spec.successful_jobs_history_limit, a.delete_jobs);
  }
  if (cj.spec.failed_jobs_history_limit) {
    oldestBeyond(failed, *cj.spec.failed_jobs_history_limit, a.delete_jobs);
  }

  if (!cj.metadata.deletion_timestamp.empty()) return a;
  std::optional<api::CronTimeZone> tz = api::findCronTimeZone(cj.spec.time_zone.value_or(""));
  if (!tz) {
    a.events.push_back({"Warning", "UnknownTimeZone",
                        "invalid timeZone: \"" + cj.spec.time_zone.value_or("") +
                            "\": unknown time zone " + cj.spec.time_zone.value_or("")});
    return a;
  }
  if (cj.spec.suspend.value_or(false)) return a;
  auto schedule = api::CronSchedule::parse(cj.spec.schedule);
  if (!schedule.isOk()) {
    a.events.push_back({"Warning", "UnparseableSchedule",
                        "unparseable schedule: \"" + cj.spec.schedule + "\" : " +
                            schedule.status().message()});
    return a;
  }
  auto requeueForNext = [&] {
    if (auto next = schedule->next(now, *tz)) a.requeue_after = *next - now + kCronJobRequeueSlack;
  };

  // 2. The most recent scheduled time not after now.
  Clock::WallTime earliest = parseCronTime(cj.status.last_schedule_time)
                                 .value_or(parseCronTime(cj.metadata.creation_timestamp).value_or(now));
  if (cj.spec.starting_deadline_seconds) {
    Clock::WallTime deadline = now - std::chrono::seconds(*cj.spec.starting_deadline_seconds);
    if (deadline > earliest) earliest = deadline;
  }
  std::optional<Clock::WallTime> most_recent;
  int missed = 0;
  for (auto t = schedule->next(earliest, *tz); t && *t <= now; t = schedule->next(*t, *tz)) {
    most_recent = t;
    if (++missed > kMaxMissedTimes) {
      // Skip ahead: only the most recent time matters now.
      Clock::WallTime from = std::max(earliest, now - std::chrono::hours(24 * 7));
      for (auto u = schedule->next(from, *tz); u && *u <= now; u = schedule->next(*u, *tz)) {
        most_recent = u;
      }
      break;
    }
  }
  if (missed > kMaxMissedTimes) {
    a.events.push_back({"Warning", "TooManyMissedTimes",
                        "too many missed start times: " + std::to_string(missed) +
                            ". Set or decrease .spec.startingDeadlineSeconds or check clock skew"});
  }
  requeueForNext();
  if (!most_recent) return a;
  if (cj.spec.starting_deadline_seconds &&
      *most_recent + std::chrono::seconds(*cj.spec.starting_deadline_seconds) < now) {
    a.events.push_back({"Warning", "MissSchedule",
                        "Missed scheduled time to start a job: " + formatRfc1123z(*most_recent)});
    return a;
  }
  const std::string name = cronJobJobName(cj.metadata.name, *most_recent);
  const bool already = std::any_of(active.begin(), active.end(),
                                   [&](const api::ObjectReference& r) { return r.name == name; }) ||
                       parseCronTime(cj.status.last_schedule_time) == most_recent;
  if (already) return a;
  if (cj.spec.concurrency_policy == "Forbid" && !active.empty()) {
    a.events.push_back({"Normal", "JobAlreadyActive",
                        "Not starting job because prior execution is running and concurrency "
                        "policy is Forbid"});
    return a;
  }
  if (cj.spec.concurrency_policy == "Replace") {
    for (const auto& ref : active) a.delete_jobs.insert(a.delete_jobs.begin(), ref.name);
    active.clear();
  }

  // 3. The Job for this time.
  api::Job job;
  job.api_version = "batch/v1";
  job.kind = "Job";
  job.metadata.name = name;
  job.metadata.namespace_ = cj.metadata.namespace_;
  job.metadata.labels = cj.spec.job_template.metadata.labels;
  job.metadata.annotations = cj.spec.job_template.metadata.annotations;
  job.metadata.annotations[api::kCronJobScheduledTimestampAnnotation] =
      formatInZone(*most_recent, *tz);
  job.metadata.owner_references.push_back(makeControllerRef("batch/v1", "CronJob", cj.metadata));
  job.spec = cj.spec.job_template.spec;
  a.create = std::move(job);
  a.status.last_schedule_time = formatRfc3339(*most_recent);
  return a;
}

// ---------------------------------------------------------------------------------------

CronJobController::CronJobController(client::Client& client,
                                     const client::ObjectCache<api::CronJob>& cron_jobs,
                                     const client::ObjectCache<api::Job>& jobs, Clock& clock)
    : client_(client),
      clock_(clock),
      cron_jobs_resource_(api::findResource("batch", "v1", "cronjobs")),
      jobs_resource_(api::findResource("batch", "v1", "jobs")),
      cron_jobs_(cron_jobs),
      jobs_(jobs),
      events_(client, {kCronJobControllerName, ""}, clock),
      queue_(clock),
      loop_("cronjob", queue_, [this](const std::string& key) { return sync(key); }) {}

CronJobController::CronJobController(client::Client& client,
                                     client::SharedInformerFactory& informers, Clock& clock)
    : CronJobController(
          client,
          informers.informerFor<api::CronJob>(*api::findResource("batch", "v1", "cronjobs")).cache(),
          informers.informerFor<api::Job>(*api::findResource("batch", "v1", "jobs")).cache(),
          clock) {
  auto& cron_jobs = informers.informerFor<api::CronJob>(*cron_jobs_resource_);
  auto& jobs = informers.informerFor<api::Job>(*jobs_resource_);
  informers_ = {&cron_jobs, &jobs};
  cron_jobs.addHandler({
      .on_add = [this](const CronJobPtr& cj) { onCronJob(cj); },
      .on_update = [this](const CronJobPtr&, const CronJobPtr& cj) { onCronJob(cj); },
      .on_delete = [this](const CronJobPtr& cj) { onCronJob(cj); },
  });
  jobs.addHandler({
      .on_add = [this](const JobPtr& job) { onJob(job); },
      .on_update = [this](const JobPtr&, const JobPtr& job) { onJob(job); },
      .on_delete = [this](const JobPtr& job) { onJob(job); },
  });
}

CronJobController::~CronJobController() {
  stop();
}

Status CronJobController::run(int workers, std::chrono::milliseconds sync_timeout) {
  return loop_.run(workers, informers_, sync_timeout);
}

void CronJobController::stop() {
  loop_.stop();
}

void CronJobController::onCronJob(const CronJobPtr& cron_job) {
  queue_.add(keyOf(cron_job->metadata));
}

void CronJobController::onJob(const JobPtr& job) {
  const api::OwnerReference* ref = controllerRefOf(job->metadata);
  if (ref && ref->kind == "CronJob") queue_.add(job->metadata.namespace_ + "/" + ref->name);
}

Status CronJobController::sync(const std::string& key) {
  size_t slash = key.find('/');
  if (slash == std::string::npos) return Status::ok();
  const std::string ns = key.substr(0, slash);
  CronJobPtr cj = cron_jobs_.get(ns, key.substr(slash + 1));
  if (!cj) return Status::ok();

  std::vector<JobPtr> jobs;
  for (auto& job : jobs_.listNamespace(ns)) {
    const api::OwnerReference* ref = controllerRefOf(job->metadata);
    if (ref && ref->uid == cj->metadata.uid) jobs.push_back(std::move(job));
  }
  // Active Jobs the cache does not show: gone, or only not seen yet? Ask.
  std::set<std::string> missing;
  for (const auto& ref : cj->status.active) {
    bool cached = std::any_of(jobs.begin(), jobs.end(),
                              [&](const JobPtr& j) { return j->metadata.uid == ref.uid; });
    if (cached) continue;
    auto live = client_.get(*jobs_resource_, ns, ref.name);
    if (live.status().code() == Code::kNotFound ||
        (live.isOk() && live.value()["metadata"].value("uid", std::string()) != ref.uid)) {
      missing.insert(ref.name);
    } else if (!live.isOk()) {
      return live.status();
    }
  }

  const Clock::WallTime now = clock_.now();
  CronJobActions actions = computeCronJobActions(*cj, jobs, missing, now);
  Status failure;
  for (const auto& e : actions.events) recordEvent(*cj, e);
  if (actions.create) {
    auto made = client_.create(*jobs_resource_, ns, api::toJson(*actions.create));
    if (made.isOk()) {
      api::ObjectReference ref;
      ref.kind = "Job";
      ref.namespace_ = ns;
      ref.name = actions.create->metadata.name;
      ref.uid = made.value()["metadata"].value("uid", std::string());
      ref.api_version = "batch/v1";
      ref.resource_version = made.value()["metadata"].value("resourceVersion", std::string());
      actions.status.active.push_back(std::move(ref));
      recordEvent(*cj, {"Normal", "SuccessfulCreate", "Created job " + actions.create->metadata.name});
    } else if (made.status().code() == Code::kAlreadyExists) {
      // Made by an earlier sync whose status write was lost: the time is taken.
      log::info("cronjob {}: job {} already exists", key, actions.create->metadata.name);
    } else {
      recordEvent(*cj, {"Warning", "FailedCreate",
                        "Error creating job: " + made.status().message()});
      actions.status.last_schedule_time = cj->status.last_schedule_time;
      failure = made.status();
    }
  }
  for (const auto& name : actions.delete_jobs) {
    client::DeleteOptions opts;
    opts.propagation_policy = "Background";
    auto gone = client_.remove(*jobs_resource_, ns, name, opts);
    if (gone.isOk()) {
      recordEvent(*cj, {"Normal", "SuccessfulDelete", "Deleted job " + name});
    } else if (gone.status().code() != Code::kNotFound) {
      recordEvent(*cj, {"Warning", "FailedDelete",
                        "Deleted job: " + gone.status().message()});
      if (failure.isOk()) failure = gone.status();
    }
  }
  Status s = updateStatus(*cj, actions.status);
  if (actions.requeue_after) queue_.addAfter(key, *actions.requeue_after);
  if (!failure.isOk()) return failure;
  return s;
}

Status CronJobController::updateStatus(const api::CronJob& cj, const api::CronJobStatus& status) {
  if (api::toJson(cj.status) == api::toJson(status)) return Status::ok();
  json updated = api::toJson(cj);
  updated["status"] = api::toJson(status);
  auto written = client_.update(*cron_jobs_resource_, cj.metadata.namespace_, updated, "status");
  // A conflict means this status was computed from a stale copy: fail, and the retry
  // computes it again from the newer one (a Job made twice is refused as AlreadyExists).
  if (written.status().code() == Code::kNotFound) return Status::ok();
  return written.status();
}

void CronJobController::recordEvent(const api::CronJob& cj, const JobEvent& event) {
  client::EventTarget target{"CronJob", "batch/v1", cj.metadata.namespace_, cj.metadata.name,
                             cj.metadata.uid, "", ""};
  events_.record(target, {event.type, event.reason, event.message});
}

}  // namespace minik8s::controller
