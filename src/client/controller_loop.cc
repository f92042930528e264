#include "client/controller_loop.h"

#include <algorithm>

#include "common/log.h"

namespace minik8s::client {

ControllerLoop::ControllerLoop(std::string name, WorkQueue& queue, SyncFunc sync)
    : name_(std::move(name)), queue_(queue), sync_(std::move(sync)) {}

ControllerLoop::~ControllerLoop() {
  stop();
}

Status ControllerLoop::run(int workers, const std::vector<InformerBase*>& wait_for,
                           std::chrono::milliseconds sync_timeout) {
  for (InformerBase* informer : wait_for) {
    if (!informer->waitForSync(sync_timeout)) {
      return unavailable(name_ + ": caches did not sync within " +
                         std::to_string(sync_timeout.count()) + "ms");
    }
  }
  std::lock_guard lock(mu_);
  if (stopping_) return Status::ok();
  max_workers_ = static_cast<size_t>(std::max(workers, 1));
  addWorkerLocked();
  queue_.setOnReady([this] { maybeAddWorker(); });
  log::info("{}: running with up to {} worker(s)", name_, max_workers_);
  return Status::ok();
}

void ControllerLoop::addWorkerLocked() {
  workers_.emplace_back([this](std::stop_token stop) {
    while (processNextItem(stop)) {
    }
  });
  started_ = workers_.size();
  if (workers_.size() >= max_workers_) at_max_.store(true, std::memory_order_relaxed);
}

void ControllerLoop::maybeAddWorker() {
  // No lock on the common paths. A stale started_ (it only grows) errs towards the locked
  // check. A worker seen idle that takes another key first calls this itself after
  // counting itself busy (processNextItem), and then sees this key in the queue.
  if (at_max_.load(std::memory_order_relaxed)) return;
  if (busy_.load() < started_.load()) return;  // an idle worker takes the key
  if (queue_.len() == 0) return;
  std::lock_guard lock(mu_);
  if (stopping_ || workers_.size() >= max_workers_ || busy_.load() < workers_.size()) return;
  addWorkerLocked();
}

size_t ControllerLoop::workerCount() const {
  std::lock_guard lock(mu_);
  return workers_.size();
}

void ControllerLoop::stop() {
  queue_.setOnReady(nullptr);  // before anything goes: waits out a running maybeAddWorker
  queue_.shutDown();
  std::vector<std::jthread> workers;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    workers.swap(workers_);
  }
  for (auto& worker : workers) worker.request_stop();
  for (auto& worker : workers) {
    if (worker.joinable()) worker.join();
  }
}

bool ControllerLoop::processNextItem(std::stop_token stop) {
  auto key = queue_.get(stop);
  if (!key) return false;
  ++busy_;
  maybeAddWorker();
  Status s = sync_(*key);
  if (s.isOk()) {
    queue_.forget(*key);
  } else {
    log::warn("{}: syncing {}: {}; retrying", name_, *key, s.toString());
    queue_.addRateLimited(*key);
  }
  queue_.done(*key);
  --busy_;
  return true;
}

}  // namespace minik8s::client
