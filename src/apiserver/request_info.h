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
  std::string name;         // "" for collections; for a list or watch whose field selector
                            // demands metadata.name=<x>, x (kube-apiserver's RequestInfo)
  std::string subresource;  // "status", "scale", "binding", "log", "exec", ...
};

// Splits "/api/v1/namespaces/ns/pods/x/status" into its parts. Non-resource paths give
// is_resource_request=false; a malformed resource path is kNotFound. A list or watch whose
// `field_selector` (the fieldSelector query value) has a `metadata.name=x` term addresses x
// alone: `name` is x (when x is a valid path segment), so that authorization sees a named
// request; the verb stays list or watch. A selector that does not parse leaves `name` empty
// (the handler answers it with 400).
Result<RequestInfo> parseRequestInfo(std::string_view method, std::string_view path,
                                     bool watch_requested, std::string_view field_selector = "");

// Go's strconv.ParseBool: 1, t, T, TRUE, true, True, 0, f, F, FALSE, false, False.
std::optional<bool> parseBool(std::string_view s);

}  // namespace minik8s::apiserver
