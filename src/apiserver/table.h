// Server-side Table conversion (meta.k8s.io/v1 Table) for `kubectl get`: the columns the
// real apiserver prints per resource, computed from objects in their Kubernetes JSON shape.
// Pure functions; thread-safe; never throw (a malformed object gets "<unknown>" cells).
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "api/scheme.h"
#include "common/clock.h"
#include "common/status.h"

namespace minik8s::apiserver {

// What `rows[].object` carries (the `includeObject` query parameter).
enum class IncludeObject {
  kNone,      // no object
  kMetadata,  // PartialObjectMetadata (the default)
  kObject,    // the full object
};

// "" (default) → kMetadata; "None", "Metadata", "Object"; kBadRequest otherwise.
Result<IncludeObject> parseIncludeObject(std::string_view value);

// The columnDefinitions of `resource`'s table: [{name, type, format, description,
// priority}], priority 1 for the `-o wide` columns.
nlohmann::json tableColumns(const api::ResourceInfo& resource);

// One row: {"cells":[...], "object":...} (no "object" with kNone). `now` computes ages.
nlohmann::json tableRow(const api::ResourceInfo& resource, const nlohmann::json& object,
                        Clock::WallTime now, IncludeObject mode);

// The Table for a list (or a single GET, as a one-row list). `list_resource_version`
// becomes metadata.resourceVersion (omitted when empty).
nlohmann::json buildTable(const api::ResourceInfo& resource,
                          const std::vector<const nlohmann::json*>& objects, Clock::WallTime now,
                          IncludeObject mode = IncludeObject::kMetadata,
                          const std::string& list_resource_version = "");

// The one-row Table sent as a watch event's object; metadata.resourceVersion is the
// object's. columnDefinitions is [] unless `include_column_definitions`.
nlohmann::json buildWatchEventTable(const api::ResourceInfo& resource, const nlohmann::json& object,
                                    Clock::WallTime now, IncludeObject mode,
                                    bool include_column_definitions);

}  // namespace minik8s::apiserver
