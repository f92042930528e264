#include "apiserver/discovery.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace minik8s::apiserver {
namespace discovery_test {

using nlohmann::json;

HttpResponse get(const std::string& path, const std::string& accept = "application/json") {
  HttpRequest r;
  r.method = "GET";
  r.path = path;
  r.headers.emplace_back("Accept", accept);
  auto resp = serveDiscovery(r);
  EXPECT_TRUE(resp.has_value()) << path;
  return resp.value_or(HttpResponse{});
}

std::string contentType(const HttpResponse& r) {
  for (const auto& [k, v] : r.headers) {
    if (k == "Content-Type") return v;
  }
  return "";
}

TEST(Discovery, NegotiatesAggregatedVersionsFromAccept) {
  EXPECT_EQ(negotiateAggregatedDiscovery(
                "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
                "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,"
                "application/json"),
            "v2");
  EXPECT_EQ(negotiateAggregatedDiscovery(
                "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json"),
            "v2beta1");
  EXPECT_EQ(negotiateAggregatedDiscovery("application/json, */*"), "");
}

TEST(Discovery, AggregatedCoreGroupCarriesShortNamesCategoriesAndScope) {
  auto r = get("/api", "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList");
  EXPECT_EQ(contentType(r), "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList");
  json body = json::parse(r.body);
  ASSERT_EQ(body["items"].size(), 1u);
  bool found = false;
  for (const auto& res : body["items"][0]["versions"][0]["resources"]) {
    if (res["resource"] != "pods") continue;
    found = true;
    EXPECT_EQ(res["shortNames"], json({"po"}));
    EXPECT_EQ(res["categories"], json({"all"}));
    EXPECT_EQ(res["scope"], "Namespaced");
  }
  EXPECT_TRUE(found);
}

TEST(Discovery, LegacyDocumentsListGroupsAndResources) {
  json groups = json::parse(get("/apis").body);
  EXPECT_EQ(groups["kind"], "APIGroupList");
  std::vector<std::string> names;
  for (const auto& g : groups["groups"]) names.push_back(g["name"]);
  EXPECT_NE(std::find(names.begin(), names.end(), "apps"), names.end());
  json apps = json::parse(get("/apis/apps/v1").body);
  EXPECT_EQ(apps["groupVersion"], "apps/v1");
  bool scale = false;
  for (const auto& res : apps["resources"]) scale |= res["name"] == "deployments/scale";
  EXPECT_TRUE(scale);
}

TEST(Discovery, OpenApiV3DeclaresFieldValidationOnPatchForEveryKind) {
  json root = json::parse(get("/openapi/v3").body);
  ASSERT_TRUE(root["paths"].contains("api/v1"));
  std::string url = root["paths"]["api/v1"]["serverRelativeURL"];
  EXPECT_NE(url.find("?hash="), std::string::npos);
  auto doc = get("/openapi/v3/api/v1");
  json body = json::parse(doc.body);
  const json& op = body["paths"]["/api/v1/namespaces/{namespace}/pods/{name}"]["patch"];
  EXPECT_EQ(op["x-kubernetes-group-version-kind"]["kind"], "Pod");
  EXPECT_EQ(op["parameters"][0]["name"], "fieldValidation");
  EXPECT_EQ(get("/openapi/v2").status, 404);
}

}  // namespace discovery_test
}  // namespace minik8s::apiserver
