#include "api/cron_schedule.h"

#include <cctype>
#include <map>
#include <vector>

namespace minik8s::api {
namespace {

using namespace std::chrono;

struct Bounds {
  int min;
  int max;
  const std::map<std::string, int>* names;
};

const std::map<std::string, int> kMonthNames = {
    {"jan", 1}, {"feb", 2}, {"mar", 3}, {"apr", 4},  {"may", 5},  {"jun", 6},
    {"jul", 7}, {"aug", 8}, {"sep", 9}, {"oct", 10}, {"nov", 11}, {"dec", 12}};
const std::map<std::string, int> kDayNames = {{"sun", 0}, {"mon", 1}, {"tue", 2}, {"wed", 3},
                                              {"thu", 4}, {"fri", 5}, {"sat", 6}};

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t at = s.find(sep, start);
    out.emplace_back(s.substr(start, at == std::string_view::npos ? s.npos : at - start));
    if (at == std::string_view::npos) return out;
    start = at + 1;
  }
}

std::vector<std::string> fieldsOf(std::string_view s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Go's strconv.Atoi with robfig's wrapping.
Result<int> parseInt(const std::string& expr) {
  bool ok = !expr.empty();
  size_t i = (ok && (expr[0] == '+' || expr[0] == '-')) ? 1 : 0;
  if (i == expr.size()) ok = false;
  long long value = 0;
  for (; ok && i < expr.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(expr[i]))) {
      ok = false;
    } else if ((value = value * 10 + (expr[i] - '0')) > 1000000000) {
      return badRequest("failed to parse int from " + expr + ": strconv.Atoi: parsing \"" + expr +
                        "\": value out of range");
    }
  }
  if (!ok) {
    return badRequest("failed to parse int from " + expr + ": strconv.Atoi: parsing \"" + expr +
                      "\": invalid syntax");
  }
  if (expr[0] == '-') value = -value;
  if (value < 0) {
    return badRequest("negative number (" + std::to_string(value) + ") not allowed: " + expr);
  }
  return static_cast<int>(value);
}

Result<int> parseIntOrName(const std::string& expr, const Bounds& b) {
  if (b.names) {
    auto it = b.names->find(lower(expr));
    if (it != b.names->end()) return it->second;
  }
  return parseInt(expr);
}

// One comma-separated term; sets `bits` and `star` (robfig's starBit).
Status parseRange(const std::string& expr, const Bounds& b, std::vector<bool>& bits, bool& star) {
  std::vector<std::string> range_and_step = split(expr, '/');
  std::vector<std::string> low_and_high = split(range_and_step[0], '-');
  const bool single = low_and_high.size() == 1;
  int start = 0, end = 0, step = 1;
  bool extra_star = false;
  if (low_and_high[0] == "*" || low_and_high[0] == "?") {
    start = b.min;
    end = b.max;
    extra_star = true;
  } else {
    ASSIGN_OR_RETURN(start, parseIntOrName(low_and_high[0], b));
    if (low_and_high.size() == 1) {
      end = start;
    } else if (low_and_high.size() == 2) {
      ASSIGN_OR_RETURN(end, parseIntOrName(low_and_high[1], b));
    } else {
      return badRequest("too many hyphens: " + expr);
    }
  }
  if (range_and_step.size() == 2) {
    ASSIGN_OR_RETURN(step, parseInt(range_and_step[1]));
    if (single) end = b.max;  // "N/step" means "N-max/step"
    if (step > 1) extra_star = false;
  } else if (range_and_step.size() > 2) {
    return badRequest("too many slashes: " + expr);
  }
  if (start < b.min) {
    return badRequest("beginning of range (" + std::to_string(start) + ") below minimum (" +
                      std::to_string(b.min) + "): " + expr);
  }
  if (end > b.max) {
    return badRequest("end of range (" + std::to_string(end) + ") above maximum (" +
                      std::to_string(b.max) + "): " + expr);
  }
  if (start > end) {
    return badRequest("beginning of range (" + std::to_string(start) + ") beyond end of range (" +
                      std::to_string(end) + "): " + expr);
  }
  if (step == 0) return badRequest("step of range should be a positive number: " + expr);
  for (int v = start; v <= end; v += step) bits[v] = true;
  if (extra_star) star = true;
  return Status::ok();
}

template <size_t N>
Status parseField(const std::string& field, const Bounds& b, std::bitset<N>& out, bool* star) {
  std::vector<bool> bits(N, false);
  bool is_star = false;
  for (const std::string& expr : split(field, ',')) {
    if (expr.empty()) continue;  // Go's FieldsFunc drops empty terms
    RETURN_IF_ERROR(parseRange(expr, b, bits, is_star));
  }
  for (size_t i = 0; i < N; ++i) out[i] = bits[i];
  if (star) *star = is_star;
  return Status::ok();
}

}  // namespace

std::optional<CronTimeZone> findCronTimeZone(std::string_view name) {
  static const char* const kUtc[] = {"",          "UTC",          "Etc/UTC",      "Etc/UCT",
                                     "Etc/Universal", "Etc/Zulu", "UCT",          "Universal",
                                     "Zulu",      "GMT",          "Etc/GMT",      "Etc/GMT0",
                                     "Etc/GMT+0", "Etc/GMT-0",    "Etc/Greenwich", "Greenwich",
                                     "GMT0",      "GMT+0",        "GMT-0"};
  for (const char* z : kUtc) {
    if (name == z) return CronTimeZone{};
  }
  constexpr std::string_view kPrefix = "Etc/GMT";
  if (name.substr(0, kPrefix.size()) == kPrefix && name.size() > kPrefix.size() + 1) {
    char sign = name[kPrefix.size()];
    std::string_view digits = name.substr(kPrefix.size() + 1);
    if ((sign == '+' || sign == '-') && digits.size() <= 2 && digits[0] != '0') {
      int hours = 0;
      for (char c : digits) {
        if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
        hours = hours * 10 + (c - '0');
      }
      // POSIX signs: Etc/GMT+5 is UTC-5; the database has GMT+1..+12 and GMT-1..-14.
      if (sign == '+' && hours <= 12) return CronTimeZone{minutes(-60 * hours)};
      if (sign == '-' && hours <= 14) return CronTimeZone{minutes(60 * hours)};
    }
  }
  return std::nullopt;
}

Result<CronSchedule> CronSchedule::parse(std::string_view spec_view) {
  std::string spec(spec_view);
  if (spec.empty()) return badRequest("empty spec string");
  if (spec[0] == '@') {
    static const std::map<std::string, std::string> kDescriptors = {
        {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
        {"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
        {"@hourly", "0 * * * *"}};
    auto it = kDescriptors.find(spec);
    if (it != kDescriptors.end()) return parse(it->second);
    if (spec.rfind("@every ", 0) == 0) {
      return badRequest("minik8s does not support @every schedules: " + spec);
    }
    return badRequest("unrecognized descriptor: " + spec);
  }
  std::vector<std::string> fields = fieldsOf(spec);
  if (fields.size() != 5) {
    std::string listed;
    for (const auto& f : fields) listed += (listed.empty() ? "" : " ") + f;
    return badRequest("expected exactly 5 fields, found " + std::to_string(fields.size()) + ": [" +
                      listed + "]");
  }
  CronSchedule s;
  RETURN_IF_ERROR(parseField(fields[0], {0, 59, nullptr}, s.minutes_, nullptr));
  RETURN_IF_ERROR(parseField(fields[1], {0, 23, nullptr}, s.hours_, nullptr));
  RETURN_IF_ERROR(parseField(fields[2], {1, 31, nullptr}, s.days_, &s.day_star_));
  RETURN_IF_ERROR(parseField(fields[3], {1, 12, &kMonthNames}, s.months_, nullptr));
  RETURN_IF_ERROR(parseField(fields[4], {0, 6, &kDayNames}, s.weekdays_, &s.weekday_star_));
  return s;
}

bool CronSchedule::dayMatches(int day_of_month, int weekday) const {
  bool dom = days_[day_of_month];
  bool dow = weekdays_[weekday];
  if (day_star_ || weekday_star_) return dom && dow;
  return dom || dow;
}

std::optional<CronSchedule::WallTime> CronSchedule::next(WallTime t, const CronTimeZone& tz) const {
  // Work in local civil time, as a count of minutes since the epoch.
  sys_time<minutes> local = floor<minutes>(t + tz.offset) + minutes(1);
  const year limit = year_month_day(floor<days>(local)).year() + years(5);
  while (true) {
    const sys_days day = floor<days>(local);
    const year_month_day ymd(day);
    if (ymd.year() > limit) return std::nullopt;
    if (!months_[static_cast<unsigned>(ymd.month())]) {
      year_month next_month = ymd.year() / ymd.month() + months(1);
      local = sys_days(next_month / 1);
      continue;
    }
    if (!dayMatches(static_cast<int>(static_cast<unsigned>(ymd.day())),
                    static_cast<int>(weekday(day).c_encoding()))) {
      local = day + days(1);
      continue;
    }
    const hh_mm_ss<minutes> hms(local - day);
    if (!hours_[hms.hours().count()]) {
      local = floor<hours>(local) + hours(1);
      continue;
    }
    if (!minutes_[hms.minutes().count()]) {
      local += minutes(1);
      continue;
    }
    return WallTime(local - tz.offset);
  }
}

}  // namespace minik8s::api
