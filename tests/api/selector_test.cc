#include "api/selector.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace minik8s::api {
namespace selector_test {

using nlohmann::json;
using Labels = std::map<std::string, std::string>;

struct MatchCase {
  std::string selector;
  Labels labels;
  bool want;
};

TEST(LabelSelector, EveryOperatorMatchesAsKubernetesDoes) {
  const Labels web = {{"app", "web"}, {"tier", "front"}};
  const std::vector<MatchCase> cases = {
      {"", web, true},
      {"app=web", web, true},
      {"app==web", web, true},
      {"app=db", web, false},
      {"app!=db", web, true},
      {"app!=web", web, false},
      {"missing!=x", web, true},
      {"app in (db,web)", web, true},
      {"app in (db)", web, false},
      {"missing in (x)", web, false},
      {"app notin (db)", web, true},
      {"app notin (db,web)", web, false},
      {"missing notin (x)", web, true},
      {"app", web, true},
      {"missing", web, false},
      {"!missing", web, true},
      {"!app", web, false},
      {"app=web,tier=front", web, true},
      {"app=web,tier=back", web, false},
      {"  app = web ,  tier in ( front , back ) ", web, true},
      {"app=", web, false},
      {"empty=", {{"empty", ""}}, true},
      {"example.com/role=x", {{"example.com/role", "x"}}, true},
  };
  for (const MatchCase& c : cases) {
    auto sel = LabelSelector::parse(c.selector);
    ASSERT_TRUE(sel.isOk()) << c.selector << ": " << sel.status().toString();
    EXPECT_EQ(sel->matches(c.labels), c.want) << c.selector;
  }
}

TEST(LabelSelector, InvalidSyntaxIsABadRequestNamingTheProblem) {
  const std::vector<std::string> bad = {
      "app=web,",     "app in db",      "app in (a", "app !", "=web",   "app in ()", "!",
      "app=we b",     "app=(x)",        "a b",       "app>1", "-bad=x", "a/b/c=x",   "app=-x",
      "app in (a b)", "Bad_Prefix/x=y",
  };
  for (const std::string& s : bad) {
    auto sel = LabelSelector::parse(s);
    ASSERT_FALSE(sel.isOk()) << s;
    EXPECT_EQ(sel.status().code(), Code::kBadRequest) << s;
    EXPECT_EQ(sel.status().message().rfind("unable to parse requirement: ", 0), 0u)
        << s << " -> " << sel.status().message();
  }
}

TEST(LabelSelector, ToStringRendersTheCanonicalSortedForm) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"app==demo", "app=demo"}, {"tier in (b, a), app=demo", "app=demo,tier in (a,b)"},
      {"!x,  y", "!x,y"},        {"a notin (z,z,y)", "a notin (y,z)"},
      {"a!=b", "a!=b"},
  };
  for (const auto& [in, want] : cases) {
    auto sel = LabelSelector::parse(in);
    ASSERT_TRUE(sel.isOk()) << in;
    EXPECT_EQ(sel->toString(), want);
  }
}

TEST(LabelSelector, FromJsonCombinesMatchLabelsAndMatchExpressions) {
  json j = {{"matchLabels", {{"app", "demo"}}},
            {"matchExpressions",
             {{{"key", "env"}, {"operator", "In"}, {"values", {"prod", "dev"}}},
              {{"key", "canary"}, {"operator", "DoesNotExist"}},
              {{"key", "tier"}, {"operator", "Exists"}},
              {{"key", "zone"}, {"operator", "NotIn"}, {"values", {"x"}}}}}};
  auto sel = LabelSelector::fromJson(j);
  ASSERT_TRUE(sel.isOk()) << sel.status().toString();
  EXPECT_EQ(sel->toString(), "app=demo,!canary,env in (dev,prod),tier,zone notin (x)");
  EXPECT_TRUE(sel->matches({{"app", "demo"}, {"env", "prod"}, {"tier", "a"}}));
  EXPECT_FALSE(sel->matches({{"app", "demo"}, {"env", "prod"}, {"tier", "a"}, {"canary", "1"}}));
  EXPECT_FALSE(sel->matches({{"app", "demo"}, {"env", "prod"}}));
}

TEST(LabelSelector, EmptyObjectMatchesEverythingAndNullMatchesNothing) {
  auto everything = LabelSelector::fromJson(json::object());
  ASSERT_TRUE(everything.isOk());
  EXPECT_TRUE(everything->matchesEverything());
  EXPECT_TRUE(everything->matches({}));
  auto nothing = LabelSelector::fromJson(json(nullptr));
  ASSERT_TRUE(nothing.isOk());
  EXPECT_TRUE(nothing->matchesNothing());
  EXPECT_FALSE(nothing->matches({}));
  EXPECT_FALSE(nothing->matchesObject(json::parse(R"({"metadata":{"labels":{"a":"b"}}})")));
}

TEST(LabelSelector, FromJsonRejectsUnknownOperatorsAndBadValues) {
  const std::vector<std::string> bad = {
      R"({"matchExpressions":[{"key":"a","operator":"Equals","values":["x"]}]})",
      R"({"matchExpressions":[{"key":"a","operator":"In","values":[]}]})",
      R"({"matchExpressions":[{"key":"a","operator":"Exists","values":["x"]}]})",
      R"({"matchLabels":{"a":5}})",
      R"({"matchLabels":{"a b":"x"}})",
      R"([1])",
  };
  for (const std::string& s : bad) {
    auto sel = LabelSelector::fromJson(json::parse(s));
    ASSERT_FALSE(sel.isOk()) << s;
    EXPECT_EQ(sel.status().code(), Code::kBadRequest) << s;
  }
}

TEST(LabelSelector, ServiceMapSelectorMatchesObjectsByTheirLabels) {
  auto sel = LabelSelector::fromMap(json::parse(R"({"app":"demo"})"));
  ASSERT_TRUE(sel.isOk());
  EXPECT_EQ(sel->toString(), "app=demo");
  EXPECT_TRUE(sel->matchesObject(json::parse(R"({"metadata":{"labels":{"app":"demo","x":"y"}}})")));
  EXPECT_FALSE(sel->matchesObject(json::parse(R"({"metadata":{"name":"no-labels"}})")));
  EXPECT_FALSE(sel->matchesObject(json::parse(R"("not an object")")));
  EXPECT_TRUE(LabelSelector::fromMap(json(nullptr))->matchesNothing());
}

struct FieldCase {
  std::string plural;
  std::string selector;
  bool want;
};

TEST(FieldSelector, MatchesTheFieldsEachResourceSupports) {
  json pod = json::parse(R"({"metadata":{"name":"web","namespace":"default"},
      "spec":{"nodeName":"node-1","schedulerName":"default-scheduler","restartPolicy":"Always"},
      "status":{"phase":"Running","podIP":"10.244.0.5"}})");
  json event = json::parse(R"({"metadata":{"name":"web.1","namespace":"default"},
      "involvedObject":{"kind":"Pod","namespace":"default","name":"web","uid":"u1",
                        "apiVersion":"v1","resourceVersion":"7","fieldPath":"spec.containers{a}"},
      "reason":"Pulled","source":{"component":"kubelet"},"type":"Normal"})");
  json node = json::parse(R"({"metadata":{"name":"node-1"},"spec":{}})");
  json cordoned = json::parse(R"({"metadata":{"name":"node-2"},"spec":{"unschedulable":true}})");
  json secret = json::parse(R"({"metadata":{"name":"s"},"type":"Opaque"})");
  struct Case {
    const json* object;
    FieldCase c;
  };
  const std::vector<Case> cases = {
      {&pod, {"pods", "metadata.name=web", true}},
      {&pod, {"pods", "metadata.name==web", true}},
      {&pod, {"pods", "metadata.name!=web", false}},
      {&pod, {"pods", "metadata.name=web,metadata.namespace=default", true}},
      {&pod, {"pods", "metadata.namespace=kube-system", false}},
      {&pod, {"pods", "spec.nodeName=node-1", true}},
      {&pod, {"pods", "spec.nodeName=", false}},
      {&pod, {"pods", "spec.schedulerName=default-scheduler", true}},
      {&pod, {"pods", "status.phase!=Succeeded,status.phase!=Failed", true}},
      {&pod, {"pods", "status.podIP=10.244.0.5", true}},
      {&pod, {"pods", "spec.restartPolicy=Always", true}},
      {&node, {"pods", "spec.nodeName=", true}},
      {&event, {"events", "involvedObject.kind=Pod", true}},
      {&event, {"events", "involvedObject.name=web,involvedObject.namespace=default", true}},
      {&event, {"events", "involvedObject.uid=u1", true}},
      {&event, {"events", "involvedObject.uid=u2", false}},
      {&event, {"events", "involvedObject.apiVersion=v1", true}},
      {&event, {"events", "involvedObject.resourceVersion=7", true}},
      {&event, {"events", "involvedObject.fieldPath=spec.containers{a}", true}},
      {&event, {"events", "reason=Pulled", true}},
      {&event, {"events", "source=kubelet", true}},
      {&event, {"events", "type=Warning", false}},
      {&node, {"nodes", "spec.unschedulable=false", true}},
      {&cordoned, {"nodes", "spec.unschedulable=true", true}},
      {&cordoned, {"nodes", "spec.unschedulable!=true", false}},
      {&secret, {"secrets", "type=Opaque", true}},
      {&secret, {"secrets", "type=kubernetes.io/tls", false}},
      {&secret, {"configmaps", "metadata.name=s", true}},
  };
  for (const Case& tc : cases) {
    ResourceInfo info;
    info.plural = tc.c.plural;
    auto sel = FieldSelector::parse(tc.c.selector, info);
    ASSERT_TRUE(sel.isOk()) << tc.c.selector << ": " << sel.status().toString();
    EXPECT_EQ(sel->matches(*tc.object), tc.c.want) << tc.c.plural << " " << tc.c.selector;
  }
}

TEST(FieldSelector, UnsupportedFieldIsRejectedWithKubernetesMessage) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"pods", "spec.foo=x"},
      {"configmaps", "type=x"},
      {"secrets", "status.phase=Running"},
      {"nodes", "spec.nodeName=x"},
  };
  for (const auto& [plural, query] : cases) {
    ResourceInfo info;
    info.plural = plural;
    auto sel = FieldSelector::parse(query, info);
    ASSERT_FALSE(sel.isOk()) << query;
    EXPECT_EQ(sel.status().code(), Code::kBadRequest);
    EXPECT_EQ(sel.status().message(),
              "field label not supported: " + query.substr(0, query.find('=')));
  }
}

TEST(FieldSelector, TermWithoutOperatorIsABadRequest) {
  auto sel = FieldSelector::parse("metadata.name");
  ASSERT_FALSE(sel.isOk());
  EXPECT_EQ(sel.status().code(), Code::kBadRequest);
  EXPECT_NE(sel.status().message().find("invalid selector"), std::string::npos);
}

TEST(FieldSelector, EscapedSeparatorsStayInsideValues) {
  auto sel = FieldSelector::parse(R"(metadata.name=a\,b,metadata.namespace=ns)");
  ASSERT_TRUE(sel.isOk());
  ASSERT_EQ(sel->requirements().size(), 2u);
  EXPECT_EQ(sel->requirements()[0].value, "a,b");
  EXPECT_EQ(sel->toString(), R"(metadata.name=a\,b,metadata.namespace=ns)");
  EXPECT_EQ(sel->requiredValue("metadata.name"), "a,b");
  EXPECT_EQ(sel->requiredValue("spec.nodeName"), std::nullopt);
}

TEST(FieldSelector, EmptyQueryMatchesEverything) {
  auto sel = FieldSelector::parse("");
  ASSERT_TRUE(sel.isOk());
  EXPECT_TRUE(sel->empty());
  EXPECT_TRUE(sel->matches(json::object()));
}

}  // namespace selector_test
}  // namespace minik8s::api
