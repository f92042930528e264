#include "store/memory_store.h"

#include <gtest/gtest.h>

#include <thread>

#include "common/clock.h"
#include "store/store_contract.h"

namespace minik8s::store::testing {
namespace memory_store_test {

class MemoryHarness : public StoreHarness {
 public:
  MemoryHarness() : store_(clock_) {}
  Store& store() override { return store_; }
  void passTime(std::chrono::seconds d) override { clock_.advance(d); }

 private:
  FakeClock clock_;
  MemoryStore store_;
};

INSTANTIATE_TEST_SUITE_P(Memory, StoreContractTest,
                         ::testing::Values(HarnessFactory{
                             "memory", [] { return std::make_unique<MemoryHarness>(); }}),
                         [](const auto& info) { return info.param.name; });

TEST(MemoryStore, RevisionsStartAtOneAndGrowByOnePerWrite) {
  MemoryStore s;
  EXPECT_EQ(*s.currentRevision(), 1);
  EXPECT_EQ(*s.create("/a", "1"), 2);
  EXPECT_EQ(*s.update("/a", "2", 2), 3);
  EXPECT_EQ(s.remove("/a")->mod_revision, 3);
  EXPECT_EQ(*s.currentRevision(), 4);
}

TEST(MemoryStore, KeepAliveOnTheFakeClockKeepsTheKey) {
  FakeClock clock;
  MemoryStore s(clock);
  auto lease = s.grantLease(10);
  ASSERT_TRUE(s.create("/l", "v", *lease).isOk());
  clock.advance(std::chrono::seconds(8));
  ASSERT_TRUE(s.keepAliveLease(*lease).isOk());
  clock.advance(std::chrono::seconds(8));
  EXPECT_TRUE(s.get("/l").isOk());
  clock.advance(std::chrono::seconds(3));
  EXPECT_EQ(s.get("/l").status().code(), Code::kNotFound);
}

TEST(MemoryStore, UpdateWithoutLeaseDetachesTheKeyFromItsLease) {
  MemoryStore s;
  auto lease = s.grantLease(10);
  auto r = s.create("/l", "v", *lease);
  ASSERT_TRUE(s.update("/l", "w", *r).isOk());
  ASSERT_TRUE(s.revokeLease(*lease).isOk());
  EXPECT_EQ(s.get("/l")->value, "w");
}

TEST(MemoryStore, WatchAtTheCompactRevisionStillWorks) {
  MemoryStore s;
  auto r1 = s.create("/a", "1");
  auto r2 = s.update("/a", "2", *r1);
  ASSERT_TRUE(s.compact(*r2).isOk());
  EventRecorder rec;
  auto w = s.watch("/", *r2 - 1, rec.onEvents(), rec.onError());
  ASSERT_TRUE(w.isOk());
  ASSERT_TRUE(rec.waitForEvents(1));
  EXPECT_EQ(rec.events()[0].kv.value, "2");
  EXPECT_EQ(rec.errorCount(), 0u);
}

TEST(MemoryStore, WatchFromAFutureRevisionWaitsForIt) {
  MemoryStore s;
  int64_t now = *s.currentRevision();
  EventRecorder rec;
  auto w = s.watch("/", now + 2, rec.onEvents(), rec.onError());
  ASSERT_TRUE(w.isOk());
  ASSERT_TRUE(s.create("/a", "1").isOk());  // now + 1: not delivered
  ASSERT_TRUE(s.create("/b", "2").isOk());  // now + 2: not delivered
  ASSERT_TRUE(s.create("/c", "3").isOk());
  ASSERT_TRUE(rec.waitForEvents(1));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_EQ(rec.events().size(), 1u);
  EXPECT_EQ(rec.events()[0].kv.key, "/c");
}

TEST(MemoryStore, CompactionKeepsTheLatestValueOfEveryKey) {
  MemoryStore s;
  auto r1 = s.create("/a", "1");
  ASSERT_TRUE(s.create("/gone", "x").isOk());
  ASSERT_TRUE(s.remove("/gone").isOk());
  auto r2 = s.update("/a", "2", *r1);
  ASSERT_TRUE(s.compact(*r2).isOk());
  auto list = s.list("/");
  ASSERT_EQ(list->items.size(), 1u);
  EXPECT_EQ(list->items[0].value, "2");
  EXPECT_EQ(s.compact(*s.currentRevision() + 1).code(), Code::kBadRequest);
}

TEST(MemoryStore, WatchesOutliveTheStore) {
  EventRecorder rec;
  std::unique_ptr<Watch> w;
  {
    MemoryStore s;
    auto r = s.watch("/", 0, rec.onEvents(), rec.onError());
    ASSERT_TRUE(r.isOk());
    w = std::move(*r);
    ASSERT_TRUE(s.create("/a", "1").isOk());
    ASSERT_TRUE(rec.waitForEvents(1));
  }
  w->cancel();
}

}  // namespace memory_store_test
}  // namespace minik8s::store::testing
