#include "client/controller_loop.h"

#include "common/log.h"

namespace minik8s::client {

ControllerLoop::ControllerLoop(std::string name, WorkQueue& queue, SyncFunc sync)
    : name_(std::move(name)), queue_(queue), sync_(std::move(sync)) {}

ControllerLoop::~ControllerLoop() {
  stop();
}

Status ControllerLoop::run(int workers, const std::vector<InformerBase*>& wait_for,
                           std::chrono::milliseconds sync_timeout) {
  for (InformerBase* informer : wait_for) {
    if (!informer->waitForSync(sync_timeout)) {
      return unavailable(name_ + ": caches did not sync within " +
                         std::to_string(sync_timeout.count()) + "ms");
    }
  }
  for (int i = 0; i < workers; ++i) {
    workers_.emplace_back([this](std::stop_token stop) {
      while (processNextItem(stop)) {
      }
    });
  }
  log::info("{}: started {} worker(s)", name_, workers);
  return Status::ok();
}

void ControllerLoop::stop() {
  queue_.shutDown();
  for (auto& worker : workers_) worker.request_stop();
  for (auto& worker : workers_) {
    if (worker.joinable()) worker.join();
  }
  workers_.clear();
}

bool ControllerLoop::processNextItem(std::stop_token stop) {
  auto key = queue_.get(stop);
  if (!key) return false;
  Status s = sync_(*key);
  if (s.isOk()) {
    queue_.forget(*key);
  } else {
    log::warn("{}: syncing {}: {}; retrying", name_, *key, s.toString());
    queue_.addRateLimited(*key);
  }
  queue_.done(*key);
  return true;
}

}  // namespace minik8s::client
