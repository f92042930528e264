#include "pki/bootstrap_token.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "api/defaults.h"

namespace minik8s::pki {
namespace bootstrap_token_test {

bool isTokenChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

TEST(GenerateBootstrapToken, HasKubernetesFormat) {
  for (int i = 0; i < 200; ++i) {
    BootstrapToken token = generateBootstrapToken();
    ASSERT_EQ(token.id.size(), 6u);
    ASSERT_EQ(token.secret.size(), 16u);
    std::string text = token.str();
    ASSERT_EQ(text.size(), 23u);
    EXPECT_EQ(text[6], '.');
    for (size_t j = 0; j < text.size(); ++j) {
      if (j != 6) {
        EXPECT_TRUE(isTokenChar(text[j])) << text;
      }
    }
    EXPECT_EQ(parseBootstrapToken(text), token);
    EXPECT_EQ(token.secretName(), "bootstrap-token-" + token.id);
  }
}

TEST(GenerateBootstrapToken, IsFreshAndUsesTheWholeAlphabet) {
  std::set<std::string> seen;
  std::map<char, int> counts;
  const int kTokens = 2000;
  for (int i = 0; i < kTokens; ++i) {
    BootstrapToken token = generateBootstrapToken();
    EXPECT_TRUE(seen.insert(token.str()).second) << token.str();
    for (char c : token.id + token.secret) ++counts[c];
  }
  // 44,000 characters over 36 symbols: about 1,222 each. Bounds far outside chance.
  EXPECT_EQ(counts.size(), 36u);
  for (const auto& [c, n] : counts) {
    EXPECT_GT(n, 1000) << c;
    EXPECT_LT(n, 1450) << c;
  }
}

TEST(ParseBootstrapToken, AcceptsTheFormatAndNothingElse) {
  auto token = parseBootstrapToken("abcdef.0123456789abcdef");
  ASSERT_TRUE(token.has_value());
  EXPECT_EQ(token->id, "abcdef");
  EXPECT_EQ(token->secret, "0123456789abcdef");
  EXPECT_EQ(token->str(), "abcdef.0123456789abcdef");

  for (const char* bad : {"", "abcdef", "abcdef.", ".0123456789abcdef",
                          "abcdef.0123456789abcde",     // secret too short
                          "abcdef.0123456789abcdef0",   // secret too long
                          "abcde.0123456789abcdef0",    // id too short
                          "ABCDEF.0123456789abcdef",    // upper case
                          "abcdef-0123456789abcdef",    // wrong separator
                          "abcdef.0123456789abcde_",    // outside the alphabet
                          " abcdef.0123456789abcdef",   // whitespace
                          "abcdef.0123456789abcdef\n",  //
                          "abc.ef.0123456789abcdef"}) {
    EXPECT_EQ(parseBootstrapToken(bad), std::nullopt) << '"' << bad << '"';
  }
}

// The Secret as the API server stores and returns it: stringData folded into base64 data.
nlohmann::json stored(nlohmann::json secret) {
  for (auto& [key, value] : secret["stringData"].items()) {
    secret["data"][key] = api::base64Encode(value.get<std::string>());
  }
  secret.erase("stringData");
  return secret;
}

TEST(BootstrapTokenSecret, IsKubeadmsFormatAndReadsBack) {
  BootstrapToken token{"abcdef", "0123456789abcdef"};
  auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1767225600));
  BootstrapTokenSecretOptions options;
  options.description = "join n2";
  options.extra_groups = {"system:bootstrappers:workers"};
  nlohmann::json secret = bootstrapTokenSecret(token, options, now);
  EXPECT_EQ(secret["metadata"]["name"], "bootstrap-token-abcdef");
  EXPECT_EQ(secret["metadata"]["namespace"], "kube-system");
  EXPECT_EQ(secret["type"], "bootstrap.kubernetes.io/token");
  EXPECT_EQ(secret["stringData"]["expiration"], "2026-01-02T00:00:00Z");
  EXPECT_EQ(secret["stringData"]["usage-bootstrap-authentication"], "true");
  EXPECT_EQ(secret["stringData"]["auth-extra-groups"], "system:bootstrappers:workers");

  auto info = bootstrapTokenInfo(stored(secret));
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->token, token);
  ASSERT_TRUE(info->expires.has_value());
  EXPECT_EQ(*info->expires, now + std::chrono::hours(24));
  EXPECT_EQ(info->usages, (std::vector<std::string>{"authentication", "signing"}));
  EXPECT_EQ(info->description, "join n2");
  EXPECT_EQ(info->extra_groups, (std::vector<std::string>{"system:bootstrappers:workers"}));
}

TEST(BootstrapTokenSecret, NoTtlNeverExpiresAndOtherSecretsAreNotTokens) {
  BootstrapTokenSecretOptions forever;
  forever.ttl = std::chrono::seconds(0);
  forever.signing = false;
  auto secret = stored(bootstrapTokenSecret({"abcdef", "0123456789abcdef"}, forever, {}));
  auto info = bootstrapTokenInfo(secret);
  ASSERT_TRUE(info.has_value());
  EXPECT_FALSE(info->expires.has_value());
  EXPECT_EQ(info->usages, (std::vector<std::string>{"authentication"}));
  auto opaque = secret;
  opaque["type"] = "Opaque";
  EXPECT_FALSE(bootstrapTokenInfo(opaque).has_value());
  auto broken = secret;
  broken["data"]["token-secret"] = api::base64Encode("short");
  EXPECT_FALSE(bootstrapTokenInfo(broken).has_value());
  EXPECT_FALSE(bootstrapTokenInfo(nlohmann::json::array()).has_value());
}

}  // namespace bootstrap_token_test
}  // namespace minik8s::pki
