// WorkQueue: a rate-limited work queue of string keys with Kubernetes' semantics.
//
// - add(key) is deduplicated: a key waiting in the queue is queued once.
// - get() hands a key to one worker and marks it processing; while it is processing, an
//   add(key) only marks it dirty, and done(key) puts it back in the queue then.
// - addRateLimited(key) re-adds after a per-key exponential back-off
//   (base * 2^failures, capped); forget(key) resets that key's failure count.
// - addAfter(key, d) re-adds after d. Delays are measured on the injected Clock: with a
//   FakeClock, advance the clock and call tryGet() (or get(), which re-checks often).
//
// - setOnReady(f) calls f after add() or addAfter() made a key ready (outside the queue's
//   lock), so an owner can start a worker when every one is busy. Delayed keys become
//   ready inside get(); they call nothing.
//
// Thread-safe: any number of producers and workers.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <stop_token>
#include <string>

#include "common/clock.h"

namespace minik8s::client {

struct WorkQueueOptions {
  std::chrono::milliseconds base_delay{5};
  std::chrono::milliseconds max_delay{std::chrono::seconds(1000)};
  // How often a blocked get() re-reads the clock for delayed keys (matters for FakeClock).
  std::chrono::milliseconds poll_interval{20};
};

class WorkQueue {
 public:
  explicit WorkQueue(Clock& clock = Clock::real(), WorkQueueOptions options = {});

  void add(const std::string& key);
  void addAfter(const std::string& key, std::chrono::nanoseconds delay);
  // add after this key's back-off; each call doubles the next back-off.
  void addRateLimited(const std::string& key);
  // Clears the key's failure count (call after a successful sync).
  void forget(const std::string& key);
  int numRequeues(const std::string& key) const;
  // The back-off the next addRateLimited(key) would use (pure function of the count).
  std::chrono::nanoseconds nextBackoff(const std::string& key) const;

  // Blocks until a key is ready, the queue is shut down (nullopt) or stop is requested
  // (nullopt). The key is processing until done(key).
  std::optional<std::string> get(std::stop_token stop = {});
  // Non-blocking get: nullopt when nothing is ready now.
  std::optional<std::string> tryGet();
  void done(const std::string& key);

  // Replaces the ready listener (nullptr: none). Returns only once no call of the old
  // listener is running, so its owner may go away after setOnReady(nullptr).
  void setOnReady(std::function<void()> on_ready);

  // Keys ready now (not counting processing or delayed ones).
  size_t len() const;
  // Wakes every get() with nullopt; later adds are ignored.
  void shutDown();
  bool shuttingDown() const;

 private:
  // REQUIRES: mu_ held. True when the key became ready.
  bool addLocked(const std::string& key);
  void notifyReady();  // REQUIRES: mu_ not held
  void promoteDueLocked();
  std::optional<std::string> popLocked();

  Clock& clock_;
  const WorkQueueOptions options_;
  mutable std::mutex mu_;
  std::condition_variable_any cv_;
  std::deque<std::string> queue_;                       // GUARDED_BY(mu_)
  std::set<std::string> dirty_;                         // GUARDED_BY(mu_): needs processing
  std::set<std::string> processing_;                    // GUARDED_BY(mu_)
  std::multimap<Clock::Instant, std::string> waiting_;  // GUARDED_BY(mu_): delayed adds
  std::map<std::string, int> failures_;                 // GUARDED_BY(mu_)
  bool shutting_down_ = false;                          // GUARDED_BY(mu_)

  std::mutex on_ready_mu_;  // held while the listener runs; taken after no other lock
  std::function<void()> on_ready_;  // GUARDED_BY(on_ready_mu_)
};

}  // namespace minik8s::client
