#include "apiserver/metrics.h"

#include <cstdio>

namespace minik8s::apiserver {

void Histogram::observe(double seconds) {
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) ++counts_[i];
  }
  ++count_;
  sum_ += seconds;
}

void Histogram::render(const std::string& name, const std::string& labels, std::string& out) const {
  std::string sep = labels.empty() ? "" : ",";
  char num[64];
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    std::snprintf(num, sizeof num, "%g", kBuckets[i]);
    out += name + "_bucket{" + labels + sep + "le=\"" + num + "\"} " + std::to_string(counts_[i]) + "\n";
  }
  out += name + "_bucket{" + labels + sep + "le=\"+Inf\"} " + std::to_string(count_) + "\n";
  std::snprintf(num, sizeof num, "%.6f", sum_);
  out += name + "_sum{" + labels + "} " + num + "\n";
  out += name + "_count{" + labels + "} " + std::to_string(count_) + "\n";
}

void Metrics::recordRequest(const std::string& verb, const std::string& resource, int code,
                            std::chrono::duration<double> latency) {
  std::lock_guard lock(mu_);
  ++requests_[{verb, resource, code}];
  request_latency_[{verb, resource}].observe(latency.count());
}

void Metrics::recordEtcd(const std::string& operation, std::chrono::duration<double> latency) {
  std::lock_guard lock(mu_);
  etcd_latency_[operation].observe(latency.count());
}

void Metrics::setOpenWatchesSource(std::function<size_t()> source) {
  std::lock_guard lock(mu_);
  open_watches_ = std::move(source);
}

std::string Metrics::render() const {
  std::string out;
  std::lock_guard lock(mu_);
  out += "# HELP apiserver_request_total Requests by verb, resource and HTTP code.\n";
  out += "# TYPE apiserver_request_total counter\n";
  for (const auto& [key, n] : requests_) {
    const auto& [verb, resource, code] = key;
    out += "apiserver_request_total{verb=\"" + verb + "\",resource=\"" + resource + "\",code=\"" +
           std::to_string(code) + "\"} " + std::to_string(n) + "\n";
  }
  out += "# HELP apiserver_request_duration_seconds Request latency by verb and resource.\n";
  out += "# TYPE apiserver_request_duration_seconds histogram\n";
  for (const auto& [key, h] : request_latency_) {
    h.render("apiserver_request_duration_seconds",
             "verb=\"" + key.first + "\",resource=\"" + key.second + "\"", out);
  }
  out += "# HELP apiserver_longrunning_requests Open watch streams.\n";
  out += "# TYPE apiserver_longrunning_requests gauge\n";
  out += "apiserver_longrunning_requests{verb=\"watch\"} " +
         std::to_string(open_watches_ ? open_watches_() : 0) + "\n";
  out += "# HELP etcd_request_duration_seconds etcd call latency by operation.\n";
  out += "# TYPE etcd_request_duration_seconds histogram\n";
  for (const auto& [op, h] : etcd_latency_) {
    h.render("etcd_request_duration_seconds", "operation=\"" + op + "\"", out);
  }
  return out;
}

template <typename F>
auto InstrumentedStore::timed(const char* operation, F&& f) {
  auto start = std::chrono::steady_clock::now();
  auto result = f();
  metrics_.recordEtcd(operation, std::chrono::steady_clock::now() - start);
  return result;
}

Result<store::KeyValue> InstrumentedStore::get(const std::string& key) {
  return timed("get", [&] { return inner_.get(key); });
}
Result<store::ListResult> InstrumentedStore::list(const std::string& prefix, int64_t revision) {
  return timed("list", [&] { return inner_.list(prefix, revision); });
}
Result<int64_t> InstrumentedStore::create(const std::string& key, const std::string& value,
                                          int64_t lease) {
  return timed("create", [&] { return inner_.create(key, value, lease); });
}
Result<int64_t> InstrumentedStore::update(const std::string& key, const std::string& value,
                                          int64_t expected_revision, int64_t lease) {
  return timed("update", [&] { return inner_.update(key, value, expected_revision, lease); });
}
Result<store::KeyValue> InstrumentedStore::remove(const std::string& key,
                                                  int64_t expected_revision) {
  return timed("delete", [&] { return inner_.remove(key, expected_revision); });
}
Result<std::unique_ptr<store::Watch>> InstrumentedStore::watch(const std::string& prefix,
                                                               int64_t after_revision,
                                                               store::WatchCallback on_events,
                                                               store::WatchErrorCallback on_error) {
  return inner_.watch(prefix, after_revision, std::move(on_events), std::move(on_error));
}
Status InstrumentedStore::compact(int64_t revision) {
  return timed("compact", [&] { return inner_.compact(revision); });
}
Result<int64_t> InstrumentedStore::currentRevision() {
  return timed("revision", [&] { return inner_.currentRevision(); });
}
Result<int64_t> InstrumentedStore::grantLease(int64_t ttl_seconds) {
  return timed("lease_grant", [&] { return inner_.grantLease(ttl_seconds); });
}
Status InstrumentedStore::keepAliveLease(int64_t lease_id) {
  return timed("lease_keepalive", [&] { return inner_.keepAliveLease(lease_id); });
}
Status InstrumentedStore::revokeLease(int64_t lease_id) {
  return timed("lease_revoke", [&] { return inner_.revokeLease(lease_id); });
}

}  // namespace minik8s::apiserver
