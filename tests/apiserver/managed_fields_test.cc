#include "apiserver/managed_fields.h"

#include <gtest/gtest.h>

namespace minik8s::apiserver {
namespace managed_fields_test {

using nlohmann::json;

FieldSet decoded(const std::string& text) {
  auto set = decodeFieldsV1(json::parse(text));
  EXPECT_TRUE(set.isOk()) << text << ": " << set.status().message();
  return set.isOk() ? *set : FieldSet();
}

FieldManagerOptions optionsFor(std::string manager, std::string kind = "Service") {
  return {.manager = std::move(manager),
          .api_version = "v1",
          .kind = std::move(kind),
          .status_subresource = true,
          .time = "2026-12-07T23:00:00Z"};
}

// The fieldsV1 of `manager`'s entry with `operation` in `object`; null when none.
json fieldsOf(const json& object, const std::string& manager, const std::string& operation) {
  for (const json& e : object["metadata"].value("managedFields", json::array())) {
    if (e["manager"] == manager && e["operation"] == operation) return e["fieldsV1"];
  }
  return json();
}

const char* kService = R"({"apiVersion":"v1","kind":"Service",
    "metadata":{"name":"ssa","namespace":"default"},
    "spec":{"ports":[{"port":80,"targetPort":8080}],"selector":{"app":"small"}}})";

TEST(FieldsV1, DecodesAndEncodesTheKubernetesShape) {
  json text = json::parse(R"({"f:metadata":{"f:labels":{".":{},"f:app":{}}},
      "f:spec":{"f:ports":{"k:{\"port\":80,\"protocol\":\"TCP\"}":{".":{},"f:port":{},
      "f:targetPort":{}}},"f:selector":{}},"f:finalizers":{"v:\"a\"":{}}})");
  auto set = decodeFieldsV1(text);
  ASSERT_TRUE(set.isOk()) << set.status().message();
  EXPECT_TRUE(set->children.at("f:metadata").children.at("f:labels").member);
  EXPECT_FALSE(set->children.at("f:spec").member);
  EXPECT_TRUE(set->children.at("f:spec").children.at("f:selector").member);
  EXPECT_EQ(encodeFieldsV1(*set), text);
}

TEST(FieldsV1, CanonicalizesKeyElements) {
  FieldSet a = decoded(R"({"k:{\"protocol\":\"TCP\",  \"port\":80}":{}})");
  FieldSet b = decoded(R"({"k:{\"port\":80,\"protocol\":\"TCP\"}":{}})");
  EXPECT_EQ(a, b);
}

TEST(FieldsV1, MalformedIsABadRequestNeverACrash) {
  for (const char* text : {
           R"([])",
           R"("f:x")",
           R"({"x:y":{}})",
           R"({"f:":{}})",
           R"({"k:{not json":{}})",
           R"({"k:[1,2]":{}})",
           R"({"k:{}":{}})",
           R"({"v:{":{}})",
           R"({"i:x":{}})",
           R"({".":{"f:a":{}}})",
           R"({"f:a":[]})",
           R"({"f:a":{"f:b":"c"}})",
           R"({"f:a":null})",
       }) {
    auto set = decodeFieldsV1(json::parse(text));
    ASSERT_FALSE(set.isOk()) << text;
    EXPECT_EQ(set.status().code(), Code::kBadRequest) << text;
  }
}

TEST(ManagedFieldsEntries, MalformedListsAreBadRequests) {
  for (const char* text : {
           R"({})",
           R"([1])",
           R"([{"manager":"m","operation":"Patch","fieldsType":"FieldsV1"}])",
           R"([{"manager":"m","operation":"Apply","fieldsType":"FieldsV2"}])",
           R"([{"manager":7,"operation":"Apply","fieldsType":"FieldsV1"}])",
           R"([{"manager":"m","operation":"Apply","fieldsType":"FieldsV1","fieldsV1":{"q":1}}])",
       }) {
    auto entries = decodeManagedFields(json::parse(text));
    ASSERT_FALSE(entries.isOk()) << text;
    EXPECT_EQ(entries.status().code(), Code::kBadRequest) << text;
  }
  json good = json::parse(R"([{"manager":"m","operation":"Update","apiVersion":"v1",
      "time":"2026-01-01T00:00:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:data":{"f:a":{}}},
      "subresource":"status"}])");
  auto entries = decodeManagedFields(good);
  ASSERT_TRUE(entries.isOk());
  EXPECT_EQ(encodeManagedFields(*entries), good);
}

TEST(FieldSetOps, UnionIntersectionDifference) {
  FieldSet a = decoded(R"({"f:spec":{"f:replicas":{},"f:paused":{}}})");
  FieldSet b = decoded(R"({"f:spec":{"f:replicas":{},"f:selector":{}}})");
  EXPECT_EQ(encodeFieldsV1(unionOf(a, b)),
            json::parse(R"({"f:spec":{"f:paused":{},"f:replicas":{},"f:selector":{}}})"));
  EXPECT_EQ(encodeFieldsV1(intersectionOf(a, b)), json::parse(R"({"f:spec":{"f:replicas":{}}})"));
  EXPECT_EQ(encodeFieldsV1(differenceOf(a, b)), json::parse(R"({"f:spec":{"f:paused":{}}})"));
  EXPECT_TRUE(differenceOf(a, a).empty());
  EXPECT_TRUE(FieldSet().empty());
  // A member with children: removing the children leaves the member.
  FieldSet item = decoded(R"({"k:{\"name\":\"a\"}":{".":{},"f:image":{}}})");
  FieldSet image = decoded(R"({"k:{\"name\":\"a\"}":{"f:image":{}}})");
  EXPECT_EQ(encodeFieldsV1(differenceOf(item, image)), json::parse(R"({"k:{\"name\":\"a\"}":{}})"));
}

TEST(FieldSetOps, PathStringsAreKubeApiserversSpelling) {
  FieldSet set = decoded(R"({"f:spec":{"f:ports":{"k:{\"port\":80,\"protocol\":\"TCP\"}":{
      ".":{},"f:targetPort":{}}},"f:replicas":{}},"f:metadata":{"f:finalizers":{"v:\"x\"":{}}}})");
  std::vector<std::string> want = {
      R"(.metadata.finalizers[="x"])",
      R"(.spec.ports[port=80,protocol="TCP"])",
      R"(.spec.ports[port=80,protocol="TCP"].targetPort)",
      R"(.spec.replicas)",
  };
  EXPECT_EQ(pathStrings(set), want);
}

TEST(ListShapes, KeysConsistentWithTheSchema) {
  EXPECT_EQ(listShapeOf("Service", "spec.ports").type, ListShape::Type::kMap);
  EXPECT_EQ(listShapeOf("Service", "spec.ports").keys.size(), 2u);
  EXPECT_EQ(listShapeOf("Pod", "spec.containers").keys[0].first, "name");
  EXPECT_EQ(listShapeOf("Deployment", "spec.template.spec.containers.env").keys[0].first, "name");
  EXPECT_EQ(listShapeOf("CronJob", "spec.jobTemplate.spec.template.spec.volumes").type,
            ListShape::Type::kMap);
  EXPECT_EQ(listShapeOf("Deployment", "spec.template.spec.containers.ports").keys[1].second, "TCP");
  EXPECT_EQ(listShapeOf("ConfigMap", "metadata.finalizers").type, ListShape::Type::kSet);
  EXPECT_EQ(listShapeOf("Deployment", "status.conditions").keys[0].first, "type");
  EXPECT_EQ(listShapeOf("Pod", "spec.containers.args").type, ListShape::Type::kAtomic);
  EXPECT_EQ(listShapeOf("Pod", "spec.tolerations").type, ListShape::Type::kAtomic);
  EXPECT_EQ(listShapeOf("ConfigMap", "spec.ports").type, ListShape::Type::kAtomic);
}

TEST(FieldSetOf, LeavesListMapElementsWithDefaultedKeysAndSets) {
  json svc = json::parse(kService);
  svc["metadata"]["finalizers"] = {"a"};
  svc["spec"]["clusterIPs"] = {"10.0.0.1"};
  svc["spec"]["empty"] = json::object();
  svc["spec"]["gone"] = nullptr;
  EXPECT_EQ(encodeFieldsV1(fieldSetOf(svc, "Service")), json::parse(R"({
      "f:apiVersion":{},"f:kind":{},
      "f:metadata":{"f:name":{},"f:namespace":{},"f:finalizers":{"v:\"a\"":{}}},
      "f:spec":{"f:clusterIPs":{},"f:empty":{},
                "f:ports":{"k:{\"port\":80,\"protocol\":\"TCP\"}":{".":{},"f:port":{},"f:targetPort":{}}},
                "f:selector":{"f:app":{}}}})"));
}

TEST(FieldSetOf, ListMapWithoutItsKeyIsAtomic) {
  json pod = json::parse(R"({"spec":{"containers":[{"image":"x"}]}})");
  EXPECT_EQ(encodeFieldsV1(fieldSetOf(pod, "Pod")),
            json::parse(R"({"f:spec":{"f:containers":{}}})"));
}

TEST(MergeApplied, ListMapsByKeySetsAsUnionAtomicReplaced) {
  json live = json::parse(R"({"metadata":{"finalizers":["a"]},
      "spec":{"ports":[{"port":80,"protocol":"TCP","targetPort":1}],"clusterIP":"10.0.0.1",
              "externalIPs":["1.1.1.1"]}})");
  json config = json::parse(R"({"metadata":{"finalizers":["b"]},
      "spec":{"ports":[{"port":80,"targetPort":2},{"port":81}],"externalIPs":["2.2.2.2"],
              "clusterIP":null}})");
  EXPECT_EQ(mergeApplied(live, config, "Service"),
            json::parse(R"({"metadata":{"finalizers":["a","b"]},
      "spec":{"ports":[{"port":80,"protocol":"TCP","targetPort":2},{"port":81}],
              "clusterIP":"10.0.0.1","externalIPs":["2.2.2.2"]}})"));
}

TEST(CompareObjects, ChangedAndRemoved) {
  json before =
      json::parse(R"({"data":{"a":"1","b":"2"},"spec":{"ports":[{"port":80},{"port":81}]}})");
  json after =
      json::parse(R"({"data":{"a":"9","c":"3"},"spec":{"ports":[{"port":80},{"port":82}]}})");
  FieldChanges ch = compareObjects(before, after, "Service");
  EXPECT_EQ(encodeFieldsV1(ch.changed), json::parse(R"({"f:data":{"f:a":{},"f:c":{}},
      "f:spec":{"f:ports":{"k:{\"port\":82,\"protocol\":\"TCP\"}":{".":{},"f:port":{}}}}})"));
  EXPECT_EQ(encodeFieldsV1(ch.removed), json::parse(R"({"f:data":{"f:b":{}},
      "f:spec":{"f:ports":{"k:{\"port\":81,\"protocol\":\"TCP\"}":{".":{},"f:port":{}}}}})"));
  EXPECT_TRUE(compareObjects(after, after, "Service").changed.empty());
}

TEST(RemoveFields, KeepsWhatOthersOwnAndDropsEmptiedParents) {
  json object = json::parse(R"({"metadata":{"labels":{"a":"1"}},
      "spec":{"ports":[{"port":80,"protocol":"TCP","targetPort":1},{"port":81,"protocol":"TCP"}]}})");
  FieldSet remove = decoded(R"({"f:metadata":{"f:labels":{"f:a":{}}},
      "f:spec":{"f:ports":{"k:{\"port\":80,\"protocol\":\"TCP\"}":{".":{},"f:port":{}},
                           "k:{\"port\":81,\"protocol\":\"TCP\"}":{".":{},"f:port":{}}}}})");
  FieldSet keep = decoded(R"({"f:spec":{"f:ports":{"k:{\"port\":81,\"protocol\":\"TCP\"}":{
      "f:port":{}}}}})");
  removeFields(object, remove, keep, "Service");
  EXPECT_EQ(object, json::parse(R"({"spec":{"ports":[{"port":81,"protocol":"TCP"}]}})"));
}

TEST(ServerSideApply, CreateOwnsTheConfigurationsFieldsOnly) {
  auto got = serverSideApply(nullptr, json::parse(kService), optionsFor("kubectl"));
  ASSERT_TRUE(got.isOk()) << got.status().message();
  json mf = (*got)["metadata"]["managedFields"];
  ASSERT_EQ(mf.size(), 1u);
  EXPECT_EQ(mf[0]["manager"], "kubectl");
  EXPECT_EQ(mf[0]["operation"], "Apply");
  EXPECT_EQ(mf[0]["apiVersion"], "v1");
  EXPECT_EQ(mf[0]["time"], "2026-12-07T23:00:00Z");
  EXPECT_EQ(mf[0]["fieldsType"], "FieldsV1");
  EXPECT_EQ(mf[0]["fieldsV1"], json::parse(R"({"f:spec":{
      "f:ports":{"k:{\"port\":80,\"protocol\":\"TCP\"}":{".":{},"f:port":{},"f:targetPort":{}}},
      "f:selector":{"f:app":{}}}})"));
}

TEST(ServerSideApply, ChangingAPortRemovesTheOldOne) {
  auto first = serverSideApply(nullptr, json::parse(kService), optionsFor("kubectl"));
  ASSERT_TRUE(first.isOk());
  json live = *first;
  live["spec"]["ports"][0]["protocol"] = "TCP";  // defaults the server added
  live["spec"]["clusterIP"] = "10.96.0.10";
  json config = json::parse(kService);
  config["spec"]["ports"][0]["port"] = 81;
  auto got = serverSideApply(&live, config, optionsFor("kubectl"));
  ASSERT_TRUE(got.isOk()) << got.status().message();
  EXPECT_EQ((*got)["spec"]["ports"], json::parse(R"([{"port":81,"targetPort":8080}])"));
  EXPECT_EQ((*got)["spec"]["clusterIP"], "10.96.0.10");  // nobody owns it: stays
  EXPECT_EQ(fieldsOf(*got, "kubectl", "Apply")["f:spec"]["f:ports"],
            json::parse(R"({"k:{\"port\":81,\"protocol\":\"TCP\"}":{".":{},"f:port":{},
                            "f:targetPort":{}}})"));
}

TEST(ServerSideApply, DroppedFieldAnotherManagerOwnsStays) {
  json live = json::parse(R"({"metadata":{"name":"c","managedFields":[
      {"manager":"a","operation":"Apply","apiVersion":"v1","fieldsType":"FieldsV1",
       "fieldsV1":{"f:data":{"f:x":{},"f:y":{}}}},
      {"manager":"b","operation":"Apply","apiVersion":"v1","fieldsType":"FieldsV1",
       "fieldsV1":{"f:data":{"f:y":{}}}}]},"data":{"x":"1","y":"2"}})");
  json config = json::parse(R"({"metadata":{"name":"c"},"data":{}})");
  auto got = serverSideApply(&live, config, optionsFor("a", "ConfigMap"));
  ASSERT_TRUE(got.isOk()) << got.status().message();
  EXPECT_EQ((*got)["data"], json::parse(R"({"y":"2"})"));
}

TEST(ServerSideApply, ConflictNamesEachFieldAndManagerUnlessForced) {
  json live = json::parse(R"({"metadata":{"name":"c","managedFields":[
      {"manager":"kubectl-create","operation":"Update","apiVersion":"v1",
       "time":"2026-12-07T22:00:00Z","fieldsType":"FieldsV1",
       "fieldsV1":{"f:data":{"f:a":{},"f:b":{}}}}]},"data":{"a":"1","b":"2"}})");
  // The same value is no conflict: both own it.
  auto same =
      serverSideApply(&live, json::parse(R"({"data":{"a":"1"}})"), optionsFor("m1", "ConfigMap"));
  ASSERT_TRUE(same.isOk()) << same.status().message();
  EXPECT_EQ(fieldsOf(*same, "m1", "Apply"), json::parse(R"({"f:data":{"f:a":{}}})"));
  EXPECT_EQ(fieldsOf(*same, "kubectl-create", "Update"),
            json::parse(R"({"f:data":{"f:a":{},"f:b":{}}})"));

  auto one =
      serverSideApply(&live, json::parse(R"({"data":{"a":"9"}})"), optionsFor("m1", "ConfigMap"));
  ASSERT_FALSE(one.isOk());
  EXPECT_EQ(one.status().code(), Code::kConflict);
  EXPECT_EQ(one.status().message(),
            "Apply failed with 1 conflict: conflict with \"kubectl-create\" using v1 at "
            "2026-12-07T22:00:00Z: .data.a");
  ASSERT_EQ(one.status().causes().size(), 1u);
  EXPECT_EQ(one.status().causes()[0].field, ".data.a");
  EXPECT_EQ(one.status().causes()[0].reason, "FieldManagerConflict");
  EXPECT_EQ(one.status().causes()[0].message,
            "conflict with \"kubectl-create\" using v1 at 2026-12-07T22:00:00Z");

  auto two = serverSideApply(&*same, json::parse(R"({"data":{"a":"9","b":"8"}})"),
                             optionsFor("m2", "ConfigMap"));
  ASSERT_FALSE(two.isOk());
  EXPECT_EQ(two.status().message(),
            "Apply failed with 3 conflicts: conflicts with \"kubectl-create\" using v1 at "
            "2026-12-07T22:00:00Z:\n- .data.a\n- .data.b\nconflicts with \"m1\":\n- .data.a");
  EXPECT_EQ(two.status().causes().size(), 3u);

  FieldManagerOptions force = optionsFor("m2", "ConfigMap");
  force.force = true;
  auto forced = serverSideApply(&*same, json::parse(R"({"data":{"a":"9"}})"), force);
  ASSERT_TRUE(forced.isOk()) << forced.status().message();
  EXPECT_EQ((*forced)["data"]["a"], "9");
  EXPECT_EQ(fieldsOf(*forced, "m2", "Apply"), json::parse(R"({"f:data":{"f:a":{}}})"));
  EXPECT_EQ(fieldsOf(*forced, "kubectl-create", "Update"), json::parse(R"({"f:data":{"f:b":{}}})"));
  EXPECT_TRUE(fieldsOf(*forced, "m1", "Apply").is_null());  // owned nothing left: dropped
}

TEST(ServerSideApply, ConfigurationWithManagedFieldsIsABadRequest) {
  json config = json::parse(kService);
  config["metadata"]["managedFields"] = json::array();
  auto got = serverSideApply(nullptr, config, optionsFor("kubectl"));
  ASSERT_FALSE(got.isOk());
  EXPECT_EQ(got.status().code(), Code::kBadRequest);
}

TEST(ServerSideApply, UnmanagedLiveObjectGetsBeforeFirstApply) {
  json live = json::parse(R"({"metadata":{"name":"c"},"data":{"a":"1"}})");
  auto got =
      serverSideApply(&live, json::parse(R"({"data":{"a":"2"}})"), optionsFor("m", "ConfigMap"));
  ASSERT_FALSE(got.isOk());
  EXPECT_NE(got.status().message().find("\"before-first-apply\""), std::string::npos)
      << got.status().message();
}

TEST(ServerSideApply, MalformedLiveManagedFieldsAreIgnored) {
  json live = json::parse(R"({"metadata":{"name":"c","managedFields":[{"manager":1}]},
                              "data":{"a":"1"}})");
  auto got =
      serverSideApply(&live, json::parse(R"({"data":{"a":"1"}})"), optionsFor("m", "ConfigMap"));
  ASSERT_TRUE(got.isOk()) << got.status().message();
  EXPECT_EQ(fieldsOf(*got, "m", "Apply"), json::parse(R"({"f:data":{"f:a":{}}})"));
}

TEST(ServerSideApply, StatusIsNotOwnedByTheMainResource) {
  json config = json::parse(kService);
  config["status"] = {{"loadBalancer", json::object()}};
  auto got = serverSideApply(nullptr, config, optionsFor("kubectl"));
  ASSERT_TRUE(got.isOk());
  EXPECT_FALSE(fieldsOf(*got, "kubectl", "Apply").contains("f:status"));
}

TEST(ServerSideApply, ReapplyingTheSameKeepsTheTime) {
  auto first = serverSideApply(nullptr, json::parse(kService), optionsFor("kubectl"));
  ASSERT_TRUE(first.isOk());
  FieldManagerOptions later = optionsFor("kubectl");
  later.time = "2026-12-08T00:00:00Z";
  auto again = serverSideApply(&*first, json::parse(kService), later);
  ASSERT_TRUE(again.isOk());
  EXPECT_EQ(*again, *first);
}

TEST(RecordUpdate, CreateOwnsEverySetFieldButServerOwnedOnes) {
  json object = json::parse(R"({"apiVersion":"v1","kind":"ConfigMap",
      "metadata":{"name":"c","namespace":"d","uid":"u","labels":{"x":"y"}},"data":{"a":"1"}})");
  recordUpdate(nullptr, object, optionsFor("kubectl-create", "ConfigMap"));
  json mf = object["metadata"]["managedFields"];
  ASSERT_EQ(mf.size(), 1u);
  EXPECT_EQ(mf[0]["operation"], "Update");
  EXPECT_EQ(mf[0]["fieldsV1"],
            json::parse(R"({"f:data":{"f:a":{}},"f:metadata":{"f:labels":{"f:x":{}}}})"));
}

TEST(RecordUpdate, TakesChangedFieldsFromOthersAndForgetsRemovedOnes) {
  json live = json::parse(R"({"metadata":{"name":"c","managedFields":[
      {"manager":"a","operation":"Apply","apiVersion":"v1","fieldsType":"FieldsV1",
       "fieldsV1":{"f:data":{"f:x":{},"f:y":{},"f:z":{}}}}]},"data":{"x":"1","y":"2","z":"3"}})");
  json object = live;
  object["data"] = {{"x", "9"}, {"y", "2"}};
  recordUpdate(&live, object, optionsFor("editor", "ConfigMap"));
  EXPECT_EQ(fieldsOf(object, "a", "Apply"), json::parse(R"({"f:data":{"f:y":{}}})"));
  EXPECT_EQ(fieldsOf(object, "editor", "Update"), json::parse(R"({"f:data":{"f:x":{}}})"));
}

TEST(RecordUpdate, ClientEntriesAreUsedResetOrIgnoredAsKubernetesDoes) {
  json live = json::parse(R"({"metadata":{"name":"c","managedFields":[
      {"manager":"a","operation":"Apply","apiVersion":"v1","fieldsType":"FieldsV1",
       "fieldsV1":{"f:data":{"f:x":{}}}}]},"data":{"x":"1"}})");
  // An empty list keeps the live entries.
  json object = live;
  object["metadata"]["managedFields"] = json::array();
  recordUpdate(&live, object, optionsFor("u", "ConfigMap"));
  EXPECT_EQ(object, live);
  // Malformed entries keep the live ones too.
  object["metadata"]["managedFields"] = json::parse(R"([{"manager":"a","fieldsV1":"x"}])");
  recordUpdate(&live, object, optionsFor("u", "ConfigMap"));
  EXPECT_EQ(object, live);
  // [{}] clears them.
  object["metadata"]["managedFields"] = json::parse(R"([{}])");
  recordUpdate(&live, object, optionsFor("u", "ConfigMap"));
  EXPECT_FALSE(object["metadata"].contains("managedFields"));
  // Valid entries sent by the client replace the live ones.
  object["metadata"]["managedFields"] = json::parse(R"([{"manager":"other","operation":"Update",
      "apiVersion":"v1","fieldsType":"FieldsV1","fieldsV1":{"f:data":{"f:x":{}}}}])");
  recordUpdate(&live, object, optionsFor("u", "ConfigMap"));
  EXPECT_EQ(object["metadata"]["managedFields"][0]["manager"], "other");
  EXPECT_EQ(object["metadata"]["managedFields"].size(), 1u);
}

TEST(RecordUpdate, StatusWritesOwnOnlyStatusUnderTheirSubresource) {
  json live = json::parse(R"({"metadata":{"name":"p"},"spec":{"a":1},"status":{"phase":"P"}})");
  json object = live;
  object["status"]["phase"] = "Running";
  FieldManagerOptions options = optionsFor("kubelet", "Pod");
  options.subresource = "status";
  recordUpdate(&live, object, options);
  json mf = object["metadata"]["managedFields"];
  ASSERT_EQ(mf.size(), 1u);
  EXPECT_EQ(mf[0]["subresource"], "status");
  EXPECT_EQ(mf[0]["fieldsV1"], json::parse(R"({"f:status":{"f:phase":{}}})"));
}

TEST(RecordUpdate, WithoutAManagerTheLiveEntriesStay) {
  json live = json::parse(R"({"metadata":{"name":"c","managedFields":[
      {"manager":"a","operation":"Apply","fieldsType":"FieldsV1","fieldsV1":{"f:data":{}}}]}})");
  json object = json::parse(R"({"metadata":{"name":"c"},"data":{"q":"1"}})");
  recordUpdate(&live, object, optionsFor("", "ConfigMap"));
  EXPECT_EQ(object["metadata"]["managedFields"], live["metadata"]["managedFields"]);
}

TEST(ManagerName, FieldManagerElseTheUserAgentsProgram) {
  EXPECT_EQ(managerName("helm", "kubectl/v1.32.0 (linux/amd64)"), "helm");
  EXPECT_EQ(managerName("", "kubectl/v1.32.0 (linux/amd64) kubernetes/abc"), "kubectl");
  EXPECT_EQ(managerName("", "curl"), "curl");
  EXPECT_EQ(managerName("", std::string(300, 'x')).size(), 128u);
  EXPECT_EQ(managerName("", ""), "");
}

}  // namespace managed_fields_test
}  // namespace minik8s::apiserver
