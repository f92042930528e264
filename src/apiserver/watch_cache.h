// WatchCache: the in-memory copy of one resource, fed by one etcd watch.
//
// Owns the current objects of its resource (serialized once, as the apiserver sends
// them) and a bounded history of recent events. Serves LIST/GET with
// resourceVersion=0 and every watch: a watch from an unset/0 revision first gets a
// synthetic ADDED per object, a watch from revision N gets the history after N and then
// live events. A revision older than the history is reported as kGone so the caller can
// fall back to a watch straight from etcd. Thread-safe: one mutex guards state, history
// and watchers; sinks are called with it held and must only queue.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "api/scheme.h"
#include "common/clock.h"
#include "store/store.h"

namespace minik8s::apiserver {

// One stored object as the cache holds it.
struct CachedObject {
  std::string key;   // "/registry/pods/default/web"
  std::string json;  // the object as sent to clients, resourceVersion set
  int64_t revision = 0;
  nlohmann::json attrs;  // the selectable part: metadata.name/namespace/labels and the
                         // fields field selectors may name (see selectableAttributes)
};
using CachedObjectPtr = std::shared_ptr<const CachedObject>;

enum class WatchEventType { kAdded, kModified, kDeleted };
const char* watchEventTypeName(WatchEventType type);  // "ADDED", ...

// Receives a watcher's events. deliver() runs with the cache lock held: queue, never block.
// Returning false drops the watcher.
class WatchSink {
 public:
  virtual ~WatchSink() = default;
  virtual bool deliver(WatchEventType type, const CachedObjectPtr& object) = 0;
  // The cache ends this watcher (stop, or a re-list after the etcd watch broke).
  virtual void close() = 0;
};

struct WatchFilter {
  std::string namespace_;  // "" = all namespaces
  // Decides on CachedObject::attrs; empty = everything.
  std::function<bool(const nlohmann::json& attrs)> matches;
};

// Whether `object` is in the filter's namespace and matches its selectors.
bool filterAccepts(const WatchFilter& filter, const CachedObjectPtr& object);

struct WatchCacheOptions {
  size_t history_capacity = 10000;           // events always kept
  std::chrono::seconds history_min_age{75};  // younger events kept beyond capacity...
  size_t history_hard_limit = 100000;        // ...up to this many
};

class WatchCache {
 public:
  WatchCache(store::Store& store, const api::ResourceInfo& resource, std::string key_prefix,
             WatchCacheOptions options, Clock& clock);
  ~WatchCache();

  // Lists the resource and starts the etcd watch. When the etcd watch breaks (etcd
  // restarted, connection lost) it resumes it from the cache's revision, with back-off
  // capped at kMaxRecoveryBackoff, and the watchers see no gap. Only when etcd compacted
  // past that revision does it re-list; watchers then get their stream closed and re-watch
  // (410 Gone below the new list's revision), as a real apiserver does.
  Status start();
  // Makes a pending recovery give up at once; stop() then only joins. Lets an owner of
  // many caches stop them all within one etcd call deadline.
  void requestStop();
  void stop();
  // Whether the etcd watch is live (false while it is being resumed or re-listed).
  bool watching() const;

  static constexpr std::chrono::milliseconds kMaxRecoveryBackoff{1000};

  struct Snapshot {
    std::vector<CachedObjectPtr> objects;  // ordered by key
    int64_t revision = 0;
  };
  Snapshot list(const WatchFilter& filter) const;
  CachedObjectPtr get(const std::string& key) const;
  int64_t revision() const;
  // Blocks until the cache has seen `revision` (e.g. a write just made), or the timeout.
  bool waitForRevision(int64_t revision, std::chrono::milliseconds timeout) const;

  // Registers a watcher. from_revision < 0: synthetic ADDED for every matching object,
  // then live events. from_revision >= 0: events after it (kGone when older than the
  // history). Returns an id for removeWatcher.
  Result<uint64_t> addWatcher(const WatchFilter& filter, int64_t from_revision,
                              std::shared_ptr<WatchSink> sink);
  void removeWatcher(uint64_t id);
  size_t watcherCount() const;
  // The oldest revision a watch may start from.
  int64_t oldestRevision() const;

  const api::ResourceInfo& resource() const { return resource_; }
  const std::string& keyPrefix() const { return key_prefix_; }

 private:
  struct Event {
    WatchEventType type;
    CachedObjectPtr object;
    CachedObjectPtr prev;  // state before the event (modified, deleted); may be null
    int64_t revision;
    Clock::Instant at;
  };
  struct Watcher {
    WatchFilter filter;
    std::shared_ptr<WatchSink> sink;
    // Events at or before this revision are not sent: a watch may start from a revision
    // the cache has not reached yet (a LIST served by etcd a moment ago).
    int64_t after_revision = -1;
  };

  void onEvents(const std::vector<store::WatchEvent>& events);
  void onWatchError(const Status& status);
  // Runs on recovery_thread_ until the etcd watch is live again or stop is requested.
  void recover(std::stop_token stop, bool compacted);
  Status relist();
  // Re-opens the etcd watch after the cache's revision; kGone when etcd compacted past it.
  Status resumeWatch();
  void dispatchLocked(const Event& event);
  void trimHistoryLocked();
  bool sendLocked(uint64_t id, Watcher& w, const Event& event);

  store::Store& store_;
  const api::ResourceInfo resource_;
  const std::string key_prefix_;
  const WatchCacheOptions options_;
  Clock& clock_;

  mutable std::mutex mu_;
  mutable std::condition_variable revision_cv_;
  std::map<std::string, CachedObjectPtr> objects_;  // GUARDED_BY(mu_)
  std::deque<Event> history_;                       // GUARDED_BY(mu_)
  int64_t revision_ = 0;                            // GUARDED_BY(mu_)
  int64_t oldest_revision_ = 0;                     // GUARDED_BY(mu_)
  std::map<uint64_t, Watcher> watchers_;            // GUARDED_BY(mu_)
  uint64_t next_watcher_id_ = 1;                    // GUARDED_BY(mu_)
  bool stopped_ = false;                            // GUARDED_BY(mu_)

  std::mutex watch_mu_;                  // serializes (re)starting the etcd watch
  std::unique_ptr<store::Watch> watch_;  // GUARDED_BY(watch_mu_)
  std::atomic<bool> watching_{false};    // the etcd watch is open and has not failed

  std::mutex recovery_mu_;        // guards recovery_thread_ (set from the watch's thread)
  std::jthread recovery_thread_;  // GUARDED_BY(recovery_mu_)
};

// Parses a stored value into a CachedObject: sets metadata.resourceVersion to the
// revision and extracts the selectable attributes. nullptr when the value is not JSON.
CachedObjectPtr makeCachedObject(const std::string& key, const std::string& value,
                                 int64_t revision);
// The fields of `object` that label and field selectors may look at.
nlohmann::json selectableAttributes(const nlohmann::json& object);

}  // namespace minik8s::apiserver
