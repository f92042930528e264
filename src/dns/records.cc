#include "dns/records.h"

#include <arpa/inet.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdlib>
#include <map>
#include <set>

#include "common/log.h"
#include "dns/ldns_util.h"

namespace minik8s::dns {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string fqdn(std::string_view name) {
  std::string out = lower(name);
  if (out.empty() || out.back() != '.') out += '.';
  return out;
}

enum class Family { kNone, kV4, kV6 };

Family familyOf(std::string_view ip) {
  std::string s(ip);
  unsigned char buf[16];
  if (inet_pton(AF_INET, s.c_str(), buf) == 1) return Family::kV4;
  if (inet_pton(AF_INET6, s.c_str(), buf) == 1) return Family::kV6;
  return Family::kNone;
}

const char* addressType(Family f) { return f == Family::kV6 ? "AAAA" : "A"; }

// The addresses of a Service's ClusterIP(s): clusterIPs when set, else clusterIP.
std::vector<std::string> clusterIps(const api::ServiceSpec& spec) {
  if (!spec.cluster_ips.empty()) return spec.cluster_ips;
  if (!spec.cluster_ip.empty()) return {spec.cluster_ip};
  return {};
}

bool isHeadless(const api::ServiceSpec& spec) { return spec.cluster_ip == "None"; }

std::string protoLabel(std::string_view protocol) {
  return "_" + lower(protocol.empty() ? std::string_view("TCP") : protocol);
}

// Builds records while skipping (and logging) the ones whose data is unusable.
class Builder {
 public:
  explicit Builder(Records& records) : records_(records) {}
  void add(std::string_view name, std::string_view type, std::string_view rdata) {
    Status s = records_.add(name, type, rdata);
    if (!s.isOk()) log::debug("dns: skipping {} {} {}: {}", name, type, rdata, s.message());
  }
  void addName(std::string_view name) { records_.addName(name); }

 private:
  Records& records_;
};

void addService(Builder& b, const api::Service& svc, const std::string& zone) {
  const std::string name =
      lower(svc.metadata.name + "." + svc.metadata.namespace_ + ".svc.") + zone;
  if (svc.spec.type == "ExternalName") {
    if (!svc.spec.external_name.empty()) b.add(name, "CNAME", fqdn(svc.spec.external_name));
    return;
  }
  if (isHeadless(svc.spec)) return;  // from its EndpointSlices
  bool any = false;
  for (const auto& ip : clusterIps(svc.spec)) {
    Family f = familyOf(ip);
    if (f == Family::kNone) continue;
    any = true;
    b.add(name, addressType(f), ip);
    if (std::string rev = reverseName(ip); !rev.empty()) b.add(rev, "PTR", name);
  }
  if (!any) return;
  for (const auto& port : svc.spec.ports) {
    if (port.name.empty()) continue;
    b.add("_" + lower(port.name) + "." + protoLabel(port.protocol) + "." + name, "SRV",
          "0 100 " + std::to_string(port.port) + " " + name);
  }
}

// A headless Service's endpoints, gathered over all its slices.
struct HeadlessEndpoint {
  std::string address;
  std::string label;  // hostname, or the dashed address
};

void addHeadless(Builder& b, const api::Service& svc,
                 const std::vector<const api::EndpointSlice*>& slices, const std::string& zone) {
  const std::string name =
      lower(svc.metadata.name + "." + svc.metadata.namespace_ + ".svc.") + zone;
  const bool publish_not_ready = svc.spec.publish_not_ready_addresses.value_or(false);
  std::vector<HeadlessEndpoint> endpoints;
  std::set<std::string> seen;
  std::map<std::pair<std::string, std::string>, int32_t> ports;  // (name, protocol) -> port
  for (const auto* slice : slices) {
    if (slice->address_type != "IPv4" && slice->address_type != "IPv6") continue;
    for (const auto& ep : slice->endpoints) {
      if (!publish_not_ready && !ep.conditions.ready.value_or(true)) continue;
      for (const auto& address : ep.addresses) {
        if (familyOf(address) == Family::kNone || !seen.insert(address).second) continue;
        std::string label = ep.hostname && !ep.hostname->empty() ? lower(*ep.hostname)
                                                                  : dashedAddress(address);
        endpoints.push_back({address, std::move(label)});
      }
    }
    for (const auto& port : slice->ports) {
      if (!port.name || port.name->empty() || !port.port) continue;
      ports[{lower(*port.name), port.protocol.value_or("TCP")}] = *port.port;
    }
  }
  // The Service's own name exists even with no ready endpoint (NODATA, not NXDOMAIN).
  b.addName(name);
  for (const auto& ep : endpoints) {
    Family f = familyOf(ep.address);
    const std::string host = ep.label + "." + name;
    b.add(name, addressType(f), ep.address);
    b.add(host, addressType(f), ep.address);
    if (std::string rev = reverseName(ep.address); !rev.empty()) b.add(rev, "PTR", host);
  }
  if (endpoints.empty()) return;
  const int weight = std::max<int>(1, 100 / static_cast<int>(endpoints.size()));
  for (const auto& [key, port] : ports) {
    const std::string srv = "_" + key.first + "." + protoLabel(key.second) + "." + name;
    for (const auto& ep : endpoints) {
      b.add(srv, "SRV",
            "0 " + std::to_string(weight) + " " + std::to_string(port) + " " + ep.label + "." +
                name);
    }
  }
}

void addPod(Builder& b, const api::Pod& pod, const std::string& zone) {
  if (pod.spec.host_network) return;
  std::set<std::string> ips;
  if (!pod.status.pod_ip.empty()) ips.insert(pod.status.pod_ip);
  for (const auto& ip : pod.status.pod_ips) {
    if (!ip.ip.empty()) ips.insert(ip.ip);
  }
  for (const auto& ip : ips) {
    Family f = familyOf(ip);
    if (f == Family::kNone) continue;
    b.add(dashedAddress(ip) + "." + lower(pod.metadata.namespace_) + ".pod." + zone,
          addressType(f), ip);
  }
}

}  // namespace

Status validateZone(std::string_view zone) {
  const std::string name = fqdn(zone);
  ldns_rdf* dname = name == "." ? nullptr : ldns_dname_new_frm_str(name.c_str());
  if (!dname) {
    return Status(Code::kInvalid, "\"" + std::string(zone) + "\" is not a domain name");
  }
  ldns_rdf_deep_free(dname);
  // The SOA's names are the zone's plus "ns.dns." and "hostmaster.": they must fit too.
  ldns_rdf* longest = ldns_dname_new_frm_str(("hostmaster.ns.dns." + name).c_str());
  if (!longest) return Status(Code::kInvalid, "\"" + std::string(zone) + "\" is too long");
  ldns_rdf_deep_free(longest);
  return Status::ok();
}

std::string reverseName(std::string_view ip) {
  Family f = familyOf(ip);
  if (f == Family::kNone) return "";
  std::string s(ip);
  ldns_rdf* addr =
      ldns_rdf_new_frm_str(f == Family::kV4 ? LDNS_RDF_TYPE_A : LDNS_RDF_TYPE_AAAA, s.c_str());
  if (!addr) return "";
  ldns_rdf* rev = ldns_rdf_address_reverse(addr);
  ldns_rdf_deep_free(addr);
  if (!rev) return "";
  char* text = ldns_rdf2str(rev);
  ldns_rdf_deep_free(rev);
  std::string out = text ? lower(text) : "";
  std::free(text);
  return out;
}

std::string dashedAddress(std::string_view ip) {
  std::string out(ip);
  std::replace(out.begin(), out.end(), '.', '-');
  std::replace(out.begin(), out.end(), ':', '-');
  return lower(out);
}

Records::Records(std::string_view zone, uint32_t ttl) : zone_(fqdn(zone)), ttl_(ttl) {
  static std::atomic<uint64_t> next_generation{1};
  generation_ = next_generation.fetch_add(1);
  names_[zone_];
  // CoreDNS' SOA: ns.dns.<zone> hostmaster.<zone> serial refresh retry expire minimum.
  std::string soa = zone_ + " " + std::to_string(ttl_) + " IN SOA ns.dns." + zone_ +
                    " hostmaster." + zone_ + " 1 7200 1800 86400 " + std::to_string(ttl_);
  ldns_rr* rr = nullptr;
  if (ldns_rr_new_frm_str(&rr, soa.c_str(), ttl_, nullptr, nullptr) != LDNS_STATUS_OK) {
    log::error("dns: cannot build the SOA of zone {}", zone_);
    std::abort();  // the zone name itself is invalid: a broken flag, caught at start
  }
  soa_ = {LDNS_RR_TYPE_SOA, soa, std::shared_ptr<const ldns_rr>(rr, ldns_rr_free)};
  names_[zone_].push_back(soa_);
  ++record_count_;
  (void)add("dns-version." + zone_, "TXT", std::string("\"") + kSchemaVersion + "\"");
}

Status Records::add(std::string_view name_in, std::string_view type, std::string_view rdata) {
  const std::string name = fqdn(name_in);
  std::string text = name + " " + std::to_string(ttl_) + " IN " + std::string(type) + " " +
                     std::string(rdata);
  ldns_rr* rr = nullptr;
  ldns_status st = ldns_rr_new_frm_str(&rr, text.c_str(), ttl_, nullptr, nullptr);
  if (st != LDNS_STATUS_OK || !rr) {
    return Status(Code::kInvalid, std::string(ldns_get_errorstr_by_id(st)));
  }
  std::shared_ptr<const ldns_rr> owned(rr, ldns_rr_free);
  char* canonical = ldns_rr2str(rr);
  std::string shown = canonical ? canonical : text;
  std::free(canonical);
  while (!shown.empty() && (shown.back() == '\n' || shown.back() == ' ')) shown.pop_back();
  addName(name);
  auto& list = names_[name];
  for (const auto& r : list) {
    if (ldns_rr_compare(r.rr.get(), rr) == 0) return Status::ok();
  }
  list.push_back({static_cast<uint16_t>(ldns_rr_get_type(rr)), std::move(shown), std::move(owned)});
  ++record_count_;
  return Status::ok();
}

void Records::addName(std::string_view name_in) {
  const std::string name = fqdn(name_in);
  names_.try_emplace(name);
  // Ancestors down to the zone exist. Outside the zone (reverse names) only names with
  // records are ours; the rest is forwarded.
  if (!inZone(name)) return;
  std::string_view rest = name;
  while (rest.size() > zone_.size()) {
    rest.remove_prefix(rest.find('.') + 1);
    if (!names_.try_emplace(std::string(rest)).second) break;
  }
}

const std::vector<Record>* Records::find(std::string_view name) const {
  auto it = names_.find(std::string(name));
  return it == names_.end() ? nullptr : &it->second;
}

bool Records::inZone(std::string_view name) const {
  if (name == zone_) return true;
  return name.size() > zone_.size() && name.ends_with(zone_) &&
         name[name.size() - zone_.size() - 1] == '.';
}

std::shared_ptr<const Records> buildRecords(const RecordInputs& inputs, std::string_view zone,
                                            uint32_t ttl) {
  auto records = std::make_shared<Records>(zone, ttl);
  const std::string z = records->zone();
  Builder b(*records);
  // Slices by "namespace/service".
  std::map<std::string, std::vector<const api::EndpointSlice*>> slices;
  for (const auto& slice : inputs.slices) {
    auto it = slice->metadata.labels.find(api::kLabelServiceName);
    if (it == slice->metadata.labels.end()) continue;
    slices[slice->metadata.namespace_ + "/" + it->second].push_back(slice.get());
  }
  for (const auto& svc : inputs.services) {
    if (isHeadless(svc->spec) && svc->spec.type != "ExternalName") {
      auto it = slices.find(svc->metadata.namespace_ + "/" + svc->metadata.name);
      static const std::vector<const api::EndpointSlice*> kNone;
      addHeadless(b, *svc, it == slices.end() ? kNone : it->second, z);
    } else {
      addService(b, *svc, z);
    }
  }
  for (const auto& pod : inputs.pods) addPod(b, *pod, z);
  std::string ingress_ip;
  for (const auto& svc : inputs.services) {
    if (svc->metadata.namespace_ == kIngressServiceNamespace &&
        svc->metadata.name == kIngressServiceName && svc->spec.cluster_ip != "None")
      ingress_ip = svc->spec.cluster_ip;
  }
  if (!ingress_ip.empty()) {
    const char* type = familyOf(ingress_ip) == Family::kV6 ? "AAAA" : "A";
    for (const auto& dns : inputs.dnses) {
      if (dns->spec.hostname.empty() || !dns->metadata.deletion_timestamp.empty()) continue;
      const std::string name = fqdn(lower(dns->spec.hostname));
      if (records->inZone(name)) continue;  // never shadows the cluster's own names
      b.add(name, type, ingress_ip);
    }
  }
  return records;
}

}  // namespace minik8s::dns
