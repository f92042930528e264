// Proxier: the proxy's syncer. Watches Services and EndpointSlices (through shared
// informers, or caches a test fills), renders the whole ruleset with renderIptables and
// applies it in one `iptables-restore --noflush` transaction. A full sync at start and every
// `sync_period`; changes in between are coalesced and run at most once per
// `min_sync_period` (kube-proxy's BoundedFrequencyRunner), and do nothing (not even
// iptables-save) when the services and endpoints are those of the last applied sync.
// Nothing is ever flushed before the new rules are in: each restore replaces our chains
// atomically, so a restart keeps traffic flowing. After a sync, conntrack entries of UDP
// service traffic that lost its endpoint are deleted.
// After each successful sync it observes the network programming latency of the EndpointSlice
// changes the sync applied (now minus each one's last-change-trigger-time, as kube-proxy) in
// metrics(); a failed sync keeps them for the next one.
// Owns one thread (start/stop); every public method is thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "api/types_core.h"
#include "api/types_discovery.h"
#include "client/informer.h"
#include "common/clock.h"
#include "common/status.h"
#include "proxy/iptables.h"
#include "proxy/iptables_render.h"
#include "proxy/metrics.h"
#include "proxy/service_ports.h"

namespace minik8s::proxy {

struct ProxierOptions {
  RenderOptions render;
  std::chrono::nanoseconds sync_period = std::chrono::seconds(30);
  std::chrono::nanoseconds min_sync_period = std::chrono::seconds(1);
};

// How long the loop waits before the next sync (zero: now). Never synced: now. A change
// pending: `min_period` after the last sync. Otherwise `period` after it (a full sync).
std::chrono::nanoseconds nextSyncDelay(Clock::Instant now, std::optional<Clock::Instant> last_sync,
                                       bool dirty, std::chrono::nanoseconds min_period,
                                       std::chrono::nanoseconds period);

// `conntrack -D` argument lists for UDP flows that a change from `before` to `after` left
// pointing at an endpoint no longer used, at a service IP that is gone, or at a service port
// that had no endpoint (its flows were rejected) and now has one. TCP needs none: a
// connection to a removed endpoint fails by itself.
std::vector<std::vector<std::string>> staleUdpConntrack(const std::vector<ServicePortInfo>& before,
                                                        const std::vector<ServicePortInfo>& after,
                                                        const std::string& node_name);

// `conntrack -D` argument lists for every service IP and NodePort in our rules, of
// `protocol` ("tcp", "udp", ...; "": every protocol).
std::vector<std::vector<std::string>> conntrackOfRules(const IptablesState& state,
                                                       const std::string& protocol);

class Proxier {
 public:
  using ServiceCache = client::ObjectCache<api::Service>;
  using SliceCache = client::ObjectCache<api::EndpointSlice>;

  Proxier(const ServiceCache& services, const SliceCache& slices, Iptables& iptables,
          ProxierOptions options, Clock& clock = Clock::real());
  // Reads the factory's Services and discovery.k8s.io/v1 EndpointSlices informers (every
  // namespace) and syncs on their changes; start() waits for them to sync first.
  Proxier(client::SharedInformerFactory& informers, Iptables& iptables, ProxierOptions options,
          Clock& clock = Clock::real());
  ~Proxier();
  Proxier(const Proxier&) = delete;
  Proxier& operator=(const Proxier&) = delete;

  // Marks state changed: the loop syncs as soon as min_sync_period allows.
  void requestSync();
  // An EndpointSlice was added (`old_slice` null) or updated: remembers its trigger time
  // (sliceTriggerTime; not when an update left the annotation as it was) for the latency
  // metric, then requestSync(). The informer's handlers call it; tests may too.
  void onSliceChanged(const api::EndpointSlice* old_slice, const api::EndpointSlice& slice);
  // One sync now, on the caller's thread. `full`: restore even when nothing changed.
  Status sync(bool full);

  // Starts the loop (route_localnet first when localhost NodePorts are on).
  void start();
  void stop();

  int64_t restores() const;      // syncs that applied a transaction (and their conntrack work)
  int64_t syncAttempts() const;  // sync() calls, including skipped and failed ones
  const ProxyMetrics& metrics() const { return metrics_; }

 private:
  void run(std::stop_token stop);
  // The sync itself. REQUIRES: sync_mu_ is held.
  Status applyRules(bool full);

  const ServiceCache& services_;
  const SliceCache& slices_;
  Iptables& iptables_;
  const ProxierOptions options_;
  Clock& clock_;
  const Clock::WallTime start_time_;  // trigger times before it are not observed
  std::vector<client::InformerBase*> informers_;
  ProxyMetrics metrics_;

  std::mutex sync_mu_;                       // one sync at a time
  std::vector<ServicePortInfo> last_ports_;  // GUARDED_BY(sync_mu_)
  ChainContents last_chains_;                // GUARDED_BY(sync_mu_)
  bool synced_once_ = false;                 // GUARDED_BY(sync_mu_)

  mutable std::mutex mu_;
  bool dirty_ = true;                        // GUARDED_BY(mu_)
  std::optional<Clock::Instant> last_sync_;  // GUARDED_BY(mu_)
  std::stop_source wake_;                    // GUARDED_BY(mu_)
  int64_t restores_ = 0;                     // GUARDED_BY(mu_)
  int64_t attempts_ = 0;                     // GUARDED_BY(mu_)
  // Trigger times of slice changes not yet applied, with their slice's "namespace/name".
  std::vector<std::pair<std::string, Clock::WallTime>> pending_triggers_;  // GUARDED_BY(mu_)
  std::jthread thread_;
};

// `minik8s proxy --cleanup` and `minik8s down`: removes every rule and chain the proxy
// made (one restore) and the conntrack entries of the services those rules served.
Status cleanupIptables(Iptables& iptables);

}  // namespace minik8s::proxy
