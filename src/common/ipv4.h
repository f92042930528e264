// IPv4 addresses and CIDR blocks (pure).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace minik8s {

struct Ipv4Cidr {
  uint32_t network = 0;  // host byte order, host bits cleared
  int prefix = 0;

  std::string toString() const;  // "10.244.1.0/24"
  std::string gateway() const;   // first address: "10.244.1.1"
  uint64_t size() const { return uint64_t{1} << (32 - prefix); }
  bool contains(const Ipv4Cidr& inner) const;
  bool operator==(const Ipv4Cidr&) const = default;
};

std::string formatIpv4(uint32_t address);  // host byte order
// "10.244.1.0/24" → {0x0af40100, 24}. kInvalid unless the prefix is within
// [min_prefix, max_prefix] and the host bits are zero.
Result<Ipv4Cidr> parseIpv4Cidr(std::string_view text, int min_prefix = 0, int max_prefix = 32);

}  // namespace minik8s
