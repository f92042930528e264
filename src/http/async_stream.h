// AsyncStream: the byte stream of a connection that a handler took over (see http/upgrade.h),
// TLS or plain TCP underneath, behind one type.
//
// It models Asio's AsyncReadStream and AsyncWriteStream, so Beast's websocket::stream<
// AsyncStream&>, net::async_write and net::async_read work on it as on a socket. Not
// thread-safe: use it only from its executor (the connection's strand), at most one read
// and one write pending at a time, like a socket.
#pragma once

#include <array>
#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/beast/core/role.hpp>
#include <boost/system/error_code.hpp>
#include <cstddef>
#include <utility>

namespace minik8s::http {

class AsyncStream {
 public:
  using executor_type = boost::asio::any_io_executor;
  using IoHandler = boost::asio::any_completion_handler<void(boost::system::error_code, size_t)>;
  using DoneHandler = boost::asio::any_completion_handler<void(boost::system::error_code)>;
  // At most this many buffers of a sequence go into one write_some (the rest: next call).
  static constexpr size_t kMaxWriteBuffers = 8;
  using WriteBuffers = std::array<boost::asio::const_buffer, kMaxWriteBuffers>;

  virtual ~AsyncStream() = default;

  // The connection's strand.
  virtual executor_type get_executor() = 0;  // NOLINT(readability-identifier-naming): Asio

  // Reads some bytes into the first non-empty buffer of `buffers`.
  template <class MutableBufferSequence, class ReadToken>
  auto async_read_some(const MutableBufferSequence& buffers, ReadToken&& token) {
    boost::asio::mutable_buffer first;
    for (auto it = boost::asio::buffer_sequence_begin(buffers);
         it != boost::asio::buffer_sequence_end(buffers); ++it) {
      boost::asio::mutable_buffer b(*it);
      if (b.size() > 0) {
        first = b;
        break;
      }
    }
    return boost::asio::async_initiate<ReadToken, void(boost::system::error_code, size_t)>(
        [this](auto handler, boost::asio::mutable_buffer b) {
          asyncReadSome(b, IoHandler(std::move(handler)));
        },
        token, first);
  }

  // Writes some bytes of the first kMaxWriteBuffers buffers of `buffers`.
  template <class ConstBufferSequence, class WriteToken>
  auto async_write_some(const ConstBufferSequence& buffers, WriteToken&& token) {
    WriteBuffers out{};
    size_t n = 0;
    for (auto it = boost::asio::buffer_sequence_begin(buffers);
         it != boost::asio::buffer_sequence_end(buffers) && n < kMaxWriteBuffers; ++it) {
      boost::asio::const_buffer b(*it);
      if (b.size() > 0) out[n++] = b;
    }
    return boost::asio::async_initiate<WriteToken, void(boost::system::error_code, size_t)>(
        [this](auto handler, const WriteBuffers& b) {
          asyncWriteSome(b, IoHandler(std::move(handler)));
        },
        token, out);
  }

  // Ends our sending direction: the peer reads EOF (TLS: a TCP FIN without close_notify,
  // which Go and OpenSSL clients read as EOF at a record boundary). Reading goes on.
  virtual void shutdownSend() = 0;
  // Closes the connection; pending operations complete with an error.
  virtual void close() = 0;
  virtual bool isTls() const = 0;

  // The WebSocket teardown (Beast's teardown/async_teardown below call these): TLS sends
  // close_notify; then the TCP socket is shut down and closed.
  virtual void asyncTeardown(boost::beast::role_type role, DoneHandler handler) = 0;
  virtual void teardown(boost::beast::role_type role, boost::system::error_code& ec) = 0;

 protected:
  virtual void asyncReadSome(boost::asio::mutable_buffer buffer, IoHandler handler) = 0;
  // Empty buffers in `buffers` are padding.
  virtual void asyncWriteSome(const WriteBuffers& buffers, IoHandler handler) = 0;
};

// Found by Beast through argument-dependent lookup: websocket::stream<AsyncStream&> closes
// its connection with these, and its timeouts close the stream with beast_close_socket.
template <class TeardownHandler>
void async_teardown(boost::beast::role_type role, AsyncStream& stream, TeardownHandler&& handler) {
  stream.asyncTeardown(role, AsyncStream::DoneHandler(std::forward<TeardownHandler>(handler)));
}
inline void teardown(boost::beast::role_type role, AsyncStream& stream,
                     boost::system::error_code& ec) {
  stream.teardown(role, ec);
}
inline void beast_close_socket(AsyncStream& stream) {  // NOLINT(readability-identifier-naming)
  stream.close();
}

}  // namespace minik8s::http
