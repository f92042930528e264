// HttpServer: the HTTP/1.1 transport on Boost.Beast of the apiserver and the kubelet.
//
// Owns the listening socket, the I/O threads and a bounded pool of worker threads.
// Requests are read on I/O threads (header and body timeouts, body size limit, keep-alive)
// and handed to the Handler on a worker thread, because handlers block on etcd. A handler
// returns a complete response, asks for a chunked stream (watch, log follow), or takes
// the connection over (WebSocket exec: see http/upgrade.h); streams are written
// asynchronously from the connection's strand, so thousands of open watches cost no
// thread each. Thread-safe: start() once, stop() once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace minik8s::http {

// The identity in a client certificate that verified against TlsServerOptions::client_ca_pem,
// as kube-apiserver reads it: the subject's CommonName is the user, its Organizations the
// groups.
struct ClientCertificate {
  std::string common_name;
  std::vector<std::string> organizations;
};

struct HttpRequest {
  std::string method;      // "GET", "POST", ...
  std::string path;        // percent-decoded path without the query: "/api/v1/namespaces/x/pods"
  std::string raw_target;  // as received: "/api/v1/pods?watch=1"
  std::multimap<std::string, std::string> query;  // percent-decoded ("+" is a space)
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string remote_address;  // "127.0.0.1:53412"
  bool tls = false;            // the connection is TLS
  // Set only when the client presented a certificate that verified against
  // TlsServerOptions::client_ca_pem (an unverifiable one fails the handshake).
  std::optional<ClientCertificate> client_certificate;

  // Case-insensitive header lookup; "" when absent.
  std::string header(std::string_view name) const;
  // First value of a query parameter; "" when absent.
  std::string queryValue(std::string_view name) const;
  bool hasQuery(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;  // Content-Length is added
  std::string body;
};

// The writing end of a chunked response. Thread-safe: write/finish may be called from
// any thread; data goes out in call order.
class ResponseStream {
 public:
  virtual ~ResponseStream() = default;
  // Queues one chunk. false once the client is gone or finish() was called.
  virtual bool write(std::string chunk) = 0;
  // Sends the terminating chunk; the connection then serves its next request.
  virtual void finish() = 0;
  virtual bool closed() const = 0;
  // Bytes queued and not yet written to the socket (slow-client detection).
  virtual size_t pendingBytes() const = 0;
  // Runs once, on an I/O thread, when the stream ends for any reason (client gone,
  // finish(), server stop). Set it before the first write.
  virtual void setOnClose(std::function<void()> on_close) = 0;
};

class UpgradedConnection;  // http/upgrade.h

struct HandlerResult {
  HttpResponse response;  // for streams: status and headers only; unused for upgrades
  // When set, the response is sent with Transfer-Encoding: chunked and this is called
  // (on a worker thread) with the stream once the headers are queued.
  std::function<void(std::shared_ptr<ResponseStream>)> start_stream;
  // When set (and start_stream is not), the server writes nothing more on the connection:
  // it leaves HTTP and this is called once, on the connection's strand (an I/O thread:
  // start asynchronous operations, never block), with the stream, the request and the
  // bytes already read past it. The handler's code now owns the protocol (the 101
  // answer, WebSocket frames, a byte splice); see http/upgrade.h.
  std::function<void(std::unique_ptr<UpgradedConnection>)> upgrade;
};

using Handler = std::function<HandlerResult(HttpRequest& request)>;

// HTTPS: TLS 1.2 or 1.3 (1.3 preferred), OpenSSL's default ciphers, ALPN "http/1.1" only
// (a client offering h2 and http/1.1, like Go's, gets HTTP/1.1).
struct TlsServerOptions {
  std::string cert_pem;  // the server certificate, then its chain (PEM)
  std::string key_pem;   // its private key (PEM: PKCS#8, or traditional EC/RSA)
  // When set, clients are asked for a certificate, which must verify against these CAs
  // (PEM, one or more); the verified identity is HttpRequest::client_certificate.
  std::string client_ca_pem;
  // With client_ca_pem: refuse a handshake without a client certificate (the kubelet: only
  // the apiserver may call). Otherwise a client without one is served, anonymously.
  bool require_client_certificate = false;
};

struct HttpServerOptions {
  std::string bind_address = "127.0.0.1";
  uint16_t port = 6443;  // 0: pick a free port (see HttpServer::port())
  int io_threads = 2;
  int worker_threads = 8;
  size_t max_body_bytes = 3 * 1024 * 1024;  // larger bodies: 413
  int header_timeout_seconds = 10;          // request head must arrive within this
  int body_timeout_seconds = 30;            // body must arrive within this
  int idle_timeout_seconds = 120;           // keep-alive connection idle
  size_t max_in_flight = 400;               // non-stream requests queued or running; 429 beyond
  size_t max_connections = 20000;
  // Long-running requests (watch, log follow) are not counted against max_in_flight.
  // Empty: those whose query sets `watch` or `follow` to a true value (1, t, T, true, True,
  // TRUE), as the Python client and kubectl send them.
  std::function<bool(const HttpRequest&)> is_long_running;
  // Set: every connection is TLS (the handshake must end within header_timeout_seconds;
  // a failed one just closes the connection). Unset: plain HTTP.
  std::optional<TlsServerOptions> tls;
};

class HttpServer {
 public:
  virtual ~HttpServer() = default;
  // Binds and starts serving. kUnavailable when the address cannot be bound; kInvalid
  // when the TLS certificate, key or client CAs do not load or the key does not match.
  virtual Status start() = 0;
  // Closes the listener, ends streams and connections, joins threads. Idempotent.
  virtual void stop() = 0;
  // The bound port (useful with port 0). Valid after start().
  virtual uint16_t port() const = 0;
  // Open chunked streams right now.
  virtual size_t openStreams() const = 0;

  static std::unique_ptr<HttpServer> create(HttpServerOptions options, Handler handler);
};

// The response as bytes on the wire: status line, headers (Content-Length added,
// Content-Type defaulting to JSON), body. For handlers that answer on an upgraded
// connection before or instead of switching protocols.
std::string serializeResponse(const HttpResponse& response, bool keep_alive);

// A Kubernetes `Status` failure response ({"kind":"Status",...,"code":code}).
HttpResponse statusResponse(int code, std::string_view reason, std::string_view message);

// Whether a query value is true the way Go's strconv.ParseBool says (1, t, T, true, True,
// TRUE); kubectl sends "true", the Python client "True".
bool isTrueValue(std::string_view value);

// Percent-decoding of a URL component; "+" becomes a space when plus_is_space.
std::string urlDecode(std::string_view s, bool plus_is_space);
// Like urlDecode, but nullopt when a "%" is not followed by two hex digits (urlDecode keeps
// such sequences as they are).
std::optional<std::string> tryUrlDecode(std::string_view s, bool plus_is_space);

// The non-empty segments of a path: "/api//v1/pods/" → {"api", "v1", "pods"}. The views
// point into `path`.
std::vector<std::string_view> splitPath(std::string_view path);

}  // namespace minik8s::http
