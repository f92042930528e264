#include "apiserver/access_review.h"

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "api/json_input.h"
#include "api/protobuf_body.h"
#include "api/yaml.h"
#include "apiserver/status_response.h"

namespace minik8s::apiserver {

using nlohmann::json;

namespace {

constexpr std::string_view kAuthorizationGroup = "authorization.k8s.io";
constexpr std::string_view kAuthenticationGroup = "authentication.k8s.io";
constexpr std::string_view kAccessReviews = "selfsubjectaccessreviews";
constexpr std::string_view kSelfReviews = "selfsubjectreviews";

api::ResourceInfo review(std::string_view group, std::string_view kind, std::string_view plural) {
  api::ResourceInfo r;
  r.group = group;
  r.version = "v1";
  r.kind = kind;
  r.plural = plural;
  r.namespaced = false;
  r.verbs = {"create"};
  return r;
}

// object[key] as a string ("" when absent or null); kBadRequest naming `path` otherwise.
Result<std::string> stringAt(const json& object, const char* key, const std::string& path) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::string();
  if (!it->is_string()) {
    return badRequest(path + "." + key + ": expected string, got " + it->type_name());
  }
  return it->get<std::string>();
}

// object[key] as an object (nullptr when absent or null); kBadRequest otherwise.
Result<const json*> objectAt(const json& object, const char* key, const std::string& path) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return static_cast<const json*>(nullptr);
  if (!it->is_object()) {
    return badRequest(path + (path.empty() ? "" : ".") + key + ": expected object, got " +
                      it->type_name());
  }
  return &*it;
}

Status checkKind(const json& body, std::string_view group, std::string_view kind) {
  std::string api_version = std::string(group) + "/v1";
  auto v = body.find("apiVersion");
  if (v != body.end() && v->is_string() && !v->get_ref<const std::string&>().empty() &&
      *v != api_version) {
    return badRequest("the API version in the data (" + v->get<std::string>() +
                      ") does not match the expected API version (" + api_version + ")");
  }
  auto k = body.find("kind");
  if (k != body.end() && k->is_string() && !k->get_ref<const std::string&>().empty() &&
      *k != kind) {
    return badRequest("the kind in the data (" + k->get<std::string>() +
                      ") does not match the expected kind (" + std::string(kind) + ")");
  }
  return Status::ok();
}

// The answer's frame: the body's metadata and spec, apiVersion and kind set.
json answerFrame(const json& body, std::string_view group, std::string_view kind) {
  json out = json::object();
  out["kind"] = kind;
  out["apiVersion"] = std::string(group) + "/v1";
  auto meta = body.find("metadata");
  out["metadata"] = meta != body.end() && meta->is_object() ? *meta : json::object();
  json& meta_out = out["metadata"];
  if (!meta_out.contains("creationTimestamp")) meta_out["creationTimestamp"] = nullptr;
  return out;
}

Result<json> decodeBody(const HttpRequest& request) {
  std::string type = request.header("Content-Type");
  if (auto semi = type.find(';'); semi != std::string::npos) type.resize(semi);
  json object;
  if (type.find("protobuf") != std::string::npos) {
    ASSIGN_OR_RETURN(object, api::decodeProtobufBody(request.body));
  } else if (type == "application/yaml") {
    ASSIGN_OR_RETURN(object, api::parseYaml(request.body));
  } else {
    auto parsed = api::parseJson(request.body);
    if (!parsed.isOk()) {
      return badRequest("the body of the request could not be decoded: " +
                        parsed.status().message());
    }
    object = std::move(parsed).value();
  }
  if (!object.is_object()) return badRequest("the body of the request must be a JSON object");
  return object;
}

}  // namespace

const std::vector<api::ResourceInfo>& reviewResources() {
  static const std::vector<api::ResourceInfo> resources = {
      review(kAuthenticationGroup, "SelfSubjectReview", kSelfReviews),
      review(kAuthorizationGroup, "SelfSubjectAccessReview", kAccessReviews),
  };
  return resources;
}

AuthorizationFacts podAuthorizationFacts(WatchCache* pods) {
  AuthorizationFacts facts;
  if (pods == nullptr) return facts;
  facts.pod_node = [pods](const std::string& ns,
                          const std::string& name) -> std::optional<std::string> {
    auto pod = pods->get("/registry/pods/" + ns + "/" + name);
    if (!pod) return std::nullopt;
    const json& spec = pod->attrs.value("spec", json::object());
    const json& node = spec.value("nodeName", json());
    return node.is_string() ? node.get<std::string>() : "";
  };
  facts.used_by_pod_on_node = [pods](const std::string& node, const std::string& ns,
                                     const std::string& resource, const std::string& name) {
    WatchFilter on_node;
    on_node.namespace_ = ns;
    on_node.matches = [&node](const json& attrs) {
      const json& spec = attrs.value("spec", json::object());
      return spec.value("nodeName", std::string()) == node;
    };
    for (const auto& pod : pods->list(on_node).objects) {
      if (podUses(json::parse(pod->json, nullptr, /*allow_exceptions=*/false), resource, name))
        return true;
    }
    return false;
  };
  return facts;
}

Result<json> answerAccessReview(const json& body, const UserInfo* user,
                                const AuthorizationFacts& facts) {
  RETURN_IF_ERROR(checkKind(body, kAuthorizationGroup, "SelfSubjectAccessReview"));
  ASSIGN_OR_RETURN(const json* spec, objectAt(body, "spec", ""));
  static const json kEmpty = json::object();
  if (spec == nullptr) spec = &kEmpty;
  ASSIGN_OR_RETURN(const json* resource, objectAt(*spec, "resourceAttributes", "spec"));
  ASSIGN_OR_RETURN(const json* non_resource, objectAt(*spec, "nonResourceAttributes", "spec"));
  const std::string name_of_review =
      body.contains("metadata") && body["metadata"].is_object()
          ? body["metadata"].value("name", std::string())
          : std::string();
  auto invalidReview = [&](std::string field, std::string value, std::string message) {
    std::string text = "SelfSubjectAccessReview.authorization.k8s.io \"" + name_of_review +
                       "\" is invalid: " + field + ": Invalid value: \"" + value + "\": " +
                       message;
    return invalid(std::move(text),
                   {FieldError{std::move(field), "FieldValueInvalid", std::move(message)}});
  };
  if (resource == nullptr && non_resource == nullptr) {
    return invalidReview("spec.resourceAttributes", "null",
                         "exactly one of nonResourceAttributes or resourceAttributes must be "
                         "specified");
  }
  if (resource != nullptr && non_resource != nullptr) {
    return invalidReview("spec.nonResourceAttributes", non_resource->dump(),
                         "cannot be specified in combination with resourceAttributes");
  }

  Attributes a;
  if (resource != nullptr) {
    const std::string path = "spec.resourceAttributes";
    a.resource_request = true;
    ASSIGN_OR_RETURN(a.namespace_, stringAt(*resource, "namespace", path));
    ASSIGN_OR_RETURN(a.verb, stringAt(*resource, "verb", path));
    ASSIGN_OR_RETURN(a.group, stringAt(*resource, "group", path));
    ASSIGN_OR_RETURN(a.resource, stringAt(*resource, "resource", path));
    ASSIGN_OR_RETURN(a.subresource, stringAt(*resource, "subresource", path));
    ASSIGN_OR_RETURN(a.name, stringAt(*resource, "name", path));
    ASSIGN_OR_RETURN(std::string version, stringAt(*resource, "version", path));
    (void)version;  // our authorizer, like RBAC, does not look at the version
  } else {
    const std::string path = "spec.nonResourceAttributes";
    ASSIGN_OR_RETURN(a.path, stringAt(*non_resource, "path", path));
    ASSIGN_OR_RETURN(a.verb, stringAt(*non_resource, "verb", path));
  }

  json out = answerFrame(body, kAuthorizationGroup, "SelfSubjectAccessReview");
  out["spec"] = *spec;
  json status = json::object();
  if (user == nullptr) {
    status["allowed"] = true;
    status["reason"] = "the server runs without authentication: every request is allowed";
  } else {
    a.user = *user;
    Decision decision = authorize(a, facts);
    status["allowed"] = decision.allowed;
    if (!decision.allowed) {
      // Ours is the only authorizer: its refusal is final, not "no opinion".
      status["denied"] = true;
      if (!decision.reason.empty()) status["reason"] = decision.reason;
    }
  }
  out["status"] = std::move(status);
  return out;
}

Result<json> answerSelfSubjectReview(const json& body, const UserInfo* user) {
  RETURN_IF_ERROR(checkKind(body, kAuthenticationGroup, "SelfSubjectReview"));
  if (user == nullptr) return badRequest("no user present on request");
  json info = {{"username", user->name}};
  if (!user->uid.empty()) info["uid"] = user->uid;
  if (!user->groups.empty()) info["groups"] = user->groups;
  json out = answerFrame(body, kAuthenticationGroup, "SelfSubjectReview");
  out["status"] = {{"userInfo", std::move(info)}};
  return out;
}

std::optional<HttpResponse> serveReview(const RequestInfo& info, const HttpRequest& request,
                                        const UserInfo* user, const AuthorizationFacts& facts) {
  const bool access = info.group == kAuthorizationGroup && info.resource == kAccessReviews;
  const bool self = info.group == kAuthenticationGroup && info.resource == kSelfReviews;
  if ((!access && !self) || info.version != "v1") return std::nullopt;
  if (info.verb != "create" || !info.name.empty() || !info.subresource.empty() ||
      !info.namespace_.empty()) {
    if (info.verb == "create" && !info.namespace_.empty()) {
      return statusResponse(notFound("the server could not find the requested resource"));
    }
    return statusResponse(Status(Code::kMethodNotAllowed,
                                 "the server does not allow this method on the requested "
                                 "resource"));
  }
  auto body = decodeBody(request);
  if (!body.isOk()) return statusResponse(body.status());
  auto answer = access ? answerAccessReview(*body, user, facts)
                       : answerSelfSubjectReview(*body, user);
  if (!answer.isOk()) {
    StatusDetails details;
    if (answer.status().code() == Code::kInvalid) {
      details.group = std::string(kAuthorizationGroup);
      details.kind = "SelfSubjectAccessReview";
    }
    return statusResponse(answer.status(), details);
  }
  HttpResponse r;
  r.status = 201;
  r.headers.emplace_back("Content-Type", "application/json");
  r.body = answer->dump();
  return r;
}

}  // namespace minik8s::apiserver
