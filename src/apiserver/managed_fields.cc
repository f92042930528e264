#include "apiserver/managed_fields.h"

#include <algorithm>
#include <optional>

#include "api/json_input.h"

namespace minik8s::apiserver {

using nlohmann::json;

namespace {

bool startsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

std::string childPath(std::string_view path, std::string_view key) {
  return path.empty() ? std::string(key) : std::string(path) + "." + std::string(key);
}

void prune(FieldSet& set) {
  for (auto it = set.children.begin(); it != set.children.end();) {
    prune(it->second);
    if (it->second.empty()) {
      it = set.children.erase(it);
    } else {
      ++it;
    }
  }
}

// ---------------------------------------------------------------------------------------
// List shapes: the list-map keys Kubernetes declares (+listType=map, +listMapKey), as
// openapi.cc serves them, by path.

struct ShapeRule {
  std::string_view path;
  ListShape::Type type;
  std::vector<std::string_view> keys;
};

const json kTcp = "TCP";

const std::vector<ShapeRule>& commonRules() {
  static const std::vector<ShapeRule> rules = {
      {"metadata.finalizers", ListShape::Type::kSet, {}},
      {"metadata.ownerReferences", ListShape::Type::kMap, {"uid"}},
  };
  return rules;
}

const std::vector<ShapeRule>& podRules() {
  static const std::vector<ShapeRule> rules = {
      {"spec.volumes", ListShape::Type::kMap, {"name"}},
      {"spec.containers", ListShape::Type::kMap, {"name"}},
      {"spec.initContainers", ListShape::Type::kMap, {"name"}},
      {"spec.ephemeralContainers", ListShape::Type::kMap, {"name"}},
      {"spec.imagePullSecrets", ListShape::Type::kMap, {"name"}},
      {"spec.hostAliases", ListShape::Type::kMap, {"ip"}},
      {"spec.topologySpreadConstraints",
       ListShape::Type::kMap,
       {"topologyKey", "whenUnsatisfiable"}},
      {"spec.schedulingGates", ListShape::Type::kMap, {"name"}},
      {"spec.resourceClaims", ListShape::Type::kMap, {"name"}},
      {"status.podIPs", ListShape::Type::kMap, {"ip"}},
  };
  return rules;
}

const std::vector<ShapeRule>& containerRules() {
  static const std::vector<ShapeRule> rules = {
      {"ports", ListShape::Type::kMap, {"containerPort", "protocol"}},
      {"env", ListShape::Type::kMap, {"name"}},
      {"volumeMounts", ListShape::Type::kMap, {"mountPath"}},
      {"volumeDevices", ListShape::Type::kMap, {"devicePath"}},
  };
  return rules;
}

const ShapeRule* findShape(const std::vector<ShapeRule>& rules, std::string_view path) {
  for (const ShapeRule& r : rules) {
    if (r.path == path) return &r;
  }
  return nullptr;
}

ListShape shapeFrom(const ShapeRule& rule) {
  ListShape shape;
  shape.type = rule.type;
  for (std::string_view key : rule.keys) {
    // A port's protocol defaults to TCP (the schema's default, which kube-apiserver uses
    // for a key field the element leaves out).
    shape.keys.emplace_back(std::string(key), key == "protocol" ? kTcp : json());
  }
  return shape;
}

bool hasPodTemplate(std::string_view kind) {
  return kind == "Deployment" || kind == "ReplicaSet" || kind == "StatefulSet" ||
         kind == "DaemonSet" || kind == "Job" || kind == "ReplicationController" ||
         kind == "PodTemplate";
}

// ---------------------------------------------------------------------------------------
// Path elements

// "k:{...}" of a list-map element; nullopt when it lacks a key without a default.
std::optional<std::string> keyElement(const json& element, const ListShape& shape) {
  if (!element.is_object()) return std::nullopt;
  json key = json::object();
  for (const auto& [name, fallback] : shape.keys) {
    auto it = element.find(name);
    if (it != element.end() && !it->is_null()) {
      key[name] = *it;
    } else if (!fallback.is_null()) {
      key[name] = fallback;
    } else {
      return std::nullopt;
    }
  }
  return "k:" + key.dump();
}

std::string valueElement(const json& value) {
  return "v:" + value.dump();
}

// Whether every element of `list` has its path element (keyed or a primitive set member).
bool listIsKeyable(const json& list, const ListShape& shape) {
  if (shape.type == ListShape::Type::kAtomic) return false;
  for (const json& e : list) {
    if (shape.type == ListShape::Type::kMap && !keyElement(e, shape)) return false;
    if (shape.type == ListShape::Type::kSet && (e.is_object() || e.is_array())) return false;
  }
  return true;
}

std::string elementOf(const json& e, const ListShape& shape) {
  return shape.type == ListShape::Type::kMap ? *keyElement(e, shape) : valueElement(e);
}

// The value printed in a path (`"TCP"`, `80`).
std::string printValue(const json& v) {
  return v.dump();
}

std::string printElement(const std::string& element) {
  std::string_view rest(element);
  std::string_view prefix = rest.substr(0, 2);
  rest.remove_prefix(std::min<size_t>(2, rest.size()));
  if (prefix == "f:") return "." + std::string(rest);
  if (prefix == "i:") return "[" + std::string(rest) + "]";
  auto parsed = api::parseJson(rest);
  if (prefix == "v:") return "[=" + (parsed.isOk() ? printValue(*parsed) : std::string(rest)) + "]";
  if (prefix == "k:" && parsed.isOk() && parsed->is_object()) {
    std::string out = "[";
    bool first = true;
    for (auto it = parsed->begin(); it != parsed->end(); ++it) {
      if (!first) out += ",";
      first = false;
      out += it.key() + "=" + printValue(it.value());
    }
    return out + "]";
  }
  return "[" + std::string(rest) + "]";
}

void collectPaths(const FieldSet& set, const std::string& prefix, std::vector<std::string>& out) {
  if (set.member) out.push_back(prefix);
  for (const auto& [element, child] : set.children) {
    collectPaths(child, prefix + printElement(element), out);
  }
}

// ---------------------------------------------------------------------------------------
// Field sets of values

void fieldSetInto(const json& value, const std::string& path, std::string_view kind,
                  FieldSet& out) {
  if (value.is_object() && !value.empty()) {
    for (auto it = value.begin(); it != value.end(); ++it) {
      if (it.value().is_null()) continue;
      fieldSetInto(it.value(), childPath(path, it.key()), kind, out.children["f:" + it.key()]);
    }
    return;
  }
  out.member = true;
  if (!value.is_array()) return;
  ListShape shape = listShapeOf(kind, path);
  if (!listIsKeyable(value, shape)) return;  // atomic
  out.member = value.empty();
  for (const json& e : value) {
    FieldSet& child = out.children[elementOf(e, shape)];
    child.member = true;
    if (e.is_object()) {
      for (auto it = e.begin(); it != e.end(); ++it) {
        if (it.value().is_null()) continue;
        fieldSetInto(it.value(), childPath(path, it.key()), kind, child.children["f:" + it.key()]);
      }
    }
  }
}

// Every path of `value` including itself (a value that appeared or disappeared whole).
FieldSet wholeValue(const json& value, const std::string& path, std::string_view kind) {
  FieldSet set;
  fieldSetInto(value, path, kind, set);
  if (value.is_object() && value.empty()) set.member = true;
  prune(set);
  return set;
}

void compareInto(const json& before, const json& after, const std::string& path,
                 std::string_view kind, FieldSet& changed, FieldSet& removed) {
  if (before.is_object() && after.is_object() && !before.empty() && !after.empty()) {
    for (auto it = after.begin(); it != after.end(); ++it) {
      if (it.value().is_null()) continue;
      std::string element = "f:" + it.key();
      auto old = before.find(it.key());
      if (old == before.end() || old->is_null()) {
        changed.children[element] = wholeValue(it.value(), childPath(path, it.key()), kind);
      } else {
        compareInto(*old, it.value(), childPath(path, it.key()), kind, changed.children[element],
                    removed.children[element]);
      }
    }
    for (auto it = before.begin(); it != before.end(); ++it) {
      if (it.value().is_null()) continue;
      auto now = after.find(it.key());
      if (now == after.end() || now->is_null()) {
        removed.children["f:" + it.key()] = wholeValue(it.value(), childPath(path, it.key()), kind);
      }
    }
    return;
  }
  if (before.is_array() && after.is_array()) {
    ListShape shape = listShapeOf(kind, path);
    if (listIsKeyable(before, shape) && listIsKeyable(after, shape)) {
      std::map<std::string, const json*> old_items;
      for (const json& e : before) old_items.emplace(elementOf(e, shape), &e);
      std::map<std::string, const json*> new_items;
      for (const json& e : after) new_items.emplace(elementOf(e, shape), &e);
      for (const auto& [element, e] : new_items) {
        auto old = old_items.find(element);
        if (old == old_items.end()) {
          FieldSet whole;
          whole.member = true;
          if (e->is_object()) fieldSetInto(*e, path, kind, whole);
          whole.member = true;
          changed.children[element] = std::move(whole);
        } else if (*old->second != *e) {
          compareInto(*old->second, *e, path, kind, changed.children[element],
                      removed.children[element]);
        }
      }
      for (const auto& [element, e] : old_items) {
        if (new_items.count(element)) continue;
        FieldSet whole;
        if (e->is_object()) fieldSetInto(*e, path, kind, whole);
        whole.member = true;
        removed.children[element] = std::move(whole);
      }
      return;
    }
  }
  if (before == after) return;
  // Replaced whole: the new value is changed, what the old one had beyond it is removed.
  changed = unionOf(changed, wholeValue(after, path, kind));
  FieldSet old_set = wholeValue(before, path, kind);
  old_set.member = false;
  removed = unionOf(removed, differenceOf(old_set, changed));
}

// The index of the element of `list` named by `element`; -1 when none.
long findElement(const json& list, const std::string& element, const ListShape& shape) {
  for (size_t i = 0; i < list.size(); ++i) {
    if (startsWith(element, "k:")) {
      if (shape.type != ListShape::Type::kMap) return -1;
      auto key = keyElement(list[i], shape);
      if (key && *key == element) return static_cast<long>(i);
    } else if (startsWith(element, "v:")) {
      if (valueElement(list[i]) == element) return static_cast<long>(i);
    } else if (startsWith(element, "i:")) {
      return -1;  // positions are never owned here
    }
  }
  return -1;
}

void removeInto(json& node, const FieldSet& remove, const FieldSet* keep, const std::string& path,
                std::string_view kind) {
  for (const auto& [element, what] : remove.children) {
    const FieldSet* kept = nullptr;
    if (keep != nullptr) {
      auto k = keep->children.find(element);
      if (k != keep->children.end()) kept = &k->second;
    }
    bool kept_any = kept != nullptr && !kept->empty();
    json* target = nullptr;
    std::string target_path = path;
    long index = -1;
    if (startsWith(element, "f:")) {
      if (!node.is_object()) continue;
      auto it = node.find(element.substr(2));
      if (it == node.end()) continue;
      target = &*it;
      target_path = childPath(path, element.substr(2));
    } else {
      if (!node.is_array()) continue;
      index = findElement(node, element, listShapeOf(kind, path));
      if (index < 0) continue;
      target = &node[static_cast<size_t>(index)];
    }
    bool erase = what.member && !kept_any;
    if (!erase) {
      bool was_full = (target->is_object() || target->is_array()) && !target->empty();
      removeInto(*target, what, kept, target_path, kind);
      erase = was_full && target->empty() && !kept_any;
    }
    if (!erase) continue;
    if (index >= 0) {
      node.erase(static_cast<size_t>(index));
    } else {
      node.erase(element.substr(2));
    }
  }
}

// The parts of an object that managed fields track.
json trackedPart(const json& object, const FieldManagerOptions& options) {
  if (!object.is_object()) return json::object();
  json part = object;
  part.erase("apiVersion");
  part.erase("kind");
  if (auto md = part.find("metadata"); md != part.end()) {
    if (md->is_object()) {
      for (const char* key :
           {"name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp",
            "deletionTimestamp", "deletionGracePeriodSeconds", "managedFields", "selfLink"}) {
        md->erase(key);
      }
      if (md->empty()) part.erase("metadata");
    } else {
      part.erase("metadata");
    }
  }
  if (options.subresource == "status") {
    json only = json::object();
    if (part.contains("status")) only["status"] = part["status"];
    return only;
  }
  if (options.status_subresource) part.erase("status");
  return part;
}

json metadataOf(const json& object) {
  auto md = object.find("metadata");
  return md != object.end() && md->is_object() ? *md : json::object();
}

// kube-apiserver's decodeLiveOrNew: an undecodable or absent list counts as empty.
std::vector<ManagedFieldsEntry> entriesOf(const json& object) {
  json md = metadataOf(object);
  auto it = md.find("managedFields");
  if (it == md.end() || it->is_null()) return {};
  auto decoded = decodeManagedFields(*it);
  return decoded.isOk() ? std::move(decoded).value() : std::vector<ManagedFieldsEntry>();
}

bool isResetList(const json& object) {
  json md = metadataOf(object);
  auto it = md.find("managedFields");
  return it != md.end() && it->is_array() && it->size() == 1 && (*it)[0].is_object() &&
         (*it)[0].empty();
}

void writeEntries(json& object, std::vector<ManagedFieldsEntry> entries) {
  std::erase_if(entries, [](const ManagedFieldsEntry& e) { return e.fields.empty(); });
  if (!object.contains("metadata") || !object["metadata"].is_object()) {
    object["metadata"] = json::object();
  }
  if (entries.empty()) {
    object["metadata"].erase("managedFields");
  } else {
    object["metadata"]["managedFields"] = encodeManagedFields(entries);
  }
}

ManagedFieldsEntry& entryFor(std::vector<ManagedFieldsEntry>& entries,
                             const FieldManagerOptions& options, const std::string& operation) {
  for (ManagedFieldsEntry& e : entries) {
    if (e.manager == options.manager && e.operation == operation &&
        e.subresource == options.subresource) {
      return e;
    }
  }
  ManagedFieldsEntry e;
  e.manager = options.manager;
  e.operation = operation;
  e.subresource = options.subresource;
  entries.push_back(std::move(e));
  return entries.back();
}

// kube-apiserver's printManager.
std::string describeManager(const ManagedFieldsEntry& e) {
  std::string out = json(e.manager).dump();
  if (!e.subresource.empty()) out += " with subresource " + json(e.subresource).dump();
  if (e.operation == "Update") {
    out += " using " + e.api_version;
    if (!e.time.empty()) out += " at " + e.time;
  }
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Sets

bool FieldSet::empty() const {
  if (member) return false;
  for (const auto& [element, child] : children) {
    if (!child.empty()) return false;
  }
  return true;
}

FieldSet unionOf(const FieldSet& a, const FieldSet& b) {
  FieldSet out = a;
  out.member = a.member || b.member;
  for (const auto& [element, child] : b.children) {
    auto it = out.children.find(element);
    out.children[element] = it == out.children.end() ? child : unionOf(it->second, child);
  }
  prune(out);
  return out;
}

FieldSet intersectionOf(const FieldSet& a, const FieldSet& b) {
  FieldSet out;
  out.member = a.member && b.member;
  for (const auto& [element, child] : a.children) {
    auto it = b.children.find(element);
    if (it == b.children.end()) continue;
    FieldSet both = intersectionOf(child, it->second);
    if (!both.empty()) out.children.emplace(element, std::move(both));
  }
  return out;
}

FieldSet differenceOf(const FieldSet& a, const FieldSet& b) {
  FieldSet out;
  out.member = a.member && !b.member;
  for (const auto& [element, child] : a.children) {
    auto it = b.children.find(element);
    FieldSet rest = it == b.children.end() ? child : differenceOf(child, it->second);
    prune(rest);
    if (!rest.empty()) out.children.emplace(element, std::move(rest));
  }
  return out;
}

Result<FieldSet> decodeFieldsV1(const json& fields) {
  if (!fields.is_object()) return badRequest("fieldsV1 must be an object, got " + fields.dump());
  FieldSet set;
  for (auto it = fields.begin(); it != fields.end(); ++it) {
    const std::string& element = it.key();
    if (element == ".") {
      if (!it.value().is_object() || !it.value().empty()) {
        return badRequest("fieldsV1: \".\" must be {}");
      }
      set.member = true;
      continue;
    }
    std::string_view prefix = std::string_view(element).substr(0, 2);
    std::string rest = element.size() > 2 ? element.substr(2) : "";
    std::string canonical = element;
    if (prefix == "f:") {
      if (rest.empty()) return badRequest("fieldsV1: empty field name in \"" + element + "\"");
    } else if (prefix == "k:" || prefix == "v:") {
      auto parsed = api::parseJson(rest);
      if (!parsed.isOk()) {
        return badRequest("fieldsV1: \"" + element + "\" is not valid JSON after its prefix");
      }
      if (prefix == "k:" && (!parsed->is_object() || parsed->empty())) {
        return badRequest("fieldsV1: key \"" + element + "\" must be a non-empty object");
      }
      canonical = std::string(prefix) + parsed->dump();
    } else if (prefix == "i:") {
      if (rest.empty() ||
          !std::all_of(rest.begin(), rest.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return badRequest("fieldsV1: \"" + element + "\" is not an index");
      }
    } else {
      return badRequest("fieldsV1: unknown path element \"" + element + "\"");
    }
    ASSIGN_OR_RETURN(FieldSet child, decodeFieldsV1(it.value()));
    if (child.children.empty()) child.member = true;  // a leaf: {}
    FieldSet& slot = set.children[canonical];
    slot = unionOf(slot, child);
  }
  return set;
}

json encodeFieldsV1(const FieldSet& set) {
  json out = json::object();
  if (set.member && !set.children.empty()) out["."] = json::object();
  for (const auto& [element, child] : set.children) {
    if (child.empty()) continue;
    out[element] = encodeFieldsV1(child);
  }
  return out;
}

std::vector<std::string> pathStrings(const FieldSet& set) {
  std::vector<std::string> out;
  collectPaths(set, "", out);
  return out;
}

ListShape listShapeOf(std::string_view kind, std::string_view path) {
  if (const ShapeRule* r = findShape(commonRules(), path)) return shapeFrom(*r);
  bool pod_like = kind == "Pod";
  std::string_view rest = path;
  constexpr std::string_view kTemplate = "spec.template.";
  constexpr std::string_view kJobTemplate = "spec.jobTemplate.spec.template.";
  if (hasPodTemplate(kind) && startsWith(rest, kTemplate)) {
    rest.remove_prefix(kTemplate.size());
    pod_like = true;
  } else if (kind == "CronJob" && startsWith(rest, kJobTemplate)) {
    rest.remove_prefix(kJobTemplate.size());
    pod_like = true;
  }
  if (rest != path) {
    if (const ShapeRule* r = findShape(commonRules(), rest)) return shapeFrom(*r);
  }
  // Conditions are keyed by type wherever a status has them.
  if (startsWith(rest, "status.") && rest.ends_with(".conditions")) {
    return shapeFrom(ShapeRule{"", ListShape::Type::kMap, {"type"}});
  }
  if (rest == "status.conditions") return shapeFrom(ShapeRule{"", ListShape::Type::kMap, {"type"}});
  if (pod_like) {
    if (const ShapeRule* r = findShape(podRules(), rest)) return shapeFrom(*r);
    for (std::string_view list :
         {"spec.containers.", "spec.initContainers.", "spec.ephemeralContainers."}) {
      if (startsWith(rest, list)) {
        if (const ShapeRule* r = findShape(containerRules(), rest.substr(list.size()))) {
          return shapeFrom(*r);
        }
      }
    }
    return {};
  }
  if (kind == "Service" && path == "spec.ports") {
    return shapeFrom(ShapeRule{"", ListShape::Type::kMap, {"port", "protocol"}});
  }
  if (kind == "Node" && path == "status.addresses") {
    return shapeFrom(ShapeRule{"", ListShape::Type::kMap, {"type"}});
  }
  if (kind == "ServiceAccount" && path == "secrets") {
    return shapeFrom(ShapeRule{"", ListShape::Type::kMap, {"name"}});
  }
  return {};
}

FieldSet fieldSetOf(const json& object, std::string_view kind) {
  FieldSet set;
  if (!object.is_object()) return set;
  fieldSetInto(object, "", kind, set);
  set.member = false;
  prune(set);
  return set;
}

namespace {

json mergeInto(json live, const json& config, const std::string& path, std::string_view kind) {
  if (config.is_object() && live.is_object()) {
    for (auto it = config.begin(); it != config.end(); ++it) {
      if (it.value().is_null()) continue;
      auto cur = live.find(it.key());
      json base = cur == live.end() ? json() : std::move(*cur);
      live[it.key()] = mergeInto(std::move(base), it.value(), childPath(path, it.key()), kind);
    }
    return live;
  }
  if (config.is_object()) {
    return mergeInto(json::object(), config, path, kind);
  }
  if (config.is_array() && live.is_array()) {
    ListShape shape = listShapeOf(kind, path);
    if (listIsKeyable(live, shape) && listIsKeyable(config, shape)) {
      for (const json& e : config) {
        std::string element = elementOf(e, shape);
        long index = findElement(live, element, shape);
        if (index < 0) {
          live.push_back(
              shape.type == ListShape::Type::kMap ? mergeInto(json::object(), e, path, kind) : e);
        } else if (shape.type == ListShape::Type::kMap) {
          json& cur = live[static_cast<size_t>(index)];
          cur = mergeInto(std::move(cur), e, path, kind);
        }
      }
      return live;
    }
  }
  if (config.is_array()) {
    // A new atomic or keyed list: its elements without nulls.
    json out = json::array();
    for (const json& e : config)
      out.push_back(e.is_object() ? mergeInto(json::object(), e, path, kind) : e);
    return out;
  }
  return config;
}

}  // namespace

json mergeApplied(json live, const json& config, std::string_view kind) {
  return mergeInto(std::move(live), config, "", kind);
}

FieldChanges compareObjects(const json& before, const json& after, std::string_view kind) {
  FieldChanges changes;
  json b = before.is_object() ? before : json::object();
  json a = after.is_object() ? after : json::object();
  if (b.empty() || a.empty()) {
    changes.changed = fieldSetOf(a, kind);
    changes.removed = fieldSetOf(b, kind);
    return changes;
  }
  compareInto(b, a, "", kind, changes.changed, changes.removed);
  changes.changed.member = false;
  changes.removed.member = false;
  prune(changes.changed);
  prune(changes.removed);
  return changes;
}

void removeFields(json& object, const FieldSet& remove, const FieldSet& keep,
                  std::string_view kind) {
  removeInto(object, remove, &keep, "", kind);
}

// ---------------------------------------------------------------------------------------
// Entries

Result<std::vector<ManagedFieldsEntry>> decodeManagedFields(const json& list) {
  if (!list.is_array()) return badRequest("metadata.managedFields must be a list");
  std::vector<ManagedFieldsEntry> out;
  for (const json& item : list) {
    if (!item.is_object()) return badRequest("metadata.managedFields entries must be objects");
    auto str = [&](const char* key) -> Result<std::string> {
      auto it = item.find(key);
      if (it == item.end() || it->is_null()) return std::string();
      if (!it->is_string()) {
        return badRequest(std::string("metadata.managedFields.") + key + " must be a string");
      }
      return it->get<std::string>();
    };
    ManagedFieldsEntry e;
    ASSIGN_OR_RETURN(e.manager, str("manager"));
    ASSIGN_OR_RETURN(e.operation, str("operation"));
    ASSIGN_OR_RETURN(e.api_version, str("apiVersion"));
    ASSIGN_OR_RETURN(e.time, str("time"));
    ASSIGN_OR_RETURN(e.subresource, str("subresource"));
    ASSIGN_OR_RETURN(std::string fields_type, str("fieldsType"));
    if (e.operation != "Apply" && e.operation != "Update") {
      return badRequest("metadata.managedFields.operation must be Apply or Update, got \"" +
                        e.operation + "\"");
    }
    if (fields_type != "FieldsV1") {
      return badRequest("metadata.managedFields.fieldsType must be FieldsV1, got \"" + fields_type +
                        "\"");
    }
    auto fields = item.find("fieldsV1");
    if (fields != item.end() && !fields->is_null()) {
      ASSIGN_OR_RETURN(e.fields, decodeFieldsV1(*fields));
    }
    out.push_back(std::move(e));
  }
  return out;
}

json encodeManagedFields(const std::vector<ManagedFieldsEntry>& entries) {
  json list = json::array();
  for (const ManagedFieldsEntry& e : entries) {
    json item = json::object();
    item["manager"] = e.manager;
    item["operation"] = e.operation;
    if (!e.api_version.empty()) item["apiVersion"] = e.api_version;
    if (!e.time.empty()) item["time"] = e.time;
    item["fieldsType"] = "FieldsV1";
    item["fieldsV1"] = encodeFieldsV1(e.fields);
    if (!e.subresource.empty()) item["subresource"] = e.subresource;
    list.push_back(std::move(item));
  }
  return list;
}

std::string managerName(std::string_view field_manager, std::string_view user_agent) {
  std::string_view name = field_manager;
  if (name.empty()) name = user_agent.substr(0, user_agent.find('/'));
  return std::string(name.substr(0, 128));
}

void recordUpdate(const json* live, json& object, const FieldManagerOptions& options) {
  if (!object.is_object()) return;
  std::vector<ManagedFieldsEntry> entries;
  if (isResetList(object)) {
    entries.clear();
  } else {
    entries = entriesOf(object);
    if (entries.empty() && live != nullptr) entries = entriesOf(*live);
  }
  if (options.manager.empty()) {
    writeEntries(object, live != nullptr ? entriesOf(*live) : std::vector<ManagedFieldsEntry>());
    return;
  }
  FieldChanges changes = compareObjects(live != nullptr ? trackedPart(*live, options) : json(),
                                        trackedPart(object, options), options.kind);
  for (ManagedFieldsEntry& e : entries) {
    bool mine = e.manager == options.manager && e.operation == "Update" &&
                e.subresource == options.subresource;
    if (!mine) e.fields = differenceOf(e.fields, changes.changed);
    e.fields = differenceOf(e.fields, changes.removed);
  }
  if (!changes.changed.empty()) {
    ManagedFieldsEntry& mine = entryFor(entries, options, "Update");
    mine.fields = unionOf(mine.fields, changes.changed);
    mine.api_version = options.api_version;
    mine.time = options.time;
  }
  writeEntries(object, std::move(entries));
}

Result<json> serverSideApply(const json* live, const json& config,
                             const FieldManagerOptions& options) {
  if (!config.is_object()) return badRequest("apply configuration must be an object");
  if (auto md = config.find("metadata"); md != config.end() && md->is_object()) {
    auto mf = md->find("managedFields");
    if (mf != md->end() && !mf->is_null()) {
      return badRequest("metadata.managedFields must be nil");
    }
  }
  json base = live != nullptr && live->is_object() ? *live : json::object();
  json merged = mergeApplied(base, config, options.kind);
  if (options.manager.empty()) return merged;

  std::vector<ManagedFieldsEntry> entries;
  if (live != nullptr) {
    entries = entriesOf(*live);
    if (entries.empty()) {
      // kube-apiserver's before-first-apply: the fields of an object nobody manages yet.
      ManagedFieldsEntry before;
      before.manager = "before-first-apply";
      before.operation = "Update";
      before.api_version = options.api_version;
      before.time = options.time;
      before.fields = fieldSetOf(trackedPart(*live, options), options.kind);
      entries.push_back(std::move(before));
    }
  }
  json live_part = trackedPart(base, options);
  FieldSet applied = fieldSetOf(trackedPart(config, options), options.kind);
  FieldChanges changes = compareObjects(live_part, trackedPart(merged, options), options.kind);

  // Conflicts: fields the configuration changes that another manager owns.
  struct Conflict {
    std::string manager;
    std::string path;
  };
  std::vector<Conflict> conflicts;
  std::vector<ManagedFieldsEntry*> others;
  for (ManagedFieldsEntry& e : entries) {
    bool mine = e.manager == options.manager && e.operation == "Apply" &&
                e.subresource == options.subresource;
    if (mine) continue;
    FieldSet overlap = intersectionOf(e.fields, changes.changed);
    if (overlap.empty()) continue;
    if (options.force) {
      e.fields = differenceOf(e.fields, overlap);
      continue;
    }
    for (std::string& path : pathStrings(overlap)) {
      conflicts.push_back({describeManager(e), std::move(path)});
    }
  }
  if (!conflicts.empty()) {
    std::stable_sort(conflicts.begin(), conflicts.end(),
                     [](const Conflict& a, const Conflict& b) { return a.manager < b.manager; });
    std::vector<FieldError> causes;
    for (const Conflict& c : conflicts) {
      causes.push_back({c.path, "FieldManagerConflict", "conflict with " + c.manager});
    }
    std::string message;
    if (conflicts.size() == 1) {
      message = "Apply failed with 1 conflict: conflict with " + conflicts[0].manager + ": " +
                conflicts[0].path;
    } else {
      message = "Apply failed with " + std::to_string(conflicts.size()) + " conflicts: ";
      std::string last;
      for (size_t i = 0; i < conflicts.size(); ++i) {
        if (conflicts[i].manager != last) {
          if (i) message += "\n";
          message += "conflicts with " + conflicts[i].manager + ":";
          last = conflicts[i].manager;
        }
        message += "\n- " + conflicts[i].path;
      }
    }
    return Status(Code::kConflict, std::move(message), std::move(causes));
  }

  for (ManagedFieldsEntry& e : entries) e.fields = differenceOf(e.fields, changes.removed);
  ManagedFieldsEntry& mine = entryFor(entries, options, "Apply");
  FieldSet last = mine.fields;
  // The time moves only when the entry does: applying the same again writes nothing.
  if (mine.fields != applied || mine.api_version != options.api_version || mine.time.empty()) {
    mine.time = options.time;
  }
  mine.fields = applied;
  mine.api_version = options.api_version;

  // Fields this manager applied before and no longer applies go, unless someone owns them.
  FieldSet dropped = differenceOf(last, applied);
  if (!dropped.empty()) {
    FieldSet owned;
    for (const ManagedFieldsEntry& e : entries) owned = unionOf(owned, e.fields);
    removeFields(merged, dropped, owned, options.kind);
  }
  writeEntries(merged, std::move(entries));
  return merged;
}

}  // namespace minik8s::apiserver
