// ControllerLoop: one worker while idle, more as keys wait (up to the limit), a failed
// sync retried with back-off, and stop() joining every worker.
#include "client/controller_loop.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

namespace minik8s::client {
namespace controller_loop_test {

using namespace std::chrono_literals;

// A sync that blocks until released, counting how many run at once.
class Gate {
 public:
  Status sync(const std::string& key) {
    std::unique_lock lock(mu_);
    ++running_;
    max_running_ = std::max(max_running_, running_);
    seen_.insert(key);
    cv_.notify_all();
    cv_.wait(lock, [&] { return open_; });
    --running_;
    return Status::ok();
  }
  bool waitRunning(int n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, 10s, [&] { return running_ >= n; });
  }
  void open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  int maxRunning() {
    std::lock_guard lock(mu_);
    return max_running_;
  }
  size_t seen() {
    std::lock_guard lock(mu_);
    return seen_.size();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int running_ = 0, max_running_ = 0;
  bool open_ = false;
  std::set<std::string> seen_;
};

// Opens the gate when it goes out of scope, so that a failed assertion ends the test
// instead of leaving the loop's destructor joining workers that wait forever.
struct OpenOnExit {
  Gate& gate;
  ~OpenOnExit() { gate.open(); }
};

TEST(ControllerLoop, OneWorkerWhileIdleMoreAsKeysWaitNeverMoreThanTheLimit) {
  WorkQueue queue;
  Gate gate;
  ControllerLoop loop("test", queue, [&](const std::string& key) { return gate.sync(key); });
  OpenOnExit open_on_exit{gate};
  ASSERT_TRUE(loop.run(4, {}).isOk());
  EXPECT_EQ(loop.workerCount(), 1u);
  for (int i = 0; i < 10; ++i) queue.add("k" + std::to_string(i));
  ASSERT_TRUE(gate.waitRunning(4));  // four syncs at once: the workers grew to the limit
  EXPECT_EQ(loop.workerCount(), 4u);
  gate.open();
  for (int i = 0; i < 500 && gate.seen() < 10; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(gate.seen(), 10u);
  EXPECT_EQ(gate.maxRunning(), 4);
  EXPECT_EQ(loop.workerCount(), 4u);
  loop.stop();
  EXPECT_EQ(loop.workerCount(), 0u);
}

// The case CI caught: the only worker took the first key before the next was added, and
// blocked in its sync; keys added after that must start workers of their own.
TEST(ControllerLoop, AKeyAddedWhileEveryWorkerIsBusyStartsAnother) {
  WorkQueue queue;
  Gate gate;
  ControllerLoop loop("test", queue, [&](const std::string& key) { return gate.sync(key); });
  OpenOnExit open_on_exit{gate};
  ASSERT_TRUE(loop.run(3, {}).isOk());
  queue.add("first");
  ASSERT_TRUE(gate.waitRunning(1));
  EXPECT_EQ(loop.workerCount(), 1u);
  queue.add("second");
  ASSERT_TRUE(gate.waitRunning(2));
  queue.add("third");
  ASSERT_TRUE(gate.waitRunning(3));
  EXPECT_EQ(loop.workerCount(), 3u);
  queue.add("fourth");  // at the limit: waits for a worker
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(loop.workerCount(), 3u);
  gate.open();
  for (int i = 0; i < 500 && gate.seen() < 4; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(gate.seen(), 4u);
  loop.stop();
}

TEST(ControllerLoop, AFailedSyncIsRetriedAndASuccessForgetsTheBackOff) {
  WorkQueue queue;
  std::atomic<int> calls{0};
  ControllerLoop loop("test", queue, [&](const std::string&) {
    return ++calls < 3 ? Status(Code::kUnavailable, "not yet") : Status::ok();
  });
  ASSERT_TRUE(loop.run(2, {}).isOk());
  queue.add("k");
  for (int i = 0; i < 500 && calls.load() < 3; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(calls.load(), 3);
  loop.stop();
  EXPECT_EQ(queue.numRequeues("k"), 0);  // forgotten after the success
}

TEST(ControllerLoop, ProcessNextItemAloneStartsNoThreads) {
  WorkQueue queue;
  ControllerLoop loop("test", queue, [](const std::string&) { return Status::ok(); });
  queue.add("a");
  queue.add("b");
  EXPECT_TRUE(loop.processNextItem());
  EXPECT_EQ(loop.workerCount(), 0u);
}

}  // namespace controller_loop_test
}  // namespace minik8s::client
