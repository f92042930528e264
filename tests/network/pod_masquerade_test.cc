// The masquerade rule set as iptables-restore text (pure), against iptables-save states.
#include "network/pod_masquerade.h"

#include <gtest/gtest.h>

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

}  // namespace pod_masquerade_test
}  // namespace minik8s::network
