// `minik8s dns` end to end on loopback: a real etcd and apiserver (ApiFixture), the
// records kept by ClusterRecords through the shared informers, the DnsServer on
// 127.0.0.1:<free port>, queried by a real client (BIND's dig, over UDP and TCP), with a
// real upstream (Debian's dnsmasq) that this test starts on 127.0.0.1 and stops by PID.
// Nothing leaves loopback.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "client/informer.h"
#include "common/spawn.h"
#include "dns/cluster_records.h"
#include "dns/server.h"
#include "testing/api_fixture.h"

namespace minik8s::dns {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

constexpr char kDig[] = "/usr/bin/dig";
constexpr char kDnsmasq[] = "/usr/sbin/dnsmasq";

// A port free on 127.0.0.1 for both UDP and TCP at the time of asking.
uint16_t freePort() {
  for (int attempt = 0; attempt < 50; ++attempt) {
    int u = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(u, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    getsockname(u, reinterpret_cast<sockaddr*>(&a), &len);
    int t = socket(AF_INET, SOCK_STREAM, 0);
    bool ok = bind(t, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    close(t);
    close(u);
    if (ok) return ntohs(a.sin_port);
  }
  return 0;
}

// Runs `command` through the shell; its stdout.
std::string run(const std::string& command) {
  std::string out;
  FILE* f = popen(command.c_str(), "r");
  if (!f) return out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), f)) > 0) out.append(buf.data(), n);
  pclose(f);
  return out;
}

class DnsIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(std::filesystem::exists(kDig)) << kDig << " missing: apt-get install bind9-dnsutils";
    ASSERT_TRUE(std::filesystem::exists(kDnsmasq)) << kDnsmasq << " missing: apt-get install dnsmasq-base";
    auto api = minik8s::testing::ApiFixture::start();
    ASSERT_TRUE(api.isOk()) << api.status().toString();
    api_ = std::move(api).value();
    startUpstream();

    DnsServerOptions options;
    options.listen = "127.0.0.1:0";
    options.upstreams = {Upstream{"127.0.0.1", upstream_port_}};
    options.upstream_timeout = 1000ms;
    server_ = std::make_unique<DnsServer>(options);
    informers_ = std::make_unique<client::SharedInformerFactory>(api_->client());
    records_ = std::make_unique<ClusterRecords>(*informers_, "cluster.local", 5,
                                                [this](auto r) { server_->setRecords(std::move(r)); });
    Status s = server_->start();
    ASSERT_TRUE(s.isOk()) << s.toString();
    records_->start();
    informers_->start();
    ASSERT_TRUE(informers_->waitForCacheSync(10s));
  }

  void TearDown() override {
    if (server_) server_->stop();
    if (records_) records_->stop();
    if (informers_) informers_->stop();
    stopUpstream();
  }

  void startUpstream() {
    upstream_port_ = freePort();
    ASSERT_NE(upstream_port_, 0);
    log_ = std::filesystem::temp_directory_path() /
           ("minik8s-dns-test-dnsmasq-" + std::to_string(getpid()) + ".log");
    auto pid = spawnProcess({kDnsmasq, "--keep-in-foreground", "--conf-file=/dev/null",
                             "--no-resolv", "--no-hosts", "--user=root", "--pid-file",
                             "--address=/outside.test/192.0.2.1", "--local-ttl=60",
                             "--listen-address=127.0.0.1",
                             "--bind-interfaces", "--port=" + std::to_string(upstream_port_),
                             "--log-facility=-"},
                            log_.string(), SpawnMode::kAttached);
    ASSERT_TRUE(pid.isOk()) << pid.status().toString();
    upstream_pid_ = *pid;
    bool up = minik8s::testing::eventually([&] {
      return run(std::string(kDig) + " @127.0.0.1 -p " + std::to_string(upstream_port_) +
                 " +short +time=1 +tries=1 outside.test A") == "192.0.2.1\n";
    }, 10s);
    ASSERT_TRUE(up) << "dnsmasq did not answer; its log:\n" << run("cat " + log_.string());
  }

  void stopUpstream() {
    if (upstream_pid_ > 0) {
      kill(upstream_pid_, SIGTERM);
      waitpid(upstream_pid_, nullptr, 0);
      upstream_pid_ = -1;
    }
    if (!log_.empty()) std::filesystem::remove(log_);
  }

  // dig against our server; `args` are dig's (name, type, +options).
  std::string dig(const std::string& args) {
    return run(std::string(kDig) + " @127.0.0.1 -p " + std::to_string(server_->port()) +
               " +time=2 +tries=1 " + args + " 2>&1");
  }

  const api::ResourceInfo& res(const char* group, const char* plural) {
    return *api::findResource(group, "v1", plural);
  }

  json create(const char* group, const char* plural, const std::string& ns, json object) {
    auto created = api_->client().create(res(group, plural), ns, object);
    EXPECT_TRUE(created.isOk()) << created.status().toString();
    return created.isOk() ? *created : json();
  }

  json service(const std::string& name, const std::string& cluster_ip, json ports) {
    json spec = {{"ports", ports}, {"selector", {{"app", name}}}};
    if (!cluster_ip.empty()) spec["clusterIP"] = cluster_ip;
    return create("", "services", "default",
                  {{"apiVersion", "v1"}, {"kind", "Service"}, {"metadata", {{"name", name}}},
                   {"spec", spec}});
  }

  void slice(const std::string& service, json endpoints, json ports = json::array()) {
    create("discovery.k8s.io", "endpointslices", "default",
           {{"apiVersion", "discovery.k8s.io/v1"},
            {"kind", "EndpointSlice"},
            {"metadata",
             {{"name", service + "-x1"}, {"labels", {{"kubernetes.io/service-name", service}}}}},
            {"addressType", "IPv4"},
            {"endpoints", endpoints},
            {"ports", ports}});
  }

  // Waits until the server answers `name` `type` with something containing `expected`.
  bool answers(const std::string& name, const std::string& type, const std::string& expected) {
    return minik8s::testing::eventually(
        [&] { return dig("+short " + name + " " + type).find(expected) != std::string::npos; }, 10s);
  }

  std::unique_ptr<minik8s::testing::ApiFixture> api_;
  std::unique_ptr<DnsServer> server_;
  std::unique_ptr<client::SharedInformerFactory> informers_;
  std::unique_ptr<ClusterRecords> records_;
  uint16_t upstream_port_ = 0;
  pid_t upstream_pid_ = -1;
  std::filesystem::path log_;
};

TEST_F(DnsIntegrationTest, ServesTheClusterOverUdpAndTcpAndForwardsTheRest) {
  json web = service("web", "", json::array({{{"name", "http"}, {"port", 80}}}));
  const std::string ip = web["spec"]["clusterIP"];
  ASSERT_FALSE(ip.empty());

  // A: UDP and TCP, FQDN.
  ASSERT_TRUE(answers("web.default.svc.cluster.local", "A", ip));
  EXPECT_EQ(dig("+short +tcp web.default.svc.cluster.local A"), ip + "\n");
  // SRV for the named port.
  EXPECT_EQ(dig("+short _http._tcp.web.default.svc.cluster.local SRV"),
            "0 100 80 web.default.svc.cluster.local.\n");
  // PTR of the ClusterIP.
  EXPECT_EQ(dig("+short -x " + ip), "web.default.svc.cluster.local.\n");
  // NXDOMAIN with the SOA; NODATA with the SOA.
  std::string nx = dig("nope.default.svc.cluster.local A");
  EXPECT_THAT(nx, HasSubstr("status: NXDOMAIN"));
  EXPECT_THAT(nx, HasSubstr("flags: qr aa rd ra"));
  EXPECT_THAT(nx, HasSubstr("SOA\tns.dns.cluster.local. hostmaster.cluster.local."));
  std::string nodata = dig("web.default.svc.cluster.local AAAA");
  EXPECT_THAT(nodata, HasSubstr("status: NOERROR"));
  EXPECT_THAT(nodata, HasSubstr("ANSWER: 0, AUTHORITY: 1"));
  EXPECT_EQ(dig("+short dns-version.cluster.local TXT"), "\"1.1.0\"\n");

  // Headless with a hostname, SRV per endpoint, and 60 endpoints for truncation.
  service("pg", "None", json::array({{{"name", "sql"}, {"port", 5432}}}));
  slice("pg", json::array({{{"addresses", {"10.244.1.5"}}, {"hostname", "pg-0"},
                            {"conditions", {{"ready", true}}}}}),
        json::array({{{"name", "sql"}, {"port", 5432}, {"protocol", "TCP"}}}));
  ASSERT_TRUE(answers("pg.default.svc.cluster.local", "A", "10.244.1.5"));
  EXPECT_EQ(dig("+short pg-0.pg.default.svc.cluster.local A"), "10.244.1.5\n");
  EXPECT_EQ(dig("+short _sql._tcp.pg.default.svc.cluster.local SRV"),
            "0 100 5432 pg-0.pg.default.svc.cluster.local.\n");
  EXPECT_EQ(dig("+short -x 10.244.1.5"), "pg-0.pg.default.svc.cluster.local.\n");

  service("big", "None", json::array({{{"port", 80}}}));
  json many = json::array();
  for (int i = 1; i <= 60; ++i) {
    many.push_back({{"addresses", {"10.244.9." + std::to_string(i)}}});
  }
  slice("big", many);
  ASSERT_TRUE(answers("+tcp big.default.svc.cluster.local", "A", "10.244.9.60"));
  // Over UDP without EDNS the answer does not fit in 512 bytes: TC set, nothing in it...
  std::string cut = dig("+noedns +ignore big.default.svc.cluster.local A");
  EXPECT_THAT(cut, HasSubstr(" tc"));
  EXPECT_THAT(cut, HasSubstr("ANSWER: 0"));
  // ...and dig retries over TCP on its own and gets all 60.
  std::string full = dig("+noedns big.default.svc.cluster.local A");
  EXPECT_THAT(full, HasSubstr("Truncated, retrying in TCP mode"));
  EXPECT_THAT(full, HasSubstr("ANSWER: 60"));

  // A pod's A record appears with its IP.
  json pod = create("", "pods", "default",
                    {{"apiVersion", "v1"}, {"kind", "Pod"}, {"metadata", {{"name", "p"}}},
                     {"spec", {{"containers", json::array({{{"name", "c"}, {"image", "busybox"}}})}}}});
  pod["status"] = {{"phase", "Running"}, {"podIP", "10.244.4.4"},
                   {"podIPs", json::array({{{"ip", "10.244.4.4"}}})}};
  auto updated = api_->client().update(res("", "pods"), "default", pod, "status");
  ASSERT_TRUE(updated.isOk()) << updated.status().toString();
  EXPECT_TRUE(answers("10-244-4-4.default.pod.cluster.local", "A", "10.244.4.4"));

  // Outside names go to dnsmasq, over UDP and TCP; the answer is then cached.
  EXPECT_EQ(dig("+short outside.test A"), "192.0.2.1\n");
  EXPECT_EQ(dig("+short +tcp www.outside.test A"), "192.0.2.1\n");
  EXPECT_EQ(server_->stats().forwarded, 2u);
  stopUpstream();
  EXPECT_EQ(dig("+short outside.test A"), "192.0.2.1\n");  // from the cache
  EXPECT_EQ(server_->stats().cache_hits, 1u);
  // With the upstream gone, an uncached name is SERVFAIL, not a hang.
  EXPECT_THAT(dig("other.test A"), HasSubstr("status: SERVFAIL"));

  // A deleted Service leaves DNS.
  ASSERT_TRUE(api_->client().remove(res("", "services"), "default", "web").isOk());
  EXPECT_TRUE(minik8s::testing::eventually(
      [&] { return dig("web.default.svc.cluster.local A").find("NXDOMAIN") != std::string::npos; },
      10s));
  EXPECT_THAT(dig("+short -x " + ip), Not(HasSubstr("web.default")));
}

// The server's bounds, without a cluster: past max_concurrent_forwards an outside name is
// REFUSED at once, past max_tcp_connections a TCP client is closed; the zone still answers.
TEST(DnsServerLimits, RefusesForwardsAndClosesTcpBeyondTheirBounds) {
  ASSERT_TRUE(std::filesystem::exists(kDig)) << kDig << " missing: apt-get install bind9-dnsutils";
  DnsServerOptions options;
  options.listen = "127.0.0.1:0";
  options.upstreams = {Upstream{"127.0.0.1", 9}};
  options.max_concurrent_forwards = 0;
  options.max_tcp_connections = 0;
  DnsServer server(options);
  Status started = server.start();
  ASSERT_TRUE(started.isOk()) << started.toString();
  const std::string dig = std::string(kDig) + " @127.0.0.1 -p " + std::to_string(server.port()) +
                          " +time=2 +tries=1 ";
  EXPECT_THAT(run(dig + "outside.test A"), HasSubstr("status: REFUSED"));
  EXPECT_EQ(run(dig + "+short dns-version.cluster.local TXT"), "\"1.1.0\"\n");
  EXPECT_THAT(run(dig + "+tcp dns-version.cluster.local TXT 2>&1"), Not(HasSubstr("1.1.0")));
  EXPECT_EQ(server.stats().forwarded, 0u);
}

}  // namespace
}  // namespace minik8s::dns
