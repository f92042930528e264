#include "node/cluster_info.h"

#include "api/defaults.h"
#include "api/scheme.h"
#include "api/yaml.h"
#include "client/config.h"
#include "client/rest_client.h"
#include "pki/ca_hash.h"
#include "pki/jws.h"

#include <thread>

namespace minik8s::node {

using nlohmann::json;

namespace cluster_info_impl {

const api::ResourceInfo& configMaps() {
  return *api::findResource("", "v1", "configmaps");
}

Result<json> fetchClusterInfo(const client::ClientConfig& config) {
  ASSIGN_OR_RETURN(auto client, client::RestClient::connect(config));
  auto got = client->get(configMaps(), kClusterInfoNamespace, kClusterInfoName);
  if (!got.isOk()) {
    return got.status().withContext("getting " + std::string(kClusterInfoNamespace) + "/" +
                                    kClusterInfoName + " from " + config.server);
  }
  return got;
}

}  // namespace cluster_info_impl

using cluster_info_impl::configMaps;
using cluster_info_impl::fetchClusterInfo;

json clusterInfoConfigMap(const ClusterInfo& info) {
  json kubeconfig = {
      {"apiVersion", "v1"},
      {"kind", "Config"},
      {"clusters",
       json::array({{{"name", ""},
                     {"cluster",
                      {{"server", info.server},
                       {"certificate-authority-data", api::base64Encode(info.ca_pem)}}}}})},
      {"contexts", json::array()},
      {"users", json::array()},
      {"current-context", ""},
      {"preferences", json::object()}};
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", kClusterInfoName}, {"namespace", kClusterInfoNamespace}}},
          {"data", {{"kubeconfig", api::toYaml(kubeconfig)}}}};
}

Result<ClusterInfo> parseClusterInfo(const json& config_map) {
  const json data = config_map.value("data", json::object());
  if (!data.is_object() || !data.contains("kubeconfig") || !data["kubeconfig"].is_string()) {
    return invalid("cluster-info has no data.kubeconfig");
  }
  auto parsed = api::parseYaml(data["kubeconfig"].get<std::string>());
  if (!parsed.isOk()) return invalid("cluster-info's kubeconfig: " + parsed.status().message());
  const json& clusters = parsed->is_object() ? parsed->value("clusters", json::array())
                                             : json::array();
  if (!clusters.is_array()) return invalid("cluster-info's kubeconfig: clusters is not a list");
  for (const auto& entry : clusters) {
    if (!entry.is_object()) continue;
    json cluster = entry.value("cluster", json::object());
    if (!cluster.is_object()) continue;
    std::string server = cluster.value("server", "");
    std::string ca_data = cluster.value("certificate-authority-data", "");
    if (server.empty() || ca_data.empty()) continue;
    ClusterInfo info;
    info.server = server;
    if (!api::base64Decode(ca_data, &info.ca_pem)) {
      return invalid("cluster-info's kubeconfig: certificate-authority-data is not base64");
    }
    return info;
  }
  return invalid("cluster-info's kubeconfig has no cluster with a server and certificate-authority-data");
}

Status checkClusterInfoSignature(const json& config_map, const pki::BootstrapToken& token) {
  const json data = config_map.value("data", json::object());
  if (!data.is_object() || !data.contains("kubeconfig") || !data["kubeconfig"].is_string()) {
    return invalid("cluster-info has no data.kubeconfig");
  }
  const std::string key = pki::jwsKubeconfigKey(token.id);
  if (!data.contains(key) || !data[key].is_string()) {
    return Status(Code::kNotFound, "cluster-info has no " + key);
  }
  Status verified = pki::verifyDetachedJws(data[key].get<std::string>(),
                                           data["kubeconfig"].get<std::string>(), token.id,
                                           token.secret);
  if (!verified.isOk()) {
    return Status(Code::kUnauthorized,
                  "cluster-info's " + key + " does not verify with the token (" +
                      verified.message() +
                      "): the token's secret is wrong, or this API server does not know the "
                      "token; not trusting it");
  }
  return Status::ok();
}

Status publishClusterInfo(client::Client& client, const ClusterInfo& info) {
  const auto& namespaces = *api::findResource("", "v1", "namespaces");
  json ns = {{"apiVersion", "v1"},
             {"kind", "Namespace"},
             {"metadata", {{"name", kClusterInfoNamespace}}}};
  auto made_ns = client.create(namespaces, "", ns);
  if (!made_ns.isOk() && made_ns.status().code() != Code::kAlreadyExists) {
    return made_ns.status().withContext("creating namespace kube-public");
  }
  json wanted = clusterInfoConfigMap(info);
  auto existing = client.get(configMaps(), kClusterInfoNamespace, kClusterInfoName);
  if (existing.isOk()) {
    json data = existing->value("data", json::object());
    if (!data.is_object()) data = json::object();
    if (data.value("kubeconfig", json()) == wanted["data"]["kubeconfig"]) return Status::ok();
    // The signatures were over the old kubeconfig: drop them, the bootstrapsigner re-signs.
    for (auto it = data.begin(); it != data.end();) {
      it = it.key().rfind(pki::kJwsKubeconfigPrefix, 0) == 0 ? data.erase(it) : std::next(it);
    }
    data["kubeconfig"] = wanted["data"]["kubeconfig"];
    wanted["data"] = data;
    wanted["metadata"]["resourceVersion"] =
        (*existing)["metadata"].value("resourceVersion", "");
    auto updated = client.update(configMaps(), kClusterInfoNamespace, wanted);
    return updated.isOk() ? Status::ok() : updated.status().withContext("updating cluster-info");
  }
  if (existing.status().code() != Code::kNotFound) return existing.status();
  auto created = client.create(configMaps(), kClusterInfoNamespace, wanted);
  return created.isOk() ? Status::ok() : created.status().withContext("creating cluster-info");
}

Status publishClusterInfo(const client::ClientConfig& admin, const ClusterInfo& info) {
  ASSIGN_OR_RETURN(auto client, client::RestClient::connect(admin));
  return publishClusterInfo(*client, info);
}

Result<ClusterInfo> discoverClusterInfo(const DiscoveryOptions& options) {
  if (options.ca_pins.empty() && !options.unsafe_skip_ca_verification) {
    return invalid(
        "token discovery without --discovery-token-ca-cert-hash is unsafe: pass the hash "
        "(`minik8s token create --print-join-command` prints it) or "
        "--discovery-token-unsafe-skip-ca-verification");
  }
  ASSIGN_OR_RETURN(auto address, client::parseServerUrl(options.server));
  if (!address.tls) return invalid("--server must be an https URL to join: " + options.server);
  client::ClientConfig config;
  config.server = options.server;
  config.user_agent = "minik8s-agent-join";
  config.timeout = std::chrono::seconds(10);
  config.tls.insecure_skip_verify = true;  // the pin below authenticates what we got
  if (!options.token) return invalid("token discovery needs the bootstrap token");
  const pki::BootstrapToken& token = *options.token;
  const auto give_up = std::chrono::steady_clock::now() + options.signature_wait;
  json insecure;
  for (;;) {
    ASSIGN_OR_RETURN(insecure, fetchClusterInfo(config));
    Status signature = checkClusterInfoSignature(insecure, token);
    if (signature.isOk()) break;
    if (signature.code() != Code::kNotFound) return signature;
    if (std::chrono::steady_clock::now() >= give_up) {
      return Status(Code::kUnauthorized,
                    "there is no JWS signed by token id \"" + token.id +
                        "\" in cluster-info: the token is invalid for this cluster or has "
                        "expired (`minik8s token create` on the control plane makes a new one)");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  ASSIGN_OR_RETURN(ClusterInfo info, parseClusterInfo(insecure));
  if (!options.unsafe_skip_ca_verification) {
    RETURN_IF_ERROR(pki::checkCaCertHash(info.ca_pem, options.ca_pins));
  }
  // Now as a client that trusts only that CA: the server must hold a certificate of it.
  config.tls.insecure_skip_verify = false;
  config.tls.ca_pem = info.ca_pem;
  ASSIGN_OR_RETURN(json secure, fetchClusterInfo(config));
  ASSIGN_OR_RETURN(ClusterInfo verified, parseClusterInfo(secure));
  RETURN_IF_ERROR(checkClusterInfoSignature(secure, token));
  if (verified.ca_pem != info.ca_pem) {
    return Status(Code::kUnauthorized, "cluster-info changed between the two reads");
  }
  verified.server = options.server;
  return verified;
}

}  // namespace minik8s::node
