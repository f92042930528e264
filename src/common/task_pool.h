// TaskPool: a fixed set of threads running submitted tasks in FIFO order, for work a
// component hands off so that its own loop never waits on it (the scheduler's bindings
// and events). Tasks must not throw.
//
// stop() lets each thread finish the task it is running, drops the tasks still waiting and
// joins; later submits are dropped. The destructor stops. Thread-safe.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace minik8s {

class TaskPool {
 public:
  explicit TaskPool(size_t threads);
  ~TaskPool();
  TaskPool(const TaskPool&) = delete;
  TaskPool& operator=(const TaskPool&) = delete;

  void submit(std::function<void()> task);
  void stop();
  // Tasks waiting or running (for tests and metrics).
  size_t pending() const;

 private:
  void run(std::stop_token stop);

  mutable std::mutex mu_;
  std::condition_variable_any cv_;
  std::deque<std::function<void()>> tasks_;  // GUARDED_BY(mu_)
  size_t running_ = 0;                       // GUARDED_BY(mu_)
  bool stopped_ = false;                     // GUARDED_BY(mu_)
  std::vector<std::jthread> threads_;
};

}  // namespace minik8s
