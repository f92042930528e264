#include "apiserver/event_leases.h"

#include <algorithm>

namespace minik8s::apiserver {

std::chrono::seconds eventLeaseReuseWindow(std::chrono::seconds ttl) {
  return std::clamp(ttl / 20, std::chrono::seconds(1), std::chrono::seconds(60));
}

EventLeases::EventLeases(store::Store& store, Clock& clock, std::chrono::seconds ttl)
    : store_(store), clock_(clock), ttl_(ttl), window_(eventLeaseReuseWindow(ttl)) {}

Result<int64_t> EventLeases::leaseForWrite() {
  if (ttl_.count() <= 0) return int64_t{0};
  std::lock_guard lock(mu_);
  auto now = clock_.monotonic();
  if (lease_ != 0 && now - granted_at_ < window_) return lease_;
  ASSIGN_OR_RETURN(int64_t lease, store_.grantLease((ttl_ + window_).count()));
  lease_ = lease;
  granted_at_ = now;
  return lease;
}

}  // namespace minik8s::apiserver
