#include "cli/kinds.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace minik8s::cli {
namespace kinds_test {

using nlohmann::json;

std::vector<std::string> kindsOf(const std::vector<const api::ResourceInfo*>& found) {
  std::vector<std::string> out;
  for (const auto* r : found) out.push_back(r->kind);
  return out;
}

const std::vector<api::ResourceInfo>& table() {
  return api::allResources();
}

TEST(ResolveKind, SingularPluralShortNameAndKindAllWork) {
  for (const char* word : {"pod", "pods", "po", "Pod", "PODS"}) {
    EXPECT_EQ(kindsOf(resolveKind(word, table())), std::vector<std::string>{"Pod"}) << word;
  }
  for (const char* word : {"deployment", "deployments", "deploy", "deployments.apps"}) {
    EXPECT_EQ(kindsOf(resolveKind(word, table())), std::vector<std::string>{"Deployment"}) << word;
  }
  EXPECT_EQ(kindsOf(resolveKind("svc", table())), std::vector<std::string>{"Service"});
  EXPECT_EQ(kindsOf(resolveKind("ep", table())), std::vector<std::string>{"Endpoints"});
  EXPECT_EQ(kindsOf(resolveKind("rs", table())), std::vector<std::string>{"ReplicaSet"});
  EXPECT_EQ(kindsOf(resolveKind("no", table())), std::vector<std::string>{"Node"});
  EXPECT_EQ(kindsOf(resolveKind("ns", table())), std::vector<std::string>{"Namespace"});
  EXPECT_EQ(kindsOf(resolveKind("cm", table())), std::vector<std::string>{"ConfigMap"});
  EXPECT_EQ(kindsOf(resolveKind("secrets", table())), std::vector<std::string>{"Secret"});
  EXPECT_EQ(kindsOf(resolveKind("ev", table())), std::vector<std::string>{"Event"});
  EXPECT_EQ(kindsOf(resolveKind("dns", table())), std::vector<std::string>{"Dns"});
  EXPECT_EQ(kindsOf(resolveKind("dnses", table())), std::vector<std::string>{"Dns"});
  EXPECT_EQ(kindsOf(resolveKind("dnss", table())), std::vector<std::string>{"Dns"});  // original's
}

TEST(ResolveKind, HpaNamesBothTheSeedHpaAndTheAutoscalingOne) {
  EXPECT_EQ(kindsOf(resolveKind("hpa", table())),
            (std::vector<std::string>{"Hpa", "HorizontalPodAutoscaler"}));
  EXPECT_EQ(kindsOf(resolveKind("hpas", table())), std::vector<std::string>{"Hpa"});
  EXPECT_EQ(kindsOf(resolveKind("horizontalpodautoscalers", table())),
            std::vector<std::string>{"HorizontalPodAutoscaler"});
}

TEST(ResolveKind, UnknownWordGivesKubectlsError) {
  EXPECT_TRUE(resolveKind("foo", table()).empty());
  auto r = resolveKindOrError("foo", table());
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().message(), "error: the server doesn't have a resource type \"foo\"");
}

TEST(MatchCommandKind, AcceptsTheFilesKindWhenTheWordNamesIt) {
  json pod = {{"apiVersion", "v1"}, {"kind", "Pod"}, {"metadata", {{"name", "a"}}}};
  auto r = matchCommandKind("po", pod, table(), "pod.yaml");
  ASSERT_TRUE(r.isOk());
  EXPECT_EQ((*r)->plural, "pods");
}

TEST(MatchCommandKind, HpaFollowsTheFilesKind) {
  json seed = {{"apiVersion", "v1"}, {"kind", "Hpa"}};
  json v2 = {{"apiVersion", "autoscaling/v2"}, {"kind", "HorizontalPodAutoscaler"}};
  auto a = matchCommandKind("hpa", seed, table(), "hpa.yaml");
  auto b = matchCommandKind("hpa", v2, table(), "hpa2.yaml");
  ASSERT_TRUE(a.isOk());
  ASSERT_TRUE(b.isOk());
  EXPECT_EQ((*a)->plural, "hpas");
  EXPECT_EQ((*b)->plural, "horizontalpodautoscalers");
}

TEST(MatchCommandKind, AMismatchIsAOneLineError) {
  json svc = {{"apiVersion", "v1"}, {"kind", "Service"}};
  auto r = matchCommandKind("pod", svc, table(), "service.yaml");
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().message(), "error: the kind in service.yaml is Service, not pod");
}

TEST(ResourceOfObject, NeedsAKnownKindAndVersion) {
  EXPECT_FALSE(resourceOfObject(json{{"apiVersion", "v1"}}, table(), "f").isOk());
  EXPECT_FALSE(
      resourceOfObject(json{{"apiVersion", "v1"}, {"kind", "Widget"}}, table(), "f").isOk());
  EXPECT_FALSE(resourceOfObject(json{{"apiVersion", "v9"}, {"kind", "Pod"}}, table(), "f").isOk());
  EXPECT_FALSE(resourceOfObject(json::array(), table(), "f").isOk());
  auto r = resourceOfObject(json{{"kind", "Deployment"}}, table(), "f");
  ASSERT_TRUE(r.isOk());
  EXPECT_EQ((*r)->group, "apps");
}

TEST(GetAllResources, IncludesDnsAndEndpointsWhichTheOriginalForgot) {
  auto all = getAllResources(table());
  std::vector<std::string> plurals;
  for (const auto* r : all) plurals.push_back(r->plural);
  for (const char* want : {"pods", "services", "endpoints", "dnses", "hpas", "deployments",
                           "replicasets", "horizontalpodautoscalers"}) {
    EXPECT_NE(std::find(plurals.begin(), plurals.end(), want), plurals.end()) << want;
  }
  EXPECT_EQ(std::find(plurals.begin(), plurals.end(), "nodes"), plurals.end());
  EXPECT_EQ(std::find(plurals.begin(), plurals.end(), "events"), plurals.end());
}

TEST(KindPrefix, QualifiesNonCoreGroups) {
  EXPECT_EQ(kindPrefix(*resolveKind("po", table())[0]), "pod");
  EXPECT_EQ(kindPrefix(*resolveKind("deploy", table())[0]), "deployment.apps");
  EXPECT_EQ(kindPrefix(*resolveKind("hpa", table())[1]), "horizontalpodautoscaler.autoscaling");
}

}  // namespace kinds_test
}  // namespace minik8s::cli
