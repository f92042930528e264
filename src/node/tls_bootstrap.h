// TLS bootstrapping of a node's client certificate, as the kubelet does it
// (--bootstrap-kubeconfig): with a bootstrap token as bearer, the node creates a
// CertificateSigningRequest (certificates.k8s.io/v1, signer
// kubernetes.io/kube-apiserver-client-kubelet, subject CN=system:node:<name>
// O=system:nodes) for a key it generated, waits until the control plane approves and signs
// it, and writes a kubeconfig with the server, the CA, the certificate and the key. A later
// start reuses that kubeconfig while its certificate is good.
//
// The decisions (is a kubeconfig usable, the CSR object, what a CSR's status says, is an
// issued certificate the one asked for) are pure; requestNodeCertificate and joinCluster
// do the I/O. Thread-safe (no state).
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <stop_token>
#include <string>

#include "api/scheme.h"
#include "client/client.h"
#include "common/status.h"
#include "node/cluster_info.h"

namespace minik8s::node {

inline constexpr char kNodeCsrGenerateName[] = "node-csr-";
inline constexpr char kNodeClientSignerName[] = "kubernetes.io/kube-apiserver-client-kubelet";
inline constexpr char kNodeKubeconfigFile[] = "kubeconfig";  // in the agent's --data-dir

// certificates.k8s.io/v1 certificatesigningrequests (cluster-scoped).
const api::ResourceInfo& csrResource();

// A node's credentials: what its kubeconfig holds (PEM).
struct NodeCredentials {
  std::string server;
  std::string ca_pem;
  std::string cert_pem;
  std::string key_pem;
};

// Why `credentials` cannot serve node `node_name` at `now`, or nullopt when they can: no
// certificate or key, a key that is not the certificate's, a certificate the credentials'
// CA did not sign or that is not valid at `now`, a subject other than
// CN=system:node:<name> in O=system:nodes, or less than a fifth of its lifetime left (the
// kubelet rotates at 70-90%).
std::optional<std::string> nodeCredentialsProblem(const NodeCredentials& credentials,
                                                  const std::string& node_name,
                                                  std::chrono::system_clock::time_point now);

// The CertificateSigningRequest for `csr_pem` (generateName node-csr-, the kubelet client
// signer, usages digital signature and client auth; expirationSeconds when given).
nlohmann::json nodeCsrObject(const std::string& csr_pem,
                             std::optional<int32_t> expiration_seconds = std::nullopt);

// What a CertificateSigningRequest's status says.
struct CsrOutcome {
  enum class State { kPending, kIssued, kDenied, kFailed };
  State state = State::kPending;
  std::string certificate_pem;  // kIssued
  std::string message;          // kDenied, kFailed: reason and message of the condition
};
// kInvalid when status.certificate is not base64. A Denied or Failed condition wins over a
// certificate.
Result<CsrOutcome> csrOutcome(const nlohmann::json& csr);

// Ok when `cert_pem` is a client certificate for `key_pem` with subject
// CN=system:node:<node_name>, O=system:nodes, signed by `ca_pem` and valid at `now`;
// kInvalid naming the difference otherwise.
Status checkIssuedCertificate(const std::string& cert_pem, const std::string& key_pem,
                              const std::string& ca_pem, const std::string& node_name,
                              std::chrono::system_clock::time_point now);

struct TlsBootstrapOptions {
  std::string node_name;
  std::optional<int32_t> expiration_seconds;
  std::chrono::seconds timeout{std::chrono::minutes(5)};  // for the approval and signature
};

// Generates a key, creates the CSR through `client` (which carries the bootstrap token)
// and follows it until it is signed: the credentials for `cluster`. kForbidden when it is
// denied, kInternal when it failed or was deleted, kDeadlineExceeded after
// options.timeout, kUnavailable when `stop` is requested, and kInvalid when the
// certificate issued is not the one asked for.
Result<NodeCredentials> requestNodeCertificate(client::Client& client, const ClusterInfo& cluster,
                                               const TlsBootstrapOptions& options,
                                               std::stop_token stop = {});

// The credentials in a kubeconfig file (its current context); nullopt when the file does
// not exist. An unreadable or malformed file is an error.
Result<std::optional<NodeCredentials>> readNodeKubeconfig(const std::string& path);
// Writes `credentials` as a kubeconfig (mode 0600, through a temporary file and a rename).
Status writeNodeKubeconfig(const std::string& path, const NodeCredentials& credentials);

// The bootstrap token in the file at `path` (`agent --token-file`: the token stays out of
// the process's command line, which every user can read in /proc). Surrounding whitespace
// is ignored. kInvalid when the file is readable or writable by group or others (it must be
// 0600 or stricter), or does not hold exactly one token of the form [a-z0-9]{6}.[a-z0-9]{16};
// kNotFound when it does not exist.
Result<std::string> readBootstrapTokenFile(const std::string& path);

struct JoinOptions {
  DiscoveryOptions discovery;
  std::string token;     // the bootstrap token
  std::string data_dir;  // the kubeconfig goes to <data_dir>/kubeconfig
  TlsBootstrapOptions bootstrap;
};

// The whole join: reuses <data_dir>/kubeconfig when nodeCredentialsProblem finds nothing
// wrong and its CA matches the pins; otherwise token discovery (cluster_info.h), then
// requestNodeCertificate with the token, then writes the kubeconfig. Returns its path.
Result<std::string> joinCluster(const JoinOptions& options, std::stop_token stop = {});

}  // namespace minik8s::node
