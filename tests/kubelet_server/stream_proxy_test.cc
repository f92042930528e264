// SPDY streaming through the kubelet (stream_proxy.h): the upgrade request goes on to the
// runtime's one-time URL, its answer comes back, and then bytes flow both ways unchanged,
// half-closes included. The runtime's streaming server is a scripted fake on port 0.
#include "kubelet_server/stream_proxy.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <functional>
#include <mutex>
#include <thread>

#include "cri/fake_runtime.h"
#include "kubelet_server/kubelet_server.h"

namespace minik8s::kubelet {
namespace stream_proxy_test {

using namespace std::chrono_literals;

// Reads up to "\r\n\r\n" (returns the head; what came after it is left in `rest`).
std::string readHead(int fd, std::string* rest, std::chrono::milliseconds timeout = 5000ms) {
  std::string data;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  size_t end;
  while ((end = data.find("\r\n\r\n")) == std::string::npos) {
    pollfd p{fd, POLLIN, 0};
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) return "";
    char buf[4096];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return "";
    data.append(buf, static_cast<size_t>(n));
  }
  if (rest) *rest = data.substr(end + 4);
  return data.substr(0, end + 4);
}

// Everything until EOF (or the timeout): "" plus a false `eof` on timeout.
std::string readToEof(int fd, bool* eof, std::chrono::milliseconds timeout = 5000ms) {
  std::string data;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  *eof = false;
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) return data;
    char buf[4096];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      *eof = n == 0;
      return data;
    }
    data.append(buf, static_cast<size_t>(n));
  }
}

void sendAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

int dialLoopback(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// A stand-in for the runtime's streaming server: accepts one connection, records the
// request head, then runs the script on the socket (which is closed afterwards).
class FakeRuntimeServer {
 public:
  using Script = std::function<void(int fd, const std::string& rest)>;

  explicit FakeRuntimeServer(Script script) : script_(std::move(script)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(listen_fd_, 4);
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~FakeRuntimeServer() {
    ::shutdown(listen_fd_, SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
    ::close(listen_fd_);
  }
  std::string url(const std::string& kind = "exec") const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/" + kind + "/tok";
  }
  std::string head() const {
    std::lock_guard lock(mu_);
    return head_;
  }

 private:
  void run() {
    int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) return;
    std::string rest;
    std::string head = readHead(fd, &rest);
    {
      std::lock_guard lock(mu_);
      head_ = head;
    }
    if (!head.empty()) script_(fd, rest);
    ::close(fd);
  }

  Script script_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
  mutable std::mutex mu_;
  std::string head_;
};

constexpr char kSwitch[] =
    "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n"
    "X-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n";

// After the switch: "early" at once, then the client's bytes upper-cased until its EOF,
// then "bye" and the end.
void echoUpperUntilEof(int fd, const std::string& rest) {
  sendAll(fd, std::string(kSwitch) + "early");
  std::string in = rest;
  bool eof = false;
  in += readToEof(fd, &eof);
  if (!eof) return;
  std::transform(in.begin(), in.end(), in.begin(), [](unsigned char c) { return std::toupper(c); });
  sendAll(fd, in + "bye");
}

TEST(StreamProxy, DialSendsTheUpgradeAndReadsTheSwitch) {
  FakeRuntimeServer runtime(
      [](int fd, const std::string&) { sendAll(fd, std::string(kSwitch) + "xy"); });
  auto up = dialRuntimeUpgrade(runtime.url(),
                               {{"Connection", "Upgrade"},
                                {"Upgrade", "SPDY/3.1"},
                                {"X-Stream-Protocol-Version", "v4.channel.k8s.io"},
                                {"X-Stream-Protocol-Version", "v3.channel.k8s.io"}},
                               5000ms);
  ASSERT_TRUE(up.isOk()) << up.status().toString();
  EXPECT_EQ(up->status, 101);
  EXPECT_EQ(up->head, kSwitch);
  EXPECT_EQ(up->buffered.substr(0, 2), "xy");
  EXPECT_GE(up->fd, 0);
  std::string head = runtime.head();
  EXPECT_EQ(head.rfind("POST /exec/tok HTTP/1.1\r\n", 0), 0u) << head;
  EXPECT_NE(head.find("X-Stream-Protocol-Version: v4.channel.k8s.io\r\n"
                      "X-Stream-Protocol-Version: v3.channel.k8s.io\r\n"),
            std::string::npos)
      << head;
  EXPECT_NE(head.find("Upgrade: SPDY/3.1\r\n"), std::string::npos);
}

TEST(StreamProxy, ARefusalKeepsItsStatusAndBody) {
  FakeRuntimeServer runtime([](int fd, const std::string&) {
    sendAll(fd, "HTTP/1.1 404 Not Found\r\nContent-Length: 14\r\n\r\nunknown");
    std::this_thread::sleep_for(50ms);  // the body in two pieces
    sendAll(fd, " token");
  });
  auto up = dialRuntimeUpgrade(runtime.url(), {}, 5000ms);
  ASSERT_TRUE(up.isOk()) << up.status().toString();
  EXPECT_EQ(up->status, 404);
  EXPECT_EQ(readRefusalBody(*up, 5000ms), "unknown token");
}

TEST(StreamProxy, BadUrlsAndDeadOrGarbageServersAreErrorsNotCrashes) {
  EXPECT_EQ(dialRuntimeUpgrade("https://127.0.0.1:1/x", {}, 1000ms).status().code(),
            Code::kInternal);
  EXPECT_EQ(dialRuntimeUpgrade("http:///x", {}, 1000ms).status().code(), Code::kInternal);
  EXPECT_EQ(dialRuntimeUpgrade("http://[::1/x", {}, 1000ms).status().code(), Code::kInternal);
  EXPECT_EQ(dialRuntimeUpgrade("http://127.0.0.1:1/exec/x", {}, 1000ms).status().code(),
            Code::kUnavailable);
  {
    FakeRuntimeServer runtime([](int fd, const std::string&) { sendAll(fd, "hello\r\n\r\n"); });
    EXPECT_EQ(dialRuntimeUpgrade(runtime.url(), {}, 2000ms).status().code(), Code::kUnavailable);
  }
  {
    FakeRuntimeServer runtime([](int fd, const std::string&) { sendAll(fd, "HTTP/1.1 1"); });
    EXPECT_EQ(dialRuntimeUpgrade(runtime.url(), {}, 2000ms).status().code(), Code::kUnavailable);
  }
  {
    FakeRuntimeServer runtime(
        [](int fd, const std::string&) { sendAll(fd, "HTTP/1.1 xyz ok\r\n\r\n"); });
    EXPECT_EQ(dialRuntimeUpgrade(runtime.url(), {}, 2000ms).status().code(), Code::kUnavailable);
  }
  {
    FakeRuntimeServer runtime([](int, const std::string&) { std::this_thread::sleep_for(1500ms); });
    auto t0 = std::chrono::steady_clock::now();
    EXPECT_EQ(dialRuntimeUpgrade(runtime.url(), {}, 300ms).status().code(), Code::kUnavailable);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 1200ms) << "the timeout bounds the wait";
  }
}

// Through a KubeletServer with a FakeRuntime whose streaming URL is the fake above.
class KubeletSpdyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    runtime_.addImage("busybox");
    KubeletServerOptions o;
    o.bind_address = "127.0.0.1";
    o.port = 0;
    o.node_name = "fake-node";
    server_ = std::make_unique<KubeletServer>(runtime_, o);
    ASSERT_TRUE(server_->start().isOk());
    cri::PodSandboxConfig config;
    config.metadata = {"web", "uid-web", "default", 0};
    config.log_directory = (std::filesystem::temp_directory_path() / "mk8s-spdy-test").string();
    config.labels = {{"io.kubernetes.pod.name", "web"},
                     {"io.kubernetes.pod.namespace", "default"},
                     {"io.kubernetes.pod.uid", "uid-web"}};
    auto sb = runtime_.runPodSandbox(config);
    ASSERT_TRUE(sb.isOk());
    sandbox_ = *sb;
    cri::ContainerConfig c;
    c.metadata = {"app", 0};
    c.image = "busybox";
    c.labels = config.labels;
    c.labels["io.kubernetes.container.name"] = "app";
    c.log_path = "app/0.log";
    auto id = runtime_.createContainer(*sb, c, config);
    ASSERT_TRUE(id.isOk());
    ASSERT_TRUE(runtime_.startContainer(*id).isOk());
  }
  void TearDown() override { server_->stop(); }

  // Sends a SPDY upgrade for `target`; returns the connection (the caller closes it) and the
  // answer's head in `head`, what followed it in `rest`.
  int upgrade(const std::string& target, std::string* head, std::string* rest,
              const std::string& upgrade_to = "SPDY/3.1") {
    int fd = dialLoopback(server_->port());
    EXPECT_GE(fd, 0);
    sendAll(fd, "POST " + target +
                    " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: Upgrade\r\n"
                    "Upgrade: " +
                    upgrade_to +
                    "\r\nX-Stream-Protocol-Version: v5.channel.k8s.io\r\n"
                    "X-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n");
    *head = readHead(fd, rest);
    return fd;
  }

  cri::FakeRuntime runtime_;
  std::unique_ptr<KubeletServer> server_;
  std::string sandbox_;
};

TEST_F(KubeletSpdyTest, ExecIsSplicedAndAHalfCloseReachesTheRuntime) {
  FakeRuntimeServer runtime(echoUpperUntilEof);
  runtime_.setExecUrl(runtime.url());
  std::string head, rest;
  int fd = upgrade("/exec/default/web/app?command=cat&stdin=true&stdout=true", &head, &rest);
  EXPECT_EQ(head, kSwitch) << "the runtime's 101 and its negotiated protocol, unchanged";
  sendAll(fd, "ping");
  ::shutdown(fd, SHUT_WR);  // kubectl's stdin ends: the runtime must see EOF
  bool eof = false;
  std::string out = rest + readToEof(fd, &eof);
  ::close(fd);
  EXPECT_EQ(out, "earlyPINGbye");
  EXPECT_TRUE(eof);
  EXPECT_EQ(runtime.head().rfind("POST /exec/tok HTTP/1.1\r\n", 0), 0u);
  EXPECT_NE(runtime.head().find("X-Stream-Protocol-Version: v5.channel.k8s.io\r\n"
                                "X-Stream-Protocol-Version: v4.channel.k8s.io\r\n"),
            std::string::npos)
      << runtime.head();
  auto req = runtime_.lastExecRequest();
  EXPECT_EQ(req.cmd, std::vector<std::string>{"cat"});
  EXPECT_TRUE(req.stdin);
  EXPECT_FALSE(req.stderr);
}

TEST_F(KubeletSpdyTest, PortForwardAndAttachUseTheirOwnRuntimeUrls) {
  {
    FakeRuntimeServer runtime(echoUpperUntilEof);
    runtime_.setExecUrl(runtime.url());
    std::string head, rest;
    int fd = upgrade("/portForward/default/web", &head, &rest);
    EXPECT_EQ(head, kSwitch);
    sendAll(fd, "frames");
    ::shutdown(fd, SHUT_WR);
    bool eof = false;
    EXPECT_EQ(rest + readToEof(fd, &eof), "earlyFRAMESbye");
    ::close(fd);
    EXPECT_EQ(runtime.head().rfind("POST /portforward/tok HTTP/1.1\r\n", 0), 0u) << runtime.head();
  }
  {
    FakeRuntimeServer runtime(echoUpperUntilEof);
    runtime_.setExecUrl(runtime.url());
    std::string head, rest;
    int fd = upgrade("/attach/default/web/app?stdin=true&stdout=true", &head, &rest);
    EXPECT_EQ(head, kSwitch);
    ::shutdown(fd, SHUT_WR);
    bool eof = false;
    EXPECT_EQ(rest + readToEof(fd, &eof), "earlybye");
    ::close(fd);
    EXPECT_EQ(runtime.head().rfind("POST /attach/tok HTTP/1.1\r\n", 0), 0u) << runtime.head();
  }
}

TEST_F(KubeletSpdyTest, RefusalsComeBeforeTheSwitch) {
  std::string head, rest;
  // kubectl falls back to SPDY when WebSocket is refused.
  int fd = upgrade("/portForward/default/web", &head, &rest, "websocket");
  EXPECT_EQ(head.rfind("HTTP/1.1 400", 0), 0u) << head;
  ::close(fd);
  fd = upgrade("/portForward/default/nosuch", &head, &rest);
  EXPECT_EQ(head.rfind("HTTP/1.1 404", 0), 0u) << head;
  ::close(fd);
  fd = upgrade("/attach/default/web/nosuch?stdout=true", &head, &rest);
  EXPECT_EQ(head.rfind("HTTP/1.1 404", 0), 0u) << head;
  ::close(fd);
  // The runtime refuses: 500 naming its answer.
  FakeRuntimeServer runtime([](int fd, const std::string&) {
    sendAll(fd, "HTTP/1.1 404 Not Found\r\nContent-Length: 13\r\n\r\nunknown token");
  });
  runtime_.setExecUrl(runtime.url());
  fd = upgrade("/exec/default/web/app?command=ls&stdout=true", &head, &rest);
  EXPECT_EQ(head.rfind("HTTP/1.1 500", 0), 0u) << head;
  bool eof = false;
  std::string body = rest + readToEof(fd, &eof, 2000ms);
  EXPECT_NE(body.find("HTTP 404: unknown token"), std::string::npos) << body;
  ::close(fd);
}

TEST_F(KubeletSpdyTest, V5WebSocketExecWithStdinIsRefusedSoKubectlUsesSpdy) {
  int fd = dialLoopback(server_->port());
  sendAll(fd,
          "GET /exec/default/web/app?command=cat&stdin=true&stdout=true HTTP/1.1\r\n"
          "Host: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
          "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
          "Sec-WebSocket-Protocol: v5.channel.k8s.io\r\n\r\n");
  std::string rest;
  std::string head = readHead(fd, &rest);
  EXPECT_EQ(head.rfind("HTTP/1.1 400", 0), 0u) << head;
  ::close(fd);
}

}  // namespace stream_proxy_test
}  // namespace minik8s::kubelet
