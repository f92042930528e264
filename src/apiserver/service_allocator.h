// ServiceAllocator: ClusterIPs from the service CIDR and NodePorts from the node-port
// range, persisted in the store as one key per allocation
// (/registry/ranges/clusterips/<ip>, /registry/ranges/nodeports/<port>) so that an
// allocation is an atomic create: never duplicated under concurrent creates, and kept
// across restarts. Thread-safe; blocking (store calls).
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>

#include "common/status.h"
#include "store/store.h"

namespace minik8s::apiserver {

struct Ipv4Cidr {
  uint32_t base = 0;  // network address, host order
  int prefix = 32;
  uint64_t size() const { return uint64_t{1} << (32 - prefix); }
  bool contains(uint32_t ip) const;
};
Result<Ipv4Cidr> parseCidr(std::string_view s);             // "10.96.0.0/12"
std::optional<uint32_t> parseIpv4(std::string_view s);       // "10.96.0.1"
std::string formatIpv4(uint32_t ip);

struct PortRange {
  int first = 30000;
  int last = 32767;
};
Result<PortRange> parsePortRange(std::string_view s);  // "30000-32767"

class ServiceAllocator {
 public:
  ServiceAllocator(store::Store& store, Ipv4Cidr service_cidr, PortRange node_ports);

  // The first usable address of the range (10.96.0.1), reserved for `kubernetes`.
  std::string apiserverServiceIp() const;

  // Allocates `requested` (kInvalid when outside the range or already taken) or a free
  // address when empty. `owner` ("default/web") is recorded for repair.
  Result<std::string> allocateIp(const std::string& owner, const std::string& requested);
  Result<int> allocatePort(const std::string& owner, int requested /*0: any*/);
  void releaseIp(const std::string& ip);
  void releasePort(int port);
  bool portInRange(int port) const { return port >= ports_.first && port <= ports_.last; }
  const PortRange& portRange() const { return ports_; }

  // Frees allocations whose owner is not in `live_owners` (after a crash between
  // allocating and storing a service). Returns how many were freed.
  Result<int> repair(const std::set<std::string>& live_owners);

 private:
  Result<bool> tryClaim(const std::string& key, const std::string& owner);

  store::Store& store_;
  const Ipv4Cidr cidr_;
  const PortRange ports_;
  std::mutex mu_;
  std::mt19937_64 rng_;  // GUARDED_BY(mu_)
};

}  // namespace minik8s::apiserver
