// A small blocking WebSocket client for tests (header-only, Boost.Beast): every call runs
// asynchronous operations on a private io_context with a deadline. Plus runExec(), which
// speaks the exec channel protocol (kubectl-protocol.md §7.12) and collects the output.
#pragma once

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace minik8s::testing {

class WsClient {
 public:
  using Milliseconds = std::chrono::milliseconds;

  // Connects to 127.0.0.1:port and asks to upgrade `target` offering `protocols`. Returns
  // the HTTP status of the answer (101 when the WebSocket is open; 0 when there was no
  // answer). Extra headers go into the request as given.
  int open(uint16_t port, const std::string& target, const std::vector<std::string>& protocols,
           const std::map<std::string, std::string>& headers = {},
           Milliseconds timeout = Milliseconds(10000)) {
    namespace beast = boost::beast;
    namespace websocket = beast::websocket;
    beast::error_code result = boost::asio::error::would_block;
    boost::asio::ip::tcp::endpoint ep(boost::asio::ip::make_address("127.0.0.1"), port);
    ws_.next_layer().async_connect(ep, [&](beast::error_code ec) { result = ec; });
    if (!run(timeout, result)) return 0;
    std::string offer;
    for (const auto& p : protocols) offer += (offer.empty() ? "" : ", ") + p;
    ws_.set_option(
        websocket::stream_base::decorator([offer, headers](websocket::request_type& req) {
          if (!offer.empty()) req.set(beast::http::field::sec_websocket_protocol, offer);
          for (const auto& [k, v] : headers) req.set(k, v);
        }));
    result = boost::asio::error::would_block;
    ws_.async_handshake(response_, "127.0.0.1:" + std::to_string(port), target,
                        [&](beast::error_code ec) { result = ec; });
    run(timeout, result);
    if (!result) ws_.binary(true);
    return static_cast<int>(response_.result_int());
  }

  std::string protocol() const {
    return std::string(response_[boost::beast::http::field::sec_websocket_protocol]);
  }
  // The body of a non-101 answer.
  std::string body() const { return response_.body(); }

  bool send(const std::string& payload, Milliseconds timeout = Milliseconds(10000)) {
    boost::beast::error_code result = boost::asio::error::would_block;
    ws_.async_write(boost::asio::buffer(payload),
                    [&](boost::beast::error_code ec, size_t) { result = ec; });
    return run(timeout, result) && !result;
  }

  // One message; nullopt when the peer closed (closedCleanly() tells whether with a
  // close frame) or on error or timeout.
  std::optional<std::string> read(Milliseconds timeout = Milliseconds(10000)) {
    boost::beast::error_code result = boost::asio::error::would_block;
    buffer_.consume(buffer_.size());
    ws_.async_read(buffer_, [&](boost::beast::error_code ec, size_t) { result = ec; });
    if (!run(timeout, result)) return std::nullopt;
    if (result) {
      closed_cleanly_ = result == boost::beast::websocket::error::closed;
      return std::nullopt;
    }
    return boost::beast::buffers_to_string(buffer_.data());
  }

  bool closedCleanly() const { return closed_cleanly_; }
  bool timedOut() const { return timed_out_; }

  void close(Milliseconds timeout = Milliseconds(5000)) {
    boost::beast::error_code result = boost::asio::error::would_block;
    ws_.async_close(boost::beast::websocket::close_code::normal,
                    [&](boost::beast::error_code ec) { result = ec; });
    run(timeout, result);
  }

 private:
  // Runs until `result` is set or the timeout; on timeout the socket is closed.
  bool run(Milliseconds timeout, boost::beast::error_code& result) {
    ioc_.restart();
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (result == boost::asio::error::would_block &&
           std::chrono::steady_clock::now() < deadline) {
      ioc_.run_one_for(Milliseconds(50));
      if (ioc_.stopped()) ioc_.restart();
    }
    if (result == boost::asio::error::would_block) {
      timed_out_ = true;
      boost::beast::error_code ignored;
      ws_.next_layer().close(ignored);
      ioc_.restart();
      ioc_.run_for(Milliseconds(1000));
      return false;
    }
    return true;
  }

  boost::asio::io_context ioc_;
  boost::beast::websocket::stream<boost::asio::ip::tcp::socket> ws_{ioc_};
  boost::beast::websocket::response_type response_;
  boost::beast::flat_buffer buffer_;
  bool closed_cleanly_ = false;
  bool timed_out_ = false;
};

struct ExecOutcome {
  int http_status = 0;     // 101 when the exec ran
  std::string protocol;    // negotiated
  std::string error_body;  // a non-101 answer's body
  std::string out;         // channel 1
  std::string err;         // channel 2
  std::string status;      // channel 3 (the Status JSON)
  bool closed_cleanly = false;
  bool timed_out = false;
};

// Runs an exec over `target` (path and query) and reads until the server closes. `stdin`
// is sent on channel 0 after the upgrade; with `close_stdin` the v5 close message
// `FF 00` follows.
inline ExecOutcome runExec(uint16_t port, const std::string& target, const std::string& protocol,
                           const std::string& stdin_data = "", bool close_stdin = false,
                           std::chrono::milliseconds timeout = std::chrono::milliseconds(20000),
                           const std::map<std::string, std::string>& headers = {}) {
  ExecOutcome o;
  WsClient ws;
  o.http_status = ws.open(port, target, {protocol}, headers);
  if (o.http_status != 101) {
    o.error_body = ws.body();
    return o;
  }
  o.protocol = ws.protocol();
  if (!stdin_data.empty()) ws.send(std::string(1, '\0') + stdin_data);
  if (close_stdin) ws.send(std::string("\xff\x00", 2));
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      o.timed_out = true;
      break;
    }
    auto msg = ws.read(left);
    if (!msg) {
      o.closed_cleanly = ws.closedCleanly();
      o.timed_out = ws.timedOut();
      break;
    }
    if (msg->empty()) continue;
    std::string data = msg->substr(1);
    switch (static_cast<unsigned char>((*msg)[0])) {
      case 1: o.out += data; break;
      case 2: o.err += data; break;
      case 3: o.status += data; break;
      default: break;
    }
  }
  return o;
}

}  // namespace minik8s::testing
