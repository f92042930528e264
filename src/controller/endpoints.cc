#include "controller/endpoints.h"

#include <algorithm>
#include <cmath>
#include <tuple>

#include "api/codec.h"
#include "api/types_discovery.h"
#include "common/log.h"

namespace minik8s::controller {

using nlohmann::json;

namespace {

constexpr char kOverCapacityAnnotation[] = "endpoints.kubernetes.io/over-capacity";
constexpr char kLeaderAnnotation[] = "control-plane.alpha.kubernetes.io/leader";

// podToEndpointAddressForService: the pod's IP of the Service's (first) family.
std::optional<api::EndpointAddress> podAddress(const api::Service& svc, const api::Pod& pod) {
  std::string family = "IPv4";
  if (!svc.spec.ip_families.empty()) {
    family = svc.spec.ip_families[0];
  } else if (!isHeadlessService(svc)) {
    family = isIpv6(svc.spec.cluster_ip) ? "IPv6" : "IPv4";
  } else if (isIpv6(pod.status.pod_ip)) {
    family = "IPv6";
  }
  std::vector<std::string> ips = podIpsOfFamily(pod, family);
  if (ips.empty()) return std::nullopt;
  api::EndpointAddress address;
  address.ip = ips[0];
  if (!pod.spec.node_name.empty()) address.node_name = pod.spec.node_name;
  api::ObjectReference ref;
  ref.kind = "Pod";
  ref.namespace_ = pod.metadata.namespace_;
  ref.name = pod.metadata.name;
  ref.uid = pod.metadata.uid;
  address.target_ref = ref;
  if (shouldSetHostname(pod, svc)) address.hostname = pod.spec.hostname;
  return address;
}

std::string addressKey(const api::EndpointAddress& a) {
  return a.ip + "|" + (a.target_ref ? a.target_ref->uid : "");
}

bool addressLess(const api::EndpointAddress& a, const api::EndpointAddress& b) {
  return addressKey(a) < addressKey(b);
}

bool portLess(const api::EndpointPort& a, const api::EndpointPort& b) {
  return std::tie(a.name, a.port, a.protocol) < std::tie(b.name, b.port, b.protocol);
}

// One address offered on one port (no port: a headless Service without ports).
struct Offer {
  api::EndpointAddress address;
  bool ready;
  std::optional<api::EndpointPort> port;
};

// RepackSubsets: ports offered by the same set of (address, readiness) share a subset; an
// address not ready on a port stays not ready there even if ready elsewhere.
std::vector<api::EndpointSubset> repack(const std::vector<Offer>& offers) {
  std::map<std::string, api::EndpointAddress> addresses;
  struct PortAddrs {
    std::optional<api::EndpointPort> port;
    std::map<std::string, bool> ready_by_address;
  };
  std::map<std::string, PortAddrs> by_port;
  for (const auto& o : offers) {
    std::string ak = addressKey(o.address);
    addresses.emplace(ak, o.address);
    std::string pk = o.port ? o.port->name + "|" + std::to_string(o.port->port) + "|" +
                                  o.port->protocol + "|" + o.port->app_protocol.value_or("\x01")
                            : std::string();
    PortAddrs& entry = by_port[pk];
    entry.port = o.port;
    auto it = entry.ready_by_address.find(ak);
    if (it == entry.ready_by_address.end() || it->second) entry.ready_by_address[ak] = o.ready;
  }
  struct Group {
    std::map<std::string, bool> ready_by_address;
    std::vector<api::EndpointPort> ports;
  };
  std::map<std::string, Group> groups;
  for (const auto& [pk, entry] : by_port) {
    std::string signature;
    for (const auto& [ak, ready] : entry.ready_by_address)
      signature += ak + (ready ? "+" : "-") + ";";
    Group& g = groups[signature];
    g.ready_by_address = entry.ready_by_address;
    if (entry.port) g.ports.push_back(*entry.port);
  }
  std::vector<api::EndpointSubset> subsets;
  for (auto& [signature, g] : groups) {
    api::EndpointSubset subset;
    for (const auto& [ak, ready] : g.ready_by_address) {
      (ready ? subset.addresses : subset.not_ready_addresses).push_back(addresses[ak]);
    }
    std::sort(subset.addresses.begin(), subset.addresses.end(), addressLess);
    std::sort(subset.not_ready_addresses.begin(), subset.not_ready_addresses.end(), addressLess);
    std::sort(g.ports.begin(), g.ports.end(), portLess);
    subset.ports = std::move(g.ports);
    subsets.push_back(std::move(subset));
  }
  auto first = [](const api::EndpointSubset& s) {
    if (!s.addresses.empty()) return addressKey(s.addresses[0]);
    if (!s.not_ready_addresses.empty()) return addressKey(s.not_ready_addresses[0]);
    return std::string();
  };
  std::sort(subsets.begin(), subsets.end(), [&](const auto& a, const auto& b) {
    std::string fa = first(a), fb = first(b);
    if (fa != fb) return fa < fb;
    return api::toJson(a).dump() < api::toJson(b).dump();
  });
  return subsets;
}

// truncateEndpoints: keep at most kMaxEndpointsCapacity addresses, ready ones first, each
// subset keeping its proportion. True when something was cut.
bool truncate(std::vector<api::EndpointSubset>& subsets) {
  size_t ready = 0, not_ready = 0;
  for (const auto& s : subsets) {
    ready += s.addresses.size();
    not_ready += s.not_ready_addresses.size();
  }
  if (ready + not_ready <= kMaxEndpointsCapacity) return false;
  const bool truncate_ready = ready > kMaxEndpointsCapacity;
  const size_t max = truncate_ready ? kMaxEndpointsCapacity : kMaxEndpointsCapacity - ready;
  const size_t total = truncate_ready ? ready : not_ready;
  size_t can_add = max;
  for (auto& s : subsets) {
    size_t in_subset = truncate_ready ? s.addresses.size() : s.not_ready_addresses.size();
    size_t to_add = static_cast<size_t>(std::ceil(
        static_cast<double>(in_subset) / static_cast<double>(total) * static_cast<double>(max)));
    to_add = std::min(to_add, can_add);
    if (truncate_ready) {
      if (s.addresses.size() > to_add) s.addresses.resize(to_add);
      s.not_ready_addresses.clear();
      can_add -= s.addresses.size();
    } else {
      if (s.not_ready_addresses.size() > to_add) s.not_ready_addresses.resize(to_add);
      can_add -= s.not_ready_addresses.size();
    }
  }
  return true;
}

// Subsets compared without the pods' resourceVersions in targetRef.
json comparable(std::vector<api::EndpointSubset> subsets) {
  for (auto& s : subsets) {
    for (auto* list : {&s.addresses, &s.not_ready_addresses}) {
      for (auto& a : *list) {
        if (a.target_ref) a.target_ref->resource_version.clear();
      }
    }
  }
  json out = json::array();
  for (const auto& s : subsets) out.push_back(api::toJson(s));
  return out;
}

api::StringMap endpointsLabels(const api::Service& svc) {
  api::StringMap labels = svc.metadata.labels;
  if (isHeadlessService(svc)) {
    labels[api::kLabelHeadlessService] = "";
  } else {
    labels.erase(api::kLabelHeadlessService);
  }
  labels[api::kLabelSkipMirror] = "true";
  return labels;
}

}  // namespace

std::vector<api::EndpointSubset> computeEndpointSubsets(const api::Service& svc,
                                                        const std::vector<PodPtr>& pods) {
  const bool publish_not_ready = svc.spec.publish_not_ready_addresses.value_or(false);
  std::vector<Offer> offers;
  for (const auto& pod : pods) {
    if (!shouldPodBeInEndpoints(*pod, publish_not_ready)) continue;
    std::optional<api::EndpointAddress> address = podAddress(svc, *pod);
    if (!address) continue;
    const bool ready = publish_not_ready || isPodReady(*pod);
    if (svc.spec.ports.empty()) {
      if (svc.spec.cluster_ip == "None") offers.push_back({*address, ready, std::nullopt});
      continue;
    }
    for (const auto& sp : svc.spec.ports) {
      std::optional<int32_t> number = findPort(*pod, sp);
      if (!number) continue;
      api::EndpointPort port;
      port.name = sp.name;
      port.port = *number;
      port.protocol = sp.protocol.empty() ? "TCP" : sp.protocol;
      if (!sp.app_protocol.empty()) port.app_protocol = sp.app_protocol;
      offers.push_back({*address, ready, port});
    }
  }
  return repack(offers);
}

std::optional<api::Endpoints> desiredEndpoints(const api::Service& svc,
                                               const std::vector<PodPtr>& pods,
                                               const api::Endpoints* current,
                                               std::optional<Clock::WallTime> trigger_time) {
  std::vector<api::EndpointSubset> subsets = computeEndpointSubsets(svc, pods);
  api::StringMap labels = endpointsLabels(svc);
  if (current != nullptr) {
    size_t count = 0;
    for (const auto& s : current->subsets)
      count += s.addresses.size() + s.not_ready_addresses.size();
    bool capacity_ok = count <= kMaxEndpointsCapacity &&
                       !current->metadata.annotations.count(kOverCapacityAnnotation);
    if (capacity_ok && comparable(current->subsets) == comparable(subsets) &&
        current->metadata.labels == labels) {
      return std::nullopt;
    }
  }
  api::Endpoints out;
  if (current != nullptr) {
    out = *current;
  } else {
    out.metadata.name = svc.metadata.name;
    out.metadata.namespace_ = svc.metadata.namespace_;
  }
  out.api_version = "v1";
  out.kind = "Endpoints";
  out.subsets = std::move(subsets);
  out.metadata.labels = std::move(labels);
  if (trigger_time) {
    out.metadata.annotations[api::kAnnotationLastChangeTriggerTime] = formatRfc3339(*trigger_time);
  } else {
    out.metadata.annotations.erase(api::kAnnotationLastChangeTriggerTime);
  }
  if (truncate(out.subsets)) {
    out.metadata.annotations[kOverCapacityAnnotation] = "truncated";
  } else {
    out.metadata.annotations.erase(kOverCapacityAnnotation);
  }
  return out;
}

EndpointsController::EndpointsController(client::Client& client,
                                         const client::ObjectCache<api::Service>& services,
                                         const client::ObjectCache<api::Pod>& pods,
                                         const client::ObjectCache<api::Endpoints>& endpoints,
                                         Clock& clock)
    : client_(client),
      endpoints_resource_(api::findResource("", "v1", "endpoints")),
      services_(services),
      pods_(pods),
      endpoints_(endpoints),
      queue_(clock),
      loop_("endpoint", queue_, [this](const std::string& key) { return sync(key); }) {}

EndpointsController::EndpointsController(client::Client& client,
                                         client::SharedInformerFactory& informers, Clock& clock)
    : EndpointsController(
          client,
          informers.informerFor<api::Service>(*api::findResource("", "v1", "services")).cache(),
          informers.informerFor<api::Pod>(*api::findResource("", "v1", "pods")).cache(),
          informers.informerFor<api::Endpoints>(*api::findResource("", "v1", "endpoints")).cache(),
          clock) {
  auto& services = informers.informerFor<api::Service>(*api::findResource("", "v1", "services"));
  auto& pods = informers.informerFor<api::Pod>(*api::findResource("", "v1", "pods"));
  auto& endpoints = informers.informerFor<api::Endpoints>(*endpoints_resource_);
  informers_ = {&services, &pods, &endpoints};
  registerHandlers(services, pods, endpoints);
}

EndpointsController::~EndpointsController() {
  stop();
}

void EndpointsController::registerHandlers(client::Informer<api::Service>& services,
                                           client::Informer<api::Pod>& pods,
                                           client::Informer<api::Endpoints>& endpoints) {
  services.addHandler({
      .on_add = [this](const ServicePtr& svc) { onService(svc); },
      .on_update = [this](const ServicePtr&, const ServicePtr& svc) { onService(svc); },
      .on_delete = [this](const ServicePtr& svc) { onService(svc); },
  });
  pods.addHandler({
      .on_add = [this](const PodPtr& pod) { onPodAdded(pod); },
      .on_update = [this](const PodPtr& old_pod, const PodPtr& pod) { onPodUpdated(old_pod, pod); },
      .on_delete = [this](const PodPtr& pod) { onPodDeleted(pod); },
  });
  endpoints.addHandler({.on_delete = [this](const EndpointsPtr& ep) { onEndpointsDeleted(ep); }});
}

Status EndpointsController::run(int workers, std::chrono::milliseconds sync_timeout) {
  RETURN_IF_ERROR(loop_.run(workers, informers_, sync_timeout));
  // checkLeftoverEndpoints: Endpoints whose Service went away while we were not running.
  for (const auto& ep : endpoints_.list()) {
    if (ep->metadata.annotations.count(kLeaderAnnotation)) continue;
    queue_.add(keyOf(ep->metadata));
  }
  return Status::ok();
}

void EndpointsController::stop() {
  loop_.stop();
}

void EndpointsController::onService(const ServicePtr& svc) {
  queue_.add(keyOf(svc->metadata));
}

void EndpointsController::onPodAdded(const PodPtr& pod) {
  for (const auto& key : podServiceMemberships(services_, *pod)) queue_.add(key);
}

void EndpointsController::onPodUpdated(const PodPtr& old_pod, const PodPtr& pod) {
  for (const auto& key : servicesToUpdateOnPodChange(services_, *old_pod, *pod)) queue_.add(key);
}

void EndpointsController::onPodDeleted(const PodPtr& pod) {
  onPodAdded(pod);
}

void EndpointsController::onEndpointsDeleted(const EndpointsPtr& endpoints) {
  queue_.add(keyOf(endpoints->metadata));
}

Status EndpointsController::sync(const std::string& key) {
  size_t slash = key.find('/');
  if (slash == std::string::npos) return Status::ok();
  const std::string ns = key.substr(0, slash), name = key.substr(slash + 1);
  ServicePtr svc = services_.get(ns, name);
  if (!svc) {
    auto gone = client_.remove(*endpoints_resource_, ns, name);
    if (!gone.isOk() && gone.status().code() != Code::kNotFound) return gone.status();
    trigger_times_.deleteService(key);
    std::lock_guard lock(stale_mu_);
    stale_versions_.erase(key);
    return Status::ok();
  }
  if (!serviceHasSelector(*svc)) return Status::ok();  // endpoints are someone else's
  std::vector<PodPtr> pods = pods_.listNamespace(ns, serviceSelector(*svc));
  std::optional<Clock::WallTime> trigger = trigger_times_.compute(*svc, pods);
  EndpointsPtr current = endpoints_.get(ns, name);
  if (current) {
    std::lock_guard lock(stale_mu_);
    auto it = stale_versions_.find(key);
    if (it != stale_versions_.end() && it->second == current->metadata.resource_version) {
      return Status(Code::kConflict, "endpoints informer cache is out of date, resource version " +
                                         it->second + " already processed for endpoints " + key);
    }
  }
  std::optional<api::Endpoints> wanted = desiredEndpoints(*svc, pods, current.get(), trigger);
  if (!wanted) return Status::ok();
  if (!current) {
    auto made = client_.create(*endpoints_resource_, ns, api::toJson(*wanted));
    return made.status();
  }
  auto written = client_.update(*endpoints_resource_, ns, api::toJson(*wanted));
  if (!written.isOk()) return written.status();
  if (client::resourceVersionOf(*written) != current->metadata.resource_version) {
    std::lock_guard lock(stale_mu_);
    stale_versions_[key] = current->metadata.resource_version;
  }
  return Status::ok();
}

}  // namespace minik8s::controller
