// The proxy with REAL iptables and REAL traffic, entirely inside network namespaces this
// test creates: a "node" namespace joined by veth pairs to two "pod" namespaces, a tiny TCP
// server in each pod (a thread of this process moved into the pod's namespace) that answers
// with its name, the Proxier applying its rules with `ip netns exec NODE iptables-restore`,
// and connections made from the node (or a pod) to ClusterIPs and NodePorts. The host's own
// namespace is never touched: every iptables call goes through the node namespace, and the
// node's default route is a dummy device, so nothing leaves it. TearDown deletes the
// namespaces (and with them the veths, rules and conntrack entries). Needs root, as CI has.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "proxy/iptables.h"
#include "proxy/proxier.h"

namespace minik8s::proxy {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

#define ASSERT_OK(expr)                      \
  do {                                       \
    ::minik8s::Status _s = (expr);           \
    ASSERT_TRUE(_s.isOk()) << _s.toString(); \
  } while (0)

// Runs a command; its output on failure.
Status sh(const std::vector<std::string>& argv) {
  auto r = runCommand(argv, "");
  if (!r.isOk()) return r.status();
  if (r->exit_code != 0) {
    std::string cmd;
    for (const auto& a : argv) cmd += a + " ";
    return internalError(cmd + "-> exit " + std::to_string(r->exit_code) + ": " + r->err);
  }
  return Status::ok();
}

bool enterNetns(const std::string& ns) {
  int fd = ::open(("/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = ::setns(fd, CLONE_NEWNET) == 0;
  ::close(fd);
  return ok;
}

// What a connection attempt gave: the server's answer, "refused", "timeout" or an error.
std::string connectFrom(const std::string& ns, const std::string& ip, int port,
                        std::chrono::milliseconds timeout = 1500ms) {
  std::string result;
  std::thread t([&] {
    if (!enterNetns(ns)) {
      result = "setns failed";
      return;
    }
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    ::inet_pton(AF_INET, ip.c_str(), &addr.sin_addr);
    int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    if (rc != 0 && errno != EINPROGRESS) {
      result = errno == ECONNREFUSED ? "refused" : std::string("error: ") + strerror(errno);
      ::close(fd);
      return;
    }
    pollfd p{fd, POLLIN, 0};
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string data;
    while (true) {
      int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                      deadline - std::chrono::steady_clock::now())
                                      .count());
      if (left <= 0) {
        result = "timeout";
        break;
      }
      if (::poll(&p, 1, left) <= 0) continue;
      char buf[256];
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n > 0) {
        data.append(buf, static_cast<size_t>(n));
        continue;
      }
      if (n == 0) {
        result = data;
        break;
      }
      if (errno == EAGAIN) continue;
      result = errno == ECONNREFUSED ? "refused" : std::string("error: ") + strerror(errno);
      break;
    }
    ::close(fd);
  });
  t.join();
  return result;
}

// A TCP server on 0.0.0.0:port in namespace `ns` answering every connection with `name`.
class PodServer {
 public:
  PodServer(const std::string& ns, int port, std::string name) : name_(std::move(name)) {
    std::atomic<int> ready{0};
    thread_ = std::jthread([this, ns, port, &ready](std::stop_token stop) {
      if (!enterNetns(ns)) {
        ready = -1;
        return;
      }
      int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      int one = 1;
      ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_port = htons(static_cast<uint16_t>(port));
      if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
          ::listen(fd, 128) != 0) {
        ready = -1;
        ::close(fd);
        return;
      }
      ready = 1;
      while (!stop.stop_requested()) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 50) <= 0) continue;
        int conn = ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
        if (conn < 0) continue;
        std::string reply = name_ + "\n";
        (void)!::write(conn, reply.data(), reply.size());
        ::close(conn);
      }
      ::close(fd);
    });
    while (ready == 0) std::this_thread::sleep_for(1ms);
    ok_ = ready == 1;
  }
  bool ok() const { return ok_; }

 private:
  std::string name_;
  bool ok_ = false;
  std::jthread thread_;
};

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

constexpr char kPodA[] = "10.250.1.2";
constexpr char kPodB[] = "10.250.2.2";
constexpr char kNodeIp[] = "10.250.1.1";

class ProxyNetnsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::geteuid(), 0u) << "this test creates network namespaces: run it as root";
    std::string tag = "mkp" + std::to_string(::getpid());
    node_ = tag + "n";
    pod_a_ = tag + "a";
    pod_b_ = tag + "b";
    for (const auto& ns : {node_, pod_a_, pod_b_}) {
      ASSERT_OK(sh({"ip", "netns", "add", ns}));
      created_.push_back(ns);
      ASSERT_OK(sh({"ip", "-n", ns, "link", "set", "lo", "up"}));
    }
    struct Link {
      std::string pod, node_if, node_ip, pod_ip;
    };
    for (const Link& l : {Link{pod_a_, "va", "10.250.1.1/24", "10.250.1.2/24"},
                          Link{pod_b_, "vb", "10.250.2.1/24", "10.250.2.2/24"}}) {
      ASSERT_OK(sh({"ip", "-n", node_, "link", "add", l.node_if, "type", "veth", "peer", "name",
                    "eth0", "netns", l.pod}));
      ASSERT_OK(sh({"ip", "-n", node_, "addr", "add", l.node_ip, "dev", l.node_if}));
      ASSERT_OK(sh({"ip", "-n", node_, "link", "set", l.node_if, "up"}));
      ASSERT_OK(sh({"ip", "-n", l.pod, "addr", "add", l.pod_ip, "dev", "eth0"}));
      ASSERT_OK(sh({"ip", "-n", l.pod, "link", "set", "eth0", "up"}));
      std::string gw = l.node_ip.substr(0, l.node_ip.find('/'));
      ASSERT_OK(sh({"ip", "-n", l.pod, "route", "add", "default", "via", gw}));
    }
    // The node's default route ends in a bridge without ports (this kernel has no dummy
    // device): what no rule catches goes nowhere.
    ASSERT_OK(sh({"ip", "-n", node_, "link", "add", "nowhere", "type", "bridge"}));
    ASSERT_OK(sh({"ip", "-n", node_, "addr", "add", "10.250.0.1/32", "dev", "nowhere"}));
    ASSERT_OK(sh({"ip", "-n", node_, "link", "set", "nowhere", "up"}));
    ASSERT_OK(sh({"ip", "-n", node_, "route", "add", "default", "dev", "nowhere"}));
    ASSERT_OK(sh({"ip", "netns", "exec", node_, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1"}));
    iptables_ =
        std::make_unique<ExecIptables>(std::vector<std::string>{"ip", "netns", "exec", node_});
    server_a_ = std::make_unique<PodServer>(pod_a_, 8080, "pod-a");
    server_b_ = std::make_unique<PodServer>(pod_b_, 8080, "pod-b");
    ASSERT_TRUE(server_a_->ok() && server_b_->ok());
    // The servers answer straight away (no proxy involved yet).
    ASSERT_EQ(connectFrom(node_, kPodA, 8080), "pod-a\n");
    ASSERT_EQ(connectFrom(node_, kPodB, 8080), "pod-b\n");
  }

  void TearDown() override {
    if (proxier_) proxier_->stop();
    proxier_.reset();
    server_a_.reset();
    server_b_.reset();
    for (const auto& ns : created_) {
      Status s = sh({"ip", "netns", "del", ns});
      EXPECT_TRUE(s.isOk()) << s.toString();
    }
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

  std::string node_, pod_a_, pod_b_;
  std::vector<std::string> created_;
  std::unique_ptr<ExecIptables> iptables_;
  std::unique_ptr<PodServer> server_a_, server_b_;
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
