// The syncer's decisions with a fake iptables and a fake clock: when it syncs, what it
// coalesces, when it skips the restore, which UDP conntrack entries it deletes, --cleanup.
#include "proxy/proxier.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "proxy/fake_iptables.h"

namespace minik8s::proxy {
namespace proxier_test {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using testing::FakeIptables;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using Args = std::vector<std::string>;

api::Service service(const std::string& name, const std::string& ip,
                     const std::string& protocol = "TCP") {
  api::Service svc;
  svc.metadata.namespace_ = "default";
  svc.metadata.name = name;
  svc.spec.type = "ClusterIP";
  svc.spec.cluster_ip = ip;
  api::ServicePort p;
  p.name = "p";
  p.protocol = protocol;
  p.port = 53;
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
  s.ports.push_back({.name = "p", .protocol = protocol, .port = 5353});
  for (const auto& ip : ips) {
    api::Endpoint e;
    e.addresses = {ip};
    e.conditions.ready = true;
    s.endpoints.push_back(e);
  }
  return s;
}

ServicePortInfo udpPort(const std::string& ip, std::vector<std::string> endpoint_ips,
                        int node_port = 0) {
  ServicePortInfo sp;
  sp.ns = "default";
  sp.name = "dns";
  sp.port_name = "p";
  sp.protocol = "UDP";
  sp.cluster_ip = ip;
  sp.port = 53;
  sp.node_port = node_port;
  for (const auto& e : endpoint_ips) sp.endpoints.push_back({.ip = e, .port = 5353});
  return sp;
}

TEST(NextSyncDelay, FirstAtOnceThenMinPeriodForChangesAndSyncPeriodOtherwise) {
  Clock::Instant t0{std::chrono::seconds(100)};
  EXPECT_EQ(nextSyncDelay(t0, std::nullopt, false, 1s, 30s), 0ns);
  EXPECT_EQ(nextSyncDelay(t0 + 200ms, t0, true, 1s, 30s), 800ms);
  EXPECT_EQ(nextSyncDelay(t0 + 2s, t0, true, 1s, 30s), 0ns);
  EXPECT_EQ(nextSyncDelay(t0 + 2s, t0, false, 1s, 30s), 28s);
  EXPECT_EQ(nextSyncDelay(t0 + 31s, t0, false, 1s, 30s), 0ns);
  EXPECT_EQ(nextSyncDelay(t0, t0, true, 0s, 30s), 0ns);  // min period 0: every change at once
}

TEST(StaleUdpConntrack, RemovedEndpointAndDeletedServiceAndFirstEndpoint) {
  // An endpoint leaves: flows DNATed to it go.
  EXPECT_THAT(
      staleUdpConntrack({udpPort("10.96.0.53", {"10.244.0.2", "10.244.0.3"}, 30053)},
                        {udpPort("10.96.0.53", {"10.244.0.3"}, 30053)}, "n"),
      ElementsAre(Args{"-p", "udp", "--orig-dst", "10.96.0.53", "--dst-nat", "10.244.0.2"},
                  Args{"-p", "udp", "--orig-port-dst", "30053", "--dst-nat", "10.244.0.2"}));
  // The service is deleted: every flow to its IP goes.
  EXPECT_THAT(staleUdpConntrack({udpPort("10.96.0.53", {"10.244.0.2"})}, {}, "n"),
              ElementsAre(Args{"-p", "udp", "--orig-dst", "10.96.0.53"}));
  // From no endpoint to one: the flows created while it was rejected go.
  EXPECT_THAT(
      staleUdpConntrack({udpPort("10.96.0.53", {})}, {udpPort("10.96.0.53", {"10.244.0.2"})}, "n"),
      ElementsAre(Args{"-p", "udp", "--orig-dst", "10.96.0.53", "--orig-port-dst", "53"}));
  // Nothing changed, or TCP: nothing.
  EXPECT_THAT(staleUdpConntrack({udpPort("10.96.0.53", {"10.244.0.2"})},
                                {udpPort("10.96.0.53", {"10.244.0.2"})}, "n"),
              IsEmpty());
  ServicePortInfo tcp = udpPort("10.96.0.80", {"10.244.0.2"});
  tcp.protocol = "TCP";
  EXPECT_THAT(staleUdpConntrack({tcp}, {}, "n"), IsEmpty());
}

TEST(ConntrackOfRules, ServiceIpsAndNodePortsOfTheProtocolsRules) {
  IptablesState state = parseIptablesSave(
      "*nat\n:KUBE-SERVICES - [0:0]\n"
      "-A KUBE-SERVICES -d 10.96.0.53/32 -p udp -m comment --comment \"x\" -m udp --dport 53 -j "
      "KUBE-SVC-A\n"
      "-A KUBE-SERVICES -d 10.96.0.80/32 -p tcp -m tcp --dport 80 -j KUBE-SVC-B\n"
      "-A KUBE-NODEPORTS -p udp -m udp --dport 30053 -j KUBE-EXT-A\nCOMMIT\n"
      "*filter\n-A KUBE-SERVICES -d 10.96.0.54/32 -p udp -m udp --dport 53 -j REJECT\nCOMMIT\n");
  EXPECT_THAT(conntrackOfRules(state, "udp"),
              ElementsAre(Args{"-p", "udp", "--orig-dst", "10.96.0.54"},
                          Args{"-p", "udp", "--orig-dst", "10.96.0.53"},
                          Args{"-p", "udp", "--orig-port-dst", "30053"}));
  // Every protocol (down's cleanup): the TCP service too.
  EXPECT_THAT(conntrackOfRules(state, ""),
              ElementsAre(Args{"-p", "udp", "--orig-dst", "10.96.0.54"},
                          Args{"-p", "udp", "--orig-dst", "10.96.0.53"},
                          Args{"-p", "tcp", "--orig-dst", "10.96.0.80"},
                          Args{"-p", "udp", "--orig-port-dst", "30053"}));
}

class ProxierTest : public ::testing::Test {
 protected:
  ProxierOptions options() {
    ProxierOptions o;
    o.render.node_name = "n";
    o.min_sync_period = 1s;
    o.sync_period = 30s;
    return o;
  }
  Proxier::ServiceCache services_;
  Proxier::SliceCache slices_;
  ProxierTest() { iptables_.clock = &clock_; }
  FakeClock clock_;
  FakeIptables iptables_;
};

TEST_F(ProxierTest, SyncRestoresOnceAndSkipsAnUnchangedPartialSync) {
  services_.add(service("web", "10.96.0.10"));
  slices_.add(slice("web", {"10.244.0.2"}));
  Proxier proxier(services_, slices_, iptables_, options(), clock_);
  ASSERT_TRUE(proxier.sync(true).isOk());
  ASSERT_EQ(iptables_.restoreCount(), 1u);
  EXPECT_THAT(iptables_.restores[0], HasSubstr("--to-destination 10.244.0.2:5353"));

  ASSERT_TRUE(proxier.sync(false).isOk());
  EXPECT_EQ(iptables_.restoreCount(), 1u);  // nothing changed:
  EXPECT_EQ(iptables_.saves, 2);            // not even read
  ASSERT_TRUE(proxier.sync(true).isOk());
  EXPECT_EQ(iptables_.restoreCount(), 2u);  // a full sync always restores

  slices_.add(slice("web", {"10.244.0.3"}));
  ASSERT_TRUE(proxier.sync(false).isOk());
  ASSERT_EQ(iptables_.restoreCount(), 3u);
  EXPECT_THAT(iptables_.restores[2], HasSubstr("--to-destination 10.244.0.3:5353"));
  EXPECT_THAT(iptables_.restores[2], Not(HasSubstr("10.244.0.2")));
  EXPECT_EQ(proxier.syncAttempts(), 4);
}

TEST_F(ProxierTest, FailuresAreReportedAndNothingIsRecordedAsApplied) {
  services_.add(service("web", "10.96.0.10"));
  Proxier proxier(services_, slices_, iptables_, options(), clock_);
  iptables_.fail_save = true;
  EXPECT_FALSE(proxier.sync(false).isOk());
  iptables_.fail_save = false;
  iptables_.fail_restore = true;
  EXPECT_FALSE(proxier.sync(false).isOk());
  iptables_.fail_restore = false;
  ASSERT_TRUE(proxier.sync(false).isOk());  // not skipped: the last text never went in
  EXPECT_EQ(iptables_.restoreCount(), 1u);
}

TEST_F(ProxierTest, UdpEndpointRemovalDeletesItsConntrackEntries) {
  services_.add(service("dns", "10.96.0.53", "UDP"));
  slices_.add(slice("dns", {"10.244.0.2", "10.244.0.3"}, "UDP"));
  Proxier proxier(services_, slices_, iptables_, options(), clock_);
  ASSERT_TRUE(proxier.sync(true).isOk());
  EXPECT_THAT(iptables_.conntrack, IsEmpty());  // the first sync has nothing to compare
  slices_.add(slice("dns", {"10.244.0.3"}, "UDP"));
  ASSERT_TRUE(proxier.sync(false).isOk());
  EXPECT_THAT(iptables_.conntrack, ElementsAre(Args{"-p", "udp", "--orig-dst", "10.96.0.53",
                                                    "--dst-nat", "10.244.0.2"}));
}

TEST_F(ProxierTest, LoopSyncsAtStartCoalescesChangesWithinMinPeriodAndResyncsPeriodically) {
  services_.add(service("web", "10.96.0.10"));
  Proxier proxier(services_, slices_, iptables_, options(), clock_);
  int64_t calls = clock_.sleepCalls();
  proxier.start();
  ASSERT_TRUE(clock_.waitForSleepCalls(calls + 1));
  EXPECT_EQ(iptables_.restoreCount(), 1u);  // the full sync at start
  EXPECT_THAT(iptables_.sysctls, ElementsAre("net.ipv4.conf.all.route_localnet=1"));

  // Two changes right after a sync: one restore, once min_sync_period has passed.
  slices_.add(slice("web", {"10.244.0.2"}));
  calls = clock_.sleepCalls();
  proxier.requestSync();
  ASSERT_TRUE(clock_.waitForSleepCalls(calls + 1));
  slices_.add(slice("web", {"10.244.0.2", "10.244.0.3"}));
  calls = clock_.sleepCalls();
  proxier.requestSync();
  ASSERT_TRUE(clock_.waitForSleepCalls(calls + 1));
  EXPECT_EQ(iptables_.restoreCount(), 1u);
  calls = clock_.sleepCalls();
  clock_.advance(999ms);
  clock_.advance(1ms);
  ASSERT_TRUE(clock_.waitForSleepCalls(calls + 1));
  ASSERT_EQ(iptables_.restoreCount(), 2u);
  EXPECT_EQ(iptables_.restore_times[1] - iptables_.restore_times[0], 1s);  // not at 999 ms
  EXPECT_THAT(iptables_.restores[1], HasSubstr("10.244.0.3:5353"));
  EXPECT_EQ(proxier.syncAttempts(), 2);

  // Quiet: nothing until sync_period, then a full sync restores even though nothing changed.
  calls = clock_.sleepCalls();
  clock_.advance(29s);
  clock_.advance(1s);
  ASSERT_TRUE(clock_.waitForSleepCalls(calls + 1));
  EXPECT_EQ(proxier.syncAttempts(), 3);
  ASSERT_EQ(iptables_.restoreCount(), 3u);
  EXPECT_EQ(iptables_.restore_times[2] - iptables_.restore_times[1], 30s);
  proxier.stop();
}

TEST_F(ProxierTest, LoopRetriesAFailedSyncAfterMinPeriod) {
  iptables_.fail_restore = true;
  Proxier proxier(services_, slices_, iptables_, options(), clock_);
  int64_t calls = clock_.sleepCalls();
  proxier.start();
  ASSERT_TRUE(clock_.waitForSleepCalls(calls + 1));
  EXPECT_EQ(proxier.syncAttempts(), 1);
  iptables_.fail_restore = false;
  calls = clock_.sleepCalls();
  clock_.advance(1s);
  ASSERT_TRUE(clock_.waitForSleepCalls(calls + 1));
  EXPECT_EQ(proxier.syncAttempts(), 2);
  EXPECT_EQ(iptables_.restoreCount(), 1u);
  proxier.stop();
}

TEST(Cleanup, RemovesOurRulesAndUdpConntrackEntries) {
  FakeIptables iptables;
  iptables.nat =
      "*nat\n:PREROUTING ACCEPT [0:0]\n:KUBE-SERVICES - [0:0]\n:KUBE-SVC-A - [0:0]\n"
      "-A PREROUTING -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES\n"
      "-A KUBE-SERVICES -d 10.96.0.53/32 -p udp -m udp --dport 53 -j KUBE-SVC-A\nCOMMIT\n";
  ASSERT_TRUE(cleanupIptables(iptables).isOk());
  ASSERT_EQ(iptables.restores.size(), 1u);
  EXPECT_THAT(iptables.restores[0], HasSubstr("-D PREROUTING -m comment"));
  EXPECT_THAT(iptables.restores[0], HasSubstr("-X KUBE-SVC-A"));
  EXPECT_THAT(iptables.conntrack, ElementsAre(Args{"-p", "udp", "--orig-dst", "10.96.0.53"}));

  FakeIptables clean;  // nothing of ours: no restore at all
  ASSERT_TRUE(cleanupIptables(clean).isOk());
  EXPECT_THAT(clean.restores, IsEmpty());
}

}  // namespace proxier_test
}  // namespace minik8s::proxy
