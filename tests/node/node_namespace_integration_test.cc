// The multi-node underlay on the real kernel (needs root): a bridge of this test's own
// (10.251.<x>.0/24), two node namespaces on it, idempotent re-creation, traffic from one
// namespace to the other (only inside what the test made), and deletion of everything.
// Only the checks run `ip`/`ping`; the code under test uses netlink.
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <string>

#include "node/node_namespace.h"

namespace minik8s::node {
namespace node_namespace_integration_test {

std::string output(const std::string& cmd) {
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  std::string text;
  if (p == nullptr) return text;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) text.append(buf.data(), n);
  ::pclose(p);
  return text;
}

bool linkExists(const std::string& name) {
  return std::filesystem::exists("/sys/class/net/" + name);
}

class NodeNamespaceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    const std::string id = std::to_string(::getpid() % 10000);
    bridge_ = "mk8stbr" + id;
    net_ = "10.251." + std::to_string(::getpid() % 200 + 20);
    for (int k = 2; k <= 3; ++k) {
      NodeNamespaceSpec s;
      s.netns = "mk8s-test-" + id + "-" + std::to_string(k);
      s.bridge = bridge_;
      s.host_veth = "mk8stv" + id + "x" + std::to_string(k);
      s.address_cidr = net_ + "." + std::to_string(k) + "/24";
      s.gateway = net_ + ".1";
      specs_.push_back(s);
    }
  }
  void TearDown() override {
    for (const auto& s : specs_) (void)deleteNodeNamespace(s.netns, s.host_veth);
    if (!bridge_.empty()) (void)deleteHostLink(bridge_);
  }

  std::string bridge_;
  std::string net_;
  std::vector<NodeNamespaceSpec> specs_;
};

TEST_F(NodeNamespaceTest, CreatesJoinsAndDeletesNamespaces) {
  ASSERT_TRUE(ensureUnderlayBridge(bridge_, net_ + ".1/24").isOk());
  for (const auto& s : specs_) {
    Status st = ensureNodeNamespace(s);
    ASSERT_TRUE(st.isOk()) << st.toString();
  }
  // Again: nothing changes, nothing fails.
  ASSERT_TRUE(ensureUnderlayBridge(bridge_, net_ + ".1/24").isOk());
  for (const auto& s : specs_) {
    Status st = ensureNodeNamespace(s);
    ASSERT_TRUE(st.isOk()) << st.toString();
  }

  EXPECT_NE(output("ip -4 addr show dev " + bridge_).find(net_ + ".1/24"), std::string::npos);
  EXPECT_NE(output("ip link show dev " + bridge_).find("state UP"), std::string::npos);
  for (const auto& s : specs_) {
    EXPECT_TRUE(netnsExists(s.netns));
    EXPECT_TRUE(linkExists(s.host_veth));
    EXPECT_EQ(std::filesystem::read_symlink("/sys/class/net/" + s.host_veth + "/master")
                  .filename()
                  .string(),
              bridge_);
    std::string addr = output("ip -n " + s.netns + " -4 addr show dev eth0");
    EXPECT_NE(addr.find(s.address_cidr), std::string::npos) << addr;
    EXPECT_NE(output("ip -n " + s.netns + " link show dev lo").find("UP"), std::string::npos);
    std::string routes = output("ip -n " + s.netns + " route");
    EXPECT_NE(routes.find("default via " + s.gateway + " dev eth0"), std::string::npos) << routes;
  }

  // Node 2 reaches node 3 across the bridge: a TCP connect to a closed port there is
  // refused by node 3's kernel (unreachable would time out or say no route).
  std::string reach = output("ip netns exec " + specs_[0].netns +
                             " timeout 5 bash -c 'echo > /dev/tcp/" + net_ + ".3/9'");
  EXPECT_NE(reach.find("Connection refused"), std::string::npos) << reach;

  // A stale address on the inner eth0 is replaced on the next ensure.
  output("ip -n " + specs_[0].netns + " addr add " + net_ + ".99/24 dev eth0");
  ASSERT_TRUE(ensureNodeNamespace(specs_[0]).isOk());
  EXPECT_EQ(output("ip -n " + specs_[0].netns + " -4 addr show dev eth0").find(net_ + ".99"),
            std::string::npos);

  for (const auto& s : specs_) {
    Status st = deleteNodeNamespace(s.netns, s.host_veth);
    ASSERT_TRUE(st.isOk()) << st.toString();
    EXPECT_FALSE(netnsExists(s.netns));
    EXPECT_FALSE(std::filesystem::exists(netnsPath(s.netns)));
    EXPECT_FALSE(linkExists(s.host_veth));
    EXPECT_TRUE(deleteNodeNamespace(s.netns, s.host_veth).isOk());  // idempotent
  }
  ASSERT_TRUE(deleteHostLink(bridge_).isOk());
  EXPECT_FALSE(linkExists(bridge_));
  EXPECT_TRUE(deleteHostLink(bridge_).isOk());
}

TEST_F(NodeNamespaceTest, RefusesBadNamesAndAMissingBridge) {
  EXPECT_EQ(ensureUnderlayBridge("a-name-longer-than-15", "10.0.0.1/24").code(), Code::kInvalid);
  NodeNamespaceSpec s = specs_[0];
  s.host_veth = "a-name-longer-than-15";
  EXPECT_EQ(ensureNodeNamespace(s).code(), Code::kInvalid);
  EXPECT_FALSE(netnsExists(s.netns));
  // The bridge was never made: the namespace is created, the veth is not.
  Status st = ensureNodeNamespace(specs_[0]);
  EXPECT_FALSE(st.isOk());
  EXPECT_NE(st.message().find("no bridge"), std::string::npos) << st.toString();
  EXPECT_FALSE(linkExists(specs_[0].host_veth));
}

}  // namespace node_namespace_integration_test
}  // namespace minik8s::node
