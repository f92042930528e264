// ControllerLoop: the one worker loop of every controller (client-go's
// processNextWorkItem). run() waits until the informers have synced, then each worker
// repeats: key = queue.get(); status = sync(key); ok → queue.forget(key), error →
// queue.addRateLimited(key) (per-key exponential back-off); queue.done(key). sync(key) is
// level-triggered: it reads the current state from listers and converges, whatever event
// queued the key.
//
// Owns its worker threads. run() starts one; when a key is added, or a worker takes one,
// while more keys are ready and every worker is busy, another starts, up to `workers`
// (client-go starts all its goroutines at once; threads cost more, and an idle
// controller manager runs a dozen controllers with up to 20 workers each). The loop is
// the queue's one ready listener. Workers never stop before stop(), which
// (also on destruction) shuts the queue down and joins them. Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "client/informer.h"
#include "client/work_queue.h"
#include "common/status.h"

namespace minik8s::client {

class ControllerLoop {
 public:
  using SyncFunc = std::function<Status(const std::string& key)>;

  // `name` appears in logs ("replicaset: syncing default/web: ...").
  ControllerLoop(std::string name, WorkQueue& queue, SyncFunc sync);
  ~ControllerLoop();
  ControllerLoop(const ControllerLoop&) = delete;
  ControllerLoop& operator=(const ControllerLoop&) = delete;

  // Waits (up to `sync_timeout`) for every informer in `wait_for` to sync, then starts
  // the first of at most `workers` threads. kUnavailable when the caches did not sync.
  Status run(int workers, const std::vector<InformerBase*>& wait_for,
             std::chrono::milliseconds sync_timeout = std::chrono::seconds(30));
  void stop();

  // One turn of a worker: takes a key (blocking), syncs it, settles it. False once the
  // queue is shut down or `stop` is requested. Tests call it directly.
  bool processNextItem(std::stop_token stop = {});

  // Worker threads started so far (for tests).
  size_t workerCount() const;

 private:
  // Starts another worker when keys are waiting, every worker is busy and fewer than
  // max_workers_ run. Called on every add(): it takes no lock while a worker is idle or
  // all have started.
  void maybeAddWorker();
  void addWorkerLocked();  // REQUIRES: mu_ held

  const std::string name_;
  WorkQueue& queue_;
  const SyncFunc sync_;
  std::atomic<size_t> busy_{0};     // workers between get() and done()
  std::atomic<size_t> started_{0};  // workers_.size(), readable without mu_
  std::atomic<bool> at_max_{false};  // started_ == max_workers_: nothing left to start

  mutable std::mutex mu_;
  size_t max_workers_ = 0;             // GUARDED_BY(mu_); 0 until run()
  bool stopping_ = false;              // GUARDED_BY(mu_)
  std::vector<std::jthread> workers_;  // GUARDED_BY(mu_)
};

}  // namespace minik8s::client
