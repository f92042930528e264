// The OpenAPI v3 document of one group-version, as /openapi/v3/<gv> serves it: a PATCH and
// a PUT operation per served kind that declare the fieldValidation query parameter (which
// turns on kubectl's server-side validation), and components.schemas generated from the
// kinds' protobuf messages (proto/k8s, through api::protobufMessageOf): each kind's root
// schema carries x-kubernetes-group-version-kind and apiVersion/kind, nested messages are
// $refs named as kube-apiserver names them (io.k8s.api.core.v1.Pod), Go-inlined members'
// fields sit in their owner's properties, and the lists Kubernetes keys carry
// x-kubernetes-list-type/-list-map-keys and their strategic-merge patch strategy (kubectl
// apply computes its patch from these). Pure; thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "api/scheme.h"

namespace minik8s::apiserver {

// The document of group/version (group "" is core); its paths and schemas are empty when
// the group-version serves no kind. A served kind without a protobuf message gets a root
// schema that preserves unknown fields.
nlohmann::json openApiDocument(const std::string& group, const std::string& version);

// The document of a group-version of custom resources (`custom`: those CRDs serve), as
// apiextensions-apiserver publishes it: per kind its version's openAPIV3Schema with
// x-kubernetes-group-version-kind, apiVersion, kind and metadata (ObjectMeta) added, named
// com.example.v1.Widget; PATCH and PUT operations as for built-in kinds.
nlohmann::json customOpenApiDocument(const std::string& group, const std::string& version,
                                     const std::vector<api::ResourceInfo>& custom);

// The schema name kube-apiserver gives a protobuf message: its full name with the leading
// "k8s.io." turned into "io.k8s." (k8s.io.api.core.v1.Pod -> io.k8s.api.core.v1.Pod).
std::string openApiSchemaName(const std::string& proto_full_name);

}  // namespace minik8s::apiserver
