#include "dns/records.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "dns/dns_test_util.h"

namespace minik8s::dns {
namespace records_test {

using namespace dnstest;  // NOLINT
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::IsNull;
using ::testing::NotNull;
using ::testing::UnorderedElementsAre;

// The records of `name` as "TYPE rdata", sorted; {"<none>"} when the name does not exist.
std::vector<std::string> at(const Records& records, const std::string& name) {
  const auto* list = records.find(name);
  if (!list) return {"<none>"};
  std::vector<std::string> out;
  for (const auto& r : *list) {
    std::string s = r.text;
    std::replace(s.begin(), s.end(), '\t', ' ');
    // Drop "name ttl IN ": keep "TYPE rdata".
    size_t in = s.find(" IN ");
    out.push_back(in == std::string::npos ? s : s.substr(in + 4));
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(BuildRecords, ClusterIpServiceGetsARecordSrvPerNamedPortAndPtr) {
  RecordInputs in;
  in.services = {service("default", "web", "10.96.0.20",
                         {port("http", 80), port("", 8080), port("dns", 53, "UDP")})};
  auto r = buildRecords(in, "cluster.local", 5);
  EXPECT_THAT(at(*r, "web.default.svc.cluster.local."), ElementsAre("A 10.96.0.20"));
  EXPECT_THAT(at(*r, "_http._tcp.web.default.svc.cluster.local."),
              ElementsAre("SRV 0 100 80 web.default.svc.cluster.local."));
  EXPECT_THAT(at(*r, "_dns._udp.web.default.svc.cluster.local."),
              ElementsAre("SRV 0 100 53 web.default.svc.cluster.local."));
  EXPECT_THAT(at(*r, "20.0.96.10.in-addr.arpa."), ElementsAre("PTR web.default.svc.cluster.local."));
  EXPECT_EQ(r->find("web.default.svc.cluster.local.")->front().text.find("\t5\t") != std::string::npos,
            true);
}

TEST(BuildRecords, AncestorsInTheZoneAreEmptyNonTerminalsAndOthersDoNotExist) {
  RecordInputs in;
  in.services = {service("default", "web", "10.96.0.20", {port("http", 80)})};
  auto r = buildRecords(in, "Cluster.Local", 5);
  EXPECT_EQ(r->zone(), "cluster.local.");
  EXPECT_THAT(r->find("default.svc.cluster.local."), NotNull());
  EXPECT_THAT(*r->find("default.svc.cluster.local."), IsEmpty());
  EXPECT_THAT(r->find("svc.cluster.local."), NotNull());
  EXPECT_THAT(r->find("_tcp.web.default.svc.cluster.local."), NotNull());
  EXPECT_THAT(r->find("other.default.svc.cluster.local."), IsNull());
  // Outside the zone only names with records exist; their parents are forwarded.
  EXPECT_THAT(r->find("0.96.10.in-addr.arpa."), IsNull());
  EXPECT_TRUE(r->inZone("cluster.local."));
  EXPECT_TRUE(r->inZone("x.cluster.local."));
  EXPECT_FALSE(r->inZone("xcluster.local."));
  EXPECT_FALSE(r->inZone("local."));
}

TEST(BuildRecords, ZoneApexHasSoaAndDnsVersionTxt) {
  auto r = buildRecords({}, "cluster.local", 5);
  EXPECT_THAT(at(*r, "cluster.local."),
              ElementsAre("SOA ns.dns.cluster.local. hostmaster.cluster.local. 1 7200 1800 86400 5"));
  EXPECT_THAT(at(*r, "dns-version.cluster.local."), ElementsAre("TXT \"1.1.0\""));
}

TEST(BuildRecords, HeadlessServiceGetsReadyEndpointsHostnamesSrvAndPtr) {
  RecordInputs in;
  in.services = {service("db", "pg", "None")};
  in.slices = {slice("db", "pg",
                     {endpoint("10.244.1.5", "pg-0"), endpoint("10.244.2.7"),
                      endpoint("10.244.3.9", {}, false)},
                     {slicePort("sql", 5432)})};
  auto r = buildRecords(in, "cluster.local", 5);
  EXPECT_THAT(at(*r, "pg.db.svc.cluster.local."),
              UnorderedElementsAre("A 10.244.1.5", "A 10.244.2.7"));
  EXPECT_THAT(at(*r, "pg-0.pg.db.svc.cluster.local."), ElementsAre("A 10.244.1.5"));
  EXPECT_THAT(at(*r, "10-244-2-7.pg.db.svc.cluster.local."), ElementsAre("A 10.244.2.7"));
  EXPECT_THAT(at(*r, "10-244-3-9.pg.db.svc.cluster.local."), ElementsAre("<none>"));
  EXPECT_THAT(at(*r, "_sql._tcp.pg.db.svc.cluster.local."),
              UnorderedElementsAre("SRV 0 50 5432 pg-0.pg.db.svc.cluster.local.",
                                   "SRV 0 50 5432 10-244-2-7.pg.db.svc.cluster.local."));
  EXPECT_THAT(at(*r, "5.1.244.10.in-addr.arpa."),
              ElementsAre("PTR pg-0.pg.db.svc.cluster.local."));
  EXPECT_THAT(at(*r, "9.3.244.10.in-addr.arpa."), ElementsAre("<none>"));
}

TEST(BuildRecords, HeadlessPublishNotReadyAddressesIncludesNotReadyEndpoints) {
  auto svc = std::make_shared<api::Service>(*service("db", "pg", "None"));
  svc->spec.publish_not_ready_addresses = true;
  RecordInputs in;
  in.services = {svc};
  in.slices = {slice("db", "pg", {endpoint("10.244.3.9", {}, false)})};
  auto r = buildRecords(in, "cluster.local", 5);
  EXPECT_THAT(at(*r, "pg.db.svc.cluster.local."), ElementsAre("A 10.244.3.9"));
}

TEST(BuildRecords, HeadlessWithoutEndpointsExistsWithNoRecord) {
  RecordInputs in;
  in.services = {service("db", "pg", "None")};
  auto r = buildRecords(in, "cluster.local", 5);
  EXPECT_THAT(at(*r, "pg.db.svc.cluster.local."), IsEmpty());
}

TEST(BuildRecords, EndpointsOfOtherServicesAndUnlabelledSlicesAreIgnored) {
  RecordInputs in;
  in.services = {service("db", "pg", "None")};
  auto other = slice("db", "other", {endpoint("10.244.0.1")});
  auto wrong_ns = slice("web", "pg", {endpoint("10.244.0.2")});
  in.slices = {other, wrong_ns};
  auto r = buildRecords(in, "cluster.local", 5);
  EXPECT_THAT(at(*r, "pg.db.svc.cluster.local."), IsEmpty());
}

TEST(BuildRecords, Ipv6ClusterIpAndEndpointsGiveAaaaAndIp6ArpaPtr) {
  RecordInputs in;
  in.services = {service("default", "v6", "fd00:96::a"), service("default", "h6", "None")};
  in.slices = {slice("default", "h6", {endpoint("fd00:244::5")}, {}, "IPv6")};
  auto r = buildRecords(in, "cluster.local", 5);
  EXPECT_THAT(at(*r, "v6.default.svc.cluster.local."), ElementsAre("AAAA fd00:96::a"));
  EXPECT_THAT(at(*r, "h6.default.svc.cluster.local."), ElementsAre("AAAA fd00:244::5"));
  EXPECT_THAT(at(*r, "fd00-244--5.h6.default.svc.cluster.local."), ElementsAre("AAAA fd00:244::5"));
  EXPECT_THAT(at(*r, reverseName("fd00:96::a")), ElementsAre("PTR v6.default.svc.cluster.local."));
  EXPECT_EQ(reverseName("fd00:96::a"),
            "a.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.6.9.0.0.0.0.d.f.ip6.arpa.");
}

TEST(BuildRecords, ExternalNameIsACname) {
  auto svc = std::make_shared<api::Service>(*service("default", "ext", ""));
  svc->spec.type = "ExternalName";
  svc->spec.external_name = "Example.COM";
  RecordInputs in;
  in.services = {svc};
  auto r = buildRecords(in, "cluster.local", 5);
  EXPECT_THAT(at(*r, "ext.default.svc.cluster.local."), ElementsAre("CNAME example.com."));
}

TEST(BuildRecords, BadDataIsSkippedNotFatal) {
  auto bad_ext = std::make_shared<api::Service>(*service("default", "ext", ""));
  bad_ext->spec.type = "ExternalName";
  bad_ext->spec.external_name = std::string(300, 'a');  // a label longer than 63
  RecordInputs in;
  in.services = {bad_ext, service("default", "noip", ""), service("default", "junk", "not-an-ip")};
  in.slices = {slice("default", "h", {endpoint("nonsense")})};
  in.pods = {pod("default", "p", "garbage")};
  auto r = buildRecords(in, "cluster.local", 5);
  EXPECT_THAT(at(*r, "ext.default.svc.cluster.local."), ElementsAre("<none>"));
  EXPECT_THAT(at(*r, "noip.default.svc.cluster.local."), ElementsAre("<none>"));
  EXPECT_THAT(at(*r, "junk.default.svc.cluster.local."), ElementsAre("<none>"));
}

TEST(BuildRecords, PodsGetDashedARecordsInTheirNamespace) {
  auto host_net = std::make_shared<api::Pod>(*pod("kube-system", "h", "192.168.1.10"));
  host_net->spec.host_network = true;
  RecordInputs in;
  in.pods = {pod("default", "a", "10.244.1.5"), pod("default", "pending", ""), host_net};
  auto r = buildRecords(in, "cluster.local", 5);
  EXPECT_THAT(at(*r, "10-244-1-5.default.pod.cluster.local."), ElementsAre("A 10.244.1.5"));
  EXPECT_THAT(at(*r, "10-244-1-5.other.pod.cluster.local."), ElementsAre("<none>"));
  EXPECT_THAT(at(*r, "192-168-1-10.kube-system.pod.cluster.local."), ElementsAre("<none>"));
}

TEST(BuildRecords, IdenticalRecordsAreKeptOnce) {
  Records r("cluster.local", 5);
  ASSERT_TRUE(r.add("a.cluster.local", "A", "10.0.0.1").isOk());
  ASSERT_TRUE(r.add("A.cluster.local.", "A", "10.0.0.1").isOk());
  EXPECT_THAT(at(r, "a.cluster.local."), ElementsAre("A 10.0.0.1"));
  EXPECT_FALSE(r.add("b.cluster.local", "A", "300.0.0.1").isOk());
  EXPECT_THAT(at(r, "b.cluster.local."), ElementsAre("<none>"));
}

TEST(ValidateZone, AcceptsDomainNamesAndRejectsTheRest) {
  EXPECT_TRUE(validateZone("cluster.local").isOk());
  EXPECT_TRUE(validateZone("Cluster.Local.").isOk());
  EXPECT_TRUE(validateZone("k8s").isOk());
  EXPECT_FALSE(validateZone("").isOk());
  EXPECT_FALSE(validateZone(".").isOk());
  EXPECT_FALSE(validateZone("a..b").isOk());
  EXPECT_FALSE(validateZone(std::string(64, 'a') + ".local").isOk());
  EXPECT_FALSE(validateZone(std::string(240, 'a')).isOk());
}

TEST(DashedAddress, ReplacesDotsAndColons) {
  EXPECT_EQ(dashedAddress("10.0.0.1"), "10-0-0-1");
  EXPECT_EQ(dashedAddress("FD00::1"), "fd00--1");
  EXPECT_EQ(reverseName("10.1.2.3"), "3.2.1.10.in-addr.arpa.");
  EXPECT_EQ(reverseName("x"), "");
}

}  // namespace records_test
}  // namespace minik8s::dns

namespace minik8s::dns {
namespace records_test {

std::shared_ptr<const api::Dns> seedDns(std::string name, std::string hostname) {
  auto dns = std::make_shared<api::Dns>();
  dns->metadata.namespace_ = "default";
  dns->metadata.name = std::move(name);
  dns->spec.hostname = std::move(hostname);
  dns->spec.paths = {{"simple-service", 80, "/test"}};
  return dns;
}

TEST(BuildRecords, DnsHostnamesAnswerWithTheNginxAddonsClusterIp) {
  RecordInputs in;
  in.dnses = {seedDns("test-dns", "Vahag.com"), seedDns("inside", "web.default.svc.cluster.local"),
              seedDns("empty", "")};
  // No add-on Service yet: the name does not exist (so it is forwarded).
  auto before = buildRecords(in, "cluster.local", 5);
  EXPECT_EQ(before->find("vahag.com."), nullptr);
  in.services = {service("default", "web", "10.96.0.20", {port("http", 80)}),
                 service(kIngressServiceNamespace, kIngressServiceName, "10.96.0.80",
                         {port("http", 80)})};
  auto r = buildRecords(in, "cluster.local", 5);
  EXPECT_THAT(at(*r, "vahag.com."), ElementsAre("A 10.96.0.80"));
  EXPECT_EQ(r->find("com."), nullptr);  // outside the zone only the name itself is ours
  // A hostname inside the zone never shadows the cluster's records.
  EXPECT_THAT(at(*r, "web.default.svc.cluster.local."), ElementsAre("A 10.96.0.20"));
}

}  // namespace records_test
}  // namespace minik8s::dns
