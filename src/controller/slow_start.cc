#include "controller/slow_start.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

namespace minik8s::controller {

int slowStartBatch(int count, int initial_batch, int parallelism,
                   const std::function<Status(int index)>& fn, Status* first_error) {
  int done = 0;
  std::atomic<int> successes{0};
  std::mutex error_mu;
  bool failed = false;
  for (int batch = std::min(count, std::max(initial_batch, 1)); batch > 0 && !failed;
       batch = std::min(2 * batch, count - done)) {
    std::atomic<int> next{done};
    const int end = done + batch;
    auto worker = [&] {
      for (int i = next++; i < end; i = next++) {
        Status s = fn(i);
        if (s.isOk()) {
          ++successes;
          continue;
        }
        std::lock_guard lock(error_mu);
        if (!failed && first_error) *first_error = s;
        failed = true;
      }
    };
    int threads = std::min(batch, std::max(parallelism, 1));
    if (threads == 1) {
      worker();
    } else {
      std::vector<std::jthread> pool;
      for (int t = 0; t < threads; ++t) pool.emplace_back(worker);
    }
    done = end;
  }
  return successes.load();
}

}  // namespace minik8s::controller
