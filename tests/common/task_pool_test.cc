// TaskPool: tasks run on the pool's threads in parallel; stop() drops what waits and
// joins; submits after stop are dropped.
#include "common/task_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

namespace minik8s {
namespace task_pool_test {

// In each test the pool is declared last, so that it is destroyed (its threads joined)
// before the objects its tasks use.

TEST(TaskPool, RunsEveryTaskSubmittedBeforeItIsIdle) {
  std::atomic<int> ran{0};
  std::promise<void> all;
  TaskPool pool(4);
  for (int i = 0; i < 100; ++i) {
    pool.submit([&] {
      if (++ran == 100) all.set_value();
    });
  }
  all.get_future().wait();
  EXPECT_EQ(ran.load(), 100);
}

TEST(TaskPool, RunsTasksInParallel) {
  std::promise<void> first_started, second_started;
  std::promise<void> release;
  auto released = release.get_future().share();
  TaskPool pool(2);
  pool.submit([&] {
    first_started.set_value();
    released.wait();
  });
  pool.submit([&] { second_started.set_value(); });
  first_started.get_future().wait();
  // The second task runs while the first still blocks its thread.
  second_started.get_future().wait();
  release.set_value();
}

TEST(TaskPool, StopDropsWaitingTasksAndLaterSubmits) {
  std::promise<void> started, release;
  auto released = release.get_future().share();
  std::atomic<int> ran{0};
  TaskPool pool(1);
  pool.submit([&] {
    started.set_value();
    released.wait();
    ++ran;
  });
  started.get_future().wait();
  pool.submit([&] { ++ran; });  // waits behind the blocked task
  EXPECT_EQ(pool.pending(), 2u);
  // stop() drops the waiting task at once, then waits for the running one to finish.
  std::thread stopper([&] { pool.stop(); });
  while (pool.pending() != 1) std::this_thread::yield();
  release.set_value();
  stopper.join();
  EXPECT_EQ(ran.load(), 1);
  pool.submit([&] { ++ran; });
  EXPECT_EQ(ran.load(), 1);
  EXPECT_EQ(pool.pending(), 0u);
}

}  // namespace task_pool_test
}  // namespace minik8s
