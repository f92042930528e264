// The masquerade rule set as iptables-restore text (pure), against iptables-save states.
#include "network/pod_masquerade.h"

#include <gtest/gtest.h>

#include "proxy/fake_iptables.h"

namespace minik8s::network {
namespace pod_masquerade_test {

const PodMasquerade kRules{"10.244.1.0/24", "10.244.0.0/16"};

const char kInstalled[] = R"(*nat
:PREROUTING ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:KUBE-POSTROUTING - [0:0]
:MINIK8S-POD-MASQ - [0:0]
-A POSTROUTING -j KUBE-POSTROUTING
-A POSTROUTING -j MINIK8S-POD-MASQ
-A MINIK8S-POD-MASQ -s 10.244.1.0/24 -d 10.244.0.0/16 -j RETURN
-A MINIK8S-POD-MASQ -s 10.244.1.0/24 -d 224.0.0.0/4 -j RETURN
-A MINIK8S-POD-MASQ -s 10.244.1.0/24 -j MASQUERADE
COMMIT
)";

TEST(PodMasquerade, FreshTableGetsTheChainAndOneJump) {
  auto text = renderPodMasquerade(kRules, proxy::parseIptablesSave("*nat\n"
                                                                   ":POSTROUTING ACCEPT [0:0]\n"
                                                                   "COMMIT\n"));
  ASSERT_TRUE(text.isOk()) << text.status().toString();
  EXPECT_EQ(*text,
            "*nat\n"
            ":MINIK8S-POD-MASQ - [0:0]\n"
            "-A MINIK8S-POD-MASQ -s 10.244.1.0/24 -d 10.244.0.0/16 -j RETURN\n"
            "-A MINIK8S-POD-MASQ -s 10.244.1.0/24 -d 224.0.0.0/4 -j RETURN\n"
            "-A MINIK8S-POD-MASQ -s 10.244.1.0/24 -j MASQUERADE\n"
            "-A POSTROUTING -j MINIK8S-POD-MASQ\n"
            "COMMIT\n");
}

TEST(PodMasquerade, InstalledRulesNeedNothing) {
  auto text = renderPodMasquerade(kRules, proxy::parseIptablesSave(kInstalled));
  ASSERT_TRUE(text.isOk());
  EXPECT_EQ(*text, "");
}

TEST(PodMasquerade, ANewPodCidrRewritesTheChainAndKeepsTheJump) {
  auto text = renderPodMasquerade({"10.244.7.0/24", "10.244.0.0/16"},
                                  proxy::parseIptablesSave(kInstalled));
  ASSERT_TRUE(text.isOk());
  EXPECT_NE(text->find("-A MINIK8S-POD-MASQ -s 10.244.7.0/24 -j MASQUERADE\n"), std::string::npos);
  EXPECT_EQ(text->find("-A POSTROUTING"), std::string::npos);  // already there
  EXPECT_EQ(text->find("-D POSTROUTING"), std::string::npos);
}

TEST(PodMasquerade, DuplicateJumpsAreDeleted) {
  std::string twice = kInstalled;
  twice.insert(twice.find("-A MINIK8S-POD-MASQ"), "-A POSTROUTING -j MINIK8S-POD-MASQ\n");
  auto text = renderPodMasquerade(kRules, proxy::parseIptablesSave(twice));
  ASSERT_TRUE(text.isOk());
  EXPECT_NE(text->find("-D POSTROUTING -j MINIK8S-POD-MASQ\n"), std::string::npos);
  EXPECT_EQ(text->find("-A POSTROUTING"), std::string::npos);
}

TEST(PodMasquerade, BadCidrsAreInvalid) {
  EXPECT_EQ(renderPodMasquerade({"10.244.1.1/24", "10.244.0.0/16"}, {}).status().code(),
            Code::kInvalid);
  EXPECT_EQ(renderPodMasquerade({"10.244.1.0/24", "nonsense"}, {}).status().code(),
            Code::kInvalid);
}

TEST(PodMasquerade, CleanupDeletesJumpsThenTheChain) {
  EXPECT_EQ(renderPodMasqueradeCleanup(proxy::parseIptablesSave(kInstalled)),
            "*nat\n"
            ":MINIK8S-POD-MASQ - [0:0]\n"
            "-D POSTROUTING -j MINIK8S-POD-MASQ\n"
            "-X MINIK8S-POD-MASQ\n"
            "COMMIT\n");
  EXPECT_EQ(renderPodMasqueradeCleanup(proxy::parseIptablesSave("*nat\nCOMMIT\n")), "");
}

TEST(PodMasquerade, EnsureWritesOnceThroughTheSeamAndRemoveCleansUp) {
  proxy::testing::FakeIptables iptables;
  ASSERT_TRUE(ensurePodMasquerade(iptables, kRules).isOk());
  ASSERT_EQ(iptables.restores.size(), 1u);
  EXPECT_EQ(iptables.restores[0].rfind("*nat\n", 0), 0u);
  iptables.nat = kInstalled;  // what the kernel now holds
  ASSERT_TRUE(ensurePodMasquerade(iptables, kRules).isOk());
  EXPECT_EQ(iptables.restores.size(), 1u);  // in place: nothing written
  ASSERT_TRUE(removePodMasquerade(iptables).isOk());
  ASSERT_EQ(iptables.restores.size(), 2u);
  EXPECT_NE(iptables.restores[1].find("-X MINIK8S-POD-MASQ\n"), std::string::npos);
}

// Docker's filter table: FORWARD policy DROP, its own chains jumped from FORWARD.
const char kDockerFilter[] = R"(*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:DOCKER - [0:0]
:DOCKER-USER - [0:0]
-A FORWARD -j DOCKER-USER
-A FORWARD -o docker0 -j DOCKER
-A DOCKER-USER -j RETURN
COMMIT
)";

const char kForwardInstalled[] = R"(*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:DOCKER-USER - [0:0]
:MINIK8S-POD-FORWARD - [0:0]
-A FORWARD -j DOCKER-USER
-A FORWARD -j MINIK8S-POD-FORWARD
-A DOCKER-USER -j RETURN
-A MINIK8S-POD-FORWARD -s 10.244.0.0/16 -j ACCEPT
-A MINIK8S-POD-FORWARD -d 10.244.0.0/16 -j ACCEPT
COMMIT
)";

TEST(PodForward, AcceptsTheClusterCidrBothWaysInOurChainAppendedToForward) {
  auto text = renderPodForward("10.244.0.0/16", proxy::parseIptablesSave(kDockerFilter));
  ASSERT_TRUE(text.isOk()) << text.status().toString();
  // Docker's rules and the policy are left alone: only our chain and one jump.
  EXPECT_EQ(*text,
            "*filter\n"
            ":MINIK8S-POD-FORWARD - [0:0]\n"
            "-A MINIK8S-POD-FORWARD -s 10.244.0.0/16 -j ACCEPT\n"
            "-A MINIK8S-POD-FORWARD -d 10.244.0.0/16 -j ACCEPT\n"
            "-A FORWARD -j MINIK8S-POD-FORWARD\n"
            "COMMIT\n");
}

TEST(PodForward, InstalledRulesNeedNothingAndANewClusterCidrRewritesTheChain) {
  auto same = renderPodForward("10.244.0.0/16", proxy::parseIptablesSave(kForwardInstalled));
  ASSERT_TRUE(same.isOk());
  EXPECT_EQ(*same, "");
  auto other = renderPodForward("10.96.0.0/12", proxy::parseIptablesSave(kForwardInstalled));
  ASSERT_TRUE(other.isOk());
  EXPECT_NE(other->find(":MINIK8S-POD-FORWARD - [0:0]\n"
                        "-A MINIK8S-POD-FORWARD -s 10.96.0.0/12 -j ACCEPT\n"
                        "-A MINIK8S-POD-FORWARD -d 10.96.0.0/12 -j ACCEPT\n"),
            std::string::npos)
      << *other;
  EXPECT_EQ(other->find("FORWARD -j"), std::string::npos) << *other;  // the jump is there
}

TEST(PodForward, AnAlteredJumpIsReplacedByThePlainOne) {
  std::string altered = kForwardInstalled;
  const std::string jump = "-A FORWARD -j MINIK8S-POD-FORWARD\n";
  altered.replace(altered.find(jump), jump.size(), "-A FORWARD -i eth0 -j MINIK8S-POD-FORWARD\n");
  auto text = renderPodForward("10.244.0.0/16", proxy::parseIptablesSave(altered));
  ASSERT_TRUE(text.isOk());
  EXPECT_NE(text->find("-D FORWARD -i eth0 -j MINIK8S-POD-FORWARD\n"), std::string::npos);
  EXPECT_NE(text->find("-A FORWARD -j MINIK8S-POD-FORWARD\n"), std::string::npos);
}

TEST(PodForward, BadClusterCidrIsInvalid) {
  EXPECT_EQ(renderPodForward("10.244.0.1/16", {}).status().code(), Code::kInvalid);
  EXPECT_EQ(podForwardRules("").status().code(), Code::kInvalid);
}

TEST(PodForward, CleanupDeletesTheJumpThenTheChainAndLeavesTheRest) {
  EXPECT_EQ(renderPodForwardCleanup(proxy::parseIptablesSave(kForwardInstalled)),
            "*filter\n"
            ":MINIK8S-POD-FORWARD - [0:0]\n"
            "-D FORWARD -j MINIK8S-POD-FORWARD\n"
            "-X MINIK8S-POD-FORWARD\n"
            "COMMIT\n");
  EXPECT_EQ(renderPodForwardCleanup(proxy::parseIptablesSave(kDockerFilter)), "");
  // The masquerade cleanup does not touch the filter table and vice versa.
  EXPECT_EQ(renderPodMasqueradeCleanup(proxy::parseIptablesSave(kForwardInstalled)), "");
  EXPECT_EQ(renderPodForwardCleanup(proxy::parseIptablesSave(kInstalled)), "");
}

TEST(PodForward, EnsureAndRemoveGoThroughTheFilterTable) {
  proxy::testing::FakeIptables iptables;
  iptables.filter = kDockerFilter;
  ASSERT_TRUE(ensurePodForward(iptables, "10.244.0.0/16").isOk());
  ASSERT_EQ(iptables.restores.size(), 1u);
  EXPECT_EQ(iptables.restores[0].rfind("*filter\n", 0), 0u);
  iptables.filter = kForwardInstalled;
  ASSERT_TRUE(ensurePodForward(iptables, "10.244.0.0/16").isOk());
  EXPECT_EQ(iptables.restores.size(), 1u);
  ASSERT_TRUE(removePodForward(iptables).isOk());
  ASSERT_EQ(iptables.restores.size(), 2u);
  EXPECT_NE(iptables.restores[1].find("-X MINIK8S-POD-FORWARD\n"), std::string::npos);
  iptables.filter = kDockerFilter;  // gone: nothing more to do
  ASSERT_TRUE(removePodForward(iptables).isOk());
  EXPECT_EQ(iptables.restores.size(), 2u);
}

TEST(PodForward, ASaveOrRestoreFailureIsReturned) {
  proxy::testing::FakeIptables iptables;
  iptables.fail_restore = true;
  EXPECT_EQ(ensurePodForward(iptables, "10.244.0.0/16").code(), Code::kUnavailable);
  iptables.fail_save = true;
  EXPECT_EQ(removePodForward(iptables).code(), Code::kUnavailable);
}

}  // namespace pod_masquerade_test
}  // namespace minik8s::network
