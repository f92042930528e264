// Field validation of typed objects, with Kubernetes' field paths, reasons and messages
// (e.g. {"metadata.name", "FieldValueInvalid", "Invalid value: \"Bad_Name\": a lowercase
// RFC 1123 subdomain must consist of ..."}). Pure functions; `old` is the stored object on
// update (nullptr on create) and enables the immutability rules.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "api/types_apps.h"
#include "api/types_core.h"
#include "common/status.h"

namespace minik8s::api {

std::vector<FieldError> validateObject(const Pod& pod, const Pod* old);
std::vector<FieldError> validateObject(const Namespace& ns, const Namespace* old);
std::vector<FieldError> validateObject(const Service& service, const Service* old);
std::vector<FieldError> validateObject(const Endpoints& endpoints, const Endpoints* old);
// discovery.k8s.io/v1 (types_discovery.h).
struct EndpointSlice;
std::vector<FieldError> validateObject(const EndpointSlice& slice, const EndpointSlice* old);
std::vector<FieldError> validateObject(const Node& node, const Node* old);
std::vector<FieldError> validateObject(const Event& event, const Event* old);
std::vector<FieldError> validateObject(const ConfigMap& config_map, const ConfigMap* old);
std::vector<FieldError> validateObject(const Secret& secret, const Secret* old);
std::vector<FieldError> validateObject(const ServiceAccount& service_account,
                                       const ServiceAccount* old);
std::vector<FieldError> validateObject(const Deployment& deployment, const Deployment* old);
std::vector<FieldError> validateObject(const ReplicaSet& replica_set, const ReplicaSet* old);
std::vector<FieldError> validateObject(const DaemonSet& daemon_set, const DaemonSet* old);
std::vector<FieldError> validateObject(const HorizontalPodAutoscaler& hpa,
                                       const HorizontalPodAutoscaler* old);
std::vector<FieldError> validateObject(const Lease& lease, const Lease* old);
std::vector<FieldError> validateObject(const Dns& dns, const Dns* old);
std::vector<FieldError> validateObject(const Hpa& hpa, const Hpa* old);
// batch/v1 (types_batch.h).
struct Job;
struct CronJob;
std::vector<FieldError> validateObject(const Job& job, const Job* old);
std::vector<FieldError> validateObject(const CronJob& cron_job, const CronJob* old);
// networking.k8s.io/v1 (types_networking.h).
struct Ingress;
struct IngressClass;
std::vector<FieldError> validateObject(const Ingress& ingress, const Ingress* old);
std::vector<FieldError> validateObject(const IngressClass& ingress_class,
                                       const IngressClass* old);
// rbac.authorization.k8s.io/v1 (types_rbac.h).
struct Role;
struct ClusterRole;
struct RoleBinding;
struct ClusterRoleBinding;
std::vector<FieldError> validateObject(const Role& role, const Role* old);
std::vector<FieldError> validateObject(const ClusterRole& cluster_role, const ClusterRole* old);
std::vector<FieldError> validateObject(const RoleBinding& binding, const RoleBinding* old);
std::vector<FieldError> validateObject(const ClusterRoleBinding& binding,
                                       const ClusterRoleBinding* old);
// certificates.k8s.io/v1 (types_certificates.h). spec.request must hold a PEM block of
// type CERTIFICATE REQUEST whose body is a DER SEQUENCE; its signature is not checked here
// (the api library cannot depend on src/pki): the signer verifies it.
struct CertificateSigningRequest;
std::vector<FieldError> validateObject(const CertificateSigningRequest& csr,
                                       const CertificateSigningRequest* old);
// policy/v1 (types_policy.h), as pkg/apis/policy/validation: minAvailable and
// maxUnavailable not both, each a non-negative int or a percent up to 100%, the selector's
// labels and expressions, unhealthyPodEvictionPolicy IfHealthyBudget or AlwaysAllow,
// non-negative status counts.
struct PodDisruptionBudget;
std::vector<FieldError> validateObject(const PodDisruptionBudget& pdb,
                                       const PodDisruptionBudget* old);

// The PEM blocks of `text` in order, as Go's pem.Decode finds them (text around and between
// blocks is skipped; a block whose body is not base64 ends the scan).
struct PemBlock {
  std::string type;   // "CERTIFICATE"
  std::string bytes;  // the decoded body (DER)
  bool has_headers = false;
};
std::vector<PemBlock> decodePemBlocks(std::string_view text);

// Name syntax checks: each returns the problems found (empty when valid), worded as
// Kubernetes' IsDNS1123Subdomain, IsDNS1123Label, IsQualifiedName, IsValidLabelValue.
std::vector<std::string> isDns1123Subdomain(std::string_view value);
std::vector<std::string> isDns1123Label(std::string_view value);
std::vector<std::string> isQualifiedName(std::string_view value);
std::vector<std::string> isValidLabelValue(std::string_view value);

// Whether a metav1.LabelSelector object selects `labels` (an empty selector selects all).
bool selectorMatches(const LabelSelectorSpec& selector, const StringMap& labels);

}  // namespace minik8s::api
