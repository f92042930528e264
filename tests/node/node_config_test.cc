#include "node/node_config.h"

#include <gtest/gtest.h>

#include "api/scheme.h"
#include "client/fake_client.h"

namespace minik8s::node {
namespace node_config_test {

using nlohmann::json;

TEST(ParseNodeConfig, TheOriginalsNodeFile) {
  auto config = parseNodeConfig(R"(
apiVersion: v1
kind: Node
metadata:
  name: node1
  labels:
    zone: a
    gpu: true
    rack: 3
  annotations: {note: ignored}
spec:
  ip: 192.168.1.11
  unknownField: tolerated
status: {}
)");
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  EXPECT_EQ(config->name, "node1");
  EXPECT_EQ(config->ip, "192.168.1.11");
  EXPECT_EQ(config->labels,
            (std::map<std::string, std::string>{{"zone", "a"}, {"gpu", "true"}, {"rack", "3"}}));
}

TEST(RenderNodeConfig, ReadsBackEqual) {
  for (const NodeConfigFile& config :
       {NodeConfigFile{"node4", {{"zone", "b"}, {"role", "worker"}}, "10.1.2.3"},
        NodeConfigFile{"bare", {}, ""}}) {
    std::string text = renderNodeConfig(config);
    auto back = parseNodeConfig(text);
    ASSERT_TRUE(back.isOk()) << back.status().toString() << "\n" << text;
    EXPECT_EQ(*back, config);
    EXPECT_NE(text.find("kind: Node"), std::string::npos) << text;
    auto stored = nodeConfigFromJson(nodeConfigToJson(config));
    ASSERT_TRUE(stored.isOk());
    EXPECT_EQ(*stored, config);
  }
  EXPECT_FALSE(nodeConfigFromJson(json::array()).isOk());
  EXPECT_FALSE(nodeConfigFromJson(json{{"ip", "10.1.2.3"}}).isOk());
  EXPECT_FALSE(nodeConfigFromJson(json{{"name", "n"}, {"labels", "x"}}).isOk());
}

TEST(ParseNodeConfig, OnlyTheNameIsRequired) {
  auto config = parseNodeConfig("metadata: {name: n2}\n");
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  EXPECT_EQ(*config, (NodeConfigFile{"n2", {}, ""}));
}

TEST(ParseNodeConfig, RefusesWhatIsNotANodeFile) {
  for (std::string text :
       {"kind: Node\nmetadata: {labels: {a: b}}\n", "kind: Pod\nmetadata: {name: n}\n",
        "apiVersion: v2\nmetadata: {name: n}\n", "metadata: {name: n}\nspec: {ip: 300.1.1.1}\n",
        "metadata: {name: n}\nspec: {ip: node1}\n", "metadata: {name: n, labels: {a: [b]}}\n",
        "[1, 2]\n", "metadata: {name: n\n"}) {
    auto config = parseNodeConfig(text);
    EXPECT_FALSE(config.isOk()) << text;
    if (!config.isOk()) {
      EXPECT_EQ(config.status().code(), Code::kInvalid) << text;
    }
  }
  EXPECT_NE(parseNodeConfig("kind: Node\n").status().message().find("metadata.name"),
            std::string::npos);
}

TEST(ResolveNodeIdentity, TheFileWinsAndAConflictingFlagIsAnError) {
  NodeConfigFile config{"node1", {}, "10.0.0.11"};
  auto plain = resolveNodeIdentity(config, std::nullopt, std::nullopt);
  ASSERT_TRUE(plain.isOk());
  EXPECT_EQ(plain->name, "node1");
  EXPECT_EQ(plain->ip, "10.0.0.11");
  EXPECT_TRUE(resolveNodeIdentity(config, "node1", "10.0.0.11").isOk());
  EXPECT_EQ(resolveNodeIdentity(config, "node2", std::nullopt).status().code(), Code::kInvalid);
  EXPECT_EQ(resolveNodeIdentity(config, std::nullopt, "10.0.0.12").status().code(),
            Code::kInvalid);
  // A flag fills what the file leaves out.
  auto filled = resolveNodeIdentity({"node1", {}, ""}, std::nullopt, "10.0.0.12");
  ASSERT_TRUE(filled.isOk());
  EXPECT_EQ(filled->ip, "10.0.0.12");
}

TEST(ApplyNodeLabels, CreatesTheNodeOrMergesIntoItsLabels) {
  const auto& nodes = *api::findResource("", "v1", "nodes");
  client::FakeClient client;
  ASSERT_TRUE(applyNodeLabels(client, "n1", {{"zone", "a"}}).isOk());
  auto node = client.object(nodes, "", "n1");
  ASSERT_TRUE(node);
  EXPECT_EQ((*node)["metadata"]["labels"],
            json({{"zone", "a"}, {"kubernetes.io/hostname", "n1"}}));

  client.add(nodes, {{"apiVersion", "v1"},
                     {"kind", "Node"},
                     {"metadata",
                      {{"name", "n2"}, {"labels", {{"kept", "yes"}, {"zone", "old"}}}}}});
  ASSERT_TRUE(applyNodeLabels(client, "n2", {{"zone", "b"}}).isOk());
  EXPECT_EQ((*client.object(nodes, "", "n2"))["metadata"]["labels"],
            json({{"kept", "yes"}, {"zone", "b"}}));

  client.clearActions();
  ASSERT_TRUE(applyNodeLabels(client, "n3", {}).isOk());
  EXPECT_TRUE(client.actions().empty());
}

}  // namespace node_config_test
}  // namespace minik8s::node
