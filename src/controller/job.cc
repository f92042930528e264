#include "controller/job.h"

#include <algorithm>
#include <set>
#include <nlohmann/json.hpp>

#include "api/codec.h"
#include "common/log.h"
#include "controller/slow_start.h"

namespace minik8s::controller {

using nlohmann::json;
using namespace std::chrono_literals;

namespace {

constexpr char kJobControllerName[] = "job-controller";
constexpr auto kJobBackoffBase = 10s;
constexpr auto kJobBackoffMax = 6min;

api::Condition* jobFindMutableCondition(std::vector<api::Condition>& conditions,
                                     const std::string& type) {
  for (auto& c : conditions) {
    if (c.type == type) return &c;
  }
  return nullptr;
}

bool jobConditionTrue(const std::vector<api::Condition>& conditions, const std::string& type) {
  const api::Condition* c = findCondition(conditions, type);
  return c && c->status == "True";
}

// Sets a Job condition as Kubernetes' newCondition does: a change of status moves both
// lastProbeTime and lastTransitionTime; the same status keeps them.
void setJobCondition(api::JobStatus& status, const std::string& type, const std::string& value,
                  const std::string& reason, const std::string& message, Clock::WallTime now) {
  api::Condition* c = jobFindMutableCondition(status.conditions, type);
  if (c && c->status == value && c->reason == reason && c->message == message) return;
  if (!c) {
    status.conditions.push_back({});
    c = &status.conditions.back();
    c->type = type;
  }
  if (c->status != value) {
    c->last_transition_time = formatRfc3339(now);
  }
  c->last_probe_time = formatRfc3339(now);
  c->status = value;
  c->reason = reason;
  c->message = message;
}

std::optional<Clock::WallTime> parseJobTime(const std::string& s) {
  Clock::WallTime t;
  if (s.empty() || !parseRfc3339(s, &t)) return std::nullopt;
  return t;
}

// When a failed pod finished: its last container's finishedAt, else its start or creation.
std::optional<Clock::WallTime> podFailureTime(const api::Pod& pod) {
  std::optional<Clock::WallTime> latest;
  auto consider = [&](const std::vector<api::ContainerStatus>& statuses) {
    for (const auto& cs : statuses) {
      if (!cs.state.terminated) continue;
      auto t = parseJobTime(cs.state.terminated->finished_at);
      if (t && (!latest || *latest < *t)) latest = t;
    }
  };
  consider(pod.status.init_container_statuses);
  consider(pod.status.container_statuses);
  if (latest) return latest;
  if (auto t = parseJobTime(pod.status.start_time)) return t;
  return parseJobTime(pod.metadata.creation_timestamp);
}

// Kubernetes' pastBackoffLimitOnFailure: with restartPolicy OnFailure a failing container
// restarts in place, so its restarts count as the Job's failures.
bool pastBackoffLimitOnFailure(const api::Job& job, const std::vector<PodPtr>& pods) {
  if (job.spec.template_.spec.restart_policy != "OnFailure") return false;
  int64_t restarts = 0;
  for (const auto& pod : pods) {
    if (pod->status.phase != "Running" && pod->status.phase != "Pending") continue;
    for (const auto& cs : pod->status.init_container_statuses) restarts += cs.restart_count;
    for (const auto& cs : pod->status.container_statuses) restarts += cs.restart_count;
  }
  const int32_t limit = job.spec.backoff_limit.value_or(6);
  return limit == 0 ? restarts > 0 : restarts >= limit;
}

void keepEarliestRequeue(std::optional<std::chrono::nanoseconds>& current, std::chrono::nanoseconds d) {
  if (d < 0ns) d = 0ns;
  if (!current || d < *current) current = d;
}

// An Indexed Job's pod for `index` (Kubernetes' addCompletionIndexEnvVariables and
// addCompletionIndexAnnotation, the index label and the hostname).
api::Pod indexedPod(const api::Job& job, int32_t index) {
  const std::string idx = std::to_string(index);
  api::Pod pod = podFromTemplate(job.spec.template_, job.metadata.namespace_,
                                 job.metadata.name + "-" + idx + "-",
                                 makeControllerRef("batch/v1", "Job", job.metadata));
  pod.metadata.annotations[api::kJobCompletionIndexAnnotation] = idx;
  pod.metadata.labels[api::kJobCompletionIndexAnnotation] = idx;
  if (pod.spec.hostname.empty()) pod.spec.hostname = job.metadata.name + "-" + idx;
  auto addEnv = [](std::vector<api::Container>& containers) {
    for (auto& c : containers) {
      bool has = std::any_of(c.env.begin(), c.env.end(),
                             [](const api::EnvVar& e) { return e.name == "JOB_COMPLETION_INDEX"; });
      if (has) continue;
      api::EnvVar env;
      env.name = "JOB_COMPLETION_INDEX";
      env.value_from.emplace();
      env.value_from->field_ref.emplace();
      env.value_from->field_ref->field_path =
          std::string("metadata.annotations['") + api::kJobCompletionIndexAnnotation + "']";
      c.env.push_back(std::move(env));
    }
  };
  addEnv(pod.spec.init_containers);
  addEnv(pod.spec.containers);
  return pod;
}

}  // namespace

std::string formatIndexes(const std::vector<int32_t>& sorted) {
  std::string out;
  for (size_t i = 0; i < sorted.size();) {
    size_t j = i;
    while (j + 1 < sorted.size() && sorted[j + 1] == sorted[j] + 1) ++j;
    if (!out.empty()) out += ",";
    out += std::to_string(sorted[i]);
    if (j > i) out += "-" + std::to_string(sorted[j]);
    i = j + 1;
  }
  return out;
}

std::vector<int32_t> parseIndexes(const std::string& text, int32_t completions) {
  std::set<int32_t> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t comma = text.find(',', start);
    std::string part = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    start = comma == std::string::npos ? text.size() : comma + 1;
    size_t dash = part.find('-');
    try {
      int32_t lo = std::stoi(part.substr(0, dash));
      int32_t hi = dash == std::string::npos ? lo : std::stoi(part.substr(dash + 1));
      for (int32_t i = std::max(lo, 0); i <= hi && i < completions; ++i) out.insert(i);
    } catch (const std::exception&) {
      continue;  // not an index: skipped, as Kubernetes does
    }
  }
  return {out.begin(), out.end()};
}

std::optional<int32_t> podCompletionIndex(const api::Pod& pod) {
  auto read = [](const api::StringMap& m) -> std::optional<int32_t> {
    auto it = m.find(api::kJobCompletionIndexAnnotation);
    if (it == m.end() || it->second.empty() || it->second.size() > 9) return std::nullopt;
    int32_t v = 0;
    for (char c : it->second) {
      if (c < '0' || c > '9') return std::nullopt;
      v = v * 10 + (c - '0');
    }
    return v;
  };
  if (auto v = read(pod.metadata.annotations)) return v;
  return read(pod.metadata.labels);
}

bool isJobFinished(const api::Job& job) {
  return jobConditionTrue(job.status.conditions, "Complete") ||
         jobConditionTrue(job.status.conditions, "Failed");
}

std::optional<Clock::WallTime> jobFinishTime(const api::Job& job) {
  for (const auto& c : job.status.conditions) {
    if ((c.type == "Complete" || c.type == "Failed") && c.status == "True") {
      if (auto t = parseJobTime(c.last_transition_time)) return t;
    }
  }
  return std::nullopt;
}

JobActions computeJobActions(const api::Job& job, const std::vector<PodPtr>& pods,
                             Clock::WallTime now) {
  JobActions a;
  a.status = job.status;
  if (isJobFinished(job)) return a;
  api::JobStatus& st = a.status;

  std::vector<PodPtr> active;
  int32_t succeeded = 0, failed = 0, terminating = 0, ready = 0;
  std::optional<Clock::WallTime> last_failure;
  for (const auto& pod : pods) {
    if (pod->status.phase == "Succeeded") {
      ++succeeded;
    } else if (pod->status.phase == "Failed") {
      ++failed;
      auto t = podFailureTime(*pod);
      if (t && (!last_failure || *last_failure < *t)) last_failure = t;
    } else if (!pod->metadata.deletion_timestamp.empty()) {
      ++terminating;
    } else {
      active.push_back(pod);
      if (isPodReady(*pod)) ++ready;
    }
  }
  st.succeeded = std::max(st.succeeded, succeeded);
  st.failed = std::max(st.failed, failed);
  st.active = static_cast<int32_t>(active.size());
  st.ready = ready;
  st.terminating = terminating;
  if (!st.uncounted_terminated_pods) st.uncounted_terminated_pods.emplace();

  const api::JobSpec& spec = job.spec;
  // Indexed: the succeeded indexes; one active pod per index still wanted, the others
  // (duplicates, indexes done or out of range) deleted whatever else happens.
  const bool indexed = spec.completion_mode.value_or("NonIndexed") == "Indexed";
  std::set<int32_t> done_indexes, active_indexes;
  std::vector<PodPtr> extra;
  std::vector<PodPtr> all_active = active;
  if (indexed) {
    const int32_t completions = spec.completions.value_or(0);
    for (int32_t i : parseIndexes(st.completed_indexes, completions)) done_indexes.insert(i);
    for (const auto& pod : pods) {
      if (pod->status.phase != "Succeeded") continue;
      auto index = podCompletionIndex(*pod);
      if (index && *index < completions) done_indexes.insert(*index);
    }
    st.completed_indexes = formatIndexes({done_indexes.begin(), done_indexes.end()});
    st.succeeded = static_cast<int32_t>(done_indexes.size());
    std::stable_sort(active.begin(), active.end(), [](const PodPtr& a, const PodPtr& b) {
      return isPodReady(*a) > isPodReady(*b);  // keep a ready pod of an index
    });
    std::vector<PodPtr> kept;
    for (const auto& pod : active) {
      auto index = podCompletionIndex(*pod);
      if (!index || *index >= completions || done_indexes.count(*index) ||
          !active_indexes.insert(*index).second) {
        extra.push_back(pod);
      } else {
        kept.push_back(pod);
      }
    }
    active = std::move(kept);
  }
  const bool suspended = spec.suspend.value_or(false);
  const int32_t backoff_limit = spec.backoff_limit.value_or(6);
  const bool no_pods_left = all_active.empty() && terminating == 0;

  // 1. Failure: the backoff limit or the deadline.
  std::string fail_reason, fail_message;
  if (const api::Condition* target = findCondition(st.conditions, "FailureTarget");
      target && target->status == "True") {
    fail_reason = target->reason;
    fail_message = target->message;
  } else if (st.failed > backoff_limit || pastBackoffLimitOnFailure(job, active)) {
    fail_reason = "BackoffLimitExceeded";
    fail_message = "Job has reached the specified backoff limit";
  } else if (!suspended && spec.active_deadline_seconds && !st.start_time.empty()) {
    auto start = parseJobTime(st.start_time);
    if (start && now >= *start + std::chrono::seconds(*spec.active_deadline_seconds)) {
      fail_reason = "DeadlineExceeded";
      fail_message = "Job was active longer than specified deadline";
    }
  }
  if (!fail_reason.empty()) {
    setJobCondition(st, "FailureTarget", "True", fail_reason, fail_message, now);
    a.remove = all_active;
    if (no_pods_left) {
      setJobCondition(st, "Failed", "True", fail_reason, fail_message, now);
      a.events.push_back({"Warning", fail_reason, fail_message});
    }
    return a;
  }

  // 2. Success: completions reached, or (no completions) a success and nothing active.
  const bool criteria_met = jobConditionTrue(st.conditions, "SuccessCriteriaMet") ||
                            (spec.completions ? st.succeeded >= *spec.completions
                                              : st.succeeded > 0 && active.empty());
  if (criteria_met) {
    setJobCondition(st, "SuccessCriteriaMet", "True", "CompletionsReached",
                 "Reached expected number of succeeded pods", now);
    a.remove = all_active;
    if (no_pods_left) {
      setJobCondition(st, "Complete", "True", "CompletionsReached",
                   "Reached expected number of succeeded pods", now);
      st.completion_time = formatRfc3339(now);
      a.events.push_back({"Normal", "Completed", "Job completed"});
    }
    return a;
  }

  // 3. Suspended: no pods; resuming starts the clock again.
  if (suspended) {
    a.remove = all_active;
    if (!jobConditionTrue(st.conditions, "Suspended")) {
      setJobCondition(st, "Suspended", "True", "JobSuspended", "Job suspended", now);
      a.events.push_back({"Normal", "Suspended", "Job suspended"});
    }
    return a;
  }
  if (jobConditionTrue(st.conditions, "Suspended")) {
    setJobCondition(st, "Suspended", "False", "JobResumed", "Job resumed", now);
    a.events.push_back({"Normal", "Resumed", "Job resumed"});
    st.start_time = formatRfc3339(now);
  }
  if (st.start_time.empty()) st.start_time = formatRfc3339(now);
  if (spec.active_deadline_seconds) {
    auto start = parseJobTime(st.start_time);
    if (start) {
      keepEarliestRequeue(a.requeue_after,
                   *start + std::chrono::seconds(*spec.active_deadline_seconds) - now);
    }
  }

  // 4. Running: keep min(parallelism, remaining completions) pods active.
  const int32_t parallelism = spec.parallelism.value_or(1);
  int32_t want;
  if (spec.completions) {
    want = std::clamp(*spec.completions - st.succeeded, 0, parallelism);
  } else {
    // Without completions the first success ends the Job: no new pods, the others finish.
    want = st.succeeded > 0 ? static_cast<int32_t>(active.size()) : parallelism;
  }
  const int32_t have = static_cast<int32_t>(active.size());
  if (have < want) {
    std::optional<Clock::WallTime> ready_at;
    if (st.failed > 0 && last_failure) {
      int exponent = std::min(st.failed - 1, 6);
      auto delay = std::min<std::chrono::nanoseconds>(kJobBackoffBase * (1 << exponent), kJobBackoffMax);
      ready_at = *last_failure + std::chrono::duration_cast<Clock::WallTime::duration>(delay);
    }
    if (ready_at && now < *ready_at) {
      keepEarliestRequeue(a.requeue_after, *ready_at - now);
    } else {
      a.create = want - have;
      for (int32_t i = 0; indexed && static_cast<int>(a.create_indexes.size()) < a.create &&
                          i < spec.completions.value_or(0);
           ++i) {
        if (!done_indexes.count(i) && !active_indexes.count(i)) a.create_indexes.push_back(i);
      }
      if (indexed) a.create = static_cast<int>(a.create_indexes.size());
    }
  } else if (have > want) {
    if (indexed) {
      // The highest indexes go first, as in Kubernetes.
      std::vector<PodPtr> by_index = active;
      std::sort(by_index.begin(), by_index.end(), [](const PodPtr& x, const PodPtr& y) {
        return podCompletionIndex(*x).value_or(0) > podCompletionIndex(*y).value_or(0);
      });
      by_index.resize(static_cast<size_t>(have - want));
      a.remove = std::move(by_index);
    } else {
      a.remove = podsToDelete(active, active, static_cast<size_t>(have - want));
    }
  }
  a.remove.insert(a.remove.begin(), extra.begin(), extra.end());
  if (!a.remove.empty()) {  // as Kubernetes' manageJob: delete first, create on a later sync
    a.create = 0;
    a.create_indexes.clear();
  }
  return a;
}

// ---------------------------------------------------------------------------------------

JobController::JobController(client::Client& client, const client::ObjectCache<api::Job>& jobs,
                             const client::ObjectCache<api::Pod>& pods, JobOptions options,
                             Clock& clock)
    : client_(client),
      options_(options),
      clock_(clock),
      jobs_resource_(api::findResource("batch", "v1", "jobs")),
      pods_resource_(api::findResource("", "v1", "pods")),
      jobs_(jobs),
      pods_(pods),
      events_(client, {kJobControllerName, ""}, clock),
      expectations_(clock),
      queue_(clock),
      loop_("job", queue_, [this](const std::string& key) { return sync(key); }) {}

JobController::JobController(client::Client& client, client::SharedInformerFactory& informers,
                             JobOptions options, Clock& clock)
    : JobController(
          client,
          informers.informerFor<api::Job>(*api::findResource("batch", "v1", "jobs")).cache(),
          informers.informerFor<api::Pod>(*api::findResource("", "v1", "pods")).cache(), options,
          clock) {
  auto& jobs = informers.informerFor<api::Job>(*jobs_resource_);
  auto& pods = informers.informerFor<api::Pod>(*pods_resource_);
  informers_ = {&jobs, &pods};
  jobs.addHandler({
      .on_add = [this](const JobPtr& job) { onJob(job); },
      .on_update = [this](const JobPtr&, const JobPtr& job) { onJob(job); },
      .on_delete = [this](const JobPtr& job) { onJobDeleted(job); },
  });
  pods.addHandler({
      .on_add = [this](const PodPtr& pod) { onPodAdded(pod); },
      .on_update = [this](const PodPtr& old_pod, const PodPtr& pod) { onPodUpdated(old_pod, pod); },
      .on_delete = [this](const PodPtr& pod) { onPodDeleted(pod); },
  });
}

JobController::~JobController() {
  stop();
}

Status JobController::run(int workers, std::chrono::milliseconds sync_timeout) {
  return loop_.run(workers, informers_, sync_timeout);
}

void JobController::stop() {
  loop_.stop();
}

void JobController::onJob(const JobPtr& job) {
  queue_.add(keyOf(job->metadata));
}

void JobController::onJobDeleted(const JobPtr& job) {
  expectations_.forget(keyOf(job->metadata));
  queue_.add(keyOf(job->metadata));
}

JobPtr JobController::ownerOf(const api::Pod& pod) const {
  const api::OwnerReference* ref = controllerRefOf(pod.metadata);
  if (!ref || ref->kind != "Job") return nullptr;
  JobPtr job = jobs_.get(pod.metadata.namespace_, ref->name);
  return job && job->metadata.uid == ref->uid ? job : nullptr;
}

void JobController::onPodAdded(const PodPtr& pod) {
  if (!pod->metadata.deletion_timestamp.empty()) {
    onPodDeleted(pod);
    return;
  }
  if (JobPtr job = ownerOf(*pod)) {
    expectations_.creationObserved(keyOf(job->metadata));
    queue_.add(keyOf(job->metadata));
  }
}

void JobController::onPodUpdated(const PodPtr& old_pod, const PodPtr& pod) {
  if (old_pod->metadata.resource_version == pod->metadata.resource_version) return;
  if (!pod->metadata.deletion_timestamp.empty() && old_pod->metadata.deletion_timestamp.empty()) {
    if (JobPtr job = ownerOf(*pod)) {
      expectations_.deletionObserved(keyOf(job->metadata), keyOf(pod->metadata));
    }
  }
  if (JobPtr job = ownerOf(*pod)) queue_.add(keyOf(job->metadata));
  if (JobPtr job = ownerOf(*old_pod)) queue_.add(keyOf(job->metadata));
}

void JobController::onPodDeleted(const PodPtr& pod) {
  if (JobPtr job = ownerOf(*pod)) {
    expectations_.deletionObserved(keyOf(job->metadata), keyOf(pod->metadata));
    queue_.add(keyOf(job->metadata));
  }
}

std::vector<PodPtr> JobController::podsOf(const api::Job& job) const {
  std::vector<PodPtr> out;
  for (auto& pod : pods_.listNamespace(job.metadata.namespace_)) {
    const api::OwnerReference* ref = controllerRefOf(pod->metadata);
    if (ref && ref->uid == job.metadata.uid) out.push_back(std::move(pod));
  }
  return out;
}

int JobController::createPods(const api::Job& job, int count,
                              const std::vector<int32_t>& indexes, Status* failure) {
  const std::string key = keyOf(job.metadata);
  count = std::min(count, options_.burst);
  if (!indexes.empty()) count = std::min(count, static_cast<int>(indexes.size()));
  expectations_.expectCreations(key, count);
  json pod_json = api::toJson(podFromTemplate(job.spec.template_, job.metadata.namespace_,
                                              job.metadata.name + "-",
                                              makeControllerRef("batch/v1", "Job", job.metadata)));
  log::debug("job {}: creating {} pod(s)", key, count);
  int created = slowStartBatch(
      count, 1, options_.create_parallelism,
      [&](int i) -> Status {
        auto made = client_.create(*pods_resource_, job.metadata.namespace_,
                                   indexes.empty() ? pod_json : api::toJson(indexedPod(job, indexes[i])));
        if (!made.isOk()) {
          recordEvent(job, {"Warning", "FailedCreate", "Error creating: " + made.status().message()});
          return made.status();
        }
        recordEvent(job, {"Normal", "SuccessfulCreate",
                          "Created pod: " + made.value()["metadata"].value("name", std::string())});
        return Status::ok();
      },
      failure);
  for (int i = created; i < count; ++i) expectations_.creationFailed(key);
  return created;
}

int JobController::deletePods(const api::Job& job, const std::vector<PodPtr>& pods,
                              Status* failure) {
  const std::string key = keyOf(job.metadata);
  std::vector<std::string> pod_keys;
  for (const auto& p : pods) pod_keys.push_back(keyOf(p->metadata));
  expectations_.expectDeletions(key, pod_keys);
  int deleted = 0;
  for (size_t i = 0; i < pods.size(); ++i) {
    const api::Pod& pod = *pods[i];
    client::DeleteOptions opts;
    opts.precondition_uid = pod.metadata.uid;
    auto gone = client_.remove(*pods_resource_, pod.metadata.namespace_, pod.metadata.name, opts);
    if (!gone.isOk() && gone.status().code() != Code::kNotFound) {
      expectations_.deletionObserved(key, pod_keys[i]);
      recordEvent(job, {"Warning", "FailedDelete", "Error deleting: " + gone.status().message()});
      if (failure->isOk()) *failure = gone.status();
      continue;
    }
    if (gone.isOk()) {
      ++deleted;
      recordEvent(job, {"Normal", "SuccessfulDelete", "Deleted pod: " + pod.metadata.name});
    } else {
      expectations_.deletionObserved(key, pod_keys[i]);  // already gone: never observed
    }
  }
  return deleted;
}

Status JobController::updateStatus(const api::Job& job, const api::JobStatus& status) {
  if (api::toJson(job.status) == api::toJson(status)) return Status::ok();
  json updated = api::toJson(job);
  updated["status"] = api::toJson(status);
  auto written = client_.update(*jobs_resource_, job.metadata.namespace_, updated, "status");
  // A conflict means this status was computed from a stale copy: fail, and the retry
  // computes it again from the newer one (expectations keep it from creating twice).
  if (written.status().code() == Code::kNotFound) return Status::ok();
  return written.status();
}

Status JobController::sync(const std::string& key) {
  size_t slash = key.find('/');
  if (slash == std::string::npos) return Status::ok();
  JobPtr job = jobs_.get(key.substr(0, slash), key.substr(slash + 1));
  if (!job) {
    expectations_.forget(key);
    return Status::ok();
  }
  if (isJobFinished(*job) || !job->metadata.deletion_timestamp.empty()) return Status::ok();

  const bool satisfied = expectations_.satisfied(key);
  const Clock::WallTime now = clock_.now();
  JobActions actions = computeJobActions(*job, podsOf(*job), now);

  Status failure;
  if (satisfied) {
    int created =
        actions.create > 0 ? createPods(*job, actions.create, actions.create_indexes, &failure) : 0;
    int deleted = actions.remove.empty() ? 0 : deletePods(*job, actions.remove, &failure);
    actions.status.active += created - deleted;
    actions.status.terminating = actions.status.terminating.value_or(0) + deleted;
  }
  for (const auto& e : actions.events) recordEvent(*job, e);
  Status s = updateStatus(*job, actions.status);
  if (actions.requeue_after) queue_.addAfter(key, *actions.requeue_after);
  if (!failure.isOk()) return failure;
  return s;
}

void JobController::recordEvent(const api::Job& job, const JobEvent& event) {
  client::EventTarget target{"Job", "batch/v1", job.metadata.namespace_, job.metadata.name,
                             job.metadata.uid, "", ""};
  events_.record(target, {event.type, event.reason, event.message});
}

}  // namespace minik8s::controller
