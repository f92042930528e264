// Authentication: who sent a request, as kube-apiserver decides it.
//
// A request proves its identity by a client certificate that verified against the
// cluster CA (the HTTP server checked the chain; CN is the user, each O a group) or by a
// bearer token: a static token from a --token-auth-file, or a bootstrap token
// ("abcdef.0123456789abcdef") backed by a Secret `bootstrap-token-<id>` in kube-system.
// A request with neither is anonymous, which only the health endpoints and cluster-info
// accept; a wrong credential is never anonymous (401). The decisions are pure functions;
// the Authenticator holds the static tokens and reads bootstrap Secrets through a callback.
// Thread-safe after construction.
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"

namespace minik8s::apiserver {

inline constexpr char kAnonymousUser[] = "system:anonymous";
inline constexpr char kUnauthenticatedGroup[] = "system:unauthenticated";
inline constexpr char kAuthenticatedGroup[] = "system:authenticated";
inline constexpr char kMastersGroup[] = "system:masters";
inline constexpr char kNodesGroup[] = "system:nodes";
inline constexpr char kNodeUserPrefix[] = "system:node:";
inline constexpr char kBootstrappersGroup[] = "system:bootstrappers";
inline constexpr char kBootstrapUserPrefix[] = "system:bootstrap:";

struct UserInfo {
  std::string name;
  std::string uid;
  std::vector<std::string> groups;

  bool inGroup(std::string_view group) const;
  bool anonymous() const { return name == kAnonymousUser; }
  bool operator==(const UserInfo&) const = default;
};

// What a request carried. The HTTP layer fills it; nothing here reads sockets.
struct Credentials {
  struct Certificate {
    std::string common_name;
    std::vector<std::string> organizations;
  };
  std::optional<Certificate> client_certificate;  // verified against the cluster CA
  std::string authorization;                      // the Authorization header, as sent
};

// --token-auth-file: one line per token, `token,user,uid[,"group1,group2"]`; blank lines
// and lines starting with '#' are skipped. kBadRequest naming the line otherwise.
using StaticTokens = std::map<std::string, UserInfo, std::less<>>;
Result<StaticTokens> parseTokenAuthFile(std::string_view csv);

// The bootstrap token `token_id.token_secret` checked against its Secret (the JSON object
// as stored: type bootstrap.kubernetes.io/token, data in base64). kUnauthorized when the
// secret does not match, has expired at `now`, or is not marked for authentication.
// The user is system:bootstrap:<id> in system:bootstrappers plus the Secret's
// auth-extra-groups.
Result<UserInfo> authenticateBootstrapToken(std::string_view token_id,
                                            std::string_view token_secret,
                                            const nlohmann::json& secret, Clock::WallTime now);

// The ConfigMap kube-public/cluster-info (the cluster's CA and address, for nodes that
// join: kubeadm's token discovery), which anonymous users may get.
inline constexpr char kClusterInfoPath[] =
    "/api/v1/namespaces/kube-public/configmaps/cluster-info";

// Paths an anonymous request may reach: kube-apiserver 1.32's anonymous-auth conditions
// for /livez, /readyz and /healthz (and their checks), /version, and kClusterInfoPath
// (authorization then allows only a get of it).
bool anonymousMayRequest(std::string_view path);

class Authenticator {
 public:
  // A Secret in kube-system by name; nullopt when absent or unreadable.
  using SecretLookup = std::function<std::optional<nlohmann::json>(const std::string& name)>;

  Authenticator(StaticTokens static_tokens, SecretLookup bootstrap_secrets, Clock& clock);

  // The user behind `credentials`, or kUnauthorized ("Unauthorized", as Kubernetes says
  // it) for a missing credential outside anonymousMayRequest(path) and for a wrong one.
  // Every authenticated user is also in system:authenticated; anonymous users are in
  // system:unauthenticated.
  Result<UserInfo> authenticate(const Credentials& credentials, std::string_view path) const;

 private:
  Result<UserInfo> authenticateToken(std::string_view token) const;

  StaticTokens static_tokens_;
  SecretLookup bootstrap_secrets_;
  Clock& clock_;
};

}  // namespace minik8s::apiserver
