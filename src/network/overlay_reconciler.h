// OverlayReconciler: makes one node's network namespace match the pod-network plan for the
// current set of nodes: plan (planOverlay) → read actual (Dataplane::listEntries) → diff
// (diffOverlay) → apply. Level-triggered and idempotent: call it whenever the Node list
// changes, or periodically; a failed step is retried by the next call.
#pragma once

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

 private:
  Dataplane* dataplane_;
  Backend backend_;
};

}  // namespace minik8s::network
