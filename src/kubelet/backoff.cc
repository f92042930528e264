#include "kubelet/backoff.h"

#include <algorithm>

namespace minik8s::kubelet {

std::optional<std::chrono::nanoseconds> RestartBackoff::remaining(const std::string& key,
                                                                  int64_t finished_ns,
                                                                  std::chrono::nanoseconds ran,
                                                                  int64_t now_ns) {
  std::lock_guard lock(mu_);
  auto it = delay_.find(key);
  if (it == delay_.end()) return std::nullopt;
  if (ran >= policy_.reset_after_running) {
    delay_.erase(it);
    return std::nullopt;
  }
  int64_t due = finished_ns + it->second.count();
  if (now_ns >= due) return std::nullopt;
  return std::chrono::nanoseconds(due - now_ns);
}

void RestartBackoff::recordRestart(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = delay_.find(key);
  if (it == delay_.end()) {
    delay_[key] = policy_.initial;
  } else {
    it->second = std::min(it->second * 2, policy_.max);
  }
}

void RestartBackoff::forgetPod(const std::string& uid) {
  std::lock_guard lock(mu_);
  std::string prefix = uid + "/";
  for (auto it = delay_.lower_bound(prefix); it != delay_.end() && it->first.rfind(prefix, 0) == 0;) {
    it = delay_.erase(it);
  }
}

std::chrono::nanoseconds RestartBackoff::delayFor(const std::string& key) const {
  std::lock_guard lock(mu_);
  auto it = delay_.find(key);
  return it == delay_.end() ? std::chrono::nanoseconds(0) : it->second;
}

}  // namespace minik8s::kubelet
