// `minik8s agent --node-config node.yaml`: the original project's node file, a Node manifest
//
//   apiVersion: v1
//   kind: Node
//   metadata:
//     name: node1
//     labels: {zone: a}
//   spec:
//     ip: 192.168.1.11      # not a Kubernetes field: the node's InternalIP
//
// The agent registers its Node with that name, those labels and that address. Other fields
// are tolerated and ignored. parseNodeConfig and resolveNodeIdentity are pure;
// applyNodeLabels writes. Thread-safe (no state).
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "client/client.h"
#include "common/status.h"

namespace minik8s::node {

struct NodeConfigFile {
  std::string name;
  std::map<std::string, std::string> labels;
  std::string ip;  // "" when spec.ip is absent

  bool operator==(const NodeConfigFile&) const = default;
};

// kInvalid (naming the field) for text that is not YAML, a kind other than Node, an
// apiVersion other than v1, a missing metadata.name, a label value that is not a string or
// a spec.ip that is not an IPv4 address.
Result<NodeConfigFile> parseNodeConfig(const std::string& yaml);

// The manifest of `config` in the same format (what `minik8s up --node-config` hands the
// node's agent); parseNodeConfig reads it back equal.
std::string renderNodeConfig(const NodeConfigFile& config);

// JSON {"name", "labels", "ip"} for `minik8s up`'s state file, and back (kInvalid when it
// is not such an object).
nlohmann::json nodeConfigToJson(const NodeConfigFile& config);
Result<NodeConfigFile> nodeConfigFromJson(const nlohmann::json& j);

struct NodeIdentity {
  std::string name;
  std::string ip;
};

// The node's name and address from the file and the --node-name / --node-ip flags (nullopt:
// not given): the file's, unless a flag says otherwise, which is kInvalid; a flag fills what
// the file leaves out.
Result<NodeIdentity> resolveNodeIdentity(const NodeConfigFile& config,
                                         const std::optional<std::string>& flag_name,
                                         const std::optional<std::string>& flag_ip);

// Puts `labels` on the Node `name`: a merge patch of metadata.labels, or a create of the
// Node (with kubernetes.io/hostname too) when there is none; the kubelet keeps labels it
// finds on its Node. No-op for no labels.
Status applyNodeLabels(client::Client& client, const std::string& name,
                       const std::map<std::string, std::string>& labels);

}  // namespace minik8s::node
