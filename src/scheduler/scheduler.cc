#include "scheduler/scheduler.h"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "api/codec.h"
#include "common/log.h"

namespace minik8s::scheduler {

using nlohmann::json;

std::string podKey(const api::Pod& pod) {
  return pod.metadata.namespace_ + "/" + pod.metadata.name;
}

namespace {

bool readyOf(const api::Node& node) {
  for (const auto& c : node.status.conditions) {
    if (c.type == "Ready") return c.status == "True";
  }
  return false;
}

bool sameTaints(const std::vector<api::Taint>& a, const std::vector<api::Taint>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const auto& x, const auto& y) {
    return x.key == y.key && x.value == y.value && x.effect == y.effect;
  });
}

// Whether a node change may give a parked pod a new chance: labels, taints,
// unschedulable, allocatable or readiness changed (a heartbeat alone does not).
bool schedulingChanged(const api::Node& before, const api::Node& after) {
  return before.metadata.labels != after.metadata.labels ||
         before.spec.unschedulable != after.spec.unschedulable ||
         !sameTaints(before.spec.taints, after.spec.taints) ||
         before.status.allocatable != after.status.allocatable ||
         readyOf(before) != readyOf(after);
}

}  // namespace

Scheduler::Scheduler(client::Client& client, SchedulerOptions options, Clock& clock)
    : client_(client),
      options_(std::move(options)),
      clock_(clock),
      pods_resource_(api::findResource("", "v1", "pods")),
      nodes_resource_(api::findResource("", "v1", "nodes")),
      events_(client, {options_.scheduler_name, ""}, clock),
      filters_(defaultFilters()),
      score_(scorePluginFor(options_.policy)),
      queue_(clock),
      loop_("scheduler", queue_, [this](const std::string& key) { return scheduleOne(key); }),
      binder_(options_.bind_parallelism),
      event_writer_(options_.event_parallelism) {
  policy_state_.rng.seed(options_.seed);
  pods_ = std::make_unique<client::Informer<api::Pod>>(client_, *pods_resource_);
  nodes_ = std::make_unique<client::Informer<api::Node>>(client_, *nodes_resource_);
  pods_->addIndex("nodeName", [](const api::Pod& pod) {
    return pod.spec.node_name.empty() ? std::vector<std::string>{}
                                      : std::vector<std::string>{pod.spec.node_name};
  });
  pods_->addHandler({
      .on_add = [this](const auto& pod) { onPod(nullptr, pod); },
      .on_update = [this](const auto& old_pod, const auto& pod) { onPod(old_pod, pod); },
      .on_delete = [this](const auto& pod) { onPodDeleted(pod); },
  });
  nodes_->addHandler({
      .on_add = [this](const auto& node) { onNode(nullptr, node); },
      .on_update = [this](const auto& old_node, const auto& node) { onNode(old_node, node); },
      .on_delete = [this](const auto& node) { cache_.removeNode(node->metadata.name); },
  });
}

Scheduler::~Scheduler() {
  stop();
}

Status Scheduler::start(std::chrono::milliseconds sync_timeout) {
  pods_->start();
  nodes_->start();
  RETURN_IF_ERROR(loop_.run(1, {pods_.get(), nodes_.get()}, sync_timeout));
  if (options_.unschedulable_flush.count() > 0) {
    flusher_ = std::jthread([this](std::stop_token stop) { runFlusher(stop); });
  }
  log::info("scheduler: started with policy {}", policyName(options_.policy));
  return Status::ok();
}

void Scheduler::stop() {
  if (flusher_.joinable()) {
    flusher_.request_stop();
    flusher_.join();
  }
  loop_.stop();
  binder_.stop();
  event_writer_.stop();
  nodes_->stop();
  pods_->stop();
}

bool Scheduler::isOurs(const api::Pod& pod) const {
  const std::string& name = pod.spec.scheduler_name;
  return name.empty() || name == options_.scheduler_name;
}

void Scheduler::onPod(const std::shared_ptr<const api::Pod>& old_pod,
                      const std::shared_ptr<const api::Pod>& pod) {
  if (pod->spec.node_name.empty()) {
    if (!isOurs(*pod) || pod->metadata.deletion_timestamp.size() > 0) return;
    bool parked;
    {
      std::lock_guard lock(mu_);
      parked = unschedulable_.count(podKey(*pod)) > 0;
    }
    // A parked pod waits for a cluster change, unless its own spec changed.
    if (!parked || (old_pod && old_pod->metadata.generation != pod->metadata.generation)) {
      {
        std::lock_guard lock(mu_);
        unschedulable_.erase(podKey(*pod));
      }
      queue_.add(podKey(*pod));
    }
    return;
  }
  cache_.setPod(pod);
  // A bound pod that finished frees its node.
  if (old_pod && podOccupiesNode(*old_pod) && !podOccupiesNode(*pod))
    moveAllToActive("pod finished");
}

void Scheduler::onPodDeleted(const std::shared_ptr<const api::Pod>& pod) {
  cache_.removePod(pod->metadata.namespace_, pod->metadata.name);
  {
    std::lock_guard lock(mu_);
    unschedulable_.erase(podKey(*pod));
  }
  if (podOccupiesNode(*pod)) moveAllToActive("pod deleted");
}

void Scheduler::onNode(const std::shared_ptr<const api::Node>& old_node,
                       const std::shared_ptr<const api::Node>& node) {
  cache_.setNode(node);
  if (old_node && !schedulingChanged(*old_node, *node)) return;
  moveAllToActive(old_node ? "node changed" : "node added");
}

void Scheduler::moveAllToActive(const char* why) {
  std::set<std::string> keys;
  {
    std::lock_guard lock(mu_);
    keys.swap(unschedulable_);
  }
  if (!keys.empty())
    log::debug("scheduler: {}: retrying {} unschedulable pod(s)", why, keys.size());
  for (const auto& key : keys) queue_.add(key);
}

Status Scheduler::scheduleOne(const std::string& key) {
  auto pod = pods_->get(key);
  if (!pod || !pod->spec.node_name.empty() || !pod->metadata.deletion_timestamp.empty() ||
      !isOurs(*pod)) {
    return Status::ok();
  }
  if (cache_.isAssumed(pod->metadata.namespace_, pod->metadata.name)) {
    return Status::ok();  // its binding is in flight, or done and not yet seen
  }
  auto snapshot = cache_.snapshot();
  ScheduleResult result = schedulePod(*pod, snapshot->nodes, filters_, score_.get(),
                                      options_.policy, policy_state_);
  if (result.node.empty()) {
    log::info("scheduler: {} is unschedulable: {}", key, result.message);
    {
      std::lock_guard lock(mu_);
      unschedulable_.insert(key);
    }
    recordEvent(*pod, "Warning", "FailedScheduling", result.message);
    return Status::ok();
  }
  auto assumed = std::make_shared<api::Pod>(*pod);
  assumed->spec.node_name = result.node;
  cache_.assume(assumed);
  binder_.submit([this, pod, node = std::move(result.node)] { bindAssumed(pod, node); });
  return Status::ok();
}

void Scheduler::bindAssumed(const std::shared_ptr<const api::Pod>& pod, const std::string& node) {
  const std::string key = podKey(*pod);
  Status s = bind(*pod, node);
  if (s.code() == Code::kConflict || s.code() == Code::kNotFound) {
    // Bound elsewhere or gone: the informer tells which; the assumption must not linger.
    cache_.forget(pod->metadata.namespace_, pod->metadata.name);
    return;
  }
  if (!s.isOk()) {
    log::warn("scheduler: binding {} to {}: {}", key, node, s.toString());
    cache_.forget(pod->metadata.namespace_, pod->metadata.name);
    recordEvent(*pod, "Warning", "FailedScheduling", "Binding rejected: " + s.message());
    queue_.addRateLimited(key);
    return;
  }
  queue_.forget(key);
  log::info("scheduler: bound {} to {}", key, node);
  recordEvent(*pod, "Normal", "Scheduled", "Successfully assigned " + key + " to " + node);
}

Status Scheduler::bind(const api::Pod& pod, const std::string& node) {
  json binding = {
      {"apiVersion", "v1"},
      {"kind", "Binding"},
      {"metadata", {{"name", pod.metadata.name}, {"namespace", pod.metadata.namespace_}}},
      {"target", {{"apiVersion", "v1"}, {"kind", "Node"}, {"name", node}}}};
  if (!pod.metadata.uid.empty()) binding["metadata"]["uid"] = pod.metadata.uid;
  return client_
      .createSubresource(*pods_resource_, pod.metadata.namespace_, pod.metadata.name, "binding",
                         binding)
      .status();
}

void Scheduler::recordEvent(const api::Pod& pod, const std::string& type, const std::string& reason,
                            const std::string& message) {
  event_writer_.submit(
      [this, target = client::podEventTarget(pod), record = client::EventRecord{type, reason, message}] {
        events_.record(target, record);
      });
}

void Scheduler::runFlusher(std::stop_token stop) {
  while (clock_.sleepFor(options_.unschedulable_flush, stop)) moveAllToActive("periodic retry");
}

ElectedScheduler::ElectedScheduler(client::Client& client, SchedulerOptions options,
                                   bool leader_elect, client::LeaderElectionConfig election)
    : client_(client), options_(std::move(options)) {
  if (!leader_elect) return;
  if (election.lease_name.empty()) election.lease_name = "kube-scheduler";
  if (election.identity.empty()) election.identity = client::defaultIdentity();
  election_ = std::make_unique<client::LeaderElectedRunner>(
      client, std::move(election), [this] { startTerm(); }, [this] { stopTerm(); });
}

Status ElectedScheduler::start() {
  if (election_) {
    election_->start();
    return Status::ok();
  }
  auto scheduler = std::make_unique<Scheduler>(client_, options_);
  RETURN_IF_ERROR(scheduler->start());
  std::lock_guard lock(mu_);
  scheduler_ = std::move(scheduler);
  return Status::ok();
}

void ElectedScheduler::stop() {
  if (election_) election_->stop();
  stopTerm();
}

void ElectedScheduler::startTerm() {
  auto scheduler = std::make_unique<Scheduler>(client_, options_);
  if (Status s = scheduler->start(); !s.isOk()) {
    log::error("scheduler: {}; not scheduling until the next term", s.toString());
  }
  std::lock_guard lock(mu_);
  scheduler_ = std::move(scheduler);
}

void ElectedScheduler::stopTerm() {
  std::unique_ptr<Scheduler> scheduler;
  {
    std::lock_guard lock(mu_);
    scheduler = std::move(scheduler_);
  }
  if (scheduler) scheduler->stop();
}

}  // namespace minik8s::scheduler
