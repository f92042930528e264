// What the DNS server needs to forward names outside the cluster: the upstream list
// (flags or /etc/resolv.conf) and a bounded cache of upstream replies that honours TTLs.
#pragma once

#include <chrono>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"

namespace minik8s::dns {

struct Upstream {
  std::string address;  // an IPv4 or IPv6 address
  uint16_t port = 53;
  std::string toString() const;
};

// "10.0.0.2", "10.0.0.2:5353", "fd00::2", "[fd00::2]:5353".
Result<Upstream> parseUpstream(std::string_view text);
// The same forms for a listen address, where port 0 (any free port) is allowed.
Result<Upstream> parseListen(std::string_view text);
// The `nameserver` lines of a resolv.conf, in order.
std::vector<std::string> resolvConfNameservers(std::string_view text);

// ForwardCache: upstream replies by question, kept for the smallest TTL among their
// records (at most kMaxTtl), at most `capacity` entries (the oldest goes first).
// NOERROR and NXDOMAIN replies with at least one record are cached; SERVFAIL, truncated
// and record-less replies are not. A hit is re-encoded with the asker's id and question
// and each TTL lowered by the entry's age. Time is passed in. Thread-safe.
class ForwardCache {
 public:
  using Instant = std::chrono::steady_clock::time_point;
  static constexpr uint32_t kMaxTtl = 3600;

  explicit ForwardCache(size_t capacity) : capacity_(capacity) {}

  static std::string key(std::string_view qname, uint16_t qtype, uint16_t qclass);

  // The cached reply for `query` (a parsed, valid query with this key); nullopt on a miss.
  std::optional<std::vector<uint8_t>> get(const std::string& key,
                                          std::span<const uint8_t> query, Instant now);
  void put(const std::string& key, std::span<const uint8_t> reply, Instant now);
  size_t size() const;

 private:
  struct Entry {
    std::vector<uint8_t> reply;
    Instant stored;
    Instant expires;
    std::list<std::string>::iterator order;
  };
  const size_t capacity_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;  // GUARDED_BY(mu_)
  std::list<std::string> order_;                    // GUARDED_BY(mu_), oldest first
};

}  // namespace minik8s::dns
