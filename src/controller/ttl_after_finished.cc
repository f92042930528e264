#include "controller/ttl_after_finished.h"

#include <nlohmann/json.hpp>

#include "api/codec.h"
#include "common/log.h"
#include "controller/pod_util.h"

namespace minik8s::controller {

using nlohmann::json;

std::optional<Clock::WallTime> jobExpiry(const api::Job& job) {
  if (!job.spec.ttl_seconds_after_finished || !job.metadata.deletion_timestamp.empty()) {
    return std::nullopt;
  }
  auto finished = jobFinishTime(job);
  if (!finished) return std::nullopt;
  return *finished + std::chrono::seconds(*job.spec.ttl_seconds_after_finished);
}

TtlAfterFinishedController::TtlAfterFinishedController(client::Client& client,
                                                       const client::ObjectCache<api::Job>& jobs,
                                                       Clock& clock)
    : client_(client),
      clock_(clock),
      jobs_resource_(api::findResource("batch", "v1", "jobs")),
      jobs_(jobs),
      queue_(clock),
      loop_("ttl-after-finished", queue_, [this](const std::string& key) { return sync(key); }) {}

TtlAfterFinishedController::TtlAfterFinishedController(client::Client& client,
                                                       client::SharedInformerFactory& informers,
                                                       Clock& clock)
    : TtlAfterFinishedController(
          client, informers.informerFor<api::Job>(*api::findResource("batch", "v1", "jobs")).cache(),
          clock) {
  auto& jobs = informers.informerFor<api::Job>(*jobs_resource_);
  informers_ = {&jobs};
  jobs.addHandler({
      .on_add = [this](const JobPtr& job) { onJob(job); },
      .on_update = [this](const JobPtr&, const JobPtr& job) { onJob(job); },
      .on_delete = nullptr,
  });
}

TtlAfterFinishedController::~TtlAfterFinishedController() {
  stop();
}

Status TtlAfterFinishedController::run(int workers, std::chrono::milliseconds sync_timeout) {
  return loop_.run(workers, informers_, sync_timeout);
}

void TtlAfterFinishedController::stop() {
  loop_.stop();
}

void TtlAfterFinishedController::onJob(const JobPtr& job) {
  if (jobExpiry(*job)) queue_.add(keyOf(job->metadata));
}

Status TtlAfterFinishedController::sync(const std::string& key) {
  size_t slash = key.find('/');
  if (slash == std::string::npos) return Status::ok();
  const std::string ns = key.substr(0, slash), name = key.substr(slash + 1);
  JobPtr job = jobs_.get(ns, name);
  if (!job) return Status::ok();
  auto expiry = jobExpiry(*job);
  if (!expiry) return Status::ok();
  const Clock::WallTime now = clock_.now();
  if (now < *expiry) {
    queue_.addAfter(key, *expiry - now);
    return Status::ok();
  }
  // The cache may be stale: decide again on the apiserver's copy.
  auto live = client_.get(*jobs_resource_, ns, name);
  if (live.status().code() == Code::kNotFound) return Status::ok();
  if (!live.isOk()) return live.status();
  auto fresh = api::decode<api::Job>(live.value());
  if (!fresh.isOk()) return fresh.status();
  auto fresh_expiry = jobExpiry(*fresh);
  if (!fresh_expiry) return Status::ok();
  if (now < *fresh_expiry) {
    queue_.addAfter(key, *fresh_expiry - now);
    return Status::ok();
  }
  log::info("ttl-after-finished: deleting job {}: finished {} s ago", key,
            std::chrono::duration_cast<std::chrono::seconds>(now - *fresh_expiry).count() +
                fresh->spec.ttl_seconds_after_finished.value_or(0));
  client::DeleteOptions opts;
  opts.propagation_policy = "Background";
  opts.precondition_uid = fresh->metadata.uid;
  auto gone = client_.remove(*jobs_resource_, ns, name, opts);
  if (gone.isOk() || gone.status().code() == Code::kNotFound) return Status::ok();
  return gone.status();
}

}  // namespace minik8s::controller
