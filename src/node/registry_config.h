// A node's registry config, k3s's registries.yaml format, and what it becomes: one
// containerd hosts.toml per registry (containerd reads <base>/certs.d/<host>/hosts.toml at
// every pull) and the list of registries the kubelet may pull from. Pure but for
// writeRegistryHosts.
//
//   mirrors:
//     docker.io:
//       endpoint: ["http://127.0.0.1:5000"]   # tried in order, then the registry itself
//   configs:
//     "registry.example:5443":
//       tls: {insecure_skip_verify: true}
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/status.h"

namespace minik8s::node {

struct RegistryConfig {
  std::map<std::string, std::vector<std::string>> mirrors;  // host -> endpoint URLs
  std::map<std::string, bool> insecure_skip_verify;         // host -> tls setting
};

// kInvalid naming the field for malformed input; an empty text is an empty config.
Result<RegistryConfig> parseRegistryConfig(const std::string& yaml);

// host directory name -> hosts.toml content, for every mirror and config entry.
std::map<std::string, std::string> renderHostsTomls(const RegistryConfig& config);

// The registries a node with this config pulls from: every mirrored or configured host.
std::vector<std::string> configuredRegistries(const RegistryConfig& config);

// Replaces the contents of `dir` (containerd's config_path) with the config's hosts.toml
// files.
Status writeRegistryHosts(const RegistryConfig& config, const std::string& dir);

}  // namespace minik8s::node
