// certificates.k8s.io/v1 (CertificateSigningRequest): how a node that joins with a bootstrap
// token gets its client certificate (Kubernetes' TLS bootstrapping). Plain aggregates;
// codec.cc maps them to Kubernetes' JSON keys (the byte fields travel as base64).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api/types_meta.h"

namespace minik8s::api {

inline constexpr char kCertificatesGroup[] = "certificates.k8s.io";

// Built-in signers (k8s.io/api/certificates/v1).
inline constexpr char kSignerKubeApiserverClient[] = "kubernetes.io/kube-apiserver-client";
inline constexpr char kSignerKubeApiserverClientKubelet[] =
    "kubernetes.io/kube-apiserver-client-kubelet";
inline constexpr char kSignerKubeletServing[] = "kubernetes.io/kubelet-serving";

// Condition types.
inline constexpr char kCsrApproved[] = "Approved";
inline constexpr char kCsrDenied[] = "Denied";
inline constexpr char kCsrFailed[] = "Failed";

struct CertificateSigningRequestSpec {
  std::string request;      // PEM "CERTIFICATE REQUEST" bytes; required, immutable
  std::string signer_name;  // required, immutable
  std::optional<int32_t> expiration_seconds;  // >= 600 when set
  std::vector<std::string> usages;  // "client auth", "digital signature", ...
  // Who asked: set by the API server from the authenticated user, never from the body.
  std::string username;
  std::string uid;
  std::vector<std::string> groups;
  std::map<std::string, std::vector<std::string>> extra;
};

struct CertificateSigningRequestCondition {
  std::string type;    // Approved, Denied or Failed
  std::string status;  // "True" (default) or "False"
  std::string reason;
  std::string message;
  std::string last_update_time;      // RFC 3339
  std::string last_transition_time;  // RFC 3339
};

struct CertificateSigningRequestStatus {
  std::vector<CertificateSigningRequestCondition> conditions;  // via /approval and /status
  std::string certificate;  // PEM "CERTIFICATE" bytes, set by the signer via /status
};

// Cluster-scoped.
struct CertificateSigningRequest {
  std::string api_version;
  std::string kind;
  ObjectMeta metadata;
  CertificateSigningRequestSpec spec;
  CertificateSigningRequestStatus status;
};

}  // namespace minik8s::api
