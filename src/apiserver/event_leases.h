// EventLeases: etcd leases for Events, so that an Event disappears `ttl` after its last
// write, as with kube-apiserver's --event-ttl (default 1h). Without them, the Events of
// every pod that ever lived would stay in etcd for good.
//
// Events written within one reuse window share a lease (one etcd LeaseGrant per window,
// not per Event); the lease is granted for ttl + window so that no Event lives less than
// `ttl`. Thread-safe; owns nothing in etcd but the leases it grants, which etcd expires.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>

#include "common/clock.h"
#include "common/status.h"
#include "store/store.h"

namespace minik8s::apiserver {

// How long one lease is handed out: ttl/20, at least 1 s and at most 60 s.
std::chrono::seconds eventLeaseReuseWindow(std::chrono::seconds ttl);

class EventLeases {
 public:
  // ttl 0: Events never expire (leaseForWrite returns 0, "no lease").
  EventLeases(store::Store& store, Clock& clock, std::chrono::seconds ttl);

  // The lease to write an Event with now.
  Result<int64_t> leaseForWrite();

 private:
  store::Store& store_;
  Clock& clock_;
  const std::chrono::seconds ttl_;
  const std::chrono::seconds window_;

  std::mutex mu_;
  int64_t lease_ = 0;          // GUARDED_BY(mu_)
  Clock::Instant granted_at_;  // GUARDED_BY(mu_)
};

}  // namespace minik8s::apiserver
