// Expectations: what a controller has asked the apiserver for and not yet seen in its
// informer (Kubernetes' UIDTrackingControllerExpectations). A controller that created 3
// pods must not create them again because its cache still shows none: sync(key) acts only
// when expectations are satisfied (every expected create and delete observed), or when
// they are older than the TTL (5 minutes, a lost event must not stall a controller).
// Deletions are tracked by pod key, so seeing a deletion twice (the deletionTimestamp
// update, then the delete) counts once.
// Thread-safe: event handlers observe while workers expect.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "common/clock.h"

namespace minik8s::controller {

class Expectations {
 public:
  explicit Expectations(Clock& clock = Clock::real(),
                        std::chrono::seconds ttl = std::chrono::minutes(5))
      : clock_(clock), ttl_(ttl) {}

  // True when `controller_key` may act: nothing expected, all observed, or expired.
  bool satisfied(const std::string& controller_key) const;

  // Replaces the expectations of `controller_key`.
  void expectCreations(const std::string& controller_key, int count);
  void expectDeletions(const std::string& controller_key, const std::vector<std::string>& pod_keys);

  void creationObserved(const std::string& controller_key);
  void deletionObserved(const std::string& controller_key, const std::string& pod_key);
  // For a create that failed: it will never be observed.
  void creationFailed(const std::string& controller_key) { creationObserved(controller_key); }

  // The controller is gone.
  void forget(const std::string& controller_key);

 private:
  struct Entry {
    int adds = 0;
    std::set<std::string> deletes;
    Clock::Instant set_at;
  };

  Clock& clock_;
  const std::chrono::seconds ttl_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> entries_;  // GUARDED_BY(mu_)
};

}  // namespace minik8s::controller
