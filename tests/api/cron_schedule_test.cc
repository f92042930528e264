// The cron parser and next-activation computation against robfig/cron's behaviour.
#include "api/cron_schedule.h"

#include <gtest/gtest.h>

#include "common/clock.h"

namespace minik8s::api {
namespace cron_schedule_test {

Clock::WallTime at(const std::string& rfc3339) {
  Clock::WallTime t;
  EXPECT_TRUE(parseRfc3339(rfc3339, &t)) << rfc3339;
  return t;
}

std::string errorOf(const std::string& spec) {
  auto s = CronSchedule::parse(spec);
  return s.isOk() ? "<ok>" : s.status().message();
}

std::string nextOf(const std::string& spec, const std::string& from, const CronTimeZone& tz = {}) {
  auto s = CronSchedule::parse(spec);
  EXPECT_TRUE(s.isOk()) << spec << ": " << s.status().toString();
  if (!s.isOk()) return "<error>";
  auto n = s->next(at(from), tz);
  return n ? formatRfc3339(*n) : "<none>";
}

TEST(CronSchedule, EveryMinuteIsTheNextWholeMinuteStrictlyAfter) {
  EXPECT_EQ(nextOf("* * * * *", "2026-01-01T10:00:00Z"), "2026-01-01T10:01:00Z");
  EXPECT_EQ(nextOf("* * * * *", "2026-01-01T10:00:59Z"), "2026-01-01T10:01:00Z");
}

TEST(CronSchedule, StepsRangesAndLists) {
  EXPECT_EQ(nextOf("*/15 * * * *", "2026-01-01T10:07:00Z"), "2026-01-01T10:15:00Z");
  EXPECT_EQ(nextOf("*/15 * * * *", "2026-01-01T10:45:00Z"), "2026-01-01T11:00:00Z");
  EXPECT_EQ(nextOf("5,35 9-17 * * *", "2026-01-01T17:36:00Z"), "2026-01-02T09:05:00Z");
  EXPECT_EQ(nextOf("10-30/10 * * * *", "2026-01-01T10:21:00Z"), "2026-01-01T10:30:00Z");
  // "N/step" means "N-max/step".
  EXPECT_EQ(nextOf("50/5 * * * *", "2026-01-01T10:56:00Z"), "2026-01-01T11:50:00Z");
}

TEST(CronSchedule, MonthAndDayNamesAreCaseInsensitive) {
  // 2026-01-01 is a Thursday; the next Monday is 01-05.
  EXPECT_EQ(nextOf("0 8 * * MON", "2026-01-01T00:00:00Z"), "2026-01-05T08:00:00Z");
  EXPECT_EQ(nextOf("0 0 1 mar *", "2026-01-01T00:00:00Z"), "2026-03-01T00:00:00Z");
  EXPECT_EQ(nextOf("0 0 * * FRI-sat", "2026-01-01T00:00:00Z"), "2026-01-02T00:00:00Z");
  // Ranges do not wrap around the week, as in robfig/cron.
  EXPECT_EQ(errorOf("0 0 * * sat-sun"), "beginning of range (6) beyond end of range (0): sat-sun");
}

TEST(CronSchedule, DayOfMonthAndWeekdayMatchEitherUnlessOneIsAStar) {
  // The 15th or any Monday: Monday 01-05 comes first.
  EXPECT_EQ(nextOf("0 0 15 * 1", "2026-01-01T00:00:00Z"), "2026-01-05T00:00:00Z");
  // With the weekday a star, only the 15th.
  EXPECT_EQ(nextOf("0 0 15 * *", "2026-01-01T00:00:00Z"), "2026-01-15T00:00:00Z");
  // With the day a star, only Mondays.
  EXPECT_EQ(nextOf("0 0 * * 1", "2026-01-06T00:00:00Z"), "2026-01-12T00:00:00Z");
}

TEST(CronSchedule, Macros) {
  EXPECT_EQ(nextOf("@hourly", "2026-01-01T10:00:00Z"), "2026-01-01T11:00:00Z");
  EXPECT_EQ(nextOf("@daily", "2026-01-01T10:00:00Z"), "2026-01-02T00:00:00Z");
  EXPECT_EQ(nextOf("@midnight", "2026-01-01T10:00:00Z"), "2026-01-02T00:00:00Z");
  EXPECT_EQ(nextOf("@weekly", "2026-01-01T10:00:00Z"), "2026-01-04T00:00:00Z");  // Sunday
  EXPECT_EQ(nextOf("@monthly", "2026-01-01T10:00:00Z"), "2026-02-01T00:00:00Z");
  EXPECT_EQ(nextOf("@yearly", "2026-01-01T10:00:00Z"), "2027-01-01T00:00:00Z");
  EXPECT_EQ(nextOf("@annually", "2026-01-01T10:00:00Z"), "2027-01-01T00:00:00Z");
}

TEST(CronSchedule, LeapDaysAndImpossibleDates) {
  EXPECT_EQ(nextOf("0 0 29 2 *", "2026-01-01T00:00:00Z"), "2028-02-29T00:00:00Z");
  EXPECT_EQ(nextOf("0 0 30 2 *", "2026-01-01T00:00:00Z"), "<none>");
  EXPECT_EQ(nextOf("0 0 31 * *", "2026-04-01T00:00:00Z"), "2026-05-31T00:00:00Z");
}

TEST(CronSchedule, FixedOffsetZonesShiftTheLocalClock) {
  auto ny = findCronTimeZone("Etc/GMT+5");  // UTC-5
  ASSERT_TRUE(ny);
  EXPECT_EQ(nextOf("0 9 * * *", "2026-01-01T00:00:00Z", *ny), "2026-01-01T14:00:00Z");
  auto tokyo = findCronTimeZone("Etc/GMT-9");  // UTC+9
  ASSERT_TRUE(tokyo);
  EXPECT_EQ(nextOf("0 9 * * *", "2026-01-01T00:00:00Z", *tokyo), "2026-01-02T00:00:00Z");
  EXPECT_TRUE(findCronTimeZone("UTC"));
  EXPECT_TRUE(findCronTimeZone("Etc/UTC"));
  EXPECT_FALSE(findCronTimeZone("Mars/Olympus"));
  EXPECT_FALSE(findCronTimeZone("Etc/GMT+13"));
}

TEST(CronSchedule, ErrorsUseRobfigsWords) {
  EXPECT_EQ(errorOf(""), "empty spec string");
  EXPECT_EQ(errorOf("* * * *"), "expected exactly 5 fields, found 4: [* * * *]");
  EXPECT_EQ(errorOf("60 * * * *"), "end of range (60) above maximum (59): 60");
  EXPECT_EQ(errorOf("* * 0 * *"), "beginning of range (0) below minimum (1): 0");
  EXPECT_EQ(errorOf("5-1 * * * *"), "beginning of range (5) beyond end of range (1): 5-1");
  EXPECT_EQ(errorOf("*/0 * * * *"), "step of range should be a positive number: */0");
  EXPECT_EQ(errorOf("1/2/3 * * * *"), "too many slashes: 1/2/3");
  EXPECT_EQ(errorOf("1-2-3 * * * *"), "too many hyphens: 1-2-3");
  EXPECT_EQ(errorOf("x * * * *"),
            "failed to parse int from x: strconv.Atoi: parsing \"x\": invalid syntax");
  EXPECT_EQ(errorOf("* * * * 7"), "end of range (7) above maximum (6): 7");
  EXPECT_EQ(errorOf("@often"), "unrecognized descriptor: @often");
}

}  // namespace cron_schedule_test
}  // namespace minik8s::api
