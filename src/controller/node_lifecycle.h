// NodeLifecycleController: notices nodes whose kubelet went silent and keeps the node
// taints that follow from a node's conditions (Kubernetes' node lifecycle controller with
// taint-based eviction; the evictions themselves are TaintEvictionController's).
//
// Every --node-monitor-period it looks at each Node (shared Node informer) and its Lease
// in kube-node-lease. A node is heard from when its Ready condition's lastHeartbeatTime or
// its Lease's renewTime changes; the controller times that with its own clock, so clock
// skew between machines does not matter. A node not heard from for
// --node-monitor-grace-period (--node-startup-grace-period if it never posted a Ready
// condition) gets Ready, MemoryPressure, DiskPressure and PIDPressure set to Unknown
// ("Kubelet stopped posting node status."), and its pods get Ready=False so that
// endpoints drop them. Then the node's taints are reconciled with taintsFor():
// not-ready / unreachable (NoSchedule and NoExecute), the pressure taints, unschedulable.
// A node that comes back loses them. Like Kubernetes, when every node is not Ready (full
// disruption: more likely the control plane lost the network than every node died) or a
// large share of at least three is (partial disruption), no NoExecute taint is added and
// those present are removed, so nothing is evicted.
//
// Not yet: zones (all nodes are one zone) and --node-eviction-rate (NoExecute taints are
// added without a rate limit).
// Thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "api/types_apps.h"
#include "api/types_core.h"
#include "client/client.h"
#include "client/informer.h"
#include "common/clock.h"

namespace minik8s::controller {

struct NodeLifecycleOptions {
  std::chrono::milliseconds monitor_period{std::chrono::seconds(5)};  // --node-monitor-period
  std::chrono::milliseconds grace_period{std::chrono::seconds(50)};   // --node-monitor-grace-period
  std::chrono::milliseconds startup_grace_period{std::chrono::seconds(60)};  // --node-startup-grace-period
  double unhealthy_zone_threshold = 0.55;  // --unhealthy-zone-threshold
};

// The taints the control plane manages, as a node's conditions and spec ask for them
// (NoExecute ones only when `evict`; none for Ready while the node never posted it).
// timeAdded is left empty.
std::vector<api::Taint> taintsFor(const api::Node& node, bool evict);
// The node's taints with the managed ones replaced by `wanted` (taints already present
// keep their timeAdded; new NoExecute ones get `now`); nullopt when nothing changes.
std::optional<std::vector<api::Taint>> reconcileTaints(const std::vector<api::Taint>& current,
                                                       const std::vector<api::Taint>& wanted,
                                                       const std::string& now);
// The conditions of a node the kubelet stopped reporting: Ready and the pressure
// conditions become Unknown. nullopt when they already are.
std::optional<std::vector<api::Condition>> markUnknown(const std::vector<api::Condition>& conditions,
                                                       const std::string& now);
// Whether NoExecute taints may be added: false in full or partial disruption.
bool evictionsAllowed(int ready_nodes, int not_ready_nodes, double unhealthy_zone_threshold);

class NodeLifecycleController {
 public:
  NodeLifecycleController(client::Client& client, client::SharedInformerFactory& informers,
                          NodeLifecycleOptions options = {}, Clock& clock = Clock::real());
  // For tests: prefilled caches, no handlers; call monitorNodeHealth() directly.
  NodeLifecycleController(client::Client& client, const client::ObjectCache<api::Node>& nodes,
                          const client::ObjectCache<api::Lease>& leases,
                          const client::ObjectCache<api::Pod>& pods,
                          NodeLifecycleOptions options = {}, Clock& clock = Clock::real());
  ~NodeLifecycleController();
  NodeLifecycleController(const NodeLifecycleController&) = delete;
  NodeLifecycleController& operator=(const NodeLifecycleController&) = delete;

  Status run(std::chrono::milliseconds sync_timeout = std::chrono::seconds(30));
  void stop();

  // One monitoring pass over every node; the first error is returned after the pass.
  Status monitorNodeHealth();

 private:
  struct Health {
    Clock::Instant probe;  // when this controller last heard from the node
    std::string heartbeat;    // Ready's lastHeartbeatTime then
    std::string renew;        // the Lease's renewTime then
    bool ever_ready = false;  // it posted a Ready condition
  };

  Status markPodsNotReady(const std::string& node);

  client::Client& client_;
  const client::ObjectCache<api::Node>& nodes_;
  const client::ObjectCache<api::Lease>& leases_;
  const client::ObjectCache<api::Pod>& pods_;
  NodeLifecycleOptions options_;
  Clock& clock_;
  std::vector<client::InformerBase*> informers_;
  std::mutex mu_;
  std::map<std::string, Health> health_;  // by node name; guarded by mu_
  std::jthread monitor_;
};

}  // namespace minik8s::controller
