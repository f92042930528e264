#include "client/rest_client.h"

#include <gtest/gtest.h>

#include <deque>

namespace minik8s::client {
namespace rest_client_test {

using nlohmann::json;

api::ResourceInfo pods() {
  api::ResourceInfo r;
  r.version = "v1";
  r.kind = "Pod";
  r.plural = "pods";
  r.singular = "pod";
  return r;
}

api::ResourceInfo deployments() {
  api::ResourceInfo r;
  r.group = "apps";
  r.version = "v1";
  r.kind = "Deployment";
  r.plural = "deployments";
  return r;
}

api::ResourceInfo nodes() {
  api::ResourceInfo r;
  r.version = "v1";
  r.kind = "Node";
  r.plural = "nodes";
  r.namespaced = false;
  return r;
}

// Records requests and answers them from a queue; streams hand out their body in chunks.
class FakeTransport : public HttpTransport {
 public:
  std::vector<HttpRequest> requests;
  std::deque<Result<HttpResponse>> answers;
  std::vector<std::string> stream_chunks;

  void answer(int status, std::string body,
              std::vector<std::pair<std::string, std::string>> headers = {}) {
    HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    r.headers = std::move(headers);
    answers.push_back(r);
  }

  Result<HttpResponse> roundTrip(const HttpRequest& request) override {
    requests.push_back(request);
    if (answers.empty()) return unavailable("no answer queued");
    auto a = answers.front();
    answers.pop_front();
    return a;
  }

  Result<HttpResponse> stream(const HttpRequest& request, const BodyConsumer& consumer,
                              std::stop_token, std::chrono::milliseconds) override {
    requests.push_back(request);
    auto head = roundTripHead();
    if (!head.isOk() || head->status != 200) return head;
    for (const auto& c : stream_chunks) {
      if (!consumer(c)) break;
    }
    return head;
  }

 private:
  Result<HttpResponse> roundTripHead() {
    if (answers.empty()) return unavailable("no answer queued");
    auto a = answers.front();
    answers.pop_front();
    return a;
  }
};

std::string header(const HttpRequest& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

TEST(ResourcePath, BuildsCoreGroupNamespacedAndClusterScopedPaths) {
  EXPECT_EQ(resourcePath(pods(), "default"), "/api/v1/namespaces/default/pods");
  EXPECT_EQ(resourcePath(pods(), ""), "/api/v1/pods");
  EXPECT_EQ(resourcePath(pods(), "ns", "web", "status"), "/api/v1/namespaces/ns/pods/web/status");
  EXPECT_EQ(resourcePath(deployments(), "ns", "d", "scale"),
            "/apis/apps/v1/namespaces/ns/deployments/d/scale");
  EXPECT_EQ(resourcePath(nodes(), "ignored", "n1"), "/api/v1/nodes/n1");
}

TEST(EncodeQuery, SkipsEmptyValuesAndPercentEncodes) {
  EXPECT_EQ(encodeQuery({}), "");
  EXPECT_EQ(encodeQuery({{"a", ""}}), "");
  EXPECT_EQ(encodeQuery({{"labelSelector", "app=web,tier in (a,b)"}, {"x", ""}, {"limit", "5"}}),
            "?labelSelector=app%3Dweb%2Ctier%20in%20%28a%2Cb%29&limit=5");
}

TEST(StatusFromResponse, KeepsReasonMessageAndCauses) {
  std::string body = R"({"kind":"Status","apiVersion":"v1","status":"Failure",
    "message":"Pod \"x\" is invalid: spec.containers[0].image: Required value","reason":"Invalid",
    "details":{"name":"x","kind":"pods","causes":[{"reason":"FieldValueRequired",
    "message":"Required value","field":"spec.containers[0].image"}]},"code":422})";
  Status s = statusFromResponse(422, body);
  EXPECT_EQ(s.code(), Code::kInvalid);
  EXPECT_EQ(s.message(), "Pod \"x\" is invalid: spec.containers[0].image: Required value");
  ASSERT_EQ(s.causes().size(), 1u);
  EXPECT_EQ(s.causes()[0],
            (FieldError{"spec.containers[0].image", "FieldValueRequired", "Required value"}));
}

TEST(StatusFromResponse, AlreadyExistsAndConflictShareA409ButKeepTheirReason) {
  EXPECT_EQ(
      statusFromResponse(409, R"({"kind":"Status","reason":"AlreadyExists","message":"m"})").code(),
      Code::kAlreadyExists);
  EXPECT_EQ(
      statusFromResponse(409, R"({"kind":"Status","reason":"Conflict","message":"m"})").code(),
      Code::kConflict);
}

TEST(StatusFromResponse, WithoutAStatusBodyFallsBackToTheHttpCode) {
  Status s = statusFromResponse(404, "");
  EXPECT_EQ(s.code(), Code::kNotFound);
  EXPECT_EQ(s.message(),
            "the server responded with the status code 404 but did not return more information");
  EXPECT_EQ(statusFromResponse(500, "boom").code(), Code::kInternal);
  EXPECT_EQ(statusFromResponse(500, "boom").message(), "boom");
  EXPECT_EQ(statusFromResponse(410, "{}").code(), Code::kGone);
}

TEST(ParseWarningHeader, ExtractsTheQuotedText) {
  EXPECT_EQ(parseWarningHeader(R"(299 - "spec.x: unknown field")"), "spec.x: unknown field");
  EXPECT_EQ(parseWarningHeader(R"(299 - "say \"hi\"")"), "say \"hi\"");
  EXPECT_EQ(parseWarningHeader("199 - \"x\""), "");
}

TEST(ParseWatchEvent, ReadsTypeAndObjectAndRejectsGarbage) {
  auto e = parseWatchEvent(R"({"type":"ADDED","object":{"metadata":{"name":"a"}}})");
  ASSERT_TRUE(e.isOk());
  EXPECT_EQ(e->type, "ADDED");
  EXPECT_EQ(e->object["metadata"]["name"], "a");
  EXPECT_FALSE(parseWatchEvent("not json").isOk());
  EXPECT_FALSE(parseWatchEvent(R"({"object":{}})").isOk());
}

TEST(RestClient, GetAsTableSendsTheTableAcceptHeader) {
  auto fake = std::make_shared<FakeTransport>();
  fake->answer(200, R"({"kind":"Table","rows":[]})");
  RestClient client(fake);
  auto got = client.getTable(pods(), "default", "web");
  ASSERT_TRUE(got.isOk());
  EXPECT_EQ((*got)["kind"], "Table");
  ASSERT_EQ(fake->requests.size(), 1u);
  EXPECT_EQ(fake->requests[0].method, "GET");
  EXPECT_EQ(fake->requests[0].target, "/api/v1/namespaces/default/pods/web");
  EXPECT_NE(header(fake->requests[0], "Accept").find("as=Table"), std::string::npos);
}

TEST(RestClient, ListPassesSelectors) {
  auto fake = std::make_shared<FakeTransport>();
  fake->answer(200, R"({"kind":"PodList","items":[]})");
  RestClient client(fake);
  ListOptions options;
  options.label_selector = "app=web";
  options.field_selector = "spec.nodeName=n1";
  ASSERT_TRUE(client.list(pods(), "", options).isOk());
  EXPECT_EQ(fake->requests[0].target,
            "/api/v1/pods?labelSelector=app%3Dweb&fieldSelector=spec.nodeName%3Dn1");
}

TEST(RestClient, ErrorsAreConvertedFromTheServerStatus) {
  auto fake = std::make_shared<FakeTransport>();
  fake->answer(
      404, R"({"kind":"Status","reason":"NotFound","message":"pods \"x\" not found","code":404})");
  RestClient client(fake);
  auto got = client.get(pods(), "default", "x");
  ASSERT_FALSE(got.isOk());
  EXPECT_EQ(got.status().code(), Code::kNotFound);
  EXPECT_EQ(got.status().message(), "pods \"x\" not found");
}

TEST(RestClient, CreatePostsJsonAndUpdatePutsToTheObjectsName) {
  auto fake = std::make_shared<FakeTransport>();
  fake->answer(201, R"({"metadata":{"name":"a"}})");
  fake->answer(200, R"({"metadata":{"name":"a"}})");
  RestClient client(fake);
  json pod = {{"metadata", {{"name", "a"}}}};
  ASSERT_TRUE(client.create(pods(), "ns", pod).isOk());
  ASSERT_TRUE(client.update(pods(), "ns", pod).isOk());
  EXPECT_EQ(fake->requests[0].method, "POST");
  EXPECT_EQ(fake->requests[0].target, "/api/v1/namespaces/ns/pods");
  EXPECT_EQ(json::parse(fake->requests[0].body), pod);
  EXPECT_EQ(header(fake->requests[0], "Content-Type"), "application/json");
  EXPECT_EQ(fake->requests[1].method, "PUT");
  EXPECT_EQ(fake->requests[1].target, "/api/v1/namespaces/ns/pods/a");
  EXPECT_FALSE(client.update(pods(), "ns", json::object()).isOk());
}

TEST(RestClient, ApplyIsAnApplyPatchWithFieldManagerAndReportsCreation) {
  auto fake = std::make_shared<FakeTransport>();
  fake->answer(201, R"({"metadata":{"name":"d"}})");
  fake->answer(200, R"({"metadata":{"name":"d"}})");
  RestClient client(fake);
  json d = {{"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"metadata", {{"name", "d"}}}};
  auto first = client.apply(deployments(), "ns", d, "mkctl");
  auto second = client.apply(deployments(), "ns", d, "mkctl");
  ASSERT_TRUE(first.isOk());
  ASSERT_TRUE(second.isOk());
  EXPECT_TRUE(first->created);
  EXPECT_FALSE(second->created);
  EXPECT_EQ(fake->requests[0].method, "PATCH");
  EXPECT_EQ(fake->requests[0].target,
            "/apis/apps/v1/namespaces/ns/deployments/d?fieldManager=mkctl&force=true");
  EXPECT_EQ(header(fake->requests[0], "Content-Type"), "application/apply-patch+yaml");
}

TEST(RestClient, PatchOfASubresourceUsesItsPathAndContentType) {
  auto fake = std::make_shared<FakeTransport>();
  fake->answer(200, R"({"kind":"Scale"})");
  RestClient client(fake);
  PatchOptions options;
  options.subresource = "scale";
  ASSERT_TRUE(
      client
          .patch(deployments(), "ns", "d", PatchType::kMerge, R"({"spec":{"replicas":3}})", options)
          .isOk());
  EXPECT_EQ(fake->requests[0].target, "/apis/apps/v1/namespaces/ns/deployments/d/scale");
  EXPECT_EQ(header(fake->requests[0], "Content-Type"), "application/merge-patch+json");
}

TEST(RestClient, DeleteSendsDeleteOptionsOnlyWhenGiven) {
  auto fake = std::make_shared<FakeTransport>();
  fake->answer(200, "{}");
  fake->answer(200, "{}");
  RestClient client(fake);
  ASSERT_TRUE(client.remove(pods(), "ns", "a").isOk());
  DeleteOptions options;
  options.propagation_policy = "Foreground";
  ASSERT_TRUE(client.remove(pods(), "ns", "a", options).isOk());
  EXPECT_EQ(fake->requests[0].method, "DELETE");
  EXPECT_TRUE(fake->requests[0].body.empty());
  EXPECT_EQ(json::parse(fake->requests[1].body)["propagationPolicy"], "Foreground");
}

TEST(RestClient, WarningHeadersReachTheHandler) {
  auto fake = std::make_shared<FakeTransport>();
  fake->answer(201, "{}", {{"Warning", R"(299 - "spec.x: unknown field")"}});
  RestClient client(fake);
  std::vector<std::string> warnings;
  client.setWarningHandler([&](const std::string& w) { warnings.push_back(w); });
  ASSERT_TRUE(client.create(pods(), "ns", json::object()).isOk());
  EXPECT_EQ(warnings, std::vector<std::string>{"spec.x: unknown field"});
}

TEST(RestClient, WatchSplitsEventsAcrossChunksAndStopsWhenAsked) {
  auto fake = std::make_shared<FakeTransport>();
  fake->answer(200, "");
  fake->stream_chunks = {R"({"type":"ADDED","object":{"metadata":{"name":"a"}}})"
                         "\n"
                         R"({"type":"MOD)",
                         R"(IFIED","object":{"metadata":{"name":"a"}}})"
                         "\n",
                         R"({"type":"DELETED","object":{}})"
                         "\n"};
  RestClient client(fake);
  std::vector<std::string> types;
  ListOptions options;
  options.resource_version = "7";
  Status s = client.watch(pods(), "ns", options, [&](const WatchEvent& e) {
    types.push_back(e.type);
    return types.size() < 2;
  });
  EXPECT_TRUE(s.isOk()) << s.toString();
  EXPECT_EQ(types, (std::vector<std::string>{"ADDED", "MODIFIED"}));
  EXPECT_EQ(fake->requests[0].target, "/api/v1/namespaces/ns/pods?resourceVersion=7&watch=true");
}

TEST(RestClient, WatchOfAnExpiredVersionIsGone) {
  auto fake = std::make_shared<FakeTransport>();
  fake->answer(410, R"({"kind":"Status","reason":"Expired","message":"too old resource version"})");
  RestClient client(fake);
  Status s = client.watch(pods(), "ns", {}, [](const WatchEvent&) { return true; });
  EXPECT_EQ(s.code(), Code::kGone);
}

}  // namespace rest_client_test
}  // namespace minik8s::client
