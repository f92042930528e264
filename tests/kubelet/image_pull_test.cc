#include "kubelet/image_pull.h"

#include <gtest/gtest.h>

namespace minik8s::kubelet {
namespace image_pull_test {

using namespace std::chrono_literals;

TEST(DecideImage, FollowsThePullPolicy) {
  struct Case {
    const char* policy;
    bool present;
    ImageDecision want;
  } cases[] = {
      {"Always", true, ImageDecision::kPull},
      {"Always", false, ImageDecision::kPull},
      {"IfNotPresent", true, ImageDecision::kUsePresent},
      {"IfNotPresent", false, ImageDecision::kPull},
      {"Never", true, ImageDecision::kUsePresent},
      {"Never", false, ImageDecision::kNeverPull},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(decideImage(c.policy, c.present), c.want) << c.policy << " present=" << c.present;
  }
}

TEST(RegistryHost, NormalisesLikeDocker) {
  EXPECT_EQ(registryHost("nginx"), "docker.io");
  EXPECT_EQ(registryHost("library/nginx:1.25"), "docker.io");
  EXPECT_EQ(registryHost("docker.io/library/busybox:1.36.1"), "docker.io");
  EXPECT_EQ(registryHost("index.docker.io/library/busybox"), "docker.io");
  EXPECT_EQ(registryHost("127.0.0.1:5000/greeting:1"), "127.0.0.1:5000");
  EXPECT_EQ(registryHost("localhost/app"), "localhost");
  EXPECT_EQ(registryHost("registry.example/team/app@sha256:abc"), "registry.example");
  EXPECT_EQ(registryHost("k8s.local/pause:1.0"), "k8s.local");
}

TEST(RegistryAllowed, LoopbackAlwaysAndOthersOnlyWhenConfigured) {
  EXPECT_TRUE(registryAllowed("127.0.0.1:5000", {}));
  EXPECT_TRUE(registryAllowed("127.0.0.2", {}));
  EXPECT_TRUE(registryAllowed("localhost:5000", {}));
  EXPECT_TRUE(registryAllowed("[::1]:5000", {}));
  EXPECT_FALSE(registryAllowed("docker.io", {}));
  EXPECT_FALSE(registryAllowed("127.example:5000", {}));  // a host name, not loopback
  EXPECT_TRUE(registryAllowed("docker.io", {"docker.io"}));
  EXPECT_FALSE(registryAllowed("registry.example:5443", {"registry.example"}));
}

TEST(CredentialsFor, PicksTheEntriesOfTheImagesRegistry) {
  std::string dockerconfigjson = R"({"auths":{
      "https://index.docker.io/v1/":{"username":"hub","password":"p1"},
      "127.0.0.1:5000":{"auth":"dXNlcjpwYXNz"},
      "registry.example":{"username":"other","password":"p2"}}})";
  std::string dockercfg = R"({"http://127.0.0.1:5000/v2/":{"username":"old","password":"p3"}})";
  auto local = credentialsFor("127.0.0.1:5000/app:1", {dockerconfigjson, dockercfg});
  ASSERT_EQ(local.size(), 2u);
  EXPECT_EQ(local[0].auth, "dXNlcjpwYXNz");
  EXPECT_EQ(local[0].server_address, "127.0.0.1:5000");
  EXPECT_EQ(local[1].username, "old");
  auto hub = credentialsFor("nginx:1.25", {dockerconfigjson});
  ASSERT_EQ(hub.size(), 1u);
  EXPECT_EQ(hub[0].username, "hub");
  EXPECT_TRUE(credentialsFor("quay.io/x/y", {dockerconfigjson}).empty());
}

TEST(CredentialsFor, SkipsMalformedSecrets) {
  EXPECT_TRUE(credentialsFor("nginx", {"not json", "[1,2]", R"({"auths":7})", ""}).empty());
  EXPECT_TRUE(credentialsFor("nginx", {R"({"auths":{"docker.io":"nope"}})"}).empty());
}

TEST(PullBackoff, DoublesFromTenSecondsToFiveMinutesAndForgetsOnSuccess) {
  PullBackoff backoff;
  Clock::Instant t0{};
  EXPECT_FALSE(backoff.waiting("u/img", t0).has_value());
  backoff.recordFailure("u/img", t0, "not found");
  auto w = backoff.waiting("u/img", t0 + 1s);
  ASSERT_TRUE(w.has_value());
  EXPECT_EQ(w->left, 9s);
  EXPECT_EQ(w->last_error, "not found");
  EXPECT_FALSE(backoff.waiting("u/img", t0 + 10s).has_value());
  backoff.recordFailure("u/img", t0 + 10s, "again");
  EXPECT_EQ(backoff.waiting("u/img", t0 + 10s)->left, 20s);
  for (int i = 0; i < 10; ++i) backoff.recordFailure("u/img", t0, "x");
  EXPECT_EQ(backoff.waiting("u/img", t0)->left, 5min);
  backoff.recordSuccess("u/img");
  EXPECT_FALSE(backoff.waiting("u/img", t0).has_value());
}

TEST(PullBackoff, ForgetPodDropsOnlyThatPodsImages) {
  PullBackoff backoff;
  Clock::Instant t0{};
  backoff.recordFailure("a/img", t0, "x");
  backoff.recordFailure("ab/img", t0, "x");
  backoff.forgetPod("a");
  EXPECT_FALSE(backoff.waiting("a/img", t0).has_value());
  EXPECT_TRUE(backoff.waiting("ab/img", t0).has_value());
}

}  // namespace image_pull_test
}  // namespace minik8s::kubelet
