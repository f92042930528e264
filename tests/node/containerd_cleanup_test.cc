// The pure part of the node cleanup: which iptables commands remove portmap's host chains.
#include "node/containerd_cleanup.h"

#include <gtest/gtest.h>

namespace minik8s::node {
namespace containerd_cleanup_test {

using Cmds = std::vector<std::vector<std::string>>;

TEST(SplitIptablesLine, HonoursQuotes) {
  EXPECT_EQ(
      splitIptablesLine(
          R"(-A POSTROUTING -m comment --comment "CNI portfwd requiring masquerade" -j CNI-HOSTPORT-MASQ)"),
      (std::vector<std::string>{"-A", "POSTROUTING", "-m", "comment", "--comment",
                                "CNI portfwd requiring masquerade", "-j", "CNI-HOSTPORT-MASQ"}));
  EXPECT_EQ(splitIptablesLine(R"(a "b \"c\"" "")"), (std::vector<std::string>{"a", "b \"c\"", ""}));
  EXPECT_TRUE(splitIptablesLine("").empty());
}

const char* kUnused = R"(-P PREROUTING ACCEPT
-P INPUT ACCEPT
-P OUTPUT ACCEPT
-P POSTROUTING ACCEPT
-N CNI-HOSTPORT-DNAT
-N CNI-HOSTPORT-MASQ
-N CNI-HOSTPORT-SETMARK
-N OTHER
-A PREROUTING -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT
-A OUTPUT -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT
-A POSTROUTING -m comment --comment "CNI portfwd requiring masquerade" -j CNI-HOSTPORT-MASQ
-A POSTROUTING -s 10.0.0.0/8 -j OTHER
-A CNI-HOSTPORT-MASQ -m mark --mark 0x2000/0x2000 -j MASQUERADE
-A CNI-HOSTPORT-SETMARK -m comment --comment "CNI portfwd masquerade mark" -j MARK --set-xmark 0x2000/0x2000
)";

TEST(UnusedHostportChainCommands, RemovesJumpsThenFlushesAndDeletesTheChains) {
  Cmds want = {
      {"-t", "nat", "-D", "PREROUTING", "-m", "addrtype", "--dst-type", "LOCAL", "-j",
       "CNI-HOSTPORT-DNAT"},
      {"-t", "nat", "-D", "OUTPUT", "-m", "addrtype", "--dst-type", "LOCAL", "-j",
       "CNI-HOSTPORT-DNAT"},
      {"-t", "nat", "-D", "POSTROUTING", "-m", "comment", "--comment",
       "CNI portfwd requiring masquerade", "-j", "CNI-HOSTPORT-MASQ"},
      {"-t", "nat", "-F", "CNI-HOSTPORT-DNAT"},
      {"-t", "nat", "-F", "CNI-HOSTPORT-MASQ"},
      {"-t", "nat", "-F", "CNI-HOSTPORT-SETMARK"},
      {"-t", "nat", "-X", "CNI-HOSTPORT-DNAT"},
      {"-t", "nat", "-X", "CNI-HOSTPORT-MASQ"},
      {"-t", "nat", "-X", "CNI-HOSTPORT-SETMARK"},
  };
  EXPECT_EQ(unusedHostportChainCommands(kUnused), want);
}

TEST(UnusedHostportChainCommands, NothingWhileAPodMapsAPort) {
  std::string rules = std::string(kUnused) +
                      "-A CNI-HOSTPORT-DNAT -p tcp -m comment --comment \"dnat name: \\\"x\\\"\" "
                      "-m multiport --dports 8080 -j CNI-DN-abc\n";
  EXPECT_TRUE(unusedHostportChainCommands(rules).empty());
}

TEST(UnusedHostportChainCommands, NothingWhenThereAreNoChains) {
  EXPECT_TRUE(unusedHostportChainCommands("-P PREROUTING ACCEPT\n-P OUTPUT ACCEPT\n").empty());
  EXPECT_TRUE(unusedHostportChainCommands("").empty());
}

}  // namespace containerd_cleanup_test
}  // namespace minik8s::node
