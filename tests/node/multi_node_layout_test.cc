// The pure layout of `minik8s up --nodes N`: names, addresses, directories, the server's
// bind address, node 1's node IP and the join command line of the extra nodes.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "node/local_cluster.h"

namespace minik8s::node {
namespace multi_node_layout_test {

using nlohmann::json;

LocalClusterState threeNodes() {
  LocalClusterState s;
  s.node_name = "box";
  s.nodes = 3;
  return s;
}

TEST(MultiNodeLayout, OneNodeIsTodaysNode) {
  auto p = localClusterPaths("/d");
  LocalClusterState s;
  s.node_name = "box";
  auto layout = multiNodeLayout(p, s);
  ASSERT_TRUE(layout.isOk()) << layout.status().toString();
  EXPECT_EQ(layout->bridge, "");
  ASSERT_EQ(layout->nodes.size(), 1u);
  const LocalNode& n = layout->nodes[0];
  EXPECT_EQ(n.name, "box");
  EXPECT_EQ(n.netns, "");
  EXPECT_EQ(n.node_ip, "");
  EXPECT_EQ(n.data_dir, "/d/node");
  EXPECT_EQ(n.agent_pid, p.agent_pid);
  EXPECT_EQ(n.agent_log, p.agent_log);
  EXPECT_EQ(n.containerd.socket, p.containerd.socket);
  EXPECT_EQ(agentIdentity(n), agentIdentity(p));
  // Nothing changes for the server, the agent and the URL.
  EXPECT_EQ(apiHost(s), "127.0.0.1");
  EXPECT_EQ(clusterServerUrl(s), "https://127.0.0.1:6443");
  auto server = serverArgv("/m", p, s);
  EXPECT_EQ(std::find(server.begin(), server.end(), "--bind-address"), server.end());
  auto agent = agentArgv("/m", p, s);
  EXPECT_EQ(std::find(agent.begin(), agent.end(), "--node-ip"), agent.end());
  EXPECT_EQ(std::find(agent.begin(), agent.end(), "--network-backend"), agent.end());
}

TEST(MultiNodeLayout, ExtraNodesGetNamespacesAddressesAndDirectories) {
  auto p = localClusterPaths("/d");
  auto layout = multiNodeLayout(p, threeNodes());
  ASSERT_TRUE(layout.isOk()) << layout.status().toString();
  EXPECT_EQ(layout->bridge, "minik8s-br0");
  EXPECT_EQ(layout->gateway, "172.31.240.1");
  EXPECT_EQ(layout->gateway_cidr, "172.31.240.1/24");
  ASSERT_EQ(layout->nodes.size(), 3u);
  const LocalNode& first = layout->nodes[0];
  EXPECT_EQ(first.name, "box");
  EXPECT_EQ(first.netns, "");
  EXPECT_EQ(first.node_ip, "172.31.240.1");
  EXPECT_EQ(first.data_dir, "/d/node");

  const LocalNode& third = layout->nodes[2];
  EXPECT_EQ(third.index, 3);
  EXPECT_EQ(third.name, "box-3");
  EXPECT_EQ(third.netns, "minik8s-box-3");
  EXPECT_EQ(third.node_ip, "172.31.240.3");
  EXPECT_EQ(third.address_cidr, "172.31.240.3/24");
  EXPECT_EQ(third.cgroup_root, "minik8s-3");
  EXPECT_EQ(third.cni_bridge, "mk8s3");
  EXPECT_EQ(third.data_dir, "/d/nodes/box-3");
  EXPECT_EQ(third.agent_log, "/d/logs/agent-box-3.log");
  EXPECT_EQ(third.agent_pid, "/d/run/agent-box-3.pid");
  EXPECT_EQ(third.containerd.socket, "/d/nodes/box-3/containerd/containerd.sock");

  // Host-side names fit IFNAMSIZ and differ per node and per data dir.
  std::set<std::string> veths;
  for (size_t i = 1; i < layout->nodes.size(); ++i) {
    EXPECT_LE(layout->nodes[i].host_veth.size(), 15u);
    EXPECT_EQ(layout->nodes[i].host_veth.rfind("mk8s", 0), 0u);
    veths.insert(layout->nodes[i].host_veth);
  }
  EXPECT_EQ(veths.size(), 2u);
  auto other = multiNodeLayout(localClusterPaths("/e"), threeNodes());
  ASSERT_TRUE(other.isOk());
  EXPECT_NE(other->nodes[1].host_veth, layout->nodes[1].host_veth);
  // The same input, the same layout (down finds what up made).
  auto again = multiNodeLayout(p, threeNodes());
  for (size_t i = 0; i < layout->nodes.size(); ++i) {
    EXPECT_EQ(again->nodes[i].host_veth, layout->nodes[i].host_veth);
    EXPECT_EQ(again->nodes[i].netns, layout->nodes[i].netns);
  }
}

TEST(MultiNodeLayout, CniBridgeNamesStayWithinIfnamsiz) {
  LocalClusterState s = threeNodes();
  s.nodes = 12;
  s.bridge = "averylongbridge";  // 15
  auto layout = multiNodeLayout(localClusterPaths("/d"), s);
  ASSERT_TRUE(layout.isOk());
  EXPECT_EQ(layout->nodes[11].cni_bridge, "averylongbrid12");
  EXPECT_EQ(layout->nodes[1].cni_bridge, "averylongbridg2");
  s.bridge = "mke2e4242";
  layout = multiNodeLayout(localClusterPaths("/d"), s);
  EXPECT_EQ(layout->nodes[1].cni_bridge, "mke2e2");
}

TEST(MultiNodeLayout, RefusesWhatCannotWork) {
  auto p = localClusterPaths("/d");
  LocalClusterState s = threeNodes();
  s.nodes = 0;
  EXPECT_EQ(multiNodeLayout(p, s).status().code(), Code::kInvalid);
  s = threeNodes();
  s.tls = false;
  EXPECT_NE(multiNodeLayout(p, s).status().message().find("--tls"), std::string::npos);
  s = threeNodes();
  s.underlay_subnet = "172.31.240.0/30";  // 2 usable addresses: the bridge and one node
  EXPECT_EQ(multiNodeLayout(p, s).status().code(), Code::kInvalid);
  s.nodes = 2;
  s.underlay_subnet = "172.31.240.0/29";
  EXPECT_TRUE(multiNodeLayout(p, s).isOk());
  s.nodes = 7;  // .1 bridge, .2-.7 nodes 2..7, .7 would be... 8 addresses minus 2
  EXPECT_EQ(multiNodeLayout(p, s).status().code(), Code::kInvalid);
  s.nodes = 6;
  EXPECT_TRUE(multiNodeLayout(p, s).isOk());
  s = threeNodes();
  s.underlay_subnet = "not-a-subnet";
  EXPECT_NE(multiNodeLayout(p, s).status().message().find("--node-subnet"), std::string::npos);
  s = threeNodes();
  s.underlay_bridge = "a-bridge-name-too-long";
  EXPECT_NE(multiNodeLayout(p, s).status().message().find("--node-bridge"), std::string::npos);
}

TEST(MultiNodeLayout, ServerBindsTheBridgeAddressAndNodeOneUsesIt) {
  auto p = localClusterPaths("/d");
  LocalClusterState s = threeNodes();
  EXPECT_EQ(apiHost(s), "172.31.240.1");
  EXPECT_EQ(clusterServerUrl(s), "https://172.31.240.1:6443");
  auto server = serverArgv("/m", p, s);
  EXPECT_EQ(server, (std::vector<std::string>{"/m", "server", "--port", "6443", "--data-dir",
                                              "/d/server", "--tls", "--bind-address",
                                              "172.31.240.1"}));
  auto agent = agentArgv("/m", p, s);
  auto ip = std::find(agent.begin(), agent.end(), "--node-ip");
  ASSERT_NE(ip, agent.end());
  EXPECT_EQ(*(ip + 1), "172.31.240.1");
  // A --node-ip of the user's wins (the agent refuses a flag twice).
  s.agent_args = {"--node-ip=172.31.240.1"};
  agent = agentArgv("/m", p, s);
  EXPECT_EQ(std::count_if(agent.begin(), agent.end(),
                          [](const std::string& a) { return a.rfind("--node-ip", 0) == 0; }),
            1);
}

TEST(MultiNodeLayout, ExtraNodesJoinWithATokenInsideTheirNamespace) {
  auto p = localClusterPaths("/d");
  LocalClusterState s = threeNodes();
  s.agent_args = {"--kubelet-port=0"};
  auto layout = multiNodeLayout(p, s);
  ASSERT_TRUE(layout.isOk());
  EXPECT_EQ(joinAgentArgv("/m", layout->nodes[1], s, "/d/run/join-token", "sha256:00"),
            (std::vector<std::string>{
                "/usr/bin/nsenter", "--net=/run/netns/minik8s-box-2", "--", "/m", "agent",
                "--server", "https://172.31.240.1:6443", "--token-file", "/d/run/join-token",
                "--discovery-token-ca-cert-hash", "sha256:00", "--node-name", "box-2",
                "--node-ip", "172.31.240.2", "--data-dir", "/d/nodes/box-2", "--cgroup-root",
                "minik8s-2", "--cni-bridge", "mk8s2", "--run-dns=true",
                "--cluster-dns=10.96.0.10", "--network-backend", "vxlan", "--kubelet-port=0"}));
  // The server's --cluster-cidr is the pod network's cluster CIDR, on every node.
  s.server_args = {"--cluster-cidr=10.253.0.0/16"};
  const std::vector<std::string> cidr = {"--proxy-cluster-cidr", "10.253.0.0/16"};
  auto argv = joinAgentArgv("/m", layout->nodes[2], s, "t", "h");
  EXPECT_NE(std::search(argv.begin(), argv.end(), cidr.begin(), cidr.end()), argv.end());
  argv = agentArgv("/m", p, s);
  EXPECT_NE(std::search(argv.begin(), argv.end(), cidr.begin(), cidr.end()), argv.end());
  const std::vector<std::string> vxlan = {"--network-backend", "vxlan"};
  EXPECT_NE(std::search(argv.begin(), argv.end(), vxlan.begin(), vxlan.end()), argv.end());
  EXPECT_EQ(agentIdentity(layout->nodes[1]),
            (std::vector<std::string>{"--data-dir", "/d/nodes/box-2"}));
}

TEST(MultiNodeLayout, StateKeepsTheNodeCountAndUnderlay) {
  LocalClusterState s = threeNodes();
  s.underlay_bridge = "mk8se2ebr";
  s.underlay_subnet = "10.250.1.0/24";
  auto back = stateFromJson(stateToJson(s));
  ASSERT_TRUE(back.isOk());
  EXPECT_EQ(*back, s);
  // A state file from before --nodes: one node.
  auto j = stateToJson(s);
  j.erase("nodes");
  EXPECT_EQ(stateFromJson(j)->nodes, 1);
  j["nodes"] = 0;
  EXPECT_FALSE(stateFromJson(j).isOk());
}

// `up --node-config node.yaml`: a node named, labelled and addressed by its manifest.
NodeConfigFile worker(const std::string& name, const std::string& ip) {
  return {name, {{"zone", "b"}}, ip};
}

TEST(MultiNodeLayout, ManifestNodesFollowTheNumberedOnesUnderTheirOwnNames) {
  auto p = localClusterPaths("/d");
  LocalClusterState s = threeNodes();
  s.node_configs = {worker("worker4", "172.31.240.40")};
  EXPECT_EQ(s.nodeCount(), 4);
  auto layout = multiNodeLayout(p, s);
  ASSERT_TRUE(layout.isOk()) << layout.status().toString();
  ASSERT_EQ(layout->nodes.size(), 4u);
  const LocalNode& n = layout->nodes[3];
  EXPECT_EQ(n.index, 4);
  EXPECT_EQ(n.name, "worker4");
  EXPECT_EQ(n.netns, "minik8s-worker4");
  EXPECT_EQ(n.node_ip, "172.31.240.40");
  EXPECT_EQ(n.address_cidr, "172.31.240.40/24");
  EXPECT_EQ(n.cgroup_root, "minik8s-4");
  EXPECT_EQ(n.cni_bridge, "mk8s4");
  EXPECT_EQ(n.data_dir, "/d/nodes/worker4");
  EXPECT_EQ(n.agent_pid, "/d/run/agent-worker4.pid");
  EXPECT_EQ(n.agent_log, "/d/logs/agent-worker4.log");
  EXPECT_EQ(n.node_config_file, "/d/nodes/worker4/node.yaml");
  ASSERT_TRUE(n.manifest.has_value());
  EXPECT_EQ(*n.manifest, s.node_configs[0]);
  EXPECT_FALSE(layout->nodes[2].manifest.has_value());
  EXPECT_EQ(layout->nodes[2].node_config_file, "");
  std::set<std::string> veths;
  for (size_t i = 1; i < layout->nodes.size(); ++i) veths.insert(layout->nodes[i].host_veth);
  EXPECT_EQ(veths.size(), 3u);
  // It joins like nodes 2..N, and its agent reads the manifest.
  auto argv = joinAgentArgv("/m", n, s, "t", "h");
  const std::vector<std::string> config = {"--node-config", "/d/nodes/worker4/node.yaml"};
  EXPECT_NE(std::search(argv.begin(), argv.end(), config.begin(), config.end()), argv.end());
  const std::vector<std::string> ip = {"--node-ip", "172.31.240.40"};
  EXPECT_NE(std::search(argv.begin(), argv.end(), ip.begin(), ip.end()), argv.end());
  EXPECT_EQ(argv[1], "--net=/run/netns/minik8s-worker4");
  auto second = joinAgentArgv("/m", layout->nodes[1], s, "t", "h");
  EXPECT_EQ(std::find(second.begin(), second.end(), "--node-config"), second.end());
}

TEST(MultiNodeLayout, OneNodeAndAManifestIsAMultiNodeCluster) {
  auto p = localClusterPaths("/d");
  LocalClusterState s;
  s.node_name = "box";
  s.node_configs = {worker("w", "172.31.240.9")};
  auto layout = multiNodeLayout(p, s);
  ASSERT_TRUE(layout.isOk()) << layout.status().toString();
  ASSERT_EQ(layout->nodes.size(), 2u);
  EXPECT_EQ(layout->bridge, "minik8s-br0");
  EXPECT_EQ(layout->nodes[1].index, 2);
  EXPECT_EQ(apiHost(s), "172.31.240.1");
  auto server = serverArgv("/m", p, s);
  EXPECT_NE(std::find(server.begin(), server.end(), "--bind-address"), server.end());
}

TEST(MultiNodeLayout, RefusesAManifestAddressOutsideTheSubnetOrTaken) {
  auto p = localClusterPaths("/d");
  auto refused = [&](NodeConfigFile config) {
    LocalClusterState s = threeNodes();
    s.node_configs = {worker("w1", "172.31.240.50"), config};
    auto layout = multiNodeLayout(p, s);
    return layout.isOk() ? std::string("accepted") : layout.status().message();
  };
  EXPECT_EQ(refused(worker("w2", "172.31.240.51")), "accepted");
  EXPECT_NE(refused(worker("w2", "10.0.0.5")).find("not in --node-subnet 172.31.240.0/24"),
            std::string::npos);
  EXPECT_NE(refused(worker("w2", "172.31.240.0")).find("network address"), std::string::npos);
  EXPECT_NE(refused(worker("w2", "172.31.240.255")).find("broadcast"), std::string::npos);
  EXPECT_NE(refused(worker("w2", "172.31.240.1")).find("taken by the bridge and node box"),
            std::string::npos);
  EXPECT_NE(refused(worker("w2", "172.31.240.3")).find("taken by node box-3"), std::string::npos);
  EXPECT_NE(refused(worker("w2", "172.31.240.50")).find("taken by node w1"), std::string::npos);
  EXPECT_NE(refused(worker("w2", "")).find("spec.ip is required"), std::string::npos);
  // Names: no other node's, and a DNS subdomain (it names a namespace and directories).
  EXPECT_NE(refused(worker("box-2", "172.31.240.51")).find("already there"), std::string::npos);
  EXPECT_NE(refused(worker("w1", "172.31.240.51")).find("already there"), std::string::npos);
  EXPECT_NE(refused(worker("../etc", "172.31.240.51")).find("metadata.name"), std::string::npos);
  EXPECT_NE(refused(worker("Upper", "172.31.240.51")).find("metadata.name"), std::string::npos);
}

TEST(AddNodeConfigs, AddsOnceKeepsTheSameAndRefusesAChange) {
  auto p = localClusterPaths("/d");
  auto added = addNodeConfigs(p, threeNodes(), {worker("w", "172.31.240.40")});
  ASSERT_TRUE(added.isOk()) << added.status().toString();
  ASSERT_EQ(added->node_configs.size(), 1u);
  // up again with the same manifest: nothing changes.
  auto again = addNodeConfigs(p, *added, {worker("w", "172.31.240.40")});
  ASSERT_TRUE(again.isOk()) << again.status().toString();
  EXPECT_EQ(*again, *added);
  EXPECT_EQ(*addNodeConfigs(p, *added, {}), *added);
  // Another address or other labels for the same name: down first.
  auto moved = addNodeConfigs(p, *added, {worker("w", "172.31.240.41")});
  EXPECT_NE(moved.status().message().find("minik8s down"), std::string::npos);
  NodeConfigFile relabelled = worker("w", "172.31.240.40");
  relabelled.labels["zone"] = "c";
  EXPECT_FALSE(addNodeConfigs(p, *added, {relabelled}).isOk());
  // A bad one is refused and nothing is added.
  EXPECT_FALSE(addNodeConfigs(p, *added, {worker("x", "172.31.240.2")}).isOk());
}

TEST(AddNodeConfigs, AManifestWithoutAnAddressGetsTheFirstFreeOne) {
  auto p = localClusterPaths("/d");
  auto added = addNodeConfigs(p, threeNodes(), {worker("a", "172.31.240.4"), worker("b", "")});
  ASSERT_TRUE(added.isOk()) << added.status().toString();
  EXPECT_EQ(added->node_configs[1].ip, "172.31.240.5");
  // And matches itself without one afterwards.
  EXPECT_EQ(*addNodeConfigs(p, *added, {worker("b", "")}), *added);
  LocalClusterState full = threeNodes();
  full.underlay_subnet = "172.31.240.0/29";  // .1-.6 usable: bridge, nodes 2..3, .4-.6 free
  auto filled = addNodeConfigs(p, full, {worker("a", ""), worker("b", ""), worker("c", "")});
  ASSERT_TRUE(filled.isOk()) << filled.status().toString();
  EXPECT_EQ(filled->node_configs[2].ip, "172.31.240.6");
  auto none_left = addNodeConfigs(p, *filled, {worker("d", "")});
  EXPECT_NE(none_left.status().message().find("no free address"), std::string::npos);
}

TEST(MultiNodeLayout, StateKeepsTheManifestNodes) {
  LocalClusterState s = threeNodes();
  s.node_configs = {worker("w", "172.31.240.40"), {"v", {}, "172.31.240.41"}};
  auto back = stateFromJson(stateToJson(s));
  ASSERT_TRUE(back.isOk()) << back.status().toString();
  EXPECT_EQ(*back, s);
  auto j = stateToJson(s);
  j["nodeConfigs"] = json::array({json{{"labels", json::object()}}});
  EXPECT_FALSE(stateFromJson(j).isOk());
}

}  // namespace multi_node_layout_test
}  // namespace minik8s::node
