// Helpers of the dns tests: cluster objects in a line, and queries and replies through ldns.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/types_core.h"
#include "api/types_discovery.h"
#include "dns/ldns_util.h"
#include "dns/records.h"

namespace minik8s::dns::dnstest {

inline std::shared_ptr<const api::Service> service(std::string ns, std::string name,
                                                   std::string cluster_ip,
                                                   std::vector<api::ServicePort> ports = {}) {
  api::Service s;
  s.metadata.namespace_ = std::move(ns);
  s.metadata.name = std::move(name);
  s.spec.cluster_ip = cluster_ip;
  if (cluster_ip != "None" && !cluster_ip.empty()) s.spec.cluster_ips = {cluster_ip};
  s.spec.type = "ClusterIP";
  s.spec.ports = std::move(ports);
  return std::make_shared<const api::Service>(std::move(s));
}

inline api::ServicePort port(std::string name, int32_t number, std::string protocol = "TCP") {
  api::ServicePort p;
  p.name = std::move(name);
  p.port = number;
  p.protocol = std::move(protocol);
  return p;
}

inline api::Endpoint endpoint(std::string address, std::optional<std::string> hostname = {},
                              std::optional<bool> ready = true) {
  api::Endpoint e;
  e.addresses = {std::move(address)};
  e.hostname = std::move(hostname);
  e.conditions.ready = ready;
  return e;
}

inline std::shared_ptr<const api::EndpointSlice> slice(std::string ns, std::string service,
                                                       std::vector<api::Endpoint> endpoints,
                                                       std::vector<api::EndpointSlicePort> ports = {},
                                                       std::string address_type = "IPv4") {
  api::EndpointSlice s;
  s.metadata.namespace_ = std::move(ns);
  s.metadata.name = service + "-abcde";
  s.metadata.labels[api::kLabelServiceName] = std::move(service);
  s.address_type = std::move(address_type);
  s.endpoints = std::move(endpoints);
  s.ports = std::move(ports);
  return std::make_shared<const api::EndpointSlice>(std::move(s));
}

inline api::EndpointSlicePort slicePort(std::string name, int32_t number) {
  api::EndpointSlicePort p;
  p.name = std::move(name);
  p.port = number;
  p.protocol = "TCP";
  return p;
}

inline std::shared_ptr<const api::Pod> pod(std::string ns, std::string name, std::string ip) {
  api::Pod p;
  p.metadata.namespace_ = std::move(ns);
  p.metadata.name = std::move(name);
  p.status.pod_ip = std::move(ip);
  return std::make_shared<const api::Pod>(std::move(p));
}

struct QueryOptions {
  uint16_t edns_size = 0;  // 0: no EDNS
  uint16_t id = 4242;
  ldns_rr_class qclass = LDNS_RR_CLASS_IN;
};

inline std::vector<uint8_t> makeQuery(const std::string& name, ldns_rr_type type,
                                      QueryOptions options = {}) {
  ldns_rdf* owner = ldns_dname_new_frm_str(name.c_str());
  PktPtr q(ldns_pkt_query_new(owner, type, options.qclass, LDNS_RD));
  ldns_pkt_set_id(q.get(), options.id);
  if (options.edns_size) ldns_pkt_set_edns_udp_size(q.get(), options.edns_size);
  return toWire(q.get());
}

// The records of one section as text, one per record, tabs made single spaces, sorted.
inline std::vector<std::string> section(const ldns_pkt* p, ldns_pkt_section which) {
  const ldns_rr_list* list = which == LDNS_SECTION_ANSWER      ? ldns_pkt_answer(p)
                             : which == LDNS_SECTION_AUTHORITY ? ldns_pkt_authority(p)
                                                               : ldns_pkt_additional(p);
  std::vector<std::string> out;
  for (size_t i = 0; list && i < ldns_rr_list_rr_count(list); ++i) {
    char* text = ldns_rr2str(ldns_rr_list_rr(list, i));
    std::string s = text ? text : "";
    std::free(text);
    std::replace(s.begin(), s.end(), '\t', ' ');
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    out.push_back(s);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace minik8s::dns::dnstest
