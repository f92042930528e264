// core/v1 ServiceAccount and rbac.authorization.k8s.io/v1 Role, ClusterRole, RoleBinding and
// ClusterRoleBinding through the scheme: registration, defaults, and validation with
// Kubernetes' field paths and messages (pkg/apis/rbac/validation, 1.32).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/scheme.h"

namespace minik8s::api {
namespace rbac_test {

using nlohmann::json;

const ResourceInfo& rbac(const char* plural) {
  return *findResource("rbac.authorization.k8s.io", "v1", plural);
}
const ResourceInfo& serviceAccounts() { return *findResource("", "v1", "serviceaccounts"); }

json role() {
  return json::parse(R"({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
    "metadata": {"name": "pod-reader", "namespace": "default"},
    "rules": [{"verbs": ["get", "list", "watch"], "apiGroups": [""], "resources": ["pods"]}]})");
}

json clusterRole() {
  json r = role();
  r["kind"] = "ClusterRole";
  r["metadata"].erase("namespace");
  return r;
}

json roleBinding() {
  return json::parse(R"({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
    "metadata": {"name": "read-pods", "namespace": "default"},
    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "pod-reader"},
    "subjects": [{"kind": "ServiceAccount", "name": "build-bot", "namespace": "default"}]})");
}

json clusterRoleBinding() {
  return json::parse(R"({"apiVersion": "rbac.authorization.k8s.io/v1",
    "kind": "ClusterRoleBinding", "metadata": {"name": "read-nodes"},
    "roleRef": {"kind": "ClusterRole", "name": "node-reader"},
    "subjects": [{"kind": "User", "name": "alice"}]})");
}

std::string describe(const std::vector<FieldError>& errors) {
  std::string out;
  for (const FieldError& e : errors) out += e.field + " " + e.reason + ": " + e.message + "\n";
  return out;
}

// Every error of `object` after normalize, one "field reason: message" line each.
std::string errorsOf(const ResourceInfo& r, json object, const json* old = nullptr) {
  Status s = normalize(r, object, nullptr);
  EXPECT_TRUE(s.isOk()) << s.toString();
  return describe(validate(r, object, old));
}

TEST(RbacScheme, KindsAreServedWithKubectlsNamesAndScopes) {
  EXPECT_TRUE(serviceAccounts().namespaced);
  EXPECT_EQ(resolveResource("sa"), &serviceAccounts());
  EXPECT_TRUE(rbac("roles").namespaced);
  EXPECT_TRUE(rbac("rolebindings").namespaced);
  EXPECT_FALSE(rbac("clusterroles").namespaced);
  EXPECT_FALSE(rbac("clusterrolebindings").namespaced);
  EXPECT_EQ(findResourceByKind("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
            &rbac("clusterrolebindings"));
  EXPECT_EQ(resolveResource("role"), &rbac("roles"));
}

TEST(ServiceAccountValidation, RoundTripsAndNeedsASubdomainName) {
  json sa = json::parse(R"({"metadata": {"name": "build-bot", "namespace": "default"},
    "secrets": [{"name": "token"}], "imagePullSecrets": [{"name": "regcred"}],
    "automountServiceAccountToken": false})");
  json normalized = sa;
  std::vector<std::string> unknown;
  ASSERT_TRUE(normalize(serviceAccounts(), normalized, &unknown).isOk());
  EXPECT_TRUE(unknown.empty());
  EXPECT_EQ(normalized["secrets"], sa["secrets"]);
  EXPECT_EQ(normalized["imagePullSecrets"], sa["imagePullSecrets"]);
  EXPECT_EQ(normalized["automountServiceAccountToken"], false);
  EXPECT_EQ(errorsOf(serviceAccounts(), sa), "");
  sa["metadata"]["name"] = "Build_Bot";
  EXPECT_NE(errorsOf(serviceAccounts(), sa).find("metadata.name FieldValueInvalid: Invalid value: "
                                                 "\"Build_Bot\": a lowercase RFC 1123 subdomain"),
            std::string::npos);
}

TEST(RoleValidation, ResourceRulesNeedVerbsApiGroupsAndResources) {
  EXPECT_EQ(errorsOf(rbac("roles"), role()), "");
  json r = role();
  r["rules"][0] = json::object();
  EXPECT_EQ(errorsOf(rbac("roles"), r),
            "rules[0].verbs FieldValueRequired: Required value: verbs must contain at least one "
            "value\n"
            "rules[0].apiGroups FieldValueRequired: Required value: resource rules must supply at "
            "least one api group\n"
            "rules[0].resources FieldValueRequired: Required value: resource rules must supply at "
            "least one resource\n");
}

TEST(RoleValidation, NamesArePathSegmentsNotSubdomains) {
  json r = role();
  r["metadata"]["name"] = "system:Controller_x";  // fine for RBAC
  EXPECT_EQ(errorsOf(rbac("roles"), r), "");
  r["metadata"]["name"] = "a/b";
  EXPECT_EQ(errorsOf(rbac("roles"), r),
            "metadata.name FieldValueInvalid: Invalid value: \"a/b\": may not contain '/'\n");
  r["metadata"]["name"] = "..";
  EXPECT_EQ(errorsOf(rbac("roles"), r),
            "metadata.name FieldValueInvalid: Invalid value: \"..\": may not be '..'\n");
}

TEST(RoleValidation, NonResourceUrlsOnlyInClusterRolesAndAlone) {
  json r = role();
  r["rules"][0] = {{"verbs", {"get"}}, {"nonResourceURLs", {"/healthz"}}};
  EXPECT_EQ(errorsOf(rbac("roles"), r),
            "rules[0].nonResourceURLs FieldValueInvalid: Invalid value: []string{\"/healthz\"}: "
            "namespaced rules cannot apply to non-resource URLs\n");
  json c = clusterRole();
  c["rules"][0] = r["rules"][0];
  EXPECT_EQ(errorsOf(rbac("clusterroles"), c), "");
  c["rules"][0]["resources"] = {"pods"};
  EXPECT_EQ(errorsOf(rbac("clusterroles"), c),
            "rules[0].nonResourceURLs FieldValueInvalid: Invalid value: []string{\"/healthz\"}: "
            "rules cannot apply to both regular resources and non-resource URLs\n");
}

TEST(ClusterRoleValidation, AggregationRuleNeedsValidSelectors) {
  json c = clusterRole();
  c["metadata"]["namespace"] = "default";
  EXPECT_EQ(errorsOf(rbac("clusterroles"), c),
            "metadata.namespace FieldValueForbidden: Forbidden: not allowed on this type\n");
  c = clusterRole();
  c.erase("rules");
  c["aggregationRule"] = {{"clusterRoleSelectors", json::array()}};
  EXPECT_EQ(errorsOf(rbac("clusterroles"), c),
            "aggregationRule.clusterRoleSelectors FieldValueRequired: Required value: at least "
            "one clusterRoleSelector required if aggregationRule is non-nil\n");
  c["aggregationRule"]["clusterRoleSelectors"] = json::parse(
      R"([{"matchLabels": {"rbac.example.com/aggregate-to-view": "true"}},
          {"matchExpressions": [{"key": "a", "operator": "Near"}]}])");
  EXPECT_EQ(errorsOf(rbac("clusterroles"), c),
            "aggregationRule.clusterRoleSelectors[1].matchExpressions[0].operator "
            "FieldValueNotSupported: Unsupported value: \"Near\": supported values: \"In\", "
            "\"NotIn\", \"Exists\", \"DoesNotExist\"\n");
}

TEST(RoleBindingValidation, DefaultsApiGroupsOfRoleRefAndUserSubjects) {
  json b = clusterRoleBinding();
  b["subjects"].push_back({{"kind", "ServiceAccount"}, {"name", "bot"}, {"namespace", "ci"}});
  ASSERT_TRUE(normalize(rbac("clusterrolebindings"), b, nullptr).isOk());
  EXPECT_EQ(b["roleRef"]["apiGroup"], "rbac.authorization.k8s.io");
  EXPECT_EQ(b["subjects"][0]["apiGroup"], "rbac.authorization.k8s.io");
  EXPECT_FALSE(b["subjects"][1].contains("apiGroup"));
  EXPECT_EQ(describe(validate(rbac("clusterrolebindings"), b, nullptr)), "");
}

TEST(RoleBindingValidation, RoleRefMustNameARoleOrClusterRole) {
  EXPECT_EQ(errorsOf(rbac("rolebindings"), roleBinding()), "");
  json b = roleBinding();
  b["roleRef"] = {{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "Pod"}, {"name", ""}};
  EXPECT_EQ(errorsOf(rbac("rolebindings"), b),
            "roleRef.kind FieldValueNotSupported: Unsupported value: \"Pod\": supported values: "
            "\"Role\", \"ClusterRole\"\n"
            "roleRef.name FieldValueRequired: Required value\n");
  b["roleRef"] = {{"apiGroup", "apps"}, {"kind", "Role"}, {"name", "x"}};
  EXPECT_EQ(errorsOf(rbac("rolebindings"), b),
            "roleRef.apiGroup FieldValueNotSupported: Unsupported value: \"apps\": supported "
            "values: \"rbac.authorization.k8s.io\"\n");
  json c = clusterRoleBinding();
  c["roleRef"]["kind"] = "Role";
  EXPECT_EQ(errorsOf(rbac("clusterrolebindings"), c),
            "roleRef.kind FieldValueNotSupported: Unsupported value: \"Role\": supported values: "
            "\"ClusterRole\"\n");
}

TEST(RoleBindingValidation, SubjectsByKind) {
  json b = roleBinding();
  b["subjects"] = json::parse(R"([
    {"kind": "ServiceAccount", "name": "Bad_Name", "apiGroup": "rbac.authorization.k8s.io"},
    {"kind": "User", "name": "alice", "apiGroup": "example.com"},
    {"kind": "Robot", "name": ""}])");
  EXPECT_EQ(
      errorsOf(rbac("rolebindings"), b),
      "subjects[0].name FieldValueInvalid: Invalid value: \"Bad_Name\": a lowercase RFC 1123 "
      "subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start "
      "and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
      "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')\n"
      "subjects[0].apiGroup FieldValueNotSupported: Unsupported value: "
      "\"rbac.authorization.k8s.io\": supported values: \"\"\n"
      "subjects[1].apiGroup FieldValueNotSupported: Unsupported value: \"example.com\": "
      "supported values: \"rbac.authorization.k8s.io\"\n"
      "subjects[2].name FieldValueRequired: Required value\n"
      "subjects[2].kind FieldValueNotSupported: Unsupported value: \"Robot\": supported values: "
      "\"ServiceAccount\", \"User\", \"Group\"\n");
  // A ClusterRoleBinding's service accounts need their namespace.
  json c = clusterRoleBinding();
  c["subjects"] = json::parse(R"([{"kind": "ServiceAccount", "name": "bot"}])");
  EXPECT_EQ(errorsOf(rbac("clusterrolebindings"), c),
            "subjects[0].namespace FieldValueRequired: Required value\n");
}

TEST(RoleBindingValidation, RoleRefIsImmutable) {
  json old = roleBinding();
  ASSERT_TRUE(normalize(rbac("rolebindings"), old, nullptr).isOk());
  json changed = old;
  changed["subjects"].push_back({{"kind", "Group"}, {"name", "devs"}});
  EXPECT_EQ(errorsOf(rbac("rolebindings"), changed, &old), "");  // subjects may change
  changed["roleRef"]["name"] = "pod-writer";
  EXPECT_EQ(errorsOf(rbac("rolebindings"), changed, &old),
            "roleRef FieldValueInvalid: Invalid value: rbac.RoleRef{APIGroup:"
            "\"rbac.authorization.k8s.io\", Kind:\"Role\", Name:\"pod-writer\"}: cannot change "
            "roleRef\n");
  json old_c = clusterRoleBinding();
  ASSERT_TRUE(normalize(rbac("clusterrolebindings"), old_c, nullptr).isOk());
  json changed_c = old_c;
  changed_c["roleRef"]["name"] = "admin";
  EXPECT_NE(errorsOf(rbac("clusterrolebindings"), changed_c, &old_c).find("cannot change roleRef"),
            std::string::npos);
}

}  // namespace rbac_test
}  // namespace minik8s::api
