#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/codec.h"
#include "api/protobuf_body.h"
#include "api/scheme.h"
#include "api/types_policy.h"

namespace minik8s::api {
namespace pdb_test {

using nlohmann::json;

const ResourceInfo& pdbs() {
  return *findResource("policy", "v1", "poddisruptionbudgets");
}

json pdb(json spec) {
  return {{"apiVersion", "policy/v1"},
          {"kind", "PodDisruptionBudget"},
          {"metadata", {{"name", "web"}, {"namespace", "default"}}},
          {"spec", std::move(spec)}};
}

std::vector<FieldError> errorsOf(json object) {
  std::vector<std::string> unknown;
  Status s = normalize(pdbs(), object, &unknown);
  EXPECT_TRUE(s.isOk()) << s.toString();
  return validate(pdbs(), object, nullptr);
}

TEST(PodDisruptionBudget, IsServedAsKubernetesServesIt) {
  const ResourceInfo& r = pdbs();
  EXPECT_TRUE(r.namespaced);
  EXPECT_EQ(r.short_names, std::vector<std::string>{"pdb"});
  EXPECT_TRUE(r.hasSubresource("status"));
  EXPECT_EQ(resolveResource("pdb"), &r);
}

TEST(PodDisruptionBudget, RoundTripsEveryField) {
  json in = pdb({{"minAvailable", "50%"},
                 {"selector", {{"matchLabels", {{"app", "web"}}}}},
                 {"unhealthyPodEvictionPolicy", "AlwaysAllow"}});
  in["status"] = {{"observedGeneration", 2},
                  {"disruptedPods", {{"web-1", "2026-12-07T17:00:00Z"}}},
                  {"disruptionsAllowed", 1},
                  {"currentHealthy", 3},
                  {"desiredHealthy", 2},
                  {"expectedPods", 3},
                  {"conditions",
                   {{{"type", "DisruptionAllowed"},
                     {"status", "True"},
                     {"observedGeneration", 2},
                     {"lastTransitionTime", "2026-12-07T17:00:00Z"},
                     {"reason", "SufficientPods"},
                     {"message", ""}}}}};
  json out = in;
  std::vector<std::string> unknown;
  ASSERT_TRUE(normalize(pdbs(), out, &unknown).isOk());
  EXPECT_TRUE(unknown.empty());
  EXPECT_EQ(out["spec"], in["spec"]);
  EXPECT_EQ(out["status"], in["status"]);
  EXPECT_TRUE(validate(pdbs(), out, nullptr).empty());

  // And through protobuf (kubectl create pdb sends it), the int-or-string kept as written.
  auto bytes = encodeProtobufBody(out);
  ASSERT_TRUE(bytes.isOk()) << bytes.status().toString();
  auto back = decodeProtobufBody(*bytes);
  ASSERT_TRUE(back.isOk()) << back.status().toString();
  EXPECT_EQ((*back)["spec"], in["spec"]);
  EXPECT_EQ((*back)["status"]["disruptedPods"], in["status"]["disruptedPods"]);
}

TEST(PodDisruptionBudget, IntBoundsStayIntegers) {
  json out = pdb({{"maxUnavailable", 1}, {"selector", json::object()}});
  std::vector<std::string> unknown;
  ASSERT_TRUE(normalize(pdbs(), out, &unknown).isOk());
  EXPECT_EQ(out["spec"]["maxUnavailable"], 1);
  EXPECT_FALSE(out["spec"].contains("minAvailable"));
  EXPECT_EQ(out["status"]["disruptionsAllowed"], 0);  // required: always written
}

TEST(PodDisruptionBudget, MinAvailableAndMaxUnavailableAreExclusive) {
  auto errors = errorsOf(pdb({{"minAvailable", 1}, {"maxUnavailable", 1}}));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].field, "spec");
  EXPECT_NE(errors[0].message.find("minAvailable and maxUnavailable cannot be both set"),
            std::string::npos);
}

TEST(PodDisruptionBudget, BoundsAreNonNegativeIntsOrPercentsUpTo100) {
  auto negative = errorsOf(pdb({{"minAvailable", -1}}));
  ASSERT_EQ(negative.size(), 1u);
  EXPECT_EQ(negative[0].field, "spec.minAvailable");
  EXPECT_EQ(negative[0].message, "Invalid value: -1: must be greater than or equal to 0");
  auto over = errorsOf(pdb({{"maxUnavailable", "120%"}}));
  ASSERT_EQ(over.size(), 1u);
  EXPECT_EQ(over[0].message, "Invalid value: \"120%\": must not be greater than 100%");
  auto word = errorsOf(pdb({{"maxUnavailable", "half"}}));
  ASSERT_EQ(word.size(), 1u);
  EXPECT_EQ(word[0].field, "spec.maxUnavailable");
  EXPECT_TRUE(errorsOf(pdb({{"maxUnavailable", "100%"}})).empty());
  EXPECT_TRUE(errorsOf(pdb({{"minAvailable", 0}})).empty());
}

TEST(PodDisruptionBudget, SelectorAndPolicyAreChecked) {
  json in_nothing = {{"key", "app"}, {"operator", "In"}, {"values", json::array()}};
  auto errors = errorsOf(pdb({{"minAvailable", 1},
                              {"selector", {{"matchExpressions", json::array({in_nothing})}}},
                              {"unhealthyPodEvictionPolicy", "Sometimes"}}));
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].field, "spec.selector.matchExpressions[0].values");
  EXPECT_EQ(errors[1].field, "spec.unhealthyPodEvictionPolicy");
  EXPECT_EQ(errors[1].reason, "FieldValueNotSupported");
}

TEST(PodDisruptionBudget, StatusCountsAreNonNegative) {
  json object = pdb({{"minAvailable", 1}});
  object["status"] = {{"disruptionsAllowed", -1}, {"currentHealthy", 0}, {"desiredHealthy", 0},
                      {"expectedPods", 0}};
  auto errors = errorsOf(object);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].field, "status.disruptionsAllowed");
}

}  // namespace pdb_test
}  // namespace minik8s::api
