#include "pki/jws.h"

#include <gtest/gtest.h>

#include <string>

namespace minik8s::pki {
namespace {

// k8s.io/cluster-bootstrap/token/jws/jws_test.go's vectors (the old 23-byte secret and the
// newer 48-byte one): plain HMAC-SHA256 keyed with the secret, so both must hold.
constexpr char kContent[] = "Hello from the other side. I must have called a thousand times.";
constexpr char kId[] = "joshua";
constexpr char kShortSecret[] = "my voice is my passcode";
constexpr char kLongSecret[] = "my voice is my passcode. my voice is my passcode";
constexpr char kHeader[] = "eyJhbGciOiJIUzI1NiIsImtpZCI6Impvc2h1YSJ9";

TEST(DetachedJws, MatchesKubernetesVectors) {
  EXPECT_EQ(computeDetachedJws(kContent, kId, kShortSecret),
            std::string(kHeader) + "..VShe2taLd-YTrmWuRkcL_8QTNDHYxQIEBsAYYiIj1_8");
  EXPECT_EQ(computeDetachedJws("", kId, kShortSecret),
            std::string(kHeader) + "..7Ui1ALizW4jXphVUB7xUqC9vLYLL9RZeOFfVLoB7Tgk");
  EXPECT_EQ(computeDetachedJws(kContent, kId, kLongSecret),
            std::string(kHeader) + "..SFoKn0-YxqnvpSExt4LuCZ_7pvIBdX3SoUO_NsTpkdg");
  EXPECT_EQ(computeDetachedJws("", kId, kLongSecret),
            std::string(kHeader) + "..kzZha466Sbz_vFhUBjjYp2rl3F7yHgdDdUIBGxQg4js");
}

TEST(DetachedJws, HeaderIsAlgThenKid) {
  std::string header;
  ASSERT_TRUE(base64UrlDecode(kHeader, &header));
  EXPECT_EQ(header, R"({"alg":"HS256","kid":"joshua"})");
}

TEST(DetachedJws, VerifiesWhatItSigns) {
  std::string jws = computeDetachedJws(kContent, kId, kLongSecret);
  EXPECT_TRUE(verifyDetachedJws(jws, kContent, kId, kLongSecret).isOk());
  EXPECT_TRUE(verifyDetachedJws(std::string(kHeader) + "..SFoKn0-YxqnvpSExt4LuCZ_7pvIBdX3SoUO_NsTpkdg",
                                kContent, kId, kLongSecret)
                  .isOk());
}

TEST(DetachedJws, RefusesTamperedInputs) {
  const std::string jws = computeDetachedJws(kContent, kId, kLongSecret);
  auto refused = [](const Status& s) { return s.code() == Code::kUnauthorized; };
  // Other content, secret or token id.
  EXPECT_TRUE(refused(verifyDetachedJws(jws, std::string(kContent) + " ", kId, kLongSecret)));
  EXPECT_TRUE(refused(verifyDetachedJws(jws, kContent, kId, kShortSecret)));
  EXPECT_TRUE(refused(verifyDetachedJws(jws, kContent, "joshub", kLongSecret)));
  // A flipped signature character, a truncated or extended signature.
  std::string flipped = jws;
  flipped.back() = flipped.back() == 'g' ? 'h' : 'g';
  EXPECT_TRUE(refused(verifyDetachedJws(flipped, kContent, kId, kLongSecret)));
  EXPECT_TRUE(refused(verifyDetachedJws(jws.substr(0, jws.size() - 4), kContent, kId, kLongSecret)));
  EXPECT_TRUE(refused(verifyDetachedJws(jws + "foo", kContent, kId, kLongSecret)));
  // Not detached, not three parts, empty.
  std::string attached = std::string(kHeader) + "." + base64UrlEncode(kContent) +
                         jws.substr(jws.find(".."));
  EXPECT_TRUE(refused(verifyDetachedJws(attached, kContent, kId, kLongSecret)));
  EXPECT_TRUE(refused(verifyDetachedJws("", kContent, kId, kLongSecret)));
  EXPECT_TRUE(refused(verifyDetachedJws(std::string(kHeader) + ".", kContent, kId, kLongSecret)));
  EXPECT_TRUE(refused(verifyDetachedJws(jws + ".", kContent, kId, kLongSecret)));
  // A header with alg none, another alg, or a crit member, MAC'd correctly for its header.
  auto withHeader = [&](const std::string& header_json) {
    std::string header = base64UrlEncode(header_json);
    std::string other = computeDetachedJws(kContent, kId, kLongSecret);
    return header + other.substr(other.find(".."));
  };
  EXPECT_TRUE(refused(verifyDetachedJws(withHeader(R"({"alg":"none","kid":"joshua"})"), kContent,
                                        kId, kLongSecret)));
  EXPECT_TRUE(refused(verifyDetachedJws(withHeader(R"({"alg":"HS512","kid":"joshua"})"), kContent,
                                        kId, kLongSecret)));
  EXPECT_TRUE(refused(verifyDetachedJws(withHeader(R"({"alg":"HS256","kid":"joshua","crit":["x"]})"),
                                        kContent, kId, kLongSecret)));
  EXPECT_TRUE(refused(verifyDetachedJws(withHeader("not json"), kContent, kId, kLongSecret)));
}

TEST(Base64Url, RoundTripsAndRefusesNonCanonical) {
  for (std::string bytes : {"", "f", "fo", "foo", "foob", "fooba", "foobar", "\xff\xfe\xfd"}) {
    std::string back;
    ASSERT_TRUE(base64UrlDecode(base64UrlEncode(bytes), &back)) << bytes;
    EXPECT_EQ(back, bytes);
  }
  EXPECT_EQ(base64UrlEncode("\xfb\xff"), "-_8");  // the URL alphabet, no padding
  std::string out;
  EXPECT_FALSE(base64UrlDecode("Zm9v=", &out));  // padding
  EXPECT_FALSE(base64UrlDecode("Zm+v", &out));   // the standard alphabet
  EXPECT_FALSE(base64UrlDecode("Z", &out));      // impossible length
  EXPECT_FALSE(base64UrlDecode("Zh", &out));     // non-zero leftover bits
  EXPECT_EQ(jwsKubeconfigKey("abcdef"), "jws-kubeconfig-abcdef");
}

}  // namespace
}  // namespace minik8s::pki
