#include "apiserver/authentication.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "api/defaults.h"

namespace minik8s::apiserver {

namespace {

constexpr std::string_view kBootstrapTokenSecretType = "bootstrap.kubernetes.io/token";
constexpr std::string_view kBootstrapGroupPrefix = "system:bootstrappers:";

Status unauthorized() {
  return {Code::kUnauthorized, "Unauthorized"};
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// One CSV record with Go's encoding/csv quoting rules ("a,b" is one field, "" a quote).
std::optional<std::vector<std::string>> splitCsvRecord(std::string_view line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        fields.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else {
      fields.back() += c;
    }
  }
  if (quoted) return std::nullopt;
  for (auto& f : fields) f = std::string(trim(f));
  return fields;
}

std::vector<std::string> splitGroups(std::string_view list) {
  std::vector<std::string> groups;
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view g = trim(list.substr(0, comma));
    if (!g.empty()) groups.emplace_back(g);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return groups;
}

// Compares secrets in time independent of where they first differ.
bool constantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

// A Secret's data[key] decoded from base64 ("" when absent or not base64).
std::string secretValue(const nlohmann::json& secret, const std::string& key) {
  auto data = secret.find("data");
  if (data == secret.end() || !data->is_object()) return "";
  auto it = data->find(key);
  if (it == data->end() || !it->is_string()) return "";
  std::string bytes;
  return api::base64Decode(it->get<std::string>(), &bytes) ? bytes : "";
}

void withAuthenticatedGroup(UserInfo& user) {
  if (!user.inGroup(kAuthenticatedGroup)) user.groups.emplace_back(kAuthenticatedGroup);
}

}  // namespace

bool UserInfo::inGroup(std::string_view group) const {
  return std::find(groups.begin(), groups.end(), group) != groups.end();
}

Result<StaticTokens> parseTokenAuthFile(std::string_view csv) {
  StaticTokens tokens;
  int line_number = 0;
  while (!csv.empty()) {
    size_t end = csv.find('\n');
    std::string_view line = trim(csv.substr(0, end));
    csv.remove_prefix(end == std::string_view::npos ? csv.size() : end + 1);
    ++line_number;
    if (line.empty() || line.front() == '#') continue;
    auto fields = splitCsvRecord(line);
    std::string where = "token file line " + std::to_string(line_number);
    if (!fields) return badRequest(where + ": unterminated quote");
    if (fields->size() < 3) return badRequest(where + ": want token,user,uid[,\"groups\"]");
    if ((*fields)[0].empty()) return badRequest(where + ": empty token");
    if ((*fields)[1].empty()) return badRequest(where + ": empty user name");
    UserInfo user{(*fields)[1], (*fields)[2], {}};
    if (fields->size() > 3) user.groups = splitGroups((*fields)[3]);
    if (!tokens.emplace((*fields)[0], std::move(user)).second) {
      return badRequest(where + ": the token is listed twice");
    }
  }
  return tokens;
}

Result<UserInfo> authenticateBootstrapToken(std::string_view token_id,
                                            std::string_view token_secret,
                                            const nlohmann::json& secret, Clock::WallTime now) {
  if (!secret.is_object() || secret.value("type", "") != kBootstrapTokenSecretType) {
    return unauthorized();
  }
  if (secret.contains("metadata") && secret["metadata"].contains("deletionTimestamp")) {
    return unauthorized();
  }
  if (secretValue(secret, "token-id") != token_id ||
      !constantTimeEquals(secretValue(secret, "token-secret"), token_secret)) {
    return unauthorized();
  }
  if (secretValue(secret, "usage-bootstrap-authentication") != "true") return unauthorized();
  std::string expiration = secretValue(secret, "expiration");
  if (!expiration.empty()) {
    Clock::WallTime expires;
    if (!parseRfc3339(expiration, &expires) || expires <= now) return unauthorized();
  }
  UserInfo user{
      std::string(kBootstrapUserPrefix) + std::string(token_id), "", {kBootstrappersGroup}};
  for (auto& group : splitGroups(secretValue(secret, "auth-extra-groups"))) {
    // Kubernetes accepts only groups under system:bootstrappers: here; anything else
    // would let whoever writes the Secret mint arbitrary groups.
    if (group.rfind(kBootstrapGroupPrefix, 0) != 0) return unauthorized();
    user.groups.push_back(group);
  }
  return user;
}

bool anonymousMayRequest(std::string_view path) {
  for (std::string_view open : {"/livez", "/readyz", "/healthz"}) {
    if (path == open ||
        (path.rfind(open, 0) == 0 && path.size() > open.size() && path[open.size()] == '/')) {
      return true;
    }
  }
  return path == "/version" || path == "/version/" || path == kClusterInfoPath;
}

Authenticator::Authenticator(StaticTokens static_tokens, SecretLookup bootstrap_secrets,
                             Clock& clock)
    : static_tokens_(std::move(static_tokens)),
      bootstrap_secrets_(std::move(bootstrap_secrets)),
      clock_(clock) {}

Result<UserInfo> Authenticator::authenticate(const Credentials& credentials,
                                             std::string_view path) const {
  if (!credentials.authorization.empty()) {
    std::string_view header = trim(credentials.authorization);
    constexpr std::string_view kBearer = "Bearer ";
    if (header.size() <= kBearer.size() ||
        !std::equal(kBearer.begin(), kBearer.end(), header.begin(),
                    [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
      return unauthorized();
    }
    auto user = authenticateToken(trim(header.substr(kBearer.size())));
    if (user.isOk()) withAuthenticatedGroup(*user);
    return user;
  }
  if (credentials.client_certificate && !credentials.client_certificate->common_name.empty()) {
    UserInfo user{credentials.client_certificate->common_name, "",
                  credentials.client_certificate->organizations};
    withAuthenticatedGroup(user);
    return user;
  }
  if (anonymousMayRequest(path)) return UserInfo{kAnonymousUser, "", {kUnauthenticatedGroup}};
  return unauthorized();
}

Result<UserInfo> Authenticator::authenticateToken(std::string_view token) const {
  if (auto it = static_tokens_.find(token); it != static_tokens_.end()) return it->second;
  // Bootstrap tokens: [a-z0-9]{6}.[a-z0-9]{16}.
  size_t dot = token.find('.');
  auto lower_alnum = [](std::string_view s) {
    return std::all_of(s.begin(), s.end(),
                       [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); });
  };
  if (dot != 6 || token.size() != 23 || !lower_alnum(token.substr(0, 6)) ||
      !lower_alnum(token.substr(7)) || !bootstrap_secrets_) {
    return unauthorized();
  }
  std::string id(token.substr(0, 6));
  auto secret = bootstrap_secrets_("bootstrap-token-" + id);
  if (!secret) return unauthorized();
  return authenticateBootstrapToken(id, token.substr(7), *secret, clock_.now());
}

}  // namespace minik8s::apiserver
