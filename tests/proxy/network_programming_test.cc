// The network programming latency, kube-proxy's way: the trigger time a slice carries, the
// histogram and its text, and the Proxier observing now - trigger after each successful
// restore (fake clock, fake iptables).
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "proxy/fake_iptables.h"
#include "proxy/metrics.h"
#include "proxy/proxier.h"

namespace minik8s::proxy {
namespace network_programming_test {

using namespace std::chrono_literals;
using testing::FakeIptables;

api::Service webService() {
  api::Service svc;
  svc.metadata.namespace_ = "default";
  svc.metadata.name = "web";
  svc.spec.type = "ClusterIP";
  svc.spec.cluster_ip = "10.96.0.80";
  api::ServicePort p;
  p.name = "http";
  p.protocol = "TCP";
  p.port = 80;
  svc.spec.ports.push_back(p);
  return svc;
}

// web's slice with endpoints `ips`, annotated with `trigger` ("" for none).
api::EndpointSlice webSlice(const std::vector<std::string>& ips, const std::string& trigger) {
  api::EndpointSlice s;
  s.metadata.namespace_ = "default";
  s.metadata.name = "web-abc";
  s.metadata.labels[api::kLabelServiceName] = "web";
  if (!trigger.empty()) s.metadata.annotations[api::kAnnotationLastChangeTriggerTime] = trigger;
  s.address_type = "IPv4";
  s.ports.push_back({.name = "http", .protocol = "TCP", .port = 8080});
  for (const auto& ip : ips) {
    api::Endpoint e;
    e.addresses = {ip};
    e.conditions.ready = true;
    s.endpoints.push_back(e);
  }
  return s;
}

Clock::WallTime at(const std::string& rfc3339) {
  Clock::WallTime t;
  EXPECT_TRUE(parseRfc3339(rfc3339, &t)) << rfc3339;
  return t;
}

// FakeClock's default start, 2026-01-01T00:00:00Z.
constexpr char kStart[] = "2026-01-01T00:00:00Z";

TEST(SliceTriggerTime, TheAnnotationUnlessMissingMalformedDeletingOrOlderThanTheProxy) {
  Clock::WallTime start = at(kStart);
  EXPECT_EQ(sliceTriggerTime(webSlice({}, "2026-01-01T00:00:01.25Z"), start),
            at("2026-01-01T00:00:01.25Z"));
  EXPECT_EQ(sliceTriggerTime(webSlice({}, kStart), start), start);  // not before: counted
  EXPECT_EQ(sliceTriggerTime(webSlice({}, ""), start), std::nullopt);
  EXPECT_EQ(sliceTriggerTime(webSlice({}, "yesterday"), start), std::nullopt);
  EXPECT_EQ(sliceTriggerTime(webSlice({}, "2025-12-31T23:59:59.9Z"), start), std::nullopt);
  api::EndpointSlice deleting = webSlice({}, "2026-01-01T00:00:02Z");
  deleting.metadata.deletion_timestamp = "2026-01-01T00:00:03Z";
  EXPECT_EQ(sliceTriggerTime(deleting, start), std::nullopt);
}

TEST(ProxyMetrics, RendersCumulativeBucketsSumAndCountInPrometheusText) {
  ProxyMetrics metrics;
  metrics.observeNetworkProgramming(0.03);
  metrics.observeNetworkProgramming(0.3);
  metrics.observeNetworkProgramming(400);  // past the last bound: only +Inf
  EXPECT_EQ(metrics.networkProgrammingCount(), 3u);
  EXPECT_DOUBLE_EQ(metrics.networkProgrammingSum(), 400.33);
  std::string text = metrics.render();
  const std::string name = "kubeproxy_network_programming_duration_seconds";
  EXPECT_NE(text.find("# TYPE " + name + " histogram\n"), std::string::npos);
  EXPECT_NE(text.find(name + "_bucket{le=\"0.025\"} 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find(name + "_bucket{le=\"0.05\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find(name + "_bucket{le=\"0.25\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find(name + "_bucket{le=\"0.5\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find(name + "_bucket{le=\"300\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find(name + "_bucket{le=\"+Inf\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find(name + "_sum 400.33\n"), std::string::npos) << text;
  EXPECT_NE(text.find(name + "_count 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("kubeproxy_sync_proxy_rules_duration_seconds_count 0\n"), std::string::npos);
}

class NetworkProgrammingLatency : public ::testing::Test {
 protected:
  NetworkProgrammingLatency() {
    iptables_.clock = &clock_;
    services_.add(webService());
  }
  // The informer's path: the cache first, then the handler.
  void changeSlice(const api::EndpointSlice& slice) {
    auto old = slices_.get("default/web-abc");
    slices_.add(slice);
    proxier_.onSliceChanged(old.get(), slice);
  }
  uint64_t count() const { return proxier_.metrics().networkProgrammingCount(); }
  double sum() const { return proxier_.metrics().networkProgrammingSum(); }

  FakeClock clock_;
  FakeIptables iptables_;
  client::ObjectCache<api::Service> services_;
  client::ObjectCache<api::EndpointSlice> slices_;
  Proxier proxier_{services_, slices_, iptables_, ProxierOptions{}, clock_};
};

TEST_F(NetworkProgrammingLatency, ObservesNowMinusTriggerTimeAfterTheRestore) {
  clock_.advance(2s);
  changeSlice(webSlice({"10.244.0.2"}, "2026-01-01T00:00:01.85Z"));
  EXPECT_EQ(count(), 0u);  // nothing before the rules are in
  ASSERT_TRUE(proxier_.sync(false).isOk());
  EXPECT_EQ(iptables_.restoreCount(), 1u);
  EXPECT_EQ(count(), 1u);
  EXPECT_NEAR(sum(), 0.15, 1e-9);
  // Each change is observed once: a later sync observes nothing more.
  clock_.advance(1s);
  ASSERT_TRUE(proxier_.sync(true).isOk());
  EXPECT_EQ(count(), 1u);
  // A slice update that keeps the annotation (a resync, another field) is not a new change.
  api::EndpointSlice relabelled = webSlice({"10.244.0.2"}, "2026-01-01T00:00:01.85Z");
  relabelled.metadata.labels["team"] = "a";
  changeSlice(relabelled);
  ASSERT_TRUE(proxier_.sync(false).isOk());
  EXPECT_EQ(count(), 1u);
  // The next change, with its own trigger time.
  changeSlice(webSlice({"10.244.0.2", "10.244.0.3"}, "2026-01-01T00:00:02.95Z"));
  ASSERT_TRUE(proxier_.sync(false).isOk());
  EXPECT_EQ(count(), 2u);
  EXPECT_NEAR(sum(), 0.15 + 0.05, 1e-9);
  EXPECT_NE(proxier_.metrics().render().find(
                "kubeproxy_network_programming_duration_seconds_bucket{le=\"0.05\"} 1\n"),
            std::string::npos);
}

TEST_F(NetworkProgrammingLatency, AFailedRestoreKeepsTheTriggerForTheSyncThatSucceeds) {
  clock_.advance(1s);
  changeSlice(webSlice({"10.244.0.2"}, "2026-01-01T00:00:00.9Z"));
  iptables_.fail_restore = true;
  EXPECT_FALSE(proxier_.sync(false).isOk());
  EXPECT_EQ(count(), 0u);
  iptables_.fail_restore = false;
  clock_.advance(1s);
  ASSERT_TRUE(proxier_.sync(false).isOk());
  EXPECT_EQ(count(), 1u);
  EXPECT_NEAR(sum(), 1.1, 1e-9);
}

TEST_F(NetworkProgrammingLatency, SlicesWithoutANewTriggerAfterTheProxyStartAreNotObserved) {
  clock_.advance(5s);
  changeSlice(webSlice({"10.244.0.2"}, "2025-12-31T23:00:00Z"));  // before this proxy began
  ASSERT_TRUE(proxier_.sync(false).isOk());
  changeSlice(webSlice({"10.244.0.3"}, ""));  // no annotation (a slice a user wrote)
  ASSERT_TRUE(proxier_.sync(false).isOk());
  EXPECT_EQ(iptables_.restoreCount(), 2u);
  EXPECT_EQ(count(), 0u);
}

TEST_F(NetworkProgrammingLatency, ATriggerAheadOfTheProxysClockCountsAsZero) {
  changeSlice(webSlice({"10.244.0.2"}, "2026-01-01T00:00:00.5Z"));  // another node's clock
  ASSERT_TRUE(proxier_.sync(false).isOk());
  EXPECT_EQ(count(), 1u);
  EXPECT_EQ(sum(), 0.0);
}

}  // namespace network_programming_test
}  // namespace minik8s::proxy
