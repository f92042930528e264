#include "dns/forward.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <limits>
#include <sstream>

#include "dns/ldns_util.h"

namespace minik8s::dns {
namespace {

bool isAddress(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

Result<uint16_t> parsePort(std::string_view text, bool allow_zero) {
  unsigned port = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (ec != std::errc() || p != text.data() + text.size() || (port == 0 && !allow_zero) ||
      port > 65535) {
    return Status(Code::kInvalid, "invalid port \"" + std::string(text) + "\"");
  }
  return static_cast<uint16_t>(port);
}

// Applies `fn` to every record of the answer, authority and additional sections.
template <typename F>
void forEachRecord(ldns_pkt* p, F&& fn) {
  for (ldns_rr_list* list : {ldns_pkt_answer(p), ldns_pkt_authority(p), ldns_pkt_additional(p)}) {
    for (size_t i = 0; list && i < ldns_rr_list_rr_count(list); ++i) fn(ldns_rr_list_rr(list, i));
  }
}

}  // namespace

std::string Upstream::toString() const {
  if (address.find(':') != std::string::npos) return "[" + address + "]:" + std::to_string(port);
  return address + ":" + std::to_string(port);
}

static Result<Upstream> parseAddressPort(std::string_view text, bool allow_zero) {
  Upstream u;
  std::string s(text);
  if (!s.empty() && s.front() == '[') {
    size_t close = s.find(']');
    if (close == std::string::npos) return Status(Code::kInvalid, "invalid upstream \"" + s + "\"");
    u.address = s.substr(1, close - 1);
    if (close + 1 < s.size()) {
      if (s[close + 1] != ':') return Status(Code::kInvalid, "invalid upstream \"" + s + "\"");
      ASSIGN_OR_RETURN(u.port, parsePort(std::string_view(s).substr(close + 2), allow_zero));
    }
  } else if (std::count(s.begin(), s.end(), ':') == 1) {
    size_t colon = s.find(':');
    u.address = s.substr(0, colon);
    ASSIGN_OR_RETURN(u.port, parsePort(std::string_view(s).substr(colon + 1), allow_zero));
  } else {
    u.address = s;
  }
  if (!isAddress(u.address)) {
    return Status(Code::kInvalid, "upstream \"" + s + "\" is not an IP address");
  }
  return u;
}

Result<Upstream> parseUpstream(std::string_view text) { return parseAddressPort(text, false); }
Result<Upstream> parseListen(std::string_view text) { return parseAddressPort(text, true); }

std::vector<std::string> resolvConfNameservers(std::string_view text) {
  std::vector<std::string> out;
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string key, value;
    if (words >> key >> value && key == "nameserver") out.push_back(value);
  }
  return out;
}

std::string ForwardCache::key(std::string_view qname, uint16_t qtype, uint16_t qclass) {
  return std::string(qname) + "|" + std::to_string(qtype) + "|" + std::to_string(qclass);
}

void ForwardCache::put(const std::string& key, std::span<const uint8_t> reply, Instant now) {
  if (capacity_ == 0) return;
  PktPtr p = parsePacket(reply);
  if (!p || ldns_pkt_tc(p.get())) return;
  uint8_t rcode = ldns_pkt_get_rcode(p.get());
  if (rcode != LDNS_RCODE_NOERROR && rcode != LDNS_RCODE_NXDOMAIN) return;
  uint32_t ttl = std::numeric_limits<uint32_t>::max();
  size_t count = 0;
  forEachRecord(p.get(), [&](ldns_rr* rr) {
    ttl = std::min(ttl, ldns_rr_ttl(rr));
    ++count;
  });
  if (count == 0 || ttl == 0) return;
  ttl = std::min(ttl, kMaxTtl);
  std::lock_guard lock(mu_);
  if (auto it = entries_.find(key); it != entries_.end()) {
    order_.erase(it->second.order);
    entries_.erase(it);
  }
  while (entries_.size() >= capacity_ && !order_.empty()) {
    entries_.erase(order_.front());
    order_.pop_front();
  }
  order_.push_back(key);
  entries_[key] = {std::vector<uint8_t>(reply.begin(), reply.end()), now,
                   now + std::chrono::seconds(ttl), std::prev(order_.end())};
}

std::optional<std::vector<uint8_t>> ForwardCache::get(const std::string& key,
                                                      std::span<const uint8_t> query,
                                                      Instant now) {
  std::vector<uint8_t> stored;
  Instant stored_at;
  {
    std::lock_guard lock(mu_);
    auto it = entries_.find(key);
    if (it == entries_.end()) return std::nullopt;
    if (now >= it->second.expires) {
      order_.erase(it->second.order);
      entries_.erase(it);
      return std::nullopt;
    }
    stored = it->second.reply;
    stored_at = it->second.stored;
  }
  PktPtr q = parsePacket(query);
  PktPtr p = parsePacket(stored);
  if (!q || !p) return std::nullopt;
  const auto age = static_cast<uint32_t>(
      std::chrono::duration_cast<std::chrono::seconds>(now - stored_at).count());
  forEachRecord(p.get(), [&](ldns_rr* rr) {
    uint32_t ttl = ldns_rr_ttl(rr);
    ldns_rr_set_ttl(rr, ttl > age ? ttl - age : 0);
  });
  ldns_pkt_set_id(p.get(), ldns_pkt_id(q.get()));
  ldns_rr_list* question = ldns_pkt_question(p.get());
  ldns_rr_list* asked = ldns_pkt_question(q.get());
  if (question && asked && ldns_rr_list_rr_count(question) == 1 &&
      ldns_rr_list_rr_count(asked) == 1) {
    ldns_rr* stored_q = ldns_rr_list_rr(question, 0);
    ldns_rdf_deep_free(ldns_rr_owner(stored_q));
    ldns_rr_set_owner(stored_q, ldns_rdf_clone(ldns_rr_owner(ldns_rr_list_rr(asked, 0))));
  }
  std::vector<uint8_t> wire = toWire(p.get());
  if (wire.empty()) return std::nullopt;
  return wire;
}

size_t ForwardCache::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

}  // namespace minik8s::dns
