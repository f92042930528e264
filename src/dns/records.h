// Records: the cluster's DNS data, an immutable index from owner name to resource records,
// built by the pure function buildRecords() from the informer caches (Services,
// EndpointSlices, Pods) following the Kubernetes DNS specification
// (github.com/kubernetes/dns/blob/master/docs/specification.md, schema 1.1.0).
//
// Names are lower-case, fully qualified, in ldns' presentation form ("a.b.svc.cluster.local.").
// Every ancestor of a name down to the zone exists as an empty non-terminal, so a query
// for "ns.svc.cluster.local." is NODATA, not NXDOMAIN. Reverse names (in-addr.arpa,
// ip6.arpa) are held too, outside the zone. Each record carries its prebuilt ldns_rr so
// that answering only clones it. Immutable once built and shared as
// std::shared_ptr<const Records>: thread-safe to read.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "api/types_apps.h"
#include "api/types_core.h"
#include "api/types_discovery.h"
#include "common/status.h"

struct ldns_struct_rr;

namespace minik8s::dns {

inline constexpr char kSchemaVersion[] = "1.1.0";  // the spec's dns-version TXT
// CoreDNS' kubernetes plugin answers with a TTL of 5 s unless configured (`ttl`).
inline constexpr uint32_t kDefaultTtl = 5;

struct Record {
  uint16_t type = 0;  // LDNS_RR_TYPE_*
  std::string text;   // the whole record in presentation form, for tests and logs
  std::shared_ptr<const ldns_struct_rr> rr;
};

class Records {
 public:
  // `zone`: "cluster.local" (with or without the final dot, any case).
  Records(std::string_view zone, uint32_t ttl);

  // Adds `name TTL IN type rdata` (`type` as text: "A", "SRV"...). Identical records are
  // kept once. Invalid data is an error and adds nothing.
  Status add(std::string_view name, std::string_view type, std::string_view rdata);
  // Makes `name` (and its ancestors) exist with no record of its own: a headless Service
  // with no ready endpoint is NODATA, not NXDOMAIN.
  void addName(std::string_view name);

  // The records of `name` (lower case, final dot); nullptr when the name does not exist,
  // an empty vector for an empty non-terminal.
  const std::vector<Record>* find(std::string_view name) const;
  // True when `name` is the zone or below it.
  bool inZone(std::string_view name) const;

  const std::string& zone() const { return zone_; }  // "cluster.local."
  // Unique per Records built in this process: caches of answers key on it.
  uint64_t generation() const { return generation_; }
  uint32_t ttl() const { return ttl_; }
  const Record& soa() const { return soa_; }
  size_t nameCount() const { return names_.size(); }
  size_t recordCount() const { return record_count_; }

 private:
  std::string zone_;
  uint32_t ttl_;
  uint64_t generation_;
  Record soa_;
  std::unordered_map<std::string, std::vector<Record>> names_;
  size_t record_count_ = 0;
};

// The Service of the nginx add-on (the ingress controller's) that serves every `Dns`.
inline constexpr char kIngressServiceNamespace[] = "kube-system";
inline constexpr char kIngressServiceName[] = "minik8s-nginx";

struct RecordInputs {
  std::vector<std::shared_ptr<const api::Service>> services;
  std::vector<std::shared_ptr<const api::EndpointSlice>> slices;
  std::vector<std::shared_ptr<const api::Pod>> pods;
  std::vector<std::shared_ptr<const api::Dns>> dnses;  // the original's Dns kind
};

// The whole record set of a cluster: a pure function of its Services, EndpointSlices and
// Pods; plus, for each Dns, its hostname (outside the zone) as an A/AAAA record of the
// nginx add-on Service's ClusterIP once that Service has one. Objects with unusable data (a
// bad ExternalName, an address that is not an IP, a hostname inside the zone) are skipped,
// never fatal.
std::shared_ptr<const Records> buildRecords(const RecordInputs& inputs, std::string_view zone,
                                            uint32_t ttl);

// OK when `zone` can be served (--cluster-domain): a domain name of one label or more.
// Records' constructor REQUIRES it.
Status validateZone(std::string_view zone);

// "10.0.0.1" -> "1.0.0.10.in-addr.arpa."; IPv6 gives the ip6.arpa nibble name; "" when
// `ip` is not an address.
std::string reverseName(std::string_view ip);
// "10.0.0.1" -> "10-0-0-1"; "fd00::1" -> "fd00--1" (CoreDNS' form of an address as a label).
std::string dashedAddress(std::string_view ip);

}  // namespace minik8s::dns
