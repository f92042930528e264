#include "dns/forward.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "dns/dns_test_util.h"

namespace minik8s::dns {
namespace forward_test {

using namespace dnstest;  // NOLINT
using ::testing::ElementsAre;

TEST(ParseUpstream, AcceptsAddressesWithOptionalPorts) {
  auto a = parseUpstream("10.0.0.2");
  ASSERT_TRUE(a.isOk());
  EXPECT_EQ(a->address, "10.0.0.2");
  EXPECT_EQ(a->port, 53);
  auto b = parseUpstream("127.0.0.1:5353");
  ASSERT_TRUE(b.isOk());
  EXPECT_EQ(b->port, 5353);
  EXPECT_EQ(b->toString(), "127.0.0.1:5353");
  auto c = parseUpstream("fd00::2");
  ASSERT_TRUE(c.isOk());
  EXPECT_EQ(c->address, "fd00::2");
  auto d = parseUpstream("[fd00::2]:5353");
  ASSERT_TRUE(d.isOk());
  EXPECT_EQ(d->port, 5353);
  EXPECT_EQ(d->toString(), "[fd00::2]:5353");
  EXPECT_FALSE(parseUpstream("dns.google").isOk());
  EXPECT_FALSE(parseUpstream("10.0.0.2:0").isOk());
  EXPECT_FALSE(parseUpstream("10.0.0.2:99999").isOk());
  EXPECT_FALSE(parseUpstream("[fd00::2").isOk());
  EXPECT_TRUE(parseListen("127.0.0.1:0").isOk());
}

TEST(ResolvConfNameservers, ReadsNameserverLinesInOrder) {
  EXPECT_THAT(resolvConfNameservers("# comment\nsearch example.com\nnameserver 10.0.0.2\n"
                                    "options ndots:5\nnameserver  fd00::2 \nnameserver\n"),
              ElementsAre("10.0.0.2", "fd00::2"));
}

// An upstream reply to `query` with `records` ("name ttl IN type rdata") in the answer.
std::vector<uint8_t> upstreamReply(const std::vector<uint8_t>& query,
                                   const std::vector<std::string>& records,
                                   uint8_t rcode = LDNS_RCODE_NOERROR) {
  PktPtr q = parsePacket(query);
  PktPtr r(ldns_pkt_new());
  ldns_pkt_set_id(r.get(), ldns_pkt_id(q.get()));
  ldns_pkt_set_qr(r.get(), true);
  ldns_pkt_set_rcode(r.get(), rcode);
  ldns_pkt_push_rr(r.get(), LDNS_SECTION_QUESTION,
                   ldns_rr_clone(ldns_rr_list_rr(ldns_pkt_question(q.get()), 0)));
  for (const auto& text : records) {
    ldns_rr* rr = nullptr;
    EXPECT_EQ(ldns_rr_new_frm_str(&rr, text.c_str(), 0, nullptr, nullptr), LDNS_STATUS_OK);
    ldns_pkt_push_rr(r.get(), LDNS_SECTION_ANSWER, rr);
  }
  return toWire(r.get());
}

TEST(ForwardCache, HitCarriesTheAskersIdAndTtlsLoweredByAge) {
  ForwardCache cache(10);
  auto t0 = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  auto q1 = makeQuery("outside.test.", LDNS_RR_TYPE_A, {.id = 1});
  const std::string key = ForwardCache::key("outside.test.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN);
  EXPECT_FALSE(cache.get(key, q1, t0));
  cache.put(key, upstreamReply(q1, {"outside.test. 60 IN A 192.0.2.1"}), t0);
  auto q2 = makeQuery("OUTSIDE.test.", LDNS_RR_TYPE_A, {.id = 2});
  auto hit = cache.get(key, q2, t0 + std::chrono::seconds(15));
  ASSERT_TRUE(hit);
  PktPtr p = parsePacket(*hit);
  ASSERT_TRUE(p);
  EXPECT_EQ(ldns_pkt_id(p.get()), 2);
  // ldns compresses the owner into a pointer to the question (names compare without case).
  EXPECT_THAT(section(p.get(), LDNS_SECTION_ANSWER),
              ElementsAre("OUTSIDE.test. 45 IN A 192.0.2.1"));
  char* qname = ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_question(p.get()), 0)));
  EXPECT_STREQ(qname, "OUTSIDE.test.");
  std::free(qname);
  EXPECT_FALSE(cache.get(key, q2, t0 + std::chrono::seconds(60)));  // expired
  EXPECT_EQ(cache.size(), 0u);
}

TEST(ForwardCache, UsesTheSmallestTtlAndSkipsUncacheableReplies) {
  ForwardCache cache(10);
  auto t0 = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  auto q = makeQuery("x.test.", LDNS_RR_TYPE_A);
  const std::string key = ForwardCache::key("x.test.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN);
  cache.put(key, upstreamReply(q, {"x.test. 300 IN CNAME y.test.", "y.test. 10 IN A 192.0.2.9"}),
            t0);
  EXPECT_TRUE(cache.get(key, q, t0 + std::chrono::seconds(9)));
  EXPECT_FALSE(cache.get(key, q, t0 + std::chrono::seconds(10)));

  cache.put(key, upstreamReply(q, {}, LDNS_RCODE_SERVFAIL), t0);
  cache.put(key, upstreamReply(q, {}), t0);                               // no record: no TTL
  cache.put(key, upstreamReply(q, {"x.test. 0 IN A 192.0.2.9"}), t0);  // TTL 0
  EXPECT_EQ(cache.size(), 0u);
  auto truncated = upstreamReply(q, {"x.test. 60 IN A 192.0.2.9"});
  truncated[2] |= 0x02;
  cache.put(key, truncated, t0);
  EXPECT_EQ(cache.size(), 0u);
  cache.put(key, std::vector<uint8_t>{1, 2, 3}, t0);
  EXPECT_EQ(cache.size(), 0u);
}

TEST(ForwardCache, IsBoundedOldestFirst) {
  ForwardCache cache(2);
  auto t0 = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  for (const char* name : {"a.test.", "b.test.", "c.test."}) {
    auto q = makeQuery(name, LDNS_RR_TYPE_A);
    cache.put(ForwardCache::key(name, 1, 1),
              upstreamReply(q, {std::string(name) + " 60 IN A 192.0.2.1"}), t0);
  }
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_FALSE(cache.get(ForwardCache::key("a.test.", 1, 1), makeQuery("a.test.", LDNS_RR_TYPE_A), t0));
  EXPECT_TRUE(cache.get(ForwardCache::key("c.test.", 1, 1), makeQuery("c.test.", LDNS_RR_TYPE_A), t0));
}

}  // namespace forward_test
}  // namespace minik8s::dns
