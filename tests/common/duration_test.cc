#include "common/duration.h"

#include <gtest/gtest.h>

namespace minik8s {
namespace duration_test {

TEST(ParseDuration, GoFormsAndPlainSeconds) {
  struct Case {
    const char* text;
    int64_t ms;  // -1: invalid
  } cases[] = {
      {"60s", 60000},     {"1.5s", 1500},      {"500ms", 500},   {"2m", 120000},
      {"90", 90000},      {"1h", 3600000},     {"0s", 0},        {"0", 0},
      {"1h30m", 5400000}, {"1h0m0s", 3600000}, {"2m3.5s", 123500}, {"1500us", 2},
      {"2000000ns", 2},   {"3\xC2\xB5s", 0},   {"", -1},         {"s", -1},
      {"-1s", -1},        {"5x", -1},          {"abc", -1},      {"1.2.3s", -1},
      {"1h 30m", -1},     {"1hm", -1},         {"30m1", -1},
  };
  for (const auto& c : cases) {
    auto d = parseDuration(c.text);
    if (c.ms < 0) {
      EXPECT_FALSE(d.isOk()) << c.text;
    } else {
      ASSERT_TRUE(d.isOk()) << c.text << ": " << d.status().toString();
      EXPECT_EQ(d->count(), c.ms) << c.text;
    }
  }
}

}  // namespace duration_test
}  // namespace minik8s
