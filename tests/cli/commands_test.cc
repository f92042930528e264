// The commands' effects against a scripted apiserver (a fake transport): which requests
// they send and what they print.
#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/ctl.h"

namespace minik8s::cli {
namespace {

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
            const std::string& input = "") {
  std::ostringstream out;
  std::ostringstream err;
  std::istringstream in(input);
  int rc = runCtl(args, CtlIo{out, err, in}, server);
  return {rc, out.str(), err.str()};
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

}  // namespace
}  // namespace minik8s::cli
