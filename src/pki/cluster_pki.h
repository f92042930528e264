// Cluster PKI: the CA and the control plane's certificates as files in one directory.
//
// ensureClusterPki is the effect: it reads what is on disk, asks the pure
// certificateRenewalReason whether each certificate can stay, and writes only what is
// missing or must be reissued, so the CA survives restarts. Files in `dir` (mode 0700):
//   ca.crt ca.key               the cluster CA (10 years)
//   apiserver.crt apiserver.key  serving certificate of the API server (1 year)
//   admin.crt admin.key          CN=minik8s-admin, O=system:masters client certificate
//   apiserver-kubelet-client.crt/.key  the API server's client certificate to kubelets
//                                (kubeadm's: CN=kube-apiserver-kubelet-client, O=system:masters)
// Keys are mode 0600, certificates 0644; each file is written to a temporary name and
// renamed. Not thread-safe against a concurrent call on the same directory (one process
// owns it).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "pki/certificates.h"

namespace minik8s::pki {

inline constexpr char kCaCertFile[] = "ca.crt";
inline constexpr char kCaKeyFile[] = "ca.key";
inline constexpr char kApiserverCertFile[] = "apiserver.crt";
inline constexpr char kApiserverKeyFile[] = "apiserver.key";
inline constexpr char kAdminCertFile[] = "admin.crt";
inline constexpr char kAdminKeyFile[] = "admin.key";
inline constexpr char kKubeletClientCertFile[] = "apiserver-kubelet-client.crt";
inline constexpr char kKubeletClientKeyFile[] = "apiserver-kubelet-client.key";
inline constexpr char kKubeletClientCommonName[] = "kube-apiserver-kubelet-client";

inline constexpr char kCaCommonName[] = "minik8s-ca";
inline constexpr char kApiserverCommonName[] = "kube-apiserver";
inline constexpr char kAdminCommonName[] = "minik8s-admin";
inline constexpr char kMastersGroup[] = "system:masters";

inline constexpr std::chrono::seconds kCaValidity = std::chrono::hours(24 * 365 * 10);
inline constexpr std::chrono::seconds kLeafValidity = std::chrono::hours(24 * 365);
// A certificate that expires sooner than this is reissued.
inline constexpr std::chrono::seconds kRenewBefore = std::chrono::hours(24 * 30);

struct ClusterPkiOptions {
  std::vector<std::string> apiserver_dns_names;  // e.g. the host name, a load balancer
  std::vector<std::string> apiserver_ips;        // e.g. the node IP, the kubernetes Service IP
};

struct ClusterPki {
  std::string dir;
  CertificateAndKey ca;
  CertificateAndKey apiserver;
  CertificateAndKey admin;
  CertificateAndKey kubelet_client;

  std::string caPath() const { return dir + "/" + kCaCertFile; }
  std::string caKeyPath() const { return dir + "/" + kCaKeyFile; }
  std::string apiserverCertPath() const { return dir + "/" + kApiserverCertFile; }
  std::string apiserverKeyPath() const { return dir + "/" + kApiserverKeyFile; }
  std::string adminCertPath() const { return dir + "/" + kAdminCertFile; }
  std::string adminKeyPath() const { return dir + "/" + kAdminKeyFile; }
  std::string kubeletClientCertPath() const { return dir + "/" + kKubeletClientCertFile; }
  std::string kubeletClientKeyPath() const { return dir + "/" + kKubeletClientKeyFile; }
};

// The API server's certificate: CN=kube-apiserver, serverAuth, SANs kubernetes,
// kubernetes.default, kubernetes.default.svc, kubernetes.default.svc.cluster.local,
// localhost, 127.0.0.1 and then the options' names and IPs (duplicates dropped).
CertificateSpec apiserverCertificateSpec(const ClusterPkiOptions& options);

// The administrator's client certificate: CN=minik8s-admin, O=system:masters, clientAuth.
CertificateSpec adminCertificateSpec();

// The API server's client certificate to kubelets: CN=kube-apiserver-kubelet-client,
// O=system:masters, clientAuth.
CertificateSpec kubeletClientCertificateSpec();

// Why `existing` must be reissued from `ca` to satisfy `wanted` at `now` (it is absent, its
// key does not match, the CA did not sign it, it expires within kRenewBefore, its subject
// or usages differ, it lacks a wanted SAN), or nullopt when it can stay. Extra SANs on the
// existing certificate are kept. Pure.
std::optional<std::string> certificateRenewalReason(
    const CertificateAndKey& ca, const std::optional<CertificateAndKey>& existing,
    const CertificateSpec& wanted, std::chrono::system_clock::time_point now);

// Creates what is missing in `dir` and reuses what exists (the same CA across restarts);
// the apiserver and admin certificates are reissued when certificateRenewalReason says so.
// A ca.crt without its ca.key, or with another key, is kInvalid: the CA is never replaced
// behind the back of whoever trusts it. (A ca.key without ca.crt was never handed out and
// is replaced.) File-system failures are kInternal.
Result<ClusterPki> ensureClusterPki(const std::string& dir, const ClusterPkiOptions& options);

}  // namespace minik8s::pki
