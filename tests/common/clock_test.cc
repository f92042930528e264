#include "common/clock.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace minik8s {
namespace clock_test {

TEST(Clock, FormatsRfc3339WithZuluSuffix) {
  Clock::WallTime t(std::chrono::seconds(1767225600));
  EXPECT_EQ(formatRfc3339(t), "2026-01-01T00:00:00Z");
}

TEST(Clock, FormatsNanosecondsForCriLogs) {
  Clock::WallTime t(std::chrono::seconds(1767225600));
  t += std::chrono::duration_cast<Clock::WallTime::duration>(std::chrono::nanoseconds(5));
  EXPECT_EQ(formatRfc3339Nano(t), "2026-01-01T00:00:00.000000005Z");
}

TEST(Clock, ParsesWhatItFormats) {
  Clock::WallTime t;
  ASSERT_TRUE(parseRfc3339("2026-01-01T00:00:00Z", &t));
  EXPECT_EQ(t, Clock::WallTime(std::chrono::seconds(1767225600)));
  ASSERT_TRUE(parseRfc3339("2026-01-01T02:00:00+02:00", &t));
  EXPECT_EQ(t, Clock::WallTime(std::chrono::seconds(1767225600)));
  ASSERT_TRUE(parseRfc3339("2026-01-01T00:00:00.5Z", &t));
  EXPECT_FALSE(parseRfc3339("yesterday", &t));
  EXPECT_FALSE(parseRfc3339("2026-01-01T00:00:00", &t));
}

TEST(Clock, HumanDurationMatchesKubectlAges) {
  using std::chrono::seconds;
  EXPECT_EQ(humanDuration(seconds(0)), "0s");
  EXPECT_EQ(humanDuration(seconds(119)), "119s");
  EXPECT_EQ(humanDuration(seconds(150)), "2m30s");
  EXPECT_EQ(humanDuration(seconds(600)), "10m");
  EXPECT_EQ(humanDuration(seconds(3 * 3600 + 1200)), "3h20m");
  EXPECT_EQ(humanDuration(seconds(30 * 3600)), "30h");
  EXPECT_EQ(humanDuration(seconds(3 * 86400 + 3600)), "3d1h");
  EXPECT_EQ(humanDuration(seconds(100 * 86400)), "100d");
}

TEST(FakeClock, AdvancesBothClocks) {
  FakeClock clock;
  auto wall = clock.now();
  auto mono = clock.monotonic();
  clock.advance(std::chrono::seconds(5));
  EXPECT_EQ(clock.now() - wall, std::chrono::seconds(5));
  EXPECT_EQ(clock.monotonic() - mono, std::chrono::seconds(5));
}


TEST(FakeClock, SleepForEndsWhenTheClockPassesTheDeadlineOrOnStop) {
  FakeClock clock;
  std::atomic<int> woke{0};
  std::jthread sleeper([&](std::stop_token stop) {
    if (clock.sleepFor(std::chrono::seconds(10), stop)) ++woke;
  });
  ASSERT_TRUE(clock.waitForSleepers(1));
  clock.advance(std::chrono::seconds(9));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(woke.load(), 0);
  clock.advance(std::chrono::seconds(1));
  sleeper.join();
  EXPECT_EQ(woke.load(), 1);

  std::atomic<bool> result{true};
  std::jthread stopped([&](std::stop_token stop) { result = clock.sleepFor(std::chrono::hours(1), stop); });
  ASSERT_TRUE(clock.waitForSleepers(1));
  stopped.request_stop();
  stopped.join();
  EXPECT_FALSE(result.load());
  EXPECT_EQ(clock.sleepers(), 0);
}

TEST(RealClock, SleepForReturnsAtOnceWhenStopped) {
  std::stop_source source;
  source.request_stop();
  EXPECT_FALSE(Clock::real().sleepFor(std::chrono::hours(1), source.get_token()));
  EXPECT_TRUE(Clock::real().sleepFor(std::chrono::milliseconds(1)));
}

}  // namespace clock_test
}  // namespace minik8s
