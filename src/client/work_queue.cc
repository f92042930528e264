#include "client/work_queue.h"

#include <algorithm>

namespace minik8s::client {

WorkQueue::WorkQueue(Clock& clock, WorkQueueOptions options) : clock_(clock), options_(options) {}

bool WorkQueue::addLocked(const std::string& key) {
  if (shutting_down_) return false;
  if (!dirty_.insert(key).second) return false;  // already waiting for a worker
  if (processing_.count(key)) return false;      // re-queued by done()
  queue_.push_back(key);
  cv_.notify_one();
  return true;
}

void WorkQueue::notifyReady() {
  std::lock_guard lock(on_ready_mu_);
  if (on_ready_) on_ready_();
}

void WorkQueue::setOnReady(std::function<void()> on_ready) {
  std::lock_guard lock(on_ready_mu_);
  on_ready_ = std::move(on_ready);
}

void WorkQueue::add(const std::string& key) {
  bool ready;
  {
    std::lock_guard lock(mu_);
    ready = addLocked(key);
  }
  if (ready) notifyReady();
}

void WorkQueue::addAfter(const std::string& key, std::chrono::nanoseconds delay) {
  if (delay <= std::chrono::nanoseconds(0)) {
    add(key);
    return;
  }
  std::lock_guard lock(mu_);
  if (shutting_down_) return;
  waiting_.emplace(clock_.monotonic() + delay, key);
  cv_.notify_all();
}

std::chrono::nanoseconds WorkQueue::nextBackoff(const std::string& key) const {
  std::lock_guard lock(mu_);
  auto it = failures_.find(key);
  int n = it == failures_.end() ? 0 : it->second;
  std::chrono::nanoseconds delay = options_.base_delay;
  for (int i = 0; i < n && delay < options_.max_delay; ++i) delay *= 2;
  return std::min<std::chrono::nanoseconds>(delay, options_.max_delay);
}

void WorkQueue::addRateLimited(const std::string& key) {
  std::chrono::nanoseconds delay = nextBackoff(key);
  {
    std::lock_guard lock(mu_);
    ++failures_[key];
  }
  addAfter(key, delay);
}

void WorkQueue::forget(const std::string& key) {
  std::lock_guard lock(mu_);
  failures_.erase(key);
}

int WorkQueue::numRequeues(const std::string& key) const {
  std::lock_guard lock(mu_);
  auto it = failures_.find(key);
  return it == failures_.end() ? 0 : it->second;
}

void WorkQueue::promoteDueLocked() {
  Clock::Instant now = clock_.monotonic();
  while (!waiting_.empty() && waiting_.begin()->first <= now) {
    std::string key = waiting_.begin()->second;
    waiting_.erase(waiting_.begin());
    addLocked(key);
  }
}

std::optional<std::string> WorkQueue::popLocked() {
  if (queue_.empty()) return std::nullopt;
  std::string key = std::move(queue_.front());
  queue_.pop_front();
  processing_.insert(key);
  dirty_.erase(key);
  return key;
}

std::optional<std::string> WorkQueue::tryGet() {
  std::lock_guard lock(mu_);
  if (shutting_down_) return std::nullopt;
  promoteDueLocked();
  return popLocked();
}

std::optional<std::string> WorkQueue::get(std::stop_token stop) {
  std::unique_lock lock(mu_);
  while (true) {
    if (shutting_down_ || stop.stop_requested()) return std::nullopt;
    promoteDueLocked();
    if (auto key = popLocked()) return key;
    if (waiting_.empty()) {
      cv_.wait(lock, stop, [&] { return shutting_down_ || !queue_.empty() || !waiting_.empty(); });
    } else {
      cv_.wait_for(lock, stop, options_.poll_interval,
                   [&] { return shutting_down_ || !queue_.empty(); });
    }
  }
}

void WorkQueue::done(const std::string& key) {
  std::lock_guard lock(mu_);
  processing_.erase(key);
  if (dirty_.count(key) && !shutting_down_) {
    queue_.push_back(key);
    cv_.notify_one();
  }
}

size_t WorkQueue::len() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

void WorkQueue::shutDown() {
  std::lock_guard lock(mu_);
  shutting_down_ = true;
  cv_.notify_all();
}

bool WorkQueue::shuttingDown() const {
  std::lock_guard lock(mu_);
  return shutting_down_;
}

}  // namespace minik8s::client
