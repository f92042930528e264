#include "dns/answer.h"


#include <algorithm>
#include <cctype>

#include "dns/ldns_util.h"

namespace minik8s::dns {
namespace {

constexpr size_t kHeaderSize = 12;
constexpr size_t kMaxEdnsUdpSize = 4096;

// A reply skeleton for `q`: same id, opcode, RD and CD, QR and RA set, the question copied.
PktPtr newReply(const ldns_pkt* q, uint8_t rcode) {
  PktPtr r(ldns_pkt_new());
  ldns_pkt_set_id(r.get(), ldns_pkt_id(q));
  ldns_pkt_set_qr(r.get(), true);
  ldns_pkt_set_opcode(r.get(), ldns_pkt_get_opcode(q));
  ldns_pkt_set_rd(r.get(), ldns_pkt_rd(q));
  ldns_pkt_set_cd(r.get(), ldns_pkt_cd(q));
  ldns_pkt_set_ra(r.get(), true);
  ldns_pkt_set_rcode(r.get(), rcode);
  const ldns_rr_list* question = ldns_pkt_question(q);
  for (size_t i = 0; question && i < ldns_rr_list_rr_count(question); ++i) {
    ldns_pkt_push_rr(r.get(), LDNS_SECTION_QUESTION, ldns_rr_clone(ldns_rr_list_rr(question, i)));
  }
  if (ldns_pkt_edns(q)) {
    ldns_pkt_set_edns_udp_size(r.get(), kEdnsUdpSize);
    ldns_pkt_set_edns_do(r.get(), ldns_pkt_edns_do(q));
  }
  return r;
}

// FORMERR for a packet ldns cannot parse: the header's id and opcode, nothing else.
std::vector<uint8_t> formErrFromHeader(std::span<const uint8_t> query) {
  PktPtr r(ldns_pkt_new());
  ldns_pkt_set_id(r.get(), LDNS_ID_WIRE(query.data()));
  ldns_pkt_set_qr(r.get(), true);
  ldns_pkt_set_opcode(r.get(), static_cast<ldns_pkt_opcode>(LDNS_OPCODE_WIRE(query.data())));
  ldns_pkt_set_rd(r.get(), LDNS_RD_WIRE(query.data()) != 0);
  ldns_pkt_set_rcode(r.get(), LDNS_RCODE_FORMERR);
  return toWire(r.get());
}

Reply replyWith(std::vector<uint8_t> wire) {
  Reply reply;
  reply.action = wire.empty() ? Reply::Action::kDrop : Reply::Action::kSend;
  reply.wire = std::move(wire);
  return reply;
}

// Adds a copy of `record` to `section`, owned by `owner` (the query's spelling of the name).
void pushRecord(ldns_pkt* r, ldns_pkt_section section, const Record& record,
                const ldns_rdf* owner) {
  ldns_rr* rr = ldns_rr_clone(record.rr.get());
  if (owner) {
    ldns_rdf_deep_free(ldns_rr_owner(rr));
    ldns_rr_set_owner(rr, ldns_rdf_clone(owner));
  }
  ldns_pkt_push_rr(r, section, rr);
}

// The cache key of a local reply: the question and every query flag the reply depends on.
std::string replyKey(const std::string& qname, uint16_t qtype, uint16_t qclass, const ldns_pkt* q,
                     size_t max_udp, Transport transport) {
  std::string key = qname;
  key += '|';
  key += std::to_string(qtype) + '|' + std::to_string(qclass) + '|';
  key += ldns_pkt_rd(q) ? 'r' : '-';
  key += ldns_pkt_cd(q) ? 'c' : '-';
  key += ldns_pkt_edns(q) ? 'e' : '-';
  key += ldns_pkt_edns_do(q) ? 'd' : '-';
  key += transport == Transport::kUdp ? std::to_string(max_udp) : "tcp";
  return key;
}

bool sameIgnoringCase(const uint8_t* a, const uint8_t* b, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (std::tolower(a[i]) != std::tolower(b[i])) return false;
  }
  return true;
}

// `cached` made the asker's: its id, and its question's bytes (the question is the first
// name of both messages, at the same offset, uncompressed in ours). False when the query's
// question is not laid out that way (e.g. a compression pointer): build the reply instead.
bool adoptCached(std::vector<uint8_t>& cached, std::span<const uint8_t> query, const ldns_pkt* q,
                 const ldns_rr* qrr) {
  const size_t question = ldns_rdf_size(ldns_rr_owner(qrr)) + 4;
  if (query.size() < kHeaderSize + question || cached.size() < kHeaderSize + question) {
    return false;
  }
  const uint8_t* asked = query.data() + kHeaderSize;
  uint8_t* stored = cached.data() + kHeaderSize;
  if (!sameIgnoringCase(asked, stored, question)) return false;
  ldns_write_uint16(cached.data(), ldns_pkt_id(q));
  std::copy(asked, asked + question, stored);
  return true;
}

}  // namespace

std::optional<std::vector<uint8_t>> ReplyCache::get(uint64_t generation, const std::string& key) {
  std::lock_guard lock(mu_);
  if (generation != generation_) return std::nullopt;
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  return it->second;
}

void ReplyCache::put(uint64_t generation, const std::string& key,
                     const std::vector<uint8_t>& reply) {
  std::lock_guard lock(mu_);
  if (generation != generation_ || entries_.size() >= capacity_) {
    entries_.clear();
    generation_ = generation;
  }
  entries_[key] = reply;
}

Reply answer(std::span<const uint8_t> query, const Records& records, Transport transport,
             ReplyCache* cache) {
  if (query.size() < kHeaderSize || LDNS_QR_WIRE(query.data())) return {};
  PktPtr q = parsePacket(query);
  if (!q) return replyWith(formErrFromHeader(query));
  if (ldns_pkt_get_opcode(q.get()) != LDNS_PACKET_QUERY) {
    return replyWith(toWire(newReply(q.get(), LDNS_RCODE_NOTIMPL).get()));
  }
  const ldns_rr_list* question = ldns_pkt_question(q.get());
  if (ldns_pkt_qdcount(q.get()) != 1 || !question || ldns_rr_list_rr_count(question) != 1) {
    return replyWith(toWire(newReply(q.get(), LDNS_RCODE_FORMERR).get()));
  }
  const ldns_rr* qrr = ldns_rr_list_rr(question, 0);
  const ldns_rr_class qclass = ldns_rr_get_class(qrr);
  const ldns_rr_type qtype = ldns_rr_get_type(qrr);
  if (qclass != LDNS_RR_CLASS_IN && qclass != LDNS_RR_CLASS_ANY) {
    return replyWith(toWire(newReply(q.get(), LDNS_RCODE_REFUSED).get()));
  }
  size_t max_udp = 512;
  if (ldns_pkt_edns(q.get())) {
    max_udp = std::clamp<size_t>(ldns_pkt_edns_udp_size(q.get()), 512, kMaxEdnsUdpSize);
  }
  const std::string qname = canonicalName(ldns_rr_owner(qrr));
  const std::vector<Record>* found = records.find(qname);
  const bool in_zone = records.inZone(qname);
  if (!found && !in_zone) {
    Reply reply;
    reply.action = Reply::Action::kForward;
    reply.qname = qname;
    reply.qtype = qtype;
    reply.qclass = qclass;
    reply.max_udp_size = max_udp;
    return reply;
  }
  if (qtype == LDNS_RR_TYPE_AXFR || qtype == LDNS_RR_TYPE_IXFR) {
    return replyWith(toWire(newReply(q.get(), LDNS_RCODE_REFUSED).get()));
  }
  std::string key;
  if (cache) {
    key = replyKey(qname, qtype, qclass, q.get(), max_udp, transport);
    if (auto hit = cache->get(records.generation(), key)) {
      if (adoptCached(*hit, query, q.get(), qrr)) return replyWith(std::move(*hit));
    }
  }
  PktPtr r = newReply(q.get(), found ? LDNS_RCODE_NOERROR : LDNS_RCODE_NXDOMAIN);
  ldns_pkt_set_aa(r.get(), true);
  size_t answers = 0;
  if (found) {
    const ldns_rdf* owner = ldns_rr_owner(qrr);
    for (const auto& record : *found) {
      if (qtype == LDNS_RR_TYPE_ANY || record.type == qtype) {
        pushRecord(r.get(), LDNS_SECTION_ANSWER, record, owner);
        ++answers;
      }
    }
    if (answers == 0) {
      for (const auto& record : *found) {
        if (record.type == LDNS_RR_TYPE_CNAME) {
          pushRecord(r.get(), LDNS_SECTION_ANSWER, record, owner);
          ++answers;
        }
      }
    }
  }
  if (answers == 0) pushRecord(r.get(), LDNS_SECTION_AUTHORITY, records.soa(), nullptr);
  std::vector<uint8_t> wire = toWire(r.get());
  if (transport == Transport::kUdp) wire = truncateForUdp(std::move(wire), max_udp);
  if (cache && !wire.empty()) cache->put(records.generation(), key, wire);
  return replyWith(std::move(wire));
}

std::vector<uint8_t> errorReply(std::span<const uint8_t> query, int rcode) {
  PktPtr q = parsePacket(query);
  if (!q) return {};
  return toWire(newReply(q.get(), static_cast<uint8_t>(rcode)).get());
}

std::vector<uint8_t> truncateForUdp(std::vector<uint8_t> reply, size_t max_size) {
  if (reply.size() <= max_size) return reply;
  PktPtr p = parsePacket(reply);
  if (!p) return {};
  PktPtr t(ldns_pkt_new());
  ldns_pkt_set_id(t.get(), ldns_pkt_id(p.get()));
  ldns_pkt_set_qr(t.get(), true);
  ldns_pkt_set_opcode(t.get(), ldns_pkt_get_opcode(p.get()));
  ldns_pkt_set_aa(t.get(), ldns_pkt_aa(p.get()));
  ldns_pkt_set_rd(t.get(), ldns_pkt_rd(p.get()));
  ldns_pkt_set_ra(t.get(), ldns_pkt_ra(p.get()));
  ldns_pkt_set_cd(t.get(), ldns_pkt_cd(p.get()));
  ldns_pkt_set_rcode(t.get(), ldns_pkt_get_rcode(p.get()));
  ldns_pkt_set_tc(t.get(), true);
  const ldns_rr_list* question = ldns_pkt_question(p.get());
  for (size_t i = 0; question && i < ldns_rr_list_rr_count(question); ++i) {
    ldns_pkt_push_rr(t.get(), LDNS_SECTION_QUESTION, ldns_rr_clone(ldns_rr_list_rr(question, i)));
  }
  if (ldns_pkt_edns(p.get())) {
    ldns_pkt_set_edns_udp_size(t.get(), ldns_pkt_edns_udp_size(p.get()));
    ldns_pkt_set_edns_do(t.get(), ldns_pkt_edns_do(p.get()));
  }
  std::vector<uint8_t> wire = toWire(t.get());
  return wire.size() <= max_size ? wire : std::vector<uint8_t>{};
}

}  // namespace minik8s::dns
