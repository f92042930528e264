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

std::optional<PodFailurePolicyMatch> matchPodFailurePolicy(const api::PodFailurePolicy& policy,
                                                          const api::Pod& pod) {
  const std::string pod_ref = pod.metadata.namespace_ + "/" + pod.metadata.name;
  for (size_t i = 0; i < policy.rules.size(); ++i) {
    const auto& rule = policy.rules[i];
    const std::string at = " matching " + rule.action + " rule at index " + std::to_string(i);
    if (rule.on_exit_codes) {
      const auto& req = *rule.on_exit_codes;
      for (const auto* statuses : {&pod.status.init_container_statuses, &pod.status.container_statuses}) {
        for (const auto& cs : *statuses) {
          if (req.container_name && cs.name != *req.container_name) continue;
          if (!cs.state.terminated) continue;
          int32_t code = cs.state.terminated->exit_code;
          if (code == 0) continue;  // a success never matches
          bool listed = std::find(req.values.begin(), req.values.end(), code) != req.values.end();
          if (listed == (req.op == "In")) {
            return PodFailurePolicyMatch{rule.action, "Container " + cs.name + " for pod " + pod_ref +
                                                          " failed with exit code " +
                                                          std::to_string(code) + at};
          }
        }
      }
    }
    for (const auto& pattern : rule.on_pod_conditions) {
      const std::string want = pattern.status.empty() ? "True" : pattern.status;
      for (const auto& c : pod.status.conditions) {
        if (c.type == pattern.type && c.status == want) {
          return PodFailurePolicyMatch{rule.action,
                                       "Pod " + pod_ref + " has condition " + c.type + at};
        }
      }
    }
  }
  return std::nullopt;
}

std::optional<size_t> matchingSuccessRule(const api::SuccessPolicy& policy,
                                          const std::set<int32_t>& succeeded,
                                          int32_t completions) {
  for (size_t i = 0; i < policy.rules.size(); ++i) {
    const auto& rule = policy.rules[i];
    size_t have = succeeded.size(), need = 0;
    if (rule.succeeded_indexes) {
      auto listed = api::parseCompletionIndexes(*rule.succeeded_indexes, completions);
      have = static_cast<size_t>(std::count_if(listed.begin(), listed.end(),
                                               [&](int32_t x) { return succeeded.count(x) > 0; }));
      need = listed.size();
    }
    if (rule.succeeded_count) need = static_cast<size_t>(std::max(*rule.succeeded_count, 0));
    if (!rule.succeeded_indexes && !rule.succeeded_count) continue;
    if (have >= need) return i;
  }
  return std::nullopt;
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

  const api::JobSpec& spec = job.spec;
  std::vector<PodPtr> active, terminating_pods;
  int32_t succeeded = 0, failed = 0, terminating = 0, ready = 0;
  std::optional<Clock::WallTime> last_failure;
  std::string policy_failure;  // the first FailJob match of the podFailurePolicy
  for (const auto& pod : pods) {
    if (pod->status.phase == "Succeeded") {
      ++succeeded;
    } else if (pod->status.phase == "Failed") {
      std::optional<PodFailurePolicyMatch> match;
      if (spec.pod_failure_policy) match = matchPodFailurePolicy(*spec.pod_failure_policy, *pod);
      if (match && match->action == "Ignore") continue;  // not counted, no back-off
      if (match && match->action == "FailJob" && policy_failure.empty()) {
        policy_failure = match->message;
      }
      ++failed;
      auto t = podFailureTime(*pod);
      if (t && (!last_failure || *last_failure < *t)) last_failure = t;
    } else if (!pod->metadata.deletion_timestamp.empty()) {
      ++terminating;
      terminating_pods.push_back(pod);
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

  // Indexed: the succeeded indexes; one active pod per index still wanted, the others
  // (duplicates, indexes done or out of range) deleted whatever else happens.
  const bool indexed = spec.completion_mode.value_or("NonIndexed") == "Indexed";
  std::set<int32_t> done_indexes, active_indexes;
  std::vector<PodPtr> extra;
  std::vector<PodPtr> all_active = active;
  if (indexed) {
    const int32_t completions = spec.completions.value_or(0);
    for (int32_t i : api::parseCompletionIndexes(st.completed_indexes, completions)) done_indexes.insert(i);
    for (const auto& pod : pods) {
      if (pod->status.phase != "Succeeded") continue;
      auto index = podCompletionIndex(*pod);
      if (index && *index < completions) done_indexes.insert(*index);
    }
    st.completed_indexes = api::formatCompletionIndexes({done_indexes.begin(), done_indexes.end()});
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
  } else if (!policy_failure.empty()) {
    fail_reason = "PodFailurePolicy";
    fail_message = policy_failure;
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
  std::string success_reason = "CompletionsReached";
  std::string success_message = "Reached expected number of succeeded pods";
  bool criteria_met = spec.completions ? st.succeeded >= *spec.completions
                                       : st.succeeded > 0 && active.empty();
  if (const api::Condition* met = findCondition(st.conditions, "SuccessCriteriaMet");
      met && met->status == "True") {
    criteria_met = true;
    success_reason = met->reason;
    success_message = met->message;
  } else if (!criteria_met && indexed && spec.success_policy) {
    if (auto rule = matchingSuccessRule(*spec.success_policy, done_indexes,
                                        spec.completions.value_or(0))) {
      criteria_met = true;
      success_reason = "SuccessPolicy";
      success_message = "Matched rules at index " + std::to_string(*rule);
    }
  }
  if (criteria_met) {
    setJobCondition(st, "SuccessCriteriaMet", "True", success_reason, success_message, now);
    a.remove = all_active;
    if (no_pods_left) {
      setJobCondition(st, "Complete", "True", success_reason, success_message, now);
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
  // podReplacementPolicy Failed: a pod being deleted is replaced only once it has failed.
  const bool wait_for_terminating = spec.pod_replacement_policy.value_or(
                                        spec.pod_failure_policy ? "Failed"
                                                                : "TerminatingOrFailed") == "Failed";
  const int32_t occupying = wait_for_terminating ? terminating : 0;
  if (wait_for_terminating && indexed) {
    for (const auto& pod : terminating_pods) {
      if (auto index = podCompletionIndex(*pod)) active_indexes.insert(*index);
    }
  }
  if (have + occupying < want) {
    std::optional<Clock::WallTime> ready_at;
    if (st.failed > 0 && last_failure) {
      int exponent = std::min(st.failed - 1, 6);
      auto delay = std::min<std::chrono::nanoseconds>(kJobBackoffBase * (1 << exponent), kJobBackoffMax);
      ready_at = *last_failure + std::chrono::duration_cast<Clock::WallTime::duration>(delay);
    }
    if (ready_at && now < *ready_at) {
      keepEarliestRequeue(a.requeue_after, *ready_at - now);
    } else {
      a.create = want - have - occupying;
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
