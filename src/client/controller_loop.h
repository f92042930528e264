// ControllerLoop: the one worker loop of every controller (client-go's
// processNextWorkItem). run() waits until the informers have synced, then each worker
// repeats: key = queue.get(); status = sync(key); ok → queue.forget(key), error →
// queue.addRateLimited(key) (per-key exponential back-off); queue.done(key). sync(key) is
// level-triggered: it reads the current state from listers and converges, whatever event
// queued the key.
//
// Owns its worker threads: run() starts them, stop() (also on destruction) shuts the
// queue down and joins them. Thread-safe.
#pragma once

#include <chrono>
#include <functional>
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
  // `workers` threads. kUnavailable when the caches did not sync.
  Status run(int workers, const std::vector<InformerBase*>& wait_for,
             std::chrono::milliseconds sync_timeout = std::chrono::seconds(30));
  void stop();

  // One turn of a worker: takes a key (blocking), syncs it, settles it. False once the
  // queue is shut down or `stop` is requested. Tests call it directly.
  bool processNextItem(std::stop_token stop = {});

 private:
  const std::string name_;
  WorkQueue& queue_;
  const SyncFunc sync_;
  std::vector<std::jthread> workers_;
};

}  // namespace minik8s::client
