#include "node/cluster_info.h"

#include <gtest/gtest.h>

#include "api/defaults.h"
#include "api/scheme.h"
#include "api/yaml.h"
#include "client/fake_client.h"
#include "pki/jws.h"

namespace minik8s::node {
namespace cluster_info_test {

using nlohmann::json;

TEST(ClusterInfoConfigMap, IsKubeadmsShapeAndParsesBack) {
  ClusterInfo info{"https://10.0.0.1:6443",
                   "-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----\n"};
  json cm = clusterInfoConfigMap(info);
  EXPECT_EQ(cm["metadata"]["namespace"], "kube-public");
  EXPECT_EQ(cm["metadata"]["name"], "cluster-info");
  auto kubeconfig = api::parseYaml(cm["data"]["kubeconfig"].get<std::string>());
  ASSERT_TRUE(kubeconfig.isOk());
  EXPECT_EQ((*kubeconfig)["clusters"][0]["cluster"]["server"], info.server);
  EXPECT_EQ((*kubeconfig)["clusters"][0]["cluster"]["certificate-authority-data"],
            api::base64Encode(info.ca_pem));
  EXPECT_TRUE((*kubeconfig)["users"].empty());  // no credentials in a public object
  auto parsed = parseClusterInfo(cm);
  ASSERT_TRUE(parsed.isOk()) << parsed.status().toString();
  EXPECT_EQ(parsed->server, info.server);
  EXPECT_EQ(parsed->ca_pem, info.ca_pem);
}

TEST(ParseClusterInfo, RefusesWhatHoldsNoServerAndCa) {
  EXPECT_FALSE(parseClusterInfo(json::object()).isOk());
  EXPECT_FALSE(parseClusterInfo({{"data", {{"kubeconfig", "clusters: ["}}}}).isOk());
  EXPECT_FALSE(
      parseClusterInfo({{"data", {{"kubeconfig", "clusters: [{cluster: {server: x}}]"}}}}).isOk());
  EXPECT_FALSE(parseClusterInfo(
                   {{"data",
                     {{"kubeconfig",
                       "clusters: [{cluster: {server: x, certificate-authority-data: '%%'}}]"}}}})
                   .isOk());
}

TEST(PublishClusterInfo, CreatesThenUpdatesOnlyWhenChanged) {
  const auto& config_maps = *api::findResource("", "v1", "configmaps");
  client::FakeClient client;
  ASSERT_TRUE(publishClusterInfo(client, {"https://a:6443", "CA1"}).isOk());
  auto stored = client.object(config_maps, "kube-public", "cluster-info");
  ASSERT_TRUE(stored);
  EXPECT_EQ(parseClusterInfo(*stored)->ca_pem, "CA1");
  EXPECT_TRUE(client.object(*api::findResource("", "v1", "namespaces"), "", "kube-public"));

  client.clearActions();
  ASSERT_TRUE(publishClusterInfo(client, {"https://a:6443", "CA1"}).isOk());
  for (const auto& write : client.writes()) EXPECT_NE(write.resource, "configmaps");

  ASSERT_TRUE(publishClusterInfo(client, {"https://b:6443", "CA2"}).isOk());
  auto updated = parseClusterInfo(*client.object(config_maps, "kube-public", "cluster-info"));
  EXPECT_EQ(updated->server, "https://b:6443");
  EXPECT_EQ(updated->ca_pem, "CA2");
}

TEST(CheckClusterInfoSignature, AcceptsOnlyTheTokensSignatureOfTheKubeconfig) {
  json cm = clusterInfoConfigMap({"https://a:6443", "CA1"});
  const std::string kubeconfig = cm["data"]["kubeconfig"];
  const pki::BootstrapToken token{"abcdef", "0123456789abcdef"};
  EXPECT_EQ(checkClusterInfoSignature(cm, token).code(), Code::kNotFound);  // not signed yet
  cm["data"]["jws-kubeconfig-abcdef"] = pki::computeDetachedJws(kubeconfig, "abcdef", token.secret);
  EXPECT_TRUE(checkClusterInfoSignature(cm, token).isOk());
  // A wrong secret for the same id: refused, saying so.
  Status wrong = checkClusterInfoSignature(cm, {"abcdef", "fedcba9876543210"});
  EXPECT_EQ(wrong.code(), Code::kUnauthorized);
  EXPECT_NE(wrong.message().find("does not verify with the token"), std::string::npos);
  // Another token id has no signature.
  EXPECT_EQ(checkClusterInfoSignature(cm, {"zzzzzz", token.secret}).code(), Code::kNotFound);
  // A tampered kubeconfig (another CA) with the old signature: refused.
  json tampered = cm;
  tampered["data"]["kubeconfig"] = clusterInfoConfigMap({"https://a:6443", "EVIL"})["data"]["kubeconfig"];
  EXPECT_EQ(checkClusterInfoSignature(tampered, token).code(), Code::kUnauthorized);
  EXPECT_EQ(checkClusterInfoSignature(json::object(), token).code(), Code::kInvalid);
}

TEST(PublishClusterInfo, KeepsSignaturesOfAnUnchangedKubeconfigAndDropsStaleOnes) {
  const auto& config_maps = *api::findResource("", "v1", "configmaps");
  client::FakeClient client;
  ASSERT_TRUE(publishClusterInfo(client, {"https://a:6443", "CA1"}).isOk());
  json stored = *client.object(config_maps, "kube-public", "cluster-info");
  stored["data"]["jws-kubeconfig-abcdef"] = "sig";
  stored["data"]["other"] = "kept";
  ASSERT_TRUE(client.update(config_maps, "kube-public", stored).isOk());
  ASSERT_TRUE(publishClusterInfo(client, {"https://a:6443", "CA1"}).isOk());
  EXPECT_EQ((*client.object(config_maps, "kube-public", "cluster-info"))["data"]["jws-kubeconfig-abcdef"],
            "sig");
  ASSERT_TRUE(publishClusterInfo(client, {"https://a:6443", "CA2"}).isOk());
  json data = (*client.object(config_maps, "kube-public", "cluster-info"))["data"];
  EXPECT_FALSE(data.contains("jws-kubeconfig-abcdef"));
  EXPECT_EQ(data["other"], "kept");
  EXPECT_EQ(parseClusterInfo(*client.object(config_maps, "kube-public", "cluster-info"))->ca_pem,
            "CA2");
}

TEST(DiscoverClusterInfo, RefusesToRunWithoutAPinUnlessToldItIsUnsafe) {
  DiscoveryOptions options;
  options.server = "https://127.0.0.1:1";
  auto refused = discoverClusterInfo(options);
  EXPECT_EQ(refused.status().code(), Code::kInvalid);
  EXPECT_NE(refused.status().message().find("--discovery-token-unsafe-skip-ca-verification"),
            std::string::npos);
  options.ca_pins = {"sha256:" + std::string(64, '0')};
  options.server = "http://127.0.0.1:1";
  EXPECT_EQ(discoverClusterInfo(options).status().code(), Code::kInvalid);  // not https
}

}  // namespace cluster_info_test
}  // namespace minik8s::node
