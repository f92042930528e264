#include "apiserver/openapi.h"

#include <gtest/gtest.h>

#include <functional>
#include <nlohmann/json.hpp>

#include "api/scheme.h"

namespace minik8s::apiserver {
namespace openapi_test {

using nlohmann::json;

const json& coreV1() {
  static const json doc = openApiDocument("", "v1");
  return doc;
}

const json& schema(const json& doc, const std::string& name) {
  static const json kMissing;
  const json& schemas = doc["components"]["schemas"];
  if (!schemas.contains(name)) {
    ADD_FAILURE() << "no schema " << name;
    return kMissing;
  }
  return schemas[name];
}

// The name a property's $ref points at, through kube-apiserver's allOf wrapper.
std::string refOf(const json& property) {
  const json& p = property.contains("allOf") ? property["allOf"][0] : property;
  std::string ref = p.value("$ref", "");
  constexpr std::string_view kPrefix = "#/components/schemas/";
  return ref.rfind(kPrefix, 0) == 0 ? ref.substr(kPrefix.size()) : ref;
}

// Every $ref anywhere in `value`.
void collectRefs(const json& value, std::vector<std::string>& refs) {
  if (value.is_object()) {
    for (const auto& [key, member] : value.items()) {
      if (key == "$ref" && member.is_string()) refs.push_back(member.get<std::string>());
      collectRefs(member, refs);
    }
  } else if (value.is_array()) {
    for (const auto& member : value) collectRefs(member, refs);
  }
}

TEST(OpenApi, NamesSchemasAsKubeApiserver) {
  EXPECT_EQ(openApiSchemaName("k8s.io.api.core.v1.Pod"), "io.k8s.api.core.v1.Pod");
  EXPECT_EQ(openApiSchemaName("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta"),
            "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta");
}

TEST(OpenApi, KindRootCarriesItsGroupVersionKindAndTypeMeta) {
  const json& pod = schema(coreV1(), "io.k8s.api.core.v1.Pod");
  EXPECT_EQ(pod["x-kubernetes-group-version-kind"],
            json::parse(R"([{"group":"","version":"v1","kind":"Pod"}])"));
  EXPECT_EQ(pod["type"], "object");
  EXPECT_FALSE(pod.value("description", "").empty());
  EXPECT_EQ(pod["properties"]["apiVersion"]["type"], "string");
  EXPECT_EQ(pod["properties"]["kind"]["type"], "string");
  EXPECT_EQ(refOf(pod["properties"]["metadata"]), "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta");
  EXPECT_EQ(refOf(pod["properties"]["spec"]), "io.k8s.api.core.v1.PodSpec");

  json apps = openApiDocument("apps", "v1");
  EXPECT_EQ(schema(apps, "io.k8s.api.apps.v1.Deployment")["x-kubernetes-group-version-kind"][0],
            json::parse(R"({"group":"apps","version":"v1","kind":"Deployment"})"));
  EXPECT_EQ(schema(apps, "io.k8s.api.apps.v1.DeploymentList")["x-kubernetes-group-version-kind"][0]
                ["kind"],
            "DeploymentList");
}

TEST(OpenApi, EveryServedKindHasARootAndEveryRefResolves) {
  for (const auto& r : api::servedResources()) {
    SCOPED_TRACE(r.apiVersion() + " " + r.kind);
    json doc = openApiDocument(r.group, r.version);
    const json& schemas = doc["components"]["schemas"];
    bool found = false;
    for (const auto& [name, s] : schemas.items()) {
      for (const auto& gvk : s.value("x-kubernetes-group-version-kind", json::array())) {
        if (gvk["group"] == r.group && gvk["version"] == r.version && gvk["kind"] == r.kind) {
          found = true;
        }
      }
    }
    EXPECT_TRUE(found);
    std::vector<std::string> refs;
    collectRefs(doc, refs);
    // CustomResourceDefinition is kept as JSON (no protobuf message): a root schema only.
    if (r.kind != "CustomResourceDefinition") {
      EXPECT_FALSE(refs.empty());
    }
    for (const auto& ref : refs) {
      ASSERT_EQ(ref.rfind("#/components/schemas/", 0), 0u) << ref;
      EXPECT_TRUE(schemas.contains(ref.substr(21))) << ref;
    }
  }
}

TEST(OpenApi, ScalarsAndSpecialMessagesHaveKubernetesForms) {
  const json& schemas = coreV1()["components"]["schemas"];
  const json& time = schema(coreV1(), "io.k8s.apimachinery.pkg.apis.meta.v1.Time");
  EXPECT_EQ(time["type"], "string");
  EXPECT_EQ(time["format"], "date-time");
  EXPECT_EQ(schema(coreV1(), "io.k8s.apimachinery.pkg.util.intstr.IntOrString")
                ["x-kubernetes-int-or-string"],
            true);
  EXPECT_EQ(schema(coreV1(), "io.k8s.apimachinery.pkg.api.resource.Quantity")
                ["x-kubernetes-int-or-string"],
            true);
  EXPECT_EQ(schema(coreV1(), "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1")["type"], "object");

  const json& meta = schemas["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"]["properties"];
  EXPECT_EQ(refOf(meta["creationTimestamp"]), "io.k8s.apimachinery.pkg.apis.meta.v1.Time");
  EXPECT_EQ(meta["labels"], json::parse(R"({"type":"object","additionalProperties":{"type":"string"}})"));
  EXPECT_EQ(meta["generation"], json::parse(R"({"type":"integer","format":"int64"})"));

  const json& port = schemas["io.k8s.api.core.v1.ContainerPort"]["properties"];
  EXPECT_EQ(port["containerPort"]["type"], "integer");
  EXPECT_EQ(port["containerPort"]["format"], "int32");
  EXPECT_EQ(refOf(schemas["io.k8s.api.core.v1.ServicePort"]["properties"]["targetPort"]),
            "io.k8s.apimachinery.pkg.util.intstr.IntOrString");
  EXPECT_EQ(schemas["io.k8s.api.core.v1.ResourceRequirements"]["properties"]["limits"]
                ["additionalProperties"],
            json::parse(R"({"$ref":"#/components/schemas/io.k8s.apimachinery.pkg.api.resource.Quantity"})"));
  EXPECT_EQ(schemas["io.k8s.api.core.v1.Secret"]["properties"]["data"]["additionalProperties"],
            json::parse(R"({"type":"string","format":"byte"})"));
  const json& command = schemas["io.k8s.api.core.v1.Container"]["properties"]["command"];
  EXPECT_EQ(command["type"], "array");
  EXPECT_EQ(command["items"], json::parse(R"({"type":"string"})"));
  EXPECT_EQ(command["description"], "Replaces the image's ENTRYPOINT.");  // the .proto comment
}

TEST(OpenApi, InlinedMembersFieldsAppearInTheirOwner) {
  const json& volume = schema(coreV1(), "io.k8s.api.core.v1.Volume")["properties"];
  EXPECT_TRUE(volume.contains("name"));
  EXPECT_TRUE(volume.contains("configMap"));
  EXPECT_TRUE(volume.contains("emptyDir"));
  EXPECT_FALSE(volume.contains("volumeSource"));
  EXPECT_FALSE(volume.contains(",inline"));
  const json& ephemeral = schema(coreV1(), "io.k8s.api.core.v1.EphemeralContainer")["properties"];
  EXPECT_TRUE(ephemeral.contains("image"));
  EXPECT_TRUE(ephemeral.contains("targetContainerName"));

  json networking = openApiDocument("networking.k8s.io", "v1");
  const json& rule = schema(networking, "io.k8s.api.networking.v1.IngressRule")["properties"];
  EXPECT_TRUE(rule.contains("host"));
  EXPECT_EQ(refOf(rule["http"]), "io.k8s.api.networking.v1.HTTPIngressRuleValue");
}

TEST(OpenApi, ListsCarryTheirKubernetesKeysAndPatchStrategy) {
  const json& spec = schema(coreV1(), "io.k8s.api.core.v1.PodSpec")["properties"];
  for (const char* list : {"containers", "initContainers", "ephemeralContainers", "volumes",
                           "imagePullSecrets"}) {
    SCOPED_TRACE(list);
    EXPECT_EQ(spec[list]["x-kubernetes-list-type"], "map");
    EXPECT_EQ(spec[list]["x-kubernetes-list-map-keys"], json::array({"name"}));
    EXPECT_EQ(spec[list]["x-kubernetes-patch-merge-key"], "name");
  }
  EXPECT_EQ(spec["containers"]["x-kubernetes-patch-strategy"], "merge");
  EXPECT_EQ(spec["volumes"]["x-kubernetes-patch-strategy"], "merge,retainKeys");
  EXPECT_EQ(spec["tolerations"]["x-kubernetes-list-type"], "atomic");
  EXPECT_FALSE(spec["tolerations"].contains("x-kubernetes-patch-strategy"));

  const json& container = schema(coreV1(), "io.k8s.api.core.v1.Container")["properties"];
  EXPECT_EQ(container["ports"]["x-kubernetes-list-map-keys"],
            json::array({"containerPort", "protocol"}));
  EXPECT_EQ(container["env"]["x-kubernetes-list-map-keys"], json::array({"name"}));
  EXPECT_EQ(container["volumeMounts"]["x-kubernetes-list-map-keys"], json::array({"mountPath"}));
  const json& ephemeral = schema(coreV1(), "io.k8s.api.core.v1.EphemeralContainer")["properties"];
  EXPECT_EQ(ephemeral["env"]["x-kubernetes-list-map-keys"], json::array({"name"}));

  EXPECT_EQ(schema(coreV1(), "io.k8s.api.core.v1.ServiceSpec")["properties"]["ports"]
                ["x-kubernetes-list-map-keys"],
            json::array({"port", "protocol"}));
  const json& conditions = schema(coreV1(), "io.k8s.api.core.v1.PodStatus")["properties"]["conditions"];
  EXPECT_EQ(conditions["x-kubernetes-list-type"], "map");
  EXPECT_EQ(conditions["x-kubernetes-list-map-keys"], json::array({"type"}));

  json apps = openApiDocument("apps", "v1");
  EXPECT_EQ(schema(apps, "io.k8s.api.apps.v1.DeploymentSpec")["properties"]["strategy"]
                ["x-kubernetes-patch-strategy"],
            "retainKeys");
  EXPECT_EQ(schema(apps, "io.k8s.api.apps.v1.DeploymentStatus")["properties"]["conditions"]
                ["x-kubernetes-list-map-keys"],
            json::array({"type"}));
}

TEST(OpenApi, KeepsThePatchOperationsThatTurnOnServerSideValidation) {
  const json& op = coreV1()["paths"]["/api/v1/namespaces/{namespace}/pods/{name}"]["patch"];
  EXPECT_EQ(op["x-kubernetes-group-version-kind"]["kind"], "Pod");
  EXPECT_EQ(op["parameters"][0]["name"], "fieldValidation");
  EXPECT_TRUE(openApiDocument("nope.example.com", "v1")["components"]["schemas"].empty());
}

}  // namespace openapi_test
}  // namespace minik8s::apiserver
