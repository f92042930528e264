#include "api/custom_resource.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "api/json_schema.h"
#include "api/validation.h"

namespace minik8s::api {
namespace {

using nlohmann::json;

const json& at(const json& object, const char* key) {
  static const json kNull;
  if (!object.is_object()) return kNull;
  auto it = object.find(key);
  return it == object.end() ? kNull : *it;
}

std::string str(const json& object, const char* key) {
  const json& v = at(object, key);
  return v.is_string() ? v.get<std::string>() : "";
}

bool boolean(const json& object, const char* key) {
  const json& v = at(object, key);
  return v.is_boolean() && v.get<bool>();
}

std::string toLowerAscii(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string jsonQuoted(const std::string& s) {
  return json(s).dump();
}

std::string joinMessages(const std::vector<std::string>& messages) {
  std::string out;
  for (size_t i = 0; i < messages.size(); ++i) out += (i ? "; " : "") + messages[i];
  return out;
}

Status checkTypeMeta(const json& object, const std::string& api_version, const std::string& kind) {
  auto check = [&](const char* key, const std::string& expected, const char* what) -> Status {
    const json& v = at(object, key);
    if (v.is_null()) return Status::ok();
    if (!v.is_string())
      return badRequest(std::string(key) + ": expected string, got " + v.type_name());
    const std::string& got = v.get_ref<const std::string&>();
    if (got.empty() || got == expected) return Status::ok();
    return badRequest("the " + std::string(what) + " in the data (" + got +
                      ") does not match the expected " + what + " (" + expected + ")");
  };
  RETURN_IF_ERROR(check("apiVersion", api_version, "API version"));
  return check("kind", kind, "kind");
}

std::vector<std::string> stringList(const json& list) {
  std::vector<std::string> out;
  if (!list.is_array()) return out;
  for (const json& v : list) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

const std::set<std::string>& columnTypes() {
  static const std::set<std::string> kTypes = {"integer", "number", "string", "boolean", "date"};
  return kTypes;
}

void validatePrinterColumns(const json& columns, const std::string& path,
                            std::vector<FieldError>& errors) {
  if (columns.is_null()) return;
  if (!columns.is_array()) {
    errors.push_back({path, "FieldValueInvalid", "Invalid value: must be a list"});
    return;
  }
  for (size_t i = 0; i < columns.size(); ++i) {
    std::string p = path + "[" + std::to_string(i) + "]";
    const json& c = columns[i];
    if (str(c, "name").empty())
      errors.push_back({p + ".name", "FieldValueRequired", "Required value"});
    std::string type = str(c, "type");
    if (type.empty()) {
      errors.push_back({p + ".type", "FieldValueRequired", "Required value"});
    } else if (columnTypes().count(type) == 0) {
      errors.push_back({p + ".type", "FieldValueNotSupported",
                        "Unsupported value: " + jsonQuoted(type) +
                            ": supported values: \"boolean\", \"date\", \"integer\", \"number\", "
                            "\"string\""});
    }
    if (str(c, "jsonPath").empty()) {
      errors.push_back({p + ".jsonPath", "FieldValueRequired", "Required value"});
    }
    const json& priority = at(c, "priority");
    if (!priority.is_null() && !(priority.is_number_integer() && priority.get<int64_t>() >= 0)) {
      errors.push_back(
          {p + ".priority", "FieldValueInvalid",
           "Invalid value: " + priority.dump() + ": must be greater than or equal to 0"});
    }
  }
}

void validateSubresources(const json& subresources, const std::string& path,
                          std::vector<FieldError>& errors) {
  const json& scale = at(subresources, "scale");
  if (scale.is_null()) return;
  auto check_path = [&](const char* key, const char* prefix, bool required) {
    std::string v = str(scale, key);
    std::string p = path + ".scale." + key;
    if (v.empty()) {
      if (required) errors.push_back({p, "FieldValueRequired", "Required value"});
      return;
    }
    if (v.rfind(prefix, 0) != 0) {
      errors.push_back(
          {p, "FieldValueInvalid",
           "Invalid value: " + jsonQuoted(v) + ": should be a json path under " + prefix});
    }
  };
  check_path("specReplicasPath", ".spec.", true);
  check_path("statusReplicasPath", ".status.", true);
  check_path("labelSelectorPath", ".", false);
}

json conditionTrue(const std::string& type, const std::string& reason, const std::string& message,
                   const json* old_status, const std::string& now) {
  std::string transition = now;
  const json& old_conditions = old_status ? at(*old_status, "conditions") : json();
  if (old_conditions.is_array()) {
    for (const json& c : old_conditions) {
      if (str(c, "type") == type && str(c, "status") == "True" &&
          !str(c, "lastTransitionTime").empty()) {
        transition = str(c, "lastTransitionTime");
      }
    }
  }
  return {{"type", type},
          {"status", "True"},
          {"lastTransitionTime", transition},
          {"reason", reason},
          {"message", message}};
}

// JSONPath tokens: keys and [n] indexes.
json walk(const json& object, const std::string& path) {
  const json* cur = &object;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '.') {
      ++i;
      continue;
    }
    if (path[i] == '[') {
      size_t end = path.find(']', i);
      if (end == std::string::npos) return json();
      std::string inside = path.substr(i + 1, end - i - 1);
      i = end + 1;
      if (!cur->is_array() || inside.empty() ||
          !std::all_of(inside.begin(), inside.end(),
                       [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
        return json();
      }
      size_t n = std::stoul(inside);
      if (n >= cur->size()) return json();
      cur = &(*cur)[n];
      continue;
    }
    size_t end = path.find_first_of(".[", i);
    if (end == std::string::npos) end = path.size();
    std::string key = path.substr(i, end - i);
    i = end;
    if (!cur->is_object()) return json();
    auto it = cur->find(key);
    if (it == cur->end()) return json();
    cur = &*it;
  }
  return *cur;
}

}  // namespace

json evaluateSimpleJsonPath(const json& object, const std::string& path) {
  std::string p = path;
  if (p.size() >= 2 && p.front() == '{' && p.back() == '}') p = p.substr(1, p.size() - 2);
  try {
    return walk(object, p);
  } catch (const std::exception&) {
    return json();
  }
}

void setSimpleJsonPath(json& object, const std::string& path, json value) {
  json* cur = &object;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '.') {
      ++i;
      continue;
    }
    size_t end = path.find('.', i);
    if (end == std::string::npos) end = path.size();
    if (!cur->is_object()) *cur = json::object();
    cur = &(*cur)[path.substr(i, end - i)];
    i = end;
  }
  *cur = std::move(value);
}

Status normalizeCustomResourceDefinition(json& crd) {
  const std::string api_version = std::string(kApiextensionsGroup) + "/v1";
  RETURN_IF_ERROR(checkTypeMeta(crd, api_version, "CustomResourceDefinition"));
  crd["apiVersion"] = api_version;
  crd["kind"] = "CustomResourceDefinition";
  json& spec = crd["spec"];
  if (!spec.is_object()) {
    if (!spec.is_null())
      return badRequest(std::string("spec: expected object, got ") + spec.type_name());
    spec = json::object();
  }
  json& names = spec["names"];
  if (names.is_null()) names = json::object();
  if (!names.is_object())
    return badRequest(std::string("spec.names: expected object, got ") + names.type_name());
  std::string kind = str(names, "kind");
  if (str(names, "singular").empty() && !kind.empty()) names["singular"] = toLowerAscii(kind);
  if (str(names, "listKind").empty() && !kind.empty()) names["listKind"] = kind + "List";
  if (!at(spec, "conversion").is_object()) spec["conversion"] = {{"strategy", "None"}};
  json& versions = spec["versions"];
  if (versions.is_null()) versions = json::array();
  if (!versions.is_array()) {
    return badRequest(std::string("spec.versions: expected array, got ") + versions.type_name());
  }
  for (json& v : versions) {
    if (!v.is_object()) return badRequest("spec.versions: expected an array of objects");
    for (const char* key : {"served", "storage"}) {
      if (v.contains(key) && !v[key].is_boolean()) {
        return badRequest(std::string("spec.versions.") + key + ": expected boolean, got " +
                          v[key].type_name());
      }
      if (!v.contains(key)) v[key] = false;
    }
  }
  return Status::ok();
}

std::vector<FieldError> validateCustomResourceDefinition(const json& crd, const json* old) {
  std::vector<FieldError> errors;
  const json& spec = at(crd, "spec");
  const json& names = at(spec, "names");
  std::string group = str(spec, "group");
  std::string plural = str(names, "plural");
  std::string name = str(at(crd, "metadata"), "name");
  if (name != plural + "." + group) {
    errors.push_back(
        {"metadata.name", "FieldValueInvalid",
         "Invalid value: " + jsonQuoted(name) + ": must be spec.names.plural+\".\"+spec.group"});
  }
  if (group.empty()) {
    errors.push_back({"spec.group", "FieldValueRequired", "Required value"});
  } else if (auto msgs = isDns1123Subdomain(group); !msgs.empty()) {
    errors.push_back({"spec.group", "FieldValueInvalid",
                      "Invalid value: " + jsonQuoted(group) + ": " + joinMessages(msgs)});
  } else if (group.find('.') == std::string::npos) {
    errors.push_back(
        {"spec.group", "FieldValueInvalid",
         "Invalid value: " + jsonQuoted(group) + ": should be a domain with at least one dot"});
  }
  std::string scope = str(spec, "scope");
  if (scope.empty()) {
    errors.push_back({"spec.scope", "FieldValueRequired", "Required value"});
  } else if (scope != "Namespaced" && scope != "Cluster") {
    errors.push_back({"spec.scope", "FieldValueNotSupported",
                      "Unsupported value: " + jsonQuoted(scope) +
                          ": supported values: \"Cluster\", \"Namespaced\""});
  }
  auto label = [&](const std::string& path, const std::string& value, bool required) {
    if (value.empty()) {
      if (required) errors.push_back({path, "FieldValueRequired", "Required value"});
      return;
    }
    if (auto msgs = isDns1123Label(value); !msgs.empty()) {
      errors.push_back({path, "FieldValueInvalid",
                        "Invalid value: " + jsonQuoted(value) + ": " + joinMessages(msgs)});
    }
  };
  label("spec.names.plural", plural, true);
  label("spec.names.singular", str(names, "singular"), true);
  if (str(names, "kind").empty())
    errors.push_back({"spec.names.kind", "FieldValueRequired", "Required value"});
  if (str(names, "listKind").empty()) {
    errors.push_back({"spec.names.listKind", "FieldValueRequired", "Required value"});
  }
  std::vector<std::string> short_names = stringList(at(names, "shortNames"));
  for (size_t i = 0; i < short_names.size(); ++i) {
    label("spec.names.shortNames[" + std::to_string(i) + "]", short_names[i], true);
  }

  const json& versions = at(spec, "versions");
  if (!versions.is_array() || versions.empty()) {
    errors.push_back(
        {"spec.versions", "FieldValueRequired", "Required value: must have at least one version"});
  } else {
    int storage = 0;
    std::set<std::string> seen;
    for (size_t i = 0; i < versions.size(); ++i) {
      const json& v = versions[i];
      std::string p = "spec.versions[" + std::to_string(i) + "]";
      std::string version = str(v, "name");
      if (version.empty()) {
        errors.push_back({p + ".name", "FieldValueRequired", "Required value"});
      } else if (auto msgs = isDns1123Label(version);
                 !msgs.empty() || !std::isalpha(static_cast<unsigned char>(version[0]))) {
        errors.push_back(
            {p + ".name", "FieldValueInvalid",
             "Invalid value: " + jsonQuoted(version) +
                 ": a DNS-1035 label must consist of lower case alphanumeric characters "
                 "or '-', start with an alphabetic character, and end with an "
                 "alphanumeric character"});
      } else if (!seen.insert(version).second) {
        errors.push_back(
            {p + ".name", "FieldValueDuplicate", "Duplicate value: " + jsonQuoted(version)});
      }
      if (boolean(v, "storage")) ++storage;
      const json& schema = at(at(v, "schema"), "openAPIV3Schema");
      std::string schema_path = p + ".schema.openAPIV3Schema";
      if (schema.is_null()) {
        errors.push_back(
            {schema_path, "FieldValueRequired", "Required value: schemas are required"});
      } else {
        for (FieldError& e : validateStructuralSchema(schema, schema_path, /*root=*/true)) {
          errors.push_back(std::move(e));
        }
      }
      validatePrinterColumns(at(v, "additionalPrinterColumns"), p + ".additionalPrinterColumns",
                             errors);
      validateSubresources(at(v, "subresources"), p + ".subresources", errors);
    }
    bool any_served = std::any_of(versions.begin(), versions.end(),
                                  [](const json& v) { return boolean(v, "served"); });
    if (storage != 1) {
      errors.push_back({"spec.versions", "FieldValueInvalid",
                        "Invalid value: " + std::to_string(storage) +
                            ": must have exactly one version marked as storage version"});
    }
    if (!any_served) {
      errors.push_back({"spec.versions", "FieldValueInvalid",
                        "Invalid value: must have at least one version marked as served"});
    }
  }
  if (old != nullptr) {
    const json& old_spec = at(*old, "spec");
    if (str(old_spec, "group") != group) {
      errors.push_back({"spec.group", "FieldValueInvalid",
                        "Invalid value: " + jsonQuoted(group) + ": field is immutable"});
    }
    if (str(old_spec, "scope") != scope) {
      errors.push_back({"spec.scope", "FieldValueInvalid",
                        "Invalid value: " + jsonQuoted(scope) + ": field is immutable"});
    }
  }
  return errors;
}

void setCustomResourceDefinitionStatus(json& crd, const json* old, const std::string& now) {
  const json& spec = at(crd, "spec");
  const json* old_status = old ? &at(*old, "status") : nullptr;
  json status =
      crd.contains("status") && crd["status"].is_object() ? crd["status"] : json::object();
  status["acceptedNames"] = at(spec, "names").is_object() ? at(spec, "names") : json::object();
  status["conditions"] = json::array(
      {conditionTrue("NamesAccepted", "NoConflicts", "no conflicts found", old_status, now),
       conditionTrue("Established", "InitialNamesAccepted", "the initial names have been accepted",
                     old_status, now)});
  std::vector<std::string> stored = stringList(at(status, "storedVersions"));
  if (old_status) {
    for (const std::string& v : stringList(at(*old_status, "storedVersions"))) {
      if (std::find(stored.begin(), stored.end(), v) == stored.end()) stored.push_back(v);
    }
  }
  const json& versions = at(spec, "versions");
  if (versions.is_array()) {
    for (const json& v : versions) {
      std::string name = str(v, "name");
      if (boolean(v, "storage") && !name.empty() &&
          std::find(stored.begin(), stored.end(), name) == stored.end()) {
        stored.push_back(name);
      }
    }
  }
  status["storedVersions"] = stored;
  crd["status"] = std::move(status);
}

std::vector<ResourceInfo> customResourcesOf(const json& crd) {
  std::vector<ResourceInfo> out;
  const json& spec = at(crd, "spec");
  const json& names = at(spec, "names");
  const json& versions = at(spec, "versions");
  if (!versions.is_array()) return out;
  std::string crd_name = str(at(crd, "metadata"), "name");
  std::string storage_version;
  for (const json& v : versions) {
    if (boolean(v, "storage")) storage_version = str(v, "name");
  }
  for (const json& v : versions) {
    if (!boolean(v, "served") || str(v, "name").empty()) continue;
    ResourceInfo r;
    r.group = str(spec, "group");
    r.version = str(v, "name");
    r.kind = str(names, "kind");
    r.plural = str(names, "plural");
    r.singular = str(names, "singular").empty() ? toLowerAscii(r.kind) : str(names, "singular");
    r.namespaced = str(spec, "scope") != "Cluster";
    r.short_names = stringList(at(names, "shortNames"));
    r.categories = stringList(at(names, "categories"));
    r.verbs = {"delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"};
    auto custom = std::make_shared<CustomResourceVersion>();
    custom->crd_name = crd_name;
    custom->storage_version = storage_version;
    custom->schema = at(at(v, "schema"), "openAPIV3Schema");
    const json& subresources = at(v, "subresources");
    if (at(subresources, "status").is_object()) {
      custom->status_subresource = true;
      r.subresources.push_back("status");
    }
    if (const json& scale = at(subresources, "scale"); scale.is_object()) {
      custom->scale_subresource = true;
      custom->spec_replicas_path = str(scale, "specReplicasPath");
      custom->status_replicas_path = str(scale, "statusReplicasPath");
      custom->label_selector_path = str(scale, "labelSelectorPath");
      r.subresources.push_back("scale");
    }
    const json& columns = at(v, "additionalPrinterColumns");
    if (columns.is_array() && !columns.empty()) {
      for (const json& c : columns) {
        PrinterColumn pc;
        pc.name = str(c, "name");
        pc.type = str(c, "type");
        pc.format = str(c, "format");
        pc.description = str(c, "description");
        const json& priority = at(c, "priority");
        pc.priority = priority.is_number_integer() ? static_cast<int>(priority.get<int64_t>()) : 0;
        pc.json_path = str(c, "jsonPath");
        custom->columns.push_back(std::move(pc));
      }
    } else {
      custom->columns.push_back({"Age", "date", "", "", 0, ".metadata.creationTimestamp"});
    }
    r.custom = std::move(custom);
    if (boolean(v, "storage")) {
      out.insert(out.begin(), std::move(r));
    } else {
      out.push_back(std::move(r));
    }
  }
  return out;
}

namespace {

// The object without apiVersion, kind and metadata, which the schema does not govern.
struct SplitObject {
  json type_and_meta = json::object();
  json body = json::object();
};

SplitObject split(const json& object) {
  SplitObject s;
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (it.key() == "apiVersion" || it.key() == "kind" || it.key() == "metadata") {
      s.type_and_meta[it.key()] = it.value();
    } else {
      s.body[it.key()] = it.value();
    }
  }
  return s;
}

}  // namespace

Status normalizeCustomResource(const ResourceInfo& resource, json& object,
                               std::vector<std::string>* pruned) {
  if (!object.is_object())
    return badRequest(std::string("expected an object, got ") + object.type_name());
  RETURN_IF_ERROR(checkTypeMeta(object, resource.apiVersion(), resource.kind));
  json metadata = at(object, "metadata");  // a copy: `object` is replaced below
  if (!metadata.is_null() && !metadata.is_object()) {
    return badRequest(std::string("metadata: expected object, got ") + metadata.type_name());
  }
  SplitObject s = split(object);
  if (resource.custom && resource.custom->schema.is_object()) {
    pruneUnknownFields(resource.custom->schema, s.body, pruned);
    applySchemaDefaults(resource.custom->schema, s.body);
  }
  object = std::move(s.body);
  const std::string& stored = resource.custom ? resource.custom->storage_version : "";
  object["apiVersion"] = stored.empty() ? resource.apiVersion() : resource.group + "/" + stored;
  object["kind"] = resource.kind;
  object["metadata"] = metadata.is_object() ? std::move(metadata) : json::object();
  return Status::ok();
}

std::vector<FieldError> validateCustomResource(const ResourceInfo& resource, const json& object,
                                               const json* /*old*/) {
  std::vector<FieldError> errors;
  std::string name = str(at(object, "metadata"), "name");
  if (auto msgs = isDns1123Subdomain(name); !name.empty() && !msgs.empty()) {
    errors.push_back({"metadata.name", "FieldValueInvalid",
                      "Invalid value: " + jsonQuoted(name) + ": " + joinMessages(msgs)});
  }
  if (!resource.custom || !resource.custom->schema.is_object()) return errors;
  SplitObject s = split(object);
  for (FieldError& e : validateAgainstSchema(resource.custom->schema, s.body, "")) {
    if (e.reason == "FieldValueRequired" &&
        (e.field == "apiVersion" || e.field == "kind" || e.field == "metadata")) {
      continue;
    }
    errors.push_back(std::move(e));
  }
  return errors;
}

}  // namespace minik8s::api
