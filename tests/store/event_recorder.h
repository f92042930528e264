// EventRecorder: collects what a Store watch delivers, for tests (header-only; include as
// "store/event_recorder.h").
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <vector>

#include "store/store.h"

namespace minik8s::store::testing {

// Collects what a watch delivers; thread-safe; waits with a deadline.
class EventRecorder {
 public:
  WatchCallback onEvents() {
    return [this](const std::vector<WatchEvent>& batch) {
      std::lock_guard lock(mu_);
      events_.insert(events_.end(), batch.begin(), batch.end());
      cv_.notify_all();
    };
  }
  WatchErrorCallback onError() {
    return [this](const Status& st) {
      std::lock_guard lock(mu_);
      errors_.push_back(st);
      cv_.notify_all();
    };
  }
  bool waitForEvents(size_t n,
                     std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return events_.size() >= n; });
  }
  std::optional<Status> waitForError(
      std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, timeout, [&] { return !errors_.empty(); })) return std::nullopt;
    return errors_.front();
  }
  std::vector<WatchEvent> events() const {
    std::lock_guard lock(mu_);
    return events_;
  }
  size_t errorCount() const {
    std::lock_guard lock(mu_);
    return errors_.size();
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<WatchEvent> events_;
  std::vector<Status> errors_;
};

}  // namespace minik8s::store::testing
