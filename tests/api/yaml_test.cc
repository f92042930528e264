#include "api/yaml.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/json_input.h"

namespace minik8s::api {
namespace yaml_test {

using nlohmann::json;

TEST(Yaml, TypesPlainScalarsAndKeepsQuotedStrings) {
  Result<json> doc = parseYaml(R"(
int: 5000
neg: -3
hex: 0x1F
float: 0.5
exp: 1e3
yes_bool: true
no_bool: False
null1: null
null2: ~
empty:
quoted_int: "5000"
quoted_bool: 'true'
quantity: "10Mi"
plain_quantity: 10Mi
word: yes
version: 1.36.1
colon: a:b
literal: |
  line1
  line2
)");
  ASSERT_TRUE(doc.isOk()) << doc.status().toString();
  const json& j = *doc;
  EXPECT_EQ(j["int"], 5000);
  EXPECT_TRUE(j["int"].is_number_integer());
  EXPECT_EQ(j["neg"], -3);
  EXPECT_EQ(j["hex"], 31);
  EXPECT_EQ(j["float"], 0.5);
  EXPECT_EQ(j["exp"], 1000.0);
  EXPECT_EQ(j["yes_bool"], true);
  EXPECT_EQ(j["no_bool"], false);
  EXPECT_TRUE(j["null1"].is_null());
  EXPECT_TRUE(j["null2"].is_null());
  EXPECT_TRUE(j["empty"].is_null());
  EXPECT_EQ(j["quoted_int"], "5000");
  EXPECT_EQ(j["quoted_bool"], "true");
  EXPECT_EQ(j["quantity"], "10Mi");
  EXPECT_EQ(j["plain_quantity"], "10Mi");
  EXPECT_EQ(j["word"], "yes");  // YAML 1.2: only true/false are booleans
  EXPECT_EQ(j["version"], "1.36.1");
  EXPECT_EQ(j["colon"], "a:b");
  EXPECT_EQ(j["literal"], "line1\nline2\n");
}

TEST(Yaml, ParsesSequencesMapsAndFlowStyle) {
  Result<json> doc = parseYaml(
      "command: [\"sh\", \"-c\"]\nports:\n- containerPort: 80\n  name: http\nlabels: {a: b}\n");
  ASSERT_TRUE(doc.isOk());
  EXPECT_EQ((*doc)["command"], json({"sh", "-c"}));
  EXPECT_EQ((*doc)["ports"][0]["containerPort"], 80);
  EXPECT_EQ((*doc)["labels"]["a"], "b");
}

TEST(Yaml, ExplicitTagsOverridePlainTyping) {
  Result<json> doc = parseYaml("a: !!str 5\nb: !!int \"7\"\n");
  ASSERT_TRUE(doc.isOk()) << doc.status().toString();
  EXPECT_EQ((*doc)["a"], "5");
  EXPECT_EQ((*doc)["b"], 7);
  EXPECT_FALSE(parseYaml("a: !!int nope\n").isOk());
}

TEST(Yaml, StreamSplitsDocumentsAndSkipsEmptyOnes) {
  Result<std::vector<json>> docs =
      parseYamlStream("---\na: 1\n---\n---\nb: 2\n...\n---\nc: [3]\n---\n");
  ASSERT_TRUE(docs.isOk()) << docs.status().toString();
  ASSERT_EQ(docs->size(), 3u);
  EXPECT_EQ((*docs)[0]["a"], 1);
  EXPECT_EQ((*docs)[1]["b"], 2);
  EXPECT_EQ((*docs)[2]["c"][0], 3);
}

TEST(Yaml, SingleDocumentParseRejectsStreamsAndAllowsEmpty) {
  EXPECT_FALSE(parseYaml("a: 1\n---\nb: 2\n").isOk());
  Result<json> empty = parseYaml("");
  ASSERT_TRUE(empty.isOk());
  EXPECT_TRUE(empty->is_null());
}

TEST(Yaml, MalformedInputIsABadRequestWithLineAndColumn) {
  for (const char* text : {"a: [1, 2\n", "a:\n  b: 1\n c: 2\n", "a: 1\n  b: 2\n", "- a\nb: c\n",
                           "a: b: c\n", "{[}: 1\n", "\t- x\n"}) {
    Result<std::vector<json>> docs = parseYamlStream(text);
    ASSERT_FALSE(docs.isOk()) << text;
    EXPECT_EQ(docs.status().code(), Code::kBadRequest);
    EXPECT_EQ(docs.status().message().rfind("yaml: ", 0), 0u) << docs.status().message();
  }
  Result<json> doc = parseYaml("a: 1\nb: [2\n");
  ASSERT_FALSE(doc.isOk());
  EXPECT_NE(doc.status().message().find("line "), std::string::npos) << doc.status().message();
  EXPECT_NE(doc.status().message().find("column "), std::string::npos);
}

TEST(Yaml, EmitsBlockStyleLikeKubectl) {
  json object = {{"apiVersion", "v1"},
                 {"kind", "Pod"},
                 {"metadata", {{"name", "p"}, {"labels", {{"app", "web"}}}}},
                 {"spec",
                  {{"containers",
                    {{{"name", "c"}, {"args", {"a", "b"}}, {"ports", {{{"containerPort", 80}}}}}}},
                   {"volumes", json::array()},
                   {"nodeSelector", json::object()}}}};
  EXPECT_EQ(toYaml(object),
            "apiVersion: v1\n"
            "kind: Pod\n"
            "metadata:\n"
            "  labels:\n"
            "    app: web\n"
            "  name: p\n"
            "spec:\n"
            "  containers:\n"
            "  - args:\n"
            "    - a\n"
            "    - b\n"
            "    name: c\n"
            "    ports:\n"
            "    - containerPort: 80\n"
            "  nodeSelector: {}\n"
            "  volumes: []\n");
}

TEST(Yaml, QuotesStringsThatWouldReadAsOtherTypes) {
  json object = {{"a", "5000"}, {"b", "true"},    {"c", ""},     {"d", "null"},
                 {"e", "yes"},  {"f", "it's: x"}, {"g", "10Mi"}, {"h", "line\nbreak"},
                 {"i", 1.5},    {"j", nullptr},   {"k", false},  {"l", "- x"}};
  std::string yaml = toYaml(object);
  EXPECT_NE(yaml.find("a: '5000'\n"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("b: 'true'\n"), std::string::npos);
  EXPECT_NE(yaml.find("c: ''\n"), std::string::npos);
  EXPECT_NE(yaml.find("d: 'null'\n"), std::string::npos);
  EXPECT_NE(yaml.find("e: 'yes'\n"), std::string::npos);
  EXPECT_NE(yaml.find("f: 'it''s: x'\n"), std::string::npos);
  EXPECT_NE(yaml.find("g: 10Mi\n"), std::string::npos);
  EXPECT_NE(yaml.find("h: \"line\\nbreak\"\n"), std::string::npos);
  EXPECT_NE(yaml.find("i: 1.5\n"), std::string::npos);
  EXPECT_NE(yaml.find("j: null\n"), std::string::npos);
  EXPECT_NE(yaml.find("k: false\n"), std::string::npos);
  // And it parses back to the same value.
  Result<json> back = parseYaml(yaml);
  ASSERT_TRUE(back.isOk()) << back.status().toString();
  EXPECT_EQ(*back, object);
}

TEST(Yaml, NestedSequencesRoundTrip) {
  json object = {{"matrix", {{1, 2}, {3}, json::array(), {{{"a", 1}, {"b", {{"c", "d"}}}}}}}};
  Result<json> back = parseYaml(toYaml(object));
  ASSERT_TRUE(back.isOk()) << toYaml(object);
  EXPECT_EQ(*back, object);
  EXPECT_EQ(toYaml(json("x")), "x\n");
  EXPECT_EQ(toYaml(json::object()), "{}\n");
  EXPECT_EQ(toYaml(json::array({1, 2})), "- 1\n- 2\n");
}

TEST(Yaml, InvalidUtf8IsAnErrorNotAString) {
  // libyaml checks its input's encoding, so nothing that JSON cannot hold gets through.
  EXPECT_FALSE(parseYaml("name: \xff\xfe").isOk());
  EXPECT_FALSE(parseYaml("name: \"\xc0\xaf\"").isOk());
  EXPECT_FALSE(parseYaml("name: \xed\xa0\x80").isOk());
}

}  // namespace yaml_test
}  // namespace minik8s::api

namespace minik8s::api {
namespace yaml_test {

TEST(YamlLimits, AliasBombsAreRefusedInsteadOfExpanded) {
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  char prev = 'a';
  for (char c = 'b'; c <= 'j'; ++c) {
    bomb += std::string(1, c) + ": &" + c + " [";
    for (int i = 0; i < 10; ++i) bomb += std::string(i ? ", *" : "*") + prev;
    bomb += "]\n";
    prev = c;
  }
  auto parsed = parseYaml(bomb);
  ASSERT_FALSE(parsed.isOk());
  EXPECT_EQ(parsed.status().code(), Code::kBadRequest);
  EXPECT_NE(parsed.status().message().find("alias"), std::string::npos);
}

TEST(YamlLimits, StrayFlowEntriesAreErrorsNotHangs) {
  for (const char* text : {",", " ,", "---\n,", "- a\n,", "&a ,", "!t ,", "\"x\" ,", "#c\n,"}) {
    EXPECT_EQ(parseYaml(text).status().code(), Code::kBadRequest) << text;
  }
}

TEST(YamlLimits, DeepNestingIsRefused) {
  std::string deep(1000, '[');
  deep += std::string(1000, ']');
  EXPECT_EQ(parseYaml(deep).status().code(), Code::kBadRequest);
}

TEST(JsonInput, ParsesOrExplainsAndRefusesDeepNesting) {
  EXPECT_TRUE(parseJson(R"({"a":[1,2,{"b":null}]})").isOk());
  EXPECT_EQ(parseJson("{not json").status().code(), Code::kBadRequest);
  std::string deep(100000, '[');
  deep += std::string(100000, ']');
  auto r = parseJson(deep);
  ASSERT_FALSE(r.isOk());
  EXPECT_NE(r.status().message().find("nested deeper"), std::string::npos);
  std::string ok(kMaxJsonDepth, '[');
  ok += std::string(kMaxJsonDepth, ']');
  EXPECT_TRUE(parseJson(ok).isOk());
}

}  // namespace yaml_test
}  // namespace minik8s::api
