// BootstrapSignerController: the pure token selection and signing, and sync with the fake
// client and prefilled caches.
#include "controller/bootstrap_signer.h"

#include <gtest/gtest.h>

#include "api/codec.h"
#include "api/defaults.h"
#include "client/fake_client.h"
#include "pki/jws.h"

namespace minik8s::controller {
namespace bootstrap_signer_test {

using namespace std::chrono_literals;
using nlohmann::json;

const api::ResourceInfo& configMaps() {
  return *api::findResource("", "v1", "configmaps");
}

// A token Secret as `minik8s token create` stores it (data base64, as the API returns it).
api::Secret tokenSecret(const std::string& id, const std::string& secret,
                        std::optional<std::chrono::seconds> ttl_from_epoch_clock,
                        bool signing = true, Clock::WallTime now = FakeClock().now()) {
  pki::BootstrapTokenSecretOptions options;
  options.ttl = ttl_from_epoch_clock.value_or(0s);
  options.signing = signing;
  json object = pki::bootstrapTokenSecret({id, secret}, options, now);
  api::Secret out;
  out.metadata.name = object["metadata"]["name"];
  out.metadata.namespace_ = "kube-system";
  out.type = object["type"];
  for (auto& [key, value] : object["stringData"].items()) {
    out.data[key] = api::base64Encode(value.get<std::string>());
  }
  return out;
}

std::vector<std::shared_ptr<const api::Secret>> ptrs(const std::vector<api::Secret>& secrets) {
  std::vector<std::shared_ptr<const api::Secret>> out;
  for (const auto& s : secrets) out.push_back(std::make_shared<const api::Secret>(s));
  return out;
}

TEST(SigningTokens, KeepsWellFormedUnexpiredSigningTokensOnly) {
  FakeClock clock;
  auto now = clock.now();
  api::Secret good = tokenSecret("aaaaaa", "0123456789abcdef", 1h);
  api::Secret forever = tokenSecret("bbbbbb", "0123456789abcdef", std::nullopt);
  api::Secret expired = tokenSecret("cccccc", "0123456789abcdef", 1h, true, now - 2h);
  api::Secret auth_only = tokenSecret("dddddd", "0123456789abcdef", 1h, /*signing=*/false);
  api::Secret misnamed = tokenSecret("eeeeee", "0123456789abcdef", 1h);
  misnamed.metadata.name = "bootstrap-token-ffffff";
  api::Secret elsewhere = tokenSecret("gggggg", "0123456789abcdef", 1h);
  elsewhere.metadata.namespace_ = "default";
  api::Secret opaque = tokenSecret("hhhhhh", "0123456789abcdef", 1h);
  opaque.type = "Opaque";
  auto tokens =
      signingTokens(ptrs({good, forever, expired, auth_only, misnamed, elsewhere, opaque}), now);
  ASSERT_EQ(tokens.size(), 2u);
  EXPECT_EQ(tokens[0].token.id, "aaaaaa");
  EXPECT_EQ(tokens[1].token.id, "bbbbbb");
  EXPECT_EQ(nextExpiry(tokens), now + 1h);
}

TEST(ClusterInfoSignatures, OneVerifiableSignaturePerTokenAndNoStaleOnes) {
  std::map<std::string, std::string> data = {{"kubeconfig", "apiVersion: v1\n"},
                                             {"jws-kubeconfig-zzzzzz", "stale"},
                                             {"other", "kept"}};
  pki::BootstrapTokenInfo token{{"aaaaaa", "0123456789abcdef"}, std::nullopt, {"signing"}, "", {}};
  auto signed_data = clusterInfoSignatures(data, {token});
  EXPECT_EQ(signed_data.size(), 3u);
  EXPECT_EQ(signed_data["other"], "kept");
  EXPECT_EQ(signed_data.count("jws-kubeconfig-zzzzzz"), 0u);
  EXPECT_TRUE(pki::verifyDetachedJws(signed_data["jws-kubeconfig-aaaaaa"], "apiVersion: v1\n",
                                     "aaaaaa", "0123456789abcdef")
                  .isOk());
  // No tokens: only the signatures go.
  auto unsigned_data = clusterInfoSignatures(data, {});
  EXPECT_EQ(unsigned_data,
            (std::map<std::string, std::string>{{"kubeconfig", "apiVersion: v1\n"},
                                                {"other", "kept"}}));
}

class BootstrapSignerTest : public ::testing::Test {
 protected:
  BootstrapSignerTest() : client_(clock_), controller_(client_, config_maps_, secrets_, clock_) {}

  void addClusterInfo(std::map<std::string, std::string> data) {
    api::ConfigMap cm;
    cm.metadata.name = "cluster-info";
    cm.metadata.namespace_ = "kube-public";
    cm.data = {data.begin(), data.end()};
    json object = api::toJson(cm);
    object["apiVersion"] = "v1";
    object["kind"] = "ConfigMap";
    client_.add(configMaps(), object);
    refreshCache();
  }
  void refreshCache() {
    auto stored = api::decode<api::ConfigMap>(
        *client_.object(configMaps(), "kube-public", "cluster-info"));
    ASSERT_TRUE(stored.isOk()) << stored.status().toString();
    config_maps_.add(*stored);
  }
  std::map<std::string, std::string> storedData() {
    auto object = client_.object(configMaps(), "kube-public", "cluster-info");
    return (*object)["data"].get<std::map<std::string, std::string>>();
  }

  FakeClock clock_;
  client::FakeClient client_;
  client::ObjectCache<api::ConfigMap> config_maps_;
  client::ObjectCache<api::Secret> secrets_;
  BootstrapSignerController controller_;
};

TEST_F(BootstrapSignerTest, SignsThenRemovesTheSignatureWhenTheTokenGoes) {
  addClusterInfo({{"kubeconfig", "k"}});
  secrets_.add(tokenSecret("aaaaaa", "0123456789abcdef", std::nullopt));
  ASSERT_TRUE(controller_.sync("kube-public/cluster-info").isOk());
  ASSERT_EQ(client_.writes().size(), 1u);
  EXPECT_EQ(client_.writes()[0].summary(), "update configmaps");
  EXPECT_FALSE(client_.writes()[0].object["metadata"].value("resourceVersion", "").empty());
  auto data = storedData();
  EXPECT_EQ(data["jws-kubeconfig-aaaaaa"], pki::computeDetachedJws("k", "aaaaaa", "0123456789abcdef"));

  // Nothing changed: no write.
  refreshCache();
  client_.clearActions();
  ASSERT_TRUE(controller_.sync("kube-public/cluster-info").isOk());
  EXPECT_TRUE(client_.writes().empty());

  // The token is deleted: the signature goes.
  secrets_.put("kube-system/bootstrap-token-aaaaaa", "", nullptr);
  ASSERT_TRUE(controller_.sync("kube-public/cluster-info").isOk());
  EXPECT_EQ(storedData(), (std::map<std::string, std::string>{{"kubeconfig", "k"}}));
}

TEST_F(BootstrapSignerTest, AnExpiredTokensSignatureGoesAtItsExpiry) {
  addClusterInfo({{"kubeconfig", "k"}});
  secrets_.add(tokenSecret("aaaaaa", "0123456789abcdef", 10min, true, clock_.now()));
  ASSERT_TRUE(controller_.sync("kube-public/cluster-info").isOk());
  EXPECT_EQ(storedData().count("jws-kubeconfig-aaaaaa"), 1u);
  refreshCache();
  EXPECT_EQ(controller_.queue().tryGet(), std::nullopt);  // requeued for later, not now
  clock_.advance(10min + 2s);
  auto due = controller_.queue().tryGet();
  ASSERT_EQ(due, "kube-public/cluster-info");
  controller_.queue().done(*due);
  ASSERT_TRUE(controller_.sync("kube-public/cluster-info").isOk());
  EXPECT_EQ(storedData().count("jws-kubeconfig-aaaaaa"), 0u);
}

TEST_F(BootstrapSignerTest, NoClusterInfoNoWriteAndAConflictIsReturned) {
  secrets_.add(tokenSecret("aaaaaa", "0123456789abcdef", std::nullopt));
  ASSERT_TRUE(controller_.sync("kube-public/cluster-info").isOk());
  EXPECT_TRUE(client_.writes().empty());
  addClusterInfo({{"kubeconfig", "k"}});
  client_.failNext("update", "configmaps", conflict("modified"));
  EXPECT_EQ(controller_.sync("kube-public/cluster-info").code(), Code::kConflict);
  EXPECT_TRUE(controller_.sync("kube-public/cluster-info").isOk());
}

}  // namespace bootstrap_signer_test
}  // namespace minik8s::controller
