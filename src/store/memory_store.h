// MemoryStore: the Store contract in memory, for unit tests of other modules.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/clock.h"
#include "store/store.h"

namespace minik8s::store {

// An in-memory multi-version store with etcd's semantics: revisions start at 1 and every
// write transaction bumps them by one; history is kept until compact(); leases expire on
// the injected Clock. Thread-safe. Each watch delivers on its own thread, in revision
// order. Lease expiry is checked at the start of every call (and by expireLeases()), so a
// test advances its FakeClock and then calls any method to see expired keys vanish.
class MemoryStore : public Store {
 public:
  explicit MemoryStore(Clock& clock = Clock::real());
  ~MemoryStore() override;

  MemoryStore(const MemoryStore&) = delete;
  MemoryStore& operator=(const MemoryStore&) = delete;

  Result<KeyValue> get(const std::string& key) override;
  Result<ListResult> list(const std::string& prefix, int64_t revision = 0) override;
  Result<int64_t> create(const std::string& key, const std::string& value,
                         int64_t lease = 0) override;
  Result<int64_t> update(const std::string& key, const std::string& value,
                         int64_t expected_revision, int64_t lease = 0) override;
  Result<KeyValue> remove(const std::string& key, int64_t expected_revision = 0) override;
  Result<std::unique_ptr<Watch>> watch(const std::string& prefix, int64_t after_revision,
                                       WatchCallback on_events,
                                       WatchErrorCallback on_error) override;
  Status compact(int64_t revision) override;
  Result<int64_t> currentRevision() override;
  Result<int64_t> grantLease(int64_t ttl_seconds) override;
  Status keepAliveLease(int64_t lease_id) override;
  Status revokeLease(int64_t lease_id) override;

  // Deletes the keys of every lease whose TTL has passed on the clock.
  void expireLeases();

  // Fault injection for tests of the store's users, as when etcd dies and comes back:
  // breakWatches ends every open watch with on_error(status); while unavailable, every
  // call (and a new watch) fails with kUnavailable and the data stays as it was.
  void breakWatches(const Status& status);
  void setUnavailable(bool unavailable);

 private:
  struct Version {
    int64_t revision = 0;
    std::optional<KeyValue> kv;  // nullopt: deleted at `revision`
  };
  struct Lease {
    int64_t ttl_seconds = 0;
    Clock::Instant expiry;
    std::set<std::string> keys;
  };
  struct WatchState;
  class MemoryWatch;

  // REQUIRES: mu_ is held (for all *Locked methods).
  const KeyValue* currentLocked(const std::string& key) const;
  Status checkLeaseLocked(int64_t lease) const;
  Status checkAvailableLocked() const;
  int64_t putLocked(const std::string& key, const std::string& value, int64_t lease);
  void deleteLocked(const std::string& key, int64_t revision, std::vector<WatchEvent>* events);
  void publishLocked(std::vector<WatchEvent> events);
  void expireLeasesLocked();

  Clock& clock_;
  std::mutex mu_;
  int64_t revision_ = 1;          // GUARDED_BY(mu_)
  bool unavailable_ = false;      // GUARDED_BY(mu_)
  int64_t compacted_ = 0;         // GUARDED_BY(mu_)
  int64_t next_lease_id_ = 7001;  // GUARDED_BY(mu_)
  // Every key's versions, oldest first. GUARDED_BY(mu_)
  std::map<std::string, std::vector<Version>> keys_;
  std::vector<WatchEvent> history_;  // events with revision >= compacted_. GUARDED_BY(mu_)
  std::map<int64_t, Lease> leases_;  // GUARDED_BY(mu_)
  std::vector<std::weak_ptr<WatchState>> watchers_;  // GUARDED_BY(mu_)
};

}  // namespace minik8s::store
