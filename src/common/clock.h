// Clock: the one seam for time. Real code takes a Clock&, tests pass a FakeClock so that
// back-off, leases, probes and ages are tested without sleeping. Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace minik8s {

class Clock {
 public:
  using WallTime = std::chrono::system_clock::time_point;
  using Instant = std::chrono::steady_clock::time_point;

  virtual ~Clock() = default;
  virtual WallTime now() const = 0;         // for timestamps stored in objects
  virtual Instant monotonic() const = 0;    // for deadlines and durations

  static Clock& real();
};

class FakeClock : public Clock {
 public:
  explicit FakeClock(WallTime start = WallTime(std::chrono::seconds(1767225600)))
      : wall_ns_(start.time_since_epoch().count()) {}
  WallTime now() const override { return WallTime(WallTime::duration(wall_ns_.load())); }
  Instant monotonic() const override { return Instant(Instant::duration(mono_ns_.load())); }
  void advance(std::chrono::nanoseconds d) {
    wall_ns_ += std::chrono::duration_cast<WallTime::duration>(d).count();
    mono_ns_ += std::chrono::duration_cast<Instant::duration>(d).count();
  }

 private:
  std::atomic<int64_t> wall_ns_;
  std::atomic<int64_t> mono_ns_{0};
};

// RFC 3339 with a "Z" suffix and whole seconds, as Kubernetes writes creationTimestamp.
std::string formatRfc3339(Clock::WallTime t);
// RFC 3339 with nanoseconds ("2026-11-27T05:52:39.942459026Z"), as CRI logs use.
std::string formatRfc3339Nano(Clock::WallTime t);
// Parses both forms above, and numeric offsets ("+02:00"). false on bad input.
bool parseRfc3339(std::string_view s, Clock::WallTime* out);

// Kubernetes' short age: "0s", "45s", "5m", "3h", "2d", "1y" with kubectl's rounding
// (e.g. "5m30s" below 10 minutes, "3h20m" below 3 hours... see HumanDuration).
std::string humanDuration(std::chrono::seconds d);

}  // namespace minik8s
