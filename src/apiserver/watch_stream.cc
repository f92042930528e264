#include "apiserver/watch_stream.h"

#include <nlohmann/json.hpp>

#include "apiserver/status_response.h"
#include "common/log.h"

namespace minik8s::apiserver {

using nlohmann::json;

WatchTimeouts::WatchTimeouts() {
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      if (due_.empty()) {
        cv_.wait(lock);
        continue;
      }
      auto next = due_.begin()->first;
      if (cv_.wait_until(lock, next) == std::cv_status::timeout || std::chrono::steady_clock::now() >= next) {
        while (!due_.empty() && due_.begin()->first <= std::chrono::steady_clock::now()) {
          auto stream = due_.begin()->second.lock();
          due_.erase(due_.begin());
          if (stream) {
            lock.unlock();
            stream->finish();
            lock.lock();
          }
        }
      }
    }
  });
}

WatchTimeouts::~WatchTimeouts() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void WatchTimeouts::add(std::chrono::steady_clock::time_point deadline,
                        std::weak_ptr<ResponseStream> stream) {
  {
    std::lock_guard lock(mu_);
    // Drop entries of streams that are already gone, so the map does not grow forever.
    for (auto it = due_.begin(); it != due_.end();) {
      it = it->second.expired() ? due_.erase(it) : std::next(it);
      if (due_.size() < 1024) break;
    }
    due_.emplace(deadline, std::move(stream));
  }
  cv_.notify_all();
}

namespace {

// Formats events for one client and queues them on its stream.
class WatchSession : public WatchSink {
 public:
  WatchSession(const api::ResourceInfo& resource, WatchStreamOptions options, Clock& clock,
               std::shared_ptr<ResponseStream> stream)
      : resource_(resource), options_(options), clock_(clock), stream_(std::move(stream)) {}

  bool deliver(WatchEventType type, const CachedObjectPtr& object) override {
    if (stream_->closed()) return false;
    if (stream_->pendingBytes() > options_.max_pending_bytes) {
      log::warn("watch of {}: client too slow, closing its stream", resource_.plural);
      return false;
    }
    std::string line;
    if (resource_.convertsOnRead()) {
      // A view's events carry the object in the view's version.
      json shown = json::parse(object->json);
      if (!api::convertFromStorage(resource_, shown).isOk()) return true;  // skip the event
      line = "{\"type\":\"" + std::string(watchEventTypeName(type)) + "\",\"object\":" +
             (options_.table ? tableOf(json::parse(object->json), shown) : shown.dump()) + "}\n";
      return stream_->write(std::move(line));
    }
    if (options_.table) {
      json parsed = json::parse(object->json);
      json table = buildWatchEventTable(resource_, parsed, clock_.now(), options_.include_object,
                                        /*include_column_definitions=*/false);
      line = "{\"type\":\"" + std::string(watchEventTypeName(type)) + "\",\"object\":" +
             table.dump() + "}\n";
    } else {
      line.reserve(object->json.size() + 40);
      line += "{\"type\":\"";
      line += watchEventTypeName(type);
      line += "\",\"object\":";
      line += object->json;
      line += "}\n";
    }
    return stream_->write(std::move(line));
  }

  void close() override { stream_->finish(); }

  // The one-row Table of a view's event: cells from the stored object, a full row object
  // in the view's version.
  std::string tableOf(const json& stored, const json& shown) const {
    json table = buildWatchEventTable(resource_, stored, clock_.now(), options_.include_object,
                                      /*include_column_definitions=*/false);
    for (json& row : table["rows"]) {
      if (options_.include_object == IncludeObject::kObject) row["object"] = shown;
    }
    return table.dump();
  }

  void sendExpired(const Status& status) {
    stream_->write("{\"type\":\"ERROR\",\"object\":" + statusJson(status) + "}\n");
    stream_->finish();
  }

 private:
  const api::ResourceInfo& resource_;
  const WatchStreamOptions options_;
  Clock& clock_;
  std::shared_ptr<ResponseStream> stream_;
};

// What to undo when a stream closes. The stream's on-close hook must be set before its
// first write, but what it must undo is only known after registering: set it later here.
class CloseActions {
 public:
  void set(std::function<void()> fn) {
    std::unique_lock lock(mu_);
    if (closed_) {
      lock.unlock();
      fn();
      return;
    }
    fn_ = std::move(fn);
  }
  void run() {
    std::function<void()> fn;
    {
      std::lock_guard lock(mu_);
      closed_ = true;
      fn.swap(fn_);
    }
    if (fn) fn();
  }

 private:
  std::mutex mu_;
  bool closed_ = false;
  std::function<void()> fn_;
};

// Serves a watch older than the cache's history straight from the store.
Status startStoreWatch(WatchStreamDeps& deps, const api::ResourceInfo& resource,
                       const WatchFilter& filter, int64_t from,
                       const std::shared_ptr<WatchSession>& session, CloseActions& on_close) {
  if (deps.store_watches.fetch_add(1) >= kMaxStoreWatches) {
    deps.store_watches.fetch_sub(1);
    return gone("too many watches from old resource versions");
  }
  auto on_events = [session, filter](const std::vector<store::WatchEvent>& events) {
    for (const auto& e : events) {
      CachedObjectPtr prev =
          e.prev ? makeCachedObject(e.prev->key, e.prev->value, e.prev->mod_revision) : nullptr;
      bool was = filterAccepts(filter, prev);
      if (e.type == store::EventType::kDelete) {
        if (!prev || !was) continue;
        auto last = makeCachedObject(e.kv.key, prev->json, e.kv.mod_revision);
        if (last && !session->deliver(WatchEventType::kDeleted, last)) return;
        continue;
      }
      auto object = makeCachedObject(e.kv.key, e.kv.value, e.kv.mod_revision);
      if (!object) continue;
      bool now = filterAccepts(filter, object);
      bool created = e.kv.create_revision == e.kv.mod_revision;
      WatchEventType type;
      if (now && (created || !was)) {
        type = WatchEventType::kAdded;
      } else if (now) {
        type = WatchEventType::kModified;
      } else if (was) {
        type = WatchEventType::kDeleted;
      } else {
        continue;
      }
      if (!session->deliver(type, object)) return;
    }
  };
  auto on_error = [session](const Status& status) {
    session->sendExpired(status.code() == Code::kGone ? status
                                                      : Status(Code::kGone, status.message()));
  };
  std::string prefix = resource.storagePrefix();
  if (!filter.namespace_.empty() && resource.namespaced) prefix += filter.namespace_ + "/";
  auto watch = deps.store.watch(prefix, from, on_events, on_error);
  if (!watch.isOk()) {
    deps.store_watches.fetch_sub(1);
    return watch.status();
  }
  std::shared_ptr<store::Watch> held = std::move(watch).value();
  auto* counter = &deps.store_watches;
  on_close.set([held, counter] {
    // Cancelling joins the store's watch thread; never do that on an I/O thread.
    std::thread([held, counter] {
      held->cancel();
      counter->fetch_sub(1);
    }).detach();
  });
  return Status::ok();
}

}  // namespace

void startWatchStream(WatchStreamDeps deps, const api::ResourceInfo& resource,
                      WatchFilter filter, int64_t from_revision, WatchStreamOptions options,
                      std::shared_ptr<ResponseStream> stream) {
  auto session = std::make_shared<WatchSession>(resource, options, deps.clock, stream);
  auto on_close = std::make_shared<CloseActions>();
  auto* open = &deps.open_watches;
  open->fetch_add(1);
  stream->setOnClose([on_close, open] {
    on_close->run();
    open->fetch_sub(1);
  });
  deps.timeouts.add(std::chrono::steady_clock::now() + options.timeout, stream);
  WatchCache* cache = &deps.cache;
  auto registered = cache->addWatcher(filter, from_revision, session);
  if (registered.isOk()) {
    uint64_t id = *registered;
    on_close->set([cache, id] { cache->removeWatcher(id); });
    return;
  }
  if (registered.status().code() == Code::kGone) {
    Status s = startStoreWatch(deps, resource, filter, from_revision, session, *on_close);
    if (s.isOk()) return;
    session->sendExpired(s.code() == Code::kGone ? s : Status(Code::kGone, s.message()));
    return;
  }
  session->sendExpired(registered.status());
}

}  // namespace minik8s::apiserver
