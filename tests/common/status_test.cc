#include "common/status.h"

#include <gtest/gtest.h>

namespace minik8s {
namespace status_test {

Result<int> parsePositive(int v) {
  if (v <= 0) return invalid("must be positive", {{"value", "FieldValueInvalid", "must be > 0"}});
  return v;
}

Result<int> doubled(int v) {
  ASSIGN_OR_RETURN(int x, parsePositive(v));
  return 2 * x;
}

Status check(int v) {
  RETURN_IF_ERROR(parsePositive(v).status());
  return Status::ok();
}

TEST(Status, MapsCodesToKubernetesReasonsAndHttp) {
  EXPECT_EQ(codeName(Code::kNotFound), "NotFound");
  EXPECT_EQ(httpStatusOf(Code::kInvalid), 422);
  EXPECT_EQ(httpStatusOf(Code::kConflict), 409);
  EXPECT_EQ(codeName(Code::kGone), "Expired");
}

TEST(Result, PropagatesErrorsThroughMacros) {
  EXPECT_EQ(*doubled(3), 6);
  auto r = doubled(-1);
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), Code::kInvalid);
  ASSERT_EQ(r.status().causes().size(), 1u);
  EXPECT_EQ(r.status().causes()[0].field, "value");
  EXPECT_TRUE(check(1).isOk());
  EXPECT_EQ(check(0).code(), Code::kInvalid);
}

TEST(Status, ToStringNamesCauses) {
  Status s = invalid("bad pod", {{"spec.containers", "FieldValueRequired", "Required value"}});
  EXPECT_EQ(s.toString(), "Invalid: bad pod; spec.containers: Required value");
  EXPECT_EQ(notFound("x").withContext("reading").message(), "reading: x");
}

}  // namespace status_test
}  // namespace minik8s
