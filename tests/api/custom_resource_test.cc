#include "api/custom_resource.h"

#include <gtest/gtest.h>

#include "testing/crd_fixtures.h"

namespace minik8s::api {
namespace {

using nlohmann::json;
using testing::widgetCrd;

std::vector<std::string> crdFieldsOf(const std::vector<FieldError>& errors) {
  std::vector<std::string> out;
  for (const auto& e : errors) out.push_back(e.field);
  return out;
}

TEST(CustomResourceDefinition, NormalizeDefaultsNamesAndConversion) {
  json crd = widgetCrd();
  ASSERT_TRUE(normalizeCustomResourceDefinition(crd).isOk());
  EXPECT_EQ(crd["spec"]["names"]["singular"], "widget");
  EXPECT_EQ(crd["spec"]["names"]["listKind"], "WidgetList");
  EXPECT_EQ(crd["spec"]["conversion"]["strategy"], "None");
  EXPECT_TRUE(validateCustomResourceDefinition(crd, nullptr).empty());
  json wrong = widgetCrd();
  wrong["kind"] = "Pod";
  EXPECT_EQ(normalizeCustomResourceDefinition(wrong).code(), Code::kBadRequest);
  json bad_versions = widgetCrd();
  bad_versions["spec"]["versions"] = "v1";
  EXPECT_EQ(normalizeCustomResourceDefinition(bad_versions).code(), Code::kBadRequest);
}

TEST(CustomResourceDefinition, NameMustBePluralDotGroup) {
  json crd = widgetCrd();
  crd["metadata"]["name"] = "widget.example.com";
  ASSERT_TRUE(normalizeCustomResourceDefinition(crd).isOk());
  auto errors = validateCustomResourceDefinition(crd, nullptr);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].field, "metadata.name");
  EXPECT_EQ(errors[0].message,
            "Invalid value: \"widget.example.com\": must be spec.names.plural+\".\"+spec.group");
}

TEST(CustomResourceDefinition, ExactlyOneStorageVersionAndSchemasRequired) {
  json crd = widgetCrd();
  crd["spec"]["versions"][1]["storage"] = true;
  crd["spec"]["versions"][2].erase("schema");
  ASSERT_TRUE(normalizeCustomResourceDefinition(crd).isOk());
  auto errors = validateCustomResourceDefinition(crd, nullptr);
  EXPECT_EQ(crdFieldsOf(errors),
            (std::vector<std::string>{"spec.versions[2].schema.openAPIV3Schema", "spec.versions"}));
  EXPECT_EQ(errors[0].message, "Required value: schemas are required");
  EXPECT_EQ(errors[1].message,
            "Invalid value: 2: must have exactly one version marked as storage version");
}

TEST(CustomResourceDefinition, GroupScopeColumnsAndSchemaAreChecked) {
  json crd = widgetCrd();
  crd["metadata"]["name"] = "widgets.example";
  crd["spec"]["group"] = "example";
  crd["spec"]["scope"] = "Global";
  crd["spec"]["versions"][0]["additionalPrinterColumns"] = {{{"name", "X"}, {"type", "map"}}};
  crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"].erase("type");
  crd["spec"]["versions"][0]["subresources"]["scale"].erase("statusReplicasPath");
  ASSERT_TRUE(normalizeCustomResourceDefinition(crd).isOk());
  EXPECT_EQ(
      crdFieldsOf(validateCustomResourceDefinition(crd, nullptr)),
      (std::vector<std::string>{"spec.group", "spec.scope",
                                "spec.versions[0].schema.openAPIV3Schema.properties[spec].type",
                                "spec.versions[0].additionalPrinterColumns[0].type",
                                "spec.versions[0].additionalPrinterColumns[0].jsonPath",
                                "spec.versions[0].subresources.scale.statusReplicasPath"}));
}

TEST(CustomResourceDefinition, GroupAndScopeAreImmutable) {
  json old = widgetCrd();
  ASSERT_TRUE(normalizeCustomResourceDefinition(old).isOk());
  json now = old;
  now["spec"]["scope"] = "Cluster";
  EXPECT_EQ(crdFieldsOf(validateCustomResourceDefinition(now, &old)),
            (std::vector<std::string>{"spec.scope"}));
}

TEST(CustomResourceDefinition, StatusAcceptsNamesAndKeepsTransitionTimes) {
  json crd = widgetCrd();
  ASSERT_TRUE(normalizeCustomResourceDefinition(crd).isOk());
  setCustomResourceDefinitionStatus(crd, nullptr, "2026-01-01T00:00:00Z");
  EXPECT_EQ(crd["status"]["acceptedNames"]["kind"], "Widget");
  EXPECT_EQ(crd["status"]["storedVersions"], json::array({"v1"}));
  ASSERT_EQ(crd["status"]["conditions"].size(), 2u);
  EXPECT_EQ(crd["status"]["conditions"][1]["type"], "Established");
  EXPECT_EQ(crd["status"]["conditions"][1]["status"], "True");
  json next = crd;
  setCustomResourceDefinitionStatus(next, &crd, "2026-02-02T00:00:00Z");
  EXPECT_EQ(next["status"]["conditions"][0]["lastTransitionTime"], "2026-01-01T00:00:00Z");
}

TEST(CustomResourceDefinition, ServesTheServedVersionsStorageFirst) {
  json crd = widgetCrd();
  ASSERT_TRUE(normalizeCustomResourceDefinition(crd).isOk());
  auto resources = customResourcesOf(crd);
  ASSERT_EQ(resources.size(), 2u);
  const ResourceInfo& v1 = resources[0];
  EXPECT_EQ(v1.apiVersion(), "example.com/v1");
  EXPECT_EQ(v1.kind, "Widget");
  EXPECT_EQ(v1.singular, "widget");
  EXPECT_TRUE(v1.namespaced);
  EXPECT_EQ(v1.short_names, std::vector<std::string>{"wd"});
  EXPECT_EQ(v1.subresources, (std::vector<std::string>{"status", "scale"}));
  EXPECT_EQ(v1.storagePrefix(), "/registry/example.com/widgets/");
  ASSERT_TRUE(v1.isCustom());
  ASSERT_EQ(v1.custom->columns.size(), 1u);
  EXPECT_EQ(v1.custom->columns[0].json_path, ".spec.size");
  EXPECT_EQ(v1.custom->spec_replicas_path, ".spec.size");
  EXPECT_EQ(resources[1].version, "v1beta1");
  ASSERT_EQ(resources[1].custom->columns.size(), 1u);
  EXPECT_EQ(resources[1].custom->columns[0].name, "Age");
  EXPECT_TRUE(resources[1].subresources.empty());
}

TEST(CustomResource, NormalizePrunesDefaultsAndValidates) {
  json crd = widgetCrd();
  ASSERT_TRUE(normalizeCustomResourceDefinition(crd).isOk());
  ResourceInfo widget = customResourcesOf(crd)[0];
  json object = {{"metadata", {{"name", "w1"}, {"namespace", "default"}, {"labels", {{"a", "b"}}}}},
                 {"spec", {{"size", 3}, {"shape", "round"}}},
                 {"junk", true}};
  std::vector<std::string> pruned;
  ASSERT_TRUE(normalizeCustomResource(widget, object, &pruned).isOk());
  EXPECT_EQ(pruned, (std::vector<std::string>{"spec.shape", "junk"}));
  EXPECT_EQ(object["apiVersion"], "example.com/v1");
  EXPECT_EQ(object["kind"], "Widget");
  EXPECT_EQ(object["metadata"]["labels"]["a"], "b");  // metadata is not pruned
  EXPECT_EQ(object["spec"]["color"], "blue");
  EXPECT_TRUE(validateCustomResource(widget, object, nullptr).empty());

  object["spec"]["size"] = 11;
  object["spec"].erase("color");
  auto errors = validateCustomResource(widget, object, nullptr);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].field, "spec.size");
  object["spec"].erase("size");
  EXPECT_EQ(crdFieldsOf(validateCustomResource(widget, object, nullptr)),
            std::vector<std::string>{"spec.size"});
  object["metadata"]["name"] = "Not_Valid";
  EXPECT_EQ(crdFieldsOf(validateCustomResource(widget, object, nullptr)).front(), "metadata.name");

  json wrong_kind = {{"apiVersion", "example.com/v2"}, {"metadata", json::object()}};
  EXPECT_EQ(normalizeCustomResource(widget, wrong_kind, nullptr).code(), Code::kBadRequest);
  json bad_meta = {{"metadata", 5}};
  EXPECT_EQ(normalizeCustomResource(widget, bad_meta, nullptr).code(), Code::kBadRequest);
}

TEST(CustomResource, PreservingSchemaKeepsEverything) {
  json crd = widgetCrd();
  ASSERT_TRUE(normalizeCustomResourceDefinition(crd).isOk());
  ResourceInfo beta = customResourcesOf(crd)[1];
  json object = {{"metadata", {{"name", "w"}}}, {"anything", {{"at", "all"}}}};
  std::vector<std::string> pruned;
  ASSERT_TRUE(normalizeCustomResource(beta, object, &pruned).isOk());
  EXPECT_TRUE(pruned.empty());
  EXPECT_EQ(object["anything"]["at"], "all");
}

TEST(CustomResource, SimpleJsonPaths) {
  json object = {{"spec", {{"replicas", 3}, {"list", {{{"type", "A"}}, {{"type", "B"}}}}}}};
  EXPECT_EQ(evaluateSimpleJsonPath(object, ".spec.replicas"), 3);
  EXPECT_EQ(evaluateSimpleJsonPath(object, "{.spec.list[1].type}"), "B");
  EXPECT_TRUE(evaluateSimpleJsonPath(object, ".spec.list[9].type").is_null());
  EXPECT_TRUE(evaluateSimpleJsonPath(object, ".spec.replicas.x").is_null());
  EXPECT_TRUE(evaluateSimpleJsonPath(object, ".spec.list[x]").is_null());
  EXPECT_TRUE(evaluateSimpleJsonPath(object, ".spec.list[").is_null());
  setSimpleJsonPath(object, ".spec.replicas", 5);
  setSimpleJsonPath(object, ".status.a.b", "c");
  EXPECT_EQ(object["spec"]["replicas"], 5);
  EXPECT_EQ(object["status"]["a"]["b"], "c");
}

}  // namespace
}  // namespace minik8s::api
