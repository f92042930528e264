#include "common/task_pool.h"

namespace minik8s {

TaskPool::TaskPool(size_t threads) {
  threads_.reserve(threads);
  for (size_t i = 0; i < threads; ++i) {
    threads_.emplace_back([this](std::stop_token stop) { run(stop); });
  }
}

TaskPool::~TaskPool() {
  stop();
}

void TaskPool::submit(std::function<void()> task) {
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    tasks_.push_back(std::move(task));
  }
  cv_.notify_one();
}

void TaskPool::stop() {
  {
    std::lock_guard lock(mu_);
    stopped_ = true;
    tasks_.clear();
  }
  for (auto& t : threads_) t.request_stop();
  cv_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

size_t TaskPool::pending() const {
  std::lock_guard lock(mu_);
  return tasks_.size() + running_;
}

void TaskPool::run(std::stop_token stop) {
  while (true) {
    std::function<void()> task;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, stop, [&] { return !tasks_.empty(); });
      if (stop.stop_requested() || tasks_.empty()) return;
      task = std::move(tasks_.front());
      tasks_.pop_front();
      ++running_;
    }
    task();
    std::lock_guard lock(mu_);
    --running_;
  }
}

}  // namespace minik8s
