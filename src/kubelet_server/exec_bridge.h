// The kubelet side of `kubectl exec`: a client's WebSocket (v5.channel.k8s.io or
// v4.channel.k8s.io, kubectl-protocol.md §7.12) bridged to the runtime's streaming server
// (containerd 1.6: the kubelet streaming code, WebSocket v4.channel.k8s.io), frame by frame.
//
// Both protocols frame the same way (binary messages, first byte = channel: 0 stdin,
// 1 stdout, 2 stderr, 3 error/Status, 4 resize), so frames pass unchanged; the runtime
// writes the channel 3 Status with the exit code itself. v5 adds a close message
// (`FF <channel>`) that v4 cannot express, so the kubelet refuses v5 exec with stdin before
// the switch (kubectl then takes SPDY, stream_proxy.h): here stdin frames pass only on v4,
// and close messages are dropped.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "http/upgrade.h"

namespace minik8s::kubelet {

inline constexpr char kExecProtocolV5[] = "v5.channel.k8s.io";
inline constexpr char kExecProtocolV4[] = "v4.channel.k8s.io";

// The subprotocol to answer: the first of the client's offers (Sec-WebSocket-Protocol
// values, comma-separated, possibly several headers joined) that we speak; "" if none.
std::string negotiateExecProtocol(std::string_view offered);

struct ExecBridgeOptions {
  std::string upstream_url;  // Runtime::exec's answer: "http://127.0.0.1:PORT/exec/TOKEN"
  std::string protocol;      // negotiated with the client (kExecProtocolV5 or V4)
  bool stdin = false;        // the exec has stdin: frames on channel 0 go through
  std::chrono::milliseconds handshake_timeout{10000};  // each WebSocket handshake and close
};

// Takes over `client`, whose request is a WebSocket upgrade not yet answered: dials the
// runtime (a failure is answered as an HTTP 500 Status, before switching protocols),
// accepts the client with `protocol`, then relays frames both ways until one side ends.
// Must be called on the connection's strand (as HandlerResult::upgrade is); everything
// runs there afterwards.
void startExecBridge(std::unique_ptr<http::UpgradedConnection> client, ExecBridgeOptions options);

}  // namespace minik8s::kubelet
