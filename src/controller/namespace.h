// NamespaceController: empties a namespace being deleted, then releases it
// (kube-controller-manager's "namespace" controller, its NamespacedResourcesDeleter).
//
// The apiserver's DELETE of a namespace only sets deletionTimestamp and phase Terminating;
// the namespace keeps the "kubernetes" entry of spec.finalizers it got on create, and
// leaves storage once spec.finalizers and metadata.finalizers are both empty. sync(name):
// re-reads the namespace from the apiserver; for every namespaced resource of the registry
// with the delete verb it lists the namespace's objects, deletes each (Background), and
// lists again; it writes the five deletion conditions to the namespace's status when they
// changed; while content remains it requeues itself after estimate/2 + 1 s (estimate: the
// longest terminationGracePeriodSeconds of the pods found, else 15 s while finalizers hold
// objects); once nothing remains it removes "kubernetes" through namespaces/{name}/finalize.
// Events enqueue a namespace being deleted after `deletion_grace_period`, as Kubernetes
// does, so that creates admitted just before the deletion land before the first pass.
// Thread-safe; one sync per namespace at a time.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "api/types_core.h"
#include "client/client.h"
#include "client/controller_loop.h"
#include "client/informer.h"
#include "client/work_queue.h"
#include "common/clock.h"

namespace minik8s::controller {

inline constexpr char kNamespaceFinalizer[] = "kubernetes";

using NamespacePtr = std::shared_ptr<const api::Namespace>;

// What one deletion pass over a namespace found.
struct NamespaceContentTotals {
  std::map<std::string, int> remaining_by_resource;   // "pods." / "deployments.apps" → count
  std::map<std::string, int> remaining_by_finalizer;  // finalizer → objects it holds
  std::vector<std::string> delete_errors;             // one per resource that failed
  // The registry is compiled in, so these stay empty here; kept for the conditions' sake.
  std::string discovery_error;
  std::string group_version_error;
};

// Kubernetes' namespaceConditionUpdater: merges the five deletion conditions
// (NamespaceDeletionDiscoveryFailure, NamespaceDeletionGroupVersionParsingFailure,
// NamespaceDeletionContentFailure, NamespaceContentRemaining, NamespaceFinalizersRemaining)
// for `totals` into `conditions`, with Kubernetes' reasons and messages. A condition's
// lastTransitionTime becomes `now` only when it is new or its status flips. Pure; returns
// whether anything changed.
bool updateNamespaceConditions(std::vector<api::Condition>& conditions,
                               const NamespaceContentTotals& totals, const std::string& now);

// The resources whose objects a namespace's deletion removes: namespaced, with the delete
// verb, in registry order.
std::vector<const api::ResourceInfo*> deletableNamespacedResources();
// The namespaced custom resources a CustomResourceDefinitionList defines, each in its
// storage version (the custom resources' part of discovery, for the deletion). Pure.
std::vector<api::ResourceInfo> namespacedCustomResources(const nlohmann::json& crd_list);

struct NamespaceOptions {
  // Kubernetes' namespaceDeletionGracePeriod: how long after an event a namespace being
  // deleted is processed.
  std::chrono::milliseconds deletion_grace_period{std::chrono::seconds(5)};
};

class NamespaceController {
 public:
  NamespaceController(client::Client& client, client::SharedInformerFactory& informers,
                      NamespaceOptions options = {}, Clock& clock = Clock::real());
  // For tests: reads a prefilled cache; no handlers are registered.
  NamespaceController(client::Client& client, const client::ObjectCache<api::Namespace>& namespaces,
                      NamespaceOptions options = {}, Clock& clock = Clock::real());
  ~NamespaceController();
  NamespaceController(const NamespaceController&) = delete;
  NamespaceController& operator=(const NamespaceController&) = delete;

  Status run(int workers, std::chrono::milliseconds sync_timeout = std::chrono::seconds(30));
  void stop();

  // `key` is the namespace's name.
  Status sync(const std::string& key);
  void onNamespace(const NamespacePtr& ns);

  client::WorkQueue& queue() { return queue_; }

 private:
  // Deletes the objects of `resource` in `ns`, adds what remains to `totals`, and returns
  // the seconds to wait for it (0: nothing remains, or nothing to wait for).
  int64_t deleteContent(const api::ResourceInfo& resource, const std::string& ns,
                        NamespaceContentTotals& totals);
  // Removes kNamespaceFinalizer from spec.finalizers (retrying on conflict).
  Status finalize(nlohmann::json ns);

  client::Client& client_;
  const NamespaceOptions options_;
  Clock& clock_;
  const api::ResourceInfo* namespaces_resource_;
  client::Lister<api::Namespace> namespaces_;
  std::vector<client::InformerBase*> informers_;
  client::WorkQueue queue_;
  client::ControllerLoop loop_;
};

}  // namespace minik8s::controller
