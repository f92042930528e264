#include "client/work_queue.h"

#include <gtest/gtest.h>

#include <thread>

namespace minik8s::client {
namespace work_queue_test {

using namespace std::chrono_literals;

TEST(WorkQueue, AddingAKeyTwiceQueuesItOnce) {
  FakeClock clock;
  WorkQueue q(clock);
  q.add("a");
  q.add("a");
  q.add("b");
  EXPECT_EQ(q.len(), 2u);
  EXPECT_EQ(q.tryGet(), "a");
  EXPECT_EQ(q.tryGet(), "b");
  EXPECT_EQ(q.tryGet(), std::nullopt);
}

TEST(WorkQueue, AKeyBeingProcessedIsNotHandedToASecondWorker) {
  FakeClock clock;
  WorkQueue q(clock);
  q.add("a");
  ASSERT_EQ(q.tryGet(), "a");
  q.add("a");
  EXPECT_EQ(q.len(), 0u);
  EXPECT_EQ(q.tryGet(), std::nullopt);
}

TEST(WorkQueue, ReaddWhileProcessingRequeuesOnDone) {
  FakeClock clock;
  WorkQueue q(clock);
  q.add("a");
  ASSERT_EQ(q.tryGet(), "a");
  q.add("a");
  q.add("a");
  q.done("a");
  EXPECT_EQ(q.len(), 1u);
  EXPECT_EQ(q.tryGet(), "a");
  q.done("a");
  EXPECT_EQ(q.tryGet(), std::nullopt);
}

TEST(WorkQueue, DoneWithoutReaddDropsTheKey) {
  FakeClock clock;
  WorkQueue q(clock);
  q.add("a");
  ASSERT_EQ(q.tryGet(), "a");
  q.done("a");
  EXPECT_EQ(q.len(), 0u);
}

TEST(WorkQueue, RateLimitedAddsBackOffExponentiallyPerKey) {
  FakeClock clock;
  WorkQueue q(clock, {.base_delay = 5ms, .max_delay = 1s, .poll_interval = 1ms});
  EXPECT_EQ(q.nextBackoff("a"), 5ms);
  q.addRateLimited("a");
  EXPECT_EQ(q.numRequeues("a"), 1);
  EXPECT_EQ(q.tryGet(), std::nullopt);
  clock.advance(4ms);
  EXPECT_EQ(q.tryGet(), std::nullopt);
  clock.advance(1ms);
  ASSERT_EQ(q.tryGet(), "a");
  q.done("a");
  EXPECT_EQ(q.nextBackoff("a"), 10ms);
  q.addRateLimited("a");
  clock.advance(9ms);
  EXPECT_EQ(q.tryGet(), std::nullopt);
  clock.advance(1ms);
  EXPECT_EQ(q.tryGet(), "a");
  EXPECT_EQ(q.nextBackoff("b"), 5ms);  // other keys are independent
}

TEST(WorkQueue, BackOffIsCappedAtTheMaximum) {
  FakeClock clock;
  WorkQueue q(clock, {.base_delay = 5ms, .max_delay = 40ms, .poll_interval = 1ms});
  for (int i = 0; i < 20; ++i) q.addRateLimited("a");
  EXPECT_EQ(q.nextBackoff("a"), 40ms);
}

TEST(WorkQueue, ForgetResetsTheBackOff) {
  FakeClock clock;
  WorkQueue q(clock);
  q.addRateLimited("a");
  q.addRateLimited("a");
  q.forget("a");
  EXPECT_EQ(q.numRequeues("a"), 0);
  EXPECT_EQ(q.nextBackoff("a"), 5ms);
}

TEST(WorkQueue, AddAfterWaitsForTheClock) {
  FakeClock clock;
  WorkQueue q(clock);
  q.addAfter("a", 1s);
  EXPECT_EQ(q.tryGet(), std::nullopt);
  clock.advance(1s);
  EXPECT_EQ(q.tryGet(), "a");
}

TEST(WorkQueue, BlockedGetWakesOnAddAndOnShutDown) {
  WorkQueue q;
  std::optional<std::string> got;
  std::jthread worker([&] { got = q.get(); });
  q.add("x");
  worker.join();
  EXPECT_EQ(got, "x");
  std::jthread waiter([&] { got = q.get(); });
  q.shutDown();
  waiter.join();
  EXPECT_EQ(got, std::nullopt);
}

TEST(WorkQueue, BlockedGetReturnsWhenStopIsRequested) {
  WorkQueue q;
  std::optional<std::string> got = "unset";
  std::jthread worker([&](std::stop_token st) { got = q.get(st); });
  worker.request_stop();
  worker.join();
  EXPECT_EQ(got, std::nullopt);
}

TEST(WorkQueue, TheReadyListenerHearsOfKeysThatBecameReadyOnly) {
  FakeClock clock;
  WorkQueue q(clock);
  int calls = 0;
  q.setOnReady([&] { ++calls; });
  q.add("a");
  EXPECT_EQ(calls, 1);
  q.add("a");  // already waiting
  EXPECT_EQ(calls, 1);
  ASSERT_EQ(q.tryGet(), "a");
  q.add("a");  // processing: only marked dirty
  EXPECT_EQ(calls, 1);
  q.addAfter("b", 0s);
  EXPECT_EQ(calls, 2);
  q.addAfter("c", 1s);  // delayed: becomes ready inside get()
  EXPECT_EQ(calls, 2);
  q.setOnReady(nullptr);
  q.add("d");
  EXPECT_EQ(calls, 2);
}

}  // namespace work_queue_test
}  // namespace minik8s::client
