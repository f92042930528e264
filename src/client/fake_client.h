// FakeClient: a Client over an in-memory object tracker that records every action, for
// unit tests of controllers (client-go's fake clientset). Objects behave as the apiserver
// stores them, enough for controllers to be tested without one:
// - create fills name (from generateName), uid, resourceVersion, creationTimestamp and
//   generation 1, and refuses an existing name (kAlreadyExists);
// - update is a compare-and-swap when the object carries a resourceVersion (kConflict),
//   keeps the stored status (the "status" subresource writes only status), and bumps
//   generation when anything but metadata and status changed;
// - patch applies JSON patches and merge patches (a strategic merge patch is applied as
//   a merge patch: lists are replaced, not merged);
// - remove honours a uid precondition; an object with finalizers only gets its
//   deletionTimestamp;
// - list and watch filter by namespace, label selector and `field=value` selectors; a
//   watch replays the changes after the resourceVersion it starts from, then follows.
// failNext() makes the next matching calls fail, to test error paths.
// Thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "client/client.h"
#include "common/clock.h"

namespace minik8s::client {

// One call the client received.
struct Action {
  std::string verb;         // get, list, watch, create, update, patch, delete
  std::string resource;     // the plural: "pods", "replicasets"
  std::string ns;
  std::string name;         // "" for list, watch and (most) creates
  std::string subresource;  // "status", "binding", ...
  nlohmann::json object;    // the body sent: object, patch, or delete options

  // "create pods", "update replicasets/status", "delete pods".
  std::string summary() const;
};

class FakeClient : public Client {
 public:
  explicit FakeClient(Clock& clock = Clock::real()) : clock_(clock) {}

  // Puts `object` into the tracker as if created (fields filled), without an action.
  void add(const api::ResourceInfo& resource, nlohmann::json object);
  // The stored object, or nullopt.
  std::optional<nlohmann::json> object(const api::ResourceInfo& resource, std::string_view ns,
                                       std::string_view name) const;
  // Every stored object of `resource` (all namespaces), in key order.
  std::vector<nlohmann::json> objects(const api::ResourceInfo& resource) const;

  std::vector<Action> actions() const;
  // Only the actions that change something (create, update, patch, delete).
  std::vector<Action> writes() const;
  void clearActions();
  // The next `times` calls with `verb` on `resource` (plural) fail with `status`.
  void failNext(const std::string& verb, const std::string& resource, Status status,
                int times = 1);

  using Client::list;
  using Client::patch;
  using Client::remove;
  using Client::update;
  using Client::watch;
  Result<nlohmann::json> get(const api::ResourceInfo& resource, std::string_view ns,
                             std::string_view name) override;
  Result<nlohmann::json> list(const api::ResourceInfo& resource, std::string_view ns,
                              const ListOptions& options) override;
  Result<nlohmann::json> create(const api::ResourceInfo& resource, std::string_view ns,
                                const nlohmann::json& object) override;
  Result<nlohmann::json> createSubresource(const api::ResourceInfo& resource, std::string_view ns,
                                           std::string_view name, std::string_view subresource,
                                           const nlohmann::json& object) override;
  Result<nlohmann::json> update(const api::ResourceInfo& resource, std::string_view ns,
                                const nlohmann::json& object,
                                std::string_view subresource) override;
  Result<nlohmann::json> patch(const api::ResourceInfo& resource, std::string_view ns,
                               std::string_view name, PatchType type, std::string_view body,
                               const PatchOptions& options) override;
  Result<nlohmann::json> remove(const api::ResourceInfo& resource, std::string_view ns,
                                std::string_view name, const DeleteOptions& options) override;
  Status watch(const api::ResourceInfo& resource, std::string_view ns, const ListOptions& options,
               const std::function<bool(const WatchEvent&)>& on_event,
               std::stop_token stop) override;

 private:
  struct Change {
    int64_t rv;
    std::string resource;  // tracker key of the resource
    WatchEvent event;
  };

  // REQUIRES: mu_ held.
  Status recordLocked(Action action);
  nlohmann::json& fillLocked(const api::ResourceInfo& resource, nlohmann::json& object);
  void changedLocked(const api::ResourceInfo& resource, const std::string& type,
                     const nlohmann::json& object);
  Result<nlohmann::json> storeUpdateLocked(const api::ResourceInfo& resource,
                                           const std::string& key, nlohmann::json updated,
                                           bool status_only);
  Result<nlohmann::json> deleteLocked(const api::ResourceInfo& resource, const std::string& key,
                                      const DeleteOptions& options);

  Clock& clock_;
  mutable std::mutex mu_;
  std::condition_variable_any changed_cv_;
  // resource ("group/plural") → "namespace/name" → object
  std::map<std::string, std::map<std::string, nlohmann::json>> objects_;  // GUARDED_BY(mu_)
  std::vector<Change> changes_;                                           // GUARDED_BY(mu_)
  std::vector<Action> actions_;                                           // GUARDED_BY(mu_)
  std::map<std::string, std::pair<Status, int>> failures_;  // GUARDED_BY(mu_): "verb plural"
  int64_t rv_ = 100;                                        // GUARDED_BY(mu_)
  int64_t uids_ = 0;                                        // GUARDED_BY(mu_)
  int64_t names_ = 0;                                       // GUARDED_BY(mu_)
};

}  // namespace minik8s::client
