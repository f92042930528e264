// Network-namespace fixtures for the pod network's real-kernel tests: a shell runner, a
// thread inside a namespace, two "nodes" on a veth underlay with a "pod" behind each, and a
// UDP round trip between pods. Only fixtures run `ip`/`bridge`; all traffic stays inside the
// test's namespaces.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <thread>

namespace minik8s::network::testing {

// Runs `cmd` through the shell; returns its exit status and fills `out` with stdout+stderr.
inline int run(const std::string& cmd, std::string* out = nullptr) {
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (p == nullptr) return -1;
  std::string text;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) text.append(buf.data(), n);
  int rc = ::pclose(p);
  if (out != nullptr) *out = text;
  return rc;
}

inline std::string output(const std::string& cmd) {
  std::string out;
  run(cmd, &out);
  return out;
}

// Runs f() on a thread that has joined network namespace `ns`; sockets it opens stay there.
template <typename F>
auto inNetns(const std::string& ns, F f) -> decltype(f()) {
  std::optional<decltype(f())> result;
  std::thread t([&] {
    int fd = ::open(("/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) {
      std::perror(("setns " + ns).c_str());
      std::abort();  // never run the code under test in the host's namespace
    }
    ::close(fd);
    result.emplace(f());
  });
  t.join();
  return std::move(*result);
}

// Two "nodes" A and B (network namespaces) joined by a veth underlay, each with one "pod":
// a third namespace behind a veth whose node end holds the pod gateway (like a CNI bridge),
// with a default route to it. Every namespace is deleted in the destructor, devices with
// them, also when a test fails.
class TwoNodes {
 public:
  // Namespaces "mk8s-<tag>-{a,b,pa,pb}-<pid>".
  explicit TwoNodes(const std::string& tag = "h24") {
    const std::string prefix = "mk8s-" + tag + "-";
    const std::string pid = std::to_string(::getpid());
    a_ = prefix + "a-" + pid;
    b_ = prefix + "b-" + pid;
    pod_a_ = prefix + "pa-" + pid;
    pod_b_ = prefix + "pb-" + pid;
    ok_ = fixture("ip netns add " + a_) && fixture("ip netns add " + b_) &&
          fixture("ip netns add " + pod_a_) && fixture("ip netns add " + pod_b_) &&
          // Created inside A with its peer inside B: no device ever exists in the host's ns.
          fixture("ip -n " + a_ + " link add eth0 type veth peer name eth0 netns " + b_) &&
          setUp(a_, pod_a_, "192.168.251.1/24", "10.244.1") &&
          setUp(b_, pod_b_, "192.168.251.2/24", "10.244.2");
  }
  ~TwoNodes() {
    for (const std::string& ns : {pod_a_, pod_b_, a_, b_}) run("ip netns del " + ns);
  }
  bool ok() const { return ok_; }
  const std::string& a() const { return a_; }
  const std::string& b() const { return b_; }
  const std::string& podA() const { return pod_a_; }
  const std::string& podB() const { return pod_b_; }

 private:
  static bool fixture(const std::string& cmd) {
    std::string out;
    if (run(cmd, &out) == 0) return true;
    std::cerr << "fixture: " << cmd << ": " << out;
    return false;
  }
  // The node gets `node_ip` on eth0 and <net>.1/24 on pod0; the pod <net>.5/24 on its eth0.
  static bool setUp(const std::string& ns, const std::string& pod, const std::string& node_ip,
                    const std::string& net) {
    const std::string ip = "ip -n " + ns + " ";
    const std::string pip = "ip -n " + pod + " ";
    return fixture(ip + "link set lo up") && fixture(ip + "addr add " + node_ip + " dev eth0") &&
           fixture(ip + "link set eth0 up") &&
           fixture(ip + "link add pod0 type veth peer name eth0 netns " + pod) &&
           fixture(ip + "addr add " + net + ".1/24 dev pod0") && fixture(ip + "link set pod0 up") &&
           fixture("ip netns exec " + ns + " sysctl -qw net.ipv4.ip_forward=1") &&
           fixture(pip + "link set lo up") && fixture(pip + "addr add " + net + ".5/24 dev eth0") &&
           fixture(pip + "link set eth0 up") &&
           fixture(pip + "route add default via " + net + ".1");
  }

  std::string a_, b_, pod_a_, pod_b_;
  bool ok_ = false;
};

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

inline sockaddr_in address(const std::string& ip, uint16_t port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  ::inet_pton(AF_INET, ip.c_str(), &sa.sin_addr);
  return sa;
}

// A UDP socket in `ns` bound to ip:0; -1 on failure.
inline int udpSocket(const std::string& ns, const std::string& ip) {
  return inNetns(ns, [&] {
    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in sa = address(ip, 0);
    if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
      ::close(fd);
      fd = -1;
    }
    return fd;
  });
}

inline uint16_t portOf(int fd) {
  sockaddr_in sa{};
  socklen_t len = sizeof sa;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  return ntohs(sa.sin_port);
}

// Waits up to `ms` for a datagram; returns its sender's IP, or "".
inline std::string receive(int fd, int ms, sockaddr_in* from) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, ms) != 1) return "";
  char buf[2048];
  socklen_t len = sizeof *from;
  if (::recvfrom(fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(from), &len) < 0) return "";
  char text[INET_ADDRSTRLEN];
  ::inet_ntop(AF_INET, &from->sin_addr, text, sizeof text);
  return text;
}

// Pod `src_ip` in `src_ns` sends a datagram to pod `dst_ip` in `dst_ns`, which answers. True
// when the answer came back and each side saw the other's pod address (no NAT on the way).
inline bool podRoundTrip(const std::string& src_ns, const std::string& src_ip,
                         const std::string& dst_ns, const std::string& dst_ip) {
  Fd client{udpSocket(src_ns, src_ip)};
  Fd server{udpSocket(dst_ns, dst_ip)};
  if (client.fd < 0 || server.fd < 0) return false;
  sockaddr_in to = address(dst_ip, portOf(server.fd));
  for (int attempt = 0; attempt < 3; ++attempt) {
    const char ping[] = "ping";
    if (::sendto(client.fd, ping, sizeof ping, 0, reinterpret_cast<sockaddr*>(&to), sizeof to) <
        0) {
      return false;  // e.g. ENETUNREACH: no route at all
    }
    sockaddr_in from{};
    if (receive(server.fd, 1000, &from) != src_ip) continue;
    const char pong[] = "pong";
    ::sendto(server.fd, pong, sizeof pong, 0, reinterpret_cast<sockaddr*>(&from), sizeof from);
    sockaddr_in back{};
    if (receive(client.fd, 1000, &back) == dst_ip) return true;
  }
  return false;
}

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

inline void show(const std::string& title, const std::string& cmd) {
  std::cout << "--- " << title << ": " << cmd << "\n" << output(cmd);
}

}  // namespace minik8s::network::testing
