// Client configuration: where the apiserver is and which namespace is the default, resolved
// the way kubectl resolves it: --server, then --kubeconfig, then $KUBECONFIG, then
// ~/.kube/config (its current context, or --context), then http://127.0.0.1:6443.
//
// resolveConfig is pure (files are read through a callback) so that every rule is tested
// without touching the disk; loadConfig is the thin version that reads real files.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "common/status.h"

namespace minik8s::client {

inline constexpr char kDefaultServer[] = "http://127.0.0.1:6443";

struct ClientConfig {
  std::string server = kDefaultServer;  // "http://host:port[/prefix]"
  std::string default_namespace = "default";
  // Budget for one request (connect + write + read). Watches use it only for the head.
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};
  std::string user_agent = "minik8s-client";
};

// What the user and the environment said. Empty strings mean "not given".
struct ConfigSources {
  std::string server;          // --server / -s
  std::string kubeconfig;      // --kubeconfig
  std::string context;         // --context
  std::string kubeconfig_env;  // $KUBECONFIG (colon-separated list; first readable file wins)
  std::string home;            // $HOME (for ~/.kube/config)
};

// Reads a whole file; kNotFound when it does not exist, another error when unreadable.
using FileReader = std::function<Result<std::string>(const std::string& path)>;

// Pure resolution. Errors: an explicit --kubeconfig that does not exist, a kubeconfig that
// does not parse, an unknown --context, a context naming an unknown cluster.
Result<ClientConfig> resolveConfig(const ConfigSources& sources, const FileReader& read_file);

// resolveConfig with $KUBECONFIG and $HOME from the environment and real files.
Result<ClientConfig> loadConfig(ConfigSources sources);

// The parts of a server URL. Only plain http is supported (no TLS yet).
struct ServerAddress {
  std::string host;         // "127.0.0.1"
  uint16_t port = 0;        // 6443
  std::string path_prefix;  // "" or "/prefix" (no trailing slash)

  std::string hostPort() const { return host + ":" + std::to_string(port); }
};

// "http://127.0.0.1:6443", "127.0.0.1:6443", "http://localhost" (port 80).
// kBadRequest for https or a malformed URL.
Result<ServerAddress> parseServerUrl(const std::string& url);

}  // namespace minik8s::client
