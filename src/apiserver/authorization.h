// Authorization: may this user do this request? Decided after authentication, before
// the request reaches a handler.
//
// - system:masters may do everything.
// - Anonymous users (only ever on the health endpoints and cluster-info, see
//   authentication.h) may read those and nothing else: a get of the ConfigMap
//   kube-public/cluster-info, no list, watch or write of it.
// - A node (user system:node:<name> in system:nodes) is held to what its kubelet, proxy and
//   node-local DNS need, after Kubernetes' Node authorizer and NodeRestriction: it reads the
//   cluster, but reads a Secret, ConfigMap or PersistentVolumeClaim only by name (a get, or
//   a list or watch in its namespace with a metadata.name field selector, whose name
//   RequestInfo carries) and only when a pod bound to it uses it; it writes only its own Node and Lease, the status and
//   deletion of pods bound to it, events, CertificateSigningRequests, and the DNS entries
//   of its own node-local DNS (the EndpointSlice kube-system/kube-dns-<node>, and the
//   kube-system/kube-dns Service when it is missing).
// - Bootstrap users (system:bootstrappers) may create and read CertificateSigningRequests.
// - Every authenticated user may create SelfSubjectAccessReviews, SelfSubjectRulesReviews and
//   SelfSubjectReviews (Kubernetes' system:basic-user role).
// - Other authenticated users may do everything until RBAC is enforced (ServiceAccounts,
//   Roles and bindings are stored, not yet evaluated).
//
// Pure: what the decision must know about stored objects comes through AuthorizationFacts.
#pragma once

#include <functional>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>

#include "apiserver/authentication.h"
#include "common/status.h"

namespace minik8s::apiserver {

struct Attributes {
  UserInfo user;
  std::string verb;  // resource: get, list, watch, create, update, patch, delete,
                     // deletecollection; non-resource: the lower-case HTTP method
  bool resource_request = false;
  std::string path;  // non-resource requests
  std::string group;
  std::string resource;
  std::string subresource;
  std::string namespace_;
  std::string name;  // for a create, the name in the body (when the decision needs it)
};

struct AuthorizationFacts {
  // spec.nodeName of the stored pod ("" when unbound); nullopt when there is no such pod.
  std::function<std::optional<std::string>(const std::string& ns, const std::string& name)>
      pod_node;
  // Whether a pod bound to `node` uses the object (`resource` is "secrets", "configmaps" or
  // "persistentvolumeclaims") as a volume, an env source or an image pull secret.
  std::function<bool(const std::string& node, const std::string& ns, const std::string& resource,
                     const std::string& name)>
      used_by_pod_on_node;
};

struct Decision {
  bool allowed = false;
  std::string reason;  // why not, appended to the Forbidden message
};

Decision authorize(const Attributes& attributes, const AuthorizationFacts& facts);

// Whether `pod` (its JSON) uses the Secret, ConfigMap or PersistentVolumeClaim `name`
// (`resource` is their plural): volumes (projected sources included), env and envFrom of
// every container, init container and ephemeral container, and image pull secrets.
bool podUses(const nlohmann::json& pod, const std::string& resource, const std::string& name);

// Whether authorize() needs Attributes::name taken from a create's body.
bool needsNameOfCreate(const Attributes& attributes);

// Kubernetes' Forbidden: `pods "x" is forbidden: User "u" cannot update resource
// "pods/status" in API group "" in the namespace "ns": <reason>`.
Status forbidden(const Attributes& attributes, const Decision& decision);

}  // namespace minik8s::apiserver
