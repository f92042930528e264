// Restart back-off of crashing containers, per pod uid + container name: the first
// restart is immediate, then 1 s, doubling to 5 min; a container that ran for 10 min
// before it exited starts over. Owned by the kubelet; thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace minik8s::kubelet {

struct BackoffPolicy {
  std::chrono::nanoseconds initial = std::chrono::seconds(1);
  std::chrono::nanoseconds max = std::chrono::minutes(5);
  std::chrono::nanoseconds reset_after_running = std::chrono::minutes(10);
};

class RestartBackoff {
 public:
  explicit RestartBackoff(BackoffPolicy policy = {}) : policy_(policy) {}

  // Time left before the container that exited at `finished` (after running `ran`) may
  // restart, measured at `now`; nullopt when it may restart now. All times in ns since
  // the Unix epoch (CRI's clock).
  std::optional<std::chrono::nanoseconds> remaining(const std::string& key, int64_t finished_ns,
                                                    std::chrono::nanoseconds ran,
                                                    int64_t now_ns);
  // Records a restart: the next one waits twice as long (capped).
  void recordRestart(const std::string& key);
  void forgetPod(const std::string& uid_prefix);  // keys starting with "<uid>/"
  std::chrono::nanoseconds delayFor(const std::string& key) const;

 private:
  const BackoffPolicy policy_;
  mutable std::mutex mu_;
  std::map<std::string, std::chrono::nanoseconds> delay_;  // GUARDED_BY(mu_)
};

}  // namespace minik8s::kubelet
