#include "client/transport.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <optional>

namespace minik8s::client {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr char kRefusedPrefix[] = "The connection to the server ";
constexpr char kUnreachablePrefix[] = "Unable to connect to the server: ";
constexpr size_t kMaxIdleConnections = 4;

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string HttpResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (equalsIgnoreCase(k, name)) return v;
  }
  return "";
}

bool isConnectionError(const Status& status) {
  const std::string& m = status.message();
  return (status.code() == Code::kUnavailable || status.code() == Code::kDeadlineExceeded) &&
         (m.rfind(kRefusedPrefix, 0) == 0 || m.rfind(kUnreachablePrefix, 0) == 0);
}

struct BeastTransport::Connection {
  asio::io_context ioc;
  beast::tcp_stream stream{ioc};
  beast::flat_buffer buffer;

  // Runs one asynchronous operation to completion with a deadline (0: none) and returns
  // its error code; the io_context makes the blocking call honour the timeout.
  template <typename Start>
  beast::error_code run(std::chrono::milliseconds timeout, Start start) {
    beast::error_code result = asio::error::would_block;
    if (timeout.count() > 0) {
      stream.expires_after(timeout);
    } else {
      stream.expires_never();
    }
    start([&result](beast::error_code ec, auto&&...) { result = ec; });
    ioc.restart();
    ioc.run();
    return result;
  }
};

BeastTransport::BeastTransport(ServerAddress address, std::chrono::milliseconds timeout,
                               std::string user_agent)
    : address_(std::move(address)), timeout_(timeout), user_agent_(std::move(user_agent)) {}

BeastTransport::~BeastTransport() = default;

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
  auto connection = std::make_unique<Connection>();
  tcp::resolver resolver(connection->ioc);
  beast::error_code ec;
  auto endpoints = resolver.resolve(address_.host, std::to_string(address_.port), ec);
  if (ec)
    return connectionError("other",
                           "dial tcp: lookup " + address_.host + ": " + ec.message() + ";");
  ec = connection->run(timeout_, [&](auto handler) {
    connection->stream.async_connect(endpoints, std::move(handler));
  });
  if (ec == asio::error::connection_refused) return connectionError("refused", "");
  if (ec == beast::error::timeout) return connectionError("timeout", "dial tcp");
  if (ec) return connectionError("other", "dial tcp: " + ec.message() + ":");
  connection->stream.socket().set_option(tcp::no_delay(true), ec);
  return connection;
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
                                         const std::string& user_agent) {
  http::request<http::string_body> req;
  req.method_string(request.method);
  req.target(address.path_prefix + request.target);
  req.version(11);
  req.set(http::field::host, address.hostPort());
  req.set(http::field::user_agent, user_agent);
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
  auto req = toBeast(request, address_, user_agent_);
  beast::error_code ec =
      c.run(timeout_, [&](auto handler) { http::async_write(c.stream, req, std::move(handler)); });
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
    http::async_read(c.stream, c.buffer, parser, std::move(handler));
  });
  if (ec == beast::error::timeout) return connectionError("timeout", "read tcp");
  if (ec) return connectionError("other", "read tcp: " + ec.message() + ":");
  HttpResponse response;
  copyHead(parser.get(), &response);
  response.body = std::move(parser.get().body());
  if (!parser.get().keep_alive()) {
    beast::error_code ignored;
    c.stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    c.stream.close();
  }
  return response;
}

Result<HttpResponse> BeastTransport::roundTrip(const HttpRequest& request) {
  // A pooled connection may have been closed by the server since its last use; such a
  // failure is retried once on a fresh connection.
  if (auto idle = takeIdle()) {
    auto response = exchange(*idle, request);
    if (response.isOk()) {
      if (idle->stream.socket().is_open()) putIdle(std::move(idle));
      return response;
    }
  }
  ASSIGN_OR_RETURN(auto connection, connect());
  ASSIGN_OR_RETURN(HttpResponse response, exchange(*connection, request));
  if (connection->stream.socket().is_open()) putIdle(std::move(connection));
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
    http::async_read_header(c.stream, c.buffer, parser, std::move(handler));
  });
  if (ec == beast::error::timeout) return connectionError("timeout", "read tcp");
  if (ec) return connectionError("other", "read tcp: " + ec.message() + ":");
  HttpResponse response;
  copyHead(parser.get(), &response);
  if (response.status < 200 || response.status >= 300) {
    ec = c.run(timeout_, [&](auto handler) {
      http::async_read(c.stream, c.buffer, parser, std::move(handler));
    });
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
      c.stream.socket().cancel(ignored);
    });
  });
  while (!parser.is_done() && !stopped && !stop.stop_requested()) {
    ec = c.run(idle_timeout, [&](auto handler) {
      http::async_read_some(c.stream, c.buffer, parser, std::move(handler));
    });
    // A body without chunked encoding accumulates in the parser; hand it over too.
    if (!parser.get().body().empty()) {
      if (!stopped && !consumer(parser.get().body())) stopped = true;
      parser.get().body().clear();
    }
    if (stopped || stop.stop_requested()) break;
    if (ec == beast::error::timeout) return connectionError("timeout", "read tcp");
    if (ec == http::error::end_of_stream || ec == asio::error::eof) break;
    if (ec) return connectionError("other", "read tcp: " + ec.message() + ":");
  }
  return response;
}

}  // namespace minik8s::client
