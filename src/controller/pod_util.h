// Pure helpers the workload controllers share (Kubernetes' pkg/controller and podutil):
// pod readiness and availability, controller references, pods made from a template, and
// the order in which surplus pods are deleted. No I/O; thread-safe.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/scheme.h"
#include "api/types_core.h"
#include "api/types_meta.h"
#include "common/clock.h"

namespace minik8s::controller {

// The core resources controllers write most.
const api::ResourceInfo& podsResource();
const api::ResourceInfo& nodesResource();

using PodPtr = std::shared_ptr<const api::Pod>;

// "namespace/name" of an object: the work-queue key of namespaced controllers.
std::string keyOf(const api::ObjectMeta& meta);

// The condition of `type`, or null.
const api::Condition* findCondition(const std::vector<api::Condition>& conditions,
                                    const std::string& type);

// Not finished (phase Succeeded/Failed) and not being deleted.
bool isPodActive(const api::Pod& pod);
// The Ready condition is True.
bool isPodReady(const api::Pod& pod);
// Ready for at least `min_ready_seconds` (from the Ready condition's lastTransitionTime)
// at `now`.
bool isPodAvailable(const api::Pod& pod, int32_t min_ready_seconds, Clock::WallTime now);

// The owner reference with controller: true, if any.
const api::OwnerReference* controllerRefOf(const api::ObjectMeta& meta);
// A controller reference to an owner (blockOwnerDeletion and controller true).
api::OwnerReference makeControllerRef(const std::string& api_version, const std::string& kind,
                                      const api::ObjectMeta& owner);

// A JSON patch that sets an object's ownerReferences to `refs`, only if the object still
// has the uid and resourceVersion of `meta` (adoption and release never act on a stale read).
std::string ownerReferencesPatch(const api::ObjectMeta& meta,
                                 const std::vector<api::OwnerReference>& refs);

// A pod for `owner` from its template: the template's labels, annotations and spec,
// generateName "<owner>-", the owner's namespace and a controller reference.
api::Pod podFromTemplate(const api::PodTemplateSpec& pod_template, const std::string& ns,
                         const std::string& generate_name, const api::OwnerReference& owner);

// The `count` pods to delete first from `pods`, in Kubernetes' order (ActivePodsWithRanks):
// unscheduled before scheduled; Pending before Unknown before Running; not ready before
// ready; on a node crowded with `related` pods before a sparse one; ready for a shorter
// time first; more container restarts first; newer before older.
std::vector<PodPtr> podsToDelete(std::vector<PodPtr> pods, const std::vector<PodPtr>& related,
                                 size_t count);

}  // namespace minik8s::controller
