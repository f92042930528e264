#include "apiserver/watch_cache.h"

#include <thread>

#include "common/log.h"

namespace minik8s::apiserver {

using nlohmann::json;

const char* watchEventTypeName(WatchEventType type) {
  switch (type) {
    case WatchEventType::kAdded: return "ADDED";
    case WatchEventType::kModified: return "MODIFIED";
    case WatchEventType::kDeleted: return "DELETED";
  }
  return "ERROR";
}

json selectableAttributes(const json& object) {
  json attrs = json::object();
  auto copy = [&](const char* section, const char* field) {
    auto s = object.find(section);
    if (s == object.end() || !s->is_object()) return;
    auto f = s->find(field);
    if (f != s->end()) attrs[section][field] = *f;
  };
  copy("metadata", "name");
  copy("metadata", "namespace");
  copy("metadata", "labels");
  copy("spec", "nodeName");
  copy("spec", "schedulerName");
  copy("spec", "restartPolicy");
  copy("spec", "serviceAccountName");
  copy("status", "nominatedNodeName");
  copy("status", "replicas");
  copy("spec", "unschedulable");
  copy("status", "phase");
  copy("status", "podIP");
  for (const char* top : {"involvedObject", "reason", "source", "type", "reportingComponent"}) {
    auto f = object.find(top);
    if (f != object.end()) attrs[top] = *f;
  }
  return attrs;
}

CachedObjectPtr makeCachedObject(const std::string& key, const std::string& value,
                                 int64_t revision) {
  json object = json::parse(value, nullptr, /*allow_exceptions=*/false);
  if (!object.is_object()) return nullptr;
  object["metadata"]["resourceVersion"] = std::to_string(revision);
  auto cached = std::make_shared<CachedObject>();
  cached->key = key;
  cached->revision = revision;
  cached->attrs = selectableAttributes(object);
  cached->json = object.dump();
  return cached;
}

WatchCache::WatchCache(store::Store& store, const api::ResourceInfo& resource,
                       std::string key_prefix, WatchCacheOptions options, Clock& clock)
    : store_(store),
      resource_(resource),
      key_prefix_(std::move(key_prefix)),
      options_(options),
      clock_(clock) {}

WatchCache::~WatchCache() {
  stop();
}

Status WatchCache::start() {
  return relist();
}

void WatchCache::requestStop() {
  {
    std::lock_guard lock(mu_);
    stopped_ = true;
  }
  std::lock_guard lock(recovery_mu_);
  recovery_thread_.request_stop();
}

void WatchCache::stop() {
  std::map<uint64_t, Watcher> watchers;
  {
    std::lock_guard lock(mu_);
    stopped_ = true;
    watchers.swap(watchers_);
  }
  std::jthread recovery;
  {
    std::lock_guard lock(recovery_mu_);
    recovery = std::move(recovery_thread_);
  }
  recovery = std::jthread();  // asks a pending recovery to stop and joins it
  {
    std::lock_guard lock(watch_mu_);
    if (watch_) watch_->cancel();
    watch_.reset();
    watching_ = false;
  }
  for (auto& [id, w] : watchers) w.sink->close();
  revision_cv_.notify_all();
}

bool WatchCache::watching() const {
  return watching_;
}

Status WatchCache::relist() {
  std::lock_guard watch_lock(watch_mu_);
  if (watch_) {
    watch_->cancel();
    watch_.reset();
  }
  ASSIGN_OR_RETURN(store::ListResult listed, store_.list(key_prefix_));
  std::map<std::string, CachedObjectPtr> objects;
  for (const auto& kv : listed.items) {
    auto cached = makeCachedObject(kv.key, kv.value, kv.mod_revision);
    if (!cached) {
      log::warn("watch cache {}: skipping undecodable value at {}", resource_.plural, kv.key);
      continue;
    }
    objects.emplace(kv.key, std::move(cached));
  }
  std::map<uint64_t, Watcher> dropped;
  {
    std::lock_guard lock(mu_);
    if (stopped_) return Status::ok();
    objects_ = std::move(objects);
    history_.clear();
    revision_ = std::max(revision_, listed.revision);
    oldest_revision_ = listed.revision;
    dropped.swap(watchers_);
  }
  for (auto& [id, w] : dropped) w.sink->close();
  revision_cv_.notify_all();
  auto watch = store_.watch(
      key_prefix_, listed.revision, [this](const auto& events) { onEvents(events); },
      [this](const Status& status) { onWatchError(status); });
  if (!watch.isOk()) return watch.status();
  watch_ = std::move(watch).value();
  watching_ = true;
  return Status::ok();
}

Status WatchCache::resumeWatch() {
  std::lock_guard watch_lock(watch_mu_);
  if (watch_) {
    watch_->cancel();
    watch_.reset();
  }
  int64_t after = 0;
  {
    std::lock_guard lock(mu_);
    if (stopped_) return Status::ok();
    after = revision_;
  }
  // The watch's thread has delivered everything up to the break, so `after` is exactly
  // where the stream stopped; etcd replays the rest (or reports kGone when compacted).
  auto watch = store_.watch(
      key_prefix_, after, [this](const auto& events) { onEvents(events); },
      [this](const Status& status) { onWatchError(status); });
  if (!watch.isOk()) return watch.status();
  watch_ = std::move(watch).value();
  watching_ = true;
  log::info("watch cache {}: etcd watch resumed after revision {}", resource_.plural, after);
  return Status::ok();
}

void WatchCache::onWatchError(const Status& status) {
  watching_ = false;
  const bool compacted = status.code() == Code::kGone;
  log::warn("watch cache {}: etcd watch ended: {}; {}", resource_.plural, status.toString(),
            compacted ? "re-listing" : "resuming it");
  std::lock_guard recovery_lock(recovery_mu_);
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
  }
  // Recover on our own thread: the store's callback thread must not cancel its own watch.
  recovery_thread_ = std::jthread(
      [this, compacted](std::stop_token stop) { recover(std::move(stop), compacted); });
}

void WatchCache::recover(std::stop_token stop, bool compacted) {
  auto backoff = std::chrono::milliseconds(50);
  bool must_relist = compacted;
  std::mutex wait_mu;
  std::condition_variable_any wait_cv;
  while (!stop.stop_requested()) {
    Status s = must_relist ? relist() : resumeWatch();
    if (s.isOk()) return;
    if (s.code() == Code::kGone && !must_relist) {
      must_relist = true;  // etcd compacted past our revision: only a re-list can help
      continue;
    }
    log::warn("watch cache {}: {} failed: {}", resource_.plural,
              must_relist ? "re-list" : "resuming the watch", s.toString());
    std::unique_lock lock(wait_mu);
    wait_cv.wait_for(lock, stop, backoff, [] { return false; });
    backoff = std::min(backoff * 2, kMaxRecoveryBackoff);
  }
}

void WatchCache::onEvents(const std::vector<store::WatchEvent>& events) {
  std::lock_guard lock(mu_);
  if (stopped_) return;
  auto now = clock_.monotonic();
  for (const auto& e : events) {
    if (e.kv.mod_revision <= revision_ && e.type == store::EventType::kPut) continue;
    auto prev_it = objects_.find(e.kv.key);
    CachedObjectPtr prev = prev_it == objects_.end() ? nullptr : prev_it->second;
    Event event{};
    event.revision = e.kv.mod_revision;
    event.at = now;
    event.prev = prev;
    if (e.type == store::EventType::kPut) {
      auto cached = makeCachedObject(e.kv.key, e.kv.value, e.kv.mod_revision);
      if (!cached) continue;
      event.type = prev ? WatchEventType::kModified : WatchEventType::kAdded;
      event.object = cached;
      objects_[e.kv.key] = cached;
    } else {
      if (!prev) continue;
      // The last state, stamped with the deletion revision, as Kubernetes sends it.
      auto last = prev->json;
      event.type = WatchEventType::kDeleted;
      event.object = makeCachedObject(e.kv.key, last, e.kv.mod_revision);
      objects_.erase(prev_it);
      if (!event.object) continue;
    }
    revision_ = std::max(revision_, event.revision);
    history_.push_back(event);
    dispatchLocked(history_.back());
  }
  trimHistoryLocked();
  revision_cv_.notify_all();
}

void WatchCache::trimHistoryLocked() {
  auto now = clock_.monotonic();
  while (history_.size() > options_.history_capacity &&
         (history_.size() > options_.history_hard_limit ||
          now - history_.front().at > options_.history_min_age)) {
    oldest_revision_ = history_.front().revision;
    history_.pop_front();
  }
}

bool filterAccepts(const WatchFilter& filter, const CachedObjectPtr& object) {
  if (!object) return false;
  if (!filter.namespace_.empty()) {
    auto md = object->attrs.find("metadata");
    if (md == object->attrs.end()) return false;
    auto ns = md->find("namespace");
    if (ns == md->end() || !ns->is_string() ||
        ns->get_ref<const std::string&>() != filter.namespace_) {
      return false;
    }
  }
  return !filter.matches || filter.matches(object->attrs);
}

bool WatchCache::sendLocked(uint64_t, Watcher& w, const Event& event) {
  if (event.revision <= w.after_revision) return true;
  bool now_matches = filterAccepts(w.filter, event.object);
  bool was_matching = event.type != WatchEventType::kAdded && filterAccepts(w.filter, event.prev);
  switch (event.type) {
    case WatchEventType::kAdded:
      return now_matches ? w.sink->deliver(WatchEventType::kAdded, event.object) : true;
    case WatchEventType::kModified:
      if (now_matches && was_matching)
        return w.sink->deliver(WatchEventType::kModified, event.object);
      if (now_matches) return w.sink->deliver(WatchEventType::kAdded, event.object);
      if (was_matching) return w.sink->deliver(WatchEventType::kDeleted, event.object);
      return true;
    case WatchEventType::kDeleted:
      return (was_matching || now_matches) ? w.sink->deliver(WatchEventType::kDeleted, event.object)
                                           : true;
  }
  return true;
}

void WatchCache::dispatchLocked(const Event& event) {
  for (auto it = watchers_.begin(); it != watchers_.end();) {
    if (!sendLocked(it->first, it->second, event)) {
      it->second.sink->close();
      it = watchers_.erase(it);
    } else {
      ++it;
    }
  }
}

WatchCache::Snapshot WatchCache::list(const WatchFilter& filter) const {
  Snapshot snap;
  std::lock_guard lock(mu_);
  snap.revision = revision_;
  std::string prefix = key_prefix_;
  if (!filter.namespace_.empty()) prefix += filter.namespace_ + "/";
  for (auto it = objects_.lower_bound(prefix); it != objects_.end(); ++it) {
    if (it->first.compare(0, prefix.size(), prefix) != 0) break;
    if (filterAccepts(filter, it->second)) snap.objects.push_back(it->second);
  }
  return snap;
}

CachedObjectPtr WatchCache::get(const std::string& key) const {
  std::lock_guard lock(mu_);
  auto it = objects_.find(key);
  return it == objects_.end() ? nullptr : it->second;
}

int64_t WatchCache::revision() const {
  std::lock_guard lock(mu_);
  return revision_;
}

int64_t WatchCache::oldestRevision() const {
  std::lock_guard lock(mu_);
  return oldest_revision_;
}

bool WatchCache::waitForRevision(int64_t revision, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  return revision_cv_.wait_for(lock, timeout, [&] { return stopped_ || revision_ >= revision; }) &&
         revision_ >= revision;
}

Result<uint64_t> WatchCache::addWatcher(const WatchFilter& filter, int64_t from_revision,
                                        std::shared_ptr<WatchSink> sink) {
  std::lock_guard lock(mu_);
  if (stopped_) return unavailable("watch cache is stopped");
  if (from_revision >= 0 && from_revision < oldest_revision_) {
    return gone("too old resource version: " + std::to_string(from_revision) + " (" +
                std::to_string(oldest_revision_) + ")");
  }
  uint64_t id = next_watcher_id_++;
  Watcher w{filter, std::move(sink), from_revision};
  if (from_revision < 0) {
    for (const auto& [key, object] : objects_) {
      if (filterAccepts(w.filter, object) && !w.sink->deliver(WatchEventType::kAdded, object)) {
        w.sink->close();
        return id;
      }
    }
  } else {
    for (const auto& event : history_) {
      if (event.revision <= from_revision) continue;
      if (!sendLocked(id, w, event)) {
        w.sink->close();
        return id;
      }
    }
  }
  watchers_.emplace(id, std::move(w));
  return id;
}

void WatchCache::removeWatcher(uint64_t id) {
  std::lock_guard lock(mu_);
  watchers_.erase(id);
}

size_t WatchCache::watcherCount() const {
  std::lock_guard lock(mu_);
  return watchers_.size();
}

}  // namespace minik8s::apiserver
