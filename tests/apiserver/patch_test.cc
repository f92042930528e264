#include "apiserver/patch.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace minik8s::apiserver {
namespace patch_test {

using nlohmann::json;

api::ResourceInfo resourceOf(const std::string& kind) {
  api::ResourceInfo info;
  info.kind = kind;
  info.version = "v1";
  return info;
}

struct Case {
  std::string name;
  std::string target;
  std::string patch;
  std::string want;
};

TEST(MergePatch, AppliesTheRfc7386Examples) {
  // RFC 7386 appendix A.
  const std::vector<Case> cases = {
      {"replace", R"({"a":"b"})", R"({"a":"c"})", R"({"a":"c"})"},
      {"add", R"({"a":"b"})", R"({"b":"c"})", R"({"a":"b","b":"c"})"},
      {"delete", R"({"a":"b"})", R"({"a":null})", R"({})"},
      {"delete one", R"({"a":"b","b":"c"})", R"({"a":null})", R"({"b":"c"})"},
      {"array to string", R"({"a":["b"]})", R"({"a":"c"})", R"({"a":"c"})"},
      {"string to array", R"({"a":"c"})", R"({"a":["b"]})", R"({"a":["b"]})"},
      {"nested", R"({"a":{"b":"c"}})", R"({"a":{"b":"d","c":null}})", R"({"a":{"b":"d"}})"},
      {"array of objects", R"({"a":[{"b":"c"}]})", R"({"a":[1]})", R"({"a":[1]})"},
      {"whole arrays", R"(["a","b"])", R"(["c","d"])", R"(["c","d"])"},
      {"object to array", R"({"a":"b"})", R"(["c"])", R"(["c"])"},
      {"object to null", R"({"a":"foo"})", R"(null)", R"(null)"},
      {"object to string", R"({"a":"foo"})", R"("bar")", R"("bar")"},
      {"null value in target", R"({"e":null})", R"({"a":1})", R"({"e":null,"a":1})"},
      {"array target", R"([1,2])", R"({"a":"b","c":null})", R"({"a":"b"})"},
      {"deep null", R"({})", R"({"a":{"bb":{"ccc":null}}})", R"({"a":{"bb":{}}})"},
  };
  for (const Case& c : cases) {
    auto got = applyMergePatch(json::parse(c.target), json::parse(c.patch));
    ASSERT_TRUE(got.isOk()) << c.name;
    EXPECT_EQ(*got, json::parse(c.want)) << c.name;
  }
}

TEST(JsonPatch, AppliesTheRfc6902Examples) {
  // RFC 6902 appendix A.
  const std::vector<Case> cases = {
      {"A.1 add member", R"({"foo":"bar"})", R"([{"op":"add","path":"/baz","value":"qux"}])",
       R"({"baz":"qux","foo":"bar"})"},
      {"A.2 add element", R"({"foo":["bar","baz"]})",
       R"([{"op":"add","path":"/foo/1","value":"qux"}])", R"({"foo":["bar","qux","baz"]})"},
      {"A.3 remove member", R"({"baz":"qux","foo":"bar"})", R"([{"op":"remove","path":"/baz"}])",
       R"({"foo":"bar"})"},
      {"A.4 remove element", R"({"foo":["bar","qux","baz"]})",
       R"([{"op":"remove","path":"/foo/1"}])", R"({"foo":["bar","baz"]})"},
      {"A.5 replace", R"({"baz":"qux","foo":"bar"})",
       R"([{"op":"replace","path":"/baz","value":"boo"}])", R"({"baz":"boo","foo":"bar"})"},
      {"A.6 move member", R"({"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}})",
       R"([{"op":"move","from":"/foo/waldo","path":"/qux/thud"}])",
       R"({"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}})"},
      {"A.7 move element", R"({"foo":["all","grass","cows","eat"]})",
       R"([{"op":"move","from":"/foo/1","path":"/foo/3"}])",
       R"({"foo":["all","cows","eat","grass"]})"},
      {"A.8 test success", R"({"baz":"qux","foo":["a",2,"c"]})",
       R"([{"op":"test","path":"/baz","value":"qux"},{"op":"test","path":"/foo/1","value":2}])",
       R"({"baz":"qux","foo":["a",2,"c"]})"},
      {"A.10 nested add", R"({"foo":"bar"})",
       R"([{"op":"add","path":"/child","value":{"grandchild":{}}}])",
       R"({"foo":"bar","child":{"grandchild":{}}})"},
      {"A.11 ignore unknown members", R"({"foo":"bar"})",
       R"([{"op":"add","path":"/baz","value":"qux","xyz":123}])", R"({"foo":"bar","baz":"qux"})"},
      {"A.14 escapes", R"({"/":9,"~1":10})", R"([{"op":"test","path":"/~01","value":10}])",
       R"({"/":9,"~1":10})"},
      {"A.16 append with -", R"({"foo":["bar"]})",
       R"([{"op":"add","path":"/foo/-","value":["abc","def"]}])",
       R"({"foo":["bar",["abc","def"]]})"},
      {"escaped slash key", R"({"metadata":{"labels":{}}})",
       R"([{"op":"add","path":"/metadata/labels/app.kubernetes.io~1name","value":"x"}])",
       R"({"metadata":{"labels":{"app.kubernetes.io/name":"x"}}})"},
      {"copy", R"({"a":{"b":1}})", R"([{"op":"copy","from":"/a","path":"/c"}])",
       R"({"a":{"b":1},"c":{"b":1}})"},
      {"replace root", R"({"a":1})", R"([{"op":"replace","path":"","value":{"b":2}}])",
       R"({"b":2})"},
  };
  for (const Case& c : cases) {
    auto got = applyJsonPatch(json::parse(c.target), json::parse(c.patch));
    ASSERT_TRUE(got.isOk()) << c.name << ": " << got.status().toString();
    EXPECT_EQ(*got, json::parse(c.want)) << c.name;
  }
}

TEST(JsonPatch, FailuresCarryTheCodeOfTheirCause) {
  struct ErrCase {
    std::string name;
    std::string target;
    std::string ops;
    Code want;
  };
  const std::vector<ErrCase> cases = {
      {"A.9 failing test", R"({"baz":"qux"})", R"([{"op":"test","path":"/baz","value":"bar"}])",
       Code::kConflict},
      {"A.15 test compares types", R"({"/":9,"~1":10})",
       R"([{"op":"test","path":"/~01","value":"10"}])", Code::kConflict},
      {"A.12 add to nonexistent parent", R"({"foo":"bar"})",
       R"([{"op":"add","path":"/baz/bat","value":"qux"}])", Code::kInvalid},
      {"remove missing", R"({"a":1})", R"([{"op":"remove","path":"/b"}])", Code::kInvalid},
      {"replace missing", R"({"a":1})", R"([{"op":"replace","path":"/b","value":2}])",
       Code::kInvalid},
      {"index out of range", R"({"a":[1]})", R"([{"op":"add","path":"/a/5","value":2}])",
       Code::kInvalid},
      {"leading zero index", R"({"a":[1,2]})", R"([{"op":"remove","path":"/a/01"}])",
       Code::kInvalid},
      {"move into own child", R"({"a":{"b":1}})", R"([{"op":"move","from":"/a","path":"/a/b/c"}])",
       Code::kInvalid},
      {"unknown op", R"({})", R"([{"op":"frobnicate","path":"/a"}])", Code::kBadRequest},
      {"missing path", R"({})", R"([{"op":"add","value":1}])", Code::kBadRequest},
      {"missing value", R"({})", R"([{"op":"add","path":"/a"}])", Code::kBadRequest},
      {"bad pointer", R"({})", R"([{"op":"add","path":"a","value":1}])", Code::kBadRequest},
      {"bad escape", R"({})", R"([{"op":"add","path":"/~2","value":1}])", Code::kBadRequest},
      {"not a list", R"({})", R"({"op":"add"})", Code::kBadRequest},
  };
  for (const ErrCase& c : cases) {
    auto got = applyJsonPatch(json::parse(c.target), json::parse(c.ops));
    ASSERT_FALSE(got.isOk()) << c.name;
    EXPECT_EQ(got.status().code(), c.want) << c.name << ": " << got.status().toString();
    EXPECT_FALSE(got.status().message().empty());
  }
  auto test_failure = applyJsonPatch(json::parse(R"({"spec":{"replicas":1}})"),
                                     json::parse(R"([{"op":"test","path":"/spec/replicas",
                                                      "value":2}])"));
  EXPECT_EQ(test_failure.status().message(), "testing value /spec/replicas failed: test failed");
}

TEST(StrategicMergePatch, MergesMapsListsByKeyAndHonoursDirectives) {
  const std::vector<std::tuple<std::string, std::string, Case>> cases = {
      {"map merge and null delete",
       "Pod",
       {"", R"({"metadata":{"labels":{"a":"1","b":"2"}}})",
        R"({"metadata":{"labels":{"b":null,"c":"3"}}})",
        R"({"metadata":{"labels":{"a":"1","c":"3"}}})"}},
      {"containers merge by name",
       "Pod",
       {"", R"({"spec":{"containers":[{"name":"a","image":"x"},{"name":"b","image":"y"}]}})",
        R"({"spec":{"containers":[{"name":"b","image":"z"},{"name":"c","image":"w"}]}})",
        R"({"spec":{"containers":[{"name":"a","image":"x"},{"name":"b","image":"z"},
                                  {"name":"c","image":"w"}]}})"}},
      {"env by name, ports by containerPort, mounts by mountPath",
       "Pod",
       {"", R"({"spec":{"containers":[{"name":"a",
            "env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],
            "ports":[{"containerPort":80,"protocol":"TCP"}],
            "volumeMounts":[{"mountPath":"/data","name":"d"}]}]}})",
        R"({"spec":{"containers":[{"name":"a","env":[{"name":"B","value":"3"}],
            "ports":[{"containerPort":443}],"volumeMounts":[{"mountPath":"/data","readOnly":true}]}]}})",
        R"({"spec":{"containers":[{"name":"a",
            "env":[{"name":"A","value":"1"},{"name":"B","value":"3"}],
            "ports":[{"containerPort":80,"protocol":"TCP"},{"containerPort":443}],
            "volumeMounts":[{"mountPath":"/data","name":"d","readOnly":true}]}]}})"}},
      {"lists without a merge key are replaced",
       "Pod",
       {"",
        R"({"spec":{"tolerations":[{"key":"a"}],"containers":[{"name":"a","args":["1","2"]}]}})",
        R"({"spec":{"tolerations":[{"key":"b"}],"containers":[{"name":"a","args":["3"]}]}})",
        R"({"spec":{"tolerations":[{"key":"b"}],"containers":[{"name":"a","args":["3"]}]}})"}},
      {"$patch delete removes the matched element",
       "Pod",
       {"", R"({"spec":{"volumes":[{"name":"v1"},{"name":"v2"}]}})",
        R"({"spec":{"volumes":[{"name":"v1","$patch":"delete"}]}})",
        R"({"spec":{"volumes":[{"name":"v2"}]}})"}},
      {"$patch replace on a map",
       "Pod",
       {"", R"({"metadata":{"labels":{"a":"1","b":"2"}}})",
        R"({"metadata":{"labels":{"$patch":"replace","c":"3"}}})",
        R"({"metadata":{"labels":{"c":"3"}}})"}},
      {"$patch replace on a list",
       "Pod",
       {"", R"({"spec":{"containers":[{"name":"a"},{"name":"b"}]}})",
        R"({"spec":{"containers":[{"name":"c"},{"$patch":"replace"}]}})",
        R"({"spec":{"containers":[{"name":"c"}]}})"}},
      {"$patch delete on a map removes it",
       "Pod",
       {"", R"({"spec":{"securityContext":{"runAsUser":1},"x":1}})",
        R"({"spec":{"securityContext":{"$patch":"delete"}}})", R"({"spec":{"x":1}})"}},
      {"$patch merge is the default",
       "Pod",
       {"", R"({"metadata":{"labels":{"a":"1"}}})",
        R"({"metadata":{"labels":{"$patch":"merge","b":"2"}}})",
        R"({"metadata":{"labels":{"a":"1","b":"2"}}})"}},
      {"$setElementOrder orders the merged list",
       "Pod",
       {"", R"({"spec":{"containers":[{"name":"a"},{"name":"b"},{"name":"sidecar"}]}})",
        R"({"spec":{"$setElementOrder/containers":[{"name":"c"},{"name":"b"},{"name":"a"}],
                    "containers":[{"name":"c","image":"new"}]}})",
        R"({"spec":{"containers":[{"name":"c","image":"new"},{"name":"b"},{"name":"a"},
                                  {"name":"sidecar"}]}})"}},
      {"$setElementOrder on a primitive list",
       "Pod",
       {"", R"({"metadata":{"finalizers":["a","b"]}})",
        R"({"metadata":{"$setElementOrder/finalizers":["c","b","a"],"finalizers":["c"]}})",
        R"({"metadata":{"finalizers":["c","b","a"]}})"}},
      {"$deleteFromPrimitiveList",
       "Pod",
       {"", R"({"metadata":{"finalizers":["a","b","c"]}})",
        R"({"metadata":{"$deleteFromPrimitiveList/finalizers":["b"]}})",
        R"({"metadata":{"finalizers":["a","c"]}})"}},
      {"$retainKeys drops unlisted keys",
       "Deployment",
       {"", R"({"spec":{"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1}}}})",
        R"({"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate"}}})",
        R"({"spec":{"strategy":{"type":"Recreate"}}})"}},
      {"template pod spec merges like a pod",
       "ReplicaSet",
       {"", R"({"spec":{"template":{"spec":{"containers":[{"name":"a","image":"x"}]}}}})",
        R"({"spec":{"template":{"spec":{"containers":[{"name":"a","image":"y"}]}}}})",
        R"({"spec":{"template":{"spec":{"containers":[{"name":"a","image":"y"}]}}}})"}},
      {"service ports by port",
       "Service",
       {"", R"({"spec":{"ports":[{"port":80,"targetPort":8080},{"port":443}]}})",
        R"({"spec":{"ports":[{"port":80,"targetPort":9090}]}})",
        R"({"spec":{"ports":[{"port":80,"targetPort":9090},{"port":443}]}})"}},
      {"node taints by key and addresses by type",
       "Node",
       {"", R"({"spec":{"taints":[{"key":"a","effect":"NoSchedule"}]},
                "status":{"addresses":[{"type":"InternalIP","address":"10.0.0.1"}]}})",
        R"({"spec":{"taints":[{"key":"b","effect":"NoExecute"}]},
            "status":{"addresses":[{"type":"InternalIP","address":"10.0.0.2"},
                                   {"type":"Hostname","address":"n1"}]}})",
        R"({"spec":{"taints":[{"key":"a","effect":"NoSchedule"},{"key":"b","effect":"NoExecute"}]},
            "status":{"addresses":[{"type":"InternalIP","address":"10.0.0.2"},
                                   {"type":"Hostname","address":"n1"}]}})"}},
      {"status conditions by type",
       "Deployment",
       {"", R"({"status":{"conditions":[{"type":"Available","status":"False"},
                                        {"type":"Progressing","status":"True"}]}})",
        R"({"status":{"conditions":[{"type":"Available","status":"True"}]}})",
        R"({"status":{"conditions":[{"type":"Available","status":"True"},
                                    {"type":"Progressing","status":"True"}]}})"}},
      {"container statuses by name",
       "Pod",
       {"",
        R"({"status":{"containerStatuses":[{"name":"a","ready":false},{"name":"b","ready":false}]}})",
        R"({"status":{"containerStatuses":[{"name":"b","ready":true}]}})",
        R"({"status":{"containerStatuses":[{"name":"a","ready":false},{"name":"b","ready":true}]}})"}},
      {"ownerReferences by uid",
       "Pod",
       {"", R"({"metadata":{"ownerReferences":[{"uid":"1","name":"rs1"}]}})",
        R"({"metadata":{"ownerReferences":[{"uid":"2","name":"rs2"}]}})",
        R"({"metadata":{"ownerReferences":[{"uid":"1","name":"rs1"},{"uid":"2","name":"rs2"}]}})"}},
      {"endpoints subsets are replaced",
       "Endpoints",
       {"", R"({"subsets":[{"addresses":[{"ip":"10.0.0.1"}]}]})",
        R"({"subsets":[{"addresses":[{"ip":"10.0.0.2"}]}]})",
        R"({"subsets":[{"addresses":[{"ip":"10.0.0.2"}]}]})"}},
      {"directives in new subtrees are removed",
       "Pod",
       {"", R"({})", R"({"spec":{"$setElementOrder/containers":[{"name":"a"}],
                               "containers":[{"name":"a","$patch":"merge"}]}})",
        R"({"spec":{"containers":[{"name":"a"}]}})"}},
  };
  for (const auto& [name, kind, c] : cases) {
    auto got = applyStrategicMergePatch(json::parse(c.target), json::parse(c.patch), kind);
    ASSERT_TRUE(got.isOk()) << name << ": " << got.status().toString();
    EXPECT_EQ(*got, json::parse(c.want)) << name << "\n got: " << got->dump();
  }
}

TEST(StrategicMergePatch, KubectlSecondApplyPatchConfiguresTheDeployment) {
  // The live Deployment after a first `kubectl apply` plus server defaults and status.
  json live = json::parse(R"({
    "apiVersion":"apps/v1","kind":"Deployment",
    "metadata":{"name":"demo","namespace":"default","uid":"u-1","resourceVersion":"42",
                "labels":{"app":"demo"},
                "annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{old}\n",
                               "deployment.kubernetes.io/revision":"1"}},
    "spec":{"replicas":2,"selector":{"matchLabels":{"app":"demo"}},
            "template":{"metadata":{"labels":{"app":"demo"}},
                        "spec":{"containers":[{"name":"app","image":"nginx:1.25",
                                               "ports":[{"containerPort":80,"protocol":"TCP"}],
                                               "imagePullPolicy":"IfNotPresent"}],
                                "restartPolicy":"Always"}}},
    "status":{"replicas":2,"readyReplicas":2}})");
  // kubectl-protocol.md §7.8.
  json patch = json::parse(R"({
    "metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{new}\n"},
                "labels":null},
    "spec":{"replicas":3,"template":{"spec":{
      "$setElementOrder/containers":[{"name":"app"},{"name":"side"}],
      "containers":[{"name":"app","image":"nginx:1.27","env":[{"name":"A","value":"1"}],
                     "ports":null},
                    {"name":"side","image":"busybox"}]}}}})");
  auto got = applyStrategicMergePatch(live, patch, "Deployment");
  ASSERT_TRUE(got.isOk()) << got.status().toString();
  json want = json::parse(R"({
    "apiVersion":"apps/v1","kind":"Deployment",
    "metadata":{"name":"demo","namespace":"default","uid":"u-1","resourceVersion":"42",
                "annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{new}\n",
                               "deployment.kubernetes.io/revision":"1"}},
    "spec":{"replicas":3,"selector":{"matchLabels":{"app":"demo"}},
            "template":{"metadata":{"labels":{"app":"demo"}},
                        "spec":{"containers":[{"name":"app","image":"nginx:1.27",
                                               "env":[{"name":"A","value":"1"}],
                                               "imagePullPolicy":"IfNotPresent"},
                                              {"name":"side","image":"busybox"}],
                                "restartPolicy":"Always"}}},
    "status":{"replicas":2,"readyReplicas":2}})");
  EXPECT_EQ(*got, want) << got->dump(2);
}

TEST(StrategicMergePatch, MalformedPatchesAreBadRequests) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"spec":{"containers":[{"image":"x"}]}})", "missing merge key"},
      {R"({"spec":{"containers":["x"]}})", "non-object element of a keyed list"},
      {R"({"metadata":{"labels":{"$patch":"explode"}}})", "unknown directive"},
      {R"(["not","an","object"])", "not an object"},
      {R"({"metadata":{"$deleteFromPrimitiveList/finalizers":"a"}})", "directive not a list"},
  };
  for (const auto& [patch, name] : cases) {
    auto got = applyStrategicMergePatch(json::parse(R"({"spec":{"containers":[]}})"),
                                        json::parse(patch), "Pod");
    ASSERT_FALSE(got.isOk()) << name;
    EXPECT_EQ(got.status().code(), Code::kBadRequest) << name;
  }
}

TEST(ApplyPatch, DispatchesOnContentTypeIgnoringParameters) {
  json target = json::parse(R"({"metadata":{"name":"p"},"spec":{"containers":[{"name":"a"}]}})");
  auto merged = applyPatch("application/merge-patch+json; charset=utf-8", target,
                           R"({"spec":{"containers":[{"name":"b"}]}})", resourceOf("Pod"));
  ASSERT_TRUE(merged.isOk());
  EXPECT_EQ((*merged)["spec"]["containers"], json::parse(R"([{"name":"b"}])"));

  auto strategic = applyPatch("application/strategic-merge-patch+json", target,
                              R"({"spec":{"containers":[{"name":"b"}]}})", resourceOf("Pod"));
  ASSERT_TRUE(strategic.isOk());
  EXPECT_EQ((*strategic)["spec"]["containers"], json::parse(R"([{"name":"a"},{"name":"b"}])"));

  auto json_patch =
      applyPatch("Application/JSON-Patch+JSON", target,
                 R"([{"op":"replace","path":"/metadata/name","value":"q"}])", resourceOf("Pod"));
  ASSERT_TRUE(json_patch.isOk());
  EXPECT_EQ((*json_patch)["metadata"]["name"], "q");
}

TEST(ApplyPatch, UnknownMediaTypeIsUnsupportedWithKubernetesMessage) {
  for (const char* type : {"application/json", "text/plain", "", "application/yaml"}) {
    auto got = applyPatch(type, json::object(), "{}", resourceOf("Pod"));
    ASSERT_FALSE(got.isOk()) << type;
    EXPECT_EQ(got.status().code(), Code::kUnsupportedMediaType);
    EXPECT_EQ(got.status().message(),
              "the body of the request was in an unknown format - accepted media types include: "
              "application/json-patch+json, application/merge-patch+json, "
              "application/apply-patch+yaml");
  }
}

TEST(ApplyPatch, MalformedBodyIsABadRequest) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"application/merge-patch+json", "{not json"},
      {"application/strategic-merge-patch+json", ""},
      {"application/json-patch+json", R"({"op":"add"})"},
      {"application/merge-patch+json", R"("a string")"},
  };
  for (const auto& [type, body] : cases) {
    auto got = applyPatch(type, json::object(), body, resourceOf("Pod"));
    ASSERT_FALSE(got.isOk()) << type << " " << body;
    EXPECT_EQ(got.status().code(), Code::kBadRequest) << type << " " << body;
  }
}

TEST(ServerSideApply, CreatesWhenThereIsNoLiveObject) {
  json applied = json::parse(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"web"},
                                 "spec":{"containers":[{"name":"a","image":"nginx"}]}})");
  auto got = applyServerSideApply(json(), applied, resourceOf("Pod"));
  ASSERT_TRUE(got.isOk());
  EXPECT_EQ(*got, applied);
}

TEST(ServerSideApply, MergesOverLiveKeepingServerMetadataAndStatus) {
  json live = json::parse(R"({"apiVersion":"v1","kind":"Pod",
      "metadata":{"name":"web","namespace":"default","uid":"u","resourceVersion":"9",
                  "creationTimestamp":"2026-01-01T00:00:00Z","generation":1,
                  "labels":{"app":"web"},
                  "annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{}"}},
      "spec":{"nodeName":"n1","containers":[{"name":"a","image":"nginx:1","ports":[{"containerPort":80}]}]},
      "status":{"phase":"Running"}})");
  json applied = json::parse(R"({"apiVersion":"v1","kind":"Pod",
      "metadata":{"name":"web","namespace":"default","uid":"forged","resourceVersion":"1",
                  "labels":{"tier":"front"}},
      "spec":{"containers":[{"name":"a","image":"nginx:2"}]},
      "status":{"phase":"Failed"}})");
  auto got = applyServerSideApply(live, applied, resourceOf("Pod"));
  ASSERT_TRUE(got.isOk());
  json want = json::parse(R"({"apiVersion":"v1","kind":"Pod",
      "metadata":{"name":"web","namespace":"default","uid":"u","resourceVersion":"9",
                  "creationTimestamp":"2026-01-01T00:00:00Z","generation":1,
                  "labels":{"app":"web","tier":"front"},
                  "annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{}"}},
      "spec":{"nodeName":"n1","containers":[{"name":"a","image":"nginx:2","ports":[{"containerPort":80}]}]},
      "status":{"phase":"Running"}})");
  EXPECT_EQ(*got, want) << got->dump(2);

  auto via_dispatch =
      applyPatch("application/apply-patch+yaml", live, applied.dump(), resourceOf("Pod"));
  ASSERT_TRUE(via_dispatch.isOk());
  EXPECT_EQ(*via_dispatch, want);
}

}  // namespace patch_test
}  // namespace minik8s::apiserver
