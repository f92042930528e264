// Small RAII helpers around ldns for the dns module (not a codec: every byte of the wire
// format is read and written by ldns).
#pragma once

// ldns' common.h defines `bool`, `true` and `false` as macros (true = 1) unless
// <stdbool.h> came first; in C++ that breaks later templates (fmt). Include ldns only here.
#include <stdbool.h>  // NOLINT: defines __bool_true_false_are_defined for ldns
#include <ldns/ldns.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace minik8s::dns {

struct PktFree {
  void operator()(ldns_pkt* p) const { ldns_pkt_free(p); }
};
using PktPtr = std::unique_ptr<ldns_pkt, PktFree>;

// Parses `wire`; nullptr when ldns rejects it.
inline PktPtr parsePacket(std::span<const uint8_t> wire) {
  ldns_pkt* pkt = nullptr;
  if (ldns_wire2pkt(&pkt, wire.data(), wire.size()) != LDNS_STATUS_OK) {
    if (pkt) ldns_pkt_free(pkt);
    return nullptr;
  }
  return PktPtr(pkt);
}

// Encodes `pkt`; empty on failure.
inline std::vector<uint8_t> toWire(const ldns_pkt* pkt) {
  uint8_t* buf = nullptr;
  size_t size = 0;
  if (ldns_pkt2wire(&buf, pkt, &size) != LDNS_STATUS_OK || !buf) {
    std::free(buf);
    return {};
  }
  std::vector<uint8_t> out(buf, buf + size);
  std::free(buf);
  return out;
}

// The presentation form of a domain name, lower case ("a.b.cluster.local.").
inline std::string canonicalName(const ldns_rdf* dname) {
  ldns_rdf* copy = ldns_rdf_clone(dname);
  ldns_dname2canonical(copy);
  char* text = ldns_rdf2str(copy);
  ldns_rdf_deep_free(copy);
  std::string out = text ? text : "";
  std::free(text);
  return out;
}

}  // namespace minik8s::dns
