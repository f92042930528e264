// answer(): the DNS server's one decision, pure. Given a query packet as received and the
// current Records, it returns the reply to send, or says the query must be forwarded
// upstream, or that it must be dropped. Every wire format step goes through ldns.
//
// - A packet too short to carry a header, or one with the QR bit set (a response), is
//   dropped: answering could start a loop.
// - A packet ldns cannot parse: FORMERR. An opcode other than QUERY: NOTIMP. Not exactly
//   one question: FORMERR. A class other than IN (or ANY): REFUSED. Zone transfers
//   (AXFR, IXFR): REFUSED.
// - A name in the cluster zone, or a reverse name we hold: authoritative answer (AA).
//   Missing name: NXDOMAIN with the zone's SOA in the authority section; a name with no
//   record of the asked type: NODATA (NOERROR, SOA in authority). A CNAME answers every type.
// - Any other name: kForward.
// Over UDP a reply larger than 512 bytes, or than the query's EDNS0 size, is cut to
// header and question with the TC bit set, so the client retries over TCP.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "dns/records.h"

namespace minik8s::dns {

enum class Transport { kUdp, kTcp };

// The EDNS0 UDP payload size we announce (the DNS flag day 2020 value).
inline constexpr uint16_t kEdnsUdpSize = 1232;

struct Reply {
  enum class Action { kSend, kForward, kDrop };
  Action action = Action::kDrop;
  std::vector<uint8_t> wire;  // kSend: the reply
  // kForward: the question, lower case, for the cache key and the UDP size to honour.
  std::string qname;
  uint16_t qtype = 0;
  uint16_t qclass = 0;
  size_t max_udp_size = 512;
};

// ReplyCache: finished local replies, by question and by the query flags that shape the
// reply (RD, CD, EDNS0 and its DO bit and size, the transport), for one Records generation
// (a new generation empties it). At most `capacity` entries; when full it starts over.
// A hit is the stored reply with the asker's id and the asker's spelling of the question
// (the bytes of the question, which compare equal without case). Thread-safe.
class ReplyCache {
 public:
  explicit ReplyCache(size_t capacity = 10000) : capacity_(capacity) {}
  std::optional<std::vector<uint8_t>> get(uint64_t generation, const std::string& key);
  void put(uint64_t generation, const std::string& key, const std::vector<uint8_t>& reply);

 private:
  const size_t capacity_;
  std::mutex mu_;
  uint64_t generation_ = 0;                                          // GUARDED_BY(mu_)
  std::unordered_map<std::string, std::vector<uint8_t>> entries_;  // GUARDED_BY(mu_)
};

// `cache` (optional) holds replies already built for `records`; answer() is then still a
// function of its inputs: a hit is byte for byte the reply it would build.
Reply answer(std::span<const uint8_t> query, const Records& records, Transport transport,
             ReplyCache* cache = nullptr);

// A reply with `rcode` (LDNS_RCODE_*) and the query's question, for a query that parsed
// (SERVFAIL when every upstream failed). Empty when the query does not parse.
std::vector<uint8_t> errorReply(std::span<const uint8_t> query, int rcode);

// When `reply` is larger than `max_size`: header and question only, with TC set.
// Otherwise `reply` unchanged. Used for forwarded replies too.
std::vector<uint8_t> truncateForUdp(std::vector<uint8_t> reply, size_t max_size);

}  // namespace minik8s::dns
