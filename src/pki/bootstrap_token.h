// Bootstrap tokens: the shared secret a joining node presents before it has a certificate,
// in Kubernetes' format "[a-z0-9]{6}.[a-z0-9]{16}" (id.secret). The id is public (it names
// the Secret "bootstrap-token-<id>" in kube-system); the secret is not. Thread-safe.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace minik8s::pki {

struct BootstrapToken {
  std::string id;      // 6 of [a-z0-9]
  std::string secret;  // 16 of [a-z0-9]

  std::string str() const { return id + "." + secret; }  // "abcdef.0123456789abcdef"
  std::string secretName() const { return "bootstrap-token-" + id; }

  bool operator==(const BootstrapToken&) const = default;
};

// A new token from RAND_bytes, each character uniform over [a-z0-9] (rejection sampling, no
// modulo bias). Crashes if OpenSSL has no entropy.
BootstrapToken generateBootstrapToken();

// The token in `text` when it has exactly the format above, nullopt otherwise.
std::optional<BootstrapToken> parseBootstrapToken(std::string_view text);

// How a token is stored: the Secret kube-system/bootstrap-token-<id> of type
// bootstrap.kubernetes.io/token that the API server authenticates it against (kubeadm's
// format: token-id, token-secret, expiration, usage-bootstrap-*, auth-extra-groups).
struct BootstrapTokenSecretOptions {
  std::chrono::seconds ttl{std::chrono::hours(24)};  // 0: never expires
  std::string description;
  std::vector<std::string> extra_groups;  // each must start with system:bootstrappers:
  bool authentication = true;             // usage-bootstrap-authentication
  bool signing = true;                    // usage-bootstrap-signing
};
nlohmann::json bootstrapTokenSecret(const BootstrapToken& token,
                                    const BootstrapTokenSecretOptions& options,
                                    std::chrono::system_clock::time_point now);

// What `minik8s token list` shows of a stored token Secret (its data is base64, as the API
// returns it); nullopt when the Secret is not a well-formed bootstrap token.
struct BootstrapTokenInfo {
  BootstrapToken token;
  std::optional<std::chrono::system_clock::time_point> expires;
  std::vector<std::string> usages;  // "authentication", "signing"
  std::string description;
  std::vector<std::string> extra_groups;
};
std::optional<BootstrapTokenInfo> bootstrapTokenInfo(const nlohmann::json& secret);

}  // namespace minik8s::pki
