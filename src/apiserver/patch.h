// PATCH bodies: JSON merge patch (RFC 7386), JSON patch (RFC 6902), Kubernetes strategic
// merge patch for the built-in kinds, and server-side apply with field ownership.
// Pure functions over objects in their Kubernetes JSON shape; thread-safe; never throw.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string_view>

#include "api/scheme.h"
#include "apiserver/managed_fields.h"
#include "common/status.h"

namespace minik8s::apiserver {

enum class PatchType { kJsonPatch, kMergePatch, kStrategicMergePatch, kApplyPatch };

// Maps a request Content-Type (parameters after ';' ignored, case-insensitive) to a patch
// type. kUnsupportedMediaType with Kubernetes' message for anything else.
Result<PatchType> patchTypeOf(std::string_view content_type);

// RFC 7386: objects merge recursively, `null` removes a key, anything else replaces.
Result<nlohmann::json> applyMergePatch(nlohmann::json target, const nlohmann::json& patch);

// RFC 6902 operations add, remove, replace, move, copy, test (JSON pointers with ~0/~1
// escapes; `-` appends to an array). A malformed operation is kBadRequest, an operation
// that cannot apply (missing path, index out of range) kInvalid, a failed `test`
// kConflict. The operations apply atomically: on error nothing is returned.
Result<nlohmann::json> applyJsonPatch(nlohmann::json target, const nlohmann::json& ops);

// Kubernetes strategic merge patch for `kind` ("Pod", "Deployment", ...): maps merge
// recursively, `null` deletes, lists of objects with a patch merge key (containers by
// name, ports by containerPort, ...) merge element-wise, other lists are replaced.
// Directives: `$patch: replace|merge|delete`, `$setElementOrder/<list>`,
// `$deleteFromPrimitiveList/<list>`, `$retainKeys`; none of them reaches the result.
// kBadRequest for a malformed patch (not an object, element without its merge key, ...).
Result<nlohmann::json> applyStrategicMergePatch(nlohmann::json target, const nlohmann::json& patch,
                                                std::string_view kind);

// Parses `body` as JSON and applies it as `content_type` says (JSON, merge or strategic
// merge patch). `application/apply-patch+yaml` is not handled here (the caller parses the
// YAML and calls applyServerSideApply): kUnsupportedMediaType like any other type.
// kBadRequest for a malformed body.
Result<nlohmann::json> applyPatch(std::string_view content_type, nlohmann::json target,
                                  std::string_view body, const api::ResourceInfo& resource);

// Server-side apply (managed_fields.h's serverSideApply) of the configuration `applied` for
// `options.manager`: with a null `live` the result is the configuration; otherwise it is
// merged over `live` (list-maps by their keys), fields the manager no longer applies and
// nobody else owns are removed, and changing a field another manager owns is a kConflict
// naming each field unless `options.force`. metadata.managedFields carry the ownership; the
// server-owned metadata (uid, resourceVersion, creationTimestamp, generation,
// deletionTimestamp, deletionGracePeriodSeconds) and `status` (unless applying to the status
// subresource) are kept from `live`. Without a manager nothing is owned: a plain merge.
// kind, status_subresource and (when empty) api_version of `options` come from `resource`.
Result<nlohmann::json> applyServerSideApply(nlohmann::json live, const nlohmann::json& applied,
                                            const api::ResourceInfo& resource,
                                            const FieldManagerOptions& options = {});

}  // namespace minik8s::apiserver
