#include "apiserver/service_allocator.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "store/memory_store.h"

namespace minik8s::apiserver {
namespace service_allocator_test {

TEST(Ipv4, ParsesAndFormatsAddressesAndCidrs) {
  EXPECT_EQ(formatIpv4(*parseIpv4("10.96.0.1")), "10.96.0.1");
  EXPECT_FALSE(parseIpv4("10.96.0").has_value());
  EXPECT_FALSE(parseIpv4("10.96.0.256").has_value());
  EXPECT_FALSE(parseIpv4("10.96.0.1x").has_value());
  auto cidr = parseCidr("10.96.0.0/12");
  ASSERT_TRUE(cidr.isOk());
  EXPECT_EQ(cidr->size(), 1u << 20);
  EXPECT_TRUE(cidr->contains(*parseIpv4("10.111.255.254")));
  EXPECT_FALSE(cidr->contains(*parseIpv4("10.112.0.0")));
  EXPECT_FALSE(parseCidr("10.96.0.0").isOk());
  EXPECT_FALSE(parseCidr("10.96.0.0/40").isOk());
}

TEST(PortRange, ParsesFirstAndLast) {
  auto r = parsePortRange("30000-32767");
  ASSERT_TRUE(r.isOk());
  EXPECT_EQ(r->first, 30000);
  EXPECT_EQ(r->last, 32767);
  EXPECT_FALSE(parsePortRange("3-1").isOk());
  EXPECT_FALSE(parsePortRange("abc").isOk());
}

class AllocatorTest : public ::testing::Test {
 protected:
  store::MemoryStore store_;
  ServiceAllocator allocator_{store_, *parseCidr("10.0.0.0/29"), PortRange{30000, 30003}};
};

TEST_F(AllocatorTest, HandsOutEveryUsableAddressOnceThenReportsFull) {
  std::set<std::string> seen;
  // /29 = 8 addresses: .0 network, .1 kubernetes, .7 broadcast -> 5 usable.
  for (int i = 0; i < 5; ++i) {
    auto ip = allocator_.allocateIp("ns/s" + std::to_string(i), "");
    ASSERT_TRUE(ip.isOk()) << ip.status().toString();
    EXPECT_TRUE(seen.insert(*ip).second);
    EXPECT_NE(*ip, "10.0.0.1");
  }
  EXPECT_EQ(allocator_.allocateIp("ns/full", "").status().code(), Code::kInternal);
  allocator_.releaseIp(*seen.begin());
  EXPECT_TRUE(allocator_.allocateIp("ns/again", "").isOk());
}

TEST_F(AllocatorTest, RefusesRequestedAddressesOutsideTheRangeOrTaken) {
  EXPECT_EQ(allocator_.allocateIp("ns/a", "10.0.1.2").status().code(), Code::kInvalid);
  EXPECT_TRUE(allocator_.allocateIp("ns/a", "10.0.0.3").isOk());
  EXPECT_EQ(allocator_.allocateIp("ns/b", "10.0.0.3").status().code(), Code::kInvalid);
}

TEST_F(AllocatorTest, ConcurrentPortAllocationsNeverCollide) {
  std::vector<std::thread> threads;
  std::vector<int> ports(4);
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] { ports[i] = *allocator_.allocatePort("ns/s" + std::to_string(i), 0); });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(std::set<int>(ports.begin(), ports.end()).size(), 4u);
  EXPECT_FALSE(allocator_.allocatePort("ns/x", 0).isOk());
  EXPECT_EQ(allocator_.allocatePort("ns/x", 29999).status().code(), Code::kInvalid);
}

TEST_F(AllocatorTest, RepairFreesAllocationsWithoutALiveOwner) {
  ASSERT_TRUE(allocator_.allocateIp("ns/live", "10.0.0.2").isOk());
  ASSERT_TRUE(allocator_.allocateIp("ns/dead", "10.0.0.3").isOk());
  ASSERT_TRUE(allocator_.allocatePort("ns/dead", 30001).isOk());
  auto freed = allocator_.repair({"ns/live"});
  ASSERT_TRUE(freed.isOk());
  EXPECT_EQ(*freed, 2);
  EXPECT_TRUE(allocator_.allocateIp("ns/new", "10.0.0.3").isOk());
  EXPECT_FALSE(allocator_.allocateIp("ns/new2", "10.0.0.2").isOk());
}

}  // namespace service_allocator_test
}  // namespace minik8s::apiserver
