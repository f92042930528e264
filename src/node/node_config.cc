#include "node/node_config.h"

#include <arpa/inet.h>

#include <nlohmann/json.hpp>

#include "api/scheme.h"
#include "api/yaml.h"

namespace minik8s::node {

using nlohmann::json;

Result<NodeConfigFile> parseNodeConfig(const std::string& yaml) {
  auto parsed = api::parseYaml(yaml);
  if (!parsed.isOk()) return invalid("node config: " + parsed.status().message());
  if (!parsed->is_object()) return invalid("node config: not a mapping");
  const json& doc = *parsed;
  auto text = [](const json& object, const char* key) -> std::string {
    auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  if (doc.contains("kind") && text(doc, "kind") != "Node") {
    return invalid("node config: kind is " + doc["kind"].dump() + ", want Node");
  }
  if (doc.contains("apiVersion") && text(doc, "apiVersion") != "v1") {
    return invalid("node config: apiVersion is " + doc["apiVersion"].dump() + ", want v1");
  }
  const json metadata = doc.value("metadata", json::object());
  if (!metadata.is_object()) return invalid("node config: metadata is not a mapping");
  NodeConfigFile config;
  config.name = text(metadata, "name");
  if (config.name.empty()) return invalid("node config: metadata.name is required");
  const json labels = metadata.value("labels", json::object());
  if (!labels.is_object() && !labels.is_null()) {
    return invalid("node config: metadata.labels is not a mapping");
  }
  if (labels.is_object()) {
    for (const auto& [key, value] : labels.items()) {
      // YAML reads `zone: 1` or `gpu: true` as a number or a bool; Kubernetes wants strings.
      if (value.is_string()) {
        config.labels[key] = value.get<std::string>();
      } else if (value.is_number() || value.is_boolean()) {
        config.labels[key] = value.dump();
      } else {
        return invalid("node config: metadata.labels." + key + " is not a string");
      }
    }
  }
  const json spec = doc.value("spec", json::object());
  if (spec.is_object() && spec.contains("ip")) {
    config.ip = text(spec, "ip");
    in_addr address{};
    if (config.ip.empty() || ::inet_pton(AF_INET, config.ip.c_str(), &address) != 1) {
      return invalid("node config: spec.ip " + spec["ip"].dump() + " is not an IPv4 address");
    }
  }
  return config;
}

std::string renderNodeConfig(const NodeConfigFile& config) {
  json doc = {{"apiVersion", "v1"}, {"kind", "Node"}, {"metadata", {{"name", config.name}}}};
  if (!config.labels.empty()) doc["metadata"]["labels"] = config.labels;
  if (!config.ip.empty()) doc["spec"] = {{"ip", config.ip}};
  return api::toYaml(doc);
}

nlohmann::json nodeConfigToJson(const NodeConfigFile& config) {
  return json{{"name", config.name}, {"labels", config.labels}, {"ip", config.ip}};
}

Result<NodeConfigFile> nodeConfigFromJson(const nlohmann::json& j) {
  if (!j.is_object()) return invalid("node config: not a JSON object");
  NodeConfigFile config;
  try {
    config.name = j.value("name", "");
    config.labels = j.value("labels", config.labels);
    config.ip = j.value("ip", "");
  } catch (const json::exception& e) {
    return invalid(std::string("node config: ") + e.what());
  }
  if (config.name.empty()) return invalid("node config: no name");
  return config;
}

Result<NodeIdentity> resolveNodeIdentity(const NodeConfigFile& config,
                                         const std::optional<std::string>& flag_name,
                                         const std::optional<std::string>& flag_ip) {
  NodeIdentity identity{config.name, config.ip};
  if (flag_name && *flag_name != config.name) {
    return invalid("--node-name " + *flag_name + " conflicts with the node config's name " +
                   config.name);
  }
  if (flag_ip) {
    if (!config.ip.empty() && *flag_ip != config.ip) {
      return invalid("--node-ip " + *flag_ip + " conflicts with the node config's spec.ip " +
                     config.ip);
    }
    identity.ip = *flag_ip;
  }
  return identity;
}

Status applyNodeLabels(client::Client& client, const std::string& name,
                       const std::map<std::string, std::string>& labels) {
  if (labels.empty()) return Status::ok();
  const auto& nodes = *api::findResource("", "v1", "nodes");
  json wanted = labels;
  auto existing = client.get(nodes, "", name);
  if (existing.isOk()) {
    json patch = {{"metadata", {{"labels", wanted}}}};
    auto patched = client.patch(nodes, "", name, client::PatchType::kMerge, patch.dump());
    return patched.isOk() ? Status::ok() : patched.status().withContext("labelling node " + name);
  }
  if (existing.status().code() != Code::kNotFound) return existing.status();
  wanted["kubernetes.io/hostname"] = name;
  json node = {{"apiVersion", "v1"},
               {"kind", "Node"},
               {"metadata", {{"name", name}, {"labels", wanted}}}};
  auto created = client.create(nodes, "", node);
  if (created.isOk()) return Status::ok();
  if (created.status().code() == Code::kAlreadyExists) return applyNodeLabels(client, name, labels);
  return created.status().withContext("registering node " + name);
}

}  // namespace minik8s::node
