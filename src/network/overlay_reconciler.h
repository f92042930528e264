// OverlayReconciler: makes one node's network namespace match the pod-network plan for the
// current set of nodes: plan (planOverlay) → read actual (Dataplane::listEntries) → diff
// (diffOverlay) → apply. Level-triggered and idempotent: call it whenever the Node list
// changes, or periodically; a failed step is retried by the next call.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "network/dataplane.h"
#include "network/overlay.h"

namespace minik8s::network {

struct ReconcileResult {
  std::string vtep_mac;  // vxlan: the device's MAC, to publish as kVtepMacAnnotation
  OverlayChanges applied;
  std::vector<SkippedPeer> skipped;
};

// Not thread-safe; one owner calls reconcile()/teardown(). Does not own the dataplane.
class OverlayReconciler {
 public:
  OverlayReconciler(Dataplane* dataplane, Backend backend)
      : dataplane_(dataplane), backend_(backend) {}

  // `peers` may hold every node, `self` included (skipped by name). With host-gw an existing
  // VXLAN device is deleted. Every change is attempted; the first failure is returned.
  Result<ReconcileResult> reconcile(const NodeNetwork& self, const std::vector<NodeNetwork>& peers);

  // Deletes our routes and the VXLAN device (its neighbours and FDB go with it).
  Status teardown();

  // The VTEP MAC as of the last reconcile that got past the device step, also when a later
  // step failed (so the node can publish it while a peer's entries are retried): the
  // device's MAC (vxlan), "" (host-gw: no device), nullopt before. Cleared by teardown().
  const std::optional<std::string>& vtepMac() const { return vtep_mac_; }

 private:
  Dataplane* dataplane_;
  Backend backend_;
  std::optional<std::string> vtep_mac_;
};

// The pods' MTU on this node (for the CNI bridge and veths): podMtu(backend, MTU of the
// device holding node_ip), the same number reconcile() gives the VXLAN device. kNotFound
// when no device holds node_ip.
Result<int> findPodMtu(Dataplane& dataplane, Backend backend, const std::string& node_ip);

}  // namespace minik8s::network
