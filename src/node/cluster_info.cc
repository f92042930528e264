#include "node/cluster_info.h"

#include "api/defaults.h"
#include "api/scheme.h"
#include "api/yaml.h"
#include "client/config.h"
#include "client/rest_client.h"
#include "pki/ca_hash.h"

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
    if (existing->value("data", json::object()) == wanted["data"]) return Status::ok();
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
  ASSIGN_OR_RETURN(json insecure, fetchClusterInfo(config));
  ASSIGN_OR_RETURN(ClusterInfo info, parseClusterInfo(insecure));
  if (!options.unsafe_skip_ca_verification) {
    RETURN_IF_ERROR(pki::checkCaCertHash(info.ca_pem, options.ca_pins));
  }
  // Now as a client that trusts only that CA: the server must hold a certificate of it.
  config.tls.insecure_skip_verify = false;
  config.tls.ca_pem = info.ca_pem;
  ASSIGN_OR_RETURN(json secure, fetchClusterInfo(config));
  ASSIGN_OR_RETURN(ClusterInfo verified, parseClusterInfo(secure));
  if (verified.ca_pem != info.ca_pem) {
    return Status(Code::kUnauthorized, "cluster-info changed between the two reads");
  }
  verified.server = options.server;
  return verified;
}

}  // namespace minik8s::node
