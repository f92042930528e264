#include "network/node_network.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/types_core.h"

namespace minik8s::network {

TEST(FromNode, ReadsNameInternalIpPodCidrAndVtepMac) {
  auto node = nlohmann::json::parse(R"({
    "metadata": {"name": "node-2", "annotations": {"minik8s.io/vtep-mac": "0E:AA:00:00:00:02"}},
    "spec": {"podCIDR": "10.244.2.0/24"},
    "status": {"addresses": [{"type": "Hostname", "address": "node-2"},
                             {"type": "InternalIP", "address": "192.168.251.2"}]}})");
  EXPECT_EQ(fromNode(node),
            (NodeNetwork{"node-2", "192.168.251.2", "10.244.2.0/24", "0e:aa:00:00:00:02"}));
}

TEST(FromNode, AcceptsFlannelBackendData) {
  auto node = nlohmann::json::parse(R"({
    "metadata": {"name": "n", "annotations": {
      "flannel.alpha.coreos.com/backend-data": "{\"VNI\":1,\"VtepMAC\":\"12:34:56:78:9a:bc\"}"}}})");
  EXPECT_EQ(fromNode(node).vtep_mac, "12:34:56:78:9a:bc");
}

TEST(FromNode, MissingOrMalformedFieldsStayEmpty) {
  auto node = nlohmann::json::parse(R"({
    "metadata": {"name": "n", "annotations": {
      "minik8s.io/vtep-mac": "nope", "flannel.alpha.coreos.com/backend-data": "{not json"}},
    "spec": {"podCIDR": 7},
    "status": {"addresses": "x"}})");
  EXPECT_EQ(fromNode(node), (NodeNetwork{"n", "", "", ""}));
  EXPECT_EQ(fromNode(nlohmann::json::array()), NodeNetwork{});
}

TEST(FromNode, TypedNodeGivesTheSame) {
  api::Node node;
  node.metadata.name = "node-3";
  node.metadata.annotations["flannel.alpha.coreos.com/backend-data"] =
      R"({"VtepMAC":"0e:00:00:00:00:03"})";
  node.spec.pod_cidr = "10.244.3.0/24";
  node.status.addresses = {{"ExternalIP", "1.2.3.4"}, {"InternalIP", "192.168.251.3"}};
  EXPECT_EQ(fromNode(node),
            (NodeNetwork{"node-3", "192.168.251.3", "10.244.3.0/24", "0e:00:00:00:00:03"}));
}

TEST(NormalizeMac, LowerCasesAndRejectsMalformed) {
  EXPECT_EQ(normalizeMac("AA:bb:0C:dd:ee:FF"), "aa:bb:0c:dd:ee:ff");
  EXPECT_EQ(normalizeMac("aa-bb-cc-dd-ee-ff"), "");
  EXPECT_EQ(normalizeMac("aa:bb:cc:dd:ee:fg"), "");
  EXPECT_EQ(normalizeMac(""), "");
}

}  // namespace minik8s::network
