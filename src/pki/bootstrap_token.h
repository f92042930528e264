// Bootstrap tokens: the shared secret a joining node presents before it has a certificate,
// in Kubernetes' format "[a-z0-9]{6}.[a-z0-9]{16}" (id.secret). The id is public (it names
// the Secret "bootstrap-token-<id>" in kube-system); the secret is not. Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

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

}  // namespace minik8s::pki
