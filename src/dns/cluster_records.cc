#include "dns/cluster_records.h"

#include "api/scheme.h"
#include "common/log.h"
#include "dns/informer_events.h"

namespace minik8s::dns {
namespace {

const api::ResourceInfo& resourceOf(std::string_view group, std::string_view plural) {
  const api::ResourceInfo* info = api::findResource(group, "v1", plural);
  if (!info) {
    log::error("dns: the scheme has no {}/v1 {}", group, plural);
    std::abort();
  }
  return *info;
}

}  // namespace

ClusterRecords::ClusterRecords(client::SharedInformerFactory& informers, std::string zone,
                               uint32_t ttl, Publish publish)
    : services_(informers.informerFor<api::Service>(resourceOf("", "services"))),
      slices_(informers.informerFor<api::EndpointSlice>(
          resourceOf("discovery.k8s.io", "endpointslices"))),
      pods_(informers.informerFor<api::Pod>(resourceOf("", "pods"))),
      dnses_(informers.informerFor<api::Dns>(resourceOf("", "dnses"))),
      zone_(std::move(zone)),
      ttl_(ttl),
      publish_(std::move(publish)) {
  onAnyEvent(services_, [this] { markStale(); });
  onAnyEvent(slices_, [this] { markStale(); });
  onAnyEvent(pods_, [this] { markStale(); });
  onAnyEvent(dnses_, [this] { markStale(); });
}

void ClusterRecords::markStale() {
  {
    std::lock_guard lock(mu_);
    stale_ = true;
  }
  cv_.notify_one();
}

void ClusterRecords::start() {
  thread_ = std::jthread([this](std::stop_token stop) {
    while (true) {
      {
        std::unique_lock lock(mu_);
        if (!cv_.wait(lock, stop, [&] { return stale_; })) return;
        stale_ = false;
      }
      rebuildNow();
    }
  });
}

void ClusterRecords::stop() {
  if (thread_.joinable()) {
    thread_.request_stop();
    thread_.join();
  }
}

void ClusterRecords::rebuildNow() {
  RecordInputs inputs{services_.list(), slices_.list(), pods_.list(), dnses_.list()};
  auto records = buildRecords(inputs, zone_, ttl_);
  log::debug("dns: records rebuilt: {} names, {} records", records->nameCount(),
             records->recordCount());
  publish_(std::move(records));
  std::lock_guard lock(mu_);
  ++rebuilds_;
}

uint64_t ClusterRecords::rebuilds() const {
  std::lock_guard lock(mu_);
  return rebuilds_;
}

}  // namespace minik8s::dns
