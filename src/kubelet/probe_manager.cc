#include "kubelet/probe_manager.h"

#include <algorithm>
#include <optional>
#include <set>
#include <utility>

namespace minik8s::kubelet {
namespace {

// The scheduler re-reads the clock at least this often, so a clock that jumps (or a
// FakeClock advanced without wake()) is noticed.
constexpr std::chrono::milliseconds kMaxSchedulerSleep{1000};

bool isStartupGated(ProbeType type) {
  return type != ProbeType::kStartup;
}

std::vector<const api::Container*> probedContainers(const api::Pod& pod) {
  std::vector<const api::Container*> out;
  for (const api::Container& c : pod.spec.init_containers) {
    if (c.restart_policy == "Always") out.push_back(&c);  // sidecars are probed too
  }
  for (const api::Container& c : pod.spec.containers) out.push_back(&c);
  return out;
}

}  // namespace

std::string_view probeTypeName(ProbeType type) {
  switch (type) {
    case ProbeType::kLiveness: return "Liveness";
    case ProbeType::kReadiness: return "Readiness";
    case ProbeType::kStartup: return "Startup";
  }
  return "Unknown";
}

ProbeStatus initialProbeStatus(ProbeType type) {
  ProbeStatus status;
  switch (type) {
    case ProbeType::kLiveness: status.result = ProbeResult::kSuccess; break;
    case ProbeType::kReadiness: status.result = ProbeResult::kFailure; break;
    case ProbeType::kStartup: status.result = ProbeResult::kUnknown; break;
  }
  return status;
}

ProbeStatus nextProbeStatus(ProbeType type, const ProbeStatus& status, ProbeResult answer,
                            int32_t success_threshold, int32_t failure_threshold) {
  ProbeStatus next = status;
  if (answer == ProbeResult::kUnknown || status.on_hold || status.done) return next;
  if (next.last == answer) {
    ++next.run;
  } else {
    next.last = answer;
    next.run = 1;
  }
  int32_t threshold = answer == ProbeResult::kSuccess ? std::max(success_threshold, 1)
                                                      : std::max(failure_threshold, 1);
  if (next.run < threshold) return next;  // keep the settled result
  next.result = answer;
  if (answer == ProbeResult::kFailure && type != ProbeType::kReadiness) {
    next.on_hold = true;  // the kubelet restarts the container, which brings new workers
    next.run = 0;
  }
  if (answer == ProbeResult::kSuccess && type == ProbeType::kStartup) next.done = true;
  return next;
}

ContainerProbeState containerProbeState(const ProbeStatus* startup, const ProbeStatus* readiness,
                                        const ProbeStatus* liveness) {
  ContainerProbeState state;
  state.started = startup == nullptr || startup->result == ProbeResult::kSuccess;
  state.ready =
      state.started && (readiness == nullptr || readiness->result == ProbeResult::kSuccess);
  state.liveness_failed = (startup != nullptr && startup->result == ProbeResult::kFailure) ||
                          (liveness != nullptr && liveness->result == ProbeResult::kFailure);
  return state;
}

// ---- ProbeManager ----

ProbeManager::ProbeManager(cri::Runtime& runtime, Clock& clock,
                           std::function<void(const std::string&)> on_change)
    : ProbeManager(runtime, clock, std::move(on_change), Options{}) {}

ProbeManager::ProbeManager(cri::Runtime& runtime, Clock& clock,
                           std::function<void(const std::string&)> on_change, Options options)
    : runtime_(runtime),
      clock_(clock),
      on_change_(std::move(on_change)),
      runner_(std::move(options.runner)) {
  if (!runner_) {
    runner_ = [this](const ProbeTarget& t) {
      return runProbe(runtime_, t.probe, t.container, t.pod_ip, t.container_id);
    };
  }
  if (options.threads > 0) {
    threads_.emplace_back([this] { schedulerLoop(); });
    for (int i = 0; i < options.threads; ++i) threads_.emplace_back([this] { poolLoop(); });
  }
}

ProbeManager::~ProbeManager() {
  stop();
}

void ProbeManager::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    queue_.clear();
  }
  scheduler_cv_.notify_all();
  pool_cv_.notify_all();
  for (std::jthread& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

void ProbeManager::syncPod(const api::Pod& pod, const std::string& pod_ip,
                           const std::vector<RunningContainer>& running) {
  const std::string& uid = pod.metadata.uid;
  Clock::WallTime now = clock_.now();
  {
    std::lock_guard lock(mu_);
    std::map<std::string, std::string>& ids = pods_[uid];
    std::set<std::string> seen;
    for (const api::Container* spec : probedContainers(pod)) {
      auto rc = std::find_if(running.begin(), running.end(),
                             [&](const RunningContainer& r) { return r.name == spec->name; });
      if (rc == running.end() || rc->id.empty()) continue;
      seen.insert(spec->name);
      auto known = ids.find(spec->name);
      if (known != ids.end() && known->second == rc->id && entries_.count(rc->id) > 0) {
        entries_[rc->id]->pod_ip = pod_ip;
        continue;
      }
      if (known != ids.end()) removeEntryLocked(known->second);  // restarted: fresh state
      auto entry = std::make_shared<Entry>();
      entry->pod_uid = uid;
      entry->id = rc->id;
      entry->container = std::make_shared<const api::Container>(*spec);
      entry->pod_ip = pod_ip;
      auto add = [&](ProbeType type, const std::optional<api::Probe>& probe) {
        if (!probe) return;
        Worker w{type, probeWithDefaults(*probe), initialProbeStatus(type)};
        w.first_due =
            std::max(rc->started_at + std::chrono::seconds(w.probe.initial_delay_seconds), now);
        w.due = w.first_due;
        entry->workers.push_back(std::move(w));
      };
      add(ProbeType::kStartup, spec->startup_probe);
      add(ProbeType::kReadiness, spec->readiness_probe);
      add(ProbeType::kLiveness, spec->liveness_probe);
      entries_[rc->id] = std::move(entry);
      ids[spec->name] = rc->id;
    }
    for (auto it = ids.begin(); it != ids.end();) {
      if (seen.count(it->first) > 0) {
        ++it;
        continue;
      }
      removeEntryLocked(it->second);
      it = ids.erase(it);
    }
    if (ids.empty()) pods_.erase(uid);
    woken_ = true;
  }
  scheduler_cv_.notify_all();
}

void ProbeManager::removePod(const std::string& pod_uid) {
  {
    std::lock_guard lock(mu_);
    auto pod = pods_.find(pod_uid);
    if (pod == pods_.end()) return;
    for (const auto& [name, id] : pod->second) removeEntryLocked(id);
    pods_.erase(pod);
    woken_ = true;
  }
  scheduler_cv_.notify_all();
}

void ProbeManager::removeEntryLocked(const std::string& container_id) {
  entries_.erase(container_id);
  std::erase_if(queue_, [&](const Task& t) { return t.entry->id == container_id; });
}

ContainerProbeState ProbeManager::state(const std::string& container_id) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(container_id);
  if (it == entries_.end()) return {false, false, false, "unknown container"};
  return stateOf(*it->second);
}

ContainerProbeState ProbeManager::stateOf(const Entry& entry) {
  const ProbeStatus* by_type[3] = {nullptr, nullptr, nullptr};
  std::string messages[3];
  for (const Worker& w : entry.workers) {
    by_type[static_cast<int>(w.type)] = &w.status;
    messages[static_cast<int>(w.type)] = w.message;
  }
  ContainerProbeState state = containerProbeState(by_type[static_cast<int>(ProbeType::kStartup)],
                                                  by_type[static_cast<int>(ProbeType::kReadiness)],
                                                  by_type[static_cast<int>(ProbeType::kLiveness)]);
  for (ProbeType type : {ProbeType::kStartup, ProbeType::kLiveness, ProbeType::kReadiness}) {
    if (!messages[static_cast<int>(type)].empty()) {
      state.message = messages[static_cast<int>(type)];
      break;
    }
  }
  return state;
}

std::vector<ProbeManager::Task> ProbeManager::takeDueLocked(Clock::WallTime now) {
  std::vector<Task> due;
  for (auto& [id, entry] : entries_) {
    bool started = stateOf(*entry).started;
    for (size_t i = 0; i < entry->workers.size(); ++i) {
      Worker& w = entry->workers[i];
      if (w.in_flight || w.status.on_hold || w.status.done || w.due > now) continue;
      if (isStartupGated(w.type) && !started) {  // a skipped tick
        while (w.due <= now) w.due += std::chrono::seconds(w.probe.period_seconds);
        continue;
      }
      w.in_flight = true;
      due.push_back(Task{entry, i, w.type, w.probe, entry->pod_ip});
    }
  }
  return due;
}

Clock::WallTime ProbeManager::nextDueLocked() const {
  Clock::WallTime next = Clock::WallTime::max();
  for (const auto& [id, entry] : entries_) {
    for (const Worker& w : entry->workers) {
      if (w.in_flight || w.status.on_hold || w.status.done) continue;
      next = std::min(next, w.due);
    }
  }
  return next;
}

bool ProbeManager::isCurrentLocked(const Task& task) const {
  auto it = entries_.find(task.entry->id);
  return it != entries_.end() && it->second == task.entry;
}

ProbeOutcome ProbeManager::runTask(const Task& task) {
  return runner_(
      ProbeTarget{task.type, task.probe, *task.entry->container, task.pod_ip, task.entry->id});
}

std::string ProbeManager::apply(const Task& task, const ProbeOutcome& outcome) {
  Clock::WallTime now = clock_.now();
  std::string notify;
  {
    std::lock_guard lock(mu_);
    if (!isCurrentLocked(task)) return "";  // removed or restarted meanwhile
    Entry& entry = *task.entry;
    ContainerProbeState before = stateOf(entry);
    Worker& w = entry.workers[task.worker];
    w.in_flight = false;
    w.status = nextProbeStatus(w.type, w.status, outcome.result, w.probe.success_threshold,
                               w.probe.failure_threshold);
    if (outcome.result == ProbeResult::kSuccess) {
      w.message.clear();
    } else {
      w.message =
          std::string(probeTypeName(w.type)) +
          (outcome.result == ProbeResult::kFailure ? " probe failed: " : " probe errored: ") +
          outcome.message;
    }
    // The next tick of this worker's period; ticks missed while the probe ran are dropped.
    std::chrono::seconds period(w.probe.period_seconds);
    do {
      w.due += period;
    } while (w.due <= now);
    ContainerProbeState after = stateOf(entry);
    if (!before.started && after.started) {
      // Like Kubernetes, a readiness probe that has not answered yet runs at once.
      for (Worker& r : entry.workers) {
        if (r.type == ProbeType::kReadiness && r.status.run == 0 &&
            r.status.last == ProbeResult::kUnknown) {
          r.due = std::min(r.due, std::max(r.first_due, now));
        }
      }
    }
    if (before.started != after.started || before.ready != after.ready ||
        before.liveness_failed != after.liveness_failed) {
      notify = entry.pod_uid;
    }
    woken_ = true;
  }
  scheduler_cv_.notify_all();
  return notify;
}

int ProbeManager::runDueProbes() {
  int ran = 0;
  for (;;) {
    std::vector<Task> tasks;
    {
      std::lock_guard lock(mu_);
      tasks = takeDueLocked(clock_.now());
    }
    if (tasks.empty()) return ran;
    for (const Task& task : tasks) {
      ProbeOutcome outcome = runTask(task);
      ++ran;
      std::string pod_uid = apply(task, outcome);
      if (!pod_uid.empty() && on_change_) on_change_(pod_uid);
    }
  }
}

void ProbeManager::wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  scheduler_cv_.notify_all();
}

void ProbeManager::schedulerLoop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    std::vector<Task> tasks = takeDueLocked(clock_.now());
    if (!tasks.empty()) {
      for (Task& t : tasks) queue_.push_back(std::move(t));
      pool_cv_.notify_all();
    }
    auto wait =
        std::chrono::duration_cast<std::chrono::milliseconds>(nextDueLocked() - clock_.now());
    wait = std::clamp(wait, std::chrono::milliseconds(0), kMaxSchedulerSleep);
    if (wait.count() == 0) wait = std::chrono::milliseconds(1);
    woken_ = false;
    scheduler_cv_.wait_for(lock, wait, [this] { return stopping_ || woken_; });
  }
}

void ProbeManager::poolLoop() {
  for (;;) {
    std::optional<Task> task;
    {
      std::unique_lock lock(mu_);
      pool_cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    ProbeOutcome outcome = runTask(*task);
    std::string pod_uid = apply(*task, outcome);
    if (!pod_uid.empty() && on_change_) on_change_(pod_uid);
  }
}

}  // namespace minik8s::kubelet
