#include "controller/expectations.h"

namespace minik8s::controller {

bool Expectations::satisfied(const std::string& controller_key) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(controller_key);
  if (it == entries_.end()) return true;
  const Entry& e = it->second;
  if (e.adds <= 0 && e.deletes.empty()) return true;
  return clock_.monotonic() - e.set_at > ttl_;
}

void Expectations::expectCreations(const std::string& controller_key, int count) {
  std::lock_guard lock(mu_);
  entries_[controller_key] = {count, {}, clock_.monotonic()};
}

void Expectations::expectDeletions(const std::string& controller_key,
                                   const std::vector<std::string>& pod_keys) {
  std::lock_guard lock(mu_);
  entries_[controller_key] = {0, {pod_keys.begin(), pod_keys.end()}, clock_.monotonic()};
}

void Expectations::creationObserved(const std::string& controller_key) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(controller_key);
  if (it != entries_.end() && it->second.adds > 0) --it->second.adds;
}

void Expectations::deletionObserved(const std::string& controller_key, const std::string& pod_key) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(controller_key);
  if (it != entries_.end()) it->second.deletes.erase(pod_key);
}

void Expectations::forget(const std::string& controller_key) {
  std::lock_guard lock(mu_);
  entries_.erase(controller_key);
}

}  // namespace minik8s::controller
