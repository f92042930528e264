// HttpTransport: the client's one seam to the network. RestClient speaks through it; tests
// replace it with a fake. BeastTransport is the real one: HTTP/1.1 over plain TCP or over
// TLS (https: the server verified against the configured CA and host name, a client
// certificate presented), keep-alive connections reused from a small pool, a bearer token
// on every request when configured, and a deadline on every request.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "client/config.h"
#include "common/status.h"

namespace minik8s::client {

struct HttpRequest {
  std::string method = "GET";
  std::string target;  // path and query: "/api/v1/pods?watch=true"
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct HttpResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // Case-insensitive lookup of the first header called `name`; "" when absent.
  std::string header(std::string_view name) const;
};

// Called with each piece of a streamed body; return false to stop reading.
using BodyConsumer = std::function<bool(std::string_view data)>;

// Thread-safe: implementations may be called from several threads at once.
class HttpTransport {
 public:
  virtual ~HttpTransport() = default;

  // One request and its whole response. Transport failures (refused, timeout, reset) are
  // kUnavailable or kDeadlineExceeded with a message naming the server (see
  // isConnectionError); any HTTP status is a successful round trip.
  virtual Result<HttpResponse> roundTrip(const HttpRequest& request) = 0;

  // A streamed request (watch, log follow). For a 2xx answer the body is handed to
  // `consumer` as it arrives and the returned response has an empty body; otherwise the
  // whole (error) body is returned. Ends when the server ends the body, the consumer
  // returns false, `stop` is requested, or no byte arrives for `idle_timeout` (0: never).
  virtual Result<HttpResponse> stream(const HttpRequest& request, const BodyConsumer& consumer,
                                      std::stop_token stop,
                                      std::chrono::milliseconds idle_timeout) = 0;
};

// Whether `status` is a transport failure (the server was not reached or did not answer),
// as opposed to an error the server reported.
bool isConnectionError(const Status& status);

// Owns its connections and one TLS context (built once); thread-safe.
class BeastTransport : public HttpTransport {
 public:
  // `timeout` bounds each request (connect + write + read of the response). An https
  // `address` is verified against the system's default CAs, without client credentials.
  BeastTransport(ServerAddress address, std::chrono::milliseconds timeout, std::string user_agent);

  // The transport for a resolved config: its server, timeout, user agent, TLS settings and
  // bearer token. A server without a scheme is https when a CA, a client certificate or
  // insecure_skip_verify is configured (as client-go). kBadRequest when the URL, the CA,
  // the certificate or the key does not parse, or the key does not match the certificate.
  static Result<std::unique_ptr<BeastTransport>> create(const ClientConfig& config);

  ~BeastTransport() override;

  Result<HttpResponse> roundTrip(const HttpRequest& request) override;
  Result<HttpResponse> stream(const HttpRequest& request, const BodyConsumer& consumer,
                              std::stop_token stop,
                              std::chrono::milliseconds idle_timeout) override;

 private:
  struct Connection;
  struct TlsContext;

  BeastTransport(ServerAddress address, std::chrono::milliseconds timeout, std::string user_agent,
                 Result<std::unique_ptr<TlsContext>> tls, std::string bearer_token);

  Result<std::unique_ptr<Connection>> connect() const;
  Status handshake(Connection& c) const;
  std::unique_ptr<Connection> takeIdle();
  void putIdle(std::unique_ptr<Connection> connection);
  Status writeRequest(Connection& c, const HttpRequest& request) const;
  Result<HttpResponse> exchange(Connection& connection, const HttpRequest& request) const;
  Status connectionError(const std::string& what, const std::string& detail) const;

  const ServerAddress address_;
  const std::chrono::milliseconds timeout_;
  const std::string user_agent_;
  const std::unique_ptr<TlsContext> tls_;  // set for https
  const Status tls_error_;                 // why an https tls_ could not be built
  const std::string bearer_token_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Connection>> idle_;  // GUARDED_BY(mu_)
};

}  // namespace minik8s::client
