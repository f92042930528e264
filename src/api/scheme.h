// Scheme: the registry of every API resource minik8s serves, and the per-kind codec
// entry points the generic REST handler calls (normalize = decode + default + re-encode,
// validate, validateUpdate). Pure and stateless; safe from any thread.
//
// The apiserver handles objects as JSON; each kind's typed struct (src/api/types_*.h) is
// the schema: decoding into it drops and reports unknown fields, encoding it back gives
// the canonical stored form.
#pragma once

#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace minik8s::api {

struct CustomResourceVersion;  // api/custom_resource.h

struct ResourceInfo {
  std::string group;     // "" for core, "apps", "autoscaling", "coordination.k8s.io"
  std::string version;   // "v1", "v2"
  std::string kind;      // "Pod"
  std::string plural;    // "pods"
  std::string singular;  // "pod"
  bool namespaced = true;
  std::vector<std::string> short_names;   // {"po"}
  std::vector<std::string> categories;    // {"all"}
  std::vector<std::string> subresources;  // {"status", "binding", "log", "exec", "scale"}
  std::vector<std::string> verbs;         // discovery verbs
  // The version objects are stored in, when this entry is a view served by converting
  // them (autoscaling/v1 HorizontalPodAutoscaler: "v2"); empty for the stored version.
  std::string storage_version;

  // Set for a resource served from a CustomResourceDefinition (api/custom_resource.h): its
  // schema, printer columns and subresource paths. Never in allResources().
  std::shared_ptr<const CustomResourceVersion> custom;

  bool isView() const { return !storage_version.empty(); }
  bool isCustom() const { return custom != nullptr; }
  // Whether stored objects are converted to be shown in this version: a view, or a custom
  // resource's version other than its storage version (convertFromStorage).
  bool convertsOnRead() const;
  // Where its objects live in etcd: "/registry/pods/", and as kube-apiserver keeps custom
  // resources, "/registry/<group>/<plural>/".
  std::string storagePrefix() const;

  // "v1" or "apps/v1"
  std::string apiVersion() const { return group.empty() ? version : group + "/" + version; }
  // "pods" or "deployments.apps", as error messages name resources
  std::string qualifiedName() const { return group.empty() ? plural : plural + "." + group; }
  bool hasSubresource(std::string_view s) const;
};

// Every stored resource, one entry per kind, in discovery order (core first).
const std::vector<ResourceInfo>& allResources();
// Every served resource: allResources() with the views of other versions after the
// version they convert (autoscaling v2, then v1), in discovery order.
const std::vector<ResourceInfo>& servedResources();
// The stored resource a view converts; `resource` itself when it is not a view.
const ResourceInfo& storageResource(const ResourceInfo& resource);
// nullptr when not served (views included).
const ResourceInfo* findResource(std::string_view group, std::string_view version,
                                 std::string_view plural);
const ResourceInfo* findResourceByKind(std::string_view api_version, std::string_view kind);
// Resolves a name as kubectl does for `kubectl get NAME`: short names first ("po", "hpa" ->
// horizontalpodautoscalers), then plural, singular and kind (case-insensitive), each
// optionally qualified by group ("deployments.apps", "hpa.autoscaling"). nullptr if none.
const ResourceInfo* resolveResource(std::string_view name);

// A stored object (JSON of storageResource(resource)) as `resource`'s version shows it;
// unchanged when `resource` is not a view. kBadRequest when it does not decode.
Status convertFromStorage(const ResourceInfo& resource, nlohmann::json& object);

// Decodes `object` (an object of `resource`'s kind; apiVersion/kind may be absent) into
// the typed struct, applies Kubernetes defaults and encodes it back into `object`, with
// apiVersion and kind set. Fields the schema does not know are removed and their paths
// appended to `unknown_fields`. kBadRequest when a field has the wrong JSON type
// (e.g. "spec.replicas: expected integer, got string"). For a view, the result is the
// object converted to its stored version (autoscaling/v1 in, autoscaling/v2 out), and
// validate() checks that stored form.
Status normalize(const ResourceInfo& resource, nlohmann::json& object,
                 std::vector<std::string>* unknown_fields);

// Field errors of a normalized object (empty when valid). `old` is the stored object on
// update (nullptr on create) for immutability rules (e.g. a Pod's spec.containers images
// may change, its container names may not; a Service's clusterIP may not change).
std::vector<FieldError> validate(const ResourceInfo& resource, const nlohmann::json& object,
                                 const nlohmann::json* old);

}  // namespace minik8s::api
