// Token discovery, as kubeadm does it: the server publishes the ConfigMap
// kube-public/cluster-info (data.kubeconfig: a kubeconfig with the server's URL and the
// cluster CA, no credentials), which anonymous users may get; a joining node fetches it over
// TLS without verifying the server, checks the detached JWS of the kubeconfig made with its
// bootstrap token (data.jws-kubeconfig-<token-id>, written by the controller manager's
// bootstrapsigner: only someone who knows the token could make it), checks the CA's public
// key against the pin it was given (--discovery-token-ca-cert-hash), and from then on trusts
// only that CA.
//
// clusterInfoConfigMap, parseClusterInfo and checkClusterInfoSignature are pure;
// publishClusterInfo and discoverClusterInfo do the I/O. Thread-safe (no state).
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "client/client.h"
#include "client/config.h"
#include "common/status.h"
#include "pki/bootstrap_token.h"

namespace minik8s::node {

inline constexpr char kClusterInfoNamespace[] = "kube-public";
inline constexpr char kClusterInfoName[] = "cluster-info";

struct ClusterInfo {
  std::string server;  // the URL the control plane published
  std::string ca_pem;  // the cluster CA
};

// The ConfigMap kube-public/cluster-info with data.kubeconfig for `info` (kubeadm's shape:
// one cluster named "", no contexts, no users).
nlohmann::json clusterInfoConfigMap(const ClusterInfo& info);

// The server and CA of a cluster-info ConfigMap (JSON). kInvalid when data.kubeconfig is
// missing or holds no cluster with a server and certificate-authority-data.
Result<ClusterInfo> parseClusterInfo(const nlohmann::json& config_map);

// Ok when `config_map` (cluster-info, JSON) carries data.jws-kubeconfig-<token.id> and it is
// the detached JWS of data.kubeconfig made with `token` (pki/jws.h). kNotFound when there is
// no signature for this token id (a token just created may not be signed yet; an unknown or
// expired one never is), kUnauthorized when the signature does not match (a wrong token
// secret, or cluster-info not from a server that knows the token).
Status checkClusterInfoSignature(const nlohmann::json& config_map, const pki::BootstrapToken& token);

// Creates kube-public (when missing) and cluster-info, or updates cluster-info when its
// kubeconfig differs (other data, such as the bootstrapsigner's signatures, is kept while the
// kubeconfig stays; a new kubeconfig drops the stale signatures, to be signed again). `client` needs the right to write them (the server's admin identity).
Status publishClusterInfo(client::Client& client, const ClusterInfo& info);

// publishClusterInfo through a client connected with `admin` (the server's own admin
// certificate): what `minik8s server --tls` does at every start.
Status publishClusterInfo(const client::ClientConfig& admin, const ClusterInfo& info);

struct DiscoveryOptions {
  std::string server;                // https://HOST:PORT, as the user gave it
  std::vector<std::string> ca_pins;  // --discovery-token-ca-cert-hash
  bool unsafe_skip_ca_verification = false;
  std::optional<pki::BootstrapToken> token;  // its signature of cluster-info is required
  // How long to wait for the signature of a token that has none yet (the signer runs within
  // a second of a token's creation), re-reading cluster-info every 500 ms.
  std::chrono::milliseconds signature_wait{std::chrono::seconds(10)};
};

// Fetches cluster-info from `options.server` without verifying the server, checks its
// signature with options.token (checkClusterInfoSignature; no signature after
// options.signature_wait is kUnauthorized saying the token id is invalid or expired; a
// token is required: kInvalid without one), checks its CA against the pins (skipped only with unsafe_skip_ca_verification; without pins and without
// it, kInvalid before any request), then fetches it again verifying the server with that CA
// (as kubeadm does), and returns the CA with options.server as the server: the address the
// node was told to use, which reaches the server by definition.
Result<ClusterInfo> discoverClusterInfo(const DiscoveryOptions& options);

}  // namespace minik8s::node
