// Pleg: the pod lifecycle event generator and the runtime cache it fills (Kubernetes'
// GenericPLEG and kubecontainer.Cache). relist() lists every sandbox and container (two CRI
// calls); for each pod whose listing differs from what the cache holds it asks CRI the
// status of the pod's ready sandboxes and of its containers, and caches the PodRuntime; it
// returns the pods whose listing changed since the previous relist, for the kubelet to
// sync. A sync reads the cache (get) instead of asking CRI, and after acting on a pod reads
// that pod from CRI at once (updatePod), so the next sync never sees less than its effects.
//
// Each entry carries the sequence number of the read that made it, taken before listing;
// a read that began earlier never replaces one that began later (a relist that listed
// before a sync's updatePod finished late). A pod CRI no longer lists leaves the cache at
// the first relist that began after its entry was read.
//
// Owned by the Kubelet; thread-safe (relist on the relist thread, get and updatePod on the
// workers).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/status.h"
#include "cri/runtime.h"
#include "kubelet/pod_actions.h"

namespace minik8s::kubelet {

class Pleg {
 public:
  explicit Pleg(cri::Runtime& runtime) : runtime_(runtime) {}

  // Lists the runtime and refreshes the cache; the uids whose sandboxes or containers
  // (ids and states) changed since the previous relist, including pods that appeared or
  // disappeared. An error (the runtime is down) changes nothing but healthy().
  Result<std::vector<std::string>> relist();
  // Reads one pod from CRI now (its sandboxes and containers, with their statuses) and
  // caches it.
  Result<std::shared_ptr<const PodRuntime>> updatePod(const std::string& uid);
  // The cached runtime of `uid`; empty (no sandbox, no container) when CRI had nothing of it.
  std::shared_ptr<const PodRuntime> get(const std::string& uid) const;
  // Whether the last relist succeeded (false before the first).
  bool healthy() const;

 private:
  struct Entry {
    std::shared_ptr<const PodRuntime> runtime;
    std::string fingerprint;  // of the listing the runtime was read from
    uint64_t seq = 0;
  };
  struct Listing {
    std::vector<cri::PodSandbox> sandboxes;
    std::vector<cri::Container> containers;
    std::string fingerprint() const;  // sorted ids and states
  };

  uint64_t nextSeq();
  // The pod's runtime from its listing plus the statuses of its sandboxes and containers.
  PodRuntime inspect(const std::string& uid, const Listing& listing);
  // REQUIRES: mu_ is held. Stores `entry` unless the cache has a later one.
  void putLocked(const std::string& uid, Entry entry);

  cri::Runtime& runtime_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> cache_;                // GUARDED_BY(mu_)
  std::map<std::string, std::string> relisted_;       // uid → fingerprint. GUARDED_BY(mu_)
  uint64_t seq_ = 0;                                  // GUARDED_BY(mu_)
  bool healthy_ = false;                              // GUARDED_BY(mu_)
};

}  // namespace minik8s::kubelet
