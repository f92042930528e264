#include "controller/endpointslice.h"

#include <algorithm>
#include <set>

#include "api/codec.h"
#include "common/log.h"

namespace minik8s::controller {

using nlohmann::json;

namespace {

constexpr char kZoneLabel[] = "topology.kubernetes.io/zone";

bool isReservedLabel(const std::string& key) {
  return key == api::kLabelServiceName || key == api::kLabelManagedBy ||
         key == api::kLabelHeadlessService;
}

// setEndpointSliceLabels: the Service's labels (reserved keys skipped), the headless label
// for a Service without a cluster IP, then service-name and managed-by. `changed` is true
// when the slice's non-reserved labels differ from the Service's.
api::StringMap sliceLabels(const api::StringMap& current, const api::Service& svc, bool* changed) {
  api::StringMap slice_own, svc_own;
  for (const auto& [k, v] : current) {
    if (!isReservedLabel(k)) slice_own[k] = v;
  }
  for (const auto& [k, v] : svc.metadata.labels) {
    if (!isReservedLabel(k)) svc_own[k] = v;
  }
  if (changed) *changed = slice_own != svc_own;
  if (isHeadlessService(svc)) svc_own[api::kLabelHeadlessService] = "";
  svc_own[api::kLabelServiceName] = svc.metadata.name;
  svc_own[api::kLabelManagedBy] = kEndpointSliceControllerName;
  return svc_own;
}

bool ownedBy(const api::EndpointSlice& slice, const api::Service& svc) {
  for (const auto& ref : slice.metadata.owner_references) {
    if (ref.uid == svc.metadata.uid && ref.kind == "Service" && ref.api_version == "v1")
      return true;
  }
  return false;
}

// getAddressTypesForService.
std::set<std::string> addressTypesFor(const api::Service& svc) {
  std::set<std::string> out;
  for (const auto& family : svc.spec.ip_families) {
    if (family == "IPv4" || family == "IPv6") out.insert(family);
  }
  if (!out.empty()) return out;
  if (!isHeadlessService(svc)) return {isIpv6(svc.spec.cluster_ip) ? "IPv6" : "IPv4"};
  return {"IPv4", "IPv6"};
}

std::string portsKey(const std::vector<api::EndpointSlicePort>& ports) {
  std::vector<std::string> parts;
  for (const auto& p : ports) {
    parts.push_back(p.name.value_or("") + "|" + p.protocol.value_or("") + "|" +
                    (p.port ? std::to_string(*p.port) : "*") + "|" +
                    p.app_protocol.value_or("\x01"));
  }
  std::sort(parts.begin(), parts.end());
  std::string key;
  for (const auto& p : parts) key += p + ";";
  return key;
}

// hashEndpoint: an endpoint's identity is its addresses, hostname and target.
std::string endpointKey(const api::Endpoint& ep) {
  std::vector<std::string> addresses = ep.addresses;
  std::sort(addresses.begin(), addresses.end());
  std::string key;
  for (const auto& a : addresses) key += a + ",";
  key += "|" + ep.hostname.value_or("");
  if (ep.target_ref) key += "|" + ep.target_ref->namespace_ + "/" + ep.target_ref->name;
  return key;
}

bool sameTarget(const std::optional<api::ObjectReference>& a,
                const std::optional<api::ObjectReference>& b) {
  if (a.has_value() != b.has_value()) return false;
  if (!a) return true;
  api::ObjectReference x = *a, y = *b;
  x.resource_version.clear();
  y.resource_version.clear();
  return api::toJson(x) == api::toJson(y);
}

// EndpointsEqualBeyondHash.
bool sameBeyondKey(const api::Endpoint& a, const api::Endpoint& b) {
  return a.node_name == b.node_name && a.zone == b.zone &&
         a.conditions.ready == b.conditions.ready && a.conditions.serving == b.conditions.serving &&
         a.conditions.terminating == b.conditions.terminating &&
         sameTarget(a.target_ref, b.target_ref);
}

api::EndpointSlice newSlice(const api::Service& svc,
                            const std::vector<api::EndpointSlicePort>& ports,
                            const std::string& address_type) {
  api::EndpointSlice slice;
  slice.api_version = "discovery.k8s.io/v1";
  slice.kind = "EndpointSlice";
  slice.metadata.namespace_ = svc.metadata.namespace_;
  slice.metadata.generate_name = svc.metadata.name + "-";
  slice.metadata.owner_references.push_back(makeControllerRef("v1", "Service", svc.metadata));
  slice.metadata.labels = sliceLabels({}, svc, nullptr);
  slice.address_type = address_type;
  slice.ports = ports;
  return slice;
}

// placeholderSliceCompare: same namespace, labels, address type, and no endpoints or ports.
bool isSamePlaceholder(const api::EndpointSlice& a, const api::EndpointSlice& placeholder) {
  return a.metadata.namespace_ == placeholder.metadata.namespace_ &&
         a.metadata.labels == placeholder.metadata.labels &&
         a.address_type == placeholder.address_type && a.endpoints.empty() && a.ports.empty();
}

// Go's time.RFC3339Nano, as Kubernetes writes the annotation: nanoseconds with the trailing
// zeros dropped ("2026-01-01T00:00:10.25Z"; whole seconds "2026-01-01T00:00:10Z").
std::string formatTriggerTime(Clock::WallTime t) {
  std::string nano = formatRfc3339Nano(t);  // ...10.250000000Z
  size_t end = nano.size() - 1;             // the 'Z'
  size_t cut = end;
  while (nano[cut - 1] == '0') --cut;
  if (nano[cut - 1] == '.') --cut;
  return nano.substr(0, cut) + "Z";
}

void setTriggerTime(api::EndpointSlice& slice, std::optional<Clock::WallTime> t) {
  if (t) {
    slice.metadata.annotations[api::kAnnotationLastChangeTriggerTime] = formatTriggerTime(*t);
  } else {
    slice.metadata.annotations.erase(api::kAnnotationLastChangeTriggerTime);
  }
}

using DesiredSet = std::map<std::string, api::Endpoint>;  // endpointKey -> endpoint

// reconcileByPortMapping for one port set.
void reconcilePortSet(const api::Service& svc, const std::vector<SlicePtr>& existing,
                      DesiredSet desired, const std::vector<api::EndpointSlicePort>& ports,
                      const std::string& address_type, size_t max_per_slice,
                      EndpointSliceChanges& out) {
  std::map<std::string, api::EndpointSlice> to_update;  // by name
  std::vector<SlicePtr> unchanged;
  // 1. Keep what is still desired in the existing slices.
  for (const auto& slice : existing) {
    std::vector<api::Endpoint> kept;
    bool endpoint_updated = false;
    for (const auto& ep : slice->endpoints) {
      auto it = desired.find(endpointKey(ep));
      if (it == desired.end()) continue;
      if (!sameBeyondKey(it->second, ep)) endpoint_updated = true;
      kept.push_back(it->second);
      desired.erase(it);
    }
    bool labels_changed = false;
    api::StringMap labels = sliceLabels(slice->metadata.labels, svc, &labels_changed);
    if (endpoint_updated || kept.size() != slice->endpoints.size()) {
      if (kept.empty()) {
        out.to_delete.push_back(slice);
      } else {
        api::EndpointSlice copy = *slice;
        copy.endpoints = std::move(kept);
        copy.metadata.labels = labels;
        to_update.emplace(copy.metadata.name, std::move(copy));
      }
    } else if (labels_changed) {
      api::EndpointSlice copy = *slice;
      copy.metadata.labels = labels;
      to_update.emplace(copy.metadata.name, std::move(copy));
    } else {
      unchanged.push_back(slice);
    }
  }
  auto pop = [&]() {
    api::Endpoint ep = std::move(desired.begin()->second);
    desired.erase(desired.begin());
    return ep;
  };
  // 2. Fill the slices being updated anyway, fullest first.
  if (!desired.empty() && !to_update.empty()) {
    std::vector<api::EndpointSlice*> slices;
    for (auto& [name, s] : to_update) slices.push_back(&s);
    std::stable_sort(slices.begin(), slices.end(), [](const auto* a, const auto* b) {
      return a->endpoints.size() > b->endpoints.size();
    });
    for (auto* s : slices) {
      while (!desired.empty() && s->endpoints.size() < max_per_slice) s->endpoints.push_back(pop());
    }
  }
  // 3. Then the unchanged slice that fits the rest best, then new slices.
  while (!desired.empty()) {
    std::optional<api::EndpointSlice> fill;
    if (desired.size() < max_per_slice && !unchanged.empty()) {
      size_t closest = max_per_slice;
      auto best = unchanged.end();
      for (auto it = unchanged.begin(); it != unchanged.end(); ++it) {
        size_t total = desired.size() + (*it)->endpoints.size();
        if (total > max_per_slice) continue;
        size_t diff = max_per_slice - total;
        if (diff < closest) {
          closest = diff;
          best = it;
        }
      }
      if (best != unchanged.end()) {
        fill = **best;
        unchanged.erase(best);
      }
    }
    if (!fill) fill = newSlice(svc, ports, address_type);
    while (!desired.empty() && fill->endpoints.size() < max_per_slice)
      fill->endpoints.push_back(pop());
    if (!fill->metadata.name.empty()) {
      std::string name = fill->metadata.name;
      to_update.emplace(name, std::move(*fill));
    } else {
      out.to_create.push_back(std::move(*fill));
    }
  }
  for (auto& [name, s] : to_update) out.to_update.push_back(std::move(s));
}

void reconcileAddressType(const api::Service& svc, const std::vector<PodPtr>& pods,
                          const std::vector<SlicePtr>& existing,
                          const std::map<std::string, std::string>& node_zones,
                          const std::string& address_type, size_t max_per_slice,
                          std::optional<Clock::WallTime> trigger_time, EndpointSliceChanges& all) {
  EndpointSliceChanges out;
  std::map<std::string, std::vector<SlicePtr>> existing_by_ports;
  for (const auto& slice : existing) {
    if (ownedBy(*slice, svc)) {
      existing_by_ports[portsKey(slice->ports)].push_back(slice);
    } else {
      out.to_delete.push_back(slice);
    }
  }
  std::map<std::string, DesiredSet> desired_by_ports;
  std::map<std::string, std::vector<api::EndpointSlicePort>> ports_by_key;
  std::vector<PodPtr> sorted = pods;
  std::sort(sorted.begin(), sorted.end(),
            [](const PodPtr& a, const PodPtr& b) { return a->metadata.name < b->metadata.name; });
  for (const auto& pod : sorted) {
    if (!shouldPodBeInEndpoints(*pod, true)) continue;
    std::vector<api::EndpointSlicePort> ports = endpointPortsFor(svc, *pod);
    std::string key = portsKey(ports);
    DesiredSet& desired = desired_by_ports[key];
    ports_by_key.emplace(key, ports);
    std::string zone;
    if (auto it = node_zones.find(pod->spec.node_name); it != node_zones.end()) zone = it->second;
    api::Endpoint ep = podToEndpoint(*pod, svc, address_type, zone);
    if (!ep.addresses.empty()) desired.emplace(endpointKey(ep), std::move(ep));
  }
  for (auto& [key, desired] : desired_by_ports) {
    reconcilePortSet(svc, existing_by_ports[key], std::move(desired), ports_by_key[key],
                     address_type, max_per_slice, out);
  }
  for (const auto& [key, slices] : existing_by_ports) {
    if (desired_by_ports.count(key)) continue;
    for (const auto& s : slices) out.to_delete.push_back(s);
  }
  // No endpoints at all: keep (or make) one placeholder slice.
  if (existing.size() == out.to_delete.size() && out.to_create.empty()) {
    api::EndpointSlice placeholder = newSlice(svc, {}, address_type);
    if (out.to_delete.size() == 1 && isSamePlaceholder(*out.to_delete[0], placeholder)) {
      out.to_delete.clear();
    } else {
      out.to_create.push_back(std::move(placeholder));
    }
  }
  // A create becomes an update of a slice that would be deleted.
  for (size_t i = 0; i < out.to_delete.size() && !out.to_create.empty();) {
    const api::EndpointSlice& old = *out.to_delete[i];
    if (old.address_type == address_type && ownedBy(old, svc)) {
      api::EndpointSlice reused = std::move(out.to_create.back());
      out.to_create.pop_back();
      reused.metadata.name = old.metadata.name;
      reused.metadata.generate_name = old.metadata.generate_name;
      reused.metadata.uid = old.metadata.uid;
      reused.metadata.resource_version = old.metadata.resource_version;
      reused.metadata.creation_timestamp = old.metadata.creation_timestamp;
      reused.metadata.generation = old.metadata.generation;
      reused.metadata.annotations = old.metadata.annotations;
      out.to_update.push_back(std::move(reused));
      out.to_delete.erase(out.to_delete.begin() + static_cast<std::ptrdiff_t>(i));
    } else {
      ++i;
    }
  }
  for (auto& s : out.to_create) setTriggerTime(s, trigger_time);
  for (auto& s : out.to_update) setTriggerTime(s, trigger_time);
  for (auto& s : out.to_create) all.to_create.push_back(std::move(s));
  for (auto& s : out.to_update) all.to_update.push_back(std::move(s));
  for (auto& s : out.to_delete) all.to_delete.push_back(std::move(s));
}

std::string serviceKeyOfSlice(const api::EndpointSlice& slice) {
  auto it = slice.metadata.labels.find(api::kLabelServiceName);
  if (it == slice.metadata.labels.end() || it->second.empty()) return "";
  return slice.metadata.namespace_ + "/" + it->second;
}

bool isManagedSlice(const api::EndpointSlice& slice) {
  auto it = slice.metadata.labels.find(api::kLabelManagedBy);
  return it != slice.metadata.labels.end() && it->second == kEndpointSliceControllerName;
}

int64_t rvNumber(const std::string& rv) {
  try {
    return rv.empty() ? 0 : std::stoll(rv);
  } catch (const std::exception&) {
    return 0;
  }
}

}  // namespace

api::Endpoint podToEndpoint(const api::Pod& pod, const api::Service& svc,
                            const std::string& address_type, const std::string& zone) {
  const bool serving = isPodReady(pod);
  const bool terminating = !pod.metadata.deletion_timestamp.empty();
  const bool ready =
      svc.spec.publish_not_ready_addresses.value_or(false) || (serving && !terminating);
  api::Endpoint ep;
  ep.addresses = podIpsOfFamily(pod, address_type);
  ep.conditions.ready = ready;
  ep.conditions.serving = serving;
  ep.conditions.terminating = terminating;
  api::ObjectReference ref;
  ref.kind = "Pod";
  ref.namespace_ = pod.metadata.namespace_;
  ref.name = pod.metadata.name;
  ref.uid = pod.metadata.uid;
  ep.target_ref = ref;
  if (!pod.spec.node_name.empty()) ep.node_name = pod.spec.node_name;
  if (!zone.empty()) ep.zone = zone;
  if (shouldSetHostname(pod, svc)) ep.hostname = pod.spec.hostname;
  return ep;
}

std::vector<api::EndpointSlicePort> endpointPortsFor(const api::Service& svc, const api::Pod& pod) {
  std::vector<api::EndpointSlicePort> out;
  if (svc.spec.ports.empty() && svc.spec.cluster_ip == "None") return out;
  for (const auto& sp : svc.spec.ports) {
    std::optional<int32_t> number = findPort(pod, sp);
    if (!number) continue;
    api::EndpointSlicePort p;
    p.name = sp.name;
    p.protocol = sp.protocol.empty() ? "TCP" : sp.protocol;
    p.port = *number;
    if (!sp.app_protocol.empty()) p.app_protocol = sp.app_protocol;
    out.push_back(std::move(p));
  }
  return out;
}

EndpointSliceChanges computeEndpointSliceChanges(
    const api::Service& svc, const std::vector<PodPtr>& pods, const std::vector<SlicePtr>& existing,
    const std::map<std::string, std::string>& node_zones, size_t max_per_slice,
    std::optional<Clock::WallTime> trigger_time) {
  EndpointSliceChanges changes;
  if (max_per_slice == 0) max_per_slice = 1;
  std::set<std::string> types = addressTypesFor(svc);
  std::map<std::string, std::vector<SlicePtr>> by_type;
  for (const auto& slice : existing) {
    if (!types.count(slice->address_type)) {
      changes.to_delete.push_back(slice);
    } else {
      by_type[slice->address_type].push_back(slice);
    }
  }
  for (const auto& type : types) {
    reconcileAddressType(svc, pods, by_type[type], node_zones, type, max_per_slice, trigger_time,
                         changes);
  }
  return changes;
}

// ---- Tracker ----

void EndpointSliceController::Tracker::written(const std::string& service, const std::string& uid,
                                               const std::string& rv) {
  std::lock_guard lock(mu_);
  expected_[service][uid] = rvNumber(rv);
}

void EndpointSliceController::Tracker::deleted(const std::string& service, const std::string& uid) {
  std::lock_guard lock(mu_);
  expected_[service][uid] = kDeletionExpected;
}

bool EndpointSliceController::Tracker::stale(const std::string& service,
                                             const std::vector<SlicePtr>& cached) const {
  std::lock_guard lock(mu_);
  auto it = expected_.find(service);
  if (it == expected_.end()) return false;
  std::set<std::string> present;
  for (const auto& slice : cached) {
    present.insert(slice->metadata.uid);
    auto e = it->second.find(slice->metadata.uid);
    if (e == it->second.end()) continue;
    if (e->second == kDeletionExpected || e->second > rvNumber(slice->metadata.resource_version))
      return true;
  }
  for (const auto& [uid, rv] : it->second) {
    if (rv != kDeletionExpected && !present.count(uid)) return true;
  }
  return false;
}

bool EndpointSliceController::Tracker::shouldSync(const api::EndpointSlice& slice) const {
  std::lock_guard lock(mu_);
  auto it = expected_.find(serviceKeyOfSlice(slice));
  if (it == expected_.end()) return true;
  auto e = it->second.find(slice.metadata.uid);
  return e == it->second.end() || e->second != rvNumber(slice.metadata.resource_version);
}

bool EndpointSliceController::Tracker::handleDeletion(const api::EndpointSlice& slice) {
  std::lock_guard lock(mu_);
  auto it = expected_.find(serviceKeyOfSlice(slice));
  if (it == expected_.end()) return false;
  auto e = it->second.find(slice.metadata.uid);
  if (e == it->second.end()) return false;
  bool expected = e->second == kDeletionExpected;
  it->second.erase(e);
  if (it->second.empty()) expected_.erase(it);
  return expected;
}

void EndpointSliceController::Tracker::forgetService(const std::string& service) {
  std::lock_guard lock(mu_);
  expected_.erase(service);
}

// ---- controller ----

EndpointSliceController::EndpointSliceController(
    client::Client& client, const client::ObjectCache<api::Service>& services,
    const client::ObjectCache<api::Pod>& pods,
    const client::ObjectCache<api::EndpointSlice>& slices,
    const client::ObjectCache<api::Node>* nodes, EndpointSliceOptions options, Clock& clock)
    : client_(client),
      options_(options),
      slices_resource_(api::findResource("discovery.k8s.io", "v1", "endpointslices")),
      services_(services),
      pods_(pods),
      slices_(slices),
      queue_(clock),
      loop_("endpointslice", queue_, [this](const std::string& key) { return sync(key); }) {
  if (nodes) nodes_.emplace(*nodes);
}

EndpointSliceController::EndpointSliceController(client::Client& client,
                                                 client::SharedInformerFactory& informers,
                                                 EndpointSliceOptions options, Clock& clock)
    : EndpointSliceController(
          client,
          informers.informerFor<api::Service>(*api::findResource("", "v1", "services")).cache(),
          informers.informerFor<api::Pod>(*api::findResource("", "v1", "pods")).cache(),
          informers
              .informerFor<api::EndpointSlice>(
                  *api::findResource("discovery.k8s.io", "v1", "endpointslices"))
              .cache(),
          &informers.informerFor<api::Node>(*api::findResource("", "v1", "nodes")).cache(), options,
          clock) {
  auto& services = informers.informerFor<api::Service>(*api::findResource("", "v1", "services"));
  auto& pods = informers.informerFor<api::Pod>(*api::findResource("", "v1", "pods"));
  auto& slices = informers.informerFor<api::EndpointSlice>(*slices_resource_);
  auto& nodes = informers.informerFor<api::Node>(*api::findResource("", "v1", "nodes"));
  informers_ = {&services, &pods, &slices, &nodes};
  registerHandlers(services, pods, slices);
}

EndpointSliceController::~EndpointSliceController() {
  stop();
}

void EndpointSliceController::registerHandlers(client::Informer<api::Service>& services,
                                               client::Informer<api::Pod>& pods,
                                               client::Informer<api::EndpointSlice>& slices) {
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
  slices.addHandler({
      .on_add = [this](const SlicePtr& slice) { onSliceChanged(nullptr, slice); },
      .on_update = [this](const SlicePtr& old_slice,
                          const SlicePtr& slice) { onSliceChanged(old_slice, slice); },
      .on_delete = [this](const SlicePtr& slice) { onSliceDeleted(slice); },
  });
}

Status EndpointSliceController::run(int workers, std::chrono::milliseconds sync_timeout) {
  return loop_.run(workers, informers_, sync_timeout);
}

void EndpointSliceController::stop() {
  loop_.stop();
}

void EndpointSliceController::onService(const ServicePtr& svc) {
  queue_.add(keyOf(svc->metadata));
}

void EndpointSliceController::onPodAdded(const PodPtr& pod) {
  for (const auto& key : podServiceMemberships(services_, *pod)) queue_.add(key);
}

void EndpointSliceController::onPodUpdated(const PodPtr& old_pod, const PodPtr& pod) {
  for (const auto& key : servicesToUpdateOnPodChange(services_, *old_pod, *pod)) queue_.add(key);
}

void EndpointSliceController::onPodDeleted(const PodPtr& pod) {
  onPodAdded(pod);
}

void EndpointSliceController::enqueueSliceService(const api::EndpointSlice& slice) {
  std::string key = serviceKeyOfSlice(slice);
  if (!key.empty()) queue_.add(key);
}

void EndpointSliceController::onSliceChanged(const SlicePtr& old_slice, const SlicePtr& slice) {
  if (old_slice && serviceKeyOfSlice(*old_slice) != serviceKeyOfSlice(*slice)) {
    enqueueSliceService(*old_slice);
    enqueueSliceService(*slice);
    return;
  }
  if (old_slice && isManagedSlice(*old_slice) && !isManagedSlice(*slice)) {
    enqueueSliceService(*slice);  // taken over by someone else: ours is missing now
    return;
  }
  if (isManagedSlice(*slice) && tracker_.shouldSync(*slice)) enqueueSliceService(*slice);
}

void EndpointSliceController::onSliceDeleted(const SlicePtr& slice) {
  if (!isManagedSlice(*slice)) return;
  if (!tracker_.handleDeletion(*slice)) enqueueSliceService(*slice);
}

std::vector<SlicePtr> EndpointSliceController::managedSlices(const std::string& ns,
                                                             const std::string& name) const {
  std::vector<SlicePtr> out;
  for (auto& slice : slices_.listNamespace(ns)) {
    auto it = slice->metadata.labels.find(api::kLabelServiceName);
    if (it == slice->metadata.labels.end() || it->second != name || !isManagedSlice(*slice))
      continue;
    if (!slice->metadata.deletion_timestamp.empty()) continue;
    out.push_back(std::move(slice));
  }
  return out;
}

Status EndpointSliceController::deleteSlices(const std::string& service_key,
                                             const std::vector<SlicePtr>& slices) {
  Status first;
  for (const auto& slice : slices) {
    client::DeleteOptions opts;
    opts.precondition_uid = slice->metadata.uid;
    auto gone =
        client_.remove(*slices_resource_, slice->metadata.namespace_, slice->metadata.name, opts);
    if (gone.isOk() || gone.status().code() == Code::kNotFound) {
      tracker_.deleted(service_key, slice->metadata.uid);
    } else if (first.isOk()) {
      first = gone.status();
    }
  }
  return first;
}

Status EndpointSliceController::apply(const std::string& service_key,
                                      const EndpointSliceChanges& changes) {
  Status first;
  auto keep = [&](const Status& s) {
    if (!s.isOk() && first.isOk()) first = s;
  };
  for (const auto& slice : changes.to_create) {
    auto made = client_.create(*slices_resource_, slice.metadata.namespace_, api::toJson(slice));
    if (!made.isOk()) {
      keep(made.status());
      continue;
    }
    tracker_.written(service_key, (*made)["metadata"].value("uid", ""),
                     client::resourceVersionOf(*made));
  }
  for (const auto& slice : changes.to_update) {
    auto written = client_.update(*slices_resource_, slice.metadata.namespace_, api::toJson(slice));
    if (!written.isOk()) {
      keep(written.status());
      continue;
    }
    tracker_.written(service_key, (*written)["metadata"].value("uid", ""),
                     client::resourceVersionOf(*written));
  }
  keep(deleteSlices(service_key, changes.to_delete));
  return first;
}

Status EndpointSliceController::sync(const std::string& key) {
  size_t slash = key.find('/');
  if (slash == std::string::npos) return Status::ok();
  const std::string ns = key.substr(0, slash), name = key.substr(slash + 1);
  ServicePtr svc = services_.get(ns, name);
  if (!svc) {
    // Gone: the garbage collector would take the slices it owned; do not wait for it.
    Status s = deleteSlices(key, managedSlices(ns, name));
    if (s.isOk()) {
      tracker_.forgetService(key);
      trigger_times_.deleteService(key);
    }
    return s;
  }
  if (!serviceHasSelector(*svc)) return Status::ok();  // endpoints are someone else's
  if (!svc->metadata.deletion_timestamp.empty()) return Status::ok();
  std::vector<PodPtr> pods = pods_.listNamespace(ns, serviceSelector(*svc));
  std::vector<SlicePtr> slices = managedSlices(ns, name);
  if (tracker_.stale(key, slices)) {
    return Status(Code::kConflict,
                  "EndpointSlice informer cache is out of date for service " + key);
  }
  std::optional<Clock::WallTime> trigger = trigger_times_.compute(*svc, pods);
  std::map<std::string, std::string> zones;
  if (nodes_) {
    for (const auto& node : nodes_->list()) {
      auto it = node->metadata.labels.find(kZoneLabel);
      if (it != node->metadata.labels.end() && !it->second.empty())
        zones[node->metadata.name] = it->second;
    }
  }
  EndpointSliceChanges changes = computeEndpointSliceChanges(
      *svc, pods, slices, zones, static_cast<size_t>(std::max(1, options_.max_endpoints_per_slice)),
      trigger);
  if (changes.empty()) return Status::ok();
  log::debug("endpointslice {}: {} to create, {} to update, {} to delete", key,
             changes.to_create.size(), changes.to_update.size(), changes.to_delete.size());
  return apply(key, changes);
}

}  // namespace minik8s::controller
