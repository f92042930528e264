#include "apiserver/authorization.h"

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>

namespace minik8s::apiserver {
namespace authorization_test {

const UserInfo kNode1{"system:node:n1", "", {"system:nodes", "system:authenticated"}};
const UserInfo kAdmin{"minik8s-admin", "", {"system:masters", "system:authenticated"}};
const UserInfo kAnonymous{"system:anonymous", "", {"system:unauthenticated"}};
const UserInfo kBootstrap{
    "system:bootstrap:abcdef", "", {"system:bootstrappers", "system:authenticated"}};

Attributes request(const UserInfo& user, std::string verb, std::string group, std::string resource,
                   std::string ns, std::string name, std::string subresource = "") {
  Attributes a;
  a.user = user;
  a.verb = std::move(verb);
  a.resource_request = true;
  a.group = std::move(group);
  a.resource = std::move(resource);
  a.namespace_ = std::move(ns);
  a.name = std::move(name);
  a.subresource = std::move(subresource);
  return a;
}

Attributes path(const UserInfo& user, std::string verb, std::string p) {
  Attributes a;
  a.user = user;
  a.verb = std::move(verb);
  a.path = std::move(p);
  return a;
}

struct Facts {
  std::map<std::pair<std::string, std::string>, std::string> pods = {
      {{"default", "on-n1"}, "n1"}, {{"default", "on-n2"}, "n2"}, {{"default", "pending"}, ""}};
  std::set<std::tuple<std::string, std::string, std::string, std::string>> uses = {
      {"n1", "default", "secrets", "db-password"}, {"n1", "default", "configmaps", "app-config"}};

  AuthorizationFacts get() const {
    AuthorizationFacts f;
    f.pod_node = [this](const std::string& ns,
                        const std::string& name) -> std::optional<std::string> {
      auto it = pods.find({ns, name});
      if (it == pods.end()) return std::nullopt;
      return it->second;
    };
    f.used_by_pod_on_node = [this](const std::string& node, const std::string& ns,
                                   const std::string& resource, const std::string& name) {
      return uses.count({node, ns, resource, name}) > 0;
    };
    return f;
  }
};

bool allowed(const Attributes& a) {
  return authorize(a, Facts{}.get()).allowed;
}

TEST(Authorize, MastersMayDoAnything) {
  EXPECT_TRUE(allowed(request(kAdmin, "delete", "", "nodes", "", "n2")));
  EXPECT_TRUE(allowed(request(kAdmin, "list", "", "secrets", "", "")));
  EXPECT_TRUE(allowed(path(kAdmin, "post", "/anything")));
}

TEST(Authorize, AnonymousReadsOnlyHealth) {
  EXPECT_TRUE(allowed(path(kAnonymous, "get", "/readyz")));
  EXPECT_TRUE(allowed(path(kAnonymous, "get", "/version")));
  EXPECT_FALSE(allowed(path(kAnonymous, "get", "/api")));
  EXPECT_FALSE(allowed(path(kAnonymous, "post", "/healthz")));
  EXPECT_FALSE(allowed(request(kAnonymous, "get", "", "pods", "default", "x")));
}

TEST(Authorize, AnonymousGetsClusterInfoAndNothingElseOfIt) {
  EXPECT_TRUE(allowed(request(kAnonymous, "get", "", "configmaps", "kube-public", "cluster-info")));
  for (std::string verb : {"list", "watch", "update", "patch", "delete", "create"}) {
    EXPECT_FALSE(
        allowed(request(kAnonymous, verb, "", "configmaps", "kube-public", "cluster-info")))
        << verb;
  }
  EXPECT_FALSE(allowed(request(kAnonymous, "get", "", "configmaps", "kube-public", "other")));
  EXPECT_FALSE(allowed(request(kAnonymous, "get", "", "configmaps", "kube-system", "cluster-info")));
  EXPECT_FALSE(allowed(request(kAnonymous, "get", "", "secrets", "kube-public", "cluster-info")));
  EXPECT_FALSE(allowed(request(kAnonymous, "get", "", "configmaps", "", "")));
  // Not as a non-resource path either.
  EXPECT_FALSE(allowed(path(kAnonymous, "get", kClusterInfoPath)));
}

TEST(Authorize, NodeWritesOnlyItsOwnNodeAndLease) {
  EXPECT_TRUE(allowed(request(kNode1, "create", "", "nodes", "", "n1")));
  EXPECT_TRUE(allowed(request(kNode1, "patch", "", "nodes", "", "n1", "status")));
  EXPECT_TRUE(allowed(request(kNode1, "update", "", "nodes", "", "n1")));
  EXPECT_FALSE(allowed(request(kNode1, "create", "", "nodes", "", "n2")));
  EXPECT_FALSE(allowed(request(kNode1, "patch", "", "nodes", "", "n2", "status")));
  EXPECT_FALSE(allowed(request(kNode1, "delete", "", "nodes", "", "n2")));
  EXPECT_TRUE(
      allowed(request(kNode1, "update", "coordination.k8s.io", "leases", "kube-node-lease", "n1")));
  EXPECT_FALSE(
      allowed(request(kNode1, "update", "coordination.k8s.io", "leases", "kube-node-lease", "n2")));
  EXPECT_FALSE(
      allowed(request(kNode1, "update", "coordination.k8s.io", "leases", "kube-system", "n1")));
}

TEST(Authorize, NodeChangesOnlyPodsBoundToIt) {
  EXPECT_TRUE(allowed(request(kNode1, "patch", "", "pods", "default", "on-n1", "status")));
  EXPECT_TRUE(allowed(request(kNode1, "delete", "", "pods", "default", "on-n1")));
  EXPECT_TRUE(allowed(request(kNode1, "create", "", "pods", "default", "on-n1", "eviction")));
  auto other =
      authorize(request(kNode1, "patch", "", "pods", "default", "on-n2", "status"), Facts{}.get());
  EXPECT_FALSE(other.allowed);
  EXPECT_NE(other.reason.find("bound to node \"n2\""), std::string::npos) << other.reason;
  EXPECT_FALSE(allowed(request(kNode1, "delete", "", "pods", "default", "on-n2")));
  EXPECT_FALSE(allowed(request(kNode1, "update", "", "pods", "default", "pending", "status")));
  // The spec of its own pods is not the node's to change, and it creates no pods.
  EXPECT_FALSE(allowed(request(kNode1, "update", "", "pods", "default", "on-n1")));
  EXPECT_FALSE(allowed(request(kNode1, "create", "", "pods", "default", "")));
  // A pod that does not exist is the handler's 404.
  EXPECT_TRUE(allowed(request(kNode1, "delete", "", "pods", "default", "gone")));
}

TEST(Authorize, NodeReadsSecretsAndConfigMapsOnlyThroughItsPods) {
  EXPECT_TRUE(allowed(request(kNode1, "get", "", "secrets", "default", "db-password")));
  EXPECT_TRUE(allowed(request(kNode1, "get", "", "configmaps", "default", "app-config")));
  EXPECT_FALSE(allowed(request(kNode1, "get", "", "secrets", "default", "other")));
  EXPECT_FALSE(allowed(request(kNode1, "get", "", "secrets", "kube-system", "db-password")));
  EXPECT_FALSE(allowed(request(kNode1, "list", "", "secrets", "default", "")));
  EXPECT_FALSE(allowed(request(kNode1, "watch", "", "configmaps", "", "")));
  EXPECT_TRUE(allowed(request(kNode1, "list", "", "pods", "", "")));
  EXPECT_TRUE(allowed(request(kNode1, "watch", "discovery.k8s.io", "endpointslices", "", "")));
  EXPECT_TRUE(allowed(path(kNode1, "get", "/apis")));
}

TEST(Authorize, NodeListsAndWatchesOneSecretOrConfigMapByNameThroughItsPods) {
  // RequestInfo names a list or watch with a metadata.name field selector.
  EXPECT_TRUE(allowed(request(kNode1, "watch", "", "secrets", "default", "db-password")));
  EXPECT_TRUE(allowed(request(kNode1, "list", "", "secrets", "default", "db-password")));
  EXPECT_TRUE(allowed(request(kNode1, "watch", "", "configmaps", "default", "app-config")));
  EXPECT_TRUE(allowed(request(kNode1, "list", "", "configmaps", "default", "app-config")));
  EXPECT_FALSE(allowed(request(kNode1, "watch", "", "secrets", "default", "other")));
  EXPECT_FALSE(allowed(request(kNode1, "watch", "", "secrets", "kube-system", "db-password")));
  // Across namespaces even a named list is refused (it could read any namespace's object).
  EXPECT_FALSE(allowed(request(kNode1, "list", "", "secrets", "", "db-password")));
  EXPECT_FALSE(allowed(request(kNode1, "watch", "", "configmaps", "", "app-config")));
  EXPECT_FALSE(allowed(request(kNode1, "list", "", "persistentvolumeclaims", "default", "")));
  // Still no writes.
  EXPECT_FALSE(allowed(request(kNode1, "update", "", "secrets", "default", "db-password")));
  EXPECT_FALSE(allowed(request(kNode1, "delete", "", "configmaps", "default", "app-config")));
  Decision unnamed = authorize(request(kNode1, "list", "", "secrets", "", ""), Facts{}.get());
  EXPECT_EQ(unnamed.reason, "node \"n1\" can only get individual secrets");
}

TEST(Authorize, NodeWritesEventsCsrsAndItsOwnDnsEntries) {
  EXPECT_TRUE(allowed(request(kNode1, "create", "", "events", "default", "")));
  EXPECT_TRUE(allowed(request(kNode1, "patch", "events.k8s.io", "events", "default", "e1")));
  EXPECT_TRUE(allowed(
      request(kNode1, "create", "certificates.k8s.io", "certificatesigningrequests", "", "")));
  EXPECT_FALSE(allowed(request(kNode1, "update", "certificates.k8s.io",
                               "certificatesigningrequests", "", "c", "approval")));
  EXPECT_TRUE(allowed(request(kNode1, "update", "discovery.k8s.io", "endpointslices", "kube-system",
                              "kube-dns-n1")));
  EXPECT_FALSE(allowed(request(kNode1, "update", "discovery.k8s.io", "endpointslices",
                               "kube-system", "kube-dns-n2")));
  EXPECT_TRUE(allowed(request(kNode1, "create", "", "services", "kube-system", "kube-dns")));
  EXPECT_FALSE(allowed(request(kNode1, "update", "", "services", "kube-system", "kube-dns")));
  EXPECT_FALSE(allowed(request(kNode1, "create", "", "services", "default", "web")));
  EXPECT_FALSE(allowed(request(kNode1, "create", "", "namespaces", "", "kube-node-lease")));
  EXPECT_FALSE(allowed(request(kNode1, "delete", "apps", "deployments", "default", "web")));
}

TEST(Authorize, AGroupMemberWithoutANodeNameIsRefused) {
  UserInfo impostor{"mallory", "", {"system:nodes"}};
  EXPECT_FALSE(allowed(request(impostor, "get", "", "pods", "default", "x")));
  UserInfo empty{"system:node:", "", {"system:nodes"}};
  EXPECT_FALSE(allowed(request(empty, "create", "", "nodes", "", "")));
}

TEST(Authorize, BootstrappersOnlyAskForCertificates) {
  EXPECT_TRUE(allowed(
      request(kBootstrap, "create", "certificates.k8s.io", "certificatesigningrequests", "", "")));
  EXPECT_TRUE(allowed(
      request(kBootstrap, "watch", "certificates.k8s.io", "certificatesigningrequests", "", "")));
  EXPECT_FALSE(allowed(request(kBootstrap, "get", "", "pods", "default", "x")));
  EXPECT_FALSE(allowed(request(kBootstrap, "create", "", "nodes", "", "n9")));
}

TEST(Authorize, NameOfCreateIsNeededOnlyForNodeScopedChecks) {
  EXPECT_TRUE(needsNameOfCreate(request(kNode1, "create", "", "nodes", "", "")));
  EXPECT_TRUE(needsNameOfCreate(
      request(kNode1, "create", "coordination.k8s.io", "leases", "kube-node-lease", "")));
  EXPECT_FALSE(needsNameOfCreate(request(kNode1, "create", "", "events", "default", "")));
  EXPECT_FALSE(needsNameOfCreate(request(kAdmin, "create", "", "nodes", "", "")));
}

TEST(Forbidden, SaysItAsKubernetesDoes) {
  auto a = request(kNode1, "update", "", "pods", "default", "on-n2", "status");
  Status s = forbidden(a, {false, "node \"n1\" cannot change a pod bound to node \"n2\""});
  EXPECT_EQ(s.code(), Code::kForbidden);
  EXPECT_EQ(s.message(),
            "pods \"on-n2\" is forbidden: User \"system:node:n1\" cannot update resource "
            "\"pods/status\" in API group \"\" in the namespace \"default\": node \"n1\" cannot "
            "change a pod bound to node \"n2\"");
  EXPECT_EQ(forbidden(request(kNode1, "list", "", "nodes", "", ""), {}).message(),
            "nodes is forbidden: User \"system:node:n1\" cannot list resource \"nodes\" in API "
            "group \"\" at the cluster scope");
  EXPECT_EQ(forbidden(path(kAnonymous, "get", "/api"), {}).message(),
            "forbidden: User \"system:anonymous\" cannot get path \"/api\"");
}

TEST(Authorize, EveryAuthenticatedUserMayAskWhoItIsAndWhatItMayDo) {
  for (const UserInfo& user : {kNode1, kBootstrap}) {
    EXPECT_TRUE(authorize(request(user, "create", "authorization.k8s.io",
                                  "selfsubjectaccessreviews", "", ""),
                          {})
                    .allowed);
    EXPECT_TRUE(authorize(request(user, "create", "authentication.k8s.io", "selfsubjectreviews",
                                  "", ""),
                          {})
                    .allowed);
  }
  EXPECT_FALSE(authorize(request(kBootstrap, "list", "authentication.k8s.io",
                                 "selfsubjectreviews", "", ""),
                         {})
                   .allowed);
  EXPECT_FALSE(authorize(request(kAnonymous, "create", "authentication.k8s.io",
                                 "selfsubjectreviews", "", ""),
                         {})
                   .allowed);
}

}  // namespace authorization_test
}  // namespace minik8s::apiserver

namespace minik8s::apiserver {
namespace authorization_test {

TEST(PodUses, FindsEveryWayAPodRefersToSecretsConfigMapsAndClaims) {
  nlohmann::json pod = nlohmann::json::parse(R"({
    "spec": {
      "volumes": [
        {"name": "a", "secret": {"secretName": "vol-secret"}},
        {"name": "b", "configMap": {"name": "vol-config"}},
        {"name": "c", "persistentVolumeClaim": {"claimName": "data"}},
        {"name": "d", "projected": {"sources": [{"secret": {"name": "proj-secret"}},
                                                {"configMap": {"name": "proj-config"}}]}}],
      "initContainers": [{"name": "i", "envFrom": [{"secretRef": {"name": "init-env"}}]}],
      "containers": [{"name": "c",
                      "env": [{"name": "X", "valueFrom": {"configMapKeyRef": {"name": "env-config", "key": "k"}}},
                              {"name": "Y", "valueFrom": {"secretKeyRef": {"name": "env-secret", "key": "k"}}}],
                      "envFrom": [{"configMapRef": {"name": "from-config"}}]}],
      "imagePullSecrets": [{"name": "registry"}]}})");
  for (std::string s : {"vol-secret", "proj-secret", "init-env", "env-secret", "registry"}) {
    EXPECT_TRUE(podUses(pod, "secrets", s)) << s;
    EXPECT_FALSE(podUses(pod, "configmaps", s)) << s;
  }
  for (std::string c : {"vol-config", "proj-config", "env-config", "from-config"}) {
    EXPECT_TRUE(podUses(pod, "configmaps", c)) << c;
    EXPECT_FALSE(podUses(pod, "secrets", c)) << c;
  }
  EXPECT_TRUE(podUses(pod, "persistentvolumeclaims", "data"));
  EXPECT_FALSE(podUses(pod, "secrets", "unrelated"));
  EXPECT_FALSE(
      podUses(nlohmann::json::parse(R"({"spec": {"volumes": "garbage"}})"), "secrets", "x"));
  EXPECT_FALSE(podUses(nlohmann::json(), "secrets", "x"));
}

}  // namespace authorization_test
}  // namespace minik8s::apiserver
