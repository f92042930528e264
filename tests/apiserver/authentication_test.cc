#include "apiserver/authentication.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/defaults.h"

namespace minik8s::apiserver {
namespace authentication_test {

using nlohmann::json;

json bootstrapSecret(const std::string& id, const std::string& secret,
                     const std::string& expiration = "", const std::string& groups = "",
                     bool for_authentication = true) {
  json data = {{"token-id", api::base64Encode(id)}, {"token-secret", api::base64Encode(secret)}};
  if (for_authentication) data["usage-bootstrap-authentication"] = api::base64Encode("true");
  if (!expiration.empty()) data["expiration"] = api::base64Encode(expiration);
  if (!groups.empty()) data["auth-extra-groups"] = api::base64Encode(groups);
  return {{"apiVersion", "v1"},
          {"kind", "Secret"},
          {"metadata", {{"name", "bootstrap-token-" + id}, {"namespace", "kube-system"}}},
          {"type", "bootstrap.kubernetes.io/token"},
          {"data", data}};
}

struct Fixture {
  FakeClock clock;  // 2026-01-01T00:00:00Z
  std::map<std::string, json> secrets;
  Authenticator authenticator{*parseTokenAuthFile("# static tokens\n"
                                                  "s3cr3t-admin,alice,1001,\"system:masters,dev\"\n"
                                                  "\n"
                                                  "plain-token,bob,1002\n"),
                              [this](const std::string& name) -> std::optional<json> {
                                auto it = secrets.find(name);
                                if (it == secrets.end()) return std::nullopt;
                                return it->second;
                              },
                              clock};

  Result<UserInfo> withToken(const std::string& token, std::string_view path = "/api/v1/pods") {
    Credentials c;
    c.authorization = "Bearer " + token;
    return authenticator.authenticate(c, path);
  }
};

TEST(TokenAuthFile, ParsesKubernetesCsvWithQuotedGroups) {
  auto tokens = parseTokenAuthFile("t1,user1,uid1,\"g1,g2\"\nt2, user2 ,uid2\n#t3,x,y\n");
  ASSERT_TRUE(tokens.isOk()) << tokens.status().toString();
  ASSERT_EQ(tokens->size(), 2u);
  EXPECT_EQ(tokens->at("t1"), (UserInfo{"user1", "uid1", {"g1", "g2"}}));
  EXPECT_EQ(tokens->at("t2"), (UserInfo{"user2", "uid2", {}}));
}

TEST(TokenAuthFile, RefusesBadLinesNamingThem) {
  auto short_line = parseTokenAuthFile("t1,user1,uid1\nt2,user2\n");
  ASSERT_FALSE(short_line.isOk());
  EXPECT_EQ(short_line.status().code(), Code::kBadRequest);
  EXPECT_NE(short_line.status().message().find("line 2"), std::string::npos);
  EXPECT_FALSE(parseTokenAuthFile("t1,u,1,\"g1\n").isOk());
  EXPECT_FALSE(parseTokenAuthFile("t1,u,1\nt1,v,2\n").isOk());
  EXPECT_FALSE(parseTokenAuthFile(",u,1\n").isOk());
}

TEST(Authenticator, ClientCertificateNamesTheUserAndGroups) {
  Fixture f;
  Credentials c;
  c.client_certificate = Credentials::Certificate{"system:node:n1", {"system:nodes"}};
  auto user = f.authenticator.authenticate(c, "/api/v1/pods");
  ASSERT_TRUE(user.isOk());
  EXPECT_EQ(user->name, "system:node:n1");
  EXPECT_EQ(user->groups, (std::vector<std::string>{"system:nodes", "system:authenticated"}));
}

TEST(Authenticator, StaticTokens) {
  Fixture f;
  auto alice = f.withToken("s3cr3t-admin");
  ASSERT_TRUE(alice.isOk());
  EXPECT_EQ(alice->name, "alice");
  EXPECT_TRUE(alice->inGroup("system:masters"));
  EXPECT_TRUE(alice->inGroup("system:authenticated"));
  auto wrong = f.withToken("s3cr3t-admiN");
  ASSERT_FALSE(wrong.isOk());
  EXPECT_EQ(wrong.status().code(), Code::kUnauthorized);
  EXPECT_EQ(wrong.status().message(), "Unauthorized");
}

TEST(Authenticator, AWrongCredentialIsNeverAnonymousEvenOnHealthPaths) {
  Fixture f;
  EXPECT_EQ(f.withToken("nope", "/healthz").status().code(), Code::kUnauthorized);
  Credentials basic;
  basic.authorization = "Basic YWRtaW46YWRtaW4=";
  EXPECT_EQ(f.authenticator.authenticate(basic, "/readyz").status().code(), Code::kUnauthorized);
  Credentials empty_bearer;
  empty_bearer.authorization = "Bearer ";
  EXPECT_EQ(f.authenticator.authenticate(empty_bearer, "/readyz").status().code(),
            Code::kUnauthorized);
}

TEST(Authenticator, NoCredentialIsAnonymousOnlyOnHealthAndVersion) {
  Fixture f;
  for (std::string path : {"/healthz", "/livez", "/readyz", "/readyz/etcd", "/version"}) {
    auto user = f.authenticator.authenticate({}, path);
    ASSERT_TRUE(user.isOk()) << path;
    EXPECT_TRUE(user->anonymous());
    EXPECT_EQ(user->groups, (std::vector<std::string>{"system:unauthenticated"}));
  }
  for (std::string path : {"/api", "/apis", "/api/v1/pods", "/healthzz", "/openapi/v3", "/"}) {
    EXPECT_EQ(f.authenticator.authenticate({}, path).status().code(), Code::kUnauthorized) << path;
  }
}

TEST(Authenticator, NoCredentialIsAnonymousOnClusterInfoOnly) {
  Fixture f;
  auto user = f.authenticator.authenticate({}, kClusterInfoPath);
  ASSERT_TRUE(user.isOk());
  EXPECT_TRUE(user->anonymous());
  for (std::string path : {"/api/v1/namespaces/kube-public/configmaps",
                           "/api/v1/namespaces/kube-public/configmaps/cluster-info2",
                           "/api/v1/namespaces/kube-system/configmaps/cluster-info",
                           "/api/v1/namespaces/kube-public/configmaps/cluster-info/x",
                           "/api/v1/watch/namespaces/kube-public/configmaps/cluster-info"}) {
    EXPECT_EQ(f.authenticator.authenticate({}, path).status().code(), Code::kUnauthorized) << path;
  }
  // A wrong credential there is still 401.
  EXPECT_EQ(f.withToken("nope", kClusterInfoPath).status().code(), Code::kUnauthorized);
}

TEST(Authenticator, BootstrapTokenFromItsSecret) {
  Fixture f;
  f.secrets["bootstrap-token-abcdef"] = bootstrapSecret(
      "abcdef", "0123456789abcdef", "2026-01-02T00:00:00Z", "system:bootstrappers:worker");
  auto user = f.withToken("abcdef.0123456789abcdef");
  ASSERT_TRUE(user.isOk()) << user.status().toString();
  EXPECT_EQ(user->name, "system:bootstrap:abcdef");
  EXPECT_EQ(user->groups,
            (std::vector<std::string>{"system:bootstrappers", "system:bootstrappers:worker",
                                      "system:authenticated"}));
  EXPECT_FALSE(f.withToken("abcdef.0123456789abcdee").isOk());  // wrong secret
  EXPECT_FALSE(f.withToken("abcdeg.0123456789abcdef").isOk());  // no such Secret
  EXPECT_FALSE(f.withToken("ABCDEF.0123456789abcdef").isOk());  // not the token format
}

TEST(Authenticator, ExpiredRevokedOrUnmarkedBootstrapTokensAreRefused) {
  Fixture f;
  f.secrets["bootstrap-token-abcdef"] =
      bootstrapSecret("abcdef", "0123456789abcdef", "2025-12-31T23:59:59Z");
  EXPECT_EQ(f.withToken("abcdef.0123456789abcdef").status().code(), Code::kUnauthorized);
  f.secrets["bootstrap-token-abcdef"] =
      bootstrapSecret("abcdef", "0123456789abcdef", "", "", /*for_authentication=*/false);
  EXPECT_FALSE(f.withToken("abcdef.0123456789abcdef").isOk());
  auto deleting = bootstrapSecret("abcdef", "0123456789abcdef");
  deleting["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z";
  f.secrets["bootstrap-token-abcdef"] = deleting;
  EXPECT_FALSE(f.withToken("abcdef.0123456789abcdef").isOk());
  auto wrong_type = bootstrapSecret("abcdef", "0123456789abcdef");
  wrong_type["type"] = "Opaque";
  f.secrets["bootstrap-token-abcdef"] = wrong_type;
  EXPECT_FALSE(f.withToken("abcdef.0123456789abcdef").isOk());
  // Revoked: the Secret is gone.
  f.secrets.clear();
  EXPECT_FALSE(f.withToken("abcdef.0123456789abcdef").isOk());
}

TEST(Authenticator, BootstrapExtraGroupsOutsideTheirPrefixAreRefused) {
  Fixture f;
  f.secrets["bootstrap-token-abcdef"] =
      bootstrapSecret("abcdef", "0123456789abcdef", "", "system:masters");
  EXPECT_FALSE(f.withToken("abcdef.0123456789abcdef").isOk());
}

}  // namespace authentication_test
}  // namespace minik8s::apiserver
