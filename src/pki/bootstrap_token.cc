#include "pki/bootstrap_token.h"

#include <openssl/rand.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "api/defaults.h"
#include "common/clock.h"

namespace minik8s::pki {

namespace {

constexpr std::string_view kTokenAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
constexpr size_t kTokenIdLength = 6;
constexpr size_t kTokenSecretLength = 16;

// `n` characters uniform over kTokenAlphabet: bytes at or above the largest multiple of 36
// that fits in a byte (252) are thrown away, so `byte % 36` favours no character.
std::string randomTokenChars(size_t n) {
  constexpr unsigned kLimit = 256 - 256 % kTokenAlphabet.size();
  std::string out;
  while (out.size() < n) {
    unsigned char bytes[32];
    if (RAND_bytes(bytes, sizeof bytes) != 1) {
      std::fprintf(stderr, "minik8s pki: RAND_bytes failed\n");
      std::abort();
    }
    for (unsigned char b : bytes) {
      if (b >= kLimit || out.size() == n) continue;
      out += kTokenAlphabet[b % kTokenAlphabet.size()];
    }
  }
  return out;
}

bool isTokenChars(std::string_view s, size_t length) {
  return s.size() == length && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
         });
}

}  // namespace

BootstrapToken generateBootstrapToken() {
  return BootstrapToken{randomTokenChars(kTokenIdLength), randomTokenChars(kTokenSecretLength)};
}

std::optional<BootstrapToken> parseBootstrapToken(std::string_view text) {
  if (text.size() != kTokenIdLength + 1 + kTokenSecretLength || text[kTokenIdLength] != '.') {
    return std::nullopt;
  }
  std::string_view id = text.substr(0, kTokenIdLength);
  std::string_view secret = text.substr(kTokenIdLength + 1);
  if (!isTokenChars(id, kTokenIdLength) || !isTokenChars(secret, kTokenSecretLength)) {
    return std::nullopt;
  }
  return BootstrapToken{std::string(id), std::string(secret)};
}

nlohmann::json bootstrapTokenSecret(const BootstrapToken& token,
                                    const BootstrapTokenSecretOptions& options,
                                    std::chrono::system_clock::time_point now) {
  nlohmann::json data = {{"token-id", token.id}, {"token-secret", token.secret}};
  if (options.ttl.count() > 0) data["expiration"] = formatRfc3339(now + options.ttl);
  if (!options.description.empty()) data["description"] = options.description;
  if (options.authentication) data["usage-bootstrap-authentication"] = "true";
  if (options.signing) data["usage-bootstrap-signing"] = "true";
  if (!options.extra_groups.empty()) {
    std::string groups;
    for (const auto& g : options.extra_groups) groups += (groups.empty() ? "" : ",") + g;
    data["auth-extra-groups"] = groups;
  }
  return {{"apiVersion", "v1"},
          {"kind", "Secret"},
          {"metadata", {{"name", token.secretName()}, {"namespace", "kube-system"}}},
          {"type", "bootstrap.kubernetes.io/token"},
          {"stringData", data}};
}

std::optional<BootstrapTokenInfo> bootstrapTokenInfo(const nlohmann::json& secret) {
  if (!secret.is_object() || secret.value("type", "") != "bootstrap.kubernetes.io/token") {
    return std::nullopt;
  }
  auto data = secret.find("data");
  if (data == secret.end() || !data->is_object()) return std::nullopt;
  auto value = [&](const char* key) {
    auto it = data->find(key);
    std::string bytes;
    if (it == data->end() || !it->is_string() ||
        !api::base64Decode(it->get<std::string>(), &bytes)) {
      return std::string();
    }
    return bytes;
  };
  auto token = parseBootstrapToken(value("token-id") + "." + value("token-secret"));
  if (!token) return std::nullopt;
  BootstrapTokenInfo info{*token, std::nullopt, {}, value("description"), {}};
  if (std::string expiration = value("expiration"); !expiration.empty()) {
    Clock::WallTime at;
    if (!parseRfc3339(expiration, &at)) return std::nullopt;
    info.expires = at;
  }
  if (value("usage-bootstrap-authentication") == "true") info.usages.push_back("authentication");
  if (value("usage-bootstrap-signing") == "true") info.usages.push_back("signing");
  std::string groups = value("auth-extra-groups");
  for (size_t start = 0; start < groups.size();) {
    size_t comma = std::min(groups.find(',', start), groups.size());
    if (comma > start) info.extra_groups.push_back(groups.substr(start, comma - start));
    start = comma + 1;
  }
  return info;
}

}  // namespace minik8s::pki
