#include "client/transport.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <optional>

#include "common/strings.h"

namespace minik8s::client {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr char kRefusedPrefix[] = "The connection to the server ";
constexpr char kUnreachablePrefix[] = "Unable to connect to the server: ";
constexpr size_t kMaxIdleConnections = 4;

}  // namespace

std::string HttpResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (iequals(k, name)) return v;
  }
  return "";
}

bool isConnectionError(const Status& status) {
  const std::string& m = status.message();
  return (status.code() == Code::kUnavailable || status.code() == Code::kDeadlineExceeded) &&
         (m.rfind(kRefusedPrefix, 0) == 0 || m.rfind(kUnreachablePrefix, 0) == 0);
}

// One TLS client context per transport: trust, client certificate, ALPN, and the name each
// connection sends as SNI and verifies the server's certificate against. Read-only after
// build, so connections of several threads share it.
struct BeastTransport::TlsContext {
  asio::ssl::context ctx{asio::ssl::context::tls_client};
  bool verify = true;
  std::string server_name;  // SNI (names only) and the name or IP address verified
  bool server_name_is_ip = false;

  static Result<std::unique_ptr<TlsContext>> build(const TlsClientConfig& config,
                                                   const std::string& host);
};

Result<std::unique_ptr<BeastTransport::TlsContext>> BeastTransport::TlsContext::build(
    const TlsClientConfig& config, const std::string& host) {
  auto tls = std::make_unique<TlsContext>();
  SSL_CTX* native = tls->ctx.native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  static constexpr unsigned char kAlpn[] = "\x08http/1.1";
  SSL_CTX_set_alpn_protos(native, kAlpn, sizeof kAlpn - 1);
  beast::error_code ec;
  tls->verify = !config.insecure_skip_verify;
  if (!config.ca_pem.empty()) {
    tls->ctx.add_certificate_authority(asio::buffer(config.ca_pem), ec);
    if (ec) return badRequest("invalid certificate-authority: " + ec.message());
  } else if (tls->verify) {
    tls->ctx.set_default_verify_paths(ec);  // as Go, a system without CAs trusts nothing
  }
  tls->ctx.set_verify_mode(tls->verify ? asio::ssl::verify_peer : asio::ssl::verify_none);
  if (config.client_cert_pem.empty() != config.client_key_pem.empty()) {
    return badRequest(config.client_cert_pem.empty()
                          ? "client-key is given without a client-certificate"
                          : "client-certificate is given without a client-key");
  }
  if (!config.client_cert_pem.empty()) {
    tls->ctx.use_certificate_chain(asio::buffer(config.client_cert_pem), ec);
    if (ec) return badRequest("invalid client-certificate: " + ec.message());
    tls->ctx.use_private_key(asio::buffer(config.client_key_pem), asio::ssl::context::pem, ec);
    if (ec && ERR_GET_LIB(static_cast<unsigned long>(ec.value())) == ERR_LIB_X509 &&
        ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == X509_R_KEY_VALUES_MISMATCH) {
      return badRequest("client-key does not match client-certificate");
    }
    if (ec) return badRequest("invalid client-key: " + ec.message());
    if (SSL_CTX_check_private_key(native) != 1) {
      return badRequest("client-key does not match client-certificate");
    }
  }
  tls->server_name = config.server_name.empty() ? host : config.server_name;
  asio::ip::make_address(tls->server_name, ec);
  tls->server_name_is_ip = !ec;
  return tls;
}

struct BeastTransport::Connection {
  asio::io_context ioc;
  std::optional<beast::tcp_stream> plain;                      // http
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure;  // https
  beast::flat_buffer buffer;
  std::string peer_names;  // the server certificate's names when they did not match

  beast::tcp_stream& tcp() { return secure ? secure->next_layer() : *plain; }

  // Calls `f` with the stream requests and responses travel on (TLS or plain).
  template <typename F>
  void withStream(F&& f) {
    if (secure) {
      f(*secure);
    } else {
      f(*plain);
    }
  }

  // Runs one asynchronous operation to completion with a deadline (0: none) and returns
  // its error code; the io_context makes the blocking call honour the timeout.
  template <typename Start>
  beast::error_code run(std::chrono::milliseconds timeout, Start start) {
    beast::error_code result = asio::error::would_block;
    if (timeout.count() > 0) {
      tcp().expires_after(timeout);
    } else {
      tcp().expires_never();
    }
    start([&result](beast::error_code ec, auto&&...) { result = ec; });
    ioc.restart();
    ioc.run();
    return result;
  }
};

namespace {

// The DNS names (or, for an IP host, the IP addresses) of a certificate's subjectAltName.
std::string certificateNames(X509* cert, bool ip) {
  std::string names;
  auto* sans =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (sans == nullptr) return names;
  for (int i = 0; i < sk_GENERAL_NAME_num(sans); ++i) {
    const GENERAL_NAME* san = sk_GENERAL_NAME_value(sans, i);
    std::string name;
    if (!ip && san->type == GEN_DNS) {
      const ASN1_IA5STRING* dns = san->d.dNSName;
      name.assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(dns)),
                  static_cast<size_t>(ASN1_STRING_length(dns)));
    } else if (ip && san->type == GEN_IPADD) {
      const ASN1_OCTET_STRING* bytes = san->d.iPAddress;
      int length = ASN1_STRING_length(bytes);
      char text[INET6_ADDRSTRLEN] = {};
      if (inet_ntop(length == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(bytes), text,
                    sizeof text) != nullptr) {
        name = text;
      }
    }
    if (name.empty()) continue;
    if (!names.empty()) names += ", ";
    names += name;
  }
  GENERAL_NAMES_free(sans);
  return names;
}

// Go's wording for a failed verification ("x509: certificate signed by unknown authority").
std::string x509Message(long result, const std::string& peer_names, const std::string& name,
                        bool ip) {
  switch (result) {
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
      return "x509: certificate signed by unknown authority";
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CERT_NOT_YET_VALID: return "x509: certificate has expired or is not yet valid";
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
      if (peer_names.empty()) {
        return ip ? "x509: cannot validate certificate for " + name +
                        " because it doesn't contain any IP SANs"
                  : "x509: certificate is not valid for any names, but wanted to match " + name;
      }
      return "x509: certificate is valid for " + peer_names + ", not " + name;
    default: return std::string("x509: ") + X509_verify_cert_error_string(result);
  }
}

}  // namespace

BeastTransport::BeastTransport(ServerAddress address, std::chrono::milliseconds timeout,
                               std::string user_agent)
    : BeastTransport(address, timeout, std::move(user_agent),
                     address.tls ? TlsContext::build({}, address.host)
                                 : Result<std::unique_ptr<TlsContext>>(nullptr),
                     "") {}

BeastTransport::BeastTransport(ServerAddress address, std::chrono::milliseconds timeout,
                               std::string user_agent, Result<std::unique_ptr<TlsContext>> tls,
                               std::string bearer_token)
    : address_(std::move(address)),
      timeout_(timeout),
      user_agent_(std::move(user_agent)),
      tls_(tls.isOk() ? std::move(tls).value() : nullptr),
      tls_error_(tls.status()),
      bearer_token_(std::move(bearer_token)) {}

BeastTransport::~BeastTransport() = default;

Result<std::unique_ptr<BeastTransport>> BeastTransport::create(const ClientConfig& config) {
  const TlsClientConfig& tls = config.tls;
  bool tls_configured =
      !tls.ca_pem.empty() || !tls.client_cert_pem.empty() || tls.insecure_skip_verify;
  bool has_scheme = config.server.find("://") != std::string::npos;
  ASSIGN_OR_RETURN(
      ServerAddress address,
      parseServerUrl(!has_scheme && tls_configured ? "https://" + config.server : config.server));
  Result<std::unique_ptr<TlsContext>> context(nullptr);
  if (address.tls) {
    context = TlsContext::build(tls, address.host);
    if (!context.isOk()) return context.status();
  }
  return std::unique_ptr<BeastTransport>(new BeastTransport(std::move(address), config.timeout,
                                                            config.user_agent, std::move(context),
                                                            config.bearer_token));
}

Status BeastTransport::connectionError(const std::string& what, const std::string& detail) const {
  if (what == "refused") {
    return unavailable(kRefusedPrefix + address_.hostPort() +
                       " was refused - did you specify the right host or port?");
  }
  if (what == "timeout") {
    return deadlineExceeded(std::string(kUnreachablePrefix) + detail + " " + address_.hostPort() +
                            ": i/o timeout");
  }
  return unavailable(std::string(kUnreachablePrefix) + detail + " " + address_.hostPort());
}

Result<std::unique_ptr<BeastTransport::Connection>> BeastTransport::connect() const {
  if (address_.tls && tls_ == nullptr) return tls_error_;
  auto connection = std::make_unique<Connection>();
  if (tls_ != nullptr) {
    connection->secure.emplace(connection->ioc, tls_->ctx);
  } else {
    connection->plain.emplace(connection->ioc);
  }
  tcp::resolver resolver(connection->ioc);
  beast::error_code ec;
  auto endpoints = resolver.resolve(address_.host, std::to_string(address_.port), ec);
  if (ec)
    return connectionError("other",
                           "dial tcp: lookup " + address_.host + ": " + ec.message() + ";");
  ec = connection->run(timeout_, [&](auto handler) {
    connection->tcp().async_connect(endpoints, std::move(handler));
  });
  if (ec == asio::error::connection_refused) return connectionError("refused", "");
  if (ec == beast::error::timeout) return connectionError("timeout", "dial tcp");
  if (ec) return connectionError("other", "dial tcp: " + ec.message() + ":");
  connection->tcp().socket().set_option(tcp::no_delay(true), ec);
  if (connection->secure) RETURN_IF_ERROR(handshake(*connection));
  return connection;
}

Status BeastTransport::handshake(Connection& c) const {
  SSL* ssl = c.secure->native_handle();
  const std::string& name = tls_->server_name;
  if (!tls_->server_name_is_ip) SSL_set_tlsext_host_name(ssl, name.c_str());
  if (tls_->verify) {
    if (tls_->server_name_is_ip) {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name.c_str());
    } else {
      SSL_set1_host(ssl, name.c_str());
    }
    bool ip = tls_->server_name_is_ip;
    c.secure->set_verify_callback([&c, ip](bool preverified, asio::ssl::verify_context& context) {
      X509_STORE_CTX* store = context.native_handle();
      int error = X509_STORE_CTX_get_error(store);
      if (!preverified &&
          (error == X509_V_ERR_HOSTNAME_MISMATCH || error == X509_V_ERR_IP_ADDRESS_MISMATCH)) {
        c.peer_names = certificateNames(X509_STORE_CTX_get_current_cert(store), ip);
      }
      return preverified;
    });
  }
  beast::error_code ec = c.run(timeout_, [&](auto handler) {
    c.secure->async_handshake(asio::ssl::stream_base::client, std::move(handler));
  });
  if (!ec) return Status::ok();
  if (ec == beast::error::timeout) return connectionError("timeout", "tls handshake");
  long verified = SSL_get_verify_result(ssl);
  if (verified != X509_V_OK) {
    return unavailable(std::string(kUnreachablePrefix) + "tls: failed to verify certificate: " +
                       x509Message(verified, c.peer_names, name, tls_->server_name_is_ip));
  }
  return connectionError("other", "tls handshake: " + ec.message() + ":");
}

std::unique_ptr<BeastTransport::Connection> BeastTransport::takeIdle() {
  std::lock_guard<std::mutex> lock(mu_);
  if (idle_.empty()) return nullptr;
  auto connection = std::move(idle_.back());
  idle_.pop_back();
  return connection;
}

void BeastTransport::putIdle(std::unique_ptr<Connection> connection) {
  std::lock_guard<std::mutex> lock(mu_);
  if (idle_.size() < kMaxIdleConnections) idle_.push_back(std::move(connection));
}

namespace {

http::request<http::string_body> toBeast(const HttpRequest& request, const ServerAddress& address,
                                         const std::string& user_agent,
                                         const std::string& bearer_token) {
  http::request<http::string_body> req;
  req.method_string(request.method);
  req.target(address.path_prefix + request.target);
  req.version(11);
  req.set(http::field::host, address.hostPort());
  req.set(http::field::user_agent, user_agent);
  if (!bearer_token.empty()) req.set(http::field::authorization, "Bearer " + bearer_token);
  for (const auto& [k, v] : request.headers) req.set(k, v);
  req.body() = request.body;
  req.prepare_payload();
  return req;
}

template <typename Message>
void copyHead(const Message& message, HttpResponse* out) {
  out->status = static_cast<int>(message.result_int());
  for (const auto& field : message) {
    out->headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
}

}  // namespace

Status BeastTransport::writeRequest(Connection& c, const HttpRequest& request) const {
  auto req = toBeast(request, address_, user_agent_, bearer_token_);
  beast::error_code ec = c.run(timeout_, [&](auto handler) {
    c.withStream([&](auto& stream) { http::async_write(stream, req, std::move(handler)); });
  });
  if (ec == beast::error::timeout) return connectionError("timeout", "write tcp");
  if (ec) return connectionError("other", "write tcp: " + ec.message() + ":");
  return Status::ok();
}

Result<HttpResponse> BeastTransport::exchange(Connection& c, const HttpRequest& request) const {
  RETURN_IF_ERROR(writeRequest(c, request));
  beast::error_code ec;
  http::response_parser<http::string_body> parser;
  parser.body_limit(boost::none);
  ec = c.run(timeout_, [&](auto handler) {
    c.withStream(
        [&](auto& stream) { http::async_read(stream, c.buffer, parser, std::move(handler)); });
  });
  // A TLS server that closes without close_notify ends a body read to the end of the
  // connection with stream_truncated rather than eof.
  if (ec == asio::ssl::error::stream_truncated && parser.is_header_done() && parser.need_eof()) {
    parser.put_eof(ec);
  }
  if (ec == beast::error::timeout) return connectionError("timeout", "read tcp");
  if (ec) return connectionError("other", "read tcp: " + ec.message() + ":");
  HttpResponse response;
  copyHead(parser.get(), &response);
  response.body = std::move(parser.get().body());
  if (!parser.get().keep_alive()) {
    beast::error_code ignored;
    c.tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
    c.tcp().close();
  }
  return response;
}

Result<HttpResponse> BeastTransport::roundTrip(const HttpRequest& request) {
  // A pooled connection may have been closed by the server since its last use; such a
  // failure is retried once on a fresh connection.
  if (auto idle = takeIdle()) {
    auto response = exchange(*idle, request);
    if (response.isOk()) {
      if (idle->tcp().socket().is_open()) putIdle(std::move(idle));
      return response;
    }
  }
  ASSIGN_OR_RETURN(auto connection, connect());
  ASSIGN_OR_RETURN(HttpResponse response, exchange(*connection, request));
  if (connection->tcp().socket().is_open()) putIdle(std::move(connection));
  return response;
}

Result<HttpResponse> BeastTransport::stream(const HttpRequest& request,
                                            const BodyConsumer& consumer, std::stop_token stop,
                                            std::chrono::milliseconds idle_timeout) {
  ASSIGN_OR_RETURN(auto connection, connect());
  Connection& c = *connection;
  RETURN_IF_ERROR(writeRequest(c, request));
  beast::error_code ec;

  http::response_parser<http::string_body> parser;
  parser.body_limit(boost::none);
  ec = c.run(timeout_, [&](auto handler) {
    c.withStream([&](auto& stream) {
      http::async_read_header(stream, c.buffer, parser, std::move(handler));
    });
  });
  if (ec == beast::error::timeout) return connectionError("timeout", "read tcp");
  if (ec) return connectionError("other", "read tcp: " + ec.message() + ":");
  HttpResponse response;
  copyHead(parser.get(), &response);
  if (response.status < 200 || response.status >= 300) {
    ec = c.run(timeout_, [&](auto handler) {
      c.withStream(
          [&](auto& stream) { http::async_read(stream, c.buffer, parser, std::move(handler)); });
    });
    if (ec == asio::ssl::error::stream_truncated && parser.need_eof()) parser.put_eof(ec);
    if (ec) return connectionError("other", "read tcp: " + ec.message() + ":");
    response.body = std::move(parser.get().body());
    return response;
  }

  bool stopped = false;
  auto on_chunk = [&](std::uint64_t, std::string_view body, beast::error_code& chunk_ec) {
    if (!stopped && !consumer(body)) {
      stopped = true;
      chunk_ec = asio::error::operation_aborted;
    }
    return body.size();
  };
  parser.on_chunk_body(on_chunk);
  // A stop request from another thread closes the socket on the connection's own context.
  std::stop_callback on_stop(stop, [&c] {
    asio::post(c.ioc, [&c] {
      beast::error_code ignored;
      c.tcp().socket().cancel(ignored);
    });
  });
  while (!parser.is_done() && !stopped && !stop.stop_requested()) {
    ec = c.run(idle_timeout, [&](auto handler) {
      c.withStream([&](auto& stream) {
        http::async_read_some(stream, c.buffer, parser, std::move(handler));
      });
    });
    // A body without chunked encoding accumulates in the parser; hand it over too.
    if (!parser.get().body().empty()) {
      if (!stopped && !consumer(parser.get().body())) stopped = true;
      parser.get().body().clear();
    }
    if (stopped || stop.stop_requested()) break;
    if (ec == beast::error::timeout) return connectionError("timeout", "read tcp");
    if (ec == http::error::end_of_stream || ec == asio::error::eof ||
        ec == asio::ssl::error::stream_truncated) {
      break;
    }
    if (ec) return connectionError("other", "read tcp: " + ec.message() + ":");
  }
  return response;
}

}  // namespace minik8s::client
