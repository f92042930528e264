#include "common/ipv4.h"

#include <arpa/inet.h>

#include <charconv>

namespace minik8s {

std::string formatIpv4(uint32_t addr) {
  return std::to_string(addr >> 24) + "." + std::to_string((addr >> 16) & 0xff) + "." +
         std::to_string((addr >> 8) & 0xff) + "." + std::to_string(addr & 0xff);
}

std::string Ipv4Cidr::toString() const {
  return formatIpv4(network) + "/" + std::to_string(prefix);
}

std::string Ipv4Cidr::gateway() const { return formatIpv4(network + 1); }

bool Ipv4Cidr::contains(const Ipv4Cidr& inner) const {
  if (inner.prefix < prefix) return false;
  uint32_t mask = prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
  return (inner.network & mask) == network;
}

Result<Ipv4Cidr> parseIpv4Cidr(std::string_view view, int min_prefix, int max_prefix) {
  std::string text(view);
  auto slash = text.find('/');
  if (slash == std::string::npos) return invalid("CIDR \"" + text + "\" has no prefix length");
  std::string addr = text.substr(0, slash);
  std::string len = text.substr(slash + 1);
  in_addr a{};
  if (::inet_pton(AF_INET, addr.c_str(), &a) != 1) {
    return invalid("CIDR \"" + text + "\": bad IPv4 address");
  }
  int prefix = -1;
  auto [ptr, ec] = std::from_chars(len.data(), len.data() + len.size(), prefix);
  if (ec != std::errc() || ptr != len.data() + len.size() || len.empty()) {
    return invalid("CIDR \"" + text + "\": bad prefix length");
  }
  if (prefix < min_prefix || prefix > max_prefix) {
    return invalid("CIDR \"" + text + "\": prefix length must be " + std::to_string(min_prefix) +
                   ".." + std::to_string(max_prefix));
  }
  uint32_t host = ntohl(a.s_addr);
  uint32_t mask = prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
  if ((host & ~mask) != 0) {
    return invalid("CIDR \"" + text + "\": host bits are set");
  }
  return Ipv4Cidr{host, prefix};
}

}  // namespace minik8s
