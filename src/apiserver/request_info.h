// RequestInfo: what a REST request addresses, parsed from its method, path and query.
// Pure; no knowledge of which resources exist (the handler looks them up).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace minik8s::apiserver {

struct RequestInfo {
  bool is_resource_request = false;  // false for /version, /healthz, /api, /apis, ...
  std::string verb;         // get, list, watch, create, update, patch, delete, deletecollection
  std::string api_prefix;   // "api" or "apis"
  std::string group;        // "" for core
  std::string version;      // "v1"
  std::string namespace_;   // "" when cluster-wide
  std::string resource;     // "pods"
  std::string name;         // "" for collections
  std::string subresource;  // "status", "scale", "binding", "log", "exec", ...
};

// Splits "/api/v1/namespaces/ns/pods/x/status" into its parts. Non-resource paths give
// is_resource_request=false; a malformed resource path is kNotFound.
Result<RequestInfo> parseRequestInfo(std::string_view method, std::string_view path,
                                     bool watch_requested);

// Go's strconv.ParseBool: 1, t, T, TRUE, true, True, 0, f, F, FALSE, false, False.
std::optional<bool> parseBool(std::string_view s);

}  // namespace minik8s::apiserver
