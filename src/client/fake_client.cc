#include "client/fake_client.h"

#include <algorithm>
#include <cstdlib>
#include <iomanip>
#include <sstream>

#include "api/selector.h"

namespace minik8s::client {

using nlohmann::json;

namespace {

std::string trackerKey(const api::ResourceInfo& resource) {
  return resource.group + "/" + resource.plural;
}

std::string objectKeyIn(const api::ResourceInfo& resource, std::string_view ns,
                        std::string_view name) {
  return resource.namespaced ? std::string(ns) + "/" + std::string(name) : std::string(name);
}

const json* fieldAt(const json& object, std::string_view path) {
  const json* at = &object;
  while (!path.empty()) {
    size_t dot = path.find('.');
    std::string part(path.substr(0, dot));
    if (!at->is_object() || !at->contains(part)) return nullptr;
    at = &(*at)[part];
    path = dot == std::string_view::npos ? "" : path.substr(dot + 1);
  }
  return at;
}

// `a=b,c!=d` over the object's fields (absent fields read as "").
bool fieldSelectorMatches(std::string_view selector, const json& object) {
  while (!selector.empty()) {
    size_t comma = selector.find(',');
    std::string_view term = selector.substr(0, comma);
    selector = comma == std::string_view::npos ? "" : selector.substr(comma + 1);
    bool negate = false;
    size_t op = term.find("!=");
    size_t value_at;
    if (op != std::string_view::npos) {
      negate = true;
      value_at = op + 2;
    } else {
      op = term.find('=');
      if (op == std::string_view::npos) continue;
      value_at = term.compare(op, 2, "==") == 0 ? op + 2 : op + 1;
    }
    const json* field = fieldAt(object, term.substr(0, op));
    std::string actual;
    if (field && field->is_string()) actual = field->get<std::string>();
    else if (field && !field->is_null()) actual = field->dump();
    if ((actual == term.substr(value_at)) == negate) return false;
  }
  return true;
}

bool matches(const api::ResourceInfo& resource, std::string_view ns, const ListOptions& options,
             const json& object) {
  if (resource.namespaced && !ns.empty() &&
      object["metadata"].value("namespace", std::string()) != ns) {
    return false;
  }
  if (!options.label_selector.empty()) {
    auto selector = api::LabelSelector::parse(options.label_selector);
    if (!selector.isOk() || !selector.value().matchesObject(object)) return false;
  }
  return fieldSelectorMatches(options.field_selector, object);
}

// The object without metadata and status: what a generation counts changes of.
json specPart(json object) {
  if (object.is_object()) {
    object.erase("metadata");
    object.erase("status");
  }
  return object;
}

// The subresources that write an object's status only: status, and a CSR's approval (its
// Approved/Denied conditions live in status).
bool writesOnlyStatus(std::string_view subresource) {
  return subresource == "status" || subresource == "approval";
}

}  // namespace

std::string Action::summary() const {
  return verb + " " + resource + (subresource.empty() ? "" : "/" + subresource);
}

void FakeClient::add(const api::ResourceInfo& resource, json object) {
  std::lock_guard lock(mu_);
  fillLocked(resource, object);
  const json& meta = object["metadata"];
  std::string key = objectKeyIn(resource, meta.value("namespace", std::string()),
                                meta.value("name", std::string()));
  objects_[trackerKey(resource)][key] = object;
  changedLocked(resource, "ADDED", object);
}

std::optional<json> FakeClient::object(const api::ResourceInfo& resource, std::string_view ns,
                                       std::string_view name) const {
  std::lock_guard lock(mu_);
  auto r = objects_.find(trackerKey(resource));
  if (r == objects_.end()) return std::nullopt;
  auto it = r->second.find(objectKeyIn(resource, ns, name));
  if (it == r->second.end()) return std::nullopt;
  return it->second;
}

std::vector<json> FakeClient::objects(const api::ResourceInfo& resource) const {
  std::lock_guard lock(mu_);
  std::vector<json> out;
  auto r = objects_.find(trackerKey(resource));
  if (r == objects_.end()) return out;
  for (const auto& [key, object] : r->second) out.push_back(object);
  return out;
}

std::vector<Action> FakeClient::actions() const {
  std::lock_guard lock(mu_);
  return actions_;
}

std::vector<Action> FakeClient::writes() const {
  std::vector<Action> out;
  for (auto& a : actions()) {
    if (a.verb != "get" && a.verb != "list" && a.verb != "watch") out.push_back(std::move(a));
  }
  return out;
}

void FakeClient::clearActions() {
  std::lock_guard lock(mu_);
  actions_.clear();
}

void FakeClient::failNext(const std::string& verb, const std::string& resource, Status status,
                          int times) {
  std::lock_guard lock(mu_);
  failures_[verb + " " + resource] = {std::move(status), times};
}

Status FakeClient::recordLocked(Action action) {
  std::string failure_key = action.verb + " " + action.resource;
  actions_.push_back(std::move(action));
  auto it = failures_.find(failure_key);
  if (it == failures_.end()) return Status::ok();
  Status s = it->second.first;
  if (--it->second.second <= 0) failures_.erase(it);
  return s;
}

json& FakeClient::fillLocked(const api::ResourceInfo& resource, json& object) {
  json& meta = object["metadata"];
  if (!meta.is_object()) meta = json::object();
  if (meta.value("name", std::string()).empty()) {
    std::ostringstream suffix;
    suffix << std::setw(5) << std::setfill('0') << ++names_;
    meta["name"] = meta.value("generateName", std::string()) + suffix.str();
  }
  if (!resource.namespaced) meta.erase("namespace");
  if (meta.value("uid", std::string()).empty()) meta["uid"] = "fake-uid-" + std::to_string(++uids_);
  if (meta.value("creationTimestamp", std::string()).empty())
    meta["creationTimestamp"] = formatRfc3339(clock_.now());
  meta["resourceVersion"] = std::to_string(++rv_);
  if (!meta.contains("generation")) meta["generation"] = 1;
  if (!object.contains("apiVersion")) {
    object["apiVersion"] = resource.group.empty() ? resource.version
                                                  : resource.group + "/" + resource.version;
  }
  if (!object.contains("kind")) object["kind"] = resource.kind;
  return object;
}

void FakeClient::changedLocked(const api::ResourceInfo& resource, const std::string& type,
                               const json& object) {
  changes_.push_back({rv_, trackerKey(resource), {type, object}});
  changed_cv_.notify_all();
}

Result<json> FakeClient::get(const api::ResourceInfo& resource, std::string_view ns,
                             std::string_view name) {
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(recordLocked({"get", resource.plural, std::string(ns), std::string(name), "", {}}));
  auto& items = objects_[trackerKey(resource)];
  auto it = items.find(objectKeyIn(resource, ns, name));
  if (it == items.end()) return notFound(resource.plural + " \"" + std::string(name) + "\" not found");
  return it->second;
}

Result<json> FakeClient::list(const api::ResourceInfo& resource, std::string_view ns,
                              const ListOptions& options) {
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(recordLocked({"list", resource.plural, std::string(ns), "", "", {}}));
  json list = {{"apiVersion", resource.group.empty() ? resource.version
                                                     : resource.group + "/" + resource.version},
               {"kind", resource.kind + "List"},
               {"metadata", {{"resourceVersion", std::to_string(rv_)}}},
               {"items", json::array()}};
  for (const auto& [key, object] : objects_[trackerKey(resource)]) {
    if (matches(resource, ns, options, object)) list["items"].push_back(object);
  }
  return list;
}

Result<json> FakeClient::create(const api::ResourceInfo& resource, std::string_view ns,
                                const json& object) {
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(recordLocked({"create", resource.plural, std::string(ns), "", "", object}));
  if (!object.is_object()) return badRequest("the object is not a JSON object");
  json stored = object;
  if (resource.namespaced) stored["metadata"]["namespace"] = std::string(ns);
  stored["metadata"].erase("resourceVersion");
  fillLocked(resource, stored);
  std::string name = stored["metadata"]["name"];
  auto& items = objects_[trackerKey(resource)];
  std::string key = objectKeyIn(resource, ns, name);
  if (items.count(key)) {
    return alreadyExists(resource.plural + " \"" + name + "\" already exists");
  }
  items[key] = stored;
  changedLocked(resource, "ADDED", stored);
  return stored;
}

Result<json> FakeClient::createSubresource(const api::ResourceInfo& resource, std::string_view ns,
                                           std::string_view name, std::string_view subresource,
                                           const json& object) {
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(recordLocked({"create", resource.plural, std::string(ns), std::string(name),
                                std::string(subresource), object}));
  auto& items = objects_[trackerKey(resource)];
  auto it = items.find(objectKeyIn(resource, ns, name));
  if (it == items.end()) return notFound(resource.plural + " \"" + std::string(name) + "\" not found");
  if (subresource == "binding") {
    json updated = it->second;
    if (!updated["spec"].value("nodeName", std::string()).empty()) {
      return conflict("pod " + std::string(name) + " is already assigned to a node");
    }
    updated["spec"]["nodeName"] = object["target"].value("name", std::string());
    return storeUpdateLocked(resource, it->first, std::move(updated), false);
  }
  return json{{"kind", "Status"}, {"status", "Success"}};
}

Result<json> FakeClient::storeUpdateLocked(const api::ResourceInfo& resource, const std::string& key,
                                           json updated, bool status_only) {
  auto& items = objects_[trackerKey(resource)];
  auto it = items.find(key);
  if (it == items.end()) return notFound(resource.plural + " \"" + key + "\" not found");
  json& stored = it->second;
  std::string sent_rv = updated["metadata"].value("resourceVersion", std::string());
  if (!sent_rv.empty() && sent_rv != stored["metadata"].value("resourceVersion", std::string())) {
    return conflict("Operation cannot be fulfilled on " + resource.plural + " \"" + key +
                    "\": the object has been modified; please apply your changes to the latest "
                    "version and try again");
  }
  json next;
  if (status_only) {
    next = stored;
    if (updated.contains("status")) next["status"] = updated["status"];
  } else {
    next = updated;
    if (stored.contains("status")) next["status"] = stored["status"];
    else next.erase("status");
    for (const char* field : {"uid", "creationTimestamp", "namespace", "name"}) {
      if (stored["metadata"].contains(field)) next["metadata"][field] = stored["metadata"][field];
    }
    if (stored["metadata"].contains("deletionTimestamp"))
      next["metadata"]["deletionTimestamp"] = stored["metadata"]["deletionTimestamp"];
    int64_t generation = stored["metadata"].value("generation", int64_t{1});
    if (specPart(next) != specPart(stored)) ++generation;
    next["metadata"]["generation"] = generation;
  }
  next["metadata"]["resourceVersion"] = std::to_string(++rv_);
  // A deletion waits for the finalizers: the update that removes the last one deletes. A
  // namespace also waits for its spec.finalizers (namespaces/{name}/finalize).
  if (next["metadata"].contains("deletionTimestamp") &&
      next["metadata"].value("finalizers", json::array()).empty() &&
      (resource.plural != "namespaces" ||
       next.value("spec", json::object()).value("finalizers", json::array()).empty())) {
    items.erase(it);
    changedLocked(resource, "DELETED", next);
    return next;
  }
  stored = next;
  changedLocked(resource, "MODIFIED", stored);
  return stored;
}

Result<json> FakeClient::update(const api::ResourceInfo& resource, std::string_view ns,
                                const json& object, std::string_view subresource) {
  std::lock_guard lock(mu_);
  std::string name = object.is_object() && object.contains("metadata")
                         ? object["metadata"].value("name", std::string())
                         : std::string();
  RETURN_IF_ERROR(recordLocked(
      {"update", resource.plural, std::string(ns), name, std::string(subresource), object}));
  if (name.empty()) return badRequest("update: the object has no metadata.name");
  return storeUpdateLocked(resource, objectKeyIn(resource, ns, name), object,
                           writesOnlyStatus(subresource));
}

Result<json> FakeClient::patch(const api::ResourceInfo& resource, std::string_view ns,
                               std::string_view name, PatchType type, std::string_view body,
                               const PatchOptions& options) {
  std::lock_guard lock(mu_);
  json patch = json::parse(body, nullptr, /*allow_exceptions=*/false);
  RETURN_IF_ERROR(recordLocked({"patch", resource.plural, std::string(ns), std::string(name),
                                options.subresource, patch}));
  if (patch.is_discarded()) return badRequest("the patch is not JSON");
  auto& items = objects_[trackerKey(resource)];
  std::string key = objectKeyIn(resource, ns, name);
  auto it = items.find(key);
  if (it == items.end()) return notFound(resource.plural + " \"" + std::string(name) + "\" not found");
  json patched = it->second;
  switch (type) {
    case PatchType::kJson:
      try {
        patched = patched.patch(patch);
      } catch (const json::exception& e) {
        return invalid(std::string("the JSON patch does not apply: ") + e.what());
      }
      break;
    case PatchType::kMerge:
    case PatchType::kStrategicMerge:
      patched.merge_patch(patch);
      break;
    case PatchType::kApply:
      return badRequest("the fake client does not do server-side apply");
  }
  if (!patch.is_object() || !patch.contains("metadata") ||
      !patch["metadata"].contains("resourceVersion")) {
    patched["metadata"]["resourceVersion"] = it->second["metadata"]["resourceVersion"];
  }
  return storeUpdateLocked(resource, key, std::move(patched),
                           writesOnlyStatus(options.subresource));
}

Result<json> FakeClient::deleteLocked(const api::ResourceInfo& resource, const std::string& key,
                                      const DeleteOptions& options) {
  auto& items = objects_[trackerKey(resource)];
  auto it = items.find(key);
  if (it == items.end()) return notFound(resource.plural + " \"" + key + "\" not found");
  json& stored = it->second;
  if (!options.precondition_uid.empty() &&
      options.precondition_uid != stored["metadata"].value("uid", std::string())) {
    return conflict("Precondition failed: UID in precondition: " + options.precondition_uid +
                    ", UID in object meta: " + stored["metadata"].value("uid", std::string()));
  }
  json finalizers = stored["metadata"].value("finalizers", json::array());
  if (options.propagation_policy == "Foreground" || options.propagation_policy == "Orphan") {
    std::string finalizer =
        options.propagation_policy == "Foreground" ? "foregroundDeletion" : "orphan";
    if (std::find(finalizers.begin(), finalizers.end(), finalizer) == finalizers.end())
      finalizers.push_back(finalizer);
  }
  if (!finalizers.empty()) {
    stored["metadata"]["finalizers"] = finalizers;
    if (!stored["metadata"].contains("deletionTimestamp"))
      stored["metadata"]["deletionTimestamp"] = formatRfc3339(clock_.now());
    stored["metadata"]["resourceVersion"] = std::to_string(++rv_);
    changedLocked(resource, "MODIFIED", stored);
    return stored;
  }
  json gone = std::move(stored);
  items.erase(it);
  ++rv_;
  gone["metadata"]["resourceVersion"] = std::to_string(rv_);
  changedLocked(resource, "DELETED", gone);
  return gone;
}

Result<json> FakeClient::remove(const api::ResourceInfo& resource, std::string_view ns,
                                std::string_view name, const DeleteOptions& options) {
  std::lock_guard lock(mu_);
  json sent = json::object();
  if (!options.propagation_policy.empty()) sent["propagationPolicy"] = options.propagation_policy;
  if (options.grace_period_seconds) sent["gracePeriodSeconds"] = *options.grace_period_seconds;
  if (!options.precondition_uid.empty()) sent["preconditions"] = {{"uid", options.precondition_uid}};
  RETURN_IF_ERROR(
      recordLocked({"delete", resource.plural, std::string(ns), std::string(name), "", sent}));
  return deleteLocked(resource, objectKeyIn(resource, ns, name), options);
}

Status FakeClient::watch(const api::ResourceInfo& resource, std::string_view ns,
                         const ListOptions& options,
                         const std::function<bool(const WatchEvent&)>& on_event,
                         std::stop_token stop) {
  std::unique_lock lock(mu_);
  RETURN_IF_ERROR(recordLocked({"watch", resource.plural, std::string(ns), "", "", {}}));
  int64_t from = options.resource_version.empty()
                     ? rv_
                     : std::strtoll(options.resource_version.c_str(), nullptr, 10);
  size_t next = 0;
  while (next < changes_.size() && changes_[next].rv <= from) ++next;
  const std::string tracker_key = trackerKey(resource);
  while (!stop.stop_requested()) {
    std::vector<WatchEvent> due;
    for (; next < changes_.size(); ++next) {
      const Change& change = changes_[next];
      if (change.resource == tracker_key && matches(resource, ns, options, change.event.object))
        due.push_back(change.event);
    }
    lock.unlock();
    for (const auto& event : due) {
      if (!on_event(event)) return Status::ok();
    }
    lock.lock();
    changed_cv_.wait(lock, stop, [&] { return next < changes_.size(); });
  }
  return Status::ok();
}

}  // namespace minik8s::client
