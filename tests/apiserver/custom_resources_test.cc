// Which custom resources CRDs serve (servedCustomResources), and their tables.
#include "apiserver/custom_resources.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/custom_resource.h"
#include "apiserver/openapi.h"
#include "apiserver/table.h"

namespace minik8s::apiserver {
namespace {

using nlohmann::json;

json crd(const std::string& group, const std::string& plural, const std::string& kind) {
  json c = {{"apiVersion", "apiextensions.k8s.io/v1"},
            {"kind", "CustomResourceDefinition"},
            {"metadata", {{"name", plural + "." + group}}},
            {"spec",
             {{"group", group},
              {"scope", "Namespaced"},
              {"names", {{"plural", plural}, {"kind", kind}}},
              {"versions",
               json::array({{{"name", "v1beta1"}, {"served", true}, {"storage", false}},
                            {{"name", "v1"},
                             {"served", true},
                             {"storage", true},
                             {"additionalPrinterColumns",
                              json::array({{{"name", "Size"},
                                            {"type", "integer"},
                                            {"jsonPath", ".spec.size"}},
                                           {{"name", "Age"},
                                            {"type", "date"},
                                            {"jsonPath", ".metadata.creationTimestamp"}}})}}})}}}};
  EXPECT_TRUE(api::normalizeCustomResourceDefinition(c).isOk());
  return c;
}

std::vector<std::string> namesOf(const CustomResourceList& list) {
  std::vector<std::string> out;
  for (const auto& r : list) out.push_back(r.apiVersion() + "/" + r.plural);
  return out;
}

TEST(ServedCustomResources, EveryServedVersionStorageFirst) {
  auto served = servedCustomResources({crd("example.com", "widgets", "Widget")});
  EXPECT_EQ(namesOf(served),
            (std::vector<std::string>{"example.com/v1/widgets", "example.com/v1beta1/widgets"}));
  ASSERT_TRUE(served[1].isCustom());
  EXPECT_EQ(served[1].custom->storage_version, "v1");
  EXPECT_FALSE(served[0].convertsOnRead());
  EXPECT_TRUE(served[1].convertsOnRead());
  EXPECT_EQ(served[0].storagePrefix(), "/registry/example.com/widgets/");
}

TEST(ServedCustomResources, NeverShadowsABuiltInOrAnEarlierCrd) {
  json deleting = crd("example.com", "gadgets", "Gadget");
  deleting["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z";
  auto served = servedCustomResources({crd("apps", "deployments", "Deployment"),
                                       crd("example.com", "widgets", "Widget"),
                                       crd("example.com", "widgets", "Widget2"), deleting,
                                       json("not a CRD")});
  EXPECT_EQ(namesOf(served),
            (std::vector<std::string>{"example.com/v1/widgets", "example.com/v1beta1/widgets"}));
  EXPECT_EQ(served[0].kind, "Widget");
}

TEST(CustomResourceTable, PrinterColumnsFromTheCrd) {
  auto served = servedCustomResources({crd("example.com", "widgets", "Widget")});
  const api::ResourceInfo& widgets = served.front();
  json columns = tableColumns(widgets);
  ASSERT_EQ(columns.size(), 3u);
  EXPECT_EQ(columns[0]["name"], "Name");
  EXPECT_EQ(columns[1]["name"], "Size");
  EXPECT_EQ(columns[1]["type"], "integer");
  EXPECT_EQ(columns[2]["name"], "Age");
  json w = {{"metadata", {{"name", "w1"}, {"creationTimestamp", "2026-01-01T00:00:00Z"}}},
            {"spec", {{"size", 3}}}};
  Clock::WallTime now;
  ASSERT_TRUE(parseRfc3339("2026-01-01T00:02:00Z", &now));
  json row = tableRow(widgets, w, now, IncludeObject::kNone);
  EXPECT_EQ(row["cells"], json::array({"w1", 3, "2m"}));
  w["spec"].erase("size");
  EXPECT_EQ(tableRow(widgets, w, now, IncludeObject::kNone)["cells"][1], nullptr);
}

TEST(CustomResourceOpenApi, TheVersionsSchemaWithKindAndObjectMeta) {
  auto served = servedCustomResources({crd("example.com", "widgets", "Widget")});
  auto with_schema = std::make_shared<api::CustomResourceVersion>(*served[0].custom);
  with_schema->schema = {{"type", "object"}, {"properties", {{"spec", {{"type", "object"}}}}}};
  served[0].custom = with_schema;
  json doc = customOpenApiDocument("example.com", "v1", served);
  const json& schemas = doc["components"]["schemas"];
  ASSERT_TRUE(schemas.contains("com.example.v1.Widget")) << schemas.dump();
  const json& widget = schemas["com.example.v1.Widget"];
  EXPECT_EQ(widget["x-kubernetes-group-version-kind"][0]["kind"], "Widget");
  EXPECT_EQ(widget["properties"]["spec"]["type"], "object");
  std::string meta = widget["properties"]["metadata"]["allOf"][0]["$ref"];
  EXPECT_TRUE(schemas.contains(meta.substr(std::string("#/components/schemas/").size())));
  EXPECT_TRUE(doc["paths"].contains("/apis/example.com/v1/namespaces/{namespace}/widgets/{name}"));
  // v1beta1 has no schema: one that keeps every field.
  json beta = customOpenApiDocument("example.com", "v1beta1", served);
  EXPECT_EQ(beta["components"]["schemas"]["com.example.v1beta1.Widget"]
                ["x-kubernetes-preserve-unknown-fields"],
            true);
}

}  // namespace
}  // namespace minik8s::apiserver
