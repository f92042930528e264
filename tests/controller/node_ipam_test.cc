// The node IPAM allocator and controller over the fake client.
#include "controller/node_ipam.h"

#include <gtest/gtest.h>

#include "client/fake_client.h"
#include "controller/fixtures.h"
#include "controller/pod_util.h"

namespace minik8s::controller {
namespace node_ipam_test {

using nlohmann::json;
using testing::decoded;

TEST(CidrSet, HandsOutTheLowestFreeBlock) {
  auto set = CidrSet::create("10.244.0.0/16", 24);
  ASSERT_TRUE(set.isOk()) << set.status().toString();
  EXPECT_EQ(*set->allocateNext(), "10.244.0.0/24");
  EXPECT_EQ(*set->allocateNext(), "10.244.1.0/24");
  EXPECT_TRUE(set->occupy("10.244.2.0/24"));
  EXPECT_EQ(*set->allocateNext(), "10.244.3.0/24");
  set->release("10.244.1.0/24");
  EXPECT_EQ(*set->allocateNext(), "10.244.1.0/24");
  EXPECT_FALSE(set->occupy("10.252.7.0/24"));  // outside: someone else's
  EXPECT_FALSE(set->occupy("10.244.4.0/25"));  // not a block of this set
  EXPECT_EQ(set->used(), 4u);
}

TEST(CidrSet, AFullRangeIsUnavailableAndBadFlagsAreInvalid) {
  auto set = CidrSet::create("10.9.0.0/23", 24);
  ASSERT_TRUE(set.isOk());
  EXPECT_TRUE(set->allocateNext().isOk());
  EXPECT_TRUE(set->allocateNext().isOk());
  EXPECT_EQ(set->allocateNext().status().code(), Code::kUnavailable);
  EXPECT_EQ(CidrSet::create("10.244.0.0/16", 16).status().code(), Code::kInvalid);
  EXPECT_EQ(CidrSet::create("10.244.0.1/16", 24).status().code(), Code::kInvalid);
  EXPECT_EQ(CidrSet::create("10.0.0.0/8", 30).status().code(), Code::kInvalid);  // 2^22 blocks
  EXPECT_EQ(CidrSet::create("nonsense", 24).status().code(), Code::kInvalid);
}

class NodeIpamTest : public ::testing::Test {
 protected:
  void addNode(const std::string& name, const std::string& cidr = "") {
    json node = {{"apiVersion", "v1"}, {"kind", "Node"}, {"metadata", {{"name", name}, {"uid", "u-" + name}}}};
    if (!cidr.empty()) node["spec"] = {{"podCIDR", cidr}, {"podCIDRs", {cidr}}};
    client_.add(nodesResource(), node);
    refresh(name);
  }
  void refresh(const std::string& name) {
    auto n = decoded<api::Node>(*client_.object(nodesResource(), "", name));
    nodes_.add(n);
    controller_.observe(n);
  }
  std::string podCidrOf(const std::string& name) {
    return (*client_.object(nodesResource(), "", name))["spec"].value("podCIDR", "");
  }

  FakeClock clock_;
  client::FakeClient client_{clock_};
  client::ObjectCache<api::Node> nodes_;
  NodeIpamController controller_{client_, nodes_, *CidrSet::create("10.244.0.0/16", 24), clock_};
};

TEST_F(NodeIpamTest, EachNodeGetsItsOwnRangeAroundTheTakenOnes) {
  addNode("has", "10.244.0.0/24");
  addNode("own", "10.252.9.0/24");  // a kubelet's --pod-cidr outside the range: left alone
  addNode("a");
  addNode("b");
  client_.clearActions();
  ASSERT_TRUE(controller_.sync("a").isOk());
  ASSERT_TRUE(controller_.sync("b").isOk());
  ASSERT_TRUE(controller_.sync("has").isOk());
  ASSERT_TRUE(controller_.sync("own").isOk());
  EXPECT_EQ(podCidrOf("a"), "10.244.1.0/24");
  EXPECT_EQ(podCidrOf("b"), "10.244.2.0/24");
  EXPECT_EQ(podCidrOf("has"), "10.244.0.0/24");
  EXPECT_EQ(podCidrOf("own"), "10.252.9.0/24");
  EXPECT_EQ(client_.writes().size(), 2u);
  EXPECT_EQ((*client_.object(nodesResource(), "", "a"))["spec"]["podCIDRs"], json::array({"10.244.1.0/24"}));
}

TEST_F(NodeIpamTest, ADeletedNodesRangeIsReusedAndAFailedPatchFreesIt) {
  addNode("a");
  ASSERT_TRUE(controller_.sync("a").isOk());
  refresh("a");
  controller_.forget(decoded<api::Node>(*client_.object(nodesResource(), "", "a")));
  addNode("b");
  client_.failNext("patch", "nodes", Status(Code::kConflict, "changed"));
  EXPECT_EQ(controller_.sync("b").code(), Code::kConflict);
  ASSERT_TRUE(controller_.sync("b").isOk());
  EXPECT_EQ(podCidrOf("b"), "10.244.0.0/24");
}

}  // namespace node_ipam_test
}  // namespace minik8s::controller
