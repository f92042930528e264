#include "network/overlay_reconciler.h"

namespace minik8s::network {

namespace {

// Keeps the first failure.
void note(Status& first, Status st) {
  if (first.isOk() && !st.isOk()) first = std::move(st);
}

}  // namespace

Result<ReconcileResult> OverlayReconciler::reconcile(const NodeNetwork& self,
                                                     const std::vector<NodeNetwork>& peers) {
  ASSIGN_OR_RETURN(Underlay underlay, dataplane_->findUnderlay(self.node_ip));
  ASSIGN_OR_RETURN(OverlayPlan plan, planOverlay(self, peers, backend_, underlay));
  ReconcileResult result;
  result.skipped = plan.skipped;
  const std::string device(kVxlanDevice);
  if (plan.device) {
    ASSIGN_OR_RETURN(result.vtep_mac, dataplane_->ensureVxlan(*plan.device));
  } else {
    RETURN_IF_ERROR(dataplane_->deleteLink(device));
  }
  vtep_mac_ = result.vtep_mac;
  ASSIGN_OR_RETURN(OverlayEntries actual, dataplane_->listEntries(device));
  OverlayChanges changes = diffOverlay(plan.entries, actual);

  // Removals first (a changed entry is a removal and an addition), routes before the
  // entries they resolve through; additions in the opposite order.
  Status first;
  for (const Route& r : changes.remove.routes) note(first, dataplane_->deleteRoute(r));
  for (const Neighbor& n : changes.remove.neighbors) note(first, dataplane_->deleteNeighbor(n));
  for (const FdbEntry& f : changes.remove.fdb) note(first, dataplane_->deleteFdb(f));
  for (const FdbEntry& f : changes.add.fdb) note(first, dataplane_->addFdb(f));
  for (const Neighbor& n : changes.add.neighbors) note(first, dataplane_->addNeighbor(n));
  for (const Route& r : changes.add.routes) note(first, dataplane_->addRoute(r));
  if (!first.isOk()) return first.withContext("reconciling the pod network");
  result.applied = std::move(changes);
  return result;
}

Status OverlayReconciler::teardown() {
  vtep_mac_.reset();
  const std::string device(kVxlanDevice);
  ASSIGN_OR_RETURN(OverlayEntries actual, dataplane_->listEntries(device));
  Status first;
  for (const Route& r : actual.routes) note(first, dataplane_->deleteRoute(r));
  note(first, dataplane_->deleteLink(device));
  return first;
}

Result<int> findPodMtu(Dataplane& dataplane, Backend backend, const std::string& node_ip) {
  ASSIGN_OR_RETURN(Underlay underlay, dataplane.findUnderlay(node_ip));
  auto mtu = podMtu(backend, underlay.mtu);
  if (!mtu.isOk()) return mtu.status().withContext("device " + underlay.device);
  return mtu;
}

}  // namespace minik8s::network
