// HttpServer on Boost.Beast: see http_server.h for the contract and docs/http.md for
// the threads and limits.
//
// Shape: one io_context run by `io_threads` threads; every connection owns a strand (its
// socket's executor) and all of its state is touched only from that strand. Handlers run
// on a WorkerPool; their results are posted back to the strand. A connection keeps one read
// pending almost all the time (also while a handler runs or a stream is open), so a client
// that goes away is noticed at once; bytes read ahead (pipelined requests) wait in the
// buffer until the current response is written.
#include "http/http_server.h"

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/beast/websocket/teardown.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>
#include <unordered_map>

#include "common/heap_trim.h"
#include "common/log.h"
#include "common/strings.h"
#include "http/tls_context.h"
#include "http/upgrade.h"

namespace minik8s::http {

namespace {

namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using TlsStream = net::ssl::stream<tcp::socket>;
using SteadyClock = std::chrono::steady_clock;

constexpr size_t kHeaderLimit = 64 * 1024;                // request line + headers
constexpr size_t kReadChunk = 8 * 1024;                   // bytes asked for per read
constexpr size_t kMaxReadAhead = 1024 * 1024;             // buffered while busy; then reads pause
constexpr auto kLingerTimeout = std::chrono::seconds(2);  // drain before closing
constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(100);

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes `s`; on an invalid escape keeps it literally when `strict` is false, else fails.
std::optional<std::string> decode(std::string_view s, bool plus_is_space, bool strict) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      int hi = i + 2 < s.size() ? hexValue(s[i + 1]) : -1;
      int lo = i + 2 < s.size() ? hexValue(s[i + 2]) : -1;
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
      if (strict) return std::nullopt;
      out.push_back(c);
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string jsonEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out += buf;
        } else {
          out.push_back(c);
        }
    }
  }
  return out;
}

}  // namespace

// A Kubernetes `Status` object for errors of the transport itself.
HttpResponse statusResponse(int code, std::string_view reason, std::string_view message) {
  HttpResponse r;
  r.status = code;
  r.headers.emplace_back("Content-Type", "application/json");
  r.body =
      "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
      "\"message\":\"" +
      jsonEscape(message) + "\",\"reason\":\"" + std::string(reason) +
      "\",\"code\":" + std::to_string(code) + "}";
  return r;
}

namespace {

// Status line and headers, ending with the blank line. Content-Length / Transfer-Encoding
// set by the handler are replaced by ours; Content-Type defaults to JSON.
std::string serializeHead(const HttpResponse& r, bool chunked, bool keep_alive) {
  std::string out = "HTTP/1.1 " + std::to_string(r.status) + " ";
  out += std::string_view(bhttp::obsolete_reason(static_cast<bhttp::status>(r.status)));
  out += "\r\n";
  bool has_type = false;
  for (const auto& [name, value] : r.headers) {
    if (iequals(name, "Content-Length") || iequals(name, "Transfer-Encoding") ||
        iequals(name, "Connection")) {
      continue;
    }
    if (iequals(name, "Content-Type")) has_type = true;
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  if (!has_type) out += "Content-Type: application/json\r\n";
  if (chunked) {
    out += "Transfer-Encoding: chunked\r\n";
  } else {
    out += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
  }
  if (!keep_alive) out += "Connection: close\r\n";
  out += "\r\n";
  return out;
}

}  // namespace

std::string serializeResponse(const HttpResponse& r, bool keep_alive) {
  std::string out = serializeHead(r, /*chunked=*/false, keep_alive);
  out += r.body;
  return out;
}

bool isTrueValue(std::string_view v) {
  return v == "1" || v == "t" || v == "T" || v == "true" || v == "True" || v == "TRUE";
}

namespace {

// Splits "a=1&b=x+y" into decoded pairs. Malformed escapes in the query are kept literally
// (Go's apiserver is lenient there too).
std::multimap<std::string, std::string> parseQuery(std::string_view q) {
  std::multimap<std::string, std::string> out;
  while (!q.empty()) {
    size_t amp = q.find('&');
    std::string_view part = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view() : q.substr(amp + 1);
    if (part.empty()) continue;
    size_t eq = part.find('=');
    std::string_view key = part.substr(0, eq);
    std::string_view value =
        eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1);
    out.emplace(urlDecode(key, true), urlDecode(value, true));
  }
  return out;
}

bool defaultIsLongRunning(const HttpRequest& r) {
  return isTrueValue(r.queryValue("watch")) || isTrueValue(r.queryValue("follow"));
}

// A fixed pool of threads running tasks in FIFO order. Thread-safe.
class WorkerPool {
 public:
  void start(int threads) {
    for (int i = 0; i < threads; ++i) {
      threads_.emplace_back([this](std::stop_token st) { run(st); });
    }
  }

  // false once stop() has begun.
  bool submit(std::function<void()> task) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return false;
      tasks_.push_back(std::move(task));
    }
    cv_.notify_one();
    return true;
  }

  // Lets running tasks finish, drops queued ones, joins the threads.
  void stop() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    for (auto& t : threads_) t.request_stop();
    threads_.clear();  // joins
    std::deque<std::function<void()>> dropped;
    {
      std::lock_guard lock(mu_);
      dropped.swap(tasks_);
    }
  }

 private:
  void run(std::stop_token st) {
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock lock(mu_);
        if (!cv_.wait(lock, st, [this] { return !tasks_.empty(); })) return;
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      task();
    }
  }

  std::mutex mu_;
  std::condition_variable_any cv_;
  std::deque<std::function<void()>> tasks_;  // GUARDED_BY(mu_)
  bool stopping_ = false;                    // GUARDED_BY(mu_)
  std::vector<std::jthread> threads_;
};

class BeastHttpServer;

// What the server and streams see of a connection, whatever its stream type.
class ConnectionBase {
 public:
  virtual ~ConnectionBase() = default;
  // Any thread.
  virtual void start() = 0;
  // Any thread: closes the socket and the stream, if any.
  virtual void close() = 0;
  // Strand: the stream has queued bytes.
  virtual void flushStream() = 0;
};

// The writing end of one chunked response. Producers (any thread) append framed chunks to
// `pending_`; the connection's strand takes them and writes them. Holds the connection only
// weakly, so a stream kept by a watcher after the server is gone is harmless.
class StreamImpl final : public ResponseStream {
 public:
  StreamImpl(std::weak_ptr<ConnectionBase> conn, net::any_io_executor strand,
             std::atomic<size_t>* open_streams, std::string head)
      : conn_(std::move(conn)),
        strand_(std::move(strand)),
        open_streams_(open_streams),
        pending_(std::move(head)) {
    pending_bytes_ = pending_.size();
  }

  bool write(std::string chunk) override {
    std::lock_guard lock(mu_);
    if (closed_) return false;
    if (chunk.empty()) return true;  // an empty chunk would end the stream
    char size_line[24];
    int n = std::snprintf(size_line, sizeof(size_line), "%zx\r\n", chunk.size());
    pending_.append(size_line, static_cast<size_t>(n));
    pending_ += chunk;
    pending_ += "\r\n";
    pending_bytes_ += static_cast<size_t>(n) + chunk.size() + 2;
    scheduleFlushLocked();
    return true;
  }

  void finish() override {
    std::lock_guard lock(mu_);
    if (closed_) return;
    closed_ = true;
    finishing_ = true;
    pending_ += "0\r\n\r\n";
    pending_bytes_ += 5;
    scheduleFlushLocked();
  }

  bool closed() const override {
    std::lock_guard lock(mu_);
    return closed_;
  }

  size_t pendingBytes() const override {
    std::lock_guard lock(mu_);
    return pending_bytes_;
  }

  void setOnClose(std::function<void()> on_close) override {
    {
      std::lock_guard lock(mu_);
      if (!ended_) {
        on_close_ = std::move(on_close);
        return;
      }
    }
    if (on_close) on_close();  // already ended: run it now, on the caller's thread
  }

  // --- Connection side (strand only) ---

  // Moves the queued bytes to `out`; false (and the flush is no longer scheduled) when
  // nothing is queued.
  bool takePending(std::string* out) {
    std::lock_guard lock(mu_);
    if (pending_.empty()) {
      flush_scheduled_ = false;
      return false;
    }
    out->clear();
    out->swap(pending_);
    return true;
  }

  void onWritten(size_t n) {
    std::lock_guard lock(mu_);
    pending_bytes_ -= std::min(n, pending_bytes_);
  }

  bool finishing() const {
    std::lock_guard lock(mu_);
    return finishing_;
  }

  // The stream is over (finished, client gone or server stopping): later writes fail and
  // on_close runs, once.
  void end() {
    std::function<void()> on_close;
    {
      std::lock_guard lock(mu_);
      if (ended_) return;
      ended_ = true;
      closed_ = true;
      pending_.clear();
      pending_bytes_ = 0;
      on_close = std::move(on_close_);
    }
    open_streams_->fetch_sub(1);
    if (on_close) on_close();
  }

 private:
  // REQUIRES: mu_ is held.
  void scheduleFlushLocked();

  const std::weak_ptr<ConnectionBase> conn_;
  const net::any_io_executor strand_;
  std::atomic<size_t>* const open_streams_;

  mutable std::mutex mu_;
  std::string pending_;             // GUARDED_BY(mu_)
  size_t pending_bytes_ = 0;        // GUARDED_BY(mu_): queued or being written
  bool flush_scheduled_ = true;     // GUARDED_BY(mu_): the connection will look at pending_
  bool closed_ = false;             // GUARDED_BY(mu_): no more writes accepted
  bool finishing_ = false;          // GUARDED_BY(mu_)
  bool ended_ = false;              // GUARDED_BY(mu_)
  std::function<void()> on_close_;  // GUARDED_BY(mu_)
};

// The server proper. Owns the io_context, the listener, the workers and the registry of
// live connections. Thread-safe.
class BeastHttpServer final : public HttpServer {
 public:
  BeastHttpServer(HttpServerOptions options, Handler handler)
      : options_(std::move(options)),
        handler_(std::move(handler)),
        acceptor_(net::make_strand(ioc_)),
        accept_retry_(acceptor_.get_executor()) {}

  ~BeastHttpServer() override { stop(); }

  Status start() override;
  void stop() override;
  uint16_t port() const override { return port_.load(); }
  size_t openStreams() const override { return open_streams_.load(); }

  // --- For connections ---
  const HttpServerOptions& options() const { return options_; }
  const Handler& handler() const { return handler_; }
  // Set when options().tls is; valid while the server lives.
  net::ssl::context* tlsContext() { return tls_context_.get(); }
  std::atomic<size_t>* openStreamsCounter() { return &open_streams_; }
  bool submit(std::function<void()> task) { return workers_.submit(std::move(task)); }
  bool isLongRunning(const HttpRequest& r) const {
    return options_.is_long_running ? options_.is_long_running(r) : defaultIsLongRunning(r);
  }
  bool tryAcquireInFlight() {
    size_t now = in_flight_.fetch_add(1) + 1;
    if (now > options_.max_in_flight) {
      in_flight_.fetch_sub(1);
      return false;
    }
    return true;
  }
  void releaseInFlight() { in_flight_.fetch_sub(1); }
  void unregisterConnection(ConnectionBase* c) {
    bool trim = false;
    {
      std::lock_guard lock(mu_);
      connections_.erase(c);
      trim = heap_trim_.observe(connections_.size());
    }
    // After a burst of connections closed; posted, so that it runs once their buffers
    // are freed.
    if (trim) net::post(ioc_, [] { trimHeap(); });
  }

 private:
  void doAccept();
  void onAccept(beast::error_code ec, tcp::socket socket);

  const HttpServerOptions options_;
  const Handler handler_;
  std::shared_ptr<net::ssl::context> tls_context_;  // set by start() when options_.tls is
  net::io_context ioc_;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work_;
  tcp::acceptor acceptor_;  // used on its strand only
  net::steady_timer accept_retry_;
  WorkerPool workers_;
  std::vector<std::jthread> io_threads_;
  std::atomic<uint16_t> port_{0};
  std::atomic<size_t> open_streams_{0};
  std::atomic<size_t> in_flight_{0};

  std::mutex stop_mu_;    // serialises start() and stop()
  bool started_ = false;  // GUARDED_BY(stop_mu_)
  bool stopped_ = false;  // GUARDED_BY(stop_mu_)

  std::mutex mu_;
  bool stopping_ = false;  // GUARDED_BY(mu_)
  std::unordered_map<ConnectionBase*, std::weak_ptr<ConnectionBase>>
      connections_;           // GUARDED_BY(mu_)
  HeapTrimPolicy heap_trim_;  // GUARDED_BY(mu_)
};

template <class Stream>
class UpgradedConnectionImpl;

// One accepted socket; Stream is tcp::socket (plain HTTP) or TlsStream. Every member is
// touched only on the socket's strand, except where noted. Lives as long as an operation
// or a worker task holds it.
template <class Stream>
class Connection final : public ConnectionBase,
                         public std::enable_shared_from_this<Connection<Stream>> {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  Connection(BeastHttpServer* server, tcp::socket socket)
      : server_(server),
        socket_(makeStream(server, std::move(socket))),
        timer_(socket_.get_executor()),
        opts_(server->options()) {
    beast::error_code ec;
    auto ep = lowest().remote_endpoint(ec);
    if (!ec) remote_ = ep.address().to_string() + ":" + std::to_string(ep.port());
  }

  net::any_io_executor strand() { return socket_.get_executor(); }

  void start() override {
    net::post(strand(), [self = this->shared_from_this()] { self->onStart(); });
  }

  void close() override {
    net::post(strand(), [self = this->shared_from_this()] { self->closeNow(); });
  }

  void flushStream() override;

 private:
  enum class State {
    kReading,
    kProcessing,
    kWriting,
    kStreaming,
    kLingering,
    kUpgraded,  // handed to HandlerResult::upgrade; the socket is the handler's
    kClosed
  };

  static Stream makeStream(BeastHttpServer* server, tcp::socket socket) {
    if constexpr (kTls) {
      return Stream(std::move(socket), *server->tlsContext());
    } else {
      (void)server;
      return socket;
    }
  }

  tcp::socket& lowest() { return beast::get_lowest_layer(socket_); }

  void onStart() {
    if (state_ == State::kClosed) return;
    deadline_ = SteadyClock::now() + std::chrono::seconds(opts_.header_timeout_seconds);
    timer_.expires_at(deadline_);
    timer_.async_wait([self = this->shared_from_this()](beast::error_code) { self->onTimer(); });
    if constexpr (kTls) {  // the handshake counts against the header timeout
      socket_.async_handshake(
          net::ssl::stream_base::server,
          [self = this->shared_from_this()](beast::error_code ec) { self->onHandshake(ec); });
      return;
    }
    parseBuffered();
  }

  void onHandshake(beast::error_code ec) {
    if (state_ == State::kClosed) return;
    if (ec) {
      log::debug("http: {}: TLS handshake failed: {}", remote_, ec.message());
      closeNow();
      return;
    }
    if constexpr (kTls) client_certificate_ = verifiedClientCertificate(socket_.native_handle());
    parseBuffered();
  }

  void setDeadline(SteadyClock::time_point deadline) {
    deadline_ = deadline;
    // An earlier deadline re-arms the timer: the cancelled wait's handler re-arms it.
    if (deadline < timer_.expiry()) timer_.expires_at(deadline);
  }

  void onTimer() {
    if (state_ == State::kClosed) return;
    if (deadline_ <= SteadyClock::now()) {
      log::debug("http: {}: timeout, closing", remote_);
      closeNow();
      return;
    }
    timer_.expires_at(deadline_);
    timer_.async_wait([self = this->shared_from_this()](beast::error_code) { self->onTimer(); });
  }

  void doRead() {
    if (read_pending_ || peer_eof_ || state_ == State::kClosed || state_ == State::kUpgraded) {
      return;
    }
    bool parsing = state_ == State::kReading || state_ == State::kLingering;
    if (!parsing && buffer_.size() >= kMaxReadAhead) return;  // resumes in parseBuffered
    read_pending_ = true;
    // Read into a buffer of our own: buffer_ may be consumed while the read is pending.
    if (read_chunk_.empty()) read_chunk_.resize(kReadChunk);
    socket_.async_read_some(
        net::buffer(read_chunk_),
        [self = this->shared_from_this()](beast::error_code ec, size_t n) { self->onRead(ec, n); });
  }

  void onRead(beast::error_code ec, size_t n) {
    read_pending_ = false;
    if (state_ == State::kClosed) return;
    buffer_.commit(net::buffer_copy(buffer_.prepare(n), net::buffer(read_chunk_.data(), n)));
    if (state_ == State::kUpgraded) {  // the read was cancelled for the hand-over
      if (ec == net::error::eof) peer_eof_ = true;
      finishUpgrade();
      return;
    }
    if (ec == net::error::eof) {
      peer_eof_ = true;
    } else if (ec) {
      closeNow();
      return;
    }
    switch (state_) {
      case State::kReading: parseBuffered(); return;
      case State::kProcessing:
      case State::kWriting:
        doRead();  // a half-closed client still gets its response
        return;
      case State::kStreaming:
        if (peer_eof_) {
          closeNow();
        } else {
          doRead();
        }
        return;
      case State::kLingering:
        buffer_.consume(buffer_.size());
        if (peer_eof_) {
          closeNow();
        } else {
          doRead();
        }
        return;
      case State::kUpgraded:
      case State::kClosed: return;
    }
  }

  // REQUIRES: state_ == kReading. Feeds buffered bytes to the parser; reads more if needed.
  void parseBuffered() {
    for (;;) {
      if (!parser_) {
        if (buffer_.size() == 0) {
          if (peer_eof_) {
            closeNow();
            return;
          }
          if (served_ > 0) {
            setDeadline(SteadyClock::now() + std::chrono::seconds(opts_.idle_timeout_seconds));
          }
          doRead();
          return;
        }
        parser_.emplace();
        parser_->header_limit(kHeaderLimit);
        parser_->body_limit(opts_.max_body_bytes);
        parser_->eager(true);
        header_done_ = false;
        expect_continue_ = false;
        if (served_ > 0) {
          setDeadline(SteadyClock::now() + std::chrono::seconds(opts_.header_timeout_seconds));
        }
      }
      beast::error_code ec;
      size_t used = 0;
      if (buffer_.size() > 0) {
        used = parser_->put(buffer_.data(), ec);
        buffer_.consume(used);
      } else {
        ec = bhttp::error::need_more;
      }
      if (!header_done_ && parser_->is_header_done()) {
        header_done_ = true;
        setDeadline(SteadyClock::now() + std::chrono::seconds(opts_.body_timeout_seconds));
        expect_continue_ = parser_->get().version() >= 11 &&
                           iequals(parser_->get()[bhttp::field::expect], "100-continue");
      }
      if (ec == bhttp::error::body_limit) {
        sendError(
            413, "RequestEntityTooLarge",
            "the request body is larger than " + std::to_string(opts_.max_body_bytes) + " bytes");
        return;
      }
      if (ec && ec != bhttp::error::need_more) {
        sendError(400, "BadRequest", "malformed HTTP request: " + ec.message());
        return;
      }
      if (!ec && parser_->is_done()) {
        onRequest();
        return;
      }
      if (expect_continue_) {  // the body is welcome: say so (curl waits a second otherwise)
        expect_continue_ = false;
        sendContinue();
      }
      if (ec == bhttp::error::need_more || used == 0) {
        if (peer_eof_) {
          log::debug("http: {}: client closed mid-request", remote_);
          closeNow();
          return;
        }
        doRead();
        return;
      }
    }
  }

  void onRequest() {
    auto msg = parser_->release();
    parser_.reset();
    ++served_;
    keep_alive_ = msg.keep_alive();

    HttpRequest req;
    req.method = std::string(msg.method_string());
    req.raw_target = std::string(msg.target());
    std::string_view target = msg.target();
    size_t q = target.find('?');
    std::optional<std::string> path = tryUrlDecode(target.substr(0, q), false);
    if (!path) {
      state_ = State::kProcessing;
      writeResponse(
          serializeResponse(statusResponse(400, "BadRequest", "invalid percent-encoding in path"),
                            keep_alive_),
          false);
      return;
    }
    req.path = std::move(*path);
    if (q != std::string_view::npos) req.query = parseQuery(target.substr(q + 1));
    for (const auto& field : msg) {
      req.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    req.body = std::move(msg.body());
    req.remote_address = remote_;
    req.tls = kTls;
    req.client_certificate = client_certificate_;

    state_ = State::kProcessing;
    setDeadline(SteadyClock::time_point::max());
    bool counted = !server_->isLongRunning(req);
    if (counted && !server_->tryAcquireInFlight()) {
      HttpResponse r = statusResponse(429, "TooManyRequests", "too many requests in flight");
      r.headers.emplace_back("Retry-After", "1");
      writeResponse(serializeResponse(r, keep_alive_), false);
      return;
    }
    bool keep_alive = keep_alive_;
    bool queued = server_->submit(
        [self = this->shared_from_this(), req = std::move(req), keep_alive, counted]() mutable {
          self->runHandler(std::move(req), keep_alive, counted);
        });
    if (!queued) {
      if (counted) server_->releaseInFlight();
      closeNow();
      return;
    }
    doRead();  // notice a disconnect; buffer a pipelined request
  }

  // Worker thread. Touches only immutable members and the server.
  // `counted`: the request holds a max_in_flight slot.
  void runHandler(HttpRequest req, bool keep_alive, bool counted) {
    HandlerResult result;
    try {
      result = server_->handler()(req);
    } catch (const std::exception& e) {
      log::error("http: handler threw on {} {}: {}", req.method, req.raw_target, e.what());
      result = HandlerResult{statusResponse(500, "InternalError", "internal error"), nullptr};
    } catch (...) {
      log::error("http: handler threw on {} {}", req.method, req.raw_target);
      result = HandlerResult{statusResponse(500, "InternalError", "internal error"), nullptr};
    }
    if (counted) server_->releaseInFlight();

    if (!result.start_stream && result.upgrade) {
      net::post(strand(), [self = this->shared_from_this(), req = std::move(req),
                           upgrade = std::move(result.upgrade)]() mutable {
        self->beginUpgrade(std::move(req), std::move(upgrade));
      });
      return;
    }
    if (!result.start_stream) {
      net::post(strand(), [self = this->shared_from_this(),
                           out = serializeResponse(result.response, keep_alive)]() mutable {
        self->writeResponse(std::move(out), false);
      });
      return;
    }
    server_->openStreamsCounter()->fetch_add(1);
    auto stream = std::make_shared<StreamImpl>(
        this->weak_from_this(), strand(), server_->openStreamsCounter(),
        serializeHead(result.response, /*chunked=*/true, keep_alive));
    net::post(strand(), [self = this->shared_from_this(), stream] { self->beginStream(stream); });
    try {
      result.start_stream(stream);
    } catch (const std::exception& e) {
      log::error("http: start_stream threw on {} {}: {}", req.method, req.raw_target, e.what());
      stream->finish();
    } catch (...) {
      log::error("http: start_stream threw on {} {}", req.method, req.raw_target);
      stream->finish();
    }
  }

  // Writes a complete response; then closes (close_after, or no keep-alive) or goes on.
  void writeResponse(std::string data, bool close_after) {
    if (state_ == State::kClosed) return;
    state_ = State::kWriting;
    setDeadline(SteadyClock::now() + std::chrono::seconds(opts_.idle_timeout_seconds));
    if (write_in_progress_) {  // a "100 Continue" is still going out
      deferred_write_.emplace(std::move(data), close_after);
      return;
    }
    write_in_progress_ = true;
    write_buf_ = std::move(data);
    net::async_write(socket_, net::buffer(write_buf_),
                     [self = this->shared_from_this(), close_after](beast::error_code ec, size_t) {
                       self->write_in_progress_ = false;
                       if (self->state_ == State::kClosed) return;
                       if (ec) {
                         self->closeNow();
                       } else if (close_after || !self->keep_alive_ || self->peer_eof_) {
                         self->linger();
                       } else {
                         self->state_ = State::kReading;
                         self->parseBuffered();
                       }
                     });
  }

  // REQUIRES: state_ == kReading, so no other write is in progress.
  void sendContinue() {
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    write_in_progress_ = true;
    net::async_write(socket_, net::buffer(kContinue.data(), kContinue.size()),
                     [self = this->shared_from_this()](beast::error_code ec, size_t) {
                       self->write_in_progress_ = false;
                       if (self->state_ == State::kClosed) return;
                       if (ec) {
                         self->closeNow();
                       } else if (self->deferred_write_) {
                         auto [data, close_after] = std::move(*self->deferred_write_);
                         self->deferred_write_.reset();
                         self->writeResponse(std::move(data), close_after);
                       } else if (self->state_ == State::kStreaming) {
                         self->flushStream();
                       } else if (self->state_ == State::kUpgraded) {
                         self->finishUpgrade();
                       }
                     });
  }

  // A 400/413: the request can't be resynchronised, so answer and close.
  void sendError(int code, std::string_view reason, const std::string& message) {
    log::debug("http: {}: {} {}", remote_, code, message);
    parser_.reset();
    state_ = State::kProcessing;
    keep_alive_ = false;
    writeResponse(serializeResponse(statusResponse(code, reason, message), false), true);
  }

  // Half-closes and drains what the client still sends (so it reads our response instead
  // of a reset), then closes at EOF or after kLingerTimeout.
  void linger() {
    state_ = State::kLingering;
    beast::error_code ec;
    lowest().shutdown(tcp::socket::shutdown_send, ec);
    buffer_.consume(buffer_.size());
    setDeadline(SteadyClock::now() + kLingerTimeout);
    if (peer_eof_) {
      closeNow();
      return;
    }
    doRead();
  }

  void beginStream(const std::shared_ptr<StreamImpl>& stream) {
    if (state_ == State::kClosed) {
      stream->end();
      return;
    }
    stream_ = stream;
    state_ = State::kStreaming;
    setDeadline(SteadyClock::time_point::max());
    flushStream();
    doRead();
  }

  void endStream() {
    stream_->end();
    stream_.reset();
    if (!keep_alive_ || peer_eof_) {
      linger();
      return;
    }
    state_ = State::kReading;
    parseBuffered();
  }

  // Leaves HTTP: once no read or write of ours is pending, the socket and the bytes read
  // ahead go to `upgrade`.
  void beginUpgrade(HttpRequest req,
                    std::function<void(std::unique_ptr<UpgradedConnection>)> upgrade) {
    if (state_ == State::kClosed) return;
    state_ = State::kUpgraded;
    setDeadline(SteadyClock::time_point::max());
    upgrade_request_ = std::move(req);
    upgrade_ = std::move(upgrade);
    if (read_pending_) {
      beast::error_code ignored;
      lowest().cancel(ignored);  // onRead completes the hand-over
      return;
    }
    finishUpgrade();
  }

  void finishUpgrade();

 public:
  // Strand: ends an upgraded connection (its UpgradedConnection is gone).
  void closeUpgraded() { closeNow(); }

 private:
  void closeNow() {
    if (state_ == State::kClosed) return;
    state_ = State::kClosed;
    timer_.cancel();
    beast::error_code ec;
    lowest().shutdown(tcp::socket::shutdown_both, ec);
    lowest().close(ec);
    parser_.reset();
    if (stream_) {
      stream_->end();
      stream_.reset();
    }
    server_->unregisterConnection(this);
  }

  BeastHttpServer* const server_;
  Stream socket_;
  net::steady_timer timer_;
  const HttpServerOptions& opts_;
  std::string remote_;
  std::optional<ClientCertificate> client_certificate_;  // verified in the TLS handshake

  State state_ = State::kReading;
  beast::flat_buffer buffer_;     // received, not yet parsed
  std::vector<char> read_chunk_;  // target of the pending read
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  bool header_done_ = false;
  bool expect_continue_ = false;                                // the head asked for "100 Continue"
  std::optional<std::pair<std::string, bool>> deferred_write_;  // response, close_after
  bool read_pending_ = false;
  bool peer_eof_ = false;
  bool keep_alive_ = true;
  bool write_in_progress_ = false;
  uint64_t served_ = 0;
  SteadyClock::time_point deadline_ = SteadyClock::time_point::max();
  std::string write_buf_;
  std::shared_ptr<StreamImpl> stream_;
  HttpRequest upgrade_request_;
  std::function<void(std::unique_ptr<UpgradedConnection>)> upgrade_;

  friend class UpgradedConnectionImpl<Stream>;
};

// AsyncStream over a connection's Stream. Lives inside the UpgradedConnectionImpl, which
// keeps the stream alive.
template <class Stream>
class AsyncStreamImpl final : public AsyncStream {
 public:
  explicit AsyncStreamImpl(Stream& stream) : stream_(stream) {}

  executor_type get_executor() override { return stream_.get_executor(); }

  void shutdownSend() override {
    beast::error_code ignored;
    lowest().shutdown(tcp::socket::shutdown_send, ignored);
  }
  void close() override {
    beast::error_code ignored;
    lowest().shutdown(tcp::socket::shutdown_both, ignored);
    lowest().close(ignored);
  }
  bool isTls() const override { return std::is_same_v<Stream, TlsStream>; }

  void asyncTeardown(beast::role_type role, DoneHandler handler) override {
    // Beast posts the completion with blocking.never, which Boost 1.81's
    // any_completion_executor does not support: complete through the strand instead.
    auto done = net::bind_executor(
        stream_.get_executor(),
        [handler = std::move(handler)](beast::error_code ec) mutable { std::move(handler)(ec); });
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      beast::async_teardown(role, stream_, std::move(done));
    } else {
      beast::websocket::async_teardown(role, stream_, std::move(done));
    }
  }
  void teardown(beast::role_type role, beast::error_code& ec) override {
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      beast::teardown(role, stream_, ec);
    } else {
      beast::websocket::teardown(role, stream_, ec);
    }
  }

 protected:
  void asyncReadSome(net::mutable_buffer buffer, IoHandler handler) override {
    stream_.async_read_some(buffer, std::move(handler));
  }
  void asyncWriteSome(const WriteBuffers& buffers, IoHandler handler) override {
    stream_.async_write_some(buffers, std::move(handler));
  }

 private:
  tcp::socket& lowest() { return beast::get_lowest_layer(stream_); }

  Stream& stream_;
};

// What HandlerResult::upgrade receives. Keeps the Connection (and so its socket) alive and
// registered, so that HttpServer::stop() still closes it; destroying it closes it.
template <class Stream>
class UpgradedConnectionImpl final : public UpgradedConnection {
 public:
  UpgradedConnectionImpl(std::shared_ptr<Connection<Stream>> conn, std::string buffered)
      : conn_(std::move(conn)), stream_(conn_->socket_), buffered_(std::move(buffered)) {}

  ~UpgradedConnectionImpl() override {
    net::dispatch(conn_->strand(), [conn = conn_] { conn->closeUpgraded(); });
  }

  AsyncStream& stream() override { return stream_; }
  tcp::socket& socket() override { return beast::get_lowest_layer(conn_->socket_); }
  std::string takeBuffered() override { return std::exchange(buffered_, std::string()); }
  const HttpRequest& request() const override { return conn_->upgrade_request_; }

 private:
  std::shared_ptr<Connection<Stream>> conn_;
  AsyncStreamImpl<Stream> stream_;
  std::string buffered_;
};

template <class Stream>
void Connection<Stream>::finishUpgrade() {
  if (state_ != State::kUpgraded || read_pending_ || write_in_progress_ || !upgrade_) return;
  auto upgrade = std::move(upgrade_);
  upgrade_ = nullptr;
  std::string buffered(static_cast<const char*>(buffer_.data().data()), buffer_.size());
  buffer_.consume(buffer_.size());
  auto conn = std::make_unique<UpgradedConnectionImpl<Stream>>(this->shared_from_this(),
                                                               std::move(buffered));
  try {
    upgrade(std::move(conn));
  } catch (const std::exception& e) {
    log::error("http: upgrade of {} {} threw: {}", upgrade_request_.method,
               upgrade_request_.raw_target, e.what());
  } catch (...) {
    log::error("http: upgrade of {} {} threw", upgrade_request_.method,
               upgrade_request_.raw_target);
  }
}

// Largest write buffer a stream keeps between writes.
constexpr size_t kRetainedStreamBuffer = 64 * 1024;

void StreamImpl::scheduleFlushLocked() {
  if (flush_scheduled_) return;
  auto conn = conn_.lock();
  if (!conn) return;
  flush_scheduled_ = true;
  net::post(strand_, [conn] { conn->flushStream(); });
}

template <class Stream>
void Connection<Stream>::flushStream() {
  if (state_ != State::kStreaming || write_in_progress_ || !stream_) return;
  if (!stream_->takePending(&write_buf_)) {
    if (stream_->finishing()) endStream();
    return;
  }
  write_in_progress_ = true;
  net::async_write(socket_, net::buffer(write_buf_),
                   [self = this->shared_from_this()](beast::error_code ec, size_t n) {
                     self->write_in_progress_ = false;
                     if (self->state_ == State::kClosed) return;
                     if (ec) {
                       self->closeNow();
                       return;
                     }
                     self->stream_->onWritten(n);
                     // A burst (a slow reader catching up) must not pin its buffer for
                     // the stream's lifetime: thousands of idle watches would hold it.
                     if (self->write_buf_.capacity() > kRetainedStreamBuffer) {
                       std::string().swap(self->write_buf_);
                     }
                     self->flushStream();
                   });
}

Status BeastHttpServer::start() {
  std::lock_guard stop_lock(stop_mu_);
  if (started_) return Status(Code::kInternal, "HttpServer::start called twice");
  started_ = true;
  if (options_.tls) {
    auto context = makeServerTlsContext(*options_.tls);
    if (!context.isOk()) return context.status();
    tls_context_ = std::move(*context);
  }
  beast::error_code ec;
  auto address = net::ip::make_address(options_.bind_address, ec);
  if (ec) return badRequest("invalid bind address \"" + options_.bind_address + "\"");
  tcp::endpoint endpoint(address, options_.port);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    beast::error_code ignored;
    acceptor_.close(ignored);
    return unavailable("cannot listen on " + options_.bind_address + ":" +
                       std::to_string(options_.port) + ": " + ec.message());
  }
  port_ = acceptor_.local_endpoint().port();

  workers_.start(std::max(1, options_.worker_threads));
  work_.emplace(ioc_.get_executor());
  net::post(acceptor_.get_executor(), [this] { doAccept(); });
  for (int i = 0; i < std::max(1, options_.io_threads); ++i) {
    io_threads_.emplace_back([this] { ioc_.run(); });
  }
  log::info("http: listening on {}:{}{}", options_.bind_address, port_.load(),
            tls_context_ ? " (TLS)" : "");
  return Status::ok();
}

void BeastHttpServer::doAccept() {
  acceptor_.async_accept(net::make_strand(ioc_), [this](beast::error_code ec, tcp::socket socket) {
    onAccept(ec, std::move(socket));
  });
}

void BeastHttpServer::onAccept(beast::error_code ec, tcp::socket socket) {
  if (!acceptor_.is_open()) return;
  if (ec) {
    if (ec == net::error::operation_aborted) return;
    // Out of descriptors and the like: back off instead of spinning.
    log::warn("http: accept failed: {}", ec.message());
    accept_retry_.expires_after(kAcceptRetryDelay);
    accept_retry_.async_wait([this](beast::error_code wait_ec) {
      if (!wait_ec && acceptor_.is_open()) doAccept();
    });
    return;
  }
  // Responses go out whole (one buffer sequence per write), so Nagle only adds delay: after
  // a TLS 1.3 handshake the session tickets went out first and the first response waited
  // for the client's delayed ACK, about 40 ms per new connection (bench/README.md).
  beast::error_code nodelay_ec;
  socket.set_option(tcp::no_delay(true), nodelay_ec);
  std::shared_ptr<ConnectionBase> conn;
  {
    std::lock_guard lock(mu_);
    if (!stopping_ && connections_.size() < options_.max_connections) {
      if (tls_context_) {
        conn = std::make_shared<Connection<TlsStream>>(this, std::move(socket));
      } else {
        conn = std::make_shared<Connection<tcp::socket>>(this, std::move(socket));
      }
      connections_.emplace(conn.get(), conn);
      heap_trim_.observe(connections_.size());
    }
  }
  if (conn) {
    conn->start();
  } else {
    beast::error_code ignored;
    socket.close(ignored);
  }
  doAccept();
}

void BeastHttpServer::stop() {
  std::lock_guard stop_lock(stop_mu_);
  if (stopped_) return;
  stopped_ = true;
  if (!started_) return;

  std::vector<std::shared_ptr<ConnectionBase>> live;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    for (auto& [ptr, weak] : connections_) {
      if (auto c = weak.lock()) live.push_back(std::move(c));
    }
  }
  net::post(acceptor_.get_executor(), [this] {
    beast::error_code ignored;
    acceptor_.close(ignored);
    accept_retry_.cancel();
  });
  for (auto& c : live) c->close();
  live.clear();
  // Handlers still running finish; their results land on closed connections.
  workers_.stop();
  work_.reset();
  io_threads_.clear();  // joins once every connection has wound down
  log::info("http: stopped");
}

}  // namespace

std::unique_ptr<HttpServer> HttpServer::create(HttpServerOptions options, Handler handler) {
  return std::make_unique<BeastHttpServer>(std::move(options), std::move(handler));
}

std::string serializeRequestHead(const HttpRequest& request) {
  std::string out = request.method + " " + request.raw_target + " HTTP/1.1\r\n";
  for (const auto& [name, value] : request.headers) {
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  out += "\r\n";
  return out;
}

std::string urlDecode(std::string_view s, bool plus_is_space) {
  return *decode(s, plus_is_space, /*strict=*/false);
}

std::optional<std::string> tryUrlDecode(std::string_view s, bool plus_is_space) {
  return decode(s, plus_is_space, /*strict=*/true);
}

std::string HttpRequest::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return value;
  }
  return "";
}

std::string HttpRequest::queryValue(std::string_view name) const {
  auto it = query.find(std::string(name));
  return it == query.end() ? std::string() : it->second;
}

bool HttpRequest::hasQuery(std::string_view name) const {
  return query.find(std::string(name)) != query.end();
}

std::vector<std::string_view> splitPath(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) parts.push_back(path.substr(i, j - i));
    i = j;
  }
  return parts;
}

}  // namespace minik8s::http
