#include "dns/answer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

#include "dns/dns_test_util.h"

namespace minik8s::dns {
namespace answer_test {

using namespace dnstest;  // NOLINT
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;

class AnswerTest : public ::testing::Test {
 protected:
  AnswerTest() {
    RecordInputs in;
    in.services = {service("default", "web", "10.96.0.20", {port("http", 80)}),
                   service("db", "pg", "None")};
    std::vector<api::Endpoint> many;
    for (int i = 1; i <= 60; ++i) many.push_back(endpoint("10.244.9." + std::to_string(i)));
    in.services.push_back(service("default", "big", "None"));
    in.slices = {slice("db", "pg", {endpoint("10.244.1.5", "pg-0")}, {slicePort("sql", 5432)}),
                 slice("default", "big", many)};
    auto ext = std::make_shared<api::Service>(*service("default", "ext", ""));
    ext->spec.type = "ExternalName";
    ext->spec.external_name = "example.com";
    in.services.push_back(ext);
    in.pods = {pod("default", "a", "10.244.1.5")};
    records_ = buildRecords(in, "cluster.local", 5);
  }

  // Answers `name`/`type` over `transport` and parses the reply (which must parse).
  PktPtr ask(const std::string& name, ldns_rr_type type, QueryOptions options = {},
             Transport transport = Transport::kUdp) {
    Reply r = answer(makeQuery(name, type, options), *records_, transport);
    EXPECT_EQ(r.action, Reply::Action::kSend) << name;
    if (r.action != Reply::Action::kSend) return nullptr;
    last_size_ = r.wire.size();
    PktPtr p = parsePacket(r.wire);
    EXPECT_TRUE(p) << "unparsable reply for " << name;
    return p;
  }

  std::shared_ptr<const Records> records_;
  size_t last_size_ = 0;
};

TEST_F(AnswerTest, ServiceARecordIsAuthoritativeWithTheQueryIdAndCase) {
  PktPtr p = ask("Web.Default.svc.cluster.local.", LDNS_RR_TYPE_A);
  ASSERT_TRUE(p);
  EXPECT_EQ(ldns_pkt_id(p.get()), 4242);
  EXPECT_TRUE(ldns_pkt_qr(p.get()));
  EXPECT_TRUE(ldns_pkt_aa(p.get()));
  EXPECT_TRUE(ldns_pkt_rd(p.get()));
  EXPECT_EQ(ldns_pkt_get_rcode(p.get()), LDNS_RCODE_NOERROR);
  EXPECT_THAT(section(p.get(), LDNS_SECTION_ANSWER),
              ElementsAre("Web.Default.svc.cluster.local. 5 IN A 10.96.0.20"));
  EXPECT_THAT(section(p.get(), LDNS_SECTION_AUTHORITY), IsEmpty());
}

TEST_F(AnswerTest, SrvPtrPodAndHeadlessHostnameAnswer) {
  EXPECT_THAT(section(ask("_http._tcp.web.default.svc.cluster.local.", LDNS_RR_TYPE_SRV).get(),
                      LDNS_SECTION_ANSWER),
              ElementsAre("_http._tcp.web.default.svc.cluster.local. 5 IN SRV 0 100 80 "
                          "web.default.svc.cluster.local."));
  EXPECT_THAT(section(ask("20.0.96.10.in-addr.arpa.", LDNS_RR_TYPE_PTR).get(), LDNS_SECTION_ANSWER),
              ElementsAre("20.0.96.10.in-addr.arpa. 5 IN PTR web.default.svc.cluster.local."));
  EXPECT_THAT(section(ask("10-244-1-5.default.pod.cluster.local.", LDNS_RR_TYPE_A).get(),
                      LDNS_SECTION_ANSWER),
              ElementsAre("10-244-1-5.default.pod.cluster.local. 5 IN A 10.244.1.5"));
  EXPECT_THAT(section(ask("pg-0.pg.db.svc.cluster.local.", LDNS_RR_TYPE_A).get(),
                      LDNS_SECTION_ANSWER),
              ElementsAre("pg-0.pg.db.svc.cluster.local. 5 IN A 10.244.1.5"));
  EXPECT_THAT(section(ask("dns-version.cluster.local.", LDNS_RR_TYPE_TXT).get(),
                      LDNS_SECTION_ANSWER),
              ElementsAre("dns-version.cluster.local. 5 IN TXT \"1.1.0\""));
}

TEST_F(AnswerTest, ExternalNameAnswersACnameForAnyType) {
  EXPECT_THAT(section(ask("ext.default.svc.cluster.local.", LDNS_RR_TYPE_A).get(),
                      LDNS_SECTION_ANSWER),
              ElementsAre("ext.default.svc.cluster.local. 5 IN CNAME example.com."));
}

TEST_F(AnswerTest, MissingNameIsNxdomainWithSoa) {
  PktPtr p = ask("nope.default.svc.cluster.local.", LDNS_RR_TYPE_A);
  ASSERT_TRUE(p);
  EXPECT_EQ(ldns_pkt_get_rcode(p.get()), LDNS_RCODE_NXDOMAIN);
  EXPECT_TRUE(ldns_pkt_aa(p.get()));
  EXPECT_THAT(section(p.get(), LDNS_SECTION_ANSWER), IsEmpty());
  EXPECT_THAT(section(p.get(), LDNS_SECTION_AUTHORITY),
              ElementsAre("cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. "
                          "1 7200 1800 86400 5"));
}

TEST_F(AnswerTest, ExistingNameOfAnotherTypeIsNodataWithSoa) {
  for (const char* name : {"web.default.svc.cluster.local.", "default.svc.cluster.local.",
                           "pg.db.svc.cluster.local."}) {
    PktPtr p = ask(name, LDNS_RR_TYPE_AAAA);
    ASSERT_TRUE(p);
    EXPECT_EQ(ldns_pkt_get_rcode(p.get()), LDNS_RCODE_NOERROR) << name;
    EXPECT_THAT(section(p.get(), LDNS_SECTION_ANSWER), IsEmpty()) << name;
    EXPECT_THAT(section(p.get(), LDNS_SECTION_AUTHORITY), SizeIs(1)) << name;
  }
}

TEST_F(AnswerTest, NamesOutsideTheZoneAreForwarded) {
  Reply r = answer(makeQuery("Example.COM.", LDNS_RR_TYPE_A, {.edns_size = 1400}), *records_,
                   Transport::kUdp);
  EXPECT_EQ(r.action, Reply::Action::kForward);
  EXPECT_EQ(r.qname, "example.com.");
  EXPECT_EQ(r.qtype, LDNS_RR_TYPE_A);
  EXPECT_EQ(r.max_udp_size, 1400u);
  // A reverse name we do not hold is forwarded too.
  EXPECT_EQ(answer(makeQuery("1.0.96.10.in-addr.arpa.", LDNS_RR_TYPE_PTR), *records_,
                   Transport::kUdp)
                .action,
            Reply::Action::kForward);
}

TEST_F(AnswerTest, UdpAnswerOver512BytesIsTruncatedAndTcpIsNot) {
  PktPtr udp = ask("big.default.svc.cluster.local.", LDNS_RR_TYPE_A);
  ASSERT_TRUE(udp);
  EXPECT_TRUE(ldns_pkt_tc(udp.get()));
  EXPECT_LE(last_size_, 512u);
  EXPECT_THAT(section(udp.get(), LDNS_SECTION_ANSWER), IsEmpty());
  EXPECT_EQ(ldns_pkt_qdcount(udp.get()), 1);

  PktPtr edns = ask("big.default.svc.cluster.local.", LDNS_RR_TYPE_A, {.edns_size = 4096});
  ASSERT_TRUE(edns);
  EXPECT_FALSE(ldns_pkt_tc(edns.get()));
  EXPECT_THAT(section(edns.get(), LDNS_SECTION_ANSWER), SizeIs(60));
  EXPECT_TRUE(ldns_pkt_edns(edns.get()));

  PktPtr tcp = ask("big.default.svc.cluster.local.", LDNS_RR_TYPE_A, {}, Transport::kTcp);
  ASSERT_TRUE(tcp);
  EXPECT_FALSE(ldns_pkt_tc(tcp.get()));
  EXPECT_THAT(section(tcp.get(), LDNS_SECTION_ANSWER), SizeIs(60));
}

TEST_F(AnswerTest, BadPacketsGetTheRightErrors) {
  // Too short for a header, or a response: dropped.
  EXPECT_EQ(answer(std::vector<uint8_t>{1, 2, 3}, *records_, Transport::kUdp).action,
            Reply::Action::kDrop);
  auto response = makeQuery("web.default.svc.cluster.local.", LDNS_RR_TYPE_A);
  response[2] |= 0x80;
  EXPECT_EQ(answer(response, *records_, Transport::kUdp).action, Reply::Action::kDrop);

  // A question cut short: FORMERR with the id.
  auto cut = makeQuery("web.default.svc.cluster.local.", LDNS_RR_TYPE_A);
  cut.resize(20);
  Reply r = answer(cut, *records_, Transport::kUdp);
  ASSERT_EQ(r.action, Reply::Action::kSend);
  PktPtr p = parsePacket(r.wire);
  ASSERT_TRUE(p);
  EXPECT_EQ(ldns_pkt_get_rcode(p.get()), LDNS_RCODE_FORMERR);
  EXPECT_EQ(ldns_pkt_id(p.get()), 4242);

  // Opcode NOTIFY: NOTIMP.
  auto notify = makeQuery("web.default.svc.cluster.local.", LDNS_RR_TYPE_A);
  notify[2] = static_cast<uint8_t>((notify[2] & ~0x78) | (LDNS_PACKET_NOTIFY << 3));
  p = parsePacket(answer(notify, *records_, Transport::kUdp).wire);
  ASSERT_TRUE(p);
  EXPECT_EQ(ldns_pkt_get_rcode(p.get()), LDNS_RCODE_NOTIMPL);

  // Two questions: FORMERR.
  ldns_rdf* owner = ldns_dname_new_frm_str("web.default.svc.cluster.local.");
  PktPtr two(ldns_pkt_query_new(owner, LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, LDNS_RD));
  ldns_pkt_push_rr(two.get(), LDNS_SECTION_QUESTION,
                   ldns_rr_clone(ldns_rr_list_rr(ldns_pkt_question(two.get()), 0)));
  p = parsePacket(answer(toWire(two.get()), *records_, Transport::kUdp).wire);
  ASSERT_TRUE(p);
  EXPECT_EQ(ldns_pkt_get_rcode(p.get()), LDNS_RCODE_FORMERR);

  // No question at all: FORMERR.
  PktPtr none(ldns_pkt_new());
  ldns_pkt_set_id(none.get(), 7);
  p = parsePacket(answer(toWire(none.get()), *records_, Transport::kUdp).wire);
  ASSERT_TRUE(p);
  EXPECT_EQ(ldns_pkt_get_rcode(p.get()), LDNS_RCODE_FORMERR);

  // Class CHAOS: REFUSED. Zone transfer: REFUSED.
  p = parsePacket(answer(makeQuery("version.bind.", LDNS_RR_TYPE_TXT,
                                   {.qclass = LDNS_RR_CLASS_CH}),
                         *records_, Transport::kUdp)
                      .wire);
  ASSERT_TRUE(p);
  EXPECT_EQ(ldns_pkt_get_rcode(p.get()), LDNS_RCODE_REFUSED);
  p = parsePacket(
      answer(makeQuery("cluster.local.", LDNS_RR_TYPE_AXFR), *records_, Transport::kTcp).wire);
  ASSERT_TRUE(p);
  EXPECT_EQ(ldns_pkt_get_rcode(p.get()), LDNS_RCODE_REFUSED);
}

TEST_F(AnswerTest, RandomBytesNeverCrash) {
  std::mt19937 rng(7);
  auto base = makeQuery("_http._tcp.web.default.svc.cluster.local.", LDNS_RR_TYPE_SRV,
                        {.edns_size = 1232});
  for (int i = 0; i < 20000; ++i) {
    std::vector<uint8_t> packet = base;
    int flips = 1 + static_cast<int>(rng() % 8);
    for (int f = 0; f < flips; ++f) packet[rng() % packet.size()] = static_cast<uint8_t>(rng());
    if (rng() % 4 == 0) packet.resize(rng() % packet.size());
    Reply r = answer(packet, *records_, i % 2 ? Transport::kUdp : Transport::kTcp);
    if (r.action == Reply::Action::kSend) {
      EXPECT_FALSE(r.wire.empty());
      if (i % 2) {
        EXPECT_LE(r.wire.size(), 4096u);
      }
    }
  }
}

TEST_F(AnswerTest, CachedRepliesAreTheBuiltOnesWithTheAskersIdAndCase) {
  ReplyCache cache;
  for (const char* name : {"web.default.svc.cluster.local.", "WEB.default.svc.CLUSTER.local.",
                           "nope.default.svc.cluster.local.", "big.default.svc.cluster.local."}) {
    for (uint16_t id : {1, 2, 3}) {
      for (uint16_t edns : {0, 4096}) {
        for (Transport t : {Transport::kUdp, Transport::kTcp}) {
          auto query = makeQuery(name, LDNS_RR_TYPE_A, {.edns_size = edns, .id = id});
          Reply cached = answer(query, *records_, t, &cache);
          Reply built = answer(query, *records_, t);
          ASSERT_EQ(cached.action, Reply::Action::kSend);
          EXPECT_EQ(cached.wire, built.wire) << name << " id " << id << " edns " << edns;
        }
      }
    }
  }
  // A new Records generation is never answered from the old one's replies.
  auto query = makeQuery("web.default.svc.cluster.local.", LDNS_RR_TYPE_A);
  (void)answer(query, *records_, Transport::kUdp, &cache);
  auto empty = buildRecords({}, "cluster.local", 5);
  PktPtr p = parsePacket(answer(query, *empty, Transport::kUdp, &cache).wire);
  ASSERT_TRUE(p);
  EXPECT_EQ(ldns_pkt_get_rcode(p.get()), LDNS_RCODE_NXDOMAIN);
}

TEST(TruncateForUdp, KeepsSmallRepliesAndCutsLargeOnesToTheQuestion) {
  std::vector<uint8_t> small = makeQuery("a.example.", LDNS_RR_TYPE_A);
  EXPECT_EQ(truncateForUdp(small, 512), small);
  std::vector<uint8_t> cut = truncateForUdp(small, 20);
  EXPECT_TRUE(cut.empty());  // not even the question fits
}

}  // namespace answer_test
}  // namespace minik8s::dns
