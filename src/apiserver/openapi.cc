#include "apiserver/openapi.h"

#include <google/protobuf/descriptor.h>

#include <optional>
#include <string_view>
#include <vector>

#include "api/custom_resource.h"
#include "api/protobuf_body.h"
#include "api/scheme.h"

namespace minik8s::apiserver {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using nlohmann::json;

constexpr std::string_view kCore = "k8s.io.api.core.v1.";
constexpr std::string_view kMeta = "k8s.io.apimachinery.pkg.apis.meta.v1.";

// How Kubernetes keys a list (its +listType/+listMapKey markers) and merges it in a
// strategic-merge patch (its patchStrategy/patchMergeKey tags); also a struct field's
// patch strategy (DeploymentSpec.strategy's retainKeys). Empty members are not emitted.
struct FieldRule {
  std::string owner;  // full protobuf name of the message that declares the field
  std::string field;  // its JSON key
  std::string list_type;
  std::vector<std::string> map_keys;
  std::string patch_strategy;
  std::string merge_key;
};

const std::vector<FieldRule>& fieldRules() {
  static const std::vector<FieldRule> rules = [] {
    auto core = [](std::string_view m) { return std::string(kCore) + std::string(m); };
    std::vector<FieldRule> r = {
        {core("PodSpec"), "volumes", "map", {"name"}, "merge,retainKeys", "name"},
        {core("PodSpec"), "initContainers", "map", {"name"}, "merge", "name"},
        {core("PodSpec"), "containers", "map", {"name"}, "merge", "name"},
        {core("PodSpec"), "ephemeralContainers", "map", {"name"}, "merge", "name"},
        {core("PodSpec"), "imagePullSecrets", "map", {"name"}, "merge", "name"},
        {core("PodSpec"), "tolerations", "atomic", {}, "", ""},
        {core("PodSpec"), "hostAliases", "map", {"ip"}, "merge", "ip"},
        {core("PodSpec"), "topologySpreadConstraints", "map", {"topologyKey", "whenUnsatisfiable"},
         "merge", "topologyKey"},
        {core("PodSpec"), "schedulingGates", "map", {"name"}, "merge", "name"},
        {core("PodSpec"), "resourceClaims", "map", {"name"}, "merge,retainKeys", "name"},
        {core("PodStatus"), "podIPs", "map", {"ip"}, "merge", "ip"},
        {core("PodStatus"), "hostIPs", "atomic", {}, "merge", "ip"},
        {core("NodeSpec"), "taints", "atomic", {}, "", ""},
        {core("NodeStatus"), "addresses", "map", {"type"}, "merge", "type"},
        {core("ServiceSpec"), "ports", "map", {"port", "protocol"}, "merge", "port"},
        {core("ServiceAccount"), "secrets", "map", {"name"}, "merge", "name"},
        {std::string(kMeta) + "ObjectMeta", "finalizers", "set", {}, "merge", ""},
        {std::string(kMeta) + "ObjectMeta", "ownerReferences", "map", {"uid"}, "merge", "uid"},
        {"k8s.io.api.apps.v1.DeploymentSpec", "strategy", "", {}, "retainKeys", ""},
    };
    // A container's lists, for Container and for the members EphemeralContainer inlines.
    for (std::string_view owner : {"Container", "EphemeralContainerCommon"}) {
      r.push_back({core(owner), "ports", "map", {"containerPort", "protocol"}, "merge",
                   "containerPort"});
      r.push_back({core(owner), "env", "map", {"name"}, "merge", "name"});
      r.push_back({core(owner), "volumeMounts", "map", {"mountPath"}, "merge", "mountPath"});
      r.push_back({core(owner), "volumeDevices", "map", {"devicePath"}, "merge", "devicePath"});
    }
    return r;
  }();
  return rules;
}

// The rule of field `f`: the table's, else a status' conditions keyed by their type.
std::optional<FieldRule> ruleOf(const FieldDescriptor* f) {
  for (const auto& rule : fieldRules()) {
    if (rule.owner == f->containing_type()->full_name() && rule.field == f->json_name()) {
      return rule;
    }
  }
  if (f->json_name() == "conditions" && f->is_repeated() &&
      f->type() == FieldDescriptor::TYPE_MESSAGE && f->message_type()->FindFieldByName("type")) {
    return FieldRule{"", "", "map", {"type"}, "merge", "type"};
  }
  return std::nullopt;
}

// A comment of the .proto source (leading, else trailing), its lines joined by spaces.
template <typename D>
std::string commentOf(const D* d) {
  google::protobuf::SourceLocation location;
  if (!d->GetSourceLocation(&location)) return "";
  const std::string& text =
      location.leading_comments.empty() ? location.trailing_comments : location.leading_comments;
  std::string out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + start, end - start);
    while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    while (!line.empty() && line.back() == ' ') line.remove_suffix(1);
    if (!line.empty()) {
      if (!out.empty()) out += ' ';
      out += line;
    }
    start = end + 1;
  }
  return out;
}

// The messages whose JSON is not an object of their fields, in kube-apiserver's forms.
std::optional<json> specialSchema(const std::string& full_name) {
  std::string_view n = full_name;
  if (n == std::string(kMeta) + "Time") {
    return json{{"type", "string"}, {"format", "date-time"},
                {"description", "A time in RFC 3339 form, to the second (2024-05-01T12:00:00Z)."}};
  }
  if (n == std::string(kMeta) + "MicroTime") {
    return json{{"type", "string"}, {"format", "date-time"},
                {"description", "A time in RFC 3339 form with microseconds."}};
  }
  if (n == std::string(kMeta) + "Duration") {
    return json{{"type", "string"}, {"description", "A duration as Go writes it (\"1m30s\")."}};
  }
  if (n == std::string(kMeta) + "FieldsV1") {
    return json{{"type", "object"}, {"description", "A set of fields, in the FieldsV1 JSON form."}};
  }
  if (n == "k8s.io.apimachinery.pkg.util.intstr.IntOrString") {
    return json{{"x-kubernetes-int-or-string", true},
                {"description", "An integer or a string (a port number or a port name, 25%)."}};
  }
  if (n == "k8s.io.apimachinery.pkg.api.resource.Quantity") {
    return json{{"x-kubernetes-int-or-string", true},
                {"description", "A quantity: a number with an optional suffix (500m, 1Gi, 2)."}};
  }
  if (n == "k8s.io.apimachinery.pkg.runtime.RawExtension") {
    return json{{"type", "object"}, {"description", "An embedded object, as JSON."}};
  }
  if (n == "k8s.io.api.certificates.v1.ExtraValue") {
    return json{{"type", "array"}, {"items", {{"type", "string"}}},
                {"description", "A list of strings (a user's extra attribute)."}};
  }
  return std::nullopt;
}

json refTo(const std::string& name) { return {{"$ref", "#/components/schemas/" + name}}; }

// Writes the schemas of messages into one components.schemas object: each message once,
// nested messages as $refs to their own schema.
class SchemaBuilder {
 public:
  explicit SchemaBuilder(json& schemas) : schemas_(schemas) {}

  // Adds the schema of `d` and of every message it reaches, unless already there; its name.
  std::string add(const Descriptor* d) {
    std::string name = openApiSchemaName(d->full_name());
    if (schemas_.contains(name)) return name;
    if (auto special = specialSchema(d->full_name())) {
      schemas_[name] = std::move(*special);
      return name;
    }
    schemas_[name] = json::object();  // present while its fields are walked: ends recursion
    json schema = {{"type", "object"}};
    if (std::string description = commentOf(d); !description.empty()) {
      schema["description"] = description;
    }
    json properties = json::object();
    addProperties(d, properties);
    if (!properties.empty()) schema["properties"] = std::move(properties);
    schemas_[name] = std::move(schema);
    return name;
  }

 private:
  // `d`'s fields as properties; an inlined member's fields beside them.
  void addProperties(const Descriptor* d, json& properties) {
    for (int i = 0; i < d->field_count(); ++i) {
      const FieldDescriptor* f = d->field(i);
      if (f->json_name() == ",inline" && f->type() == FieldDescriptor::TYPE_MESSAGE) {
        addProperties(f->message_type(), properties);
      } else {
        properties[f->json_name()] = fieldSchema(f);
      }
    }
  }

  // One value of `f` (an element when repeated): a scalar's type or a $ref.
  json valueSchema(const FieldDescriptor* f) {
    switch (f->type()) {
      case FieldDescriptor::TYPE_MESSAGE:
      case FieldDescriptor::TYPE_GROUP:
        return refTo(add(f->message_type()));
      case FieldDescriptor::TYPE_STRING:
        return {{"type", "string"}};
      case FieldDescriptor::TYPE_BYTES:
        return {{"type", "string"}, {"format", "byte"}};
      case FieldDescriptor::TYPE_BOOL:
        return {{"type", "boolean"}};
      case FieldDescriptor::TYPE_DOUBLE:
      case FieldDescriptor::TYPE_FLOAT:
        return {{"type", "number"}, {"format", "double"}};
      case FieldDescriptor::TYPE_INT64:
      case FieldDescriptor::TYPE_SINT64:
      case FieldDescriptor::TYPE_SFIXED64:
      case FieldDescriptor::TYPE_UINT64:
      case FieldDescriptor::TYPE_FIXED64:
        return {{"type", "integer"}, {"format", "int64"}};
      default:
        return {{"type", "integer"}, {"format", "int32"}};
    }
  }

  json fieldSchema(const FieldDescriptor* f) {
    json s;
    if (f->is_map()) {
      s = {{"type", "object"},
           {"additionalProperties", valueSchema(f->message_type()->map_value())}};
    } else if (f->is_repeated()) {
      s = {{"type", "array"}, {"items", valueSchema(f)}};
    } else if (f->type() == FieldDescriptor::TYPE_MESSAGE) {
      s = {{"allOf", json::array({valueSchema(f)})}};  // kube-apiserver's form: room beside
    } else {
      s = valueSchema(f);
    }
    if (std::string description = commentOf(f); !description.empty()) {
      s["description"] = description;
    }
    if (auto rule = ruleOf(f)) {
      if (!rule->list_type.empty()) s["x-kubernetes-list-type"] = rule->list_type;
      if (!rule->map_keys.empty()) s["x-kubernetes-list-map-keys"] = rule->map_keys;
      if (!rule->patch_strategy.empty()) s["x-kubernetes-patch-strategy"] = rule->patch_strategy;
      if (!rule->merge_key.empty()) s["x-kubernetes-patch-merge-key"] = rule->merge_key;
    }
    return s;
  }

  json& schemas_;
};

std::string gvPath(const std::string& group, const std::string& version) {
  return group.empty() ? "api/" + version : "apis/" + group + "/" + version;
}

// The root schema of kind in group/version, added to `schemas` with what it reaches.
void addKind(SchemaBuilder& builder, json& schemas, const std::string& group,
             const std::string& version, const std::string& kind) {
  std::string api_version = group.empty() ? version : group + "/" + version;
  std::string name;
  if (const Descriptor* d = api::protobufMessageOf(api_version, kind)) {
    name = builder.add(d);
  } else {  // no message: a schema that names the kind and keeps whatever fields it has
    std::string label = group.empty() ? "core" : group.substr(0, group.find('.'));
    name = "io.k8s.api." + label + "." + version + "." + kind;
    schemas[name] = {{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}};
  }
  json& root = schemas[name];
  root["x-kubernetes-group-version-kind"] =
      json::array({{{"group", group}, {"version", version}, {"kind", kind}}});
  if (!root.contains("description")) {
    root["description"] = kind + " (" + api_version + ").";
  }
  json& properties = root["properties"];
  properties["apiVersion"] = {
      {"type", "string"},
      {"description",
       "The versioned schema of this object (\"" + api_version +
           "\"); a server converts the versions it knows and refuses the others."}};
  properties["kind"] = {
      {"type", "string"},
      {"description", "The REST resource this object represents, in CamelCase (\"" + kind +
                          "\"). Cannot be updated."}};
}

json pathsOf(const std::string& group, const std::string& version,
             const std::vector<api::ResourceInfo>& resources = api::servedResources()) {
  json paths = json::object();
  for (const auto& r : resources) {
    if (r.group != group || r.version != version) continue;
    std::string path = "/" + gvPath(group, version) + "/" +
                       (r.namespaced ? "namespaces/{namespace}/" : "") + r.plural + "/{name}";
    json gvk = {{"group", group}, {"version", version}, {"kind", r.kind}};
    json params = json::array({{{"name", "fieldValidation"}, {"in", "query"},
                                {"schema", {{"type", "string"}}}},
                               {{"name", "fieldManager"}, {"in", "query"},
                                {"schema", {{"type", "string"}}}},
                               {{"name", "dryRun"}, {"in", "query"},
                                {"schema", {{"type", "string"}}}}});
    json op = {{"x-kubernetes-group-version-kind", gvk},
               {"x-kubernetes-action", "patch"},
               {"parameters", params},
               {"responses", {{"200", {{"description", "OK"}}}}}};
    paths[path]["patch"] = op;
    json put = op;
    put["x-kubernetes-action"] = "put";
    paths[path]["put"] = put;
  }
  return paths;
}

}  // namespace

std::string openApiSchemaName(const std::string& proto_full_name) {
  constexpr std::string_view kPrefix = "k8s.io.";
  if (proto_full_name.rfind(kPrefix, 0) == 0) {
    return "io.k8s." + proto_full_name.substr(kPrefix.size());
  }
  return proto_full_name;
}

// "example.com", "v1", "Widget" -> "com.example.v1.Widget", as apiextensions names it.
std::string customSchemaName(const api::ResourceInfo& r) {
  std::string reversed;
  for (size_t end = r.group.size(); end != std::string::npos && end > 0;) {
    size_t dot = r.group.rfind('.', end - 1);
    size_t start = dot == std::string::npos ? 0 : dot + 1;
    if (!reversed.empty()) reversed += '.';
    reversed += r.group.substr(start, end - start);
    end = dot == std::string::npos ? std::string::npos : dot;
  }
  return reversed + "." + r.version + "." + r.kind;
}

json customOpenApiDocument(const std::string& group, const std::string& version,
                           const std::vector<api::ResourceInfo>& custom) {
  json schemas = json::object();
  SchemaBuilder builder(schemas);
  // ObjectMeta, as the built-in kinds reference it (through Pod's metadata field).
  const Descriptor* pod = api::protobufMessageOf("v1", "Pod");
  const FieldDescriptor* metadata = pod ? pod->FindFieldByName("metadata") : nullptr;
  std::string object_meta = metadata ? builder.add(metadata->message_type()) : "";
  for (const auto& r : custom) {
    if (r.group != group || r.version != version || !r.isCustom()) continue;
    json schema = r.custom->schema.is_object()
                      ? r.custom->schema
                      : json{{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}};
    schema["x-kubernetes-group-version-kind"] =
        json::array({{{"group", group}, {"version", version}, {"kind", r.kind}}});
    json& properties = schema["properties"];
    properties["apiVersion"] = {{"type", "string"},
                                {"description", "APIVersion defines the versioned schema of "
                                                "this representation of an object."}};
    properties["kind"] = {{"type", "string"},
                          {"description", "Kind is a string value representing the REST "
                                          "resource this object represents."}};
    if (!object_meta.empty()) {
      properties["metadata"] = {{"allOf", json::array({{{"$ref", "#/components/schemas/" +
                                                                     object_meta}}})},
                                {"description", "Standard object's metadata."}};
    }
    schemas[customSchemaName(r)] = std::move(schema);
  }
  return {{"openapi", "3.0.0"},
          {"info", {{"title", "Kubernetes CRD Swagger"}, {"version", "v0.1.0"}}},
          {"paths", pathsOf(group, version, custom)},
          {"components", {{"schemas", std::move(schemas)}}}};
}

json openApiDocument(const std::string& group, const std::string& version) {
  json schemas = json::object();
  SchemaBuilder builder(schemas);
  for (const auto& r : api::servedResources()) {
    if (r.group != group || r.version != version) continue;
    addKind(builder, schemas, group, version, r.kind);
    std::string api_version = group.empty() ? version : group + "/" + version;
    if (api::protobufMessageOf(api_version, r.kind + "List")) {
      addKind(builder, schemas, group, version, r.kind + "List");
    }
  }
  return {{"openapi", "3.0.0"},
          {"info", {{"title", "Kubernetes"}, {"version", "v1.32.0"}}},
          {"paths", pathsOf(group, version)},
          {"components", {{"schemas", std::move(schemas)}}}};
}

}  // namespace minik8s::apiserver
