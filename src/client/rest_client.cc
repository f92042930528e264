#include "client/rest_client.h"

#include <cctype>
#include <cstdio>

namespace minik8s::client {

using nlohmann::json;

namespace {

std::string percentEncode(std::string_view in) {
  std::string out;
  for (unsigned char c : in) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

Code codeOfReason(std::string_view reason) {
  static constexpr Code kAll[] = {Code::kBadRequest,
                                  Code::kUnauthorized,
                                  Code::kForbidden,
                                  Code::kNotFound,
                                  Code::kMethodNotAllowed,
                                  Code::kNotAcceptable,
                                  Code::kAlreadyExists,
                                  Code::kConflict,
                                  Code::kGone,
                                  Code::kRequestTooLarge,
                                  Code::kUnsupportedMediaType,
                                  Code::kInvalid,
                                  Code::kTooManyRequests,
                                  Code::kInternal,
                                  Code::kUnavailable,
                                  Code::kDeadlineExceeded};
  for (Code c : kAll) {
    if (codeName(c) == reason) return c;
  }
  if (reason == "Gone") return Code::kGone;
  return Code::kOk;
}

Code codeOfHttpStatus(int status) {
  switch (status) {
    case 400: return Code::kBadRequest;
    case 401: return Code::kUnauthorized;
    case 403: return Code::kForbidden;
    case 404: return Code::kNotFound;
    case 405: return Code::kMethodNotAllowed;
    case 406: return Code::kNotAcceptable;
    case 409: return Code::kConflict;
    case 410: return Code::kGone;
    case 413: return Code::kRequestTooLarge;
    case 415: return Code::kUnsupportedMediaType;
    case 422: return Code::kInvalid;
    case 429: return Code::kTooManyRequests;
    case 503: return Code::kUnavailable;
    case 504: return Code::kDeadlineExceeded;
    default: return status >= 400 && status < 500 ? Code::kBadRequest : Code::kInternal;
  }
}

std::string stringOr(const json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

std::string_view patchContentType(PatchType type) {
  switch (type) {
    case PatchType::kJson: return "application/json-patch+json";
    case PatchType::kMerge: return "application/merge-patch+json";
    case PatchType::kStrategicMerge: return "application/strategic-merge-patch+json";
    case PatchType::kApply: return "application/apply-patch+yaml";
  }
  return "application/merge-patch+json";
}

std::string resourcePath(const api::ResourceInfo& resource, std::string_view ns,
                         std::string_view name, std::string_view subresource) {
  std::string path = resource.group.empty() ? "/api/" + resource.version
                                            : "/apis/" + resource.group + "/" + resource.version;
  if (resource.namespaced && !ns.empty()) path += "/namespaces/" + percentEncode(ns);
  path += "/" + resource.plural;
  if (!name.empty()) {
    path += "/" + percentEncode(name);
    if (!subresource.empty()) path += "/" + std::string(subresource);
  }
  return path;
}

std::string encodeQuery(const std::vector<std::pair<std::string, std::string>>& params) {
  std::string out;
  for (const auto& [k, v] : params) {
    if (v.empty()) continue;
    out += out.empty() ? "?" : "&";
    out += percentEncode(k) + "=" + percentEncode(v);
  }
  return out;
}

Status statusFromResponse(int http_status, std::string_view body) {
  Code code = codeOfHttpStatus(http_status);
  json parsed = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_object() && stringOr(parsed, "kind") == "Status") {
    Code from_reason = codeOfReason(stringOr(parsed, "reason"));
    if (from_reason != Code::kOk) code = from_reason;
    if (code == Code::kConflict && stringOr(parsed, "reason") == "AlreadyExists") {
      code = Code::kAlreadyExists;
    }
    std::string message = stringOr(parsed, "message");
    if (message.empty()) {
      message = "the server responded with the status code " + std::to_string(http_status) +
                " but did not return more information";
    }
    std::vector<FieldError> causes;
    auto details = parsed.find("details");
    if (details != parsed.end() && details->is_object()) {
      auto list = details->find("causes");
      if (list != details->end() && list->is_array()) {
        for (const auto& c : *list) {
          if (!c.is_object()) continue;
          causes.push_back({stringOr(c, "field"), stringOr(c, "reason"), stringOr(c, "message")});
        }
      }
    }
    return Status(code, std::move(message), std::move(causes));
  }
  std::string message = "the server responded with the status code " + std::to_string(http_status) +
                        " but did not return more information";
  std::string text(body.substr(0, 200));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  if (!text.empty() && text.find('\n') == std::string::npos) message = text;
  return Status(code, std::move(message));
}

std::string parseWarningHeader(std::string_view value) {
  // warn-code SP warn-agent SP warn-text: `299 - "text"`; the text is a quoted string.
  size_t quote = value.find('"');
  if (value.substr(0, 3) != "299" || quote == std::string_view::npos) return "";
  std::string out;
  for (size_t i = quote + 1; i < value.size(); ++i) {
    if (value[i] == '\\' && i + 1 < value.size()) {
      out.push_back(value[++i]);
    } else if (value[i] == '"') {
      break;
    } else {
      out.push_back(value[i]);
    }
  }
  return out;
}

Result<WatchEvent> parseWatchEvent(std::string_view line) {
  json parsed = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object() || !parsed.contains("type") || !parsed["type"].is_string()) {
    return badRequest("malformed watch event: " + std::string(line.substr(0, 120)));
  }
  WatchEvent event;
  event.type = parsed["type"].get<std::string>();
  if (parsed.contains("object")) event.object = std::move(parsed["object"]);
  return event;
}

Result<std::unique_ptr<RestClient>> RestClient::connect(const ClientConfig& config) {
  ASSIGN_OR_RETURN(std::shared_ptr<BeastTransport> transport, BeastTransport::create(config));
  return std::make_unique<RestClient>(std::move(transport), config.default_namespace);
}

RestClient::RestClient(std::shared_ptr<HttpTransport> transport, std::string default_namespace)
    : transport_(std::move(transport)), default_namespace_(std::move(default_namespace)) {}

Result<HttpResponse> RestClient::send(std::string_view method, std::string target,
                                      std::string_view body, std::string_view content_type,
                                      std::string_view accept) {
  HttpRequest request;
  request.method = std::string(method);
  request.target = std::move(target);
  if (!accept.empty()) request.headers.emplace_back("Accept", std::string(accept));
  if (!content_type.empty())
    request.headers.emplace_back("Content-Type", std::string(content_type));
  request.body = std::string(body);
  auto response = transport_->roundTrip(request);
  if (response.isOk() && warning_handler_) {
    for (const auto& [k, v] : response->headers) {
      if (k.size() != 7 || (k[0] != 'W' && k[0] != 'w') || k.substr(1) != "arning") continue;
      std::string text = parseWarningHeader(v);
      if (!text.empty()) warning_handler_(text);
    }
  }
  return response;
}

Result<json> RestClient::sendJson(std::string_view method, std::string target,
                                  std::string_view body, std::string_view content_type,
                                  std::string_view accept) {
  ASSIGN_OR_RETURN(HttpResponse response,
                   send(method, std::move(target), body, content_type, accept));
  if (response.status < 200 || response.status >= 300) {
    return statusFromResponse(response.status, response.body);
  }
  json parsed = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    return internalError("the server returned a body that is not JSON (status " +
                         std::to_string(response.status) + ")");
  }
  return parsed;
}

Result<json> RestClient::get(const api::ResourceInfo& resource, std::string_view ns,
                             std::string_view name) {
  return sendJson("GET", resourcePath(resource, ns, name), "", "");
}

Result<json> RestClient::getTable(const api::ResourceInfo& resource, std::string_view ns,
                                  std::string_view name) {
  return sendJson("GET", resourcePath(resource, ns, name), "", "", kTableAccept);
}

namespace {

std::vector<std::pair<std::string, std::string>> listParams(const ListOptions& options) {
  return {{"labelSelector", options.label_selector},
          {"fieldSelector", options.field_selector},
          {"resourceVersion", options.resource_version},
          {"limit", options.limit > 0 ? std::to_string(options.limit) : ""},
          {"timeoutSeconds",
           options.timeout_seconds > 0 ? std::to_string(options.timeout_seconds) : ""}};
}

}  // namespace

Result<json> RestClient::list(const api::ResourceInfo& resource, std::string_view ns,
                              const ListOptions& options) {
  return sendJson("GET", resourcePath(resource, ns) + encodeQuery(listParams(options)), "", "",
                  options.as_table ? kTableAccept : "application/json");
}

Result<json> RestClient::create(const api::ResourceInfo& resource, std::string_view ns,
                                const json& object) {
  return sendJson("POST", resourcePath(resource, ns), object.dump(), "application/json");
}

Result<json> RestClient::createSubresource(const api::ResourceInfo& resource, std::string_view ns,
                                           std::string_view name, std::string_view subresource,
                                           const json& object) {
  return sendJson("POST", resourcePath(resource, ns, name, subresource), object.dump(),
                  "application/json");
}

Result<json> RestClient::update(const api::ResourceInfo& resource, std::string_view ns,
                                const json& object, std::string_view subresource) {
  std::string name;
  if (object.is_object() && object.contains("metadata") && object["metadata"].is_object()) {
    name = stringOr(object["metadata"], "name");
  }
  if (name.empty()) return badRequest("update: the object has no metadata.name");
  return sendJson("PUT", resourcePath(resource, ns, name, subresource), object.dump(),
                  "application/json");
}

Result<json> RestClient::patch(const api::ResourceInfo& resource, std::string_view ns,
                               std::string_view name, PatchType type, std::string_view body,
                               const PatchOptions& options) {
  std::string query = encodeQuery(
      {{"fieldManager", options.field_manager}, {"force", options.force ? "true" : ""}});
  return sendJson("PATCH", resourcePath(resource, ns, name, options.subresource) + query, body,
                  patchContentType(type));
}

Result<ApplyResult> RestClient::apply(const api::ResourceInfo& resource, std::string_view ns,
                                      const json& object, std::string_view field_manager,
                                      bool force) {
  std::string name;
  if (object.is_object() && object.contains("metadata") && object["metadata"].is_object()) {
    name = stringOr(object["metadata"], "name");
  }
  if (name.empty()) return badRequest("apply: the object has no metadata.name");
  std::string query =
      encodeQuery({{"fieldManager", std::string(field_manager)}, {"force", force ? "true" : ""}});
  // JSON is YAML, so the object goes as is.
  ASSIGN_OR_RETURN(HttpResponse response,
                   send("PATCH", resourcePath(resource, ns, name) + query, object.dump(),
                        patchContentType(PatchType::kApply), "application/json"));
  if (response.status < 200 || response.status >= 300) {
    return statusFromResponse(response.status, response.body);
  }
  ApplyResult result;
  result.object = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (result.object.is_discarded())
    return internalError("the server returned a body that is not JSON");
  result.created = response.status == 201;
  return result;
}

Result<json> RestClient::remove(const api::ResourceInfo& resource, std::string_view ns,
                                std::string_view name, const DeleteOptions& options) {
  std::string body;
  if (!options.propagation_policy.empty() || options.grace_period_seconds ||
      !options.precondition_uid.empty()) {
    json delete_options = {{"kind", "DeleteOptions"}, {"apiVersion", "v1"}};
    if (!options.propagation_policy.empty()) {
      delete_options["propagationPolicy"] = options.propagation_policy;
    }
    if (options.grace_period_seconds) {
      delete_options["gracePeriodSeconds"] = *options.grace_period_seconds;
    }
    if (!options.precondition_uid.empty()) {
      delete_options["preconditions"] = {{"uid", options.precondition_uid}};
    }
    body = delete_options.dump();
  }
  return sendJson("DELETE", resourcePath(resource, ns, name), body,
                  body.empty() ? "" : "application/json");
}

Status RestClient::watch(const api::ResourceInfo& resource, std::string_view ns,
                         const ListOptions& options,
                         const std::function<bool(const WatchEvent&)>& on_event,
                         std::stop_token stop) {
  auto params = listParams(options);
  params.emplace_back("watch", "true");
  HttpRequest request;
  request.method = "GET";
  request.target = resourcePath(resource, ns) + encodeQuery(params);
  request.headers.emplace_back("Accept", options.as_table ? kTableAccept : "application/json");
  std::string pending;
  Status failure;
  auto consumer = [&](std::string_view data) {
    pending.append(data);
    size_t newline;
    while ((newline = pending.find('\n')) != std::string::npos) {
      std::string line = pending.substr(0, newline);
      pending.erase(0, newline + 1);
      if (line.find_first_not_of(" \r\t") == std::string::npos) continue;
      auto event = parseWatchEvent(line);
      if (!event.isOk()) {
        failure = event.status();
        return false;
      }
      if (!on_event(*event)) return false;
    }
    return true;
  };
  ASSIGN_OR_RETURN(HttpResponse response,
                   transport_->stream(request, consumer, stop, std::chrono::milliseconds(0)));
  if (response.status < 200 || response.status >= 300) {
    return statusFromResponse(response.status, response.body);
  }
  return failure;
}

Result<std::string> RestClient::raw(std::string_view method, std::string_view target,
                                    std::string_view body, std::string_view content_type,
                                    std::string_view accept) {
  ASSIGN_OR_RETURN(HttpResponse response,
                   send(method, std::string(target), body, content_type, accept));
  if (response.status < 200 || response.status >= 300) {
    return statusFromResponse(response.status, response.body);
  }
  return std::move(response.body);
}

}  // namespace minik8s::client
