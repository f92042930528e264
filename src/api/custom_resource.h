// apiextensions.k8s.io/v1 CustomResourceDefinition and the resources it defines: the
// CRD's own defaulting, validation and status (kube's apiextensions validation and its
// naming/establishing controllers, done at write time), the ResourceInfos a CRD serves,
// and the per-object strategy of custom resources (prune, default, validate against the
// version's openAPIV3Schema). Pure; thread-safe; never throws.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "api/scheme.h"
#include "common/status.h"

namespace minik8s::api {

inline constexpr char kApiextensionsGroup[] = "apiextensions.k8s.io";

struct PrinterColumn {
  std::string name;
  std::string type;  // integer, number, string, boolean, date
  std::string format;
  std::string description;
  int priority = 0;
  std::string json_path;  // ".spec.replicas"
};

// What one served version of a CRD adds to its ResourceInfo.
struct CustomResourceVersion {
  std::string crd_name;                // "widgets.example.com"
  std::string storage_version;         // the version objects are stored in ("v1")
  nlohmann::json schema;               // openAPIV3Schema (null: none)
  std::vector<PrinterColumn> columns;  // additionalPrinterColumns, or Age when none
  bool status_subresource = false;
  // The scale subresource's paths (".spec.replicas"), when it has one.
  std::string spec_replicas_path, status_replicas_path, label_selector_path;
  bool scale_subresource = false;
};

// CustomResourceDefinition normalize (defaults: singular, listKind, conversion) and
// validation (names.plural + "." + group = metadata.name, one storage version, structural
// schema required, printer columns, subresources; group/scope/names.kind... immutable).
Status normalizeCustomResourceDefinition(nlohmann::json& crd);
std::vector<FieldError> validateCustomResourceDefinition(const nlohmann::json& crd,
                                                         const nlohmann::json* old);

// What the naming and establishing controllers write: status.acceptedNames = spec.names,
// conditions NamesAccepted and Established True (lastTransitionTime kept from `old` while
// unchanged, else `now`, RFC 3339), storedVersions gains the storage version.
void setCustomResourceDefinitionStatus(nlohmann::json& crd, const nlohmann::json* old,
                                       const std::string& now);

// The resources a (valid) CRD serves: one per served version, the storage version first.
std::vector<ResourceInfo> customResourcesOf(const nlohmann::json& crd);

// A custom resource object: apiVersion/kind checked, unknown fields pruned (their paths
// appended to `pruned`), defaults applied; apiVersion becomes the storage version's (objects
// of every served version are stored in it, as kube-apiserver does with conversion None).
Status normalizeCustomResource(const ResourceInfo& resource, nlohmann::json& object,
                               std::vector<std::string>* pruned);
// Field errors: metadata.name, then the version's schema (apiVersion, kind and metadata
// excluded, as Kubernetes does).
std::vector<FieldError> validateCustomResource(const ResourceInfo& resource,
                                               const nlohmann::json& object,
                                               const nlohmann::json* old);

// A simple JSONPath as printer columns use them: ".spec.replicas", ".status.conditions[0].type",
// "{.spec.x}", "spec.x"; null when absent.
nlohmann::json evaluateSimpleJsonPath(const nlohmann::json& object, const std::string& path);
// Sets the value at a dotted path of keys (".spec.replicas"), creating objects on the way
// (a non-object on the way is replaced).
void setSimpleJsonPath(nlohmann::json& object, const std::string& path, nlohmann::json value);

}  // namespace minik8s::api
