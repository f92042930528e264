#include "image/reference.h"

#include <gtest/gtest.h>

namespace minik8s::image {
namespace reference_test {

TEST(NormalizeImageName, FollowsDockerRules) {
  struct Case {
    const char* in;
    const char* want;
  } cases[] = {
      {"greeting-app", "docker.io/library/greeting-app:latest"},
      {"greeting-app:5001", "docker.io/library/greeting-app:5001"},
      {"busybox:1.36.1", "docker.io/library/busybox:1.36.1"},
      {"nginx", "docker.io/library/nginx:latest"},
      {"user/app", "docker.io/user/app:latest"},
      {"user/app:v2", "docker.io/user/app:v2"},
      {"docker.io/library/busybox:latest", "docker.io/library/busybox:latest"},
      {"docker.io/busybox", "docker.io/library/busybox:latest"},
      {"index.docker.io/busybox", "docker.io/library/busybox:latest"},
      {"k8s.local/pause:1.0", "k8s.local/pause:1.0"},
      {"localhost/app", "localhost/app:latest"},
      {"localhost:5000/team/app:1", "localhost:5000/team/app:1"},
      {"registry.k8s.io/pause:3.9", "registry.k8s.io/pause:3.9"},
      {"quay.io/a/b/c", "quay.io/a/b/c:latest"},
      {"busybox@sha256:abcd", "docker.io/library/busybox@sha256:abcd"},
      {"busybox:1.36@sha256:abcd", "docker.io/library/busybox:1.36@sha256:abcd"},
      {"my_app.v2-x", "docker.io/library/my_app.v2-x:latest"},
  };
  for (const auto& c : cases) {
    auto r = normalizeImageName(c.in);
    ASSERT_TRUE(r.isOk()) << c.in << ": " << r.status().toString();
    EXPECT_EQ(*r, c.want) << c.in;
  }
}

TEST(NormalizeImageName, RejectsMalformedNames) {
  for (const char* in : {"", "Busybox", "busybox:", ":tag", "a//b", "-app", "app-",
                         "busybox:bad tag", "busybox@", "busybox@sha256:", "x.io/"}) {
    auto r = normalizeImageName(in);
    EXPECT_FALSE(r.isOk()) << in << " gave " << (r.isOk() ? *r : "");
    if (!r.isOk()) {
      EXPECT_EQ(r.status().code(), Code::kInvalid);
    }
  }
}

TEST(ParseImageReference, SplitsTheParts) {
  auto r = parseImageReference("localhost:5000/team/app:1");
  ASSERT_TRUE(r.isOk());
  EXPECT_EQ(r->domain, "localhost:5000");
  EXPECT_EQ(r->path, "team/app");
  EXPECT_EQ(r->tag, "1");
  EXPECT_EQ(r->repository(), "localhost:5000/team/app");
}

}  // namespace reference_test
}  // namespace minik8s::image
