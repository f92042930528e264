// DisruptionController: computes the status of every policy/v1 PodDisruptionBudget
// (Kubernetes' pkg/controller/disruption): how many of the pods its selector matches are
// expected, must stay healthy, are healthy, and so how many may be disrupted (evicted) now.
//
// The decision is pure (computePdbStatus); sync(key) reads the PDB, the pods of its
// namespace and the ReplicaSets and Deployments that own them from the informers' caches,
// and writes status through the status subresource only when it changed, with the PDB's
// resourceVersion (a conflict, e.g. an eviction that just spent a disruption, re-queues the
// key so the next pass starts from the newer object). Evictions record the pods they
// allowed in status.disruptedPods; such a pod does not count as healthy for 2 minutes
// (kDeletionTimeout), after which the entry is dropped and the key is synced again.
// Thread-safe; one sync per key at a time.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/types_apps.h"
#include "api/types_core.h"
#include "api/types_policy.h"
#include "client/client.h"
#include "client/controller_loop.h"
#include "client/informer.h"
#include "client/work_queue.h"
#include "common/clock.h"
#include "common/status.h"
#include "controller/pod_util.h"

namespace minik8s::controller {

using PdbPtr = std::shared_ptr<const api::PodDisruptionBudget>;

// How long an eviction's entry in status.disruptedPods keeps its pod out of the healthy
// count (Kubernetes' DeletionTimeout).
inline constexpr std::chrono::minutes kDeletionTimeout{2};

// The controller of a pod's controller chain whose scale counts for a PDB: its uid and
// spec.replicas. nullopt when the reference names nothing this controller knows.
struct ControllerScale {
  std::string uid;
  int32_t replicas = 0;
};
using ScaleFinder =
    std::function<std::optional<ControllerScale>(const std::string& ns, const api::OwnerReference&)>;

// What computePdbStatus found.
struct PdbStatusResult {
  api::PodDisruptionBudgetStatus status;
  // When an entry of disruptedPods expires and the PDB must be synced again.
  std::optional<Clock::WallTime> recheck;
};

// The expected pod count and the desired healthy count of `pdb` over its matching `pods`
// (Kubernetes' getExpectedPodCount): minAvailable as an integer counts the pods; a
// percentage, and maxUnavailable in either form, scale over the sum of the pods'
// controllers' spec.replicas (each controller once; pods without a controller are left
// out). kInternal "found no controllers for pod ..." when a pod's controller is unknown.
struct ExpectedCounts {
  int32_t expected_pods = 0;
  int32_t desired_healthy = 0;
};
Result<ExpectedCounts> expectedCounts(const api::PodDisruptionBudget& pdb,
                                      const std::vector<PodPtr>& pods, const ScaleFinder& scales);

// The pods counted healthy: Ready, not being deleted, not recently evicted.
int32_t countHealthyPods(const std::vector<PodPtr>& pods, const api::StringMap& disrupted,
                         Clock::WallTime now);

// The status `pdb` should have for `pods` at `now`, conditions included (DisruptionAllowed
// with SufficientPods / InsufficientPods, or SyncFailed when the counts cannot be had; its
// lastTransitionTime moves only when its status changes).
PdbStatusResult computePdbStatus(const api::PodDisruptionBudget& pdb,
                                 const std::vector<PodPtr>& pods, const ScaleFinder& scales,
                                 Clock::WallTime now);

// Sets the DisruptionAllowed condition from status.disruptionsAllowed (Kubernetes'
// UpdateDisruptionAllowedCondition).
void updateDisruptionAllowedCondition(api::PodDisruptionBudgetStatus& status, Clock::WallTime now);

class DisruptionController {
 public:
  DisruptionController(client::Client& client, client::SharedInformerFactory& informers,
                       Clock& clock = Clock::real());
  // For tests: reads prefilled caches; no handlers are registered.
  DisruptionController(client::Client& client,
                       const client::ObjectCache<api::PodDisruptionBudget>& pdbs,
                       const client::ObjectCache<api::Pod>& pods,
                       const client::ObjectCache<api::ReplicaSet>& replica_sets,
                       const client::ObjectCache<api::Deployment>& deployments,
                       Clock& clock = Clock::real());
  ~DisruptionController();
  DisruptionController(const DisruptionController&) = delete;
  DisruptionController& operator=(const DisruptionController&) = delete;

  Status run(int workers, std::chrono::milliseconds sync_timeout = std::chrono::seconds(30));
  void stop();

  // One level-triggered pass over PDB `key` ("namespace/name").
  Status sync(const std::string& key);

  void onPdb(const PdbPtr& pdb);
  void onPod(const PodPtr& pod);

  client::WorkQueue& queue() { return queue_; }

 private:
  std::optional<ControllerScale> findScale(const std::string& ns, const api::OwnerReference& ref) const;

  client::Client& client_;
  Clock& clock_;
  const api::ResourceInfo* pdbs_resource_;
  client::Lister<api::PodDisruptionBudget> pdbs_;
  client::Lister<api::Pod> pods_;
  client::Lister<api::ReplicaSet> replica_sets_;
  client::Lister<api::Deployment> deployments_;
  std::vector<client::InformerBase*> informers_;
  client::WorkQueue queue_;
  client::ControllerLoop loop_;
};

}  // namespace minik8s::controller
