#include "dns/server.h"


#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <mutex>
#include <optional>
#include <thread>

#include "common/log.h"
#include "dns/answer.h"
#include "dns/ldns_util.h"

namespace minik8s::dns {

namespace asio = boost::asio;
using asio::awaitable;
using asio::ip::tcp;
using asio::ip::udp;
using Bytes = std::vector<uint8_t>;

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
constexpr size_t kMaxMessage = 65535;

using ReusePort = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;
using FreeBind = asio::detail::socket_option::boolean<IPPROTO_IP, IP_FREEBIND>;

// Cancels `socket` when `timer` fires first. The handler holds the socket alive.
template <typename Socket>
void cancelOnTimeout(asio::steady_timer& timer, std::chrono::milliseconds after,
                     std::shared_ptr<Socket> socket) {
  timer.expires_after(after);
  timer.async_wait([socket](boost::system::error_code ec) {
    if (!ec) socket->cancel(ec);
  });
}

// A DNS message over TCP: two bytes of length, then the message (RFC 1035 4.2.2).
Bytes withLengthPrefix(const Bytes& message) {
  Bytes out(message.size() + 2);
  out[0] = static_cast<uint8_t>(message.size() >> 8);
  out[1] = static_cast<uint8_t>(message.size() & 0xff);
  for (size_t i = 0; i < message.size(); ++i) out[i + 2] = message[i];
  return out;
}

// The message id of `wire` (0 when too short).
uint16_t messageId(const Bytes& wire) { return wire.size() >= 2 ? LDNS_ID_WIRE(wire.data()) : 0; }

bool isReplyTo(const Bytes& reply, size_t n, const Bytes& query) {
  return n >= 12 && LDNS_QR_WIRE(reply.data()) && LDNS_ID_WIRE(reply.data()) == messageId(query);
}

}  // namespace

struct DnsServer::Impl {
  explicit Impl(DnsServerOptions o) : options(std::move(o)), cache(options.cache_size) {}

  DnsServerOptions options;
  // One io_context per thread (concurrency hint 1: no locking inside), each with its own UDP
  // socket; the acceptor lives on the first, TCP connections are dealt round-robin.
  std::vector<std::unique_ptr<asio::io_context>> ios;
  size_t next_tcp = 0;  // used on ios[0]'s thread only
  std::vector<std::shared_ptr<udp::socket>> udp_sockets;
  std::unique_ptr<tcp::acceptor> acceptor;
  // Opens one UDP socket per io_context and the TCP acceptor on `port` (0: any free one),
  // all on the same port; returns it. On failure closes what it opened.
  Result<uint16_t> bindSockets(const asio::ip::address& address, uint16_t port);
  std::vector<std::jthread> threads;
  uint16_t port = 0;
  ForwardCache cache;
  ReplyCache replies;
  mutable std::mutex mu;
  std::shared_ptr<const Records> records;  // GUARDED_BY(mu)
  std::atomic<uint64_t> queries{0}, forwarded{0}, cache_hits{0};
  std::atomic<int> tcp_open{0}, forwards_in_flight{0};

  std::shared_ptr<const Records> current() const {
    std::lock_guard lock(mu);
    return records;
  }

  // ---- upstream exchanges ----

  awaitable<std::optional<Bytes>> udpExchange(const Upstream& up, const Bytes& query) {
    auto ex = co_await asio::this_coro::executor;
    boost::system::error_code ec;
    udp::endpoint to(asio::ip::make_address(up.address, ec), up.port);
    if (ec) co_return std::nullopt;
    auto socket = std::make_shared<udp::socket>(ex);
    socket->open(to.protocol(), ec);
    if (ec) co_return std::nullopt;
    asio::steady_timer timer(ex);
    cancelOnTimeout(timer, options.upstream_timeout, socket);
    auto [send_ec, sent] = co_await socket->async_send_to(asio::buffer(query), to, kNoThrow);
    if (send_ec) co_return std::nullopt;
    Bytes buf(kMaxMessage);
    while (true) {
      udp::endpoint from;
      auto [recv_ec, n] = co_await socket->async_receive_from(asio::buffer(buf), from, kNoThrow);
      if (recv_ec) co_return std::nullopt;
      if (from != to || !isReplyTo(buf, n, query)) continue;  // stray datagram
      timer.cancel();
      buf.resize(n);
      co_return buf;
    }
  }

  awaitable<std::optional<Bytes>> tcpExchange(const Upstream& up, const Bytes& query) {
    auto ex = co_await asio::this_coro::executor;
    boost::system::error_code ec;
    tcp::endpoint to(asio::ip::make_address(up.address, ec), up.port);
    if (ec || query.size() > kMaxMessage) co_return std::nullopt;
    auto socket = std::make_shared<tcp::socket>(ex);
    asio::steady_timer timer(ex);
    cancelOnTimeout(timer, options.upstream_timeout, socket);
    auto [connect_ec] = co_await socket->async_connect(to, kNoThrow);
    if (connect_ec) co_return std::nullopt;
    Bytes framed = withLengthPrefix(query);
    auto [write_ec, written] = co_await asio::async_write(*socket, asio::buffer(framed), kNoThrow);
    if (write_ec) co_return std::nullopt;
    uint8_t len[2];
    auto [len_ec, len_n] = co_await asio::async_read(*socket, asio::buffer(len), kNoThrow);
    if (len_ec) co_return std::nullopt;
    Bytes reply((size_t(len[0]) << 8) | len[1]);
    auto [body_ec, body_n] = co_await asio::async_read(*socket, asio::buffer(reply), kNoThrow);
    timer.cancel();
    if (body_ec || !isReplyTo(reply, body_n, query)) co_return std::nullopt;
    co_return reply;
  }

  // The reply to a query answer() sent upstream: from the cache, else from the first
  // upstream that answers (UDP, then TCP when truncated), else SERVFAIL.
  awaitable<Bytes> forward(Bytes query, Reply decision, Transport transport) {
    const std::string key = ForwardCache::key(decision.qname, decision.qtype, decision.qclass);
    if (auto hit = cache.get(key, query, std::chrono::steady_clock::now())) {
      ++cache_hits;
      co_return transport == Transport::kUdp ? truncateForUdp(std::move(*hit), decision.max_udp_size)
                                             : std::move(*hit);
    }
    ++forwarded;
    for (const auto& up : options.upstreams) {
      std::optional<Bytes> reply = co_await udpExchange(up, query);
      if (reply && reply->size() >= 3 && (reply->data()[2] & 0x02)) {  // TC: ask over TCP
        if (auto full = co_await tcpExchange(up, query)) reply = std::move(full);
      }
      if (!reply) {
        log::debug("dns: upstream {} did not answer {}", up.toString(), decision.qname);
        continue;
      }
      cache.put(key, *reply, std::chrono::steady_clock::now());
      co_return transport == Transport::kUdp
                    ? truncateForUdp(std::move(*reply), decision.max_udp_size)
                    : std::move(*reply);
    }
    co_return errorReply(query, LDNS_RCODE_SERVFAIL);
  }

  // ---- listeners ----

  // Reads and answers datagrams while they are there without a trip through the
  // io_context per operation (the socket is non-blocking: a receive or send that would
  // block waits asynchronously instead), yielding every kBatch datagrams so that the
  // forwarding and TCP coroutines of this thread run.
  awaitable<void> udpLoop(std::shared_ptr<udp::socket> socket) {
    constexpr int kBatch = 64;
    Bytes buf(kMaxMessage);
    boost::system::error_code ec;
    socket->non_blocking(true, ec);
    int handled = 0;
    while (true) {
      if (++handled % kBatch == 0) co_await asio::post(socket->get_executor(), asio::use_awaitable);
      udp::endpoint from;
      size_t n = socket->receive_from(asio::buffer(buf), from, 0, ec);
      if (ec == asio::error::would_block) {
        auto [wait_ec] = co_await socket->async_wait(udp::socket::wait_read, kNoThrow);
        if (wait_ec == asio::error::operation_aborted || !socket->is_open()) co_return;
        continue;
      }
      if (!socket->is_open()) co_return;
      if (ec) continue;  // e.g. ICMP port unreachable of an earlier reply
      ++queries;
      std::span<const uint8_t> packet(buf.data(), n);
      Reply reply = answer(packet, *current(), Transport::kUdp, &replies);
      if (reply.action == Reply::Action::kSend) {
        socket->send_to(asio::buffer(reply.wire), from, 0, ec);
        if (ec == asio::error::would_block) {
          co_await socket->async_send_to(asio::buffer(reply.wire), from, kNoThrow);
        }
      } else if (reply.action == Reply::Action::kForward &&
                 forwards_in_flight.load() >= options.max_concurrent_forwards) {
        Bytes refused = errorReply(packet, LDNS_RCODE_REFUSED);
        if (!refused.empty()) socket->send_to(asio::buffer(refused), from, 0, ec);
      } else if (reply.action == Reply::Action::kForward) {
        // A coroutine of its own beside this one; the reply is sent from this strand.
        ++forwards_in_flight;
        auto socket_ex = co_await asio::this_coro::executor;
        asio::co_spawn(
            socket_ex,
            [this, socket, socket_ex, from, query = Bytes(packet.begin(), packet.end()),
             decision = std::move(reply)]() mutable -> awaitable<void> {
              auto wire = std::make_shared<Bytes>(
                  co_await forward(std::move(query), std::move(decision), Transport::kUdp));
              --forwards_in_flight;
              if (wire->empty()) co_return;
              asio::post(socket_ex, [socket, wire, from] {
                socket->async_send_to(asio::buffer(*wire), from,
                                      [wire](boost::system::error_code, size_t) {});
              });
            },
            asio::detached);
      }
    }
  }

  awaitable<void> tcpConnection(std::shared_ptr<tcp::socket> socket) {
    auto ex = co_await asio::this_coro::executor;
    asio::steady_timer idle(ex);
    while (true) {
      cancelOnTimeout(idle, options.tcp_idle_timeout, socket);
      uint8_t len[2];
      auto [len_ec, len_n] = co_await asio::async_read(*socket, asio::buffer(len), kNoThrow);
      if (len_ec) break;
      Bytes query((size_t(len[0]) << 8) | len[1]);
      auto [body_ec, body_n] = co_await asio::async_read(*socket, asio::buffer(query), kNoThrow);
      if (body_ec) break;
      ++queries;
      Reply reply = answer(query, *current(), Transport::kTcp, &replies);
      Bytes wire;
      if (reply.action == Reply::Action::kSend) {
        wire = std::move(reply.wire);
      } else if (reply.action == Reply::Action::kForward) {
        idle.cancel();
        wire = co_await forward(query, std::move(reply), Transport::kTcp);
      }
      if (wire.empty() || wire.size() > kMaxMessage) break;
      Bytes framed = withLengthPrefix(wire);
      auto [write_ec, written] = co_await asio::async_write(*socket, asio::buffer(framed), kNoThrow);
      if (write_ec) break;
    }
    idle.cancel();
    boost::system::error_code ignored;
    socket->close(ignored);
    --tcp_open;
  }

  awaitable<void> acceptLoop() {
    while (true) {
      auto socket =
          std::make_shared<tcp::socket>(asio::make_strand(*ios[next_tcp++ % ios.size()]));
      auto [ec] = co_await acceptor->async_accept(*socket, kNoThrow);
      if (ec == asio::error::operation_aborted || !acceptor->is_open()) co_return;
      if (ec) continue;
      if (tcp_open.load() >= options.max_tcp_connections) {
        socket->close(ec);
        continue;
      }
      ++tcp_open;
      asio::co_spawn(socket->get_executor(), tcpConnection(socket), asio::detached);
    }
  }
};

Result<uint16_t> DnsServer::Impl::bindSockets(const asio::ip::address& address, uint16_t port) {
  boost::system::error_code ec;
  auto fail = [&](const char* what) {
    for (auto& s : udp_sockets) s->close(ec);
    udp_sockets.clear();
    acceptor.reset();
    return Status(Code::kUnavailable,
                  std::string("dns: bind ") + what + " " + options.listen + ": " + ec.message());
  };
  for (size_t i = 0; i < ios.size(); ++i) {
    auto socket = std::make_shared<udp::socket>(asio::make_strand(*ios[i]));
    udp::endpoint ep(address, port);
    socket->open(ep.protocol(), ec);
    if (!ec) socket->set_option(ReusePort(true), ec);
    if (!ec && options.freebind) socket->set_option(FreeBind(true), ec);
    if (!ec) socket->bind(ep, ec);
    if (ec) return fail("udp");
    port = socket->local_endpoint().port();
    udp_sockets.push_back(std::move(socket));
  }
  acceptor = std::make_unique<tcp::acceptor>(*ios[0]);
  tcp::endpoint tep(address, port);
  acceptor->open(tep.protocol(), ec);
  if (!ec) acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec && options.freebind) acceptor->set_option(FreeBind(true), ec);
  if (!ec) acceptor->bind(tep, ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail("tcp");
  return port;
}

DnsServer::DnsServer(DnsServerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {
  impl_->records = std::make_shared<const Records>("cluster.local", kDefaultTtl);
}

DnsServer::~DnsServer() { stop(); }

Status DnsServer::start() {
  auto& m = *impl_;
  ASSIGN_OR_RETURN(Upstream listen, parseListen(m.options.listen));
  boost::system::error_code ec;
  auto address = asio::ip::make_address(listen.address, ec);
  if (ec) return Status(Code::kInvalid, "--listen: " + ec.message());
  uint16_t port = listen.port;
  const int n = std::max(1, m.options.threads);
  for (int i = 0; i < n; ++i) m.ios.push_back(std::make_unique<asio::io_context>(1));
  // Port 0 picks a free UDP port, which may be taken for TCP: then pick again.
  const int attempts = listen.port == 0 ? 20 : 1;
  Status bound;
  for (int attempt = 0; attempt < attempts; ++attempt) {
    auto bound_port = m.bindSockets(address, listen.port);
    bound = bound_port.status();
    if (bound.isOk()) {
      port = *bound_port;
      break;
    }
  }
  if (!bound.isOk()) return bound;
  m.port = port;
  for (auto& socket : m.udp_sockets) {
    asio::co_spawn(socket->get_executor(), m.udpLoop(socket), asio::detached);
  }
  asio::co_spawn(*m.ios[0], m.acceptLoop(), asio::detached);
  for (int i = 0; i < n; ++i) m.threads.emplace_back([io = m.ios[i].get()] { io->run(); });
  log::info("dns: serving on {} (udp and tcp), {} upstream(s)",
            Upstream{listen.address, port}.toString(), m.options.upstreams.size());
  return Status::ok();
}

void DnsServer::stop() {
  auto& m = *impl_;
  if (m.threads.empty()) return;
  for (auto& io : m.ios) io->stop();
  m.threads.clear();  // joins
  boost::system::error_code ignored;
  for (auto& s : m.udp_sockets) s->close(ignored);
  if (m.acceptor) m.acceptor->close(ignored);
}

uint16_t DnsServer::port() const { return impl_->port; }

void DnsServer::setRecords(std::shared_ptr<const Records> records) {
  std::lock_guard lock(impl_->mu);
  impl_->records = std::move(records);
}

std::shared_ptr<const Records> DnsServer::records() const { return impl_->current(); }

DnsServerStats DnsServer::stats() const {
  return {impl_->queries.load(), impl_->forwarded.load(), impl_->cache_hits.load()};
}

}  // namespace minik8s::dns
