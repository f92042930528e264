// LeaderElector: one active instance among several, through a coordination.k8s.io/v1
// Lease (client-go's leaderelection with a LeaseLock). Two `minik8s server`s then run one
// controller manager and one scheduler between them; the other waits as a standby.
//
// The holder renews spec.renewTime every retry period. A candidate takes the lease when it
// is free (no holder) or expired: the record has not changed for leaseDurationSeconds as
// observed on the candidate's own clock (so clock skew between machines does not matter),
// with a compare-and-swap update. A leader that cannot renew within the renew deadline
// stops leading. On stop a leader releases the lease (empty holder), so a standby takes
// over at once instead of after the lease duration.
//
// Thread-safe; run() blocks the calling thread.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>

#include "client/client.h"
#include "common/clock.h"
#include "common/status.h"

namespace minik8s::client {

struct LeaderElectionConfig {
  std::string lease_namespace = "kube-system";
  std::string lease_name;  // "kube-controller-manager", "kube-scheduler"
  std::string identity;    // unique per candidate: "<hostname>_<random>"
  std::chrono::seconds lease_duration{15};
  std::chrono::seconds renew_deadline{10};
  std::chrono::seconds retry_period{2};
};

// A unique candidate identity: "<hostname>_<16 hex digits>".
std::string defaultIdentity();

// The pure part: what `identity` should write to take or keep the lease `current`
// (nullopt when the lease does not exist yet), or nullopt when it must wait because
// someone else holds it and `expired` is false.
std::optional<nlohmann::json> nextLeaseRecord(const std::optional<nlohmann::json>& current,
                                              const LeaderElectionConfig& config, bool expired,
                                              Clock::WallTime now);

class LeaderElector {
 public:
  LeaderElector(Client& client, LeaderElectionConfig config, Clock& clock = Clock::real());

  // Campaigns and leads until `stop`: calls on_started() when it becomes leader (from
  // this thread; it must not block), on_stopped() when it stops leading (lost the lease,
  // or stop), then campaigns again unless stopped. Releases the lease on stop.
  void run(std::stop_token stop, const std::function<void()>& on_started,
           const std::function<void()>& on_stopped);

  // One attempt to take or renew the lease: true when this candidate holds it now.
  bool tryAcquireOrRenew();
  // Gives the lease up if this candidate holds it.
  void release();
  bool isLeader() const { return leading_.load(); }

 private:
  const api::ResourceInfo& leases() const;

  Client& client_;
  const LeaderElectionConfig config_;
  Clock& clock_;
  std::atomic<bool> leading_{false};
  std::mutex mu_;
  std::string observed_holder_;  // GUARDED_BY(mu_): holderIdentity last seen
  std::string observed_record_;  // GUARDED_BY(mu_): holder and renewTime last seen
  Clock::Instant observed_at_;   // GUARDED_BY(mu_): when that record was first seen
};

// LeaderElectedRunner: runs a component only while this process holds the lease: a thread
// campaigns; on_started() starts the component when it leads, on_stopped() stops it when
// leadership ends (or at stop()). The scheduler and the controller manager use it.
class LeaderElectedRunner {
 public:
  LeaderElectedRunner(Client& client, LeaderElectionConfig config, std::function<void()> on_started,
                      std::function<void()> on_stopped, Clock& clock = Clock::real());
  ~LeaderElectedRunner() { stop(); }
  LeaderElectedRunner(const LeaderElectedRunner&) = delete;
  LeaderElectedRunner& operator=(const LeaderElectedRunner&) = delete;

  void start();
  // Stops campaigning; a leader stops its component and releases the lease.
  void stop();
  bool isLeader() const { return elector_.isLeader(); }

 private:
  LeaderElector elector_;
  const std::function<void()> on_started_;
  const std::function<void()> on_stopped_;
  std::jthread thread_;
};

}  // namespace minik8s::client
