// The commands' effects against a scripted apiserver (a fake transport): which requests
// they send and what they print.
#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/ctl.h"

namespace minik8s::cli {
namespace commands_test {

using nlohmann::json;

// Answers "METHOD /path" (query stripped) from scripted queues; 404 Status otherwise.
class ScriptedServer : public client::HttpTransport {
 public:
  std::vector<client::HttpRequest> requests;

  void on(const std::string& method_path, int status, std::string body) {
    script_[method_path].push_back({status, std::move(body)});
  }

  Result<client::HttpResponse> roundTrip(const client::HttpRequest& request) override {
    requests.push_back(request);
    std::string path = request.target.substr(0, request.target.find('?'));
    auto& queue = script_[request.method + " " + path];
    client::HttpResponse response;
    if (queue.empty()) {
      response.status = 404;
      response.body =
          R"({"kind":"Status","reason":"NotFound","message":"not scripted: )" + path + "\"}";
      return response;
    }
    response.status = queue.front().first;
    response.body = queue.front().second;
    queue.pop_front();
    return response;
  }

  Result<client::HttpResponse> stream(const client::HttpRequest& request,
                                      const client::BodyConsumer&, std::stop_token,
                                      std::chrono::milliseconds) override {
    return roundTrip(request);
  }

  std::string target(size_t i) const { return requests.at(i).method + " " + requests.at(i).target; }

 private:
  std::map<std::string, std::deque<std::pair<int, std::string>>> script_;
};

struct Outcome {
  int rc;
  std::string out;
  std::string err;
};

Outcome run(const std::shared_ptr<ScriptedServer>& server, std::vector<std::string> args,
            const std::string& input = "", Invocation invocation = Invocation::kMinik8sCtl) {
  std::ostringstream out;
  std::ostringstream err;
  std::istringstream in(input);
  int rc = runCtl(args, CtlIo{out, err, in}, server, invocation);
  return {rc, out.str(), err.str()};
}

// The same, invoked as `mkctl`.
Outcome mkctl(const std::shared_ptr<ScriptedServer>& server, std::vector<std::string> args) {
  return run(server, std::move(args), "", Invocation::kMkctl);
}

constexpr char kPod[] =
    "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  containers: [{name: c, image: i}]\n";

TEST(Commands, CreatePostsTheFileAndPrintsTheOriginalsMessage) {
  auto server = std::make_shared<ScriptedServer>();
  server->on("POST /api/v1/namespaces/default/pods", 201,
             R"({"kind":"Pod","metadata":{"name":"a"}})");
  Outcome o = run(server, {"create", "pod", "-f", "-"}, kPod);
  EXPECT_EQ(o.rc, 0) << o.err;
  EXPECT_EQ(o.out, "Pod created: a\n");
  ASSERT_EQ(server->requests.size(), 1u);
  EXPECT_EQ(json::parse(server->requests[0].body)["spec"]["containers"][0]["image"], "i");
}

TEST(Commands, CreateInAnotherNamespaceAndAMismatchedNamespaceFlag) {
  auto server = std::make_shared<ScriptedServer>();
  server->on("POST /api/v1/namespaces/team/pods", 201, R"({"metadata":{"name":"a"}})");
  EXPECT_EQ(run(server, {"create", "pod", "-f", "-", "-n", "team"}, kPod).rc, 0);
  std::string in_team = "apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: team}\n";
  Outcome o = run(server, {"create", "pod", "-f", "-", "-n", "other"}, in_team);
  EXPECT_EQ(o.rc, 1);
  EXPECT_NE(o.err.find("does not match the namespace \"other\""), std::string::npos) << o.err;
}

TEST(Commands, InvalidObjectPrintsTheFieldCause) {
  auto server = std::make_shared<ScriptedServer>();
  server->on("POST /api/v1/namespaces/default/pods", 422,
             R"({"kind":"Status","reason":"Invalid","code":422,
                 "message":"Pod \"a\" is invalid: spec.containers[0].image: Required value",
                 "details":{"causes":[{"field":"spec.containers[0].image","reason":"FieldValueRequired","message":"Required value"}]}})");
  Outcome o = run(server, {"create", "pod", "-f", "-"}, kPod);
  EXPECT_EQ(o.rc, 1);
  EXPECT_EQ(o.err, "The Pod \"a\" is invalid: spec.containers[0].image: Required value\n");
}

TEST(Commands, UpdateReadsTheResourceVersionThenPuts) {
  auto server = std::make_shared<ScriptedServer>();
  server->on("GET /api/v1/namespaces/default/pods/a", 200,
             R"({"metadata":{"name":"a","resourceVersion":"42"}})");
  server->on("PUT /api/v1/namespaces/default/pods/a", 200, R"({"metadata":{"name":"a"}})");
  Outcome o = run(server, {"update", "pod", "-f", "-"}, kPod);
  EXPECT_EQ(o.rc, 0) << o.err;
  EXPECT_EQ(o.out, "Pod updated: a\n");
  ASSERT_EQ(server->requests.size(), 2u);
  EXPECT_EQ(json::parse(server->requests[1].body)["metadata"]["resourceVersion"], "42");
}

TEST(Commands, UpdateOfAServiceKeepsItsAllocatedClusterIp) {
  auto server = std::make_shared<ScriptedServer>();
  server->on(
      "GET /api/v1/namespaces/default/services/s", 200,
      R"({"metadata":{"name":"s","resourceVersion":"7"},"spec":{"clusterIP":"10.96.0.9","clusterIPs":["10.96.0.9"]}})");
  server->on("PUT /api/v1/namespaces/default/services/s", 200, R"({"metadata":{"name":"s"}})");
  Outcome o =
      run(server, {"update", "svc", "-f", "-"},
          "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{port: 80}]}\n");
  EXPECT_EQ(o.rc, 0) << o.err;
  EXPECT_EQ(json::parse(server->requests[1].body)["spec"]["clusterIP"], "10.96.0.9");
}

constexpr char kForbidden[] =
    R"({"kind":"Status","reason":"Invalid","code":422,
        "message":"Pod \"a\" is invalid: spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`",
        "details":{"causes":[{"field":"spec","reason":"FieldValueForbidden",
          "message":"Forbidden: pod updates may not change fields other than `spec.containers[*].image`"}]}})";

TEST(Commands, UpdateOfAPodThatCannotChangeInPlaceReplacesIt) {
  auto server = std::make_shared<ScriptedServer>();
  server->on("GET /api/v1/namespaces/default/pods/a", 200,
             R"({"metadata":{"name":"a","uid":"u1","resourceVersion":"42"}})");
  server->on("PUT /api/v1/namespaces/default/pods/a", 422, kForbidden);
  server->on("POST /api/v1/namespaces/default/pods", 201, R"({"metadata":{"name":"a"}})");
  server->on("DELETE /api/v1/namespaces/default/pods/a", 200, R"({"metadata":{"name":"a"}})");
  // the GET after the delete is not scripted: 404, the pod is gone
  server->on("POST /api/v1/namespaces/default/pods", 201,
             R"({"metadata":{"name":"a","uid":"u2"}})");
  Outcome o = run(server, {"update", "pod", "-f", "-"}, kPod);
  EXPECT_EQ(o.rc, 0) << o.err;
  EXPECT_EQ(o.out, "pod/a replaced (its spec cannot change in place)\nPod updated: a\n");
  ASSERT_EQ(server->requests.size(), 6u);
  EXPECT_EQ(server->target(2), "POST /api/v1/namespaces/default/pods?dryRun=All");
  EXPECT_EQ(server->target(3), "DELETE /api/v1/namespaces/default/pods/a");
  EXPECT_EQ(json::parse(server->requests[3].body)["preconditions"]["uid"], "u1");
  EXPECT_EQ(server->target(4), "GET /api/v1/namespaces/default/pods/a");
  EXPECT_EQ(server->target(5), "POST /api/v1/namespaces/default/pods");
  json created = json::parse(server->requests[5].body);
  EXPECT_FALSE(created["metadata"].contains("resourceVersion"));
  EXPECT_EQ(created["spec"]["containers"][0]["image"], "i");
}

TEST(Commands, UpdateOfAPodInPlaceKeepsItsNodeAndDoesNotReplace) {
  auto server = std::make_shared<ScriptedServer>();
  server->on("GET /api/v1/namespaces/default/pods/a", 200,
             R"({"metadata":{"name":"a","uid":"u1","resourceVersion":"42"},
                 "spec":{"nodeName":"n1"}})");
  server->on("PUT /api/v1/namespaces/default/pods/a", 200, R"({"metadata":{"name":"a"}})");
  Outcome o = run(server, {"update", "pod", "-f", "-"}, kPod);
  EXPECT_EQ(o.rc, 0) << o.err;
  EXPECT_EQ(o.out, "Pod updated: a\n");
  ASSERT_EQ(server->requests.size(), 2u);
  EXPECT_EQ(json::parse(server->requests[1].body)["spec"]["nodeName"], "n1");
}

TEST(Commands, UpdateOfAPodNamingAnotherNodeReplacesItWithoutAPut) {
  auto server = std::make_shared<ScriptedServer>();
  server->on("GET /api/v1/namespaces/default/pods/a", 200,
             R"({"metadata":{"name":"a","uid":"u1","resourceVersion":"42"},"spec":{}})");
  server->on("POST /api/v1/namespaces/default/pods", 201, "{}");
  server->on("DELETE /api/v1/namespaces/default/pods/a", 200, "{}");
  server->on("POST /api/v1/namespaces/default/pods", 201, "{}");
  std::string on_node = std::string(kPod) + "  nodeName: vahag-node\n";
  Outcome o = run(server, {"update", "pod", "-f", "-"}, on_node);
  EXPECT_EQ(o.rc, 0) << o.err;
  EXPECT_EQ(o.out, "pod/a replaced (its spec cannot change in place)\nPod updated: a\n");
  for (const auto& request : server->requests) EXPECT_NE(request.method, "PUT");
  EXPECT_EQ(json::parse(server->requests.back().body)["spec"]["nodeName"], "vahag-node");
}

TEST(Commands, UpdateOfAPodWithABadValueIsRefusedAndNothingIsDeleted) {
  auto server = std::make_shared<ScriptedServer>();
  server->on("GET /api/v1/namespaces/default/pods/a", 200,
             R"({"metadata":{"name":"a","uid":"u1","resourceVersion":"42"}})");
  server->on("PUT /api/v1/namespaces/default/pods/a", 422,
             R"({"kind":"Status","reason":"Invalid","code":422,
                 "message":"Pod \"a\" is invalid: spec.containers[0].image: Required value",
                 "details":{"causes":[{"field":"spec.containers[0].image","reason":"FieldValueRequired","message":"Required value"}]}})");
  Outcome o = run(server, {"update", "pod", "-f", "-"}, kPod);
  EXPECT_EQ(o.rc, 1);
  EXPECT_EQ(o.err, "The Pod \"a\" is invalid: spec.containers[0].image: Required value\n");
  EXPECT_EQ(server->requests.size(), 2u);
}

TEST(Commands, UpdateDoesNotDeleteAPodWhoseReplacementTheServerWouldRefuse) {
  auto server = std::make_shared<ScriptedServer>();
  server->on("GET /api/v1/namespaces/default/pods/a", 200,
             R"({"metadata":{"name":"a","uid":"u1","resourceVersion":"42"}})");
  server->on("PUT /api/v1/namespaces/default/pods/a", 422, kForbidden);
  server->on("POST /api/v1/namespaces/default/pods", 422,
             R"({"kind":"Status","reason":"Invalid","code":422,
                 "message":"Pod \"a\" is invalid: spec.containers[0].name: Invalid value",
                 "details":{"causes":[{"field":"spec.containers[0].name","reason":"FieldValueInvalid","message":"Invalid value"}]}})");
  Outcome o = run(server, {"update", "pod", "-f", "-"}, kPod);
  EXPECT_EQ(o.rc, 1);
  EXPECT_EQ(o.err, "The Pod \"a\" is invalid: spec.containers[0].name: Invalid value\n");
  for (const auto& request : server->requests) EXPECT_NE(request.method, "DELETE");
}

TEST(Commands, DeleteHpaFindsWhicheverKindHasTheName) {
  auto server = std::make_shared<ScriptedServer>();
  server->on("DELETE /apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers/h", 200,
             "{}");
  Outcome o = run(server, {"delete", "hpa", "h"});
  EXPECT_EQ(o.rc, 0) << o.err;
  EXPECT_EQ(o.out, "HorizontalPodAutoscaler deleted: h\n");
  EXPECT_EQ(server->target(0), "DELETE /api/v1/namespaces/default/hpas/h");
}

TEST(Commands, DeleteOfAMissingNameIsKubectlsNotFound) {
  auto server = std::make_shared<ScriptedServer>();
  server->on("DELETE /api/v1/namespaces/default/pods/x", 404,
             R"({"kind":"Status","reason":"NotFound","message":"pods \"x\" not found"})");
  Outcome o = run(server, {"delete", "pod", "x"});
  EXPECT_EQ(o.rc, 1);
  EXPECT_EQ(o.err, "Error from server (NotFound): pods \"x\" not found\n");
}

TEST(Commands, GetListsATableAndSaysWhenThereIsNothing) {
  auto server = std::make_shared<ScriptedServer>();
  server->on(
      "GET /apis/apps/v1/namespaces/default/deployments", 200,
      R"({"kind":"Table","columnDefinitions":[{"name":"Name","priority":0},{"name":"Ready","priority":0}],
                 "rows":[{"cells":["web","1/1"]}]})");
  server->on("GET /apis/apps/v1/namespaces/default/deployments", 200,
             R"({"kind":"Table","columnDefinitions":[{"name":"Name"}],"rows":[]})");
  Outcome some = run(server, {"get", "deploy"});
  EXPECT_EQ(some.out, "NAME   READY\nweb    1/1\n");
  EXPECT_NE(server->requests[0].headers.at(0).second.find("as=Table"), std::string::npos);
  Outcome none = run(server, {"get", "deployments"});
  EXPECT_EQ(none.rc, 0);
  EXPECT_EQ(none.out, "");
  EXPECT_EQ(none.err, "No resources found in default namespace.\n");
}

TEST(Commands, GetByNamePrintsTheWholeObjectAsYamlOrJson) {
  auto server = std::make_shared<ScriptedServer>();
  std::string pod = R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"a"}})";
  server->on("GET /api/v1/namespaces/default/pods/a", 200, pod);
  server->on("GET /api/v1/namespaces/default/pods/a", 200, pod);
  EXPECT_EQ(run(server, {"get", "pod", "a"}).out,
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n");
  EXPECT_EQ(json::parse(run(server, {"get", "pod", "a", "-o", "json"}).out), json::parse(pod));
}

constexpr char kPodList[] = R"({"kind":"PodList","items":[
    {"metadata":{"name":"greet-pod","namespace":"default"},"spec":{"nodeName":"node-1"},
     "status":{"phase":"Running","podIP":"10.244.0.5"}}]})";
constexpr char kPodTable[] = R"({"kind":"Table","columnDefinitions":[
    {"name":"Name","priority":0},{"name":"Ready","priority":0},{"name":"Status","priority":0},
    {"name":"Restarts","priority":0},{"name":"Age","priority":0},{"name":"IP","priority":1},
    {"name":"Node","priority":1},{"name":"Nominated Node","priority":1}],
  "rows":[{"cells":["greet-pod","1/1","Running",0,"5s","10.244.0.5","node-1",null],
           "object":{"metadata":{"name":"greet-pod","namespace":"default"}}}]})";

TEST(Commands, MkctlGetPodsPrintsTheOriginalsTable) {
  auto server = std::make_shared<ScriptedServer>();
  server->on("GET /api/v1/namespaces/default/pods", 200, kPodList);
  Outcome o = mkctl(server, {"get", "pods"});
  EXPECT_EQ(o.rc, 0) << o.err;
  EXPECT_EQ(o.out,
            "Name        Status    IP           Runtime   Node\n"
            "greet-pod   running   10.244.0.5   N/A       node-1\n");
  ASSERT_EQ(server->requests.size(), 1u);
  EXPECT_EQ(server->requests[0].headers.at(0).second.find("as=Table"), std::string::npos);
}

TEST(Commands, MinikubeCtlGetPodsStillPrintsKubectlsTable) {
  auto server = std::make_shared<ScriptedServer>();
  server->on("GET /api/v1/namespaces/default/pods", 200, kPodTable);
  Outcome o = run(server, {"get", "pods"});
  EXPECT_EQ(o.rc, 0) << o.err;
  EXPECT_EQ(o.out,
            "NAME        READY   STATUS    RESTARTS   AGE   IP           NODE\n"
            "greet-pod   1/1     Running   0          5s    10.244.0.5   node-1\n");
}

TEST(Commands, BothInvocationsTakeEitherFormatWithDashO) {
  auto server = std::make_shared<ScriptedServer>();
  server->on("GET /api/v1/namespaces/default/pods", 200, kPodList);
  server->on("GET /api/v1/namespaces/default/pods", 200, kPodTable);
  EXPECT_EQ(run(server, {"get", "pods", "-o", "original"}).out.substr(0, 5), "Name ");
  Outcome wide = mkctl(server, {"get", "pods", "-o", "wide"});
  EXPECT_EQ(wide.out.substr(0, wide.out.find('\n')),
            "NAME        READY   STATUS    RESTARTS   AGE   IP           NODE     NOMINATED NODE");
}

TEST(Commands, MkctlGetServicesShowsPhaseAndEndpoints) {
  auto server = std::make_shared<ScriptedServer>();
  server->on("GET /api/v1/namespaces/default/services", 200, R"({"items":[
      {"metadata":{"name":"web","namespace":"default"},"spec":{"clusterIP":"10.96.0.7"}},
      {"metadata":{"name":"idle","namespace":"default"},"spec":{"clusterIP":"10.96.0.8"}}]})");
  server->on("GET /api/v1/namespaces/default/endpoints", 200, R"({"items":[
      {"metadata":{"name":"web","namespace":"default"},
       "subsets":[{"addresses":[{"ip":"10.244.0.5"}],"ports":[{"port":5000}]}]}]})");
  Outcome o = mkctl(server, {"get", "svc"});
  EXPECT_EQ(o.rc, 0) << o.err;
  EXPECT_EQ(o.out,
            "Name   Phase     ClusterIP   Endpoints\n"
            "web    running   10.96.0.7   10.244.0.5/5000\n"
            "idle   pending   10.96.0.8\n");
}

TEST(Commands, MkctlGetAllPrintsTheSixTablesEvenWhenEmpty) {
  auto server = std::make_shared<ScriptedServer>();
  for (const char* path :
       {"/api/v1/namespaces/default/pods", "/api/v1/namespaces/default/services",
        "/api/v1/namespaces/default/endpoints", "/apis/apps/v1/namespaces/default/deployments",
        "/api/v1/namespaces/default/hpas",
        "/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers", "/api/v1/nodes",
        "/api/v1/namespaces/default/dnses"}) {
    server->on(std::string("GET ") + path, 200, R"({"items":[]})");
  }
  Outcome o = mkctl(server, {"get", "all"});
  EXPECT_EQ(o.rc, 0) << o.err;
  EXPECT_EQ(o.out,
            "Name   Status   IP    Runtime   Node\n\n"
            "Name   Phase   ClusterIP   Endpoints\n\n"
            "Name   Replicas   ReadyReplicas\n\n"
            "Name   Min   Max   Current   cpu(%)   memory(%)\n\n"
            "IP    HostName   Condition   NumPods   CpuPercent   MemPercent\n\n"
            "Name   Host   Phase   Paths\n");
  EXPECT_EQ(o.err, "");
}

TEST(Commands, MkctlGetNodesCountsPodsAndSaysNotAvailableWithoutMetrics) {
  auto server = std::make_shared<ScriptedServer>();
  server->on("GET /api/v1/nodes", 200, R"({"items":[{"metadata":{"name":"n1"},"status":{
      "addresses":[{"type":"InternalIP","address":"10.0.0.1"}],
      "conditions":[{"type":"Ready","status":"True"}],"allocatable":{"cpu":"2"}}}]})");
  server->on("GET /api/v1/pods", 200, kPodList);  // greet-pod is not on n1
  // no metrics API: GET /apis/metrics.k8s.io/v1beta1/nodes is not scripted (404)
  Outcome o = mkctl(server, {"get", "nodes"});
  EXPECT_EQ(o.rc, 0) << o.err;
  EXPECT_EQ(o.out,
            "IP         HostName   Condition   NumPods   CpuPercent   MemPercent\n"
            "10.0.0.1   n1         Ready       0         N/A          N/A\n");
  EXPECT_EQ(server->target(2), "GET /apis/metrics.k8s.io/v1beta1/nodes");
}

TEST(Commands, MkctlGetHpaShowsBothKindsAndGetHpasOnlyTheOriginals) {
  auto server = std::make_shared<ScriptedServer>();
  std::string seed = R"({"items":[{"kind":"Hpa","metadata":{"name":"test-hpa"},
      "spec":{"minReplicas":2,"maxReplicas":5}}]})";
  std::string v2 = R"({"items":[{"metadata":{"name":"web"},"spec":{"minReplicas":1,
      "maxReplicas":4},"status":{"currentReplicas":2}}]})";
  server->on("GET /api/v1/namespaces/default/hpas", 200, seed);
  server->on("GET /apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers", 200, v2);
  server->on("GET /api/v1/namespaces/default/hpas", 200, seed);
  EXPECT_EQ(mkctl(server, {"get", "hpa"}).out,
            "Name       Min   Max   Current   cpu(%)   memory(%)\n"
            "test-hpa   2     5     N/A       N/A      N/A\n"
            "web        1     4     2         N/A      N/A\n");
  EXPECT_EQ(mkctl(server, {"get", "hpas"}).out,
            "Name       Min   Max   Current   cpu(%)   memory(%)\n"
            "test-hpa   2     5     N/A       N/A      N/A\n");
}

TEST(Commands, MkctlGetByNamePrintsIndentedJson) {
  auto server = std::make_shared<ScriptedServer>();
  std::string pod =
      R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"a"},"status":{"phase":"Running"}})";
  server->on("GET /api/v1/namespaces/default/pods/a", 200, pod);
  Outcome o = mkctl(server, {"get", "pod", "a"});
  EXPECT_EQ(o.rc, 0) << o.err;
  EXPECT_EQ(o.out, json::parse(pod).dump(4) + "\n");
}

TEST(Commands, MkctlGetOfAKindTheOriginalLackedIsKubectlsTable) {
  auto server = std::make_shared<ScriptedServer>();
  server->on("GET /api/v1/namespaces/default/configmaps", 200,
             R"({"kind":"Table","columnDefinitions":[{"name":"Name"},{"name":"Data"}],
                 "rows":[{"cells":["cfg",1]}]})");
  EXPECT_EQ(mkctl(server, {"get", "cm"}).out, "NAME   DATA\ncfg    1\n");
}

TEST(Commands, ApplyIsServerSideWithTheMkctlFieldManager) {
  auto server = std::make_shared<ScriptedServer>();
  server->on("PATCH /api/v1/namespaces/default/pods/a", 201, R"({"metadata":{"name":"a"}})");
  server->on("PATCH /api/v1/namespaces/default/pods/a", 200, R"({"metadata":{"name":"a"}})");
  EXPECT_EQ(run(server, {"apply", "-f", "-"}, kPod).out, "Pod created: a\n");
  EXPECT_EQ(run(server, {"apply", "-f", "-"}, kPod).out, "Pod configured: a\n");
  EXPECT_EQ(server->target(0),
            "PATCH /api/v1/namespaces/default/pods/a?fieldManager=mkctl&force=true");
}

TEST(Commands, ScalePatchesTheScaleSubresource) {
  auto server = std::make_shared<ScriptedServer>();
  server->on("PATCH /apis/apps/v1/namespaces/default/deployments/web/scale", 200,
             R"({"kind":"Scale"})");
  Outcome o = run(server, {"scale", "deployment", "web", "--replicas", "3"});
  EXPECT_EQ(o.rc, 0) << o.err;
  EXPECT_EQ(o.out, "Deployment scaled: web\n");
  EXPECT_EQ(json::parse(server->requests[0].body), json::parse(R"({"spec":{"replicas":3}})"));
  EXPECT_EQ(run(server, {"scale", "pod", "x", "--replicas", "1"}).rc, 1);
}

TEST(Commands, DescribeAsksForTheObjectsEvents) {
  auto server = std::make_shared<ScriptedServer>();
  server->on("GET /api/v1/namespaces/default/pods/a", 200,
             R"({"kind":"Pod","metadata":{"name":"a","namespace":"default"}})");
  server->on("GET /api/v1/namespaces/default/events", 200, R"({"items":[]})");
  Outcome o = run(server, {"describe", "pod", "a"});
  EXPECT_EQ(o.rc, 0) << o.err;
  EXPECT_NE(o.out.find("Name:              a\n"), std::string::npos);
  EXPECT_EQ(server->target(1),
            "GET "
            "/api/v1/namespaces/default/"
            "events?fieldSelector=involvedObject.kind%3DPod%2CinvolvedObject.name%3Da%"
            "2CinvolvedObject.namespace%3Ddefault");
}

}  // namespace commands_test
}  // namespace minik8s::cli
