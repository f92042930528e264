// UpgradedConnection: a connection that a handler took over (HandlerResult::upgrade), for
// protocols that leave HTTP after the request: WebSocket exec, byte-for-byte proxies.
//
// Include this only where Asio is wanted: it exposes the stream.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <string>

#include "http/async_stream.h"
#include "http/http_server.h"

namespace minik8s::http {

// Owned by the handler's code. The stream's executor is the connection's strand: use the
// stream, and any companion sockets or timers made on stream().get_executor(), only from
// that strand (the upgrade callback already runs on it). HttpServer::stop() closes the
// connection: pending operations then fail, and the handler's code must wind down (close
// what else it opened) so that the server's threads can finish. Destroying this object
// closes the connection.
class UpgradedConnection {
 public:
  virtual ~UpgradedConnection() = default;

  // The connection's bytes, decrypted when it is TLS (request().tls).
  virtual AsyncStream& stream() = 0;
  // The TCP socket underneath. On a TLS connection it carries ciphertext: use stream().
  // Kept for code that does blocking I/O on a plain connection from a thread of its own
  // (a test's fake kubelet).
  virtual boost::asio::ip::tcp::socket& socket() = 0;
  // Bytes the server read past the request head: the first bytes of the new protocol
  // (usually none: a client waits for the switch before sending). Empty after the call.
  virtual std::string takeBuffered() = 0;
  // The request that asked for the upgrade.
  virtual const HttpRequest& request() const = 0;
};

// The request line and headers of `request` as they came ("GET /x?y HTTP/1.1\r\n...\r\n\r\n"),
// e.g. to hand a WebSocket implementation the handshake to answer.
std::string serializeRequestHead(const HttpRequest& request);

}  // namespace minik8s::http
