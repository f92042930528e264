#include "kubelet/node_status_manager.h"

#include "api/codec.h"
#include "common/log.h"
#include "kubelet/resources.h"

namespace minik8s::kubelet {
namespace {

using json = nlohmann::json;

constexpr const char* kLeaseNamespace = "kube-node-lease";

}  // namespace

NodeStatusManager::NodeStatusManager(client::Client& client, cri::Runtime& runtime,
                                     NodeConfig node, std::chrono::milliseconds heartbeat_period,
                                     Clock& clock)
    : client_(client),
      runtime_(runtime),
      node_(std::move(node)),
      heartbeat_period_(heartbeat_period),
      clock_(clock) {}

NodeStatusManager::~NodeStatusManager() { stop(); }

void NodeStatusManager::start() {
  if (heartbeat_.joinable()) return;
  heartbeat_ = std::jthread([this](std::stop_token stop) {
    while (clock_.sleepFor(heartbeat_period_, stop)) heartbeat();
  });
}

void NodeStatusManager::stop() {
  if (!heartbeat_.joinable()) return;
  heartbeat_.request_stop();
  heartbeat_.join();
}

HostInfo NodeStatusManager::host() const {
  std::lock_guard lock(mu_);
  return host_;
}

std::string NodeStatusManager::runtimeVersion() const {
  std::lock_guard lock(mu_);
  return runtime_version_;
}

NodeConfig NodeStatusManager::config() const {
  NodeConfig config = node_;
  config.runtime_version = runtimeVersion();
  return config;
}

RuntimeHealth NodeStatusManager::runtimeHealth() {
  auto conditions = runtime_.status();
  if (!conditions.isOk()) {
    return {false, "container runtime is down: " + conditions.status().message()};
  }
  for (const auto& c : *conditions) {
    if (!c.status) {
      return {false, "container runtime not ready: " + c.type + "=false reason:" + c.reason +
                         " message:" + c.message};
    }
  }
  return {true, ""};
}

Status NodeStatusManager::registerNode() {
  HostInfo host = readHostInfo();
  auto version = runtime_.version();
  if (!version.isOk()) {
    return version.status().withContext("asking the container runtime its version");
  }
  {
    std::lock_guard lock(mu_);
    host_ = host;
    runtime_version_ = version->runtime_name + "://" + version->runtime_version;
  }

  const auto& nodes = nodesResource();
  const std::string& name = node_.node_name;
  std::string now = formatRfc3339(clock_.now());
  auto existing = client_.get(nodes, "", name);
  if (!existing.isOk() && existing.status().code() != Code::kNotFound) return existing.status();
  api::Node previous;
  if (existing.isOk()) {
    auto decoded = api::decode<api::Node>(*existing);
    if (decoded.isOk()) previous = std::move(*decoded);
  }
  api::Node node = desiredNode(config(), host, runtimeHealth(), previous, now);
  if (!existing.isOk()) {
    json object = api::toJson(node);
    object["metadata"].erase("resourceVersion");
    auto created = client_.create(nodes, "", object);
    if (!created.isOk() && created.status().code() != Code::kAlreadyExists) {
      return created.status();
    }
    log::info("kubelet: registered node {}", name);
  } else {
    json patch = {{"metadata", {{"labels", node.metadata.labels}}},
                  {"spec", {{"podCIDR", node.spec.pod_cidr}, {"podCIDRs", node.spec.pod_cidrs}}}};
    if (node.spec.pod_cidr.empty()) patch.erase("spec");
    auto patched = client_.patch(nodes, "", name, client::PatchType::kMerge, patch.dump());
    if (!patched.isOk()) return patched.status();
    log::info("kubelet: took over existing node {}", name);
  }
  {
    std::lock_guard lock(mu_);
    last_node_ = node;
  }
  RETURN_IF_ERROR(updateNodeStatus());
  // Leases live in kube-node-lease, which the apiserver creates at start. Only when it is
  // missing try to create it (a node's credentials may read namespaces, not create them).
  const auto& namespaces = resource("", "v1", "namespaces");
  auto lease_ns = client_.get(namespaces, "", kLeaseNamespace);
  if (!lease_ns.isOk() && lease_ns.status().code() == Code::kNotFound) {
    json ns = {
        {"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", kLeaseNamespace}}}};
    auto created_ns = client_.create(namespaces, "", ns);
    if (!created_ns.isOk() && created_ns.status().code() != Code::kAlreadyExists) {
      log::warn("kubelet: namespace {} is missing and creating it failed: {}", kLeaseNamespace,
                created_ns.status().toString());
    }
  }
  return renewLease();
}

Status NodeStatusManager::updateNodeStatus() {
  NodeConfig config = this->config();
  api::Node previous;
  HostInfo host;
  {
    std::lock_guard lock(mu_);
    previous = last_node_;
    host = host_;
  }
  api::Node node =
      desiredNode(config, host, runtimeHealth(), previous, formatRfc3339(clock_.now()));
  json patch = {{"status", api::toJson(node.status)}};
  client::PatchOptions opts;
  opts.subresource = "status";
  auto patched = client_.patch(nodesResource(), "", config.node_name, client::PatchType::kMerge,
                               patch.dump(), opts);
  if (!patched.isOk()) {
    if (patched.status().code() == Code::kNotFound) {
      // Someone deleted our Node: register again.
      return registerNode();
    }
    return patched.status();
  }
  std::lock_guard lock(mu_);
  last_node_ = node;
  return Status::ok();
}

Status NodeStatusManager::renewLease() {
  const auto& leases = resource("coordination.k8s.io", "v1", "leases");
  const std::string& name = node_.node_name;
  std::string now = formatRfc3339Micro(clock_.now());
  auto existing = client_.get(leases, kLeaseNamespace, name);
  if (existing.isOk()) {
    json lease = *existing;
    lease["spec"]["holderIdentity"] = name;
    lease["spec"]["renewTime"] = now;
    if (!lease["spec"].contains("leaseDurationSeconds")) lease["spec"]["leaseDurationSeconds"] = 40;
    auto updated = client_.update(leases, kLeaseNamespace, lease);
    return updated.isOk() ? Status::ok() : updated.status();
  }
  if (existing.status().code() != Code::kNotFound) return existing.status();
  json lease = {{"apiVersion", "coordination.k8s.io/v1"},
                {"kind", "Lease"},
                {"metadata", {{"name", name}, {"namespace", kLeaseNamespace}}},
                {"spec", {{"holderIdentity", name}, {"leaseDurationSeconds", 40}, {"renewTime", now}}}};
  auto created = client_.create(leases, kLeaseNamespace, lease);
  return created.isOk() ? Status::ok() : created.status();
}

void NodeStatusManager::heartbeat() {
  if (Status s = updateNodeStatus(); !s.isOk()) {
    log::warn("kubelet: updating node status: {}", s.toString());
  }
  if (Status s = renewLease(); !s.isOk()) log::warn("kubelet: renewing lease: {}", s.toString());
}

}  // namespace minik8s::kubelet
