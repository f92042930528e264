// Client configuration: where the apiserver is, which namespace is the default, how to
// trust the server (TLS) and who we are (client certificate, bearer token), resolved the way
// kubectl resolves it: --server, then --kubeconfig, then $KUBECONFIG, then ~/.kube/config
// (its current context, or --context), then http://127.0.0.1:6443. The context's cluster
// gives the server and its CA; the context's user gives the credentials.
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

// TLS for an https server, as the kubeconfig's cluster and user give it (PEM text, already
// read from files or decoded from base64).
struct TlsClientConfig {
  std::string ca_pem;                 // trusted CA certificate(s); empty: the system's default CAs
  std::string client_cert_pem;        // client certificate (chain) for x509 authentication
  std::string client_key_pem;         // its private key
  bool insecure_skip_verify = false;  // do not verify the server's certificate at all
  std::string server_name;  // tls-server-name: SNI and the name verified (default: URL host)
};

struct ClientConfig {
  std::string server = kDefaultServer;  // "http[s]://host:port[/prefix]"
  std::string default_namespace = "default";
  // Budget for one request (connect + write + read). Watches use it only for the head.
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};
  std::string user_agent = "minik8s-client";
  TlsClientConfig tls;
  std::string bearer_token;  // sent as "Authorization: Bearer <token>" when not empty
};

// What the user and the environment said. Empty strings mean "not given".
struct ConfigSources {
  std::string server;          // --server / -s
  std::string kubeconfig;      // --kubeconfig
  std::string context;         // --context
  std::string kubeconfig_env;  // $KUBECONFIG (colon-separated list; first readable file wins)
  std::string home;            // $HOME (for ~/.kube/config)
  // Flag-level overrides of the kubeconfig, as kubectl's flags of the same names. File paths
  // are used as given (relative to the working directory).
  std::string certificate_authority;      // --certificate-authority (file)
  std::string client_certificate;         // --client-certificate (file)
  std::string client_key;                 // --client-key (file)
  std::string token;                      // --token
  bool insecure_skip_tls_verify = false;  // --insecure-skip-tls-verify
  std::string tls_server_name;            // --tls-server-name
};

// Reads a whole file; kNotFound when it does not exist, another error when unreadable.
using FileReader = std::function<Result<std::string>(const std::string& path)>;

// Pure resolution. Errors: an explicit --kubeconfig that does not exist, a kubeconfig that
// does not parse, an unknown --context, a context naming an unknown cluster, bad base64 in a
// `*-data` field, an unreadable certificate, key or token file (each names its field), and a
// CA together with insecure-skip-tls-verify.
//
// TLS and credentials follow client-go: a `*-data` field wins over its file field; relative
// file paths in a kubeconfig are relative to that kubeconfig's directory; `token` wins over
// `tokenFile` (whose content is trimmed); --certificate-authority or
// --insecure-skip-tls-verify replace the kubeconfig's CA and insecure setting together; a
// --client-certificate / --client-key replaces the kubeconfig's certificate / key;
// --server drops the kubeconfig's tls-server-name unless --tls-server-name is given.
Result<ClientConfig> resolveConfig(const ConfigSources& sources, const FileReader& read_file);

// resolveConfig with $KUBECONFIG and $HOME from the environment and real files.
Result<ClientConfig> loadConfig(ConfigSources sources);

// The parts of a server URL.
struct ServerAddress {
  std::string host;         // "127.0.0.1"
  uint16_t port = 0;        // 6443
  std::string path_prefix;  // "" or "/prefix" (no trailing slash)
  bool tls = false;         // https

  std::string hostPort() const { return host + ":" + std::to_string(port); }
};

// "http://127.0.0.1:6443", "127.0.0.1:6443" (http), "http://localhost" (port 80),
// "https://10.0.0.1:6443", "https://api.example" (port 443). kBadRequest for another scheme
// or a malformed URL.
Result<ServerAddress> parseServerUrl(const std::string& url);

}  // namespace minik8s::client
