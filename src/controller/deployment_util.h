// The pure decisions of the Deployment controller (Kubernetes' deploymentutil): template
// hashes, which ReplicaSet is the new one, revisions, how far a rolling update may scale
// up or down, status and conditions. No I/O; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "api/types_apps.h"
#include "common/clock.h"
#include "controller/pod_util.h"

namespace minik8s::controller {

inline constexpr char kPodTemplateHashLabel[] = "pod-template-hash";
inline constexpr char kRevisionAnnotation[] = "deployment.kubernetes.io/revision";
inline constexpr char kDesiredReplicasAnnotation[] = "deployment.kubernetes.io/desired-replicas";
inline constexpr char kMaxReplicasAnnotation[] = "deployment.kubernetes.io/max-replicas";

// The pod-template-hash of a template (FNV-1a over its canonical JSON and the collision
// count, in Kubernetes' safe alphabet: no vowels, so no words).
std::string podTemplateHash(const api::PodTemplateSpec& pod_template,
                            std::optional<int32_t> collision_count);

// Templates equal once the pod-template-hash label is ignored.
bool equalIgnoreHash(const api::PodTemplateSpec& a, const api::PodTemplateSpec& b);

// The ReplicaSet whose template is the Deployment's (the oldest if several), or -1.
int findNewReplicaSet(const api::Deployment& d, const std::vector<api::ReplicaSet>& sets);

int64_t revisionOf(const api::ObjectMeta& meta);  // 0 when absent or malformed
int64_t maxRevision(const std::vector<api::ReplicaSet>& sets);

int32_t desiredReplicas(const api::Deployment& d);  // spec.replicas, default 1
// maxSurge and maxUnavailable resolved against spec.replicas (surge rounds up,
// unavailable down; both 0 makes unavailable 1, as Kubernetes' ResolveFenceposts).
// Recreate: 0 and 0.
int32_t maxSurge(const api::Deployment& d);
int32_t maxUnavailable(const api::Deployment& d);

int32_t specReplicas(const api::ReplicaSet& rs);  // spec.replicas, default 1
int32_t sumSpecReplicas(const std::vector<api::ReplicaSet>& sets);
int32_t sumStatusReplicas(const std::vector<api::ReplicaSet>& sets);
int32_t sumAvailableReplicas(const std::vector<api::ReplicaSet>& sets);

// How many replicas the new ReplicaSet should have now (NewRSNewReplicas): all of them
// for Recreate; for RollingUpdate as many as maxSurge allows over spec.replicas.
int32_t newReplicaSetReplicas(const api::Deployment& d, const std::vector<api::ReplicaSet>& all,
                              int32_t new_rs_replicas);

// How many old replicas a rolling update may remove now (scale-down budget): all replicas
// minus the minimum available minus the new ReplicaSet's unavailable ones.
int32_t maxScaledDown(const api::Deployment& d, const std::vector<api::ReplicaSet>& all,
                      const api::ReplicaSet* new_rs);

// The annotations a ReplicaSet copies from its Deployment (not kubectl's last-applied
// configuration nor the controller's own bookkeeping).
api::StringMap annotationsToCopy(const api::ObjectMeta& deployment);

// The status for the Deployment over `all` ReplicaSets (new_rs among them or null), with
// the Available condition; other conditions are kept from d.status.
api::DeploymentStatus calculateStatus(const api::Deployment& d,
                                      const std::vector<api::ReplicaSet>& all,
                                      const api::ReplicaSet* new_rs, Clock::WallTime now);

// Every replica updated, available and observed (DeploymentComplete).
bool deploymentComplete(const api::Deployment& d, const api::DeploymentStatus& status);
// Progress since the previous status (DeploymentProgressing).
bool deploymentProgressing(const api::Deployment& d, const api::DeploymentStatus& status);
// The Progressing condition has not moved for progressDeadlineSeconds (DeploymentTimedOut).
bool deploymentTimedOut(const api::Deployment& d, const api::DeploymentStatus& status,
                        Clock::WallTime now);

// Sets (or replaces) condition `c` by type; keeps lastTransitionTime when the status did
// not change.
void setCondition(std::vector<api::Condition>& conditions, api::Condition c);
api::Condition makeCondition(const std::string& type, const std::string& status,
                             const std::string& reason, const std::string& message,
                             Clock::WallTime now);

}  // namespace minik8s::controller
