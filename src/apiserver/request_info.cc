#include "apiserver/request_info.h"

#include <vector>

#include "api/selector.h"
#include "http/http_server.h"

namespace minik8s::apiserver {

namespace {

std::string verbFor(std::string_view method, bool has_name, bool watch) {
  if (method == "GET" || method == "HEAD") {
    if (watch) return "watch";
    return has_name ? "get" : "list";
  }
  if (method == "POST") return "create";
  if (method == "PUT") return "update";
  if (method == "PATCH") return "patch";
  if (method == "DELETE") return has_name ? "delete" : "deletecollection";
  return "";
}

// Kubernetes' path.IsValidPathSegmentName.
bool isValidPathSegmentName(std::string_view name) {
  return !name.empty() && name != "." && name != ".." &&
         name.find_first_of("/%") == std::string_view::npos;
}

// The x of a `metadata.name=x` term of a list's or watch's field selector (Kubernetes'
// FieldSelector.RequiresExactMatch("metadata.name")); "" when there is none.
std::string nameOfFieldSelector(std::string_view field_selector) {
  if (field_selector.empty()) return "";
  auto selector = api::FieldSelector::parse(field_selector);
  if (!selector.isOk()) return "";
  auto name = selector->requiredValue("metadata.name");
  if (!name || !isValidPathSegmentName(*name)) return "";
  return *name;
}

}  // namespace

std::optional<bool> parseBool(std::string_view s) {
  if (s == "1" || s == "t" || s == "T" || s == "true" || s == "TRUE" || s == "True") return true;
  if (s == "0" || s == "f" || s == "F" || s == "false" || s == "FALSE" || s == "False") {
    return false;
  }
  return std::nullopt;
}

Result<RequestInfo> parseRequestInfo(std::string_view method, std::string_view path,
                                     bool watch_requested, std::string_view field_selector) {
  RequestInfo info;
  auto parts = http::splitPath(path);
  size_t i = 0;
  if (parts.empty() || (parts[0] != "api" && parts[0] != "apis")) return info;
  info.api_prefix = std::string(parts[0]);
  if (parts[0] == "api") {
    if (parts.size() < 3) return info;  // /api, /api/v1 are discovery
    info.version = std::string(parts[1]);
    i = 2;
  } else {
    if (parts.size() < 4) return info;  // /apis, /apis/g, /apis/g/v are discovery
    info.group = std::string(parts[1]);
    info.version = std::string(parts[2]);
    i = 3;
  }
  info.is_resource_request = true;
  auto rest = std::vector<std::string_view>(parts.begin() + static_cast<long>(i), parts.end());
  // namespaces/{ns}/{resource}/... addresses a namespaced resource, except for the
  // namespace's own subresources (namespaces/{name}/status|finalize).
  if (rest.size() >= 3 && rest[0] == "namespaces" && rest[2] != "status" &&
      rest[2] != "finalize") {
    info.namespace_ = std::string(rest[1]);
    rest.erase(rest.begin(), rest.begin() + 2);
  }
  if (rest.empty() || rest.size() > 3) {
    return notFound("the server could not find the requested resource");
  }
  info.resource = std::string(rest[0]);
  if (rest.size() >= 2) info.name = std::string(rest[1]);
  if (rest.size() == 3) info.subresource = std::string(rest[2]);
  bool watch = watch_requested && info.name.empty();
  info.verb = verbFor(method, !info.name.empty(), watch);
  if (info.verb.empty()) return Status(Code::kMethodNotAllowed, "method not allowed");
  if (info.verb == "list" || info.verb == "watch") info.name = nameOfFieldSelector(field_selector);
  return info;
}

}  // namespace minik8s::apiserver
