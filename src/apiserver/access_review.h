// The review kinds kubectl's `auth can-i` and `auth whoami` create: authorization.k8s.io/v1
// SelfSubjectAccessReview (may the requesting user do this? answered by running our
// authorizer, authorization.h, for that user) and authentication.k8s.io/v1
// SelfSubjectReview (who am I? the user authentication found). Create-only and never
// stored, like kube-apiserver's; outside the scheme, so no cache, watch or table. Every
// authenticated user may create them (Kubernetes' system:basic-user role).
//
// The answers are pure functions of the body, the user and the authorization facts;
// serveReview is the thin HTTP edge. Thread-safe.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <vector>

#include "api/scheme.h"
#include "apiserver/authorization.h"
#include "apiserver/http_server.h"
#include "apiserver/request_info.h"
#include "apiserver/watch_cache.h"
#include "common/status.h"

namespace minik8s::apiserver {

// The two resources, for discovery (verb create, cluster-scoped).
const std::vector<api::ResourceInfo>& reviewResources();

// The SelfSubjectAccessReview `review` answered for `user`: the body echoed with
// status.allowed, and when refused status.denied and the authorizer's reason. `user`
// nullptr: the server runs without authentication, so everything is allowed. kInvalid
// unless exactly one of spec.resourceAttributes and spec.nonResourceAttributes is given;
// kBadRequest for a field of the wrong type or another kind.
Result<nlohmann::json> answerAccessReview(const nlohmann::json& review, const UserInfo* user,
                                          const AuthorizationFacts& facts);

// The SelfSubjectReview `review` answered: status.userInfo is `user` (username, uid,
// groups). kBadRequest when there is no user (no authentication), as kube-apiserver's
// "no user present on request", or for another kind.
Result<nlohmann::json> answerSelfSubjectReview(const nlohmann::json& review,
                                               const UserInfo* user);

// The facts authorize() needs, read from the pods' watch cache (`pods` may be nullptr: no
// facts, so a node's pod-scoped requests are refused).
AuthorizationFacts podAuthorizationFacts(WatchCache* pods);

// POST to one of reviewResources(): 201 with the answer (JSON; protobuf is the response
// filter's), 405 for any other verb. nullopt when `info` is not a review resource.
std::optional<HttpResponse> serveReview(const RequestInfo& info, const HttpRequest& request,
                                        const UserInfo* user, const AuthorizationFacts& facts);

}  // namespace minik8s::apiserver
