// Watch streams: one HTTP watch = one WatchSession that formats cache events as
// newline-delimited JSON (or one-row Tables) into a chunked ResponseStream.
//
// A session is registered with its resource's WatchCache; when the requested revision is
// older than the cache's history it falls back to a watch straight from the store (at
// most kMaxStoreWatches at once), and when the store has compacted that revision too the
// client gets a 410 Expired ERROR event, as Kubernetes sends it. WatchTimeouts ends
// sessions at their timeoutSeconds from one thread. Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "api/scheme.h"
#include "apiserver/http_server.h"
#include "apiserver/table.h"
#include "apiserver/watch_cache.h"
#include "common/clock.h"
#include "store/store.h"

namespace minik8s::apiserver {

// Ends streams at their deadline. One thread; owned by the RestHandler.
class WatchTimeouts {
 public:
  WatchTimeouts();
  ~WatchTimeouts();
  void add(std::chrono::steady_clock::time_point deadline, std::weak_ptr<ResponseStream> stream);

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::multimap<std::chrono::steady_clock::time_point, std::weak_ptr<ResponseStream>> due_;
  bool stopping_ = false;
  std::thread thread_;
};

struct WatchStreamOptions {
  bool table = false;
  IncludeObject include_object = IncludeObject::kMetadata;
  std::chrono::seconds timeout{1800};
  size_t max_pending_bytes = 32 * 1024 * 1024;  // a client further behind is dropped
};

struct WatchStreamDeps {
  store::Store& store;
  Clock& clock;
  WatchCache& cache;
  std::atomic<size_t>& open_watches;
  WatchTimeouts& timeouts;
  std::atomic<int>& store_watches;
};

inline constexpr int kMaxStoreWatches = 64;

// Registers the session and returns; events flow until the client leaves, the timeout
// passes or the cache ends the watch. `from_revision` < 0 means "current state first".
void startWatchStream(WatchStreamDeps deps, const api::ResourceInfo& resource,
                      WatchFilter filter, int64_t from_revision, WatchStreamOptions options,
                      std::shared_ptr<ResponseStream> stream);

}  // namespace minik8s::apiserver
