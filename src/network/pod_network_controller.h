// PodNetworkController: runs the cross-node pod network on one node (flannel's daemon). A
// Node informer queues one key on every Node change, and a resync re-queues it
// periodically; one worker (the only user of the reconciler, whose netlink socket belongs to
// the node's network namespace) then
//   1. ensures the masquerade and forward rules (optional hook, pod_masquerade.h),
//   2. reconciles the overlay for this node and every Node in the cache
//      (OverlayReconciler: peers added, changed and removed),
//   3. publishes the VTEP MAC on its own Node as kVtepMacAnnotation with a merge patch, only
//      when the Node says otherwise (host-gw: removes it).
// A failure is logged and the key re-queued with per-key back-off (ControllerLoop). On stop
// the routes and the device stay, as flannel's do: pods keep talking across an agent
// restart. teardownPodNetwork() is what `minik8s down` calls.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "api/types_core.h"
#include "client/client.h"
#include "client/controller_loop.h"
#include "client/informer.h"
#include "client/work_queue.h"
#include "common/clock.h"
#include "common/status.h"
#include "network/overlay_reconciler.h"
#include "proxy/iptables.h"

namespace minik8s::network {

struct PodNetworkOptions {
  std::string node_name;  // this node's Node
  // Used for this node while its Node lacks them (before the kubelet's first status, or a
  // --pod-cidr the control plane does not know): the agent's --node-ip and podCIDR.
  std::string node_ip;
  std::string pod_cidr;
  std::chrono::milliseconds resync_period{std::chrono::seconds(30)};
  // Called first in every sync: ensurePodMasquerade and ensurePodForward; a failure is
  // retried like the rest.
  std::function<Status()> ensure_iptables;
};

// The merge patch that makes `node`'s kVtepMacAnnotation read `mac` ("": absent), or
// nullopt when it already does (compared as normalized MACs).
std::optional<nlohmann::json> vtepMacPatch(const api::Node& node, const std::string& mac);

// This node's NodeNetwork: from its Node, with the options' node IP and podCIDR filling in
// what the Node lacks.
NodeNetwork selfNetwork(const api::Node& node, const PodNetworkOptions& options);

class PodNetworkController {
 public:
  // A controller on the factory's Node informer (which the caller starts).
  static std::unique_ptr<PodNetworkController> create(client::Client& client,
                                                      client::SharedInformerFactory& informers,
                                                      OverlayReconciler& reconciler,
                                                      PodNetworkOptions options,
                                                      Clock& clock = Clock::real());
  // For tests: a cache filled by hand; call sync() or processNextItem().
  PodNetworkController(client::Client& client, const client::ObjectCache<api::Node>& nodes,
                       OverlayReconciler& reconciler, PodNetworkOptions options,
                       Clock& clock = Clock::real());
  ~PodNetworkController();
  PodNetworkController(const PodNetworkController&) = delete;
  PodNetworkController& operator=(const PodNetworkController&) = delete;

  // Waits for the Node informer, then runs the one worker. kUnavailable when it did not sync.
  Status run(std::chrono::milliseconds sync_timeout = std::chrono::seconds(30));
  void stop();

  // Queues a sync (the informer's handlers call it).
  void nodesChanged();
  // One sync: masquerade, reconcile, publish. Re-queues the resync on success.
  Status sync();
  // One turn of the worker (tests): take the key, sync, forget or back off.
  bool processNextItem() { return loop_.processNextItem(); }
  client::WorkQueue& queue() { return queue_; }

  static constexpr char kKey[] = "pod-network";

 private:
  Status publishVtepMac(const api::Node& node, const std::string& mac);

  client::Client& client_;
  const client::ObjectCache<api::Node>& nodes_;
  OverlayReconciler& reconciler_;  // used by the one worker only
  const PodNetworkOptions options_;
  std::vector<SkippedPeer> last_skipped_;  // worker only: log a change of the skipped peers
  std::vector<client::InformerBase*> informers_;
  client::WorkQueue queue_;
  client::ControllerLoop loop_;
};

// What `minik8s down` calls in a node's network namespace (the calling thread's): deletes
// the VXLAN device and our routes (NetlinkDataplane), the masquerade and the forward
// chains with their jumps. Each step is attempted; the first failure is returned. Ok when
// there is nothing to remove.
Status teardownPodNetwork(proxy::Iptables& iptables);

}  // namespace minik8s::network
