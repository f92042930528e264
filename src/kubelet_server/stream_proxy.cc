#include "kubelet_server/stream_proxy.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <boost/asio.hpp>
#include <cerrno>
#include <cstring>
#include <optional>

#include "common/log.h"
#include "common/strings.h"
#include "http/splice.h"
#include "kubelet_server/streaming_url.h"

namespace minik8s::kubelet {

namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

int remainingMs(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

// Waits until `fd` is ready for `events`; false on timeout or error.
bool waitFor(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    int ms = remainingMs(deadline);
    int r = ::poll(&p, 1, ms);
    if (r > 0) return true;
    if (r == 0) return false;
    if (errno != EINTR) return false;
  }
}

// A non-blocking connected socket, or an error message.
Result<int> connectTo(const StreamingUrl& hp, Clock::time_point deadline) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* res = nullptr;
  int rc = ::getaddrinfo(hp.host.c_str(), hp.port.c_str(), &hints, &res);
  if (rc != 0) return unavailable("resolving " + hp.host + ": " + ::gai_strerror(rc));
  std::string last = "no address";
  for (addrinfo* ai = res; ai; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 ||
        (errno == EINPROGRESS && waitFor(fd, POLLOUT, deadline))) {
      int err = 0;
      socklen_t len = sizeof(err);
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err == 0) {
        ::freeaddrinfo(res);
        return fd;
      }
      last = std::strerror(err);
    } else {
      last = errno == EINPROGRESS ? "timed out" : std::strerror(errno);
    }
    ::close(fd);
  }
  ::freeaddrinfo(res);
  return unavailable("dialing " + hp.host + ":" + hp.port + ": " + last);
}

Status sendAll(int fd, std::string_view data, Clock::time_point deadline) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && waitFor(fd, POLLOUT, deadline)) {
      continue;
    }
    return unavailable("writing to the runtime's streaming server: " +
                       std::string(n < 0 ? std::strerror(errno) : "timed out"));
  }
  return Status::ok();
}

// Reads what is there (up to 16 KiB) into `out`; 0 at EOF, -1 on error or timeout.
ssize_t readSome(int fd, std::string& out, Clock::time_point deadline) {
  std::array<char, 16 * 1024> buf;
  for (;;) {
    ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
    if (n >= 0) {
      out.append(buf.data(), static_cast<size_t>(n));
      return n;
    }
    if (errno == EINTR) continue;
    if ((errno == EAGAIN || errno == EWOULDBLOCK) && waitFor(fd, POLLIN, deadline)) continue;
    return -1;
  }
}

// The value of header `name` in a response head; "" when absent.
std::string headerOf(std::string_view head, std::string_view name) {
  size_t pos = head.find("\r\n");
  while (pos != std::string_view::npos && pos + 2 < head.size()) {
    size_t start = pos + 2;
    size_t end = head.find("\r\n", start);
    if (end == std::string_view::npos) break;
    std::string_view line = head.substr(start, end - start);
    size_t colon = line.find(':');
    if (colon != std::string_view::npos && iequals(line.substr(0, colon), name)) {
      std::string_view v = line.substr(colon + 1);
      while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
      while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
      return std::string(v);
    }
    pos = end;
  }
  return "";
}

}  // namespace

RuntimeUpgrade::RuntimeUpgrade(RuntimeUpgrade&& o) noexcept
    : fd(std::exchange(o.fd, -1)),
      status(o.status),
      head(std::move(o.head)),
      buffered(std::move(o.buffered)) {}

RuntimeUpgrade& RuntimeUpgrade::operator=(RuntimeUpgrade&& o) noexcept {
  if (this != &o) {
    if (fd >= 0) ::close(fd);
    fd = std::exchange(o.fd, -1);
    status = o.status;
    head = std::move(o.head);
    buffered = std::move(o.buffered);
  }
  return *this;
}

RuntimeUpgrade::~RuntimeUpgrade() {
  if (fd >= 0) ::close(fd);
}

bool isSpdyUpgrade(const http::HttpRequest& request) {
  return icontains(request.header("Upgrade"), "SPDY/3.1") &&
         icontains(request.header("Connection"), "upgrade");
}

std::vector<std::pair<std::string, std::string>> spdyUpgradeHeaders(
    const http::HttpRequest& request) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [name, value] : request.headers) {
    if (iequals(name, "Connection") || iequals(name, "Upgrade") ||
        iequals(name, "X-Stream-Protocol-Version")) {
      out.emplace_back(name, value);
    }
  }
  return out;
}

Result<RuntimeUpgrade> dialRuntimeUpgrade(
    std::string_view url, const std::vector<std::pair<std::string, std::string>>& headers,
    std::chrono::milliseconds timeout) {
  auto hp = parseStreamingUrl(url);
  if (!hp) {
    return internalError("the runtime returned a malformed streaming URL \"" + std::string(url) +
                         "\"");
  }
  const auto deadline = Clock::now() + timeout;
  RuntimeUpgrade up;
  ASSIGN_OR_RETURN(up.fd, connectTo(*hp, deadline));
  std::string req = "POST " + hp->target + " HTTP/1.1\r\nHost: " + hp->host + ":" + hp->port +
                    "\r\nUser-Agent: minik8s-kubelet\r\nContent-Length: 0\r\n";
  for (const auto& [name, value] : headers) req += name + ": " + value + "\r\n";
  req += "\r\n";
  RETURN_IF_ERROR(sendAll(up.fd, req, deadline));
  std::string data;
  size_t end;
  while ((end = data.find("\r\n\r\n")) == std::string::npos) {
    if (data.size() > 64 * 1024) return unavailable("the runtime's answer head is too large");
    ssize_t n = readSome(up.fd, data, deadline);
    if (n <= 0) {
      return unavailable(std::string("reading the runtime's answer: ") +
                         (n == 0 ? "connection closed" : "timed out or failed"));
    }
  }
  up.head = data.substr(0, end + 4);
  up.buffered = data.substr(end + 4);
  // "HTTP/1.1 101 Switching Protocols"
  size_t sp = up.head.find(' ');
  if (up.head.compare(0, 5, "HTTP/") != 0 || sp == std::string::npos) {
    return unavailable("the runtime's streaming server answered garbage");
  }
  try {
    up.status = std::stoi(up.head.substr(sp + 1, 3));
  } catch (...) {
    return unavailable("the runtime's streaming server answered garbage");
  }
  return up;
}

std::string readRefusalBody(RuntimeUpgrade& upgrade, std::chrono::milliseconds timeout) {
  size_t want = 4096;
  std::string length = headerOf(upgrade.head, "Content-Length");
  if (!length.empty()) {
    try {
      want = std::min<size_t>(std::stoul(length), 64 * 1024);
    } catch (...) {
    }
  }
  const auto deadline = Clock::now() + timeout;
  while (upgrade.fd >= 0 && upgrade.buffered.size() < want) {
    if (readSome(upgrade.fd, upgrade.buffered, deadline) <= 0) break;
  }
  if (upgrade.buffered.size() > want) upgrade.buffered.resize(want);
  return upgrade.buffered;
}

void startRawSplice(std::unique_ptr<http::UpgradedConnection> client, RuntimeUpgrade upstream) {
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  ::getsockname(upstream.fd, reinterpret_cast<sockaddr*>(&addr), &len);
  tcp::socket socket(client->stream().get_executor());
  boost::system::error_code ec;
  socket.assign(addr.ss_family == AF_INET6 ? tcp::v6() : tcp::v4(), upstream.fd, ec);
  if (ec) {
    log::warn("kubelet: streaming: adopting the runtime's socket: {}", ec.message());
    client->stream().close();
    return;
  }
  upstream.fd = -1;  // the socket owns it now
  std::string to_client = upstream.head + upstream.buffered;
  std::string to_upstream = client->takeBuffered();
  std::make_shared<http::Splice<tcp::socket>>(std::move(client), std::move(socket))
      ->start(std::move(to_client), std::move(to_upstream));
}

}  // namespace minik8s::kubelet
