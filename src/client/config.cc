#include "client/config.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <system_error>

namespace minik8s::client {

namespace {

// Looks up `name` in a kubeconfig list such as `clusters: [{name: x, cluster: {...}}]` and
// returns its `field` map (nullopt when there is no such entry).
std::optional<YAML::Node> findNamed(const YAML::Node& list, const std::string& name,
                                    const char* field) {
  if (!list || !list.IsSequence()) return std::nullopt;
  for (const auto& item : list) {
    if (item.IsMap() && item["name"] && item["name"].as<std::string>("") == name) {
      return item[field];
    }
  }
  return std::nullopt;
}

std::string scalarOr(const YAML::Node& node, const char* key, const std::string& fallback) {
  if (!node || !node.IsMap() || !node[key] || !node[key].IsScalar()) return fallback;
  return node[key].as<std::string>(fallback);
}

// Applies one kubeconfig file to `config`.
Status applyKubeconfig(const std::string& path, const std::string& text, const std::string& context,
                       ClientConfig* config) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return badRequest("error loading config file \"" + path + "\": " + e.msg);
  }
  if (!root || root.IsNull()) return Status::ok();  // an empty file configures nothing
  if (!root.IsMap()) {
    return badRequest("error loading config file \"" + path + "\": not a kubeconfig mapping");
  }
  try {
    std::string context_name = context.empty() ? scalarOr(root, "current-context", "") : context;
    if (context_name.empty()) return Status::ok();
    auto ctx = findNamed(root["contexts"], context_name, "context");
    if (!ctx) {
      return badRequest("context was not found for specified context: " + context_name);
    }
    std::string cluster_name = scalarOr(*ctx, "cluster", "");
    auto cluster = findNamed(root["clusters"], cluster_name, "cluster");
    if (!cluster) {
      return badRequest("cluster \"" + cluster_name + "\" of context \"" + context_name +
                        "\" was not found in " + path);
    }
    config->server = scalarOr(*cluster, "server", config->server);
    config->default_namespace = scalarOr(*ctx, "namespace", config->default_namespace);
  } catch (const YAML::Exception& e) {
    return badRequest("error loading config file \"" + path + "\": " + e.msg);
  }
  return Status::ok();
}

}  // namespace

Result<ClientConfig> resolveConfig(const ConfigSources& sources, const FileReader& read_file) {
  ClientConfig config;
  std::string path;
  std::string text;
  if (!sources.kubeconfig.empty()) {
    auto read = read_file(sources.kubeconfig);
    if (!read.isOk()) {
      if (read.status().code() == Code::kNotFound) {
        return badRequest("stat " + sources.kubeconfig + ": no such file or directory");
      }
      return read.status();
    }
    path = sources.kubeconfig;
    text = std::move(read).value();
  } else {
    std::vector<std::string> candidates;
    std::string env = sources.kubeconfig_env;
    size_t start = 0;
    while (start <= env.size() && !env.empty()) {
      size_t colon = env.find(':', start);
      std::string item =
          env.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
      if (!item.empty()) candidates.push_back(item);
      if (colon == std::string::npos) break;
      start = colon + 1;
    }
    if (candidates.empty() && !sources.home.empty()) {
      candidates.push_back(sources.home + "/.kube/config");
    }
    for (const auto& candidate : candidates) {
      auto read = read_file(candidate);
      if (read.isOk()) {
        path = candidate;
        text = std::move(read).value();
        break;
      }
      if (read.status().code() != Code::kNotFound) return read.status();
    }
  }
  if (!path.empty()) {
    RETURN_IF_ERROR(applyKubeconfig(path, text, sources.context, &config));
  } else if (!sources.context.empty()) {
    return badRequest("context was not found for specified context: " + sources.context);
  }
  if (!sources.server.empty()) config.server = sources.server;
  return config;
}

Result<ClientConfig> loadConfig(ConfigSources sources) {
  if (sources.kubeconfig_env.empty()) {
    if (const char* env = std::getenv("KUBECONFIG")) sources.kubeconfig_env = env;
  }
  if (sources.home.empty()) {
    if (const char* home = std::getenv("HOME")) sources.home = home;
  }
  FileReader reader = [](const std::string& file) -> Result<std::string> {
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) return notFound(file + ": no such file or directory");
    std::ifstream in(file);
    if (!in) return badRequest("cannot read " + file);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  };
  return resolveConfig(sources, reader);
}

Result<ServerAddress> parseServerUrl(const std::string& url) {
  std::string rest = url;
  if (rest.rfind("https://", 0) == 0) {
    return badRequest("server " + url + ": https is not supported; use http://");
  }
  if (rest.rfind("http://", 0) == 0) rest = rest.substr(7);
  if (rest.find("://") != std::string::npos)
    return badRequest("server " + url + ": unsupported scheme");
  ServerAddress address;
  size_t slash = rest.find('/');
  if (slash != std::string::npos) {
    address.path_prefix = rest.substr(slash);
    rest = rest.substr(0, slash);
    while (!address.path_prefix.empty() && address.path_prefix.back() == '/') {
      address.path_prefix.pop_back();
    }
  }
  size_t colon = rest.rfind(':');
  std::string port_text = "80";
  if (colon != std::string::npos && rest.find(']', colon) == std::string::npos) {
    port_text = rest.substr(colon + 1);
    rest = rest.substr(0, colon);
  }
  if (rest.size() >= 2 && rest.front() == '[' && rest.back() == ']')
    rest = rest.substr(1, rest.size() - 2);
  if (rest.empty()) return badRequest("server " + url + ": no host");
  if (port_text.empty() || port_text.size() > 5 ||
      port_text.find_first_not_of("0123456789") != std::string::npos) {
    return badRequest("server " + url + ": invalid port \"" + port_text + "\"");
  }
  int port = std::stoi(port_text);
  if (port <= 0 || port > 65535) return badRequest("server " + url + ": invalid port " + port_text);
  address.host = rest;
  address.port = static_cast<uint16_t>(port);
  return address;
}

}  // namespace minik8s::client
