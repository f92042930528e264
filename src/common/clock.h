// Clock: the one seam for time. Real code takes a Clock&, tests pass a FakeClock so that
// back-off, leases, probes, resyncs and ages are tested without sleeping. Loops wait with
// sleepFor(d, stop), which a FakeClock ends when advance() passes its deadline.
// Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <stop_token>
#include <string>

namespace minik8s {

class Clock {
 public:
  using WallTime = std::chrono::system_clock::time_point;
  using Instant = std::chrono::steady_clock::time_point;

  virtual ~Clock() = default;
  virtual WallTime now() const = 0;         // for timestamps stored in objects
  virtual Instant monotonic() const = 0;    // for deadlines and durations

  // Waits until `d` has passed on this clock (true) or `stop` is requested (false, at
  // once). Never returns early otherwise.
  virtual bool sleepFor(std::chrono::nanoseconds d, std::stop_token stop = {}) = 0;

  static Clock& real();
};

class FakeClock : public Clock {
 public:
  explicit FakeClock(WallTime start = WallTime(std::chrono::seconds(1767225600)))
      : wall_ns_(start.time_since_epoch().count()) {}
  WallTime now() const override { return WallTime(WallTime::duration(wall_ns_.load())); }
  Instant monotonic() const override { return Instant(Instant::duration(mono_ns_.load())); }
  // Moves both clocks on and wakes every sleeper whose deadline has passed.
  void advance(std::chrono::nanoseconds d);
  // Waits in sleepFor until the deadline passes on this clock or stop is requested.
  bool sleepFor(std::chrono::nanoseconds d, std::stop_token stop = {}) override;
  // How many threads are in sleepFor now; tests wait for a loop to be asleep, then advance.
  int sleepers() const;
  // Blocks (in real time) until at least `n` threads are in sleepFor; false after `timeout`.
  bool waitForSleepers(int n, std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
  // How many sleepFor calls have begun so far. To step a loop deterministically: read it,
  // advance(), then waitForSleepCalls(read + 1): the loop has done its work and sleeps again.
  int64_t sleepCalls() const;
  bool waitForSleepCalls(int64_t n, std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;

 private:
  std::atomic<int64_t> wall_ns_;
  std::atomic<int64_t> mono_ns_{0};
  mutable std::mutex mu_;
  mutable std::condition_variable_any cv_;  // advance() and sleepers' arrivals
  int sleepers_ = 0;                        // GUARDED_BY(mu_)
  int64_t sleep_calls_ = 0;                 // GUARDED_BY(mu_)
};

// RFC 3339 with a "Z" suffix and whole seconds, as Kubernetes writes creationTimestamp.
std::string formatRfc3339(Clock::WallTime t);
// RFC 3339 with nanoseconds ("2026-11-27T05:52:39.942459026Z"), as CRI logs use.
std::string formatRfc3339Nano(Clock::WallTime t);
// RFC 3339 with microseconds ("2026-11-27T05:52:39.942459Z"): Kubernetes' MicroTime.
std::string formatRfc3339Micro(Clock::WallTime t);
// Parses both forms above, and numeric offsets ("+02:00"). false on bad input.
bool parseRfc3339(std::string_view s, Clock::WallTime* out);

// Kubernetes' short age: "0s", "45s", "5m", "3h", "2d", "1y" with kubectl's rounding
// (e.g. "5m30s" below 10 minutes, "3h20m" below 3 hours... see HumanDuration).
std::string humanDuration(std::chrono::seconds d);

}  // namespace minik8s
