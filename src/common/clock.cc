#include "common/clock.h"

#include <cstdio>
#include <ctime>

namespace minik8s {

namespace {

class RealClock : public Clock {
 public:
  WallTime now() const override { return std::chrono::system_clock::now(); }
  Instant monotonic() const override { return std::chrono::steady_clock::now(); }
  bool sleepFor(std::chrono::nanoseconds d, std::stop_token stop) override {
    std::mutex mu;
    std::condition_variable_any cv;
    std::unique_lock lock(mu);
    cv.wait_for(lock, stop, d, [] { return false; });
    return !stop.stop_requested();
  }
};

std::tm toUtc(Clock::WallTime t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return tm;
}

}  // namespace

Clock& Clock::real() {
  static RealClock clock;
  return clock;
}

void FakeClock::advance(std::chrono::nanoseconds d) {
  {
    std::lock_guard lock(mu_);
    wall_ns_ += std::chrono::duration_cast<WallTime::duration>(d).count();
    mono_ns_ += std::chrono::duration_cast<Instant::duration>(d).count();
  }
  cv_.notify_all();
}

bool FakeClock::sleepFor(std::chrono::nanoseconds d, std::stop_token stop) {
  std::unique_lock lock(mu_);
  const Instant deadline = monotonic() + std::chrono::duration_cast<Instant::duration>(d);
  ++sleepers_;
  ++sleep_calls_;
  cv_.notify_all();
  bool woke = cv_.wait(lock, stop, [&] { return monotonic() >= deadline; });
  --sleepers_;
  return woke;
}

int FakeClock::sleepers() const {
  std::lock_guard lock(mu_);
  return sleepers_;
}

int64_t FakeClock::sleepCalls() const {
  std::lock_guard lock(mu_);
  return sleep_calls_;
}

bool FakeClock::waitForSleepCalls(int64_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return sleep_calls_ >= n; });
}

bool FakeClock::waitForSleepers(int n, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return sleepers_ >= n; });
}

std::string formatRfc3339(Clock::WallTime t) {
  std::tm tm = toUtc(t);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string formatRfc3339Nano(Clock::WallTime t) {
  auto since = t.time_since_epoch();
  auto secs = std::chrono::floor<std::chrono::seconds>(since);
  auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(since - secs).count();
  std::tm tm = toUtc(Clock::WallTime(std::chrono::duration_cast<Clock::WallTime::duration>(secs)));
  char buf[48];
  size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%09lldZ", static_cast<long long>(nanos));
  return buf;
}

std::string formatRfc3339Micro(Clock::WallTime t) {
  std::string nano = formatRfc3339Nano(t);  // ...05.123456789Z
  auto dot = nano.find('.');
  if (dot == std::string::npos) return nano;
  std::string frac = nano.substr(dot + 1, nano.size() - dot - 2);
  frac.resize(6, '0');
  return nano.substr(0, dot) + "." + frac + "Z";
}

bool parseRfc3339(std::string_view s, Clock::WallTime* out) {
  int year, mon, day, hour, min, sec;
  int consumed = 0;
  std::string str(s);
  if (std::sscanf(str.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &year, &mon, &day, &hour, &min, &sec,
                  &consumed) != 6) {
    return false;
  }
  size_t pos = static_cast<size_t>(consumed);
  int64_t nanos = 0;
  if (pos < str.size() && str[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < str.size() && std::isdigit(static_cast<unsigned char>(str[pos]))) {
      if (digits < 9) {
        nanos = nanos * 10 + (str[pos] - '0');
        ++digits;
      }
      ++pos;
    }
    for (; digits < 9; ++digits) nanos *= 10;
  }
  int offset_secs = 0;
  if (pos < str.size() && (str[pos] == 'Z' || str[pos] == 'z')) {
    ++pos;
  } else if (pos < str.size() && (str[pos] == '+' || str[pos] == '-')) {
    int oh = 0, om = 0;
    if (std::sscanf(str.c_str() + pos + 1, "%2d:%2d", &oh, &om) != 2) return false;
    offset_secs = (oh * 3600 + om * 60) * (str[pos] == '+' ? 1 : -1);
    pos += 6;
  } else {
    return false;
  }
  if (pos != str.size()) return false;
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = mon - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = min;
  tm.tm_sec = sec;
  std::time_t secs = timegm(&tm);
  auto tp = std::chrono::system_clock::from_time_t(secs - offset_secs);
  *out = tp + std::chrono::duration_cast<Clock::WallTime::duration>(std::chrono::nanoseconds(nanos));
  return true;
}

std::string humanDuration(std::chrono::seconds d) {
  // Mirrors k8s.io/apimachinery/pkg/util/duration.HumanDuration.
  long long s = d.count();
  if (s < 0) s = 0;
  auto str = [](long long v, const char* unit) { return std::to_string(v) + unit; };
  if (s < 60 * 2) return str(s, "s");
  long long minutes = s / 60;
  if (minutes < 10) {
    long long rem = s % 60;
    return rem == 0 ? str(minutes, "m") : str(minutes, "m") + str(rem, "s");
  }
  if (minutes < 60 * 3) return str(minutes, "m");
  long long hours = s / 3600;
  if (hours < 8) {
    long long rem = minutes % 60;
    return rem == 0 ? str(hours, "h") : str(hours, "h") + str(rem, "m");
  }
  if (hours < 48) return str(hours, "h");
  if (hours < 24 * 8) {
    long long rem = hours % 24;
    return rem == 0 ? str(hours / 24, "d") : str(hours / 24, "d") + str(rem, "h");
  }
  if (hours < 24 * 365 * 2) return str(hours / 24, "d");
  if (hours < 24 * 365 * 8) {
    long long days = hours / 24;
    long long rem = days % 365;
    return rem == 0 ? str(days / 365, "y") : str(days / 365, "y") + str(rem, "d");
  }
  return str(hours / 24 / 365, "y");
}

}  // namespace minik8s
