// ClusterRecords: keeps the DNS Records in step with the cluster. It registers handlers on
// the shared informers of Services, EndpointSlices, Pods and the original's Dns kind (one
// watch each per process); any event marks the records stale, and its own thread rebuilds them with the pure
// buildRecords() from the informer caches and publishes the result. Events that arrive
// during a rebuild are folded into the next one, so a burst costs one or two rebuilds.
// Thread-safe; construct before the factory starts, start() after.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "api/types_core.h"
#include "api/types_discovery.h"
#include "client/informer.h"
#include "dns/records.h"

namespace minik8s::dns {

class ClusterRecords {
 public:
  using Publish = std::function<void(std::shared_ptr<const Records>)>;

  ClusterRecords(client::SharedInformerFactory& informers, std::string zone, uint32_t ttl,
                 Publish publish);
  ~ClusterRecords() { stop(); }

  // Starts the rebuild thread (the first rebuild comes with the informers' first lists).
  void start();
  void stop();
  // Rebuilds from the caches now and publishes (on the caller's thread).
  void rebuildNow();
  uint64_t rebuilds() const;

 private:
  void markStale();

  client::Informer<api::Service>& services_;
  client::Informer<api::EndpointSlice>& slices_;
  client::Informer<api::Pod>& pods_;
  client::Informer<api::Dns>& dnses_;
  const std::string zone_;
  const uint32_t ttl_;
  Publish publish_;
  mutable std::mutex mu_;
  std::condition_variable_any cv_;
  bool stale_ = true;      // GUARDED_BY(mu_)
  uint64_t rebuilds_ = 0;  // GUARDED_BY(mu_)
  std::jthread thread_;
};

}  // namespace minik8s::dns
