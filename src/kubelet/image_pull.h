// Image pulls: what the kubelet does about a container's image before creating it, as
// Kubernetes' imagePullPolicy says; the registry credentials a pod's pull secrets give;
// and the back-off between failed pulls. Pure, apart from PullBackoff's map (thread-safe).
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "cri/types.h"

namespace minik8s::kubelet {

enum class ImageDecision {
  kUsePresent,  // IfNotPresent or Never, and the node has it
  kPull,        // Always; IfNotPresent without it
  kNeverPull,   // Never without it: ErrImageNeverPull
};
ImageDecision decideImage(const std::string& pull_policy, bool present);

// The registry host of an image reference as docker normalises it: "docker.io" for
// "nginx" or "library/nginx", "127.0.0.1:5000" for "127.0.0.1:5000/app:1", "localhost"
// for "localhost/app".
std::string registryHost(const std::string& image);

// Whether the node may pull from `host`: a loopback registry ("localhost", "127.0.0.1:5000",
// "[::1]:5000") or one its registry config names. minik8s nodes are offline by default:
// an image from any other registry is never looked up on the network.
bool registryAllowed(const std::string& host, const std::vector<std::string>& configured);

// The credentials the pod's pull secrets hold for `image`'s registry, in order. Each
// secret is the decoded content of `.dockerconfigjson` ({"auths": {host: {...}}}) or of
// the older `.dockercfg` ({host: {...}}); keys may carry a scheme and path
// ("https://index.docker.io/v1/"). Malformed secrets are skipped.
std::vector<cri::AuthConfig> credentialsFor(const std::string& image,
                                            const std::vector<std::string>& docker_configs);

// Kubernetes' image pull back-off: after a failed pull of an image for a pod, the next try
// waits 10 s, doubling to 5 min; a successful pull forgets it. Keyed by "<pod uid>/<image>".
class PullBackoff {
 public:
  struct Policy {
    std::chrono::nanoseconds initial = std::chrono::seconds(10);
    std::chrono::nanoseconds max = std::chrono::minutes(5);
  };
  explicit PullBackoff(Policy policy) : policy_(policy) {}
  PullBackoff() : PullBackoff(Policy{}) {}

  // How long until `key` may be pulled again (nullopt: now), with the last error.
  struct Wait {
    std::chrono::nanoseconds left;
    std::string last_error;
  };
  std::optional<Wait> waiting(const std::string& key, Clock::Instant now) const;
  void recordFailure(const std::string& key, Clock::Instant now, std::string error);
  void recordSuccess(const std::string& key);
  void forgetPod(const std::string& uid);  // keys starting with "<uid>/"

 private:
  struct Entry {
    std::chrono::nanoseconds delay{0};
    Clock::Instant retry_at;
    std::string last_error;
  };
  const Policy policy_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> entries_;  // GUARDED_BY(mu_)
};

}  // namespace minik8s::kubelet
