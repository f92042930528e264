// KubeletConnection: the apiserver's HTTP/1.1 client to a node's kubelet endpoint (plain
// HTTP on InternalIP:kubeletEndpoint.Port), for pods/log, pods/exec and metrics. One
// connection per request, blocking with a deadline on every step (a private io_context,
// like client::BeastTransport). The response head is kept byte for byte, so an upgrade
// answer can be passed on unchanged. Not thread-safe, except cancel().
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace minik8s::apiserver {

struct KubeletResponseHead {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string raw;  // status line and headers with the final blank line, as received

  std::string header(std::string_view name) const;  // case-insensitive; "" when absent
};

class KubeletConnection {
 public:
  using Milliseconds = std::chrono::milliseconds;

  // kUnavailable (refused, unreachable) or kDeadlineExceeded, naming host:port.
  static Result<std::unique_ptr<KubeletConnection>> connect(const std::string& host, uint16_t port,
                                                            Milliseconds timeout);
  ~KubeletConnection();

  Status send(std::string_view data, Milliseconds timeout);
  Result<KubeletResponseHead> readHead(Milliseconds timeout);
  // The whole body after readHead (Content-Length, chunked, or until the peer closes).
  Result<std::string> readBody(const KubeletResponseHead& head, Milliseconds timeout);
  // Passes the body to `sink` as it arrives (chunked framing removed) until it ends, `sink`
  // returns false or cancel() is called. No deadline: a followed log may be quiet for long.
  Status streamBody(const KubeletResponseHead& head,
                    const std::function<bool(std::string_view)>& sink);
  // Any thread: makes a blocking call return soon (kUnavailable "cancelled").
  void cancel();

  // After an upgrade answer: the socket (the caller owns the descriptor now) and the bytes
  // read past the head.
  int releaseSocket();
  std::string takeBuffered();

  const std::string& address() const { return address_; }

 private:
  struct Impl;
  explicit KubeletConnection(std::unique_ptr<Impl> impl, std::string address);
  std::unique_ptr<Impl> impl_;
  std::string address_;  // "host:port"
};

// GET `target` and the whole answer (status, body); non-2xx answers are not errors.
struct KubeletGetResult {
  int status = 0;
  std::string body;
};
Result<KubeletGetResult> kubeletGet(const std::string& host, uint16_t port,
                                    const std::string& target, std::chrono::milliseconds timeout);

}  // namespace minik8s::apiserver
