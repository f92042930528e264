// Metrics: the apiserver's Prometheus counters and histograms, rendered as text for
// /metrics. Requests by verb, resource and code with latency histograms; open watches;
// etcd operation latency (through InstrumentedStore). Thread-safe (one mutex; updates
// are a map lookup and a few additions).
#pragma once

#include <array>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>

#include "store/store.h"

namespace minik8s::apiserver {

class Histogram {
 public:
  static constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,   0.25,   0.5,   1,    5};
  void observe(double seconds);
  // Appends `name_bucket{labels,le=..}`, `name_sum{labels}`, `name_count{labels}` lines.
  void render(const std::string& name, const std::string& labels, std::string& out) const;

 private:
  std::array<uint64_t, kBuckets.size()> counts_{};
  uint64_t count_ = 0;
  double sum_ = 0;
};

class Metrics {
 public:
  void recordRequest(const std::string& verb, const std::string& resource, int code,
                     std::chrono::duration<double> latency);
  void recordEtcd(const std::string& operation, std::chrono::duration<double> latency);
  // Gauges read at render time.
  void setOpenWatchesSource(std::function<size_t()> source);
  std::string render() const;

 private:
  mutable std::mutex mu_;
  std::map<std::tuple<std::string, std::string, int>, uint64_t> requests_;  // GUARDED_BY(mu_)
  std::map<std::pair<std::string, std::string>, Histogram> request_latency_;  // GUARDED_BY(mu_)
  std::map<std::string, Histogram> etcd_latency_;                           // GUARDED_BY(mu_)
  std::function<size_t()> open_watches_;
};

// A Store that records the latency of every call in Metrics and forwards to another.
class InstrumentedStore : public store::Store {
 public:
  InstrumentedStore(store::Store& inner, Metrics& metrics) : inner_(inner), metrics_(metrics) {}

  Result<store::KeyValue> get(const std::string& key) override;
  Result<store::ListResult> list(const std::string& prefix, int64_t revision = 0) override;
  Result<int64_t> create(const std::string& key, const std::string& value,
                         int64_t lease = 0) override;
  Result<int64_t> update(const std::string& key, const std::string& value,
                         int64_t expected_revision, int64_t lease = 0) override;
  Result<store::KeyValue> remove(const std::string& key, int64_t expected_revision = 0) override;
  Result<std::unique_ptr<store::Watch>> watch(const std::string& prefix, int64_t after_revision,
                                              store::WatchCallback on_events,
                                              store::WatchErrorCallback on_error) override;
  Status compact(int64_t revision) override;
  Result<int64_t> currentRevision() override;
  Result<int64_t> grantLease(int64_t ttl_seconds) override;
  Status keepAliveLease(int64_t lease_id) override;
  Status revokeLease(int64_t lease_id) override;

 private:
  template <typename F>
  auto timed(const char* operation, F&& f);

  store::Store& inner_;
  Metrics& metrics_;
};

}  // namespace minik8s::apiserver
