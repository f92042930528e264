// The Store contract as a value-parameterized suite, run against MemoryStore
// (memory_store_test.cc) and a real etcd (etcd_store_test.cc). Include in exactly one .cc
// per binary and instantiate StoreContractTest there.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "store/event_recorder.h"
#include "store/store.h"

namespace minik8s::store::testing {

using namespace std::chrono_literals;

// One store under test plus a way to let lease time pass.
class StoreHarness {
 public:
  virtual ~StoreHarness() = default;
  virtual Store& store() = 0;
  // Lets `d` pass for leases (a FakeClock advance, or a real sleep).
  virtual void passTime(std::chrono::seconds d) = 0;
};

struct HarnessFactory {
  std::string name;
  std::function<std::unique_ptr<StoreHarness>()> make;
};

inline void PrintTo(const HarnessFactory& f, std::ostream* os) {
  *os << f.name;
}

class StoreContractTest : public ::testing::TestWithParam<HarnessFactory> {
 protected:
  void SetUp() override {
    harness_ = GetParam().make();
    ASSERT_NE(harness_, nullptr);
    // Unique per run, so a shared etcd and --gtest_repeat never see an earlier run's keys.
    prefix_ = "/contract/" +
              std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()) + "/" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name() + "/";
  }
  Store& s() { return harness_->store(); }
  std::string key(const std::string& name) const { return prefix_ + name; }

  std::unique_ptr<StoreHarness> harness_;
  std::string prefix_;
};

// A watch that failed to start, or that reported the error through on_error, both count.
inline std::optional<Status> watchStartError(Result<std::unique_ptr<Watch>>& w,
                                             EventRecorder& rec) {
  if (!w.isOk()) return w.status();
  return rec.waitForError();
}

TEST_P(StoreContractTest, CreateThenGetReturnsValueAndRevisions) {
  auto rev = s().create(key("a"), "v1");
  ASSERT_TRUE(rev.isOk()) << rev.status().toString();
  auto kv = s().get(key("a"));
  ASSERT_TRUE(kv.isOk()) << kv.status().toString();
  EXPECT_EQ(kv->key, key("a"));
  EXPECT_EQ(kv->value, "v1");
  EXPECT_EQ(kv->create_revision, *rev);
  EXPECT_EQ(kv->mod_revision, *rev);
  EXPECT_EQ(*s().currentRevision(), *rev);
}

TEST_P(StoreContractTest, CreateOfExistingKeyIsAlreadyExists) {
  ASSERT_TRUE(s().create(key("a"), "v1").isOk());
  EXPECT_EQ(s().create(key("a"), "v2").status().code(), Code::kAlreadyExists);
  EXPECT_EQ(s().get(key("a"))->value, "v1");
}

TEST_P(StoreContractTest, GetOfMissingKeyIsNotFound) {
  EXPECT_EQ(s().get(key("missing")).status().code(), Code::kNotFound);
}

TEST_P(StoreContractTest, UpdateIsCompareAndSwapOnModRevision) {
  auto r1 = s().create(key("a"), "v1");
  ASSERT_TRUE(r1.isOk());
  auto r2 = s().update(key("a"), "v2", *r1);
  ASSERT_TRUE(r2.isOk()) << r2.status().toString();
  EXPECT_GT(*r2, *r1);
  auto stale = s().update(key("a"), "v3", *r1);
  EXPECT_EQ(stale.status().code(), Code::kConflict);
  auto kv = s().get(key("a"));
  EXPECT_EQ(kv->value, "v2");
  EXPECT_EQ(kv->mod_revision, *r2);
  EXPECT_EQ(kv->create_revision, *r1);
  EXPECT_EQ(s().update(key("missing"), "v", *r1).status().code(), Code::kNotFound);
}

TEST_P(StoreContractTest, UnconditionalUpdateStillRequiresTheKey) {
  EXPECT_EQ(s().update(key("missing"), "v", 0).status().code(), Code::kNotFound);
  EXPECT_EQ(s().get(key("missing")).status().code(), Code::kNotFound);
  ASSERT_TRUE(s().create(key("a"), "v1").isOk());
  auto r = s().update(key("a"), "v2", 0);
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  EXPECT_EQ(s().get(key("a"))->value, "v2");
}

TEST_P(StoreContractTest, RemoveReturnsThePairAsItWas) {
  auto r1 = s().create(key("a"), "v1");
  auto r2 = s().update(key("a"), "v2", *r1);
  ASSERT_TRUE(r2.isOk());
  EXPECT_EQ(s().remove(key("a"), *r1).status().code(), Code::kConflict);
  auto old = s().remove(key("a"), *r2);
  ASSERT_TRUE(old.isOk()) << old.status().toString();
  EXPECT_EQ(old->value, "v2");
  EXPECT_EQ(old->mod_revision, *r2);
  EXPECT_EQ(s().get(key("a")).status().code(), Code::kNotFound);
  EXPECT_EQ(s().remove(key("a")).status().code(), Code::kNotFound);
  ASSERT_TRUE(s().create(key("b"), "x").isOk());
  EXPECT_EQ(s().remove(key("b"))->value, "x");  // unconditional
}

TEST_P(StoreContractTest, ListReturnsOnlyKeysUnderThePrefixInKeyOrder) {
  ASSERT_TRUE(s().create(key("d/b"), "2").isOk());
  ASSERT_TRUE(s().create(key("d/a"), "1").isOk());
  ASSERT_TRUE(s().create(key("d0"), "sibling").isOk());
  ASSERT_TRUE(s().create(key("d"), "parent").isOk());
  auto list = s().list(key("d/"));
  ASSERT_TRUE(list.isOk()) << list.status().toString();
  ASSERT_EQ(list->items.size(), 2u);
  EXPECT_EQ(list->items[0].key, key("d/a"));
  EXPECT_EQ(list->items[1].key, key("d/b"));
  EXPECT_EQ(list->revision, *s().currentRevision());
  EXPECT_TRUE(s().list(key("empty/"))->items.empty());
}

TEST_P(StoreContractTest, ListAtAnOldRevisionReadsThatSnapshot) {
  auto r1 = s().create(key("a"), "1");
  ASSERT_TRUE(r1.isOk());
  ASSERT_TRUE(s().update(key("a"), "2", *r1).isOk());
  ASSERT_TRUE(s().create(key("b"), "3").isOk());
  auto old = s().list(prefix_, *r1);
  ASSERT_TRUE(old.isOk()) << old.status().toString();
  EXPECT_EQ(old->revision, *r1);
  ASSERT_EQ(old->items.size(), 1u);
  EXPECT_EQ(old->items[0].value, "1");
  auto now = s().list(prefix_);
  ASSERT_EQ(now->items.size(), 2u);
  EXPECT_EQ(now->items[0].value, "2");
}

TEST_P(StoreContractTest, WatchSeesPutPutDeleteWithPrevValuesInOrder) {
  EventRecorder rec;
  auto w = s().watch(key("w/"), 0, rec.onEvents(), rec.onError());
  ASSERT_TRUE(w.isOk()) << w.status().toString();
  auto r1 = s().create(key("w/x"), "1");
  ASSERT_TRUE(s().create(key("other"), "ignored").isOk());
  auto r2 = s().update(key("w/x"), "2", *r1);
  auto del = s().remove(key("w/x"));
  ASSERT_TRUE(del.isOk());
  ASSERT_TRUE(rec.waitForEvents(3));
  auto ev = rec.events();
  ASSERT_EQ(ev.size(), 3u);
  EXPECT_EQ(ev[0].type, EventType::kPut);
  EXPECT_EQ(ev[0].kv.value, "1");
  EXPECT_EQ(ev[0].kv.mod_revision, *r1);
  EXPECT_FALSE(ev[0].prev.has_value());
  EXPECT_EQ(ev[1].type, EventType::kPut);
  EXPECT_EQ(ev[1].kv.value, "2");
  EXPECT_EQ(ev[1].kv.mod_revision, *r2);
  ASSERT_TRUE(ev[1].prev.has_value());
  EXPECT_EQ(ev[1].prev->value, "1");
  EXPECT_EQ(ev[2].type, EventType::kDelete);
  EXPECT_EQ(ev[2].kv.key, key("w/x"));
  EXPECT_GT(ev[2].kv.mod_revision, *r2);
  ASSERT_TRUE(ev[2].prev.has_value());
  EXPECT_EQ(ev[2].prev->value, "2");
  (*w)->cancel();
  EXPECT_EQ(rec.errorCount(), 0u);
}

TEST_P(StoreContractTest, WatchResumedFromARevisionSeesEveryEventInBetween) {
  auto r0 = s().create(key("w/a"), "0");
  ASSERT_TRUE(r0.isOk());
  int64_t last_seen = 0;
  {
    EventRecorder rec;
    auto w = s().watch(key("w/"), *r0, rec.onEvents(), rec.onError());
    ASSERT_TRUE(w.isOk());
    ASSERT_TRUE(s().update(key("w/a"), "1", 0).isOk());
    ASSERT_TRUE(rec.waitForEvents(1));
    last_seen = rec.events().back().kv.mod_revision;
  }  // the watcher goes away; writes continue
  ASSERT_TRUE(s().update(key("w/a"), "2", 0).isOk());
  ASSERT_TRUE(s().create(key("w/b"), "3").isOk());
  ASSERT_TRUE(s().remove(key("w/a")).isOk());

  EventRecorder rec;
  auto w = s().watch(key("w/"), last_seen, rec.onEvents(), rec.onError());
  ASSERT_TRUE(w.isOk());
  ASSERT_TRUE(s().create(key("w/c"), "4").isOk());
  ASSERT_TRUE(rec.waitForEvents(4));
  auto ev = rec.events();
  ASSERT_EQ(ev.size(), 4u);
  EXPECT_EQ(ev[0].kv.value, "2");
  EXPECT_EQ(ev[0].prev->value, "1");
  EXPECT_EQ(ev[1].kv.key, key("w/b"));
  EXPECT_EQ(ev[2].type, EventType::kDelete);
  EXPECT_EQ(ev[3].kv.key, key("w/c"));
  for (size_t i = 1; i < ev.size(); ++i)
    EXPECT_GT(ev[i].kv.mod_revision, ev[i - 1].kv.mod_revision);
  EXPECT_GT(ev[0].kv.mod_revision, last_seen);
}

TEST_P(StoreContractTest, CompactionMakesOlderListsAndWatchesGone) {
  auto r1 = s().create(key("a"), "1");
  auto r2 = s().update(key("a"), "2", *r1);
  auto r3 = s().update(key("a"), "3", *r2);
  ASSERT_TRUE(r3.isOk());
  ASSERT_TRUE(s().compact(*r3).isOk());
  EXPECT_EQ(s().list(prefix_, *r1).status().code(), Code::kGone);
  auto at = s().list(prefix_, *r3);
  ASSERT_TRUE(at.isOk()) << at.status().toString();
  EXPECT_EQ(at->items.at(0).value, "3");
  EXPECT_EQ(s().compact(*r2).code(), Code::kGone);

  EventRecorder rec;
  auto w = s().watch(prefix_, *r1, rec.onEvents(), rec.onError());
  auto err = watchStartError(w, rec);
  ASSERT_TRUE(err.has_value()) << "no error for a compacted start revision";
  EXPECT_EQ(err->code(), Code::kGone) << err->toString();
  EXPECT_TRUE(rec.events().empty());
}

TEST_P(StoreContractTest, ConcurrentCreatesOfOneKeyHaveExactlyOneWinner) {
  constexpr int kThreads = 8;
  std::atomic<int> wins{0}, exists{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      auto r = s().create(key("race"), "writer" + std::to_string(i));
      if (r.isOk()) ++wins;
      if (r.status().code() == Code::kAlreadyExists) ++exists;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wins.load(), 1);
  EXPECT_EQ(exists.load(), kThreads - 1);
}

TEST_P(StoreContractTest, ConcurrentUpdatesAtOneRevisionHaveExactlyOneWinner) {
  auto r1 = s().create(key("cas"), "0");
  ASSERT_TRUE(r1.isOk());
  constexpr int kThreads = 8;
  std::atomic<int> wins{0}, conflicts{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      auto r = s().update(key("cas"), std::to_string(i), *r1);
      if (r.isOk()) ++wins;
      if (r.status().code() == Code::kConflict) ++conflicts;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wins.load(), 1);
  EXPECT_EQ(conflicts.load(), kThreads - 1);
}

TEST_P(StoreContractTest, LeaseExpiryRemovesTheKeyAndTellsWatchers) {
  auto lease = s().grantLease(1);
  ASSERT_TRUE(lease.isOk()) << lease.status().toString();
  ASSERT_TRUE(s().create(key("leased"), "v", *lease).isOk());
  EXPECT_EQ(s().get(key("leased"))->lease, *lease);
  EventRecorder rec;
  auto w = s().watch(prefix_, 0, rec.onEvents(), rec.onError());
  ASSERT_TRUE(w.isOk());
  harness_->passTime(3s);
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (s().get(key("leased")).isOk() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(s().get(key("leased")).status().code(), Code::kNotFound);
  ASSERT_TRUE(rec.waitForEvents(1));
  EXPECT_EQ(rec.events()[0].type, EventType::kDelete);
  EXPECT_EQ(s().keepAliveLease(*lease).code(), Code::kNotFound);
}

TEST_P(StoreContractTest, KeepAliveExtendsAndRevokeDeletesLeasedKeys) {
  auto lease = s().grantLease(30);
  ASSERT_TRUE(lease.isOk());
  ASSERT_TRUE(s().create(key("a"), "v", *lease).isOk());
  ASSERT_TRUE(s().create(key("b"), "v", *lease).isOk());
  EXPECT_TRUE(s().keepAliveLease(*lease).isOk());
  EXPECT_TRUE(s().revokeLease(*lease).isOk());
  EXPECT_EQ(s().get(key("a")).status().code(), Code::kNotFound);
  EXPECT_EQ(s().get(key("b")).status().code(), Code::kNotFound);
  EXPECT_EQ(s().revokeLease(*lease).code(), Code::kNotFound);
  EXPECT_EQ(s().create(key("c"), "v", *lease).status().code(), Code::kNotFound);
}

TEST_P(StoreContractTest, CancelReturnsPromptlyAndStopsCallbacks) {
  EventRecorder rec;
  auto w = s().watch(prefix_, 0, rec.onEvents(), rec.onError());
  ASSERT_TRUE(w.isOk());
  ASSERT_TRUE(s().create(key("a"), "1").isOk());
  ASSERT_TRUE(rec.waitForEvents(1));
  auto start = std::chrono::steady_clock::now();
  (*w)->cancel();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  ASSERT_TRUE(s().create(key("b"), "2").isOk());
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(rec.events().size(), 1u);
  EXPECT_EQ(rec.errorCount(), 0u);
  (*w)->cancel();  // idempotent
}

TEST_P(StoreContractTest, CancelFromInsideTheCallbackDoesNotDeadlock) {
  std::unique_ptr<Watch> watch;
  std::mutex mu;
  std::atomic<int> calls{0};
  auto w = s().watch(
      prefix_, 0,
      [&](const std::vector<WatchEvent>&) {
        ++calls;
        std::lock_guard lock(mu);
        watch->cancel();
      },
      nullptr);
  ASSERT_TRUE(w.isOk());
  {
    std::lock_guard lock(mu);
    watch = std::move(*w);
  }
  ASSERT_TRUE(s().create(key("a"), "1").isOk());
  ASSERT_TRUE(s().create(key("b"), "2").isOk());
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (calls == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(calls.load(), 1);
  std::lock_guard lock(mu);
  watch.reset();
}

}  // namespace minik8s::store::testing
