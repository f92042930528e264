#include "apiserver/request_info.h"

#include <gtest/gtest.h>

namespace minik8s::apiserver {
namespace request_info_test {

RequestInfo parse(std::string_view method, std::string_view path, bool watch = false) {
  auto r = parseRequestInfo(method, path, watch);
  EXPECT_TRUE(r.isOk()) << r.status().toString();
  return r.isOk() ? *r : RequestInfo{};
}

TEST(RequestInfo, ParsesNamespacedCoreResources) {
  auto info = parse("GET", "/api/v1/namespaces/default/pods/web");
  EXPECT_TRUE(info.is_resource_request);
  EXPECT_EQ(info.verb, "get");
  EXPECT_EQ(info.group, "");
  EXPECT_EQ(info.version, "v1");
  EXPECT_EQ(info.namespace_, "default");
  EXPECT_EQ(info.resource, "pods");
  EXPECT_EQ(info.name, "web");
  EXPECT_EQ(info.subresource, "");
}

TEST(RequestInfo, ParsesGroupResourcesAndSubresources) {
  auto info = parse("PATCH", "/apis/apps/v1/namespaces/ns1/deployments/demo/scale");
  EXPECT_EQ(info.group, "apps");
  EXPECT_EQ(info.verb, "patch");
  EXPECT_EQ(info.subresource, "scale");
  EXPECT_EQ(info.name, "demo");
}

TEST(RequestInfo, DistinguishesListWatchAndCrossNamespaceLists) {
  EXPECT_EQ(parse("GET", "/api/v1/pods").verb, "list");
  EXPECT_EQ(parse("GET", "/api/v1/pods").namespace_, "");
  EXPECT_EQ(parse("GET", "/api/v1/namespaces/a/pods", true).verb, "watch");
  EXPECT_EQ(parse("DELETE", "/api/v1/namespaces/a/pods").verb, "deletecollection");
  EXPECT_EQ(parse("POST", "/api/v1/namespaces/a/pods").verb, "create");
  EXPECT_EQ(parse("PUT", "/api/v1/namespaces/a/pods/x").verb, "update");
}

TEST(RequestInfo, TreatsNamespacesAsClusterScopedWithOwnSubresources) {
  auto list = parse("GET", "/api/v1/namespaces");
  EXPECT_EQ(list.resource, "namespaces");
  EXPECT_EQ(list.name, "");
  auto one = parse("GET", "/api/v1/namespaces/kube-system");
  EXPECT_EQ(one.resource, "namespaces");
  EXPECT_EQ(one.name, "kube-system");
  EXPECT_EQ(one.namespace_, "");
  auto status = parse("PUT", "/api/v1/namespaces/x/status");
  EXPECT_EQ(status.resource, "namespaces");
  EXPECT_EQ(status.name, "x");
  EXPECT_EQ(status.subresource, "status");
}

TEST(RequestInfo, LeavesDiscoveryPathsAsNonResourceRequests) {
  EXPECT_FALSE(parse("GET", "/api").is_resource_request);
  EXPECT_FALSE(parse("GET", "/api/v1").is_resource_request);
  EXPECT_FALSE(parse("GET", "/apis/apps/v1").is_resource_request);
  EXPECT_FALSE(parse("GET", "/version").is_resource_request);
}

TEST(RequestInfo, RejectsOverlongPaths) {
  EXPECT_EQ(parseRequestInfo("GET", "/api/v1/namespaces/a/pods/b/log/extra", false).status().code(),
            Code::kNotFound);
}

TEST(RequestInfo, TakesTheNameOfAListOrWatchFromAMetadataNameFieldSelector) {
  auto r = parseRequestInfo("GET", "/api/v1/namespaces/a/secrets", true, "metadata.name=db");
  ASSERT_TRUE(r.isOk());
  EXPECT_EQ(r->verb, "watch");
  EXPECT_EQ(r->namespace_, "a");
  EXPECT_EQ(r->name, "db");
  r = parseRequestInfo("GET", "/api/v1/namespaces/a/configmaps", false, "metadata.name==cfg");
  ASSERT_TRUE(r.isOk());
  EXPECT_EQ(r->verb, "list");
  EXPECT_EQ(r->name, "cfg");
  // Any `=` term narrows the request to that name (Kubernetes' RequiresExactMatch).
  r = parseRequestInfo("GET", "/api/v1/namespaces/a/secrets", false,
                       "metadata.namespace=a,metadata.name=db");
  ASSERT_TRUE(r.isOk());
  EXPECT_EQ(r->name, "db");
}

TEST(RequestInfo, LeavesTheNameEmptyForOtherFieldSelectors) {
  for (const char* selector : {"", "metadata.name!=db", "metadata.namespace=a", "metadata.name=",
                               "metadata.name=..", "metadata.name=a/b", "no-operator"}) {
    auto r = parseRequestInfo("GET", "/api/v1/namespaces/a/secrets", false, selector);
    ASSERT_TRUE(r.isOk()) << selector;
    EXPECT_EQ(r->verb, "list") << selector;
    EXPECT_EQ(r->name, "") << selector;
  }
  // Only lists and watches: a deletecollection keeps its empty name, a get its own.
  EXPECT_EQ(parseRequestInfo("DELETE", "/api/v1/namespaces/a/secrets", false, "metadata.name=db")
                ->name,
            "");
  EXPECT_EQ(parseRequestInfo("GET", "/api/v1/namespaces/a/secrets/x", false, "metadata.name=db")
                ->name,
            "x");
}

TEST(ParseBool, AcceptsGoSpellings) {
  EXPECT_EQ(parseBool("True"), true);
  EXPECT_EQ(parseBool("1"), true);
  EXPECT_EQ(parseBool("false"), false);
  EXPECT_EQ(parseBool("yes"), std::nullopt);
}

}  // namespace request_info_test
}  // namespace minik8s::apiserver
