#include "kubelet/backoff.h"

#include <gtest/gtest.h>

namespace minik8s::kubelet {
namespace backoff_test {

using std::chrono::minutes;
using std::chrono::nanoseconds;
using std::chrono::seconds;

constexpr int64_t kSec = 1000000000;
constexpr int64_t kT0 = 1767225600LL * kSec;

TEST(RestartBackoff, FirstRestartIsImmediateThenDoublesFromOneSecondToFiveMinutes) {
  RestartBackoff b;
  const std::string key = "uid-1/app";
  EXPECT_FALSE(b.remaining(key, kT0, seconds(1), kT0).has_value());
  EXPECT_EQ(b.delayFor(key), nanoseconds(0));
  std::vector<int64_t> want = {1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300};
  for (size_t i = 0; i < want.size(); ++i) {
    b.recordRestart(key);
    EXPECT_EQ(b.delayFor(key), seconds(want[i])) << "restart #" << i;
    // Just after the exit: the whole delay is left; once it has passed, none.
    auto left = b.remaining(key, kT0, seconds(1), kT0);
    ASSERT_TRUE(left.has_value()) << i;
    EXPECT_EQ(*left, seconds(want[i])) << i;
    auto later = b.remaining(key, kT0, seconds(1), kT0 + want[i] * kSec - kSec / 2);
    ASSERT_TRUE(later.has_value()) << i;
    EXPECT_EQ(*later, nanoseconds(kSec / 2)) << i;
    EXPECT_FALSE(b.remaining(key, kT0, seconds(1), kT0 + want[i] * kSec).has_value()) << i;
  }
}

TEST(RestartBackoff, StartsOverAfterTenMinutesOfRunning) {
  RestartBackoff b;
  const std::string key = "uid-1/app";
  for (int i = 0; i < 5; ++i) b.recordRestart(key);
  ASSERT_EQ(b.delayFor(key), seconds(16));
  EXPECT_TRUE(b.remaining(key, kT0, minutes(9), kT0).has_value());
  EXPECT_FALSE(b.remaining(key, kT0, minutes(10), kT0).has_value());
  EXPECT_EQ(b.delayFor(key), nanoseconds(0));
  b.recordRestart(key);
  EXPECT_EQ(b.delayFor(key), seconds(1));
}

TEST(RestartBackoff, KeysAreIndependent) {
  RestartBackoff b;
  b.recordRestart("uid-1/a");
  b.recordRestart("uid-1/a");
  b.recordRestart("uid-1/b");
  EXPECT_EQ(b.delayFor("uid-1/a"), seconds(2));
  EXPECT_EQ(b.delayFor("uid-1/b"), seconds(1));
}

TEST(RestartBackoff, ForgetPodDropsOnlyThatPodsKeys) {
  RestartBackoff b;
  for (const char* key : {"uid-1/a", "uid-1/b", "uid-10/a", "uid-0/a", "uid-2/a"}) {
    b.recordRestart(key);
  }
  b.forgetPod("uid-1");
  EXPECT_EQ(b.delayFor("uid-1/a"), nanoseconds(0));
  EXPECT_EQ(b.delayFor("uid-1/b"), nanoseconds(0));
  EXPECT_EQ(b.delayFor("uid-10/a"), seconds(1));
  EXPECT_EQ(b.delayFor("uid-0/a"), seconds(1));
  EXPECT_EQ(b.delayFor("uid-2/a"), seconds(1));
  EXPECT_FALSE(b.remaining("uid-1/a", kT0, seconds(1), kT0).has_value());
}

TEST(RestartBackoff, HonoursACustomPolicy) {
  RestartBackoff b(BackoffPolicy{std::chrono::milliseconds(10), std::chrono::milliseconds(30),
                                 seconds(1)});
  std::vector<int64_t> want_ms = {10, 20, 30, 30};
  for (int64_t ms : want_ms) {
    b.recordRestart("k");
    EXPECT_EQ(b.delayFor("k"), std::chrono::milliseconds(ms));
  }
}

}  // namespace backoff_test
}  // namespace minik8s::kubelet
