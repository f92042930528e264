// The proxy with REAL iptables and REAL traffic, entirely inside network namespaces this
// test creates (netns_fixture.h): the Proxier, fed from hand-filled caches, applies its
// rules with `ip netns exec NODE iptables-restore`, and connections are made from the node
// (or a pod) to ClusterIPs and NodePorts. Needs root, as CI has.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "proxy/netns_fixture.h"
#include "proxy/proxier.h"

namespace minik8s::proxy {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace testing;

api::Service service(const std::string& name, const std::string& ip, int port = 80,
                     int node_port = 0) {
  api::Service svc;
  svc.metadata.namespace_ = "default";
  svc.metadata.name = name;
  svc.spec.type = node_port ? "NodePort" : "ClusterIP";
  svc.spec.cluster_ip = ip;
  svc.spec.session_affinity = "None";
  svc.spec.external_traffic_policy = node_port ? "Cluster" : "";
  api::ServicePort p;
  p.name = "http";
  p.protocol = "TCP";
  p.port = port;
  p.node_port = node_port;
  svc.spec.ports.push_back(p);
  return svc;
}

api::EndpointSlice slice(const std::string& name, const std::vector<std::string>& ips,
                         const std::string& protocol = "TCP") {
  api::EndpointSlice s;
  s.metadata.namespace_ = "default";
  s.metadata.name = name + "-x";
  s.metadata.labels[api::kLabelServiceName] = name;
  s.address_type = "IPv4";
  s.ports.push_back({.name = "http", .protocol = protocol, .port = 8080});
  for (const auto& ip : ips) {
    api::Endpoint e;
    e.addresses = {ip};
    e.node_name = "node-a";
    e.conditions.ready = true;
    s.endpoints.push_back(e);
  }
  return s;
}

class ProxyNetnsTest : public NetnsTest {
 protected:
  void TearDown() override {
    if (proxier_) proxier_->stop();
    proxier_.reset();
    NetnsTest::TearDown();
  }

  void startProxy(Balance balance) {
    ProxierOptions options;
    options.render.node_name = "node-a";
    options.render.balance = balance;
    options.min_sync_period = 10ms;
    proxier_ = std::make_unique<Proxier>(services_, slices_, *iptables_, options);
    proxier_->start();
    waitForRestores(1);
  }
  // Waits (in real time, with a deadline) until the proxier applied `n` transactions.
  void waitForRestores(int64_t n) {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (proxier_->restores() < n && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(5ms);
    ASSERT_GE(proxier_->restores(), n);
  }
  void change(const std::function<void()>& edit) {
    int64_t before = proxier_->restores();
    edit();
    proxier_->requestSync();
    waitForRestores(before + 1);
  }
  std::string saved(const std::string& table) {
    auto text = iptables_->save(table);
    EXPECT_TRUE(text.isOk());
    return text.isOk() ? *text : "";
  }

  Proxier::ServiceCache services_;
  Proxier::SliceCache slices_;
  std::unique_ptr<Proxier> proxier_;
};

TEST_F(ProxyNetnsTest, RoundRobinClusterIpGivesEachPodExactlyItsShare) {
  services_.add(service("web", "10.96.100.10"));
  slices_.add(slice("web", {kPodA, kPodB}));
  startProxy(Balance::kRoundRobin);
  std::map<std::string, int> answers;
  for (int i = 0; i < 90; ++i) answers[connectFrom(node_, "10.96.100.10", 80)]++;
  EXPECT_EQ(answers, (std::map<std::string, int>{{"pod-a\n", 45}, {"pod-b\n", 45}}));
}

TEST_F(ProxyNetnsTest, RandomClusterIpReachesEveryPod) {
  services_.add(service("web", "10.96.100.10"));
  slices_.add(slice("web", {kPodA, kPodB}));
  startProxy(Balance::kRandom);
  std::map<std::string, int> answers;
  for (int i = 0; i < 60; ++i) answers[connectFrom(node_, "10.96.100.10", 80)]++;
  EXPECT_EQ(answers.size(), 2u);  // odds of a miss: 2 * 2^-60
  EXPECT_GT(answers["pod-a\n"], 0);
  EXPECT_GT(answers["pod-b\n"], 0);
}

TEST_F(ProxyNetnsTest, ClientIpAffinityKeepsOneClientOnOnePod) {
  api::Service svc = service("web", "10.96.100.10");
  svc.spec.session_affinity = "ClientIP";
  services_.add(svc);
  slices_.add(slice("web", {kPodA, kPodB}));
  startProxy(Balance::kRoundRobin);  // without affinity this would alternate
  std::map<std::string, int> answers;
  for (int i = 0; i < 10; ++i) answers[connectFrom(node_, "10.96.100.10", 80)]++;
  EXPECT_EQ(answers.size(), 1u);
  EXPECT_EQ(answers.begin()->second, 10);
}

TEST_F(ProxyNetnsTest, NodePortAnswersOnNodeAddressLoopbackAndFromAPod) {
  services_.add(service("web", "10.96.100.10", 80, 30080));
  slices_.add(slice("web", {kPodB}));
  startProxy(Balance::kRandom);
  EXPECT_EQ(connectFrom(node_, kNodeIp, 30080), "pod-b\n");
  EXPECT_EQ(connectFrom(node_, "127.0.0.1", 30080), "pod-b\n");   // route_localnet + masquerade
  EXPECT_EQ(connectFrom(pod_a_, kNodeIp, 30080), "pod-b\n");      // arrives through PREROUTING
  EXPECT_EQ(connectFrom(pod_a_, "10.96.100.10", 80), "pod-b\n");  // ClusterIP from a pod
}

TEST_F(ProxyNetnsTest, HairpinPodReachesItselfThroughItsService) {
  services_.add(service("self", "10.96.100.11"));
  slices_.add(slice("self", {kPodA}));
  startProxy(Balance::kRandom);
  EXPECT_EQ(connectFrom(pod_a_, "10.96.100.11", 80), "pod-a\n");
}

TEST_F(ProxyNetnsTest, NoEndpointsAndUnownedServiceIpsAreRefusedAtOnce) {
  // Without the proxy, both addresses go to the dummy route and hang: the refusals below are
  // the proxy's doing.
  EXPECT_EQ(connectFrom(node_, "10.96.100.10", 80, 300ms), "timeout");
  EXPECT_EQ(connectFrom(node_, "10.96.200.200", 80, 300ms), "timeout");

  services_.add(service("web", "10.96.100.10", 80, 30080));
  slices_.add(slice("web", {kPodA}));
  startProxy(Balance::kRandom);
  EXPECT_EQ(connectFrom(node_, "10.96.100.10", 80), "pod-a\n");

  // Refused from the node and from a pod, each well before a SYN retransmit (1 s).
  auto timed = [&](const std::string& ip, int port) {
    std::string answers;
    for (const auto& ns : {node_, pod_a_}) {
      auto t0 = std::chrono::steady_clock::now();
      answers += connectFrom(ns, ip, port) + ";";
      EXPECT_LT(std::chrono::steady_clock::now() - t0, 300ms) << ns << " -> " << ip << ":" << port;
    }
    return answers;
  };
  EXPECT_EQ(timed("10.96.200.200", 80), "refused;refused;");  // no Service owns it
  EXPECT_EQ(timed("10.96.100.10", 81), "refused;refused;");   // owned, but not a service port

  change([&] { slices_.add(slice("web", {})); });  // scaled to 0
  EXPECT_EQ(timed("10.96.100.10", 80), "refused;refused;");
  EXPECT_EQ(timed(kNodeIp, 30080), "refused;refused;");
  EXPECT_EQ(connectFrom(node_, "127.0.0.1", 30080), "refused");

  change([&] { slices_.add(slice("web", {kPodB})); });  // back
  EXPECT_EQ(connectFrom(node_, "10.96.100.10", 80), "pod-b\n");
}

TEST_F(ProxyNetnsTest, RemovedEndpointLeavesTheRulesAndADeletedServiceItsChains) {
  services_.add(service("web", "10.96.100.10"));
  slices_.add(slice("web", {kPodA, kPodB}));
  startProxy(Balance::kRoundRobin);
  change([&] { slices_.add(slice("web", {kPodB})); });
  for (int i = 0; i < 6; ++i) EXPECT_EQ(connectFrom(node_, "10.96.100.10", 80), "pod-b\n");
  EXPECT_THAT(saved("nat"), HasSubstr("KUBE-SVC-"));
  change([&] { services_.put("default/web", "", nullptr); });
  std::string nat = saved("nat");
  EXPECT_THAT(nat, Not(HasSubstr("KUBE-SVC-")));
  EXPECT_THAT(nat, Not(HasSubstr("KUBE-SEP-")));
  EXPECT_EQ(connectFrom(node_, "10.96.100.10", 80), "refused");
}

TEST_F(ProxyNetnsTest, UdpFlowsFollowARemovedEndpointBecauseTheirConntrackEntryIsDeleted) {
  api::Service dns = service("dns", "10.96.100.53", 53);
  dns.spec.ports[0].protocol = "UDP";
  services_.add(dns);
  slices_.add(slice("dns", {kPodA}, "UDP"));
  startProxy(Balance::kRandom);
  EXPECT_EQ(udpExchange(node_, "10.96.100.53", 53, 40053), "pod-a\n");
  // pod-a leaves the service but keeps running. The same 5-tuple would stay on pod-a
  // through its conntrack entry; the proxy deletes that entry, so it reaches pod-b.
  change([&] { slices_.add(slice("dns", {kPodB}, "UDP")); });
  EXPECT_EQ(udpExchange(node_, "10.96.100.53", 53, 40053), "pod-b\n");
}

TEST_F(ProxyNetnsTest, ARestartedProxyNeverInterruptsTraffic) {
  services_.add(service("web", "10.96.100.10"));
  slices_.add(slice("web", {kPodA, kPodB}));
  startProxy(Balance::kRoundRobin);
  std::atomic<bool> done{false};
  std::atomic<int> ok{0}, failed{0};
  std::thread sampler([&] {
    while (!done) {
      std::string r = connectFrom(node_, "10.96.100.10", 80);
      (r == "pod-a\n" || r == "pod-b\n" ? ok : failed)++;
    }
  });
  // The old proxy goes; a new one makes its full sync over the rules in place, 20 times.
  proxier_->stop();
  for (int i = 0; i < 20; ++i) {
    ProxierOptions options;
    options.render.node_name = "node-a";
    options.render.balance = Balance::kRoundRobin;
    Proxier restarted(services_, slices_, *iptables_, options);
    ASSERT_OK(restarted.sync(true));
  }
  done = true;
  sampler.join();
  EXPECT_GT(ok.load(), 20);
  EXPECT_EQ(failed.load(), 0);
}

TEST_F(ProxyNetnsTest, CleanupRemovesEveryRuleAndChainOfOurs) {
  std::string filter_before = saved("filter");
  services_.add(service("web", "10.96.100.10", 80, 30080));
  api::Service dns = service("dns", "10.96.100.53", 53);
  dns.spec.ports[0].protocol = "UDP";
  services_.add(dns);
  slices_.add(slice("web", {kPodA}));
  slices_.add(slice("dns", {kPodB}, "UDP"));
  startProxy(Balance::kRandom);
  ASSERT_EQ(connectFrom(node_, "10.96.100.10", 80), "pod-a\n");
  proxier_->stop();
  ASSERT_OK(cleanupIptables(*iptables_));  // runs the real conntrack for the UDP IP
  std::string all = saved("filter") + saved("nat");
  EXPECT_THAT(all, Not(HasSubstr("KUBE-")));
  EXPECT_EQ(connectFrom(node_, "10.96.100.10", 80, 300ms), "timeout");  // back to no proxy
  ASSERT_OK(cleanupIptables(*iptables_));                               // idempotent
}

}  // namespace
}  // namespace minik8s::proxy
