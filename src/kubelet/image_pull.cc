#include "kubelet/image_pull.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace minik8s::kubelet {

ImageDecision decideImage(const std::string& pull_policy, bool present) {
  if (pull_policy == "Always") return ImageDecision::kPull;
  if (pull_policy == "Never")
    return present ? ImageDecision::kUsePresent : ImageDecision::kNeverPull;
  return present ? ImageDecision::kUsePresent : ImageDecision::kPull;  // IfNotPresent
}

std::string registryHost(const std::string& image) {
  size_t slash = image.find('/');
  if (slash == std::string::npos) return "docker.io";
  std::string first = image.substr(0, slash);
  // docker's rule: the first component is a registry when it looks like a host.
  if (first.find('.') != std::string::npos || first.find(':') != std::string::npos ||
      first == "localhost") {
    return first == "index.docker.io" || first == "registry-1.docker.io" ? "docker.io" : first;
  }
  return "docker.io";
}

bool registryAllowed(const std::string& host, const std::vector<std::string>& configured) {
  std::string name = host;
  if (name.starts_with("[")) {
    name = name.substr(1, name.find(']') == std::string::npos ? 0 : name.find(']') - 1);
  } else if (size_t colon = name.rfind(':'); colon != std::string::npos) {
    name.resize(colon);
  }
  const bool ipv4_loopback = name.starts_with("127.") &&
                             std::all_of(name.begin(), name.end(),
                                         [](char c) { return c == '.' || (c >= '0' && c <= '9'); });
  if (name == "localhost" || name == "::1" || ipv4_loopback) return true;
  return std::find(configured.begin(), configured.end(), host) != configured.end();
}

namespace {

// "https://index.docker.io/v1/" -> "docker.io"; "127.0.0.1:5000" stays.
std::string normalizeRegistryKey(std::string key) {
  for (std::string_view scheme : {"https://", "http://"}) {
    if (key.starts_with(scheme)) key.erase(0, scheme.size());
  }
  if (size_t slash = key.find('/'); slash != std::string::npos) key.resize(slash);
  if (key == "index.docker.io" || key == "registry-1.docker.io") return "docker.io";
  return key;
}

cri::AuthConfig authFrom(const nlohmann::json& entry, const std::string& host) {
  cri::AuthConfig auth;
  auth.server_address = host;
  if (!entry.is_object()) return auth;
  auth.username = entry.value("username", "");
  auth.password = entry.value("password", "");
  auth.auth = entry.value("auth", "");
  return auth;
}

}  // namespace

std::vector<cri::AuthConfig> credentialsFor(const std::string& image,
                                            const std::vector<std::string>& docker_configs) {
  const std::string host = registryHost(image);
  std::vector<cri::AuthConfig> out;
  for (const auto& text : docker_configs) {
    nlohmann::json config = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!config.is_object()) continue;
    const nlohmann::json& auths =
        config.contains("auths") && config["auths"].is_object() ? config["auths"] : config;
    for (const auto& [key, entry] : auths.items()) {
      if (normalizeRegistryKey(key) != host) continue;
      cri::AuthConfig auth = authFrom(entry, host);
      if (!auth.empty()) out.push_back(std::move(auth));
    }
  }
  return out;
}

std::optional<PullBackoff::Wait> PullBackoff::waiting(const std::string& key,
                                                      Clock::Instant now) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end() || now >= it->second.retry_at) return std::nullopt;
  return Wait{it->second.retry_at - now, it->second.last_error};
}

void PullBackoff::recordFailure(const std::string& key, Clock::Instant now, std::string error) {
  std::lock_guard lock(mu_);
  Entry& e = entries_[key];
  e.delay = e.delay.count() == 0 ? policy_.initial : std::min(e.delay * 2, policy_.max);
  e.retry_at = now + e.delay;
  e.last_error = std::move(error);
}

void PullBackoff::recordSuccess(const std::string& key) {
  std::lock_guard lock(mu_);
  entries_.erase(key);
}

void PullBackoff::forgetPod(const std::string& uid) {
  std::lock_guard lock(mu_);
  const std::string prefix = uid + "/";
  for (auto it = entries_.lower_bound(prefix);
       it != entries_.end() && it->first.starts_with(prefix);) {
    it = entries_.erase(it);
  }
}

}  // namespace minik8s::kubelet
