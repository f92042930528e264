// DnsServer: the sockets of `minik8s dns`. UDP and TCP on one address; each query goes
// through the pure answer() against the current Records (with a ReplyCache of the replies
// already built for them); names outside the cluster are
// forwarded to the upstreams (UDP, then TCP when the upstream truncates) through a
// ForwardCache.
//
// Threads: `threads` threads, each running its own io_context with its own UDP socket on
// the same port (SO_REUSEPORT; the kernel spreads datagrams), read by one coroutine; one
// acceptor on the first; each TCP connection is a coroutine on one of the io_contexts in
// turn (length-prefixed messages, one after another, closed after an idle timeout); each
// forwarded UDP query is a coroutine beside its socket, with a deadline per upstream.
// Nothing blocks an I/O thread. Thread-safe: setRecords() from any thread; start() and
// stop() once each.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "dns/forward.h"
#include "dns/records.h"

namespace minik8s::dns {

struct DnsServerOptions {
  std::string listen = "0.0.0.0:53";  // address:port; port 0 picks a free one (tests)
  // Bind even when the address is on no interface yet (IP_FREEBIND): the agent listens on
  // its pod bridge's gateway address before the first pod creates the bridge.
  bool freebind = false;
  std::vector<Upstream> upstreams;     // empty: outside names get SERVFAIL
  size_t cache_size = 10000;           // forwarded replies kept
  int threads = 2;
  std::chrono::milliseconds upstream_timeout{2000};  // per upstream and attempt
  std::chrono::seconds tcp_idle_timeout{10};
  // Beyond this many open TCP connections a new one is closed at once.
  int max_tcp_connections = 1000;
  // Beyond this many UDP queries waiting for an upstream, a new one is REFUSED at once
  // (CoreDNS' forward `max_concurrent`).
  int max_concurrent_forwards = 1000;
};

struct DnsServerStats {
  uint64_t queries = 0;    // packets and TCP messages received
  uint64_t forwarded = 0;  // sent to an upstream
  uint64_t cache_hits = 0;
};

class DnsServer {
 public:
  explicit DnsServer(DnsServerOptions options);
  ~DnsServer();
  DnsServer(const DnsServer&) = delete;
  DnsServer& operator=(const DnsServer&) = delete;

  // Binds UDP and TCP and starts the threads. Until setRecords(), the zone is empty.
  Status start();
  void stop();
  uint16_t port() const;  // REQUIRES: start() succeeded

  void setRecords(std::shared_ptr<const Records> records);
  std::shared_ptr<const Records> records() const;
  DnsServerStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace minik8s::dns
