#include "client/config.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <system_error>

#include "api/defaults.h"
#include "common/files.h"

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

// TLS and credential settings before the files are read: what the kubeconfig said (file
// paths made relative to its directory, `*-data` fields decoded), then the flags.
struct TlsSources {
  std::string ca_file;
  std::optional<std::string> ca_data;
  bool insecure = false;
  std::string server_name;
  std::string cert_file;
  std::optional<std::string> cert_data;
  std::string key_file;
  std::optional<std::string> key_data;
  std::string token;
  std::string token_file;
};

// A kubeconfig file path: relative ones are relative to the kubeconfig's directory.
std::string kubeconfigPath(const std::string& kubeconfig, const std::string& file) {
  if (file.empty() || file.front() == '/') return file;
  std::filesystem::path dir = std::filesystem::path(kubeconfig).parent_path();
  if (dir.empty()) return file;
  return (dir / file).string();
}

// Decodes a `*-data` field (standard base64; line breaks ignored, as Go's decoder does).
Status decodeDataField(const std::string& path, const YAML::Node& node, const char* key,
                       const std::string& owner, std::optional<std::string>* out) {
  std::string text = scalarOr(node, key, "");
  if (text.empty()) return Status::ok();
  std::string compact;
  compact.reserve(text.size());
  for (char c : text) {
    if (c != '\n' && c != '\r') compact += c;
  }
  std::string bytes;
  if (!api::base64Decode(compact, &bytes)) {
    return badRequest("error loading config file \"" + path + "\": " + key + " of " + owner +
                      ": illegal base64 data");
  }
  *out = std::move(bytes);
  return Status::ok();
}

Status boolField(const std::string& path, const YAML::Node& node, const char* key,
                 const std::string& owner, bool* out) {
  if (!node || !node.IsMap() || !node[key]) return Status::ok();
  try {
    *out = node[key].as<bool>();
  } catch (const YAML::Exception&) {
    return badRequest("error loading config file \"" + path + "\": " + key + " of " + owner +
                      ": not a boolean");
  }
  return Status::ok();
}

// Applies one kubeconfig file to `config` and `tls`.
Status applyKubeconfig(const std::string& path, const std::string& text, const std::string& context,
                       ClientConfig* config, TlsSources* tls) {
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

    std::string cluster_owner = "cluster \"" + cluster_name + "\"";
    tls->ca_file = kubeconfigPath(path, scalarOr(*cluster, "certificate-authority", ""));
    RETURN_IF_ERROR(decodeDataField(path, *cluster, "certificate-authority-data", cluster_owner,
                                    &tls->ca_data));
    RETURN_IF_ERROR(
        boolField(path, *cluster, "insecure-skip-tls-verify", cluster_owner, &tls->insecure));
    tls->server_name = scalarOr(*cluster, "tls-server-name", "");

    // A context whose user is not listed has no credentials (client-go does the same).
    std::string user_name = scalarOr(*ctx, "user", "");
    auto user = findNamed(root["users"], user_name, "user");
    if (!user || !user->IsMap()) return Status::ok();
    std::string user_owner = "user \"" + user_name + "\"";
    tls->cert_file = kubeconfigPath(path, scalarOr(*user, "client-certificate", ""));
    RETURN_IF_ERROR(
        decodeDataField(path, *user, "client-certificate-data", user_owner, &tls->cert_data));
    tls->key_file = kubeconfigPath(path, scalarOr(*user, "client-key", ""));
    RETURN_IF_ERROR(decodeDataField(path, *user, "client-key-data", user_owner, &tls->key_data));
    tls->token = scalarOr(*user, "token", "");
    tls->token_file = kubeconfigPath(path, scalarOr(*user, "tokenFile", ""));
  } catch (const YAML::Exception& e) {
    return badRequest("error loading config file \"" + path + "\": " + e.msg);
  }
  return Status::ok();
}

// The flags replace the kubeconfig's settings as kubectl's overrides do.
void applyOverrides(const ConfigSources& sources, TlsSources* tls) {
  if (!sources.certificate_authority.empty() || sources.insecure_skip_tls_verify) {
    tls->ca_file = sources.certificate_authority;
    tls->ca_data.reset();
    tls->insecure = sources.insecure_skip_tls_verify;
  }
  if (!sources.tls_server_name.empty() || !sources.server.empty()) {
    tls->server_name = sources.tls_server_name;
  }
  if (!sources.client_certificate.empty()) {
    tls->cert_file = sources.client_certificate;
    tls->cert_data.reset();
  }
  if (!sources.client_key.empty()) {
    tls->key_file = sources.client_key;
    tls->key_data.reset();
  }
  if (!sources.token.empty()) tls->token = sources.token;
}

// `data` when given, else the content of `file` (nothing when neither is set).
Result<std::string> dataOrFile(const std::optional<std::string>& data, const std::string& file,
                               const char* field, const FileReader& read_file) {
  if (data) return *data;
  if (file.empty()) return std::string();
  auto read = read_file(file);
  if (!read.isOk()) {
    return badRequest(std::string("unable to read ") + field + " \"" + file +
                      "\": " + read.status().message());
  }
  return std::move(read).value();
}

Status resolveTls(const TlsSources& in, const FileReader& read_file, ClientConfig* config) {
  if (in.insecure && (in.ca_data || !in.ca_file.empty())) {
    return badRequest("specifying a root certificates file with the insecure flag is not allowed");
  }
  TlsClientConfig& tls = config->tls;
  ASSIGN_OR_RETURN(tls.ca_pem,
                   dataOrFile(in.ca_data, in.ca_file, "certificate-authority", read_file));
  ASSIGN_OR_RETURN(tls.client_cert_pem,
                   dataOrFile(in.cert_data, in.cert_file, "client-certificate", read_file));
  ASSIGN_OR_RETURN(tls.client_key_pem,
                   dataOrFile(in.key_data, in.key_file, "client-key", read_file));
  tls.insecure_skip_verify = in.insecure;
  tls.server_name = in.server_name;
  if (!in.token.empty()) {
    config->bearer_token = in.token;
  } else if (!in.token_file.empty()) {
    ASSIGN_OR_RETURN(std::string token,
                     dataOrFile(std::nullopt, in.token_file, "tokenFile", read_file));
    size_t begin = token.find_first_not_of(" \t\r\n");
    size_t end = token.find_last_not_of(" \t\r\n");
    if (begin == std::string::npos) {
      return badRequest("read empty token from file \"" + in.token_file + "\"");
    }
    config->bearer_token = token.substr(begin, end - begin + 1);
  }
  return Status::ok();
}

}  // namespace

Result<ClientConfig> resolveConfig(const ConfigSources& sources, const FileReader& read_file) {
  ClientConfig config;
  TlsSources tls;
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
    RETURN_IF_ERROR(applyKubeconfig(path, text, sources.context, &config, &tls));
  } else if (!sources.context.empty()) {
    return badRequest("context was not found for specified context: " + sources.context);
  }
  if (!sources.server.empty()) config.server = sources.server;
  applyOverrides(sources, &tls);
  RETURN_IF_ERROR(resolveTls(tls, read_file, &config));
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
    auto text = readFile(file);
    if (!text.isOk() && text.status().code() != Code::kNotFound) {
      return badRequest(text.status().message());
    }
    return text;
  };
  return resolveConfig(sources, reader);
}

Result<ServerAddress> parseServerUrl(const std::string& url) {
  std::string rest = url;
  ServerAddress address;
  if (rest.rfind("https://", 0) == 0) {
    address.tls = true;
    rest = rest.substr(8);
  } else if (rest.rfind("http://", 0) == 0) {
    rest = rest.substr(7);
  }
  if (rest.find("://") != std::string::npos)
    return badRequest("server " + url + ": unsupported scheme");
  size_t slash = rest.find('/');
  if (slash != std::string::npos) {
    address.path_prefix = rest.substr(slash);
    rest = rest.substr(0, slash);
    while (!address.path_prefix.empty() && address.path_prefix.back() == '/') {
      address.path_prefix.pop_back();
    }
  }
  size_t colon = rest.rfind(':');
  std::string port_text = address.tls ? "443" : "80";
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
