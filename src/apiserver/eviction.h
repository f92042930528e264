// The pods/eviction subresource (policy/v1 Eviction; policy/v1beta1 bodies too): a delete
// that honours the PodDisruptionBudget covering the pod, as kube-apiserver's EvictionREST.
//
// POST .../pods/{name}/eviction:
// - the pod does not exist: 404;
// - it is Succeeded, Failed or Pending, or already being deleted, or no PDB selects it:
//   deleted at once (with the Eviction's deleteOptions);
// - more than one PDB selects it: 500, as Kubernetes;
// - one PDB: a ready pod (or an unready one when the budget is not healthy, policy
//   IfHealthyBudget) spends one of status.disruptionsAllowed: the PDB's status is written
//   back with disruptionsAllowed - 1 and the pod in status.disruptedPods, compare-and-swap
//   on its resourceVersion and retried on conflict, so two evictions cannot both spend the
//   last disruption; none left (or status.observedGeneration behind metadata.generation):
//   429 TooManyRequests with a DisruptionBudget cause (a budget whose status is behind asks
//   the client to retry in 10 s, Kubernetes' Retry-After). An unready pod is deleted without
//   spending the budget when the budget is healthy (currentHealthy >= desiredHealthy > 0),
//   or always with unhealthyPodEvictionPolicy AlwaysAllow;
// - then the pod is deleted: 201 with a Success Status.
// A dry run (dryRun=All on the request or in the Eviction's deleteOptions) decides the same
// way and writes nothing: the budget is checked but not spent, the pod is not deleted.
// The server's storage comes in through EvictionStore, so the logic is tested without it.
// Stateless; thread-safe as its EvictionStore is.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"

namespace minik8s::apiserver {

// What an eviction reads and writes; RestHandler supplies it over its store.
struct EvictionStore {
  // The pod, kNotFound when there is none.
  std::function<Result<nlohmann::json>(const std::string& ns, const std::string& name)> get_pod;
  // The namespace's PodDisruptionBudgets (possibly from a cache).
  std::function<Result<std::vector<nlohmann::json>>(const std::string& ns)> list_pdbs;
  // Read-modify-write of a PDB's status: `mutate` gets the stored PDB and returns it
  // changed, or an error that ends the update; a conflict re-reads and calls it again.
  std::function<Result<nlohmann::json>(
      const std::string& ns, const std::string& name,
      const std::function<Result<nlohmann::json>(const nlohmann::json&)>& mutate)>
      update_pdb_status;
  // Deletes the pod with DeleteOptions `options`.
  std::function<Result<nlohmann::json>(const std::string& ns, const std::string& name,
                                       const nlohmann::json& options)>
      delete_pod;
};

// The decoded Eviction must name the pod of the URL (kBadRequest otherwise) and be a
// policy/v1 or policy/v1beta1 Eviction. Returns its deleteOptions ({} when absent), with
// "dryRun": ["All"] when the request's query asked for a dry run (`query_dry_run`), as
// kube-apiserver's propagateDryRun; a dryRun other than [] or ["All"] is a 400.
Result<nlohmann::json> evictionDeleteOptions(const nlohmann::json& eviction,
                                             const std::string& ns, const std::string& name,
                                             bool query_dry_run = false);

// Whether DeleteOptions ask for a dry run (dryRun: ["All"]).
bool isDryRun(const nlohmann::json& delete_options);

// How an eviction ended: ok, or the refusal and the seconds after which the client may try
// again (0: no Retry-After).
struct EvictionOutcome {
  Status status;
  int retry_after_seconds = 0;
};

// Spends one disruption of `pdb` for pod `pod_name` at `now` (Kubernetes' checkAndDecrement):
// the PDB with the new status, or the 429 that refuses the eviction.
Result<nlohmann::json> spendDisruption(nlohmann::json pdb, const std::string& pod_name,
                                       Clock::WallTime now);

// Whether a refusal of spendDisruption is for a budget the disruption controller has not
// processed yet (status.observedGeneration behind metadata.generation): worth a retry soon.
bool isBudgetBeingProcessed(const Status& refusal);

// Evicts pod `ns/name` as described above; ok means the pod was deleted (or marked so), or
// would have been in a dry run (isDryRun(delete_options)).
EvictionOutcome evictPod(const EvictionStore& store, const std::string& ns,
                         const std::string& name, const nlohmann::json& delete_options,
                         Clock::WallTime now);

// The body of the 201 answer: {"kind":"Status","apiVersion":"v1","metadata":{},
// "status":"Success","code":201}.
nlohmann::json evictionSuccess();

}  // namespace minik8s::apiserver
