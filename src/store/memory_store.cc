#include "store/memory_store.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <thread>
#include <utility>

namespace minik8s::store {

namespace {

bool hasPrefix(const std::string& key, const std::string& prefix) {
  return key.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

// What a watch thread and the store share. The thread holds a shared_ptr, so a watch
// cancelled from inside its own callback can detach safely.
struct MemoryStore::WatchState {
  std::string prefix;
  int64_t after_revision = 0;  // events at or below it are not delivered
  WatchCallback on_events;
  WatchErrorCallback on_error;

  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::vector<WatchEvent>> queue;  // GUARDED_BY(mu)
  std::optional<Status> error;                // GUARDED_BY(mu)
  bool stopped = false;                       // GUARDED_BY(mu)

  void push(std::vector<WatchEvent> batch) {
    {
      std::lock_guard lock(mu);
      if (stopped) return;
      queue.push_back(std::move(batch));
    }
    cv.notify_one();
  }

  void fail(Status status) {
    {
      std::lock_guard lock(mu);
      if (stopped || error) return;
      error = std::move(status);
    }
    cv.notify_one();
  }

  void run() {
    for (;;) {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return stopped || !queue.empty() || error.has_value(); });
      if (stopped) return;
      if (!queue.empty()) {
        std::vector<WatchEvent> batch = std::move(queue.front());
        queue.pop_front();
        lock.unlock();
        on_events(batch);
        continue;
      }
      Status status = *error;
      stopped = true;
      lock.unlock();
      if (on_error) on_error(status);
      return;
    }
  }
};

class MemoryStore::MemoryWatch : public Watch {
 public:
  explicit MemoryWatch(std::shared_ptr<WatchState> state) : state_(std::move(state)) {
    thread_ = std::thread([s = state_] { s->run(); });
  }
  ~MemoryWatch() override { cancel(); }

  void cancel() override {
    {
      std::lock_guard lock(state_->mu);
      state_->stopped = true;
      state_->queue.clear();
    }
    state_->cv.notify_one();
    if (!thread_.joinable()) return;
    if (thread_.get_id() == std::this_thread::get_id()) {
      thread_.detach();  // cancelled from its own callback; the thread exits after it
    } else {
      thread_.join();
    }
  }

 private:
  std::shared_ptr<WatchState> state_;
  std::thread thread_;
};

MemoryStore::MemoryStore(Clock& clock) : clock_(clock) {}

MemoryStore::~MemoryStore() = default;

const KeyValue* MemoryStore::currentLocked(const std::string& key) const {
  auto it = keys_.find(key);
  if (it == keys_.end() || it->second.empty() || !it->second.back().kv) return nullptr;
  return &*it->second.back().kv;
}

Status MemoryStore::checkLeaseLocked(int64_t lease) const {
  if (lease != 0 && !leases_.contains(lease)) {
    return notFound("lease " + std::to_string(lease) + " not found");
  }
  return Status::ok();
}

int64_t MemoryStore::putLocked(const std::string& key, const std::string& value, int64_t lease) {
  int64_t rev = ++revision_;
  const KeyValue* cur = currentLocked(key);
  std::optional<KeyValue> prev;
  if (cur) prev = *cur;
  if (prev && prev->lease != 0 && prev->lease != lease) {
    if (auto l = leases_.find(prev->lease); l != leases_.end()) l->second.keys.erase(key);
  }
  if (lease != 0) leases_[lease].keys.insert(key);

  KeyValue kv;
  kv.key = key;
  kv.value = value;
  kv.create_revision = prev ? prev->create_revision : rev;
  kv.mod_revision = rev;
  kv.lease = lease;
  keys_[key].push_back(Version{rev, kv});

  WatchEvent ev;
  ev.type = EventType::kPut;
  ev.kv = kv;
  ev.prev = std::move(prev);
  publishLocked({std::move(ev)});
  return rev;
}

void MemoryStore::deleteLocked(const std::string& key, int64_t revision,
                               std::vector<WatchEvent>* events) {
  const KeyValue* cur = currentLocked(key);
  if (!cur) return;
  WatchEvent ev;
  ev.type = EventType::kDelete;
  ev.kv.key = key;
  ev.kv.mod_revision = revision;
  ev.prev = *cur;
  if (cur->lease != 0) {
    if (auto l = leases_.find(cur->lease); l != leases_.end()) l->second.keys.erase(key);
  }
  keys_[key].push_back(Version{revision, std::nullopt});
  events->push_back(std::move(ev));
}

void MemoryStore::publishLocked(std::vector<WatchEvent> events) {
  if (events.empty()) return;
  history_.insert(history_.end(), events.begin(), events.end());
  std::erase_if(watchers_, [](const std::weak_ptr<WatchState>& w) { return w.expired(); });
  for (const auto& weak : watchers_) {
    auto w = weak.lock();
    if (!w) continue;
    std::vector<WatchEvent> mine;
    for (const auto& ev : events) {
      if (ev.kv.mod_revision > w->after_revision && hasPrefix(ev.kv.key, w->prefix)) {
        mine.push_back(ev);
      }
    }
    if (!mine.empty()) w->push(std::move(mine));
  }
}

void MemoryStore::expireLeasesLocked() {
  Clock::Instant now = clock_.monotonic();
  for (auto it = leases_.begin(); it != leases_.end();) {
    if (it->second.expiry > now) {
      ++it;
      continue;
    }
    std::set<std::string> keys = std::move(it->second.keys);
    it = leases_.erase(it);
    if (keys.empty()) continue;
    int64_t rev = ++revision_;
    std::vector<WatchEvent> events;
    for (const auto& key : keys) deleteLocked(key, rev, &events);
    publishLocked(std::move(events));
  }
}

Status MemoryStore::checkAvailableLocked() const {
  if (unavailable_) return unavailable("memory store: unavailable (injected fault)");
  return Status::ok();
}

void MemoryStore::breakWatches(const Status& status) {
  std::lock_guard lock(mu_);
  for (const auto& weak : watchers_) {
    if (auto state = weak.lock()) state->fail(status);
  }
  watchers_.clear();
}

void MemoryStore::setUnavailable(bool unavailable) {
  std::lock_guard lock(mu_);
  unavailable_ = unavailable;
}

void MemoryStore::expireLeases() {
  std::lock_guard lock(mu_);
  expireLeasesLocked();
}

Result<KeyValue> MemoryStore::get(const std::string& key) {
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(checkAvailableLocked());
  expireLeasesLocked();
  const KeyValue* cur = currentLocked(key);
  if (!cur) return notFound("key " + key + " not found");
  return *cur;
}

Result<ListResult> MemoryStore::list(const std::string& prefix, int64_t revision) {
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(checkAvailableLocked());
  expireLeasesLocked();
  if (revision > revision_)
    return badRequest("revision " + std::to_string(revision) + " is a future revision");
  if (revision != 0 && revision < compacted_) {
    return gone("revision " + std::to_string(revision) + " has been compacted");
  }
  ListResult result;
  result.revision = revision == 0 ? revision_ : revision;
  for (auto it = keys_.lower_bound(prefix); it != keys_.end() && hasPrefix(it->first, prefix);
       ++it) {
    const auto& versions = it->second;
    auto v = std::upper_bound(versions.begin(), versions.end(), result.revision,
                              [](int64_t rev, const Version& ver) { return rev < ver.revision; });
    if (v == versions.begin()) continue;
    --v;
    if (v->kv) result.items.push_back(*v->kv);
  }
  return result;
}

Result<int64_t> MemoryStore::create(const std::string& key, const std::string& value,
                                    int64_t lease) {
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(checkAvailableLocked());
  expireLeasesLocked();
  if (currentLocked(key)) return alreadyExists("key " + key + " already exists");
  RETURN_IF_ERROR(checkLeaseLocked(lease));
  return putLocked(key, value, lease);
}

Result<int64_t> MemoryStore::update(const std::string& key, const std::string& value,
                                    int64_t expected_revision, int64_t lease) {
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(checkAvailableLocked());
  expireLeasesLocked();
  const KeyValue* cur = currentLocked(key);
  if (!cur) return notFound("key " + key + " not found");
  if (expected_revision != 0 && cur->mod_revision != expected_revision) {
    return conflict("key " + key + " has revision " + std::to_string(cur->mod_revision) + ", not " +
                    std::to_string(expected_revision));
  }
  RETURN_IF_ERROR(checkLeaseLocked(lease));
  return putLocked(key, value, lease);
}

Result<KeyValue> MemoryStore::remove(const std::string& key, int64_t expected_revision) {
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(checkAvailableLocked());
  expireLeasesLocked();
  const KeyValue* cur = currentLocked(key);
  if (!cur) return notFound("key " + key + " not found");
  if (expected_revision != 0 && cur->mod_revision != expected_revision) {
    return conflict("key " + key + " has revision " + std::to_string(cur->mod_revision) + ", not " +
                    std::to_string(expected_revision));
  }
  KeyValue old = *cur;
  int64_t rev = ++revision_;
  std::vector<WatchEvent> events;
  deleteLocked(key, rev, &events);
  publishLocked(std::move(events));
  return old;
}

Result<std::unique_ptr<Watch>> MemoryStore::watch(const std::string& prefix, int64_t after_revision,
                                                  WatchCallback on_events,
                                                  WatchErrorCallback on_error) {
  auto state = std::make_shared<WatchState>();
  state->prefix = prefix;
  state->after_revision = after_revision;
  state->on_events = std::move(on_events);
  state->on_error = std::move(on_error);

  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(checkAvailableLocked());
  expireLeasesLocked();
  if (after_revision != 0 && after_revision + 1 < compacted_) {
    state->fail(gone("revision " + std::to_string(after_revision + 1) +
                     " has been compacted (compact revision " + std::to_string(compacted_) + ")"));
  } else if (after_revision != 0) {
    // Replay history in batches of one revision, as etcd does.
    std::vector<WatchEvent> batch;
    for (const auto& ev : history_) {
      if (ev.kv.mod_revision <= after_revision || !hasPrefix(ev.kv.key, prefix)) continue;
      if (!batch.empty() && batch.back().kv.mod_revision != ev.kv.mod_revision) {
        state->push(std::move(batch));
        batch.clear();
      }
      batch.push_back(ev);
    }
    if (!batch.empty()) state->push(std::move(batch));
    watchers_.push_back(state);
  } else {
    watchers_.push_back(state);
  }
  return std::unique_ptr<Watch>(std::make_unique<MemoryWatch>(std::move(state)));
}

Status MemoryStore::compact(int64_t revision) {
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(checkAvailableLocked());
  expireLeasesLocked();
  if (revision > revision_) {
    return badRequest("revision " + std::to_string(revision) + " is a future revision");
  }
  if (revision <= compacted_) {
    return gone("revision " + std::to_string(revision) + " has been compacted");
  }
  compacted_ = revision;
  for (auto it = keys_.begin(); it != keys_.end();) {
    auto& versions = it->second;
    // Keep the newest version at or below the compact revision, unless it is a deletion.
    auto keep = std::upper_bound(versions.begin(), versions.end(), revision,
                                 [](int64_t rev, const Version& v) { return rev < v.revision; });
    if (keep != versions.begin()) {
      --keep;
      if (!keep->kv) ++keep;
      versions.erase(versions.begin(), keep);
    }
    it = versions.empty() ? keys_.erase(it) : std::next(it);
  }
  std::erase_if(history_, [&](const WatchEvent& ev) { return ev.kv.mod_revision < revision; });
  return Status::ok();
}

Result<int64_t> MemoryStore::currentRevision() {
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(checkAvailableLocked());
  expireLeasesLocked();
  return revision_;
}

Result<int64_t> MemoryStore::grantLease(int64_t ttl_seconds) {
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(checkAvailableLocked());
  expireLeasesLocked();
  int64_t id = next_lease_id_++;
  Lease& lease = leases_[id];
  lease.ttl_seconds = std::max<int64_t>(ttl_seconds, 1);
  lease.expiry = clock_.monotonic() + std::chrono::seconds(lease.ttl_seconds);
  return id;
}

Status MemoryStore::keepAliveLease(int64_t lease_id) {
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(checkAvailableLocked());
  expireLeasesLocked();
  auto it = leases_.find(lease_id);
  if (it == leases_.end()) return notFound("lease " + std::to_string(lease_id) + " not found");
  it->second.expiry = clock_.monotonic() + std::chrono::seconds(it->second.ttl_seconds);
  return Status::ok();
}

Status MemoryStore::revokeLease(int64_t lease_id) {
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(checkAvailableLocked());
  expireLeasesLocked();
  auto it = leases_.find(lease_id);
  if (it == leases_.end()) return notFound("lease " + std::to_string(lease_id) + " not found");
  std::set<std::string> keys = std::move(it->second.keys);
  leases_.erase(it);
  if (keys.empty()) return Status::ok();
  int64_t rev = ++revision_;
  std::vector<WatchEvent> events;
  for (const auto& key : keys) deleteLocked(key, rev, &events);
  publishLocked(std::move(events));
  return Status::ok();
}

}  // namespace minik8s::store
