#include "network/pod_network_controller.h"

#include "api/scheme.h"
#include "common/log.h"
#include "network/netlink_dataplane.h"
#include "network/pod_masquerade.h"

namespace minik8s::network {

namespace {

const api::ResourceInfo& nodeResource() {
  static const api::ResourceInfo& nodes = *api::findResource("", "v1", "nodes");
  return nodes;
}

void keepFirstError(Status& first, Status st) {
  if (first.isOk() && !st.isOk()) first = std::move(st);
}

std::string describe(const std::vector<SkippedPeer>& skipped) {
  std::string out;
  for (const SkippedPeer& s : skipped) {
    if (!out.empty()) out += "; ";
    out += s.name + ": " + s.reason;
  }
  return out;
}

}  // namespace

std::optional<nlohmann::json> vtepMacPatch(const api::Node& node, const std::string& mac) {
  const auto& annotations = node.metadata.annotations;
  auto it = annotations.find(std::string(kVtepMacAnnotation));
  const bool present = it != annotations.end();
  if (mac.empty()) {
    if (!present) return std::nullopt;
  } else if (present && normalizeMac(it->second) == normalizeMac(mac)) {
    return std::nullopt;
  }
  nlohmann::json value = mac.empty() ? nlohmann::json(nullptr) : nlohmann::json(mac);
  return nlohmann::json{
      {"metadata", {{"annotations", {{std::string(kVtepMacAnnotation), value}}}}}};
}

NodeNetwork selfNetwork(const api::Node& node, const PodNetworkOptions& options) {
  NodeNetwork self = fromNode(node);
  if (self.node_ip.empty()) self.node_ip = options.node_ip;
  if (self.pod_cidr.empty()) self.pod_cidr = options.pod_cidr;
  return self;
}

std::unique_ptr<PodNetworkController> PodNetworkController::create(
    client::Client& client, client::SharedInformerFactory& informers,
    OverlayReconciler& reconciler, PodNetworkOptions options, Clock& clock) {
  auto& nodes = informers.informerFor<api::Node>(nodeResource());
  auto controller = std::make_unique<PodNetworkController>(client, nodes.cache(), reconciler,
                                                           std::move(options), clock);
  PodNetworkController* self = controller.get();
  nodes.addHandler({
      .on_add = [self](const auto&) { self->nodesChanged(); },
      .on_update = [self](const auto&, const auto&) { self->nodesChanged(); },
      .on_delete = [self](const auto&) { self->nodesChanged(); },
  });
  controller->informers_ = {&nodes};
  return controller;
}

PodNetworkController::PodNetworkController(client::Client& client,
                                           const client::ObjectCache<api::Node>& nodes,
                                           OverlayReconciler& reconciler,
                                           PodNetworkOptions options, Clock& clock)
    : client_(client),
      nodes_(nodes),
      reconciler_(reconciler),
      options_(std::move(options)),
      queue_(clock),
      loop_("pod-network", queue_, [this](const std::string&) { return sync(); }) {}

PodNetworkController::~PodNetworkController() {
  stop();
}

Status PodNetworkController::run(std::chrono::milliseconds sync_timeout) {
  queue_.add(kKey);  // also with no Node event yet: masquerade and an early retry
  // One worker: the reconciler and its netlink socket are single-threaded.
  return loop_.run(1, informers_, sync_timeout);
}

void PodNetworkController::stop() {
  loop_.stop();
}

void PodNetworkController::nodesChanged() {
  queue_.add(kKey);
}

Status PodNetworkController::sync() {
  Status first;
  if (options_.ensure_iptables) keepFirstError(first, options_.ensure_iptables());
  auto own = nodes_.get(options_.node_name);
  if (!own) {
    keepFirstError(first, unavailable("node " + options_.node_name + " is not registered yet"));
    return first.withContext("pod network");
  }
  std::vector<NodeNetwork> nodes;
  for (const auto& node : nodes_.list()) nodes.push_back(fromNode(*node));
  const NodeNetwork self = selfNetwork(*own, options_);
  auto result = reconciler_.reconcile(self, nodes);
  if (result.isOk()) {
    const OverlayChanges& applied = result->applied;
    if (!applied.empty()) {
      log::info("pod network: {} routes, {} neighbours, {} fdb entries added; {}, {}, {} removed",
                applied.add.routes.size(), applied.add.neighbors.size(), applied.add.fdb.size(),
                applied.remove.routes.size(), applied.remove.neighbors.size(),
                applied.remove.fdb.size());
    }
    if (result->skipped != last_skipped_) {
      if (!result->skipped.empty()) {
        log::warn("pod network: peers not reached: {}", describe(result->skipped));
      }
      last_skipped_ = result->skipped;
    }
  } else {
    keepFirstError(first, result.status());
  }
  // Published also when a peer's entries failed: the others need it to reach us.
  if (const auto& mac = reconciler_.vtepMac()) keepFirstError(first, publishVtepMac(*own, *mac));
  if (!first.isOk()) return first.withContext("pod network");
  queue_.addAfter(kKey, options_.resync_period);
  return Status::ok();
}

Status PodNetworkController::publishVtepMac(const api::Node& node, const std::string& mac) {
  auto patch = vtepMacPatch(node, mac);
  if (!patch) return Status::ok();
  auto patched = client_.patch(nodeResource(), "", node.metadata.name, client::PatchType::kMerge,
                               patch->dump());
  if (!patched.isOk()) return patched.status().withContext("publishing the VTEP MAC");
  log::info("pod network: node {} publishes VTEP MAC {}", node.metadata.name,
            mac.empty() ? "(none)" : mac);
  return Status::ok();
}

Status teardownPodNetwork(proxy::Iptables& iptables) {
  Status first;
  auto dataplane = NetlinkDataplane::open();
  if (dataplane.isOk()) {
    OverlayReconciler reconciler(dataplane->get(), Backend::kVxlan);
    keepFirstError(first, reconciler.teardown().withContext(
                              "removing the pod network's routes and device"));
  } else {
    keepFirstError(first, dataplane.status());
  }
  keepFirstError(first, removePodMasquerade(iptables));
  keepFirstError(first, removePodForward(iptables));
  return first;
}

}  // namespace minik8s::network
