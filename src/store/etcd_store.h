// EtcdStore: the Store contract over etcd v3 gRPC. No gRPC header leaks from here.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "store/store.h"

namespace minik8s::store {

struct EtcdStoreOptions {
  // Deadline of every unary call (and of a lease keep-alive round trip).
  std::chrono::milliseconds call_timeout{5000};
  // How long connect() waits for an endpoint to answer.
  std::chrono::milliseconds connect_timeout{10000};
};

// A client of one etcd endpoint (the first reachable one given to connect). Owns one gRPC
// channel; every watch owns one bidi Watch stream and one thread that runs its callbacks.
// Thread-safe. Watches keep the channel alive, so they may outlive the store.
class EtcdStore : public Store {
 public:
  // endpoints: "http://127.0.0.1:2379" (the scheme may be left out; https is not
  // supported). Tries them in turn until one answers a Range or connect_timeout passes
  // (kUnavailable then).
  static Result<std::unique_ptr<EtcdStore>> connect(const std::vector<std::string>& endpoints,
                                                    EtcdStoreOptions options = {});
  ~EtcdStore() override;

  EtcdStore(const EtcdStore&) = delete;
  EtcdStore& operator=(const EtcdStore&) = delete;

  // Cancels every call in flight and fails every later one with kUnavailable at once:
  // a hung etcd cannot hold up its owner's shutdown. Watches are not affected.
  void shutdown();

  // The endpoint in use, as given to connect().
  const std::string& endpoint() const;

  Result<KeyValue> get(const std::string& key) override;
  Result<ListResult> list(const std::string& prefix, int64_t revision = 0) override;
  Result<int64_t> create(const std::string& key, const std::string& value,
                         int64_t lease = 0) override;
  Result<int64_t> update(const std::string& key, const std::string& value,
                         int64_t expected_revision, int64_t lease = 0) override;
  Result<KeyValue> remove(const std::string& key, int64_t expected_revision = 0) override;
  // One Watch stream per call, started at after_revision + 1 with prev_kv. Returns once etcd
  // confirmed the watch (so "from now on" misses nothing written after the return). A
  // compacted start revision is reported as on_error(kGone), a broken stream as
  // on_error(kUnavailable).
  Result<std::unique_ptr<Watch>> watch(const std::string& prefix, int64_t after_revision,
                                       WatchCallback on_events,
                                       WatchErrorCallback on_error) override;
  Status compact(int64_t revision) override;
  Result<int64_t> currentRevision() override;
  // etcd rounds TTLs up to its minimum (2 s with default election settings).
  Result<int64_t> grantLease(int64_t ttl_seconds) override;
  // One round trip on a short-lived LeaseKeepAlive stream; kNotFound when expired.
  Status keepAliveLease(int64_t lease_id) override;
  Status revokeLease(int64_t lease_id) override;

  struct Impl;  // defined in etcd_store.cc

 private:
  explicit EtcdStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// "/registry/pods/" -> "/registry/pods0": the end of the key range holding every key with
// the given prefix (the last byte below 0xff incremented; "\0" for an all-0xff prefix).
std::string prefixRangeEnd(const std::string& prefix);

}  // namespace minik8s::store
