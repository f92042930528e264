// CronSchedule: a parsed five-field cron schedule, as Kubernetes' CronJob reads it
// (robfig/cron's standard parser): minute, hour, day of month, month, day of week; each a
// list of `*`, `?`, values, ranges `a-b` and steps `/n`; month (jan..dec) and weekday
// (sun..sat) names; the macros @yearly, @annually, @monthly, @weekly, @daily, @midnight,
// @hourly. Day of month and day of week combine as cron does: when either is `*` (or `?`)
// both must match, otherwise either may. Errors are robfig's words.
//
// TimeZone: the zones minik8s can compute without a tz database: UTC (also "Etc/UTC",
// "Etc/UCT", "Etc/Universal", "Etc/Zulu", "UCT", "Universal", "Zulu", "GMT", "Etc/GMT",
// "Etc/GMT0", "Etc/GMT+0", "Etc/GMT-0", "Etc/Greenwich", "Greenwich") and the fixed
// offsets "Etc/GMT+N" / "Etc/GMT-N" (POSIX signs: Etc/GMT+5 is five hours behind UTC).
//
// Pure value types; thread-safe.
#pragma once

#include <bitset>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace minik8s::api {

struct CronTimeZone {
  std::chrono::minutes offset{0};  // local = UTC + offset
};

// The zone named `name` ("" is UTC); nullopt when minik8s does not know it.
std::optional<CronTimeZone> findCronTimeZone(std::string_view name);

class CronSchedule {
 public:
  using WallTime = std::chrono::system_clock::time_point;

  // kBadRequest with robfig's message ("expected exactly 5 fields, found 4: [...]").
  static Result<CronSchedule> parse(std::string_view spec);

  // The first activation strictly after `t` (at a whole minute), in zone `tz`; nullopt
  // when none falls within five years (e.g. "0 0 30 2 *").
  std::optional<WallTime> next(WallTime t, const CronTimeZone& tz = {}) const;

 private:
  bool dayMatches(int day_of_month, int weekday) const;

  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_;    // 1..31
  std::bitset<13> months_;  // 1..12
  std::bitset<7> weekdays_; // 0 (Sunday)..6
  bool day_star_ = false;
  bool weekday_star_ = false;
};

}  // namespace minik8s::api
