// The apiserver's HTTP/1.1 client to a node's kubelet endpoint (InternalIP:kubeletEndpoint.
// Port), for pods/log, pods/exec and metrics. KubeletClient is how it dials: HTTPS with the
// apiserver's kubelet client certificate when built from a KubeletClientConfig (as
// kube-apiserver's --kubelet-client-certificate/--kubelet-client-key; the kubelet's serving
// certificate is verified only with a CA, --kubelet-certificate-authority), plain HTTP
// otherwise. KubeletConnection is one connection per request, blocking with a deadline on
// every step (a private io_context, like client::BeastTransport). The response head is kept
// byte for byte, so an upgrade answer can be passed on unchanged.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "http/async_stream.h"

namespace minik8s::apiserver {

// How the apiserver reaches kubelets over HTTPS. PEM text.
struct KubeletClientConfig {
  std::string client_cert_pem;  // --kubelet-client-certificate
  std::string client_key_pem;   // --kubelet-client-key
  std::string ca_pem;           // --kubelet-certificate-authority; empty: not verified
};

class KubeletConnection;

// A kubelet's whole answer to KubeletClient::get.
struct KubeletGetResult {
  int status = 0;
  std::string body;
};

// KubeletClient: how one API server dials kubelets. Built once from the server's options
// (ApiServerOptions::kubelet_client) and handed by value to the pieces that dial (NodeProxy,
// MetricsApi); copies share one immutable TLS context. Default-constructed: plain HTTP.
// Thread-safe.
class KubeletClient {
 public:
  KubeletClient() = default;

  // nullopt: plain HTTP; a config: HTTPS with its client certificate. kBadRequest when a
  // certificate, key or CA does not load or the key does not match.
  static Result<KubeletClient> create(const std::optional<KubeletClientConfig>& config);

  bool tls() const { return tls_ != nullptr; }

  // kUnavailable (refused, unreachable, TLS handshake failed) or kDeadlineExceeded, naming
  // host:port.
  Result<std::unique_ptr<KubeletConnection>> connect(const std::string& host, uint16_t port,
                                                     std::chrono::milliseconds timeout) const;
  // GET `target` and the whole answer (status, body); non-2xx answers are not errors.
  Result<KubeletGetResult> get(const std::string& host, uint16_t port, const std::string& target,
                               std::chrono::milliseconds timeout) const;

  struct Tls;  // internal (kubelet_client.cc)

 private:
  std::shared_ptr<const Tls> tls_;  // null: plain HTTP
};

struct KubeletResponseHead {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string raw;  // status line and headers with the final blank line, as received

  std::string header(std::string_view name) const;  // case-insensitive; "" when absent
};

// One connection to a kubelet (KubeletClient::connect). Not thread-safe, except cancel().
class KubeletConnection {
 public:
  using Milliseconds = std::chrono::milliseconds;

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

  // After an upgrade answer: the bytes read past the head, then the connection as a stream
  // whose operations complete on `executor` (a splice with a client connection: its
  // strand). The stream runs its own I/O thread; it ends when the stream is closed and
  // destroyed. This connection is unusable afterwards.
  std::string takeBuffered();
  std::unique_ptr<http::AsyncStream> takeStream(http::AsyncStream::executor_type executor);

  const std::string& address() const { return address_; }

  struct Impl;  // internal (kubelet_client.cc)

 private:
  friend class KubeletClient;
  explicit KubeletConnection(std::unique_ptr<Impl> impl, std::string address);
  std::unique_ptr<Impl> impl_;
  std::string address_;  // "host:port"
};

}  // namespace minik8s::apiserver
