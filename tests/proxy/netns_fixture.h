// Network namespaces for the proxy's integration tests: a "node" namespace joined by veth
// pairs to two "pod" namespaces (10.250.1.2 and 10.250.2.2, the node 10.250.1.1 and
// 10.250.2.1), a TCP server in each pod answering with its name, and connections made from
// any of the namespaces. The node's default route is a bridge without ports, so nothing
// leaves it. The host's own namespace is never changed; TearDown deletes the namespaces
// (and with them the veths, rules and conntrack entries). Needs root, as CI has.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
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
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "proxy/iptables.h"

namespace minik8s::proxy::testing {

using namespace std::chrono_literals;

#define ASSERT_OK(expr)                      \
  do {                                       \
    ::minik8s::Status _s = (expr);           \
    ASSERT_TRUE(_s.isOk()) << _s.toString(); \
  } while (0)

// Runs a command; its output on failure.
inline Status sh(const std::vector<std::string>& argv) {
  auto r = runCommand(argv, "");
  if (!r.isOk()) return r.status();
  if (r->exit_code != 0) {
    std::string cmd;
    for (const auto& a : argv) cmd += a + " ";
    return internalError(cmd + "-> exit " + std::to_string(r->exit_code) + ": " + r->err);
  }
  return Status::ok();
}

inline bool enterNetns(const std::string& ns) {
  int fd = ::open(("/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = ::setns(fd, CLONE_NEWNET) == 0;
  ::close(fd);
  return ok;
}

// What a connection attempt gave: the server's answer, "refused", "timeout" or an error.
inline std::string connectFrom(const std::string& ns, const std::string& ip, int port,
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

// What a UDP exchange from `ns`, sent from source port `src_port`, got back: the server's
// answer or "timeout".
inline std::string udpExchange(const std::string& ns, const std::string& ip, int port, int src_port,
                               std::chrono::milliseconds timeout = 1000ms) {
  std::string result;
  std::thread t([&] {
    if (!enterNetns(ns)) {
      result = "setns failed";
      return;
    }
    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in src{};
    src.sin_family = AF_INET;
    src.sin_port = htons(static_cast<uint16_t>(src_port));
    sockaddr_in dst{};
    dst.sin_family = AF_INET;
    dst.sin_port = htons(static_cast<uint16_t>(port));
    ::inet_pton(AF_INET, ip.c_str(), &dst.sin_addr);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0 ||
        ::sendto(fd, "?", 1, 0, reinterpret_cast<sockaddr*>(&dst), sizeof dst) != 1) {
      result = std::string("error: ") + strerror(errno);
      ::close(fd);
      return;
    }
    pollfd p{fd, POLLIN, 0};
    char buf[256];
    ssize_t n =
        ::poll(&p, 1, static_cast<int>(timeout.count())) > 0 ? ::recv(fd, buf, sizeof buf, 0) : -1;
    result = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "timeout";
    ::close(fd);
  });
  t.join();
  return result;
}

// A TCP and a UDP server on 0.0.0.0:port in namespace `ns`, answering every connection and
// every datagram with `name`.
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
      int udp = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      if (::bind(udp, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ready = -1;
        ::close(fd);
        ::close(udp);
        return;
      }
      ready = 1;
      std::string reply = name_ + "\n";
      while (!stop.stop_requested()) {
        pollfd p[2] = {{fd, POLLIN, 0}, {udp, POLLIN, 0}};
        if (::poll(p, 2, 50) <= 0) continue;
        if (p[0].revents) {
          int conn = ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
          if (conn < 0) continue;
          (void)!::write(conn, reply.data(), reply.size());
          ::close(conn);
        }
        if (p[1].revents) {
          char buf[64];
          sockaddr_in from{};
          socklen_t len = sizeof from;
          if (::recvfrom(udp, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len) >= 0)
            ::sendto(udp, reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&from), len);
        }
      }
      ::close(fd);
      ::close(udp);
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

inline constexpr char kPodA[] = "10.250.1.2";
inline constexpr char kPodB[] = "10.250.2.2";
inline constexpr char kNodeIp[] = "10.250.1.1";

class NetnsTest : public ::testing::Test {
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
    server_a_.reset();
    server_b_.reset();
    for (const auto& ns : created_) {
      Status s = sh({"ip", "netns", "del", ns});
      EXPECT_TRUE(s.isOk()) << s.toString();
    }
  }

  std::string node_, pod_a_, pod_b_;
  std::vector<std::string> created_;
  std::unique_ptr<ExecIptables> iptables_;
  std::unique_ptr<PodServer> server_a_, server_b_;
};

}  // namespace minik8s::proxy::testing
