#include "apiserver/access_review.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/protobuf_body.h"

namespace minik8s::apiserver {
namespace access_review_test {

using nlohmann::json;

const UserInfo kNode1{"system:node:n1", "", {"system:nodes", "system:authenticated"}};
const UserInfo kAdmin{"minik8s-admin", "", {"system:masters", "system:authenticated"}};
const UserInfo kBootstrap{
    "system:bootstrap:abcdef", "", {"system:bootstrappers", "system:authenticated"}};

json accessReview(json resource_attributes) {
  return {{"apiVersion", "authorization.k8s.io/v1"},
          {"kind", "SelfSubjectAccessReview"},
          {"metadata", json::object()},
          {"spec", {{"resourceAttributes", std::move(resource_attributes)}}}};
}

// Facts of a cluster with pod default/p1 bound to n1 and default/p2 bound to n2.
AuthorizationFacts facts() {
  AuthorizationFacts f;
  f.pod_node = [](const std::string& ns, const std::string& name) -> std::optional<std::string> {
    if (ns == "default" && name == "p1") return "n1";
    if (ns == "default" && name == "p2") return "n2";
    return std::nullopt;
  };
  f.used_by_pod_on_node = [](const std::string&, const std::string&, const std::string&,
                             const std::string&) { return false; };
  return f;
}

TEST(AccessReview, AdminMayCreatePods) {
  auto out = answerAccessReview(
      accessReview({{"namespace", "default"}, {"verb", "create"}, {"resource", "pods"}}),
      &kAdmin, facts());
  ASSERT_TRUE(out.isOk()) << out.status().toString();
  EXPECT_EQ((*out)["status"]["allowed"], true);
  EXPECT_FALSE((*out)["status"].contains("denied"));
  EXPECT_EQ((*out)["kind"], "SelfSubjectAccessReview");
  EXPECT_EQ((*out)["spec"]["resourceAttributes"]["resource"], "pods");
}

TEST(AccessReview, NodeIsAnsweredByTheNodeRules) {
  // Reads of nodes: yes; writing another node: no, with the authorizer's reason.
  auto get = answerAccessReview(accessReview({{"verb", "get"}, {"resource", "nodes"},
                                              {"name", "other"}}),
                                &kNode1, facts());
  ASSERT_TRUE(get.isOk());
  EXPECT_EQ((*get)["status"]["allowed"], true);
  auto update = answerAccessReview(accessReview({{"verb", "update"}, {"resource", "nodes"},
                                                 {"name", "other"}}),
                                   &kNode1, facts());
  ASSERT_TRUE(update.isOk());
  EXPECT_EQ((*update)["status"]["allowed"], false);
  EXPECT_EQ((*update)["status"]["denied"], true);
  EXPECT_EQ((*update)["status"]["reason"], "node \"n1\" is not allowed to modify node \"other\"");
  auto own = answerAccessReview(accessReview({{"verb", "update"}, {"resource", "nodes"},
                                              {"name", "n1"}}),
                                &kNode1, facts());
  EXPECT_EQ((*own)["status"]["allowed"], true);
}

TEST(AccessReview, NodeMayEvictOnlyItsOwnPodsThroughTheFacts) {
  json mine = {{"namespace", "default"}, {"verb", "create"}, {"resource", "pods"},
               {"subresource", "eviction"}, {"name", "p1"}};
  json theirs = mine;
  theirs["name"] = "p2";
  EXPECT_EQ((*answerAccessReview(accessReview(mine), &kNode1, facts()))["status"]["allowed"],
            true);
  EXPECT_EQ((*answerAccessReview(accessReview(theirs), &kNode1, facts()))["status"]["allowed"],
            false);
}

TEST(AccessReview, NonResourceAttributesAreAPathAndAVerb) {
  json review = {{"kind", "SelfSubjectAccessReview"},
                 {"spec", {{"nonResourceAttributes", {{"path", "/healthz"}, {"verb", "get"}}}}}};
  auto out = answerAccessReview(review, &kBootstrap, facts());
  ASSERT_TRUE(out.isOk());
  EXPECT_EQ((*out)["status"]["allowed"], true);
  review["spec"]["nonResourceAttributes"]["verb"] = "post";
  EXPECT_EQ((*answerAccessReview(review, &kBootstrap, facts()))["status"]["allowed"], false);
}

TEST(AccessReview, BootstrapUserMayOnlyRequestCertificates) {
  auto pods = answerAccessReview(accessReview({{"verb", "list"}, {"resource", "pods"}}),
                                 &kBootstrap, facts());
  EXPECT_EQ((*pods)["status"]["allowed"], false);
  auto csr = answerAccessReview(
      accessReview({{"verb", "create"}, {"group", "certificates.k8s.io"},
                    {"resource", "certificatesigningrequests"}}),
      &kBootstrap, facts());
  EXPECT_EQ((*csr)["status"]["allowed"], true);
}

TEST(AccessReview, WithoutAuthenticationEverythingIsAllowed) {
  auto out = answerAccessReview(accessReview({{"verb", "delete"}, {"resource", "nodes"}}),
                                nullptr, facts());
  ASSERT_TRUE(out.isOk());
  EXPECT_EQ((*out)["status"]["allowed"], true);
  EXPECT_NE((*out)["status"]["reason"].get<std::string>().find("without authentication"),
            std::string::npos);
}

TEST(AccessReview, ExactlyOneKindOfAttributes) {
  json neither = {{"kind", "SelfSubjectAccessReview"}, {"spec", json::object()}};
  auto out = answerAccessReview(neither, &kAdmin, facts());
  ASSERT_EQ(out.status().code(), Code::kInvalid);
  EXPECT_EQ(out.status().message(),
            "SelfSubjectAccessReview.authorization.k8s.io \"\" is invalid: "
            "spec.resourceAttributes: Invalid value: \"null\": exactly one of "
            "nonResourceAttributes or resourceAttributes must be specified");
  json both = accessReview({{"verb", "get"}});
  both["spec"]["nonResourceAttributes"] = {{"path", "/"}};
  EXPECT_EQ(answerAccessReview(both, &kAdmin, facts()).status().code(), Code::kInvalid);
}

TEST(AccessReview, WrongTypesAndKindsAreBadRequests) {
  auto wrong_type = answerAccessReview(accessReview({{"verb", 3}}), &kAdmin, facts());
  EXPECT_EQ(wrong_type.status().code(), Code::kBadRequest);
  EXPECT_EQ(wrong_type.status().message(),
            "spec.resourceAttributes.verb: expected string, got number");
  json other = accessReview({{"verb", "get"}});
  other["kind"] = "SelfSubjectReview";
  EXPECT_EQ(answerAccessReview(other, &kAdmin, facts()).status().code(), Code::kBadRequest);
  json spec_not_object = {{"spec", "x"}};
  EXPECT_EQ(answerAccessReview(spec_not_object, &kAdmin, facts()).status().code(),
            Code::kBadRequest);
}

TEST(SelfSubjectReview, AnswersTheAuthenticatedUser) {
  json body = {{"apiVersion", "authentication.k8s.io/v1"}, {"kind", "SelfSubjectReview"}};
  auto out = answerSelfSubjectReview(body, &kNode1);
  ASSERT_TRUE(out.isOk());
  EXPECT_EQ((*out)["status"]["userInfo"],
            json({{"username", "system:node:n1"},
                  {"groups", {"system:nodes", "system:authenticated"}}}));
  EXPECT_EQ(answerSelfSubjectReview(body, nullptr).status().message(),
            "no user present on request");
}

TEST(AccessReview, AnswersEncodeInProtobuf) {
  // What `kubectl auth can-i` and `auth whoami` read back: both answers have messages.
  auto access = answerAccessReview(
      accessReview({{"namespace", "default"}, {"verb", "create"}, {"resource", "pods"}}),
      &kNode1, facts());
  auto bytes = api::encodeProtobufBody(*access);
  ASSERT_TRUE(bytes.isOk()) << bytes.status().toString();
  auto back = api::decodeProtobufBody(*bytes);
  ASSERT_TRUE(back.isOk()) << back.status().toString();
  EXPECT_EQ((*back)["status"]["denied"], true);
  EXPECT_EQ((*back)["spec"]["resourceAttributes"]["verb"], "create");

  auto self = answerSelfSubjectReview({{"kind", "SelfSubjectReview"}}, &kAdmin);
  auto self_bytes = api::encodeProtobufBody(*self);
  ASSERT_TRUE(self_bytes.isOk()) << self_bytes.status().toString();
  auto self_back = api::decodeProtobufBody(*self_bytes);
  ASSERT_TRUE(self_back.isOk());
  EXPECT_EQ((*self_back)["status"]["userInfo"]["username"], "minik8s-admin");
}

TEST(ReviewResources, AreCreateOnlyAndClusterScoped) {
  ASSERT_EQ(reviewResources().size(), 2u);
  for (const auto& r : reviewResources()) {
    EXPECT_FALSE(r.namespaced);
    EXPECT_EQ(r.verbs, std::vector<std::string>{"create"});
  }
}

}  // namespace access_review_test
}  // namespace minik8s::apiserver
