#include "kubelet_server/exec_bridge.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <deque>
#include <optional>

#include "common/log.h"
#include "kubelet_server/streaming_url.h"

namespace minik8s::kubelet {

namespace {

namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;

constexpr unsigned char kChannelStdin = 0;
constexpr unsigned char kChannelResize = 4;

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

class ExecBridge : public std::enable_shared_from_this<ExecBridge> {
 public:
  ExecBridge(std::unique_ptr<http::UpgradedConnection> conn, ExecBridgeOptions options)
      : conn_(std::move(conn)),
        opts_(std::move(options)),
        client_(conn_->stream()),
        upstream_(conn_->stream().get_executor()),
        resolver_(conn_->stream().get_executor()) {}

  void start() {
    auto url = parseStreamingUrl(opts_.upstream_url);
    if (!url) {
      failBeforeSwitch("the runtime returned a malformed streaming URL \"" + opts_.upstream_url +
                       "\"");
      return;
    }
    url_ = *url;
    resolver_.async_resolve(
        url_.host, url_.port,
        [self = shared_from_this()](beast::error_code ec, tcp::resolver::results_type results) {
          self->onResolved(ec, std::move(results));
        });
  }

 private:
  void onResolved(beast::error_code ec, tcp::resolver::results_type results) {
    if (ec) {
      failBeforeSwitch("resolving " + url_.host + ": " + ec.message());
      return;
    }
    beast::get_lowest_layer(upstream_).expires_after(opts_.handshake_timeout);
    beast::get_lowest_layer(upstream_).async_connect(
        results, [self = shared_from_this()](beast::error_code ec, const tcp::endpoint&) {
          self->onConnected(ec);
        });
  }

  void onConnected(beast::error_code ec) {
    if (ec) {
      failBeforeSwitch("dialing " + url_.host + ":" + url_.port + ": " + ec.message());
      return;
    }
    beast::get_lowest_layer(upstream_).expires_never();
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = opts_.handshake_timeout;
    timeouts.idle_timeout = websocket::stream_base::none();
    timeouts.keep_alive_pings = false;
    upstream_.set_option(timeouts);
    upstream_.set_option(websocket::stream_base::decorator([](websocket::request_type& req) {
      req.set(bhttp::field::sec_websocket_protocol, kExecProtocolV4);
      req.set(bhttp::field::user_agent, "minik8s-kubelet");
    }));
    upstream_.read_message_max(16 * 1024 * 1024);
    upstream_.async_handshake(
        upstream_response_, url_.host + ":" + url_.port, url_.target,
        [self = shared_from_this()](beast::error_code ec) { self->onUpstreamHandshake(ec); });
  }

  void onUpstreamHandshake(beast::error_code ec) {
    if (ec) {
      std::string detail = ec.message();
      if (upstream_response_.result_int() != 0 && upstream_response_.result_int() != 101) {
        detail = "HTTP " + std::to_string(upstream_response_.result_int()) + ": " +
                 trim(upstream_response_.body());
      }
      failBeforeSwitch("the runtime's streaming server refused the exec: " + detail);
      return;
    }
    std::string proto(upstream_response_[bhttp::field::sec_websocket_protocol]);
    if (proto != kExecProtocolV4) {
      log::warn("kubelet: exec: the runtime answered subprotocol \"{}\", expected {}", proto,
                kExecProtocolV4);
    }
    upstream_.binary(true);

    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = opts_.handshake_timeout;
    timeouts.idle_timeout = websocket::stream_base::none();
    timeouts.keep_alive_pings = false;
    client_.set_option(timeouts);
    client_.set_option(
        websocket::stream_base::decorator([proto = opts_.protocol](websocket::response_type& res) {
          res.set(bhttp::field::sec_websocket_protocol, proto);
          res.set(bhttp::field::server, "minik8s-kubelet");
        }));
    client_.read_message_max(16 * 1024 * 1024);
    accept_buffer_ = http::serializeRequestHead(conn_->request()) + conn_->takeBuffered();
    client_.async_accept(
        net::buffer(accept_buffer_),
        [self = shared_from_this()](beast::error_code ec) { self->onClientAccepted(ec); });
  }

  void onClientAccepted(beast::error_code ec) {
    accept_buffer_.clear();
    if (ec) {
      log::debug("kubelet: exec: client handshake failed: {}", ec.message());
      client_done_ = true;
      closeUpstream();
      return;
    }
    client_.binary(true);
    readClient();
    readUpstream();
  }

  // An error before the client got its 101: answer it in HTTP, drop the runtime side.
  void failBeforeSwitch(const std::string& message) {
    log::warn("kubelet: exec: {}", message);
    beast::error_code ignored;
    beast::get_lowest_layer(upstream_).socket().close(ignored);
    error_response_ = http::serializeResponse(
        http::statusResponse(500, "InternalError",
                             "error executing command in container: " + message),
        false);
    net::async_write(conn_->stream(), net::buffer(error_response_),
                     [self = shared_from_this()](beast::error_code, size_t) {
                       self->conn_->stream().close();
                     });
  }

  // ---- client -> runtime ----

  void readClient() {
    client_.async_read(client_buffer_, [self = shared_from_this()](beast::error_code ec, size_t) {
      self->onClientRead(ec);
    });
  }

  void onClientRead(beast::error_code ec) {
    if (ec) {
      if (ec != websocket::error::closed) {
        log::debug("kubelet: exec: client read ended: {}", ec.message());
      }
      client_done_ = true;
      closeUpstream();
      return;
    }
    std::string payload = beast::buffers_to_string(client_buffer_.data());
    client_buffer_.consume(client_buffer_.size());
    if (!payload.empty()) {
      auto channel = static_cast<unsigned char>(payload[0]);
      if (channel == kChannelStdin) {
        if (opts_.stdin && payload.size() > 1) sendUpstream(std::move(payload));
      } else if (channel == kChannelResize) {
        sendUpstream(std::move(payload));
      }
    }
    readClient();
  }

  void sendUpstream(std::string payload) {
    if (upstream_done_ || upstream_closing_) return;
    upstream_queue_.push_back(std::move(payload));
    writeUpstream();
  }

  void writeUpstream() {
    if (upstream_writing_) return;
    if (upstream_queue_.empty()) {
      if (upstream_close_pending_) doCloseUpstream();
      return;
    }
    upstream_writing_ = true;
    upstream_.async_write(net::buffer(upstream_queue_.front()),
                          [self = shared_from_this()](beast::error_code ec, size_t) {
                            self->upstream_writing_ = false;
                            self->upstream_queue_.pop_front();
                            if (ec) {
                              self->upstream_queue_.clear();
                              self->upstream_done_ = true;
                              self->closeClient();
                              return;
                            }
                            self->writeUpstream();
                          });
  }

  void closeUpstream() {
    if (upstream_done_ || upstream_closing_ || upstream_close_pending_) return;
    upstream_close_pending_ = true;
    writeUpstream();
  }

  // REQUIRES: no write to the runtime in progress.
  void doCloseUpstream() {
    upstream_close_pending_ = false;
    if (upstream_done_ || upstream_closing_) return;
    upstream_closing_ = true;
    upstream_.async_close(websocket::close_code::normal,
                          [self = shared_from_this()](beast::error_code) {
                            self->upstream_done_ = true;
                            beast::error_code ignored;
                            beast::get_lowest_layer(self->upstream_).socket().close(ignored);
                          });
  }

  // ---- runtime -> client ----

  void readUpstream() {
    upstream_.async_read(
        upstream_buffer_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->onUpstreamRead(ec); });
  }

  void onUpstreamRead(beast::error_code ec) {
    if (ec) {
      if (ec != websocket::error::closed && !upstream_closing_) {
        log::debug("kubelet: exec: runtime stream ended: {}", ec.message());
      }
      upstream_done_ = true;
      beast::error_code ignored;
      beast::get_lowest_layer(upstream_).socket().close(ignored);
      closeClient();
      return;
    }
    std::string payload = beast::buffers_to_string(upstream_buffer_.data());
    upstream_buffer_.consume(upstream_buffer_.size());
    if (!payload.empty()) {
      sendClient(std::move(payload));
    }
    readUpstream();
  }

  void sendClient(std::string payload) {
    if (client_done_ || client_closing_) return;
    client_queue_.push_back(std::move(payload));
    writeClient();
  }

  void writeClient() {
    if (client_writing_) return;
    if (client_queue_.empty()) {
      if (client_close_pending_) doCloseClient();
      return;
    }
    client_writing_ = true;
    client_.async_write(net::buffer(client_queue_.front()),
                        [self = shared_from_this()](beast::error_code ec, size_t) {
                          self->client_writing_ = false;
                          self->client_queue_.pop_front();
                          if (ec) {
                            self->client_queue_.clear();
                            self->client_done_ = true;
                            self->closeUpstream();
                            return;
                          }
                          self->writeClient();
                        });
  }

  // Sends what is queued, then the close frame.
  void closeClient() {
    if (client_done_ || client_closing_ || client_close_pending_) return;
    client_close_pending_ = true;
    writeClient();
  }

  void doCloseClient() {
    client_close_pending_ = false;
    if (client_done_ || client_closing_) return;
    client_closing_ = true;
    client_.async_close(
        websocket::close_code::normal,
        [self = shared_from_this()](beast::error_code) { self->client_done_ = true; });
  }

  std::unique_ptr<http::UpgradedConnection> conn_;
  const ExecBridgeOptions opts_;
  websocket::stream<http::AsyncStream&> client_;
  websocket::stream<beast::tcp_stream> upstream_;
  tcp::resolver resolver_;
  StreamingUrl url_;
  websocket::response_type upstream_response_;
  std::string accept_buffer_;
  std::string error_response_;
  beast::flat_buffer client_buffer_;
  beast::flat_buffer upstream_buffer_;
  std::deque<std::string> client_queue_;
  std::deque<std::string> upstream_queue_;
  bool client_writing_ = false;
  bool upstream_writing_ = false;
  bool client_done_ = false;
  bool upstream_done_ = false;
  bool client_closing_ = false;
  bool upstream_closing_ = false;
  bool client_close_pending_ = false;
  bool upstream_close_pending_ = false;
};

}  // namespace

std::string negotiateExecProtocol(std::string_view offered) {
  size_t start = 0;
  while (start <= offered.size()) {
    size_t comma = offered.find(',', start);
    if (comma == std::string_view::npos) comma = offered.size();
    std::string p = trim(offered.substr(start, comma - start));
    if (p == kExecProtocolV5 || p == kExecProtocolV4) return p;
    start = comma + 1;
  }
  return "";
}

void startExecBridge(std::unique_ptr<http::UpgradedConnection> client, ExecBridgeOptions options) {
  std::make_shared<ExecBridge>(std::move(client), std::move(options))->start();
}

}  // namespace minik8s::kubelet
