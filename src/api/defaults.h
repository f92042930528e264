// Kubernetes defaulting rules, applied by normalize() to every object written through the
// API. Pure functions on the typed structs; idempotent.
#pragma once

#include <string>

#include "api/types_apps.h"
#include "api/types_core.h"

namespace minik8s::api {

void setDefaults(Pod& pod);
void setDefaults(PodSpec& spec);
void setDefaults(Container& container);
void setDefaults(Probe& probe);
void setDefaults(Namespace& ns);
void setDefaults(Service& service);
void setDefaults(Endpoints& endpoints);
// discovery.k8s.io/v1 (types_discovery.h): each port's name "" and protocol TCP.
struct EndpointSlice;
void setDefaults(EndpointSlice& slice);
void setDefaults(Node& node);
void setDefaults(Event& event);
void setDefaults(ConfigMap& config_map);
// Also merges stringData into data (base64-encoded) and clears stringData.
void setDefaults(Secret& secret);
void setDefaults(Deployment& deployment);
void setDefaults(ReplicaSet& replica_set);
void setDefaults(DaemonSet& daemon_set);
void setDefaults(HorizontalPodAutoscaler& hpa);
void setDefaults(Lease& lease);
void setDefaults(Dns& dns);
void setDefaults(Hpa& hpa);
// batch/v1 (types_batch.h).
struct Job;
struct CronJob;
void setDefaults(Job& job);
void setDefaults(CronJob& cron_job);
// networking.k8s.io/v1 (types_networking.h): IngressClass parameters' scope Cluster.
struct Ingress;
struct IngressClass;
void setDefaults(Ingress& ingress);
void setDefaults(IngressClass& ingress_class);
void setDefaults(ServiceAccount& service_account);
// rbac.authorization.k8s.io/v1 (types_rbac.h): a binding's roleRef.apiGroup and its User
// and Group subjects' apiGroup default to rbac.authorization.k8s.io.
struct Role;
struct ClusterRole;
struct RoleBinding;
struct ClusterRoleBinding;
void setDefaults(Role& role);
void setDefaults(ClusterRole& cluster_role);
void setDefaults(RoleBinding& binding);
void setDefaults(ClusterRoleBinding& binding);
// certificates.k8s.io/v1 (types_certificates.h): each condition's status defaults to True.
struct CertificateSigningRequest;
void setDefaults(CertificateSigningRequest& csr);
// policy/v1 (types_policy.h): none (Kubernetes' v1 has none).
struct PodDisruptionBudget;
void setDefaults(PodDisruptionBudget& pdb);

// "Guaranteed", "Burstable" or "BestEffort", from the containers' requests and limits.
std::string computeQosClass(const PodSpec& spec);

// Always for ":latest" or untagged images, else IfNotPresent.
std::string defaultImagePullPolicy(const std::string& image);

std::string base64Encode(const std::string& bytes);
// false when `text` is not standard padded base64.
bool base64Decode(const std::string& text, std::string* bytes);

}  // namespace minik8s::api
