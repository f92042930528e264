// RestHandler: the one generic REST implementation for every resource in the scheme
// (get, list, watch, create, update, patch, delete, deletecollection and the status,
// scale, binding and namespaces' finalize subresources), parameterised by api::ResourceInfo.
//
// Owns one WatchCache per resource (a custom resource's starts on its first request) and the
// CustomResourceRegistry, which serves the resources CRDs define. Writes go to the store as compare-and-swap
// transactions keyed by resourceVersion; reads with resourceVersion=0 and all watches are
// served from the caches. Resource-specific rules (service IP allocation, graceful pod
// deletion, namespace termination) live in admission.cc. Thread-safe; handle() blocks on
// the store and runs on HttpServer worker threads.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "api/scheme.h"
#include "apiserver/admission_options.h"
#include "apiserver/authentication.h"
#include "apiserver/custom_resources.h"
#include "apiserver/http_server.h"
#include "apiserver/request_info.h"
#include "apiserver/service_allocator.h"
#include "apiserver/event_leases.h"
#include "apiserver/watch_cache.h"
#include "common/clock.h"
#include "store/store.h"

namespace minik8s::apiserver {

class WatchTimeouts;

// What one request carries besides its object: collected warnings and options.
struct RequestContext {
  std::vector<std::string> warnings;  // sent as `Warning: 299 - "..."` headers
  bool strict_fields = false;         // fieldValidation=Strict
  bool dry_run = false;               // dryRun=All
  // metadata.managedFields: who writes (fieldManager, else the User-Agent's program; empty:
  // nothing is recorded) and whether the write is a server-side apply, whose entries the
  // apply computed (otherwise the write records an Update entry).
  std::string field_manager;
  bool apply = false;
  // The authenticated user; nullopt when the server runs without authentication.
  std::optional<UserInfo> user;
};

class RestHandler {
 public:
  // Events are written with a lease so that they vanish `event_ttl` after their last
  // write (0: never).
  RestHandler(store::Store& store, Clock& clock, ServiceAllocator& allocator,
              WatchCacheOptions cache_options, std::chrono::seconds event_ttl,
              AdmissionOptions admission = {});
  ~RestHandler();

  // Starts a watch cache per resource.
  Status start();
  void stop();
  // Whether every watch cache has a live etcd watch (the readyz "watch-cache" check).
  bool watchCachesLive() const;

  // `user`: who sent the request (nullptr without authentication); a CSR's requester.
  HandlerResult handle(const RequestInfo& info, HttpRequest& request,
                       const UserInfo* user = nullptr);

  // Direct operations for bootstrap (no HTTP).
  Result<nlohmann::json> create(const api::ResourceInfo& resource, nlohmann::json object,
                                RequestContext& ctx);
  Result<nlohmann::json> getFromStore(const api::ResourceInfo& resource,
                                      const std::string& namespace_, const std::string& name);
  // Creates `object`, or brings the stored one in line with it: its labels and every
  // top-level field but metadata (no write when they already match).
  Result<nlohmann::json> ensure(const api::ResourceInfo& resource, nlohmann::json object,
                                RequestContext& ctx);

  // A built-in resource's watch cache, by plural; nullptr when none.
  WatchCache* cache(const std::string& plural) const;
  // `resource`'s watch cache: a built-in's, or a custom resource's, started on first use.
  Result<WatchCache*> cacheFor(const api::ResourceInfo& resource);
  // The custom resources CRDs define now (discovery lists them).
  std::shared_ptr<const CustomResourceList> customResources() const;
  size_t openWatches() const { return open_watches_.load(); }

  static std::string storageKey(const api::ResourceInfo& resource, const std::string& namespace_,
                                const std::string& name);

 private:
  struct Target;
  // The etcd lease to write an object of `resource` with (0: none; Events have one).
  Result<int64_t> leaseFor(const api::ResourceInfo& resource);
  HandlerResult doGet(const Target& t, HttpRequest& request);
  HandlerResult doList(const Target& t, HttpRequest& request);
  HandlerResult doWatch(const Target& t, HttpRequest& request);
  // create, update, patch, delete or deletecollection.
  HandlerResult doWrite(const Target& t, HttpRequest& request);
  HandlerResult doCreate(const Target& t, HttpRequest& request);
  HandlerResult doUpdate(const Target& t, HttpRequest& request);
  HandlerResult doPatch(const Target& t, HttpRequest& request);
  HandlerResult doDelete(const Target& t, HttpRequest& request);
  HandlerResult doDeleteCollection(const Target& t, HttpRequest& request);
  HandlerResult doBinding(const Target& t, HttpRequest& request);
  HandlerResult doScale(const Target& t, HttpRequest& request);
  HandlerResult doEviction(const Target& t, HttpRequest& request);

  Result<WatchCache::Snapshot> consistentList(const api::ResourceInfo& resource,
                                              const WatchFilter& filter);
  // Read-modify-write with compare-and-swap retries. `mutate` gets the stored object and
  // returns the desired one (or an error); conflicts re-read and retry.
  Result<nlohmann::json> guaranteedUpdate(
      const api::ResourceInfo& resource, const std::string& namespace_, const std::string& name,
      const std::function<Result<nlohmann::json>(const nlohmann::json& current)>& mutate,
      RequestContext& ctx, const std::string& subresource);
  // Validates and stores `desired` replacing `current` (revision = current's).
  Result<nlohmann::json> storeUpdate(const api::ResourceInfo& resource, const nlohmann::json& current,
                                     nlohmann::json desired, RequestContext& ctx,
                                     const std::string& subresource);
  Result<nlohmann::json> deleteObject(const api::ResourceInfo& resource,
                                      const std::string& namespace_, const std::string& name,
                                      const nlohmann::json& options, RequestContext& ctx);
  Status checkNamespaceWritable(const api::ResourceInfo& resource, const std::string& namespace_,
                                const std::string& name);
  Result<nlohmann::json> decodeBody(const api::ResourceInfo& resource, const HttpRequest& request);
  // Deleting a CustomResourceDefinition first deletes every object of its resource.
  Status deleteCustomObjectsOf(const api::ResourceInfo& resource, const nlohmann::json& crd);

  store::Store& store_;
  Clock& clock_;
  ServiceAllocator& allocator_;
  const AdmissionOptions admission_;
  EventLeases event_leases_;
  const WatchCacheOptions cache_options_;
  std::map<std::string, std::unique_ptr<WatchCache>> caches_;  // by plural; fixed after start
  std::unique_ptr<CustomResourceRegistry> custom_resources_;
  mutable std::mutex custom_caches_mu_;
  // By apiVersion/plural ("example.com/v1/widgets"); a cache stays until stop().
  std::map<std::string, std::unique_ptr<WatchCache>> custom_caches_;  // GUARDED_BY(custom_caches_mu_)
  bool stopped_ = false;                                               // GUARDED_BY(custom_caches_mu_)
  std::atomic<size_t> open_watches_{0};
  std::atomic<int> store_watches_{0};
  std::unique_ptr<WatchTimeouts> timeouts_;
};

// Stored objects carry no resourceVersion; reading sets it from the revision.
nlohmann::json withResourceVersion(nlohmann::json object, int64_t revision);

}  // namespace minik8s::apiserver
