// The pure decisions of a DELETE: which propagation policy the DeleteOptions ask for,
// which garbage-collection finalizers that puts on the object, and what a second delete of
// an object already being deleted gracefully may change (kube-apiserver's
// deletionFinalizersForGarbageCollection and rest.BeforeDelete).
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace minik8s::apiserver {

inline constexpr char kOrphanFinalizer[] = "orphan";
inline constexpr char kForegroundFinalizer[] = "foregroundDeletion";

enum class Propagation { kUnset, kOrphan, kBackground, kForeground };

// The policy of DeleteOptions (propagationPolicy, or the legacy orphanDependents).
// kBadRequest for an unknown policy or both fields set.
Result<Propagation> propagationOf(const nlohmann::json& delete_options);

// The object's finalizers after a delete with `policy`: the GC finalizers are replaced by
// the one the policy asks for; with no policy an existing GC finalizer stays. nullopt when
// nothing changes.
std::optional<std::vector<std::string>> finalizersForDeletion(
    const std::vector<std::string>& current, Propagation policy);

// A delete of an object that already has a deletionTimestamp with grace period
// `current_grace` (nullopt or 0: finishing), asked with `requested_grace`.
enum class RepeatedDelete {
  kFinish,   // deletion may proceed: finalizers may change, the object may go now
  kShorten,  // a shorter grace period: move the deletionTimestamp earlier
  kPending,  // a graceful deletion is already under way: answer with the object as it is
};
RepeatedDelete repeatedDelete(std::optional<int64_t> current_grace,
                              std::optional<int64_t> requested_grace);

}  // namespace minik8s::apiserver
