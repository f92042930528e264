// A byte splice between an upgraded client connection and an upstream stream, on the
// client's strand: bytes go both ways unchanged, each direction first writes the bytes it
// was given (a 101 answer, bytes read past a head), an EOF is passed on as a half-close,
// and an error, or an EOF in both directions, closes both ends. Used after an upgrade
// (exec, attach, port-forward) by the apiserver's node proxy (upstream: the kubelet's
// AsyncStream) and by the kubelet's stream proxy (upstream: the runtime's TCP socket).
//
// Upstream is `std::unique_ptr<AsyncStream>` or `boost::asio::ip::tcp::socket`; it must be
// bound to the client's strand. Keeps itself alive (shared_from_this) until both ends close.
#pragma once

#include <array>
#include <boost/asio.hpp>
#include <memory>
#include <string>

#include "http/async_stream.h"
#include "http/upgrade.h"

namespace minik8s::http {

namespace splice_ends {
inline AsyncStream& streamOf(std::unique_ptr<AsyncStream>& s) { return *s; }
inline boost::asio::ip::tcp::socket& streamOf(boost::asio::ip::tcp::socket& s) { return s; }
inline void shutdownSend(AsyncStream& s) { s.shutdownSend(); }
inline void shutdownSend(boost::asio::ip::tcp::socket& s) {
  boost::system::error_code ignored;
  s.shutdown(boost::asio::ip::tcp::socket::shutdown_send, ignored);
}
inline void close(AsyncStream& s) { s.close(); }
inline void close(boost::asio::ip::tcp::socket& s) {
  boost::system::error_code ignored;
  s.close(ignored);
}
}  // namespace splice_ends

template <class Upstream>
class Splice : public std::enable_shared_from_this<Splice<Upstream>> {
 public:
  Splice(std::unique_ptr<UpgradedConnection> client, Upstream upstream)
      : client_(std::move(client)), upstream_(std::move(upstream)) {}

  // Starts both directions: `to_client` and `to_upstream` are written before any byte read.
  void start(std::string to_client, std::string to_upstream) {
    to_client_.pending = std::move(to_client);
    to_upstream_.pending = std::move(to_upstream);
    forward(splice_ends::streamOf(upstream_), client_->stream(), to_client_);
    forward(client_->stream(), splice_ends::streamOf(upstream_), to_upstream_);
  }

 private:
  struct Direction {
    std::array<char, 16 * 1024> buffer;
    std::string pending;  // written before the first read
    bool done = false;
  };

  template <class From, class To>
  void forward(From& from, To& to, Direction& d) {
    namespace net = boost::asio;
    auto self = this->shared_from_this();
    if (!d.pending.empty()) {
      net::async_write(to, net::buffer(d.pending),
                       [self, &from, &to, &d](boost::system::error_code ec, size_t) {
                         d.pending.clear();
                         if (ec) return self->closeAll();
                         self->forward(from, to, d);
                       });
      return;
    }
    from.async_read_some(net::buffer(d.buffer), [self, &from, &to, &d](
                                                    boost::system::error_code ec, size_t n) {
      if (ec == net::error::eof) {
        d.done = true;
        splice_ends::shutdownSend(to);
        if (self->to_client_.done && self->to_upstream_.done) self->closeAll();
        return;
      }
      if (ec) return self->closeAll();
      net::async_write(to, net::buffer(d.buffer.data(), n),
                       [self, &from, &to, &d](boost::system::error_code ec, size_t) {
                         if (ec) return self->closeAll();
                         self->forward(from, to, d);
                       });
    });
  }

  void closeAll() {
    if (closed_) return;
    closed_ = true;
    splice_ends::close(splice_ends::streamOf(upstream_));
    client_->stream().close();
  }

  std::unique_ptr<UpgradedConnection> client_;
  Upstream upstream_;
  Direction to_client_;
  Direction to_upstream_;
  bool closed_ = false;
};

}  // namespace minik8s::http
