// Store: the key-value interface the apiserver persists objects through.
//
// Values are opaque bytes (the apiserver stores JSON). Every write returns the new
// revision, which becomes the object's resourceVersion. Implementations: EtcdStore (etcd
// v3 over gRPC, the only one used for running) and MemoryStore (unit tests only). All
// methods are thread-safe and blocking; callers must not call them on an I/O thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace minik8s::store {

struct KeyValue {
  std::string key;
  std::string value;
  int64_t create_revision = 0;
  int64_t mod_revision = 0;  // the object's resourceVersion
  int64_t lease = 0;
};

struct ListResult {
  std::vector<KeyValue> items;  // ordered by key
  int64_t revision = 0;         // the store revision the list was read at
};

enum class EventType { kPut, kDelete };

struct WatchEvent {
  EventType type = EventType::kPut;
  KeyValue kv;                   // for kDelete: key and mod_revision (= the delete revision)
  std::optional<KeyValue> prev;  // previous value, when the store has it
};

// One batch of events as delivered by the store, all with the same revision or increasing.
using WatchCallback = std::function<void(const std::vector<WatchEvent>&)>;
// Called once when a watch ends for a reason other than cancellation, e.g. kGone when the
// start revision was compacted, kUnavailable when the connection broke.
using WatchErrorCallback = std::function<void(const Status&)>;

// A running watch. Destroying it (or calling cancel) stops delivery; after cancel returns
// no callback runs any more.
class Watch {
 public:
  virtual ~Watch() = default;
  virtual void cancel() = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // kNotFound when absent.
  virtual Result<KeyValue> get(const std::string& key) = 0;

  // Every key with the given prefix. revision 0 means the latest; an older revision reads
  // a consistent snapshot (kGone when compacted).
  virtual Result<ListResult> list(const std::string& prefix, int64_t revision = 0) = 0;

  // Creates the key if absent (kAlreadyExists otherwise); returns the new revision.
  virtual Result<int64_t> create(const std::string& key, const std::string& value,
                                 int64_t lease = 0) = 0;

  // Replaces the value if the key's mod_revision equals expected_revision (kConflict
  // otherwise, kNotFound when absent); expected_revision 0 means unconditional (the key
  // must still exist). Returns the new revision.
  virtual Result<int64_t> update(const std::string& key, const std::string& value,
                                 int64_t expected_revision, int64_t lease = 0) = 0;

  // Deletes the key if its mod_revision equals expected_revision (0: unconditional).
  // Returns the deleted pair as it was (kNotFound when absent, kConflict when stale).
  virtual Result<KeyValue> remove(const std::string& key, int64_t expected_revision = 0) = 0;

  // Delivers every change under prefix with a revision greater than after_revision
  // (0: from now on). Callbacks run on a thread owned by the store, in revision order.
  // A compacted after_revision is reported through on_error(kGone), not as the result;
  // a store that cannot be reached at all may fail the call itself (kUnavailable).
  virtual Result<std::unique_ptr<Watch>> watch(const std::string& prefix, int64_t after_revision,
                                               WatchCallback on_events,
                                               WatchErrorCallback on_error) = 0;

  // Drops history up to and including revision (reads and watches below it get kGone).
  virtual Status compact(int64_t revision) = 0;

  // The current store revision.
  virtual Result<int64_t> currentRevision() = 0;

  // Leases: keys written with a lease vanish when it expires.
  virtual Result<int64_t> grantLease(int64_t ttl_seconds) = 0;
  virtual Status keepAliveLease(int64_t lease_id) = 0;
  virtual Status revokeLease(int64_t lease_id) = 0;
};

}  // namespace minik8s::store
