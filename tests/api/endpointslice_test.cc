// discovery.k8s.io/v1 EndpointSlice: codec, defaults (through normalize) and validation
// with Kubernetes' field paths and messages.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/codec.h"
#include "api/scheme.h"
#include "api/types_discovery.h"

namespace minik8s::api {
namespace endpointslice_test {

using nlohmann::json;

const ResourceInfo& slices() {
  return *findResource("discovery.k8s.io", "v1", "endpointslices");
}

json sliceJson() {
  return json::parse(R"({
    "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
    "metadata": {"name": "web-abc12", "namespace": "default",
                 "labels": {"kubernetes.io/service-name": "web"}},
    "addressType": "IPv4",
    "endpoints": [{"addresses": ["10.0.0.1"],
                   "conditions": {"ready": true, "serving": true, "terminating": false},
                   "hostname": "alpha", "nodeName": "node1", "zone": "z1",
                   "targetRef": {"kind": "Pod", "namespace": "default", "name": "a", "uid": "u1"},
                   "hints": {"forZones": [{"name": "z1"}]}}],
    "ports": [{"name": "http", "protocol": "TCP", "port": 8080, "appProtocol": "http"}]
  })");
}

std::vector<std::string> messages(json object, const json* old = nullptr) {
  std::vector<std::string> out;
  EXPECT_TRUE(normalize(slices(), object, nullptr).isOk());
  for (const auto& e : validate(slices(), object, old)) out.push_back(e.field + ": " + e.message);
  return out;
}

TEST(EndpointSlice, IsServedAsDiscoveryV1) {
  const ResourceInfo* r = resolveResource("endpointslices");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->apiVersion(), "discovery.k8s.io/v1");
  EXPECT_EQ(r->kind, "EndpointSlice");
  EXPECT_TRUE(r->namespaced);
  EXPECT_TRUE(r->short_names.empty());
  EXPECT_EQ(resolveResource("endpointslice.discovery.k8s.io"), r);
}

TEST(EndpointSlice, RoundTripsEveryField) {
  json in = sliceJson();
  std::vector<std::string> unknown;
  auto decoded = decode<EndpointSlice>(in, &unknown);
  ASSERT_TRUE(decoded.isOk()) << decoded.status().toString();
  EXPECT_TRUE(unknown.empty());
  EXPECT_EQ(decoded->endpoints[0].conditions.terminating, false);
  EXPECT_EQ(toJson(*decoded), in);
}

TEST(EndpointSlice, EmptyListsAndFalseConditionsAreKept) {
  EndpointSlice slice;
  slice.address_type = "IPv4";
  Endpoint ep;
  ep.addresses = {"10.0.0.1"};
  ep.conditions.ready = false;
  slice.endpoints.push_back(ep);
  json out = toJson(slice);
  EXPECT_EQ(out["endpoints"][0]["conditions"], json({{"ready", false}}));
  EXPECT_EQ(out["ports"], json::array());
  slice.endpoints.clear();
  EXPECT_EQ(toJson(slice)["endpoints"], json::array());
}

TEST(EndpointSlice, PortsDefaultToAnEmptyNameAndTcp) {
  json in = sliceJson();
  in["ports"] = json::parse(R"([{"port": 80}])");
  ASSERT_TRUE(normalize(slices(), in, nullptr).isOk());
  EXPECT_EQ(in["ports"], json::parse(R"([{"name": "", "protocol": "TCP", "port": 80}])"));
}

TEST(EndpointSlice, AValidSliceHasNoErrors) {
  EXPECT_TRUE(messages(sliceJson()).empty());
  json fqdn = sliceJson();
  fqdn["addressType"] = "FQDN";
  fqdn["endpoints"][0]["addresses"] = {"db.example.com"};
  EXPECT_TRUE(messages(fqdn).empty());
  json v6 = sliceJson();
  v6["addressType"] = "IPv6";
  v6["endpoints"][0]["addresses"] = {"fd00::1"};
  EXPECT_TRUE(messages(v6).empty());
}

TEST(EndpointSlice, AddressTypeIsRequiredSupportedAndImmutable) {
  json none = sliceJson();
  none.erase("addressType");
  EXPECT_EQ(messages(none), std::vector<std::string>{"addressType: Required value"});
  json bad = sliceJson();
  bad["addressType"] = "IP";
  EXPECT_EQ(messages(bad),
            std::vector<std::string>{"addressType: Unsupported value: \"IP\": supported values: "
                                     "\"FQDN\", \"IPv4\", \"IPv6\""});
  json old = sliceJson();
  ASSERT_TRUE(normalize(slices(), old, nullptr).isOk());
  json changed = sliceJson();
  changed["addressType"] = "IPv6";
  changed["endpoints"][0]["addresses"] = {"fd00::1"};
  EXPECT_EQ(messages(changed, &old),
            std::vector<std::string>{"addressType: Invalid value: \"IPv6\": field is immutable"});
}

TEST(EndpointSlice, AddressesAreCheckedByAddressType) {
  json v4 = sliceJson();
  v4["endpoints"][0]["addresses"] = {"fd00::1", "127.0.0.1", "10.0.0.300"};
  EXPECT_EQ(
      messages(v4),
      (std::vector<std::string>{
          "endpoints[0].addresses[0]: Invalid value: \"fd00::1\": must be a valid IPv4 address",
          "endpoints[0].addresses[1]: Invalid value: \"127.0.0.1\": may not be in the loopback "
          "range (127.0.0.0/8, ::1/128)",
          "endpoints[0].addresses[2]: Invalid value: \"10.0.0.300\": must be a valid IPv4 "
          "address"}));
  json v6 = sliceJson();
  v6["addressType"] = "IPv6";
  v6["endpoints"][0]["addresses"] = {"10.0.0.1"};
  EXPECT_EQ(messages(v6), std::vector<std::string>{"endpoints[0].addresses[0]: Invalid value: "
                                                   "\"10.0.0.1\": must be a valid IPv6 address"});
  json fqdn = sliceJson();
  fqdn["addressType"] = "FQDN";
  fqdn["endpoints"][0]["addresses"] = {"localhost"};
  EXPECT_EQ(
      messages(fqdn),
      std::vector<std::string>{"endpoints[0].addresses[0]: Invalid value: \"localhost\": should be "
                               "a domain with at least two segments separated by dots"});
  json none = sliceJson();
  none["endpoints"][0]["addresses"] = json::array();
  EXPECT_EQ(messages(none), std::vector<std::string>{
                                "endpoints[0].addresses: Required value: must contain at least 1 "
                                "address"});
}

TEST(EndpointSlice, AtMost1000EndpointsAnd100Ports) {
  json many = sliceJson();
  json ep = many["endpoints"][0];
  many["endpoints"] = json::array();
  for (int i = 0; i < 1001; ++i) many["endpoints"].push_back(ep);
  EXPECT_EQ(messages(many),
            std::vector<std::string>{"endpoints: Too many: 1001: must have at most 1000 items"});
  many["endpoints"].erase(many["endpoints"].size() - 1);
  EXPECT_TRUE(messages(many).empty());

  json ports = sliceJson();
  ports["ports"] = json::array();
  for (int i = 0; i < 101; ++i)
    ports["ports"].push_back({{"name", "p" + std::to_string(i)}, {"port", 1000 + i}});
  EXPECT_EQ(messages(ports),
            std::vector<std::string>{"ports: Too many: 101: must have at most 100 items"});
}

TEST(EndpointSlice, PortNamesAreUniqueDnsLabelsAndProtocolsSupported) {
  json s = sliceJson();
  s["ports"] = json::parse(R"([{"name": "http", "port": 80}, {"name": "http", "port": 81},
                               {"name": "Bad_Name", "port": 82}, {"name": "x", "protocol": "ICMP"}])");
  EXPECT_EQ(
      messages(s),
      (std::vector<std::string>{
          "ports[1].name: Duplicate value: \"http\"",
          "ports[2].name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 label must consist "
          "of lower case alphanumeric characters or '-', and must start and end with an "
          "alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
          "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
          "ports[3].protocol: Unsupported value: \"ICMP\": supported values: \"SCTP\", "
          "\"TCP\", \"UDP\""}));
}

TEST(EndpointSlice, HostnameNodeNameAndLabelsAreChecked) {
  json s = sliceJson();
  s["endpoints"][0]["hostname"] = "Alpha";
  s["endpoints"][0]["nodeName"] = "node_1";
  s["metadata"]["labels"]["bad key!"] = "v";
  std::vector<std::string> got = messages(s);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].rfind("metadata.labels: Invalid value: \"bad key!\"", 0), 0u) << got[0];
  EXPECT_EQ(
      got[1].rfind(
          "endpoints[0].nodeName: Invalid value: \"node_1\": a lowercase RFC 1123 subdomain", 0),
      0u)
      << got[1];
  EXPECT_EQ(got[2].rfind(
                "endpoints[0].hostname: Invalid value: \"Alpha\": a lowercase RFC 1123 label", 0),
            0u)
      << got[2];
}

TEST(EndpointsValidation, AddressesHostnamesNodesAndPortNamesAsKubernetes) {
  const ResourceInfo& endpoints = *findResource("", "v1", "endpoints");
  auto errors = [&](json object) {
    std::vector<std::string> out;
    EXPECT_TRUE(normalize(endpoints, object, nullptr).isOk());
    for (const auto& e : validate(endpoints, object, nullptr))
      out.push_back(e.field + ": " + e.message);
    return out;
  };
  json ok = json::parse(R"({"metadata": {"name": "web", "namespace": "default"},
    "subsets": [{"addresses": [{"ip": "10.0.0.1", "hostname": "a", "nodeName": "node1"}],
                 "notReadyAddresses": [{"ip": "fd00::2"}],
                 "ports": [{"name": "http", "port": 80}, {"name": "https", "port": 443}]}]})");
  EXPECT_TRUE(errors(ok).empty());
  json bad = ok;
  bad["subsets"][0]["addresses"][0]["ip"] = "10.0.0.300";
  bad["subsets"][0]["addresses"][0]["hostname"] = "A";
  bad["subsets"][0]["ports"][1]["name"] = "";
  std::vector<std::string> got = errors(bad);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(
      got[0],
      "subsets[0].addresses[0].ip: Invalid value: \"10.0.0.300\": must be a valid IP address");
  EXPECT_EQ(got[1].rfind("subsets[0].addresses[0].hostname: Invalid value: \"A\"", 0), 0u)
      << got[1];
  EXPECT_EQ(got[2], "subsets[0].ports[1].name: Required value");
  json empty = ok;
  empty["subsets"][0].erase("addresses");
  empty["subsets"][0].erase("notReadyAddresses");
  EXPECT_EQ(errors(empty),
            std::vector<std::string>{"subsets[0]: Required value: must specify `addresses` or "
                                     "`notReadyAddresses`"});
}

}  // namespace endpointslice_test
}  // namespace minik8s::api
