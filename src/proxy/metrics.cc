#include "proxy/metrics.h"

#include <cstdio>

namespace minik8s::proxy {
namespace {

std::string promNumber(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

}  // namespace

template <size_t N>
void Histogram<N>::observe(double value) {
  for (size_t i = 0; i < N; ++i) {
    if (value <= bounds_[i]) {
      ++counts_[i];
      break;
    }
  }
  ++count_;
  sum_ += value;
}

template <size_t N>
void Histogram<N>::render(const std::string& name, std::string& out) const {
  uint64_t cumulative = 0;
  for (size_t i = 0; i < N; ++i) {
    cumulative += counts_[i];
    out += name + "_bucket{le=\"" + promNumber(bounds_[i]) + "\"} " + std::to_string(cumulative) +
           "\n";
  }
  out += name + "_bucket{le=\"+Inf\"} " + std::to_string(count_) + "\n";
  out += name + "_sum " + promNumber(sum_) + "\n";
  out += name + "_count " + std::to_string(count_) + "\n";
}

void ProxyMetrics::observeNetworkProgramming(double seconds) {
  std::lock_guard lock(mu_);
  network_programming_.observe(seconds);
}

void ProxyMetrics::observeSync(double seconds) {
  std::lock_guard lock(mu_);
  sync_duration_.observe(seconds);
}

uint64_t ProxyMetrics::networkProgrammingCount() const {
  std::lock_guard lock(mu_);
  return network_programming_.count();
}

double ProxyMetrics::networkProgrammingSum() const {
  std::lock_guard lock(mu_);
  return network_programming_.sum();
}

std::string ProxyMetrics::render() const {
  std::lock_guard lock(mu_);
  std::string out;
  out +=
      "# HELP kubeproxy_network_programming_duration_seconds In Cluster Network Programming "
      "Latency in seconds\n"
      "# TYPE kubeproxy_network_programming_duration_seconds histogram\n";
  network_programming_.render("kubeproxy_network_programming_duration_seconds", out);
  out +=
      "# HELP kubeproxy_sync_proxy_rules_duration_seconds SyncProxyRules latency in seconds\n"
      "# TYPE kubeproxy_sync_proxy_rules_duration_seconds histogram\n";
  sync_duration_.render("kubeproxy_sync_proxy_rules_duration_seconds", out);
  return out;
}

std::optional<Clock::WallTime> sliceTriggerTime(const api::EndpointSlice& slice,
                                                Clock::WallTime proxy_start) {
  if (!slice.metadata.deletion_timestamp.empty()) return std::nullopt;
  auto it = slice.metadata.annotations.find(api::kAnnotationLastChangeTriggerTime);
  if (it == slice.metadata.annotations.end()) return std::nullopt;
  Clock::WallTime t;
  if (!parseRfc3339(it->second, &t) || t < proxy_start) return std::nullopt;
  return t;
}

}  // namespace minik8s::proxy
