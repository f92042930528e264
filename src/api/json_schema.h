// Structural OpenAPI v3 schemas, as CustomResourceDefinitions declare them
// (`openAPIV3Schema`), applied to JSON values the way kube-apiserver's apiextensions
// code does: pruning of undeclared fields, `default`s, and validation with Kubernetes'
// field paths and messages. Pure; thread-safe; never throws: a malformed schema is
// reported by validateStructuralSchema, and the other functions treat the parts of it
// they cannot read as "anything goes".
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/status.h"

namespace minik8s::api {

// The errors of `schema` as a structural schema (kube's apiextensions validation), with
// paths under `path` ("spec.versions[0].schema.openAPIV3Schema"). `root`: the schema of a
// whole object (its type must be object; metadata may only restrict name/generateName).
std::vector<FieldError> validateStructuralSchema(const nlohmann::json& schema,
                                                 const std::string& path, bool root = true);

// Removes from `value` every object field `schema` does not declare (unless the schema
// says x-kubernetes-preserve-unknown-fields), recursively; the removed fields' paths
// ("spec.extra", "spec.items[1].x") are appended to `pruned` when it is not null.
void pruneUnknownFields(const nlohmann::json& schema, nlohmann::json& value,
                        std::vector<std::string>* pruned, const std::string& path = "");

// Sets every absent (or null and not nullable) property that has a `default`, top-down,
// inside objects, arrays' items and additionalProperties maps.
void applySchemaDefaults(const nlohmann::json& schema, nlohmann::json& value);

// The field errors of `value` against `schema`: type (with nullable,
// x-kubernetes-int-or-string, x-kubernetes-preserve-unknown-fields), properties,
// additionalProperties, required, enum, minimum/maximum (and exclusive), minLength/
// maxLength, pattern, items, minItems/maxItems, uniqueItems, allOf/anyOf/oneOf/not.
// `path` names `value` ("spec"); "" at the root.
std::vector<FieldError> validateAgainstSchema(const nlohmann::json& schema,
                                              const nlohmann::json& value,
                                              const std::string& path = "");

}  // namespace minik8s::api
