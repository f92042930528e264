#include "apiserver/patch.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "api/json_input.h"
#include "apiserver/managed_fields.h"

namespace minik8s::apiserver {

using nlohmann::json;

namespace {

constexpr std::string_view kUnknownFormat =
    "the body of the request was in an unknown format - accepted media types include: "
    "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml";

bool startsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// ---------------------------------------------------------------------------------------
// RFC 7386

json mergePatchValue(json target, const json& patch) {
  if (!patch.is_object()) return patch;
  if (!target.is_object()) target = json::object();
  for (auto it = patch.begin(); it != patch.end(); ++it) {
    if (it.value().is_null()) {
      target.erase(it.key());
    } else {
      auto cur = target.find(it.key());
      json base = cur == target.end() ? json() : std::move(*cur);
      target[it.key()] = mergePatchValue(std::move(base), it.value());
    }
  }
  return target;
}

// ---------------------------------------------------------------------------------------
// RFC 6902

Result<std::vector<std::string>> parsePointer(const json& op, const char* member) {
  auto it = op.find(member);
  if (it == op.end() || !it->is_string()) {
    return badRequest(std::string("json patch operation is missing a string \"") + member +
                      "\": " + op.dump());
  }
  const std::string& s = it->get_ref<const std::string&>();
  std::vector<std::string> tokens;
  if (s.empty()) return tokens;
  if (s[0] != '/') return badRequest("json pointer must start with '/': \"" + s + "\"");
  std::string cur;
  for (size_t i = 1; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == '/') {
      tokens.push_back(std::move(cur));
      cur.clear();
    } else if (s[i] == '~') {
      if (i + 1 < s.size() && (s[i + 1] == '0' || s[i + 1] == '1')) {
        cur += s[i + 1] == '0' ? '~' : '/';
        ++i;
      } else {
        return badRequest("json pointer has an invalid '~' escape: \"" + s + "\"");
      }
    } else {
      cur += s[i];
    }
  }
  return tokens;
}

std::string pointerString(const std::vector<std::string>& tokens) {
  std::string s;
  for (const std::string& t : tokens) {
    s += '/';
    for (char c : t) {
      if (c == '~') {
        s += "~0";
      } else if (c == '/') {
        s += "~1";
      } else {
        s += c;
      }
    }
  }
  return s;
}

// An array index token: digits without leading zeros. -1 when not one.
long long arrayIndex(const std::string& token) {
  if (token.empty() || token.size() > 18) return -1;
  if (token.size() > 1 && token[0] == '0') return -1;
  if (!std::all_of(token.begin(), token.end(),
                   [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    return -1;
  }
  return std::stoll(token);
}

Status missingPath(const std::vector<std::string>& tokens) {
  return invalid("doc is missing path: \"" + pointerString(tokens) + "\": missing value");
}

// The value at the first `count` tokens of the pointer.
Result<json*> resolve(json& doc, const std::vector<std::string>& tokens, size_t count) {
  json* cur = &doc;
  for (size_t i = 0; i < count; ++i) {
    const std::string& t = tokens[i];
    if (cur->is_object()) {
      auto it = cur->find(t);
      if (it == cur->end()) return missingPath(tokens);
      cur = &*it;
    } else if (cur->is_array()) {
      long long idx = arrayIndex(t);
      if (idx < 0 || static_cast<size_t>(idx) >= cur->size()) return missingPath(tokens);
      cur = &(*cur)[static_cast<size_t>(idx)];
    } else {
      return missingPath(tokens);
    }
  }
  return cur;
}

Status pointerAdd(json& doc, const std::vector<std::string>& tokens, json value) {
  if (tokens.empty()) {
    doc = std::move(value);
    return Status::ok();
  }
  ASSIGN_OR_RETURN(json * parent, resolve(doc, tokens, tokens.size() - 1));
  const std::string& last = tokens.back();
  if (parent->is_object()) {
    (*parent)[last] = std::move(value);
    return Status::ok();
  }
  if (parent->is_array()) {
    if (last == "-") {
      parent->push_back(std::move(value));
      return Status::ok();
    }
    long long idx = arrayIndex(last);
    if (idx < 0 || static_cast<size_t>(idx) > parent->size()) {
      return invalid("add operation does not apply: index out of range at \"" +
                     pointerString(tokens) + "\"");
    }
    parent->insert(parent->begin() + idx, std::move(value));
    return Status::ok();
  }
  return missingPath(tokens);
}

Status pointerRemove(json& doc, const std::vector<std::string>& tokens, json* removed) {
  if (tokens.empty()) return invalid("unable to remove the document root");
  ASSIGN_OR_RETURN(json * parent, resolve(doc, tokens, tokens.size() - 1));
  const std::string& last = tokens.back();
  if (parent->is_object()) {
    auto it = parent->find(last);
    if (it == parent->end()) return missingPath(tokens);
    if (removed != nullptr) *removed = std::move(*it);
    parent->erase(it);
    return Status::ok();
  }
  if (parent->is_array()) {
    long long idx = arrayIndex(last);
    if (idx < 0 || static_cast<size_t>(idx) >= parent->size()) return missingPath(tokens);
    if (removed != nullptr) *removed = std::move((*parent)[static_cast<size_t>(idx)]);
    parent->erase(static_cast<size_t>(idx));
    return Status::ok();
  }
  return missingPath(tokens);
}

Status applyOneOp(json& doc, const json& op, size_t index) {
  if (!op.is_object()) {
    return badRequest("json patch operation " + std::to_string(index) + " is not an object");
  }
  auto op_it = op.find("op");
  if (op_it == op.end() || !op_it->is_string()) {
    return badRequest("json patch operation " + std::to_string(index) + " has no \"op\"");
  }
  const std::string& name = op_it->get_ref<const std::string&>();
  ASSIGN_OR_RETURN(std::vector<std::string> path, parsePointer(op, "path"));
  auto value_of = [&]() -> Result<json> {
    auto v = op.find("value");
    if (v == op.end()) return badRequest("json patch \"" + name + "\" operation has no \"value\"");
    return *v;
  };
  if (name == "add") {
    ASSIGN_OR_RETURN(json value, value_of());
    return pointerAdd(doc, path, std::move(value));
  }
  if (name == "remove") return pointerRemove(doc, path, nullptr);
  if (name == "replace") {
    ASSIGN_OR_RETURN(json value, value_of());
    ASSIGN_OR_RETURN(json * target, resolve(doc, path, path.size()));
    *target = std::move(value);
    return Status::ok();
  }
  if (name == "test") {
    ASSIGN_OR_RETURN(json value, value_of());
    ASSIGN_OR_RETURN(json * target, resolve(doc, path, path.size()));
    if (*target != value) {
      return conflict("testing value " + pointerString(path) + " failed: test failed");
    }
    return Status::ok();
  }
  if (name == "move" || name == "copy") {
    ASSIGN_OR_RETURN(std::vector<std::string> from, parsePointer(op, "from"));
    if (name == "move") {
      if (from == path) return Status::ok();
      if (from.size() < path.size() && std::equal(from.begin(), from.end(), path.begin())) {
        return invalid("move operation cannot move \"" + pointerString(from) +
                       "\" into one of its children");
      }
      json value;
      RETURN_IF_ERROR(pointerRemove(doc, from, &value));
      return pointerAdd(doc, path, std::move(value));
    }
    ASSIGN_OR_RETURN(json * source, resolve(doc, from, from.size()));
    json value = *source;
    return pointerAdd(doc, path, std::move(value));
  }
  return badRequest("unexpected json patch operation \"" + name + "\"");
}

// ---------------------------------------------------------------------------------------
// Strategic merge patch

enum class ListStrategy { kReplace, kMergeByKey, kMergePrimitive };

struct ListRule {
  ListStrategy strategy = ListStrategy::kReplace;
  const char* key = "";
};

struct PathRule {
  const char* path;
  ListRule rule;
};

constexpr ListRule kByName{ListStrategy::kMergeByKey, "name"};

// Paths relative to a pod (template): "spec.containers" etc. Lists not named here are
// replaced (tolerations, Endpoints subsets, ...).
const PathRule kPodRules[] = {
    {"spec.containers", kByName},
    {"spec.initContainers", kByName},
    {"spec.ephemeralContainers", kByName},
    {"spec.volumes", kByName},
    {"spec.imagePullSecrets", kByName},
    {"spec.schedulingGates", kByName},
    {"spec.resourceClaims", kByName},
    {"spec.hostAliases", {ListStrategy::kMergeByKey, "ip"}},
    {"status.containerStatuses", kByName},
    {"status.initContainerStatuses", kByName},
    {"status.ephemeralContainerStatuses", kByName},
    {"status.podIPs", {ListStrategy::kMergeByKey, "ip"}},
    {"status.hostIPs", {ListStrategy::kMergeByKey, "ip"}},
};

// Relative to a container: applied under each of the pod's container lists.
const PathRule kContainerRules[] = {
    {"env", kByName},
    {"ports", {ListStrategy::kMergeByKey, "containerPort"}},
    {"volumeMounts", {ListStrategy::kMergeByKey, "mountPath"}},
    {"volumeDevices", {ListStrategy::kMergeByKey, "devicePath"}},
    {"resizePolicy", {ListStrategy::kMergeByKey, "resourceName"}},
};

const PathRule kCommonRules[] = {
    {"metadata.ownerReferences", {ListStrategy::kMergeByKey, "uid"}},
    {"metadata.finalizers", {ListStrategy::kMergePrimitive, ""}},
    {"status.conditions", {ListStrategy::kMergeByKey, "type"}},
};

const PathRule kServiceRules[] = {
    {"spec.ports", {ListStrategy::kMergeByKey, "port"}},
};

const PathRule kNodeRules[] = {
    {"spec.taints", {ListStrategy::kMergeByKey, "key"}},
    {"spec.podCIDRs", {ListStrategy::kMergePrimitive, ""}},
    {"status.addresses", {ListStrategy::kMergeByKey, "type"}},
};

bool hasPodTemplate(std::string_view kind) {
  return kind == "Deployment" || kind == "ReplicaSet" || kind == "StatefulSet" ||
         kind == "DaemonSet" || kind == "Job" || kind == "ReplicationController";
}

template <size_t N>
const ListRule* findRule(const PathRule (&rules)[N], std::string_view path) {
  for (const PathRule& r : rules) {
    if (path == r.path) return &r.rule;
  }
  return nullptr;
}

// The patch strategy of the list at dotted `path` (list indices omitted) in `kind`.
ListRule listRule(std::string_view kind, std::string_view path) {
  if (const ListRule* r = findRule(kCommonRules, path)) return *r;
  bool pod_like = kind == "Pod";
  if (hasPodTemplate(kind) && startsWith(path, "spec.template.")) {
    path.remove_prefix(std::string_view("spec.template.").size());
    pod_like = true;
    if (const ListRule* r = findRule(kCommonRules, path)) return *r;
  }
  if (pod_like) {
    if (const ListRule* r = findRule(kPodRules, path)) return *r;
    for (std::string_view list :
         {"spec.containers.", "spec.initContainers.", "spec.ephemeralContainers."}) {
      if (startsWith(path, list)) {
        if (const ListRule* r = findRule(kContainerRules, path.substr(list.size()))) return *r;
      }
    }
    return {};
  }
  if (kind == "Service") {
    if (const ListRule* r = findRule(kServiceRules, path)) return *r;
  } else if (kind == "Node") {
    if (const ListRule* r = findRule(kNodeRules, path)) return *r;
  }
  return {};
}

std::string childPath(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

constexpr std::string_view kSetElementOrder = "$setElementOrder/";
constexpr std::string_view kDeleteFromPrimitiveList = "$deleteFromPrimitiveList/";
constexpr std::string_view kRetainKeys = "$retainKeys";
constexpr std::string_view kPatchDirective = "$patch";

bool isDirective(std::string_view key) {
  return key == kPatchDirective || key == kRetainKeys || startsWith(key, kSetElementOrder) ||
         startsWith(key, kDeleteFromPrimitiveList);
}

class StrategicMerger {
 public:
  explicit StrategicMerger(std::string_view kind) : kind_(kind) {}

  // Merges the object `patch` into `original`. Sets *deleted when the patch is
  // `{"$patch":"delete"}` for this map.
  Status mergeMap(json& original, const json& patch, const std::string& path, bool* deleted) {
    *deleted = false;
    if (!patch.is_object())
      return badRequest("strategic merge patch: expected an object at " + describePath(path) +
                        ", got " + patch.dump());
    if (auto d = patch.find(kPatchDirective); d != patch.end()) {
      if (!d->is_string()) return badRequest("strategic merge patch: $patch must be a string");
      const std::string& directive = d->get_ref<const std::string&>();
      if (directive == "delete") {
        *deleted = true;
        return Status::ok();
      }
      if (directive == "replace") {
        json fresh = json::object();
        json rest = patch;
        rest.erase(std::string(kPatchDirective));
        bool unused;
        RETURN_IF_ERROR(mergeMap(fresh, rest, path, &unused));
        original = std::move(fresh);
        return Status::ok();
      }
      if (directive != "merge") {
        return badRequest("strategic merge patch: unknown $patch directive \"" + directive + "\"");
      }
    }
    if (!original.is_object()) original = json::object();

    // Deletions from primitive lists happen before the merge of the same list.
    for (auto it = patch.begin(); it != patch.end(); ++it) {
      if (!startsWith(it.key(), kDeleteFromPrimitiveList)) continue;
      std::string field = it.key().substr(kDeleteFromPrimitiveList.size());
      if (!it.value().is_array()) {
        return badRequest("strategic merge patch: " + it.key() + " must be a list");
      }
      auto list = original.find(field);
      if (list == original.end() || !list->is_array()) continue;
      json kept = json::array();
      for (json& v : *list) {
        if (std::find(it.value().begin(), it.value().end(), v) == it.value().end()) {
          kept.push_back(std::move(v));
        }
      }
      *list = std::move(kept);
    }

    for (auto it = patch.begin(); it != patch.end(); ++it) {
      const std::string& key = it.key();
      if (isDirective(key)) continue;
      const json& value = it.value();
      std::string child = childPath(path, key);
      if (value.is_null()) {
        original.erase(key);
        continue;
      }
      auto cur = original.find(key);
      if (value.is_object()) {
        json base = cur != original.end() && cur->is_object() ? std::move(*cur) : json::object();
        bool child_deleted;
        RETURN_IF_ERROR(mergeMap(base, value, child, &child_deleted));
        if (child_deleted) {
          original.erase(key);
        } else {
          original[key] = std::move(base);
        }
      } else if (value.is_array()) {
        json base = cur != original.end() && cur->is_array() ? std::move(*cur) : json::array();
        RETURN_IF_ERROR(mergeList(base, value, child));
        original[key] = std::move(base);
      } else {
        original[key] = value;
      }
    }

    for (auto it = patch.begin(); it != patch.end(); ++it) {
      if (!startsWith(it.key(), kSetElementOrder)) continue;
      std::string field = it.key().substr(kSetElementOrder.size());
      if (!it.value().is_array()) {
        return badRequest("strategic merge patch: " + it.key() + " must be a list");
      }
      auto list = original.find(field);
      if (list == original.end() || !list->is_array()) continue;
      reorder(*list, it.value(), listRule(kind_, childPath(path, field)));
    }

    if (auto rk = patch.find(kRetainKeys); rk != patch.end()) {
      if (!rk->is_array()) return badRequest("strategic merge patch: $retainKeys must be a list");
      for (auto it = original.begin(); it != original.end();) {
        if (std::find(rk->begin(), rk->end(), json(it.key())) == rk->end()) {
          it = original.erase(it);
        } else {
          ++it;
        }
      }
    }
    return Status::ok();
  }

  Status mergeList(json& original, const json& patch, const std::string& path) {
    ListRule rule = listRule(kind_, path);
    // A {"$patch":"replace"} element replaces the whole list with the other elements.
    bool replace_all = rule.strategy == ListStrategy::kReplace;
    json items = json::array();
    for (const json& e : patch) {
      if (e.is_object() && e.size() == 1 && e.contains(kPatchDirective)) {
        const json& d = e[std::string(kPatchDirective)];
        if (d == "replace") {
          replace_all = true;
          continue;
        }
        if (d == "merge") continue;
      }
      items.push_back(e);
    }

    if (rule.strategy == ListStrategy::kMergePrimitive && !replace_all) {
      for (const json& e : items) {
        if (std::find(original.begin(), original.end(), e) == original.end()) original.push_back(e);
      }
      return Status::ok();
    }
    if (replace_all) {
      json fresh = json::array();
      for (const json& e : items) {
        if (!e.is_object()) {
          fresh.push_back(e);
          continue;
        }
        json elem = json::object();
        bool deleted;
        RETURN_IF_ERROR(mergeMap(elem, e, path, &deleted));
        if (!deleted) fresh.push_back(std::move(elem));
      }
      original = std::move(fresh);
      return Status::ok();
    }

    const std::string key = rule.key;
    for (const json& e : items) {
      if (!e.is_object()) {
        return badRequest("strategic merge patch: " + describePath(path) +
                          " elements must be objects, got " + e.dump());
      }
      auto kv = e.find(key);
      if (kv == e.end()) {
        return badRequest("map: " + e.dump() + " does not contain declared merge key: " + key);
      }
      auto match = std::find_if(original.begin(), original.end(), [&](const json& o) {
        return o.is_object() && o.contains(key) && o[key] == *kv;
      });
      bool is_delete = e.contains(kPatchDirective) && e[std::string(kPatchDirective)] == "delete";
      if (is_delete) {
        for (auto it = original.begin(); it != original.end();) {
          if (it->is_object() && it->contains(key) && (*it)[key] == *kv) {
            it = original.erase(it);
          } else {
            ++it;
          }
        }
        continue;
      }
      bool deleted;
      if (match != original.end()) {
        RETURN_IF_ERROR(mergeMap(*match, e, path, &deleted));
        if (deleted) original.erase(match);
      } else {
        json elem = json::object();
        RETURN_IF_ERROR(mergeMap(elem, e, path, &deleted));
        if (!deleted) original.push_back(std::move(elem));
      }
    }
    return Status::ok();
  }

 private:
  static std::string describePath(const std::string& path) {
    return path.empty() ? std::string("the top level") : "\"" + path + "\"";
  }

  // Puts the elements named in `order` first, in that order; the others follow in their
  // current relative order.
  static void reorder(json& list, const json& order, const ListRule& rule) {
    bool by_key = rule.strategy == ListStrategy::kMergeByKey;
    std::vector<bool> used(list.size(), false);
    json result = json::array();
    for (const json& want : order) {
      for (size_t i = 0; i < list.size(); ++i) {
        if (used[i]) continue;
        bool same = by_key ? (want.is_object() && want.contains(rule.key) && list[i].is_object() &&
                              list[i].contains(rule.key) && list[i][rule.key] == want[rule.key])
                           : list[i] == want;
        if (same) {
          used[i] = true;
          result.push_back(std::move(list[i]));
          break;
        }
      }
    }
    for (size_t i = 0; i < list.size(); ++i) {
      if (!used[i]) result.push_back(std::move(list[i]));
    }
    list = std::move(result);
  }

  std::string kind_;
};

}  // namespace

Result<PatchType> patchTypeOf(std::string_view content_type) {
  std::string type(content_type.substr(0, content_type.find(';')));
  auto not_space = [](char c) { return !std::isspace(static_cast<unsigned char>(c)); };
  type.erase(type.begin(), std::find_if(type.begin(), type.end(), not_space));
  type.erase(std::find_if(type.rbegin(), type.rend(), not_space).base(), type.end());
  std::transform(type.begin(), type.end(), type.begin(), [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  });
  if (type == "application/json-patch+json") return PatchType::kJsonPatch;
  if (type == "application/merge-patch+json") return PatchType::kMergePatch;
  if (type == "application/strategic-merge-patch+json") return PatchType::kStrategicMergePatch;
  if (type == "application/apply-patch+yaml") return PatchType::kApplyPatch;
  return Status(Code::kUnsupportedMediaType, std::string(kUnknownFormat));
}

Result<json> applyMergePatch(json target, const json& patch) {
  try {
    return mergePatchValue(std::move(target), patch);
  } catch (const json::exception& e) {
    return badRequest(std::string("merge patch: ") + e.what());
  }
}

Result<json> applyJsonPatch(json target, const json& ops) {
  if (!ops.is_array()) return badRequest("json patch must be a list of operations");
  try {
    for (size_t i = 0; i < ops.size(); ++i) RETURN_IF_ERROR(applyOneOp(target, ops[i], i));
    return target;
  } catch (const std::exception& e) {
    return badRequest(std::string("json patch: ") + e.what());
  }
}

Result<json> applyStrategicMergePatch(json target, const json& patch, std::string_view kind) {
  if (!patch.is_object()) return badRequest("strategic merge patch must be a JSON object");
  try {
    StrategicMerger merger(kind);
    bool deleted;
    RETURN_IF_ERROR(merger.mergeMap(target, patch, "", &deleted));
    if (deleted) return json::object();
    return target;
  } catch (const json::exception& e) {
    return badRequest(std::string("strategic merge patch: ") + e.what());
  }
}

Result<json> applyPatch(std::string_view content_type, json target, std::string_view body,
                        const api::ResourceInfo& resource) {
  ASSIGN_OR_RETURN(PatchType type, patchTypeOf(content_type));
  auto parsed = api::parseJson(body);
  if (!parsed.isOk()) {
    return badRequest("the body of the request could not be parsed as JSON: " +
                      parsed.status().message());
  }
  json patch = std::move(parsed).value();
  Result<json> result = json();
  switch (type) {
    case PatchType::kJsonPatch: result = applyJsonPatch(std::move(target), patch); break;
    case PatchType::kMergePatch:
      if (!patch.is_object()) return badRequest("merge patch must be a JSON object");
      result = applyMergePatch(std::move(target), patch);
      break;
    case PatchType::kStrategicMergePatch:
      result = applyStrategicMergePatch(std::move(target), patch, resource.kind);
      break;
    case PatchType::kApplyPatch:
      result = applyServerSideApply(std::move(target), patch, resource);
      break;
  }
  if (result.isOk() && !result->is_object()) {
    return badRequest("the patched " + resource.kind + " is not a JSON object");
  }
  return result;
}

Result<json> applyServerSideApply(json live, const json& applied,
                                  const api::ResourceInfo& resource,
                                  const FieldManagerOptions& options) {
  if (!applied.is_object()) return badRequest("apply configuration must be an object");
  FieldManagerOptions opts = options;
  opts.kind = resource.kind;
  opts.status_subresource = resource.hasSubresource("status");
  if (opts.api_version.empty()) opts.api_version = resource.apiVersion();
  try {
    if (live.is_null()) return serverSideApply(nullptr, applied, opts);
    if (!live.is_object()) return internalError("live object is not a JSON object");
    ASSIGN_OR_RETURN(json result, serverSideApply(&live, applied, opts));
    static const char* const kServerOwned[] = {
        "uid",        "resourceVersion",   "creationTimestamp",
        "generation", "deletionTimestamp", "deletionGracePeriodSeconds",
    };
    const json* live_meta =
        live.contains("metadata") && live["metadata"].is_object() ? &live["metadata"] : nullptr;
    if (!result.contains("metadata") || !result["metadata"].is_object()) {
      result["metadata"] = json::object();
    }
    json& meta = result["metadata"];
    for (const char* key : kServerOwned) {
      if (live_meta != nullptr && live_meta->contains(key)) {
        meta[key] = (*live_meta)[key];
      } else {
        meta.erase(key);
      }
    }
    if (opts.subresource != "status") {
      if (live.contains("status")) {
        result["status"] = live["status"];
      } else {
        result.erase("status");
      }
    }
    return result;
  } catch (const json::exception& e) {
    return badRequest(std::string("apply: ") + e.what());
  }
}

}  // namespace minik8s::apiserver
