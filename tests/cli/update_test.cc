#include "cli/update.h"

#include <gtest/gtest.h>

namespace minik8s::cli {
namespace update_test {

using nlohmann::json;

const api::ResourceInfo& resource(const char* plural) {
  const api::ResourceInfo* r = api::findResource("", "v1", plural);
  EXPECT_NE(r, nullptr);
  return *r;
}

TEST(ObjectForUpdate, CarriesTheStoredResourceVersionUnlessTheFileHasOne) {
  json current = {{"metadata", {{"name", "a"}, {"resourceVersion", "42"}}}};
  json manifest = {{"metadata", {{"name", "a"}}}};
  EXPECT_EQ(
      objectForUpdate(resource("configmaps"), manifest, current)["metadata"]["resourceVersion"],
      "42");
  manifest["metadata"]["resourceVersion"] = "7";
  EXPECT_EQ(
      objectForUpdate(resource("configmaps"), manifest, current)["metadata"]["resourceVersion"],
      "7");
}

TEST(ObjectForUpdate, KeepsThePodsTolerationsTheServerAdded) {
  json added = {{"key", "node.kubernetes.io/unreachable"}, {"operator", "Exists"},
                {"effect", "NoExecute"}, {"tolerationSeconds", 300}};
  json own = {{"key", "gpu"}, {"operator", "Exists"}};
  json current = {{"metadata", {{"resourceVersion", "1"}}},
                  {"spec", {{"tolerations", {own, added}}}}};
  json pod_file = {{"metadata", {{"name", "p"}}}, {"spec", {{"containers", json::array()}}}};
  EXPECT_EQ(objectForUpdate(resource("pods"), pod_file, current)["spec"]["tolerations"],
            json::array({own, added}));
  json extra = {{"key", "new"}, {"operator", "Exists"}};
  pod_file["spec"]["tolerations"] = {own, extra};
  EXPECT_EQ(objectForUpdate(resource("pods"), pod_file, current)["spec"]["tolerations"],
            json::array({own, extra, added}));
}

TEST(ObjectForUpdate, KeepsAServicesClusterIpsAndABoundPodsNode) {
  json service = {{"metadata", {{"resourceVersion", "1"}}},
                  {"spec", {{"clusterIP", "10.96.0.9"}, {"clusterIPs", {"10.96.0.9"}}}}};
  json svc_file = {{"metadata", {{"name", "s"}}}, {"spec", {{"ports", json::array()}}}};
  json svc = objectForUpdate(resource("services"), svc_file, service);
  EXPECT_EQ(svc["spec"]["clusterIP"], "10.96.0.9");
  EXPECT_EQ(svc["spec"]["clusterIPs"], json({"10.96.0.9"}));

  json bound = {{"metadata", {{"resourceVersion", "1"}}}, {"spec", {{"nodeName", "n1"}}}};
  json pod_file = {{"metadata", {{"name", "p"}}}, {"spec", {{"containers", json::array()}}}};
  EXPECT_EQ(objectForUpdate(resource("pods"), pod_file, bound)["spec"]["nodeName"], "n1");
  // A node named in the file is the user's; it is not overwritten.
  pod_file["spec"]["nodeName"] = "n2";
  EXPECT_EQ(objectForUpdate(resource("pods"), pod_file, bound)["spec"]["nodeName"], "n2");
  // An unbound pod gets no nodeName; other kinds get none either.
  json unbound = {{"metadata", {{"resourceVersion", "1"}}}, {"spec", json::object()}};
  pod_file["spec"].erase("nodeName");
  EXPECT_FALSE(objectForUpdate(resource("pods"), pod_file, unbound)["spec"].contains("nodeName"));
  EXPECT_FALSE(objectForUpdate(resource("services"), pod_file, bound)["spec"].contains("nodeName"));
}

TEST(ChangesNodeName, OnlyWhenTheObjectNamesAnotherNode) {
  struct Case {
    const char* wanted;
    const char* stored;
    bool changes;
  };
  for (const Case& c : {Case{"", "", false}, Case{"", "n1", false}, Case{"n1", "n1", false},
                        Case{"vahag-node", "", true}, Case{"n2", "n1", true}}) {
    json object = {{"spec", json::object()}};
    json current = {{"spec", json::object()}};
    if (*c.wanted) object["spec"]["nodeName"] = c.wanted;
    if (*c.stored) current["spec"]["nodeName"] = c.stored;
    EXPECT_EQ(changesNodeName(object, current), c.changes) << c.wanted << " vs " << c.stored;
  }
}

TEST(IsForbiddenPodUpdate, OnlyTheSpecForbiddenCauseAlone) {
  FieldError forbidden{"spec", "FieldValueForbidden",
                       "Forbidden: pod updates may not change fields other than "
                       "`spec.containers[*].image`"};
  FieldError bad_image{"spec.containers[0].image", "FieldValueRequired", "Required value"};
  EXPECT_TRUE(isForbiddenPodUpdate(invalid("Pod \"a\" is invalid", {forbidden})));
  EXPECT_FALSE(isForbiddenPodUpdate(invalid("Pod \"a\" is invalid", {forbidden, bad_image})));
  EXPECT_FALSE(isForbiddenPodUpdate(invalid("Pod \"a\" is invalid", {bad_image})));
  EXPECT_FALSE(isForbiddenPodUpdate(invalid("Pod \"a\" is invalid")));
  EXPECT_FALSE(isForbiddenPodUpdate(conflict("the object has been modified")));
  EXPECT_FALSE(isForbiddenPodUpdate(Status::ok()));
}

TEST(ReplaceTimeout, GracePeriodPlusThirtySeconds) {
  EXPECT_EQ(replaceTimeout(json::object()), std::chrono::seconds(60));
  EXPECT_EQ(replaceTimeout({{"spec", {{"terminationGracePeriodSeconds", 5}}}}),
            std::chrono::seconds(35));
  EXPECT_EQ(replaceTimeout({{"spec", {{"terminationGracePeriodSeconds", 5}}},
                            {"metadata", {{"deletionGracePeriodSeconds", 0}}}}),
            std::chrono::seconds(30));
}

TEST(WaitUntilGone, PollsUntilTheObjectIsGone) {
  FakeClock clock;
  int polls = 0;
  std::vector<std::chrono::milliseconds> slept;
  WaitSeams seams{clock, [&](std::chrono::milliseconds d) {
                    slept.push_back(d);
                    clock.advance(d);
                  }};
  Status st = waitUntilGone([&]() -> Result<bool> { return ++polls < 3; }, "pod \"a\"",
                            std::chrono::seconds(10), seams);
  EXPECT_TRUE(st.isOk()) << st.toString();
  EXPECT_EQ(polls, 3);
  EXPECT_EQ(slept, std::vector<std::chrono::milliseconds>(2, std::chrono::milliseconds(200)));
}

TEST(WaitUntilGone, GivesUpAtTheDeadlineAndPassesErrorsOn) {
  FakeClock clock;
  WaitSeams seams{clock, [&](std::chrono::milliseconds d) { clock.advance(d); }};
  Status st = waitUntilGone([]() -> Result<bool> { return true; }, "pod \"a\"",
                            std::chrono::seconds(1), seams);
  EXPECT_EQ(st.code(), Code::kDeadlineExceeded);
  EXPECT_EQ(st.message(), "error: timed out waiting for pod \"a\" to be deleted");
  EXPECT_EQ(clock.monotonic().time_since_epoch(), std::chrono::seconds(1));

  st = waitUntilGone([]() -> Result<bool> { return unavailable("down"); }, "pod \"a\"",
                     std::chrono::seconds(1), seams);
  EXPECT_EQ(st.code(), Code::kUnavailable);
}

TEST(ReplacedMessage, NamesTheObjectAndWhy) {
  EXPECT_EQ(replacedMessage(resource("pods"), "greet-pod"),
            "pod/greet-pod replaced (its spec cannot change in place)");
}

}  // namespace update_test
}  // namespace minik8s::cli
