// The kubelet side of SPDY streaming: `kubectl exec` (its SPDY fallback), `attach` and
// `port-forward` (kubectl-protocol.md §7.12-7.13, wire-facts.md §7). The runtime's
// streaming server (containerd's copy of the kubelet streaming code) speaks SPDY/3.1 itself
// (remotecommand v1-v4 with a half-closed stdin stream for EOF; portforward.k8s.io dialing
// the port inside the sandbox's network namespace), so the kubelet does not parse SPDY: it
// sends the client's upgrade request on to the runtime's one-time URL and, once the runtime
// answers 101, splices the two connections byte for byte. What the runtime negotiated
// (X-Stream-Protocol-Version) goes back to the client unchanged.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "http/upgrade.h"

namespace minik8s::kubelet {

// The runtime's answer to an upgrade request: the connection (a connected TCP socket, owned:
// close it when not handed to startRawSplice), the response head as it came, and any bytes
// read past it.
struct RuntimeUpgrade {
  int fd = -1;
  int status = 0;
  std::string head;      // status line and headers, ending in "\r\n\r\n"
  std::string buffered;  // bytes after the head (the body of a refusal, or the first frames)
  RuntimeUpgrade() = default;
  RuntimeUpgrade(RuntimeUpgrade&& o) noexcept;
  RuntimeUpgrade& operator=(RuntimeUpgrade&& o) noexcept;
  ~RuntimeUpgrade();
};

// The headers of `request` that make a SPDY upgrade (Connection, Upgrade,
// X-Stream-Protocol-Version, each occurrence): what goes on to the runtime.
bool isSpdyUpgrade(const http::HttpRequest& request);
std::vector<std::pair<std::string, std::string>> spdyUpgradeHeaders(
    const http::HttpRequest& request);

// Dials `url` ("http://host:port/path", a Runtime::exec/attach/portForward answer), sends
// "POST path" with `headers` and reads the response head. Blocking, up to `timeout` in all;
// call it from a worker thread. kUnavailable when the runtime cannot be reached or answers
// garbage; a non-101 answer is returned as it is (status, head, what came of its body).
Result<RuntimeUpgrade> dialRuntimeUpgrade(
    std::string_view url, const std::vector<std::pair<std::string, std::string>>& headers,
    std::chrono::milliseconds timeout);

// The body of a refused upgrade: what `upgrade.buffered` holds, completed up to its
// Content-Length (blocking, up to `timeout`). For relaying the runtime's error message.
std::string readRefusalBody(RuntimeUpgrade& upgrade, std::chrono::milliseconds timeout);

// Takes over `client` (its upgrade request not yet answered): writes the runtime's 101 head
// and buffered bytes to it, then copies bytes both ways until both sides are done (an EOF
// is passed on as a half-close; an error closes both). Call on the connection's strand
// (as HandlerResult::upgrade is).
void startRawSplice(std::unique_ptr<http::UpgradedConnection> client, RuntimeUpgrade upstream);

}  // namespace minik8s::kubelet
