#include "api/json_schema.h"

#include <gtest/gtest.h>

namespace minik8s::api {
namespace {

using nlohmann::json;

const json kSchema = json::parse(R"({
  "type": "object",
  "properties": {
    "spec": {
      "type": "object",
      "required": ["image"],
      "properties": {
        "image": {"type": "string", "minLength": 1, "maxLength": 20, "pattern": "^[a-z:.0-9]+$"},
        "replicas": {"type": "integer", "minimum": 1, "maximum": 10, "default": 1},
        "size": {"type": "string", "enum": ["small", "large"], "default": "small"},
        "ratio": {"type": "number", "exclusiveMaximum": true, "maximum": 1},
        "note": {"type": "string", "nullable": true},
        "port": {"x-kubernetes-int-or-string": true},
        "tags": {"type": "array", "maxItems": 2, "items": {"type": "string"}},
        "ports": {"type": "array", "items": {"type": "object", "properties": {
          "name": {"type": "string"}, "protocol": {"type": "string", "default": "TCP"}}}},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": true,
                  "properties": {"known": {"type": "object", "properties": {"a": {"type": "string"}}}}}
      }
    },
    "status": {"type": "object", "properties": {"ready": {"type": "boolean"}}}
  }
})");

json specSchema() {
  return kSchema["properties"]["spec"];
}

std::vector<std::string> schemaFieldsOf(const std::vector<FieldError>& errors) {
  std::vector<std::string> out;
  for (const auto& e : errors) out.push_back(e.field);
  return out;
}

TEST(JsonSchema, AValidObjectHasNoErrors) {
  json spec = {{"image", "nginx:1.27"}, {"replicas", 3},  {"size", "large"},   {"ratio", 0.5},
               {"note", nullptr},       {"port", "http"}, {"tags", {"a", "b"}}};
  EXPECT_TRUE(validateAgainstSchema(specSchema(), spec, "spec").empty());
}

TEST(JsonSchema, WrongTypeNamesTheFieldInKubernetesWords) {
  auto errors =
      validateAgainstSchema(specSchema(), {{"image", "x"}, {"replicas", "three"}}, "spec");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].field, "spec.replicas");
  EXPECT_EQ(errors[0].reason, "FieldValueInvalid");
  EXPECT_EQ(errors[0].message,
            "Invalid value: \"string\": spec.replicas in body must be of type integer: \"string\"");
}

TEST(JsonSchema, RequiredEnumAndBounds) {
  json spec = {{"replicas", 20}, {"size", "huge"}, {"ratio", 1}};
  auto errors = validateAgainstSchema(specSchema(), spec, "spec");
  EXPECT_EQ(schemaFieldsOf(errors),
            (std::vector<std::string>{"spec.image", "spec.ratio", "spec.replicas", "spec.size"}));
  EXPECT_EQ(errors[0].message, "Required value");
  EXPECT_EQ(errors[1].message, "Invalid value: 1: spec.ratio in body should be less than 1");
  EXPECT_EQ(errors[2].message,
            "Invalid value: 20: spec.replicas in body should be less than or equal to 10");
  EXPECT_EQ(errors[3].reason, "FieldValueNotSupported");
  EXPECT_EQ(errors[3].message,
            "Unsupported value: \"huge\": supported values: \"small\", \"large\"");
}

TEST(JsonSchema, StringLengthsAndPattern) {
  auto errors = validateAgainstSchema(specSchema(), {{"image", ""}}, "spec");
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].message,
            "Invalid value: \"\": spec.image in body should be at least 1 chars long");
  EXPECT_EQ(errors[1].message,
            "Invalid value: \"\": spec.image in body should match '^[a-z:.0-9]+$'");
  errors = validateAgainstSchema(specSchema(), {{"image", std::string(21, 'a')}}, "spec");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].reason, "FieldValueTooLong");
  errors = validateAgainstSchema(specSchema(), {{"image", "UPPER"}}, "spec");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].field, "spec.image");
}

TEST(JsonSchema, NullableIntOrStringItemsAndMaps) {
  json spec = {{"image", "x"},
               {"note", nullptr},
               {"port", 8080},
               {"tags", {"a", 1, "c"}},
               {"labels", {{"a", "b"}, {"c", 3}}},
               {"ports", {{{"name", 5}}}}};
  auto errors = validateAgainstSchema(specSchema(), spec, "spec");
  EXPECT_EQ(schemaFieldsOf(errors), (std::vector<std::string>{"spec.labels.c", "spec.ports[0].name",
                                                              "spec.tags", "spec.tags[1]"}));
  EXPECT_EQ(errors[2].reason, "FieldValueTooMany");
  errors = validateAgainstSchema(specSchema(), {{"image", "x"}, {"port", true}}, "spec");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].field, "spec.port");
  errors = validateAgainstSchema(specSchema(), {{"image", nullptr}}, "spec");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].message,
            "Invalid value: \"null\": spec.image in body must be of type string: \"null\"");
}

TEST(JsonSchema, DefaultsFillAbsentFieldsInObjectsAndItems) {
  json object = {
      {"spec",
       {{"image", "x"}, {"size", nullptr}, {"ports", {{{"name", "a"}}, {{"protocol", "UDP"}}}}}}};
  applySchemaDefaults(kSchema, object);
  EXPECT_EQ(object["spec"]["replicas"], 1);
  EXPECT_EQ(object["spec"]["size"], "small");  // null and not nullable: defaulted
  EXPECT_EQ(object["spec"]["ports"][0]["protocol"], "TCP");
  EXPECT_EQ(object["spec"]["ports"][1]["protocol"], "UDP");
  EXPECT_FALSE(object.contains("status"));  // no default for it
}

TEST(JsonSchema, PruningRemovesUndeclaredFieldsAndReportsTheirPaths) {
  json object = {{"spec",
                  {{"image", "x"},
                   {"bogus", 1},
                   {"ports", {{{"name", "a"}, {"zz", 1}}}},
                   {"labels", {{"free", "form"}}},
                   {"extra", {{"anything", {{"goes", 1}}}, {"known", {{"a", "b"}, {"b", 1}}}}}}},
                 {"status", {{"ready", true}, {"phase", "x"}}},
                 {"top", 1}};
  std::vector<std::string> pruned;
  pruneUnknownFields(kSchema, object, &pruned);
  EXPECT_EQ(pruned, (std::vector<std::string>{"spec.extra.known.b", "spec.ports[0].zz",
                                              "spec.bogus", "status.phase", "top"}));
  EXPECT_EQ(object["spec"]["labels"]["free"], "form");
  EXPECT_EQ(object["spec"]["extra"]["anything"]["goes"], 1);
  EXPECT_FALSE(object["spec"]["extra"]["known"].contains("b"));
}

TEST(JsonSchema, ObjectWithoutPropertiesPrunesEverythingUnlessPreserved) {
  json schema = {{"type", "object"}, {"properties", {{"a", {{"type", "object"}}}}}};
  json value = {{"a", {{"x", 1}}}};
  pruneUnknownFields(schema, value, nullptr);
  EXPECT_EQ(value, (json{{"a", json::object()}}));
}

TEST(JsonSchema, StructuralSchemaErrors) {
  EXPECT_TRUE(validateStructuralSchema(kSchema, "s").empty());
  auto errors = validateStructuralSchema(
      json::parse(R"({"type":"object","properties":{"spec":{"properties":{"a":{"type":"strin"}}},
                     "list":{"type":"array"},"p":{"type":"string","pattern":"("},
                     "d":{"type":"integer","default":"x"},
                     "m":{"type":"object","properties":{},"additionalProperties":{"type":"string"}}}})"),
      "spec.versions[0].schema.openAPIV3Schema");
  EXPECT_EQ(schemaFieldsOf(errors),
            (std::vector<std::string>{
                "spec.versions[0].schema.openAPIV3Schema.properties[d].default",
                "spec.versions[0].schema.openAPIV3Schema.properties[list].items",
                "spec.versions[0].schema.openAPIV3Schema.properties[m].additionalProperties",
                "spec.versions[0].schema.openAPIV3Schema.properties[p].pattern",
                "spec.versions[0].schema.openAPIV3Schema.properties[spec].type",
                "spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[a].type"}));
  errors = validateStructuralSchema(json{{"type", "string"}}, "s");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].message, "Invalid value: \"string\": must be object at the root");
}

TEST(JsonSchema, MalformedSchemasAndValuesNeverThrow) {
  const std::vector<json> schemas = {
      json(),
      json(1),
      json("x"),
      json::array({1, 2}),
      json::parse(R"({"type":5,"properties":[1],"items":[{}],"required":"x","enum":3,
                      "minimum":"a","maxLength":-1,"pattern":7,"allOf":{},"anyOf":[1],"not":2,
                      "additionalProperties":"x","default":{}})"),
      json::parse(R"({"type":"object","properties":{"a":5,"b":{"items":"x","type":"array"}}})")};
  const std::vector<json> values = {json(), json(1), json("s"), json::array({json::object()}),
                                    json::parse(R"({"a":{"b":[1]},"b":[[1]]})")};
  for (const json& s : schemas) {
    (void)validateStructuralSchema(s, "s");
    for (json v : values) {
      (void)validateAgainstSchema(s, v, "x");
      applySchemaDefaults(s, v);
      pruneUnknownFields(s, v, nullptr);
    }
  }
  // Deep nesting is cut off, not recursed without bound.
  json deep = json::object();
  json* cur = &deep;
  for (int i = 0; i < 1000; ++i) cur = &((*cur)["properties"]["a"] = json{{"type", "object"}});
  (void)validateStructuralSchema(deep, "s");
}

}  // namespace
}  // namespace minik8s::api
