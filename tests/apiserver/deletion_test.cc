#include "apiserver/deletion.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace minik8s::apiserver {
namespace deletion_test {

using nlohmann::json;
using Strings = std::vector<std::string>;

TEST(PropagationOf, ReadsPolicyAndLegacyOrphanDependents) {
  EXPECT_EQ(*propagationOf(json::object()), Propagation::kUnset);
  EXPECT_EQ(*propagationOf({{"propagationPolicy", "Foreground"}}), Propagation::kForeground);
  EXPECT_EQ(*propagationOf({{"propagationPolicy", "Background"}}), Propagation::kBackground);
  EXPECT_EQ(*propagationOf({{"propagationPolicy", "Orphan"}}), Propagation::kOrphan);
  EXPECT_EQ(*propagationOf({{"orphanDependents", true}}), Propagation::kOrphan);
  EXPECT_EQ(*propagationOf({{"orphanDependents", false}}), Propagation::kBackground);
  EXPECT_EQ(*propagationOf({{"propagationPolicy", nullptr}}), Propagation::kUnset);
}

TEST(PropagationOf, RejectsUnknownPolicyAndBothFields) {
  auto unknown = propagationOf({{"propagationPolicy", "Sideways"}});
  ASSERT_FALSE(unknown.isOk());
  EXPECT_EQ(unknown.status().code(), Code::kInvalid);
  EXPECT_NE(unknown.status().message().find("Unsupported value: \"Sideways\""), std::string::npos);
  auto both = propagationOf({{"propagationPolicy", "Orphan"}, {"orphanDependents", true}});
  ASSERT_FALSE(both.isOk());
  EXPECT_EQ(both.status().code(), Code::kInvalid);
  EXPECT_EQ(propagationOf({{"orphanDependents", "yes"}}).status().code(), Code::kBadRequest);
}

TEST(FinalizersForDeletion, PolicyAddsItsFinalizerAndDropsTheOther) {
  EXPECT_EQ(*finalizersForDeletion({}, Propagation::kForeground), Strings{"foregroundDeletion"});
  EXPECT_EQ(*finalizersForDeletion({"x"}, Propagation::kOrphan), (Strings{"x", "orphan"}));
  EXPECT_EQ(*finalizersForDeletion({"orphan", "x"}, Propagation::kForeground),
            (Strings{"x", "foregroundDeletion"}));
  EXPECT_EQ(*finalizersForDeletion({"foregroundDeletion"}, Propagation::kBackground), Strings{});
}

TEST(FinalizersForDeletion, NoChangeIsNullopt) {
  EXPECT_FALSE(finalizersForDeletion({}, Propagation::kUnset));
  EXPECT_FALSE(finalizersForDeletion({}, Propagation::kBackground));
  EXPECT_FALSE(finalizersForDeletion({"x"}, Propagation::kBackground));
  EXPECT_FALSE(finalizersForDeletion({"orphan"}, Propagation::kUnset));  // an existing one stays
  EXPECT_FALSE(finalizersForDeletion({"foregroundDeletion", "x"}, Propagation::kForeground));
}

TEST(RepeatedDelete, OnlyAShorterGracePeriodChangesAPendingDeletion) {
  EXPECT_EQ(repeatedDelete(std::nullopt, std::nullopt), RepeatedDelete::kFinish);
  EXPECT_EQ(repeatedDelete(0, 30), RepeatedDelete::kFinish);
  EXPECT_EQ(repeatedDelete(30, std::nullopt), RepeatedDelete::kPending);
  EXPECT_EQ(repeatedDelete(30, 30), RepeatedDelete::kPending);
  EXPECT_EQ(repeatedDelete(30, 5), RepeatedDelete::kShorten);
  EXPECT_EQ(repeatedDelete(30, 0), RepeatedDelete::kShorten);
}

}  // namespace deletion_test
}  // namespace minik8s::apiserver
