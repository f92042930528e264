// ApiServer: the Kubernetes-compatible API server. Owns the HTTP transport, the REST
// handler with its watch caches, the service allocator, metrics, and the etcd compaction
// loop. Start order: caches, bootstrap objects, compaction, HTTP; stop in reverse. A
// deleted namespace is emptied by the namespace controller (controller/namespace.h), not
// here. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "apiserver/admission_options.h"
#include "apiserver/authentication.h"
#include "apiserver/authorization.h"
#include "apiserver/health.h"
#include "apiserver/http_server.h"
#include "apiserver/kubelet_client.h"
#include "apiserver/metrics.h"
#include "apiserver/request_info.h"
#include "apiserver/rest_handler.h"
#include "apiserver/service_allocator.h"
#include "apiserver/watch_cache.h"
#include "common/clock.h"
#include "store/store.h"

namespace minik8s::apiserver {

class MetricsApi;
class NodeProxy;

// The transport's defaults with more worker threads (32, not 8): handlers block on etcd,
// and etcd commits concurrent writes together, so write throughput grows with the writes
// in flight (16 clients creating pods: +20-30% creates/s over 8 workers).
inline HttpServerOptions defaultApiServerHttpOptions() {
  HttpServerOptions options;
  options.worker_threads = 32;
  return options;
}

struct ApiServerOptions {
  HttpServerOptions http = defaultApiServerHttpOptions();
  std::string service_cluster_ip_range = "10.96.0.0/12";
  std::string service_node_port_range = "30000-32767";
  WatchCacheOptions watch_cache;
  // etcd history older than this is compacted away; 0 disables compaction.
  std::chrono::seconds compaction_interval{300};
  // Events vanish this long after their last write (kube-apiserver's --event-ttl); 0: never.
  std::chrono::seconds event_ttl{3600};
  AdmissionOptions admission;
  // How pods/log, pods/exec and metrics.k8s.io reach kubelets (KubeletClient): HTTPS with
  // this client certificate (kube-apiserver's --kubelet-client-*); nullopt: plain HTTP.
  std::optional<KubeletClientConfig> kubelet_client;
  // When enabled, every request is authenticated (authentication.h) and authorized
  // (authorization.h) before it is routed; 401 and 403 answers are Kubernetes' Status.
  // Off for the library's callers that serve plain HTTP on loopback to themselves (tests,
  // benchmarks); `minik8s server` turns it on with TLS.
  struct Security {
    bool enabled = false;
    StaticTokens static_tokens;  // --token-auth-file
  } security;
};

class ApiServer {
 public:
  ApiServer(ApiServerOptions options, store::Store& store, Clock& clock = Clock::real());
  ~ApiServer();

  // kInvalid for bad flags, kUnavailable when etcd or the port is not reachable.
  Status start();
  void stop();
  uint16_t port() const;
  bool ready() const { return ready_.load(); }

  // The whole request path without sockets (tests, benchmarks).
  HandlerResult handle(HttpRequest& request);

  RestHandler& rest() { return *rest_; }
  Metrics& metrics() { return metrics_; }

 private:
  // `user`: the authenticated user (nullptr without authentication).
  HandlerResult route(HttpRequest& request, const Result<RequestInfo>& info, std::string* verb,
                      std::string* resource, const UserInfo* user);
  std::optional<HttpResponse> serveNonResource(const HttpRequest& request);
  std::vector<HealthCheck> livenessChecks() const;
  std::vector<HealthCheck> readinessChecks();
  // Namespaces stored before every namespace got the "kubernetes" finalizer at create get
  // it once (a marker key records the migration, so a namespace finalized on purpose
  // later is left alone): deleting them then empties them instead of leaving their content.
  Status migrateNamespaceFinalizers();
  Status bootstrap();
  // The 401/403 answer, or nullopt with the user behind `request` in `user` (left empty
  // without authentication).
  std::optional<HttpResponse> authenticateAndAuthorize(HttpRequest& request,
                                                       const Result<RequestInfo>& info,
                                                       std::optional<UserInfo>* user);
  AuthorizationFacts authorizationFacts() const;
  void runCompaction(std::stop_token stop);

  ApiServerOptions options_;
  Clock& clock_;
  Metrics metrics_;
  InstrumentedStore store_;
  std::unique_ptr<ServiceAllocator> allocator_;
  std::unique_ptr<RestHandler> rest_;
  std::unique_ptr<NodeProxy> node_proxy_;         // pods/log, pods/exec (node_proxy.h)
  std::unique_ptr<MetricsApi> metrics_api_;       // metrics.k8s.io (metrics_api.h)
  std::unique_ptr<Authenticator> authenticator_;  // set when options_.security.enabled
  std::unique_ptr<HttpServer> http_;
  std::atomic<bool> ready_{false};

  std::jthread compaction_thread_;
};

}  // namespace minik8s::apiserver
