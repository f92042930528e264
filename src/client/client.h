// Client: what a component needs from the apiserver, as an interface. RestClient is the
// real one (HTTP); FakeClient (fake_client.h) keeps objects in memory and records every
// action, so controllers are unit-tested the way Kubernetes' are: prefill, sync, assert
// the recorded creates, updates and deletes.
//
// Objects travel as JSON in their Kubernetes shape; resources are named by
// api::ResourceInfo. Errors are minik8s Statuses with the server's code and message
// (kNotFound, kAlreadyExists, kConflict, ...). Implementations are thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

#include "api/scheme.h"
#include "common/status.h"

namespace minik8s::client {

inline constexpr char kTableAccept[] =
    "application/json;as=Table;v=v1;g=meta.k8s.io,application/json";

struct ListOptions {
  std::string label_selector;    // "app=web,tier!=db"
  std::string field_selector;    // "metadata.name=x"
  std::string resource_version;  // "" (latest), "0" (any, from the watch cache), or an RV
  int64_t limit = 0;             // 0: no limit
  int timeout_seconds = 0;       // watch: the server ends the stream after this many seconds
  bool as_table = false;         // ask for a meta.k8s.io/v1 Table (kubectl get)
};

enum class PatchType {
  kJson,            // application/json-patch+json
  kMerge,           // application/merge-patch+json
  kStrategicMerge,  // application/strategic-merge-patch+json
  kApply,           // application/apply-patch+yaml (server-side apply)
};

struct PatchOptions {
  std::string field_manager;
  bool force = false;       // server-side apply: take ownership of conflicting fields
  std::string subresource;  // "status", "scale", ...
};

struct DeleteOptions {
  std::string propagation_policy;  // "Foreground", "Background", "Orphan", or ""
  std::optional<int64_t> grace_period_seconds;
  std::string precondition_uid;  // delete only the object with this uid (409 otherwise)
};

struct WatchEvent {
  std::string type;  // ADDED, MODIFIED, DELETED, BOOKMARK, ERROR
  nlohmann::json object;
};

// The result of a server-side apply.
struct ApplyResult {
  nlohmann::json object;
  bool created = false;  // 201: the object did not exist
};

class Client {
 public:
  virtual ~Client() = default;

  virtual Result<nlohmann::json> get(const api::ResourceInfo& resource, std::string_view ns,
                                     std::string_view name) = 0;
  // A List. `ns` "" lists every namespace.
  virtual Result<nlohmann::json> list(const api::ResourceInfo& resource, std::string_view ns,
                                      const ListOptions& options) = 0;
  Result<nlohmann::json> list(const api::ResourceInfo& resource, std::string_view ns) {
    return list(resource, ns, ListOptions{});
  }
  virtual Result<nlohmann::json> create(const api::ResourceInfo& resource, std::string_view ns,
                                        const nlohmann::json& object) = 0;
  // POST to an object's subresource: pods/NAME/binding, pods/NAME/eviction.
  virtual Result<nlohmann::json> createSubresource(const api::ResourceInfo& resource,
                                                   std::string_view ns, std::string_view name,
                                                   std::string_view subresource,
                                                   const nlohmann::json& object) = 0;
  // PUT of `object` (named by its metadata.name); a metadata.resourceVersion makes it a
  // compare-and-swap (kConflict when stale). `subresource` "status" writes only status.
  virtual Result<nlohmann::json> update(const api::ResourceInfo& resource, std::string_view ns,
                                        const nlohmann::json& object,
                                        std::string_view subresource) = 0;
  Result<nlohmann::json> update(const api::ResourceInfo& resource, std::string_view ns,
                                const nlohmann::json& object) {
    return update(resource, ns, object, "");
  }
  virtual Result<nlohmann::json> patch(const api::ResourceInfo& resource, std::string_view ns,
                                       std::string_view name, PatchType type,
                                       std::string_view body, const PatchOptions& options) = 0;
  Result<nlohmann::json> patch(const api::ResourceInfo& resource, std::string_view ns,
                               std::string_view name, PatchType type, std::string_view body) {
    return patch(resource, ns, name, type, body, PatchOptions{});
  }
  // Returns the deleted object (or, while finalizers hold it, the object marked for
  // deletion), or a Status.
  virtual Result<nlohmann::json> remove(const api::ResourceInfo& resource, std::string_view ns,
                                        std::string_view name, const DeleteOptions& options) = 0;
  Result<nlohmann::json> remove(const api::ResourceInfo& resource, std::string_view ns,
                                std::string_view name) {
    return remove(resource, ns, name, DeleteOptions{});
  }

  // Watches a collection: calls `on_event` for each event until the server ends the
  // stream (ok), `on_event` returns false (ok), `stop` is requested (ok), or an error.
  // A 410 answer is kGone; an ERROR event is handed to on_event like any other.
  virtual Status watch(const api::ResourceInfo& resource, std::string_view ns,
                       const ListOptions& options,
                       const std::function<bool(const WatchEvent&)>& on_event,
                       std::stop_token stop) = 0;
  Status watch(const api::ResourceInfo& resource, std::string_view ns, const ListOptions& options,
               const std::function<bool(const WatchEvent&)>& on_event) {
    return watch(resource, ns, options, on_event, std::stop_token{});
  }
};

}  // namespace minik8s::client
