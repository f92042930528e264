#include "controller/node_ipam.h"

#include <nlohmann/json.hpp>

#include "common/log.h"
#include "controller/pod_util.h"

namespace minik8s::controller {

using nlohmann::json;

Result<CidrSet> CidrSet::create(std::string_view cluster_cidr, int node_mask) {
  ASSIGN_OR_RETURN(Ipv4Cidr cluster, parseIpv4Cidr(cluster_cidr, 1, 30));
  if (node_mask <= cluster.prefix || node_mask > 30) {
    return invalid("--node-cidr-mask-size " + std::to_string(node_mask) +
                   " must be longer than the --cluster-cidr prefix /" +
                   std::to_string(cluster.prefix) + " and at most 30");
  }
  if (node_mask - cluster.prefix > 16) {
    return invalid("--node-cidr-mask-size " + std::to_string(node_mask) + " makes more than 65536 node ranges in " +
                   cluster.toString());
  }
  return CidrSet(cluster, node_mask);
}

std::optional<uint32_t> CidrSet::indexOf(std::string_view cidr) const {
  auto parsed = parseIpv4Cidr(cidr);
  if (!parsed.isOk() || parsed->prefix != mask_ || !cluster_.contains(*parsed)) return std::nullopt;
  return (parsed->network - cluster_.network) >> (32 - mask_);
}

Result<std::string> CidrSet::allocateNext() {
  const uint32_t blocks = uint32_t{1} << (mask_ - cluster_.prefix);
  uint32_t index = 0;
  for (uint32_t taken : used_) {  // ascending: the first gap
    if (taken != index) break;
    ++index;
  }
  if (index >= blocks) return unavailable("no pod CIDR left in " + cluster_.toString());
  used_.insert(index);
  return Ipv4Cidr{cluster_.network + (index << (32 - mask_)), mask_}.toString();
}

bool CidrSet::occupy(std::string_view cidr) {
  auto index = indexOf(cidr);
  if (!index) return false;
  used_.insert(*index);
  return true;
}

void CidrSet::release(std::string_view cidr) {
  if (auto index = indexOf(cidr)) used_.erase(*index);
}

NodeIpamController::NodeIpamController(client::Client& client,
                                       const client::ObjectCache<api::Node>& nodes, CidrSet cidrs,
                                       Clock& clock)
    : client_(client),
      nodes_(nodes),
      cidrs_(std::move(cidrs)),
      recorder_(client, {"node-ipam-controller", ""}, clock),
      queue_(clock),
      loop_("node-ipam", queue_, [this](const std::string& key) { return sync(key); }) {}

Result<std::unique_ptr<NodeIpamController>> NodeIpamController::create(
    client::Client& client, client::SharedInformerFactory& informers, NodeIpamOptions options,
    Clock& clock) {
  ASSIGN_OR_RETURN(CidrSet cidrs, CidrSet::create(options.cluster_cidr, options.node_cidr_mask_size));
  auto& nodes = informers.informerFor<api::Node>(nodesResource());
  auto controller = std::make_unique<NodeIpamController>(client, nodes.cache(), std::move(cidrs), clock);
  NodeIpamController* self = controller.get();
  nodes.addHandler({
      .on_add = [self](const auto& n) { self->observe(*n); },
      .on_update = [self](const auto&, const auto& n) { self->observe(*n); },
      .on_delete = [self](const auto& n) { self->forget(*n); },
  });
  controller->informers_ = {&nodes};
  return controller;
}

NodeIpamController::~NodeIpamController() {
  stop();
}

Status NodeIpamController::run(int workers, std::chrono::milliseconds sync_timeout) {
  return loop_.run(workers, informers_, sync_timeout);
}

void NodeIpamController::stop() {
  loop_.stop();
}

void NodeIpamController::observe(const api::Node& node) {
  if (node.spec.pod_cidr.empty()) {
    queue_.add(node.metadata.name);
    return;
  }
  std::lock_guard lock(mu_);
  for (const auto& cidr : node.spec.pod_cidrs) cidrs_.occupy(cidr);
  cidrs_.occupy(node.spec.pod_cidr);
}

void NodeIpamController::forget(const api::Node& node) {
  std::lock_guard lock(mu_);
  for (const auto& cidr : node.spec.pod_cidrs) cidrs_.release(cidr);
  cidrs_.release(node.spec.pod_cidr);
}

Status NodeIpamController::sync(const std::string& name) {
  auto node = nodes_.get(name);
  if (!node || !node->spec.pod_cidr.empty() || !node->metadata.deletion_timestamp.empty()) {
    return Status::ok();
  }
  Result<std::string> cidr = [&] {
    std::lock_guard lock(mu_);
    return cidrs_.allocateNext();
  }();
  if (!cidr.isOk()) {
    recorder_.record({"Node", "v1", "", name, node->metadata.uid, "", ""},
                     {"Normal", "CIDRNotAvailable",
                      "Node " + name + " status is now: CIDRNotAvailable"});
    queue_.addAfter(name, std::chrono::seconds(30));
    return Status::ok();
  }
  json patch = {{"metadata", {{"resourceVersion", node->metadata.resource_version}}},
                {"spec", {{"podCIDR", *cidr}, {"podCIDRs", {*cidr}}}}};
  auto patched = client_.patch(nodesResource(), "", name, client::PatchType::kMerge, patch.dump());
  if (!patched.isOk()) {
    std::lock_guard lock(mu_);
    cidrs_.release(*cidr);
    // Gone, or changed since the cache saw it: the next event queues it again.
    if (patched.status().code() == Code::kNotFound) return Status::ok();
    return patched.status();
  }
  log::info("node ipam: node {} gets podCIDR {}", name, *cidr);
  return Status::ok();
}

}  // namespace minik8s::controller
