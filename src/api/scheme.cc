#include "api/scheme.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <nlohmann/json.hpp>

#include "api/autoscaling_conversion.h"
#include "api/codec.h"
#include "api/custom_resource.h"
#include "api/types_discovery.h"
#include "api/defaults.h"
#include "api/types_batch.h"
#include "api/types_certificates.h"
#include "api/types_policy.h"
#include "api/types_networking.h"
#include "api/types_rbac.h"
#include "api/validation.h"

namespace minik8s::api {
namespace {

using nlohmann::json;

const std::vector<std::string>& standardVerbs() {
  static const std::vector<std::string> kVerbs = {"create", "delete", "deletecollection", "get",
                                                  "list",   "patch",  "update",           "watch"};
  return kVerbs;
}

ResourceInfo make(std::string group, std::string version, std::string kind, std::string plural,
                  std::string singular, bool namespaced, std::vector<std::string> short_names,
                  std::vector<std::string> categories, std::vector<std::string> subresources) {
  ResourceInfo r;
  r.group = std::move(group);
  r.version = std::move(version);
  r.kind = std::move(kind);
  r.plural = std::move(plural);
  r.singular = std::move(singular);
  r.namespaced = namespaced;
  r.short_names = std::move(short_names);
  r.categories = std::move(categories);
  r.subresources = std::move(subresources);
  r.verbs = standardVerbs();
  return r;
}

std::vector<ResourceInfo> buildResources() {
  return {
      make("", "v1", "Namespace", "namespaces", "namespace", false, {"ns"}, {},
           {"status", "finalize"}),
      make("", "v1", "Pod", "pods", "pod", true, {"po"}, {"all"},
           {"status", "binding", "eviction", "log", "exec"}),
      make("", "v1", "Service", "services", "service", true, {"svc"}, {"all"}, {"status"}),
      make("", "v1", "Endpoints", "endpoints", "endpoints", true, {"ep"}, {}, {}),
      make("", "v1", "Node", "nodes", "node", false, {"no"}, {}, {"status"}),
      make("", "v1", "Event", "events", "event", true, {"ev"}, {}, {}),
      make("", "v1", "ConfigMap", "configmaps", "configmap", true, {"cm"}, {}, {}),
      make("", "v1", "Secret", "secrets", "secret", true, {}, {}, {}),
      make("", "v1", "ServiceAccount", "serviceaccounts", "serviceaccount", true, {"sa"}, {}, {}),
      make("", "v1", "Dns", "dnses", "dns", true, {}, {}, {}),
      make("", "v1", "Hpa", "hpas", "hpa", true, {}, {}, {}),
      make("apps", "v1", "Deployment", "deployments", "deployment", true, {"deploy"}, {"all"},
           {"status", "scale"}),
      make("apps", "v1", "DaemonSet", "daemonsets", "daemonset", true, {"ds"}, {"all"},
           {"status"}),
      make("apps", "v1", "ReplicaSet", "replicasets", "replicaset", true, {"rs"}, {"all"},
           {"status", "scale"}),
      make("autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers",
           "horizontalpodautoscaler", true, {"hpa"}, {"all"}, {"status"}),
      make("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", "endpointslice", true, {},
           {}, {}),
      make("coordination.k8s.io", "v1", "Lease", "leases", "lease", true, {}, {}, {}),
      make("batch", "v1", "Job", "jobs", "job", true, {}, {"all"}, {"status"}),
      make("batch", "v1", "CronJob", "cronjobs", "cronjob", true, {"cj"}, {"all"}, {"status"}),
      make("networking.k8s.io", "v1", "Ingress", "ingresses", "ingress", true, {"ing"}, {},
           {"status"}),
      make("networking.k8s.io", "v1", "IngressClass", "ingressclasses", "ingressclass", false, {},
           {}, {}),
      make(kRbacGroup, "v1", "ClusterRoleBinding", "clusterrolebindings", "clusterrolebinding",
           false, {}, {}, {}),
      make(kRbacGroup, "v1", "ClusterRole", "clusterroles", "clusterrole", false, {}, {}, {}),
      make(kRbacGroup, "v1", "RoleBinding", "rolebindings", "rolebinding", true, {}, {}, {}),
      make(kRbacGroup, "v1", "Role", "roles", "role", true, {}, {}, {}),
      make(kCertificatesGroup, "v1", "CertificateSigningRequest", "certificatesigningrequests",
           "certificatesigningrequest", false, {"csr"}, {}, {"status", "approval"}),
      make(kPolicyGroup, "v1", "PodDisruptionBudget", "poddisruptionbudgets",
           "poddisruptionbudget", true, {"pdb"}, {}, {"status"}),
      make(kApiextensionsGroup, "v1", "CustomResourceDefinition", "customresourcedefinitions",
           "customresourcedefinition", false, {"crd", "crds"}, {"api-extensions"}, {"status"}),
  };
}

// Versions served by converting a stored one.
std::vector<ResourceInfo> buildViews() {
  ResourceInfo hpa_v1 = make("autoscaling", "v1", "HorizontalPodAutoscaler",
                             "horizontalpodautoscalers", "horizontalpodautoscaler", true, {"hpa"},
                             {"all"}, {"status"});
  hpa_v1.storage_version = "v2";
  return {hpa_v1};
}

// The per-kind entry points, generated from the typed struct T: decode -> default ->
// encode for normalize, decode -> validateObject for validate.
struct KindOps {
  Status (*normalize)(const ResourceInfo&, json&, std::vector<std::string>*);
  std::vector<FieldError> (*validate)(const json&, const json*);
};

template <typename T>
struct KindCodec {
  static Status normalize(const ResourceInfo& resource, json& object,
                          std::vector<std::string>* unknown_fields) {
    T value{};
    RETURN_IF_ERROR(fromJson(object, value, unknown_fields));
    value.api_version = resource.apiVersion();
    value.kind = resource.kind;
    setDefaults(value);
    object = toJson(value);
    return Status::ok();
  }

  static std::vector<FieldError> validate(const json& object, const json* old) {
    Result<T> now = decode<T>(object);
    if (!now.isOk()) return {{"", "FieldValueInvalid", now.status().message()}};
    if (old == nullptr) return validateObject(*now, nullptr);
    Result<T> before = decode<T>(*old);
    if (!before.isOk()) return validateObject(*now, nullptr);
    return validateObject(*now, &*before);
  }

  static constexpr KindOps ops() { return {&normalize, &validate}; }
};

// autoscaling/v1 HorizontalPodAutoscaler: decoded as v1 (unknown fields are v1's), v1's
// defaults, then converted to the stored v2 object and defaulted as v2.
struct HpaV1Codec {
  static Status normalize(const ResourceInfo& /*resource*/, json& object,
                          std::vector<std::string>* unknown_fields) {
    HorizontalPodAutoscalerV1 v1{};
    RETURN_IF_ERROR(fromJson(object, v1, unknown_fields));
    if (!v1.spec.min_replicas) v1.spec.min_replicas = 1;
    ASSIGN_OR_RETURN(HorizontalPodAutoscaler v2, fromAutoscalingV1(v1));
    setDefaults(v2);
    object = toJson(v2);
    return Status::ok();
  }

  static constexpr KindOps ops() {
    return {&normalize, &KindCodec<HorizontalPodAutoscaler>::validate};
  }
};

// apiextensions.k8s.io/v1 CustomResourceDefinition: kept as JSON (custom_resource.h).
struct CrdCodec {
  static Status normalize(const ResourceInfo& /*resource*/, json& object,
                          std::vector<std::string>* /*unknown_fields*/) {
    return normalizeCustomResourceDefinition(object);
  }
  static std::vector<FieldError> validate(const json& object, const json* old) {
    return validateCustomResourceDefinition(object, old);
  }
  static constexpr KindOps ops() { return {&normalize, &validate}; }
};

const std::map<std::string, KindOps, std::less<>>& kindTable() {
  static const std::map<std::string, KindOps, std::less<>> kTable = {
      {"v1/Namespace", KindCodec<Namespace>::ops()},
      {"v1/Pod", KindCodec<Pod>::ops()},
      {"v1/Service", KindCodec<Service>::ops()},
      {"v1/Endpoints", KindCodec<Endpoints>::ops()},
      {"v1/Node", KindCodec<Node>::ops()},
      {"v1/Event", KindCodec<Event>::ops()},
      {"v1/ConfigMap", KindCodec<ConfigMap>::ops()},
      {"v1/Secret", KindCodec<Secret>::ops()},
      {"v1/ServiceAccount", KindCodec<ServiceAccount>::ops()},
      {"v1/Dns", KindCodec<Dns>::ops()},
      {"v1/Hpa", KindCodec<Hpa>::ops()},
      {"apps/v1/Deployment", KindCodec<Deployment>::ops()},
      {"apps/v1/ReplicaSet", KindCodec<ReplicaSet>::ops()},
      {"apps/v1/DaemonSet", KindCodec<DaemonSet>::ops()},
      {"autoscaling/v2/HorizontalPodAutoscaler", KindCodec<HorizontalPodAutoscaler>::ops()},
      {"autoscaling/v1/HorizontalPodAutoscaler", HpaV1Codec::ops()},
      {"discovery.k8s.io/v1/EndpointSlice", KindCodec<EndpointSlice>::ops()},
      {"coordination.k8s.io/v1/Lease", KindCodec<Lease>::ops()},
      {"batch/v1/Job", KindCodec<Job>::ops()},
      {"batch/v1/CronJob", KindCodec<CronJob>::ops()},
      {"networking.k8s.io/v1/Ingress", KindCodec<Ingress>::ops()},
      {"networking.k8s.io/v1/IngressClass", KindCodec<IngressClass>::ops()},
      {"rbac.authorization.k8s.io/v1/Role", KindCodec<Role>::ops()},
      {"rbac.authorization.k8s.io/v1/ClusterRole", KindCodec<ClusterRole>::ops()},
      {"rbac.authorization.k8s.io/v1/RoleBinding", KindCodec<RoleBinding>::ops()},
      {"rbac.authorization.k8s.io/v1/ClusterRoleBinding", KindCodec<ClusterRoleBinding>::ops()},
      {"certificates.k8s.io/v1/CertificateSigningRequest",
       KindCodec<CertificateSigningRequest>::ops()},
      {"policy/v1/PodDisruptionBudget", KindCodec<PodDisruptionBudget>::ops()},
      {"apiextensions.k8s.io/v1/CustomResourceDefinition", CrdCodec::ops()},
  };
  return kTable;
}

const KindOps* findOps(const ResourceInfo& resource) {
  auto it = kindTable().find(resource.apiVersion() + "/" + resource.kind);
  return it == kindTable().end() ? nullptr : &it->second;
}

// apiVersion/kind in the body, when present, must name the resource of the URL.
Status checkTypeMeta(const ResourceInfo& resource, const json& object) {
  auto check = [&](const char* key, const std::string& expected, const char* what) -> Status {
    auto it = object.find(key);
    if (it == object.end() || it->is_null()) return Status::ok();
    if (!it->is_string())
      return badRequest(std::string(key) + ": expected string, got " + it->type_name());
    const std::string& got = it->get_ref<const std::string&>();
    if (got.empty() || got == expected) return Status::ok();
    return badRequest("the " + std::string(what) + " in the data (" + got +
                      ") does not match the expected " + what + " (" + expected + ")");
  };
  RETURN_IF_ERROR(check("apiVersion", resource.apiVersion(), "API version"));
  return check("kind", resource.kind, "kind");
}

}  // namespace

std::string ResourceInfo::storagePrefix() const {
  return isCustom() ? "/registry/" + group + "/" + plural + "/" : "/registry/" + plural + "/";
}

bool ResourceInfo::convertsOnRead() const {
  return isView() || (isCustom() && custom->storage_version != version);
}

bool ResourceInfo::hasSubresource(std::string_view s) const {
  return std::find(subresources.begin(), subresources.end(), s) != subresources.end();
}

const std::vector<ResourceInfo>& allResources() {
  static const std::vector<ResourceInfo> kResources = buildResources();
  return kResources;
}

static const std::vector<ResourceInfo>& views() {
  static const std::vector<ResourceInfo> kViews = buildViews();
  return kViews;
}

const std::vector<ResourceInfo>& servedResources() {
  static const std::vector<ResourceInfo> kServed = [] {
    std::vector<ResourceInfo> served;
    for (const ResourceInfo& r : allResources()) {
      served.push_back(r);
      for (const ResourceInfo& v : views()) {
        if (v.group == r.group && v.plural == r.plural && v.storage_version == r.version) {
          served.push_back(v);
        }
      }
    }
    return served;
  }();
  return kServed;
}

const ResourceInfo* findResource(std::string_view group, std::string_view version,
                                 std::string_view plural) {
  for (const auto* list : {&allResources(), &views()}) {
    for (const ResourceInfo& r : *list) {
      if (r.group == group && r.version == version && r.plural == plural) return &r;
    }
  }
  return nullptr;
}

const ResourceInfo* findResourceByKind(std::string_view api_version, std::string_view kind) {
  for (const auto* list : {&allResources(), &views()}) {
    for (const ResourceInfo& r : *list) {
      if (r.kind == kind && r.apiVersion() == api_version) return &r;
    }
  }
  return nullptr;
}

const ResourceInfo& storageResource(const ResourceInfo& resource) {
  if (!resource.isView()) return resource;
  const ResourceInfo* stored = findResource(resource.group, resource.storage_version,
                                            resource.plural);
  return stored != nullptr ? *stored : resource;
}

Status convertFromStorage(const ResourceInfo& resource, nlohmann::json& object) {
  if (resource.isCustom()) {  // conversion None: only apiVersion changes
    if (object.is_object()) object["apiVersion"] = resource.apiVersion();
    return Status::ok();
  }
  if (!resource.isView()) return Status::ok();
  if (resource.apiVersion() == "autoscaling/v1" && resource.kind == "HorizontalPodAutoscaler") {
    ASSIGN_OR_RETURN(HorizontalPodAutoscaler v2, decode<HorizontalPodAutoscaler>(object));
    object = toJson(toAutoscalingV1(v2));
    return Status::ok();
  }
  return internalError("no conversion to " + resource.apiVersion() + " " + resource.kind);
}

const ResourceInfo* resolveResource(std::string_view name) {
  auto lower = [](std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
  };
  std::string wanted = lower(name);
  std::string group;
  bool qualified = false;
  size_t dot = wanted.find('.');
  if (dot != std::string::npos) {
    group = wanted.substr(dot + 1);
    wanted.resize(dot);
    qualified = true;
  }
  auto group_ok = [&](const ResourceInfo& r) { return !qualified || r.group == group; };
  for (const ResourceInfo& r : allResources()) {
    if (!group_ok(r)) continue;
    for (const std::string& s : r.short_names) {
      if (s == wanted) return &r;
    }
  }
  for (const ResourceInfo& r : allResources()) {
    if (group_ok(r) && r.plural == wanted) return &r;
  }
  for (const ResourceInfo& r : allResources()) {
    if (group_ok(r) && (r.singular == wanted || lower(r.kind) == wanted)) return &r;
  }
  return nullptr;
}

Status normalize(const ResourceInfo& resource, nlohmann::json& object,
                 std::vector<std::string>* unknown_fields) {
  if (resource.isCustom()) return normalizeCustomResource(resource, object, unknown_fields);
  const KindOps* ops = findOps(resource);
  if (ops == nullptr) return internalError("no codec for kind " + resource.kind);
  if (!object.is_object()) {
    return badRequest(std::string("expected an object, got ") + object.type_name());
  }
  try {
    RETURN_IF_ERROR(checkTypeMeta(resource, object));
    return ops->normalize(resource, object, unknown_fields);
  } catch (const std::exception& e) {
    return internalError(std::string("normalizing ") + resource.kind + ": " + e.what());
  }
}

std::vector<FieldError> validate(const ResourceInfo& resource, const nlohmann::json& object,
                                 const nlohmann::json* old) {
  if (resource.isCustom()) return validateCustomResource(resource, object, old);
  const KindOps* ops = findOps(resource);
  if (ops == nullptr)
    return {{"kind", "FieldValueNotSupported", "no codec for kind " + resource.kind}};
  try {
    return ops->validate(object, old);
  } catch (const std::exception& e) {
    return {{"", "InternalError", e.what()}};
  }
}

}  // namespace minik8s::api
