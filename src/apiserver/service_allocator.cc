#include "apiserver/service_allocator.h"

#include <charconv>

namespace minik8s::apiserver {

namespace {
constexpr const char* kIpPrefix = "/registry/ranges/clusterips/";
constexpr const char* kPortPrefix = "/registry/ranges/nodeports/";
}  // namespace

bool Ipv4Cidr::contains(uint32_t ip) const {
  if (prefix == 0) return true;
  uint32_t mask = prefix == 32 ? 0xffffffffu : ~((uint32_t{1} << (32 - prefix)) - 1);
  return (ip & mask) == base;
}

std::optional<uint32_t> parseIpv4(std::string_view s) {
  uint32_t ip = 0;
  int parts = 0;
  size_t i = 0;
  while (parts < 4) {
    unsigned v = 0;
    auto [p, ec] = std::from_chars(s.data() + i, s.data() + s.size(), v);
    if (ec != std::errc() || v > 255 || p == s.data() + i) return std::nullopt;
    ip = (ip << 8) | v;
    i = static_cast<size_t>(p - s.data());
    ++parts;
    if (parts < 4) {
      if (i >= s.size() || s[i] != '.') return std::nullopt;
      ++i;
    }
  }
  if (i != s.size()) return std::nullopt;
  return ip;
}

std::string formatIpv4(uint32_t ip) {
  return std::to_string(ip >> 24) + "." + std::to_string((ip >> 16) & 255) + "." +
         std::to_string((ip >> 8) & 255) + "." + std::to_string(ip & 255);
}

Result<Ipv4Cidr> parseCidr(std::string_view s) {
  auto slash = s.find('/');
  if (slash == std::string_view::npos) return badRequest("invalid CIDR " + std::string(s));
  auto ip = parseIpv4(s.substr(0, slash));
  int prefix = -1;
  auto rest = s.substr(slash + 1);
  auto [p, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), prefix);
  if (!ip || ec != std::errc() || p != rest.data() + rest.size() || prefix < 8 || prefix > 30) {
    return badRequest("invalid CIDR " + std::string(s) + " (want a.b.c.d/8..30)");
  }
  Ipv4Cidr cidr;
  cidr.prefix = prefix;
  cidr.base = *ip & ~((uint32_t{1} << (32 - prefix)) - 1);
  return cidr;
}

Result<PortRange> parsePortRange(std::string_view s) {
  auto dash = s.find('-');
  PortRange r;
  if (dash == std::string_view::npos) return badRequest("invalid port range " + std::string(s));
  auto a = s.substr(0, dash), b = s.substr(dash + 1);
  auto [pa, ea] = std::from_chars(a.data(), a.data() + a.size(), r.first);
  auto [pb, eb] = std::from_chars(b.data(), b.data() + b.size(), r.last);
  if (ea != std::errc() || eb != std::errc() || pa != a.data() + a.size() ||
      pb != b.data() + b.size() || r.first < 1 || r.last > 65535 || r.first > r.last) {
    return badRequest("invalid port range " + std::string(s));
  }
  return r;
}

ServiceAllocator::ServiceAllocator(store::Store& store, Ipv4Cidr service_cidr, PortRange ports)
    : store_(store), cidr_(service_cidr), ports_(ports), rng_(std::random_device{}()) {}

std::string ServiceAllocator::apiserverServiceIp() const { return formatIpv4(cidr_.base + 1); }

Result<bool> ServiceAllocator::tryClaim(const std::string& key, const std::string& owner) {
  auto r = store_.create(key, owner);
  if (r.isOk()) return true;
  if (r.status().code() == Code::kAlreadyExists) return false;
  return r.status();
}

Result<std::string> ServiceAllocator::allocateIp(const std::string& owner,
                                                 const std::string& requested) {
  if (!requested.empty()) {
    auto ip = parseIpv4(requested);
    if (!ip || !cidr_.contains(*ip) || *ip == cidr_.base ||
        *ip == cidr_.base + static_cast<uint32_t>(cidr_.size() - 1)) {
      return invalid("spec.clusterIP: Invalid value: \"" + requested +
                         "\": provided IP is not in the valid range",
                     {{"spec.clusterIPs", "FieldValueInvalid",
                       "Invalid value: \"" + requested + "\": provided IP is not in the valid range"}});
    }
    ASSIGN_OR_RETURN(bool claimed, tryClaim(kIpPrefix + requested, owner));
    if (!claimed) {
      return invalid("spec.clusterIP: Invalid value: \"" + requested +
                         "\": provided IP is already allocated",
                     {{"spec.clusterIPs", "FieldValueInvalid",
                       "Invalid value: \"" + requested + "\": provided IP is already allocated"}});
    }
    return requested;
  }
  // Usable host offsets are 2 .. size-2: .0 is the network, .1 the kubernetes service.
  uint64_t usable = cidr_.size() - 3;
  uint64_t start;
  {
    std::lock_guard lock(mu_);
    start = rng_() % usable;
  }
  for (uint64_t i = 0; i < usable; ++i) {
    uint32_t ip = cidr_.base + 2 + static_cast<uint32_t>((start + i) % usable);
    std::string text = formatIpv4(ip);
    ASSIGN_OR_RETURN(bool claimed, tryClaim(kIpPrefix + text, owner));
    if (claimed) return text;
  }
  return internalError("range is full: no ClusterIP left in the service CIDR");
}

Result<int> ServiceAllocator::allocatePort(const std::string& owner, int requested) {
  if (requested != 0) {
    if (!portInRange(requested)) {
      return invalid("provided port is not in the valid range");
    }
    ASSIGN_OR_RETURN(bool claimed, tryClaim(kPortPrefix + std::to_string(requested), owner));
    if (!claimed) return invalid("provided port is already allocated");
    return requested;
  }
  int count = ports_.last - ports_.first + 1;
  int start;
  {
    std::lock_guard lock(mu_);
    start = static_cast<int>(rng_() % static_cast<uint64_t>(count));
  }
  for (int i = 0; i < count; ++i) {
    int port = ports_.first + (start + i) % count;
    ASSIGN_OR_RETURN(bool claimed, tryClaim(kPortPrefix + std::to_string(port), owner));
    if (claimed) return port;
  }
  return internalError("range is full: no NodePort left");
}

void ServiceAllocator::releaseIp(const std::string& ip) {
  if (!ip.empty() && ip != "None") (void)store_.remove(kIpPrefix + ip);
}

void ServiceAllocator::releasePort(int port) {
  if (port > 0) (void)store_.remove(kPortPrefix + std::to_string(port));
}

Result<int> ServiceAllocator::repair(const std::set<std::string>& live_owners) {
  int freed = 0;
  for (const char* prefix : {kIpPrefix, kPortPrefix}) {
    ASSIGN_OR_RETURN(store::ListResult listed, store_.list(prefix));
    for (const auto& kv : listed.items) {
      if (live_owners.count(kv.value)) continue;
      if (store_.remove(kv.key, kv.mod_revision).isOk()) ++freed;
    }
  }
  return freed;
}

}  // namespace minik8s::apiserver
