#include "node/cni_config.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace minik8s::node {
namespace cni_config_test {

TEST(ParseIpv4Cidr, AcceptsNetworksAndRejectsTheRest) {
  struct Case {
    std::string in;
    bool ok;
    std::string str, gateway;
  } cases[] = {
      {"10.244.1.0/24", true, "10.244.1.0/24", "10.244.1.1"},
      {"10.244.0.0/16", true, "10.244.0.0/16", "10.244.0.1"},
      {"192.168.7.128/25", true, "192.168.7.128/25", "192.168.7.129"},
      {"10.244.1.5/24", false, "", ""},  // host bits
      {"10.244.1.0", false, "", ""},
      {"10.244.1.0/", false, "", ""},
      {"10.244.1.0/33", false, "", ""},
      {"10.244.1.0/31", false, "", ""},
      {"10.244.1/24", false, "", ""},
      {"300.1.1.0/24", false, "", ""},
      {"10.244.1.0/2x", false, "", ""},
      {"", false, "", ""},
  };
  for (const auto& c : cases) {
    auto r = parseIpv4Cidr(c.in);
    ASSERT_EQ(r.isOk(), c.ok) << c.in;
    if (!c.ok) {
      EXPECT_EQ(r.status().code(), Code::kInvalid);
      continue;
    }
    EXPECT_EQ(r->toString(), c.str);
    EXPECT_EQ(r->gateway(), c.gateway);
  }
}

TEST(RenderCniConflist, BridgeHostLocalPortmapLoopback) {
  CniOptions o;
  o.pod_cidr = "10.244.2.0/24";
  o.bridge = "mk8s0";
  o.ipam_data_dir = "/b/cni-ipam";
  auto text = renderCniConflist(o);
  ASSERT_TRUE(text.isOk()) << text.status().toString();
  auto j = nlohmann::json::parse(*text);
  EXPECT_EQ(j["cniVersion"], "1.0.0");
  EXPECT_EQ(j["name"], "minik8s");
  ASSERT_EQ(j["plugins"].size(), 3u);
  auto& br = j["plugins"][0];
  EXPECT_EQ(br["type"], "bridge");
  EXPECT_EQ(br["bridge"], "mk8s0");
  EXPECT_EQ(br["isGateway"], true);
  EXPECT_EQ(br["ipMasq"], true);
  EXPECT_EQ(br["hairpinMode"], true);
  EXPECT_EQ(br["ipam"]["type"], "host-local");
  EXPECT_EQ(br["ipam"]["ranges"][0][0]["subnet"], "10.244.2.0/24");
  EXPECT_EQ(br["ipam"]["ranges"][0][0]["gateway"], "10.244.2.1");
  EXPECT_EQ(br["ipam"]["routes"][0]["dst"], "0.0.0.0/0");
  EXPECT_EQ(br["ipam"]["dataDir"], "/b/cni-ipam");
  EXPECT_FALSE(br.contains("mtu"));  // unset: the kernel's default
  EXPECT_EQ(j["plugins"][1]["type"], "portmap");
  EXPECT_EQ(j["plugins"][1]["capabilities"]["portMappings"], true);
  EXPECT_EQ(j["plugins"][2]["type"], "loopback");
  EXPECT_EQ(cniConflistFileName(o), "10-minik8s.conflist");
}

TEST(RenderCniConflist, MultiNodeKeepsPodSourceIpsAndCanDropPortmap) {
  CniOptions o;
  o.pod_cidr = "10.244.3.0/24";
  o.ipam_data_dir = "/d";
  o.ip_masq = false;
  o.port_map = false;
  auto j = nlohmann::json::parse(*renderCniConflist(o));
  EXPECT_EQ(j["plugins"][0]["ipMasq"], false);
  ASSERT_EQ(j["plugins"].size(), 2u);
  EXPECT_EQ(j["plugins"][1]["type"], "loopback");
}

TEST(RenderCniConflist, AnMtuGoesToTheBridgePlugin) {
  CniOptions o;
  o.pod_cidr = "10.244.3.0/24";
  o.ipam_data_dir = "/d";
  o.ip_masq = false;
  o.mtu = 1450;
  auto text = renderCniConflist(o);
  ASSERT_TRUE(text.isOk()) << text.status().toString();
  auto j = nlohmann::json::parse(*text);
  EXPECT_EQ(j["plugins"][0]["type"], "bridge");
  EXPECT_EQ(j["plugins"][0]["mtu"], 1450);
  EXPECT_TRUE(j["plugins"][0]["mtu"].is_number_integer());
  EXPECT_EQ(j["plugins"][0]["ipam"]["type"], "host-local");
  for (size_t i = 1; i < j["plugins"].size(); ++i) EXPECT_FALSE(j["plugins"][i].contains("mtu"));
  EXPECT_NE(text->find("\"mtu\": 1450"), std::string::npos) << *text;
}

TEST(RenderCniConflist, RejectsBadInput) {
  CniOptions base;
  base.pod_cidr = "10.244.0.0/24";
  base.ipam_data_dir = "/d";
  ASSERT_TRUE(renderCniConflist(base).isOk());
  auto bad_cidr = base;
  bad_cidr.pod_cidr = "10.244.0.1/24";
  auto long_bridge = base;
  long_bridge.bridge = "a-very-long-bridge-name";
  auto no_dir = base;
  no_dir.ipam_data_dir = "";
  auto tiny_mtu = base;
  tiny_mtu.mtu = 67;
  auto negative_mtu = base;
  negative_mtu.mtu = -1;
  auto huge_mtu = base;
  huge_mtu.mtu = 65536;
  for (const auto& o : {bad_cidr, long_bridge, no_dir, tiny_mtu, negative_mtu, huge_mtu}) {
    EXPECT_EQ(renderCniConflist(o).status().code(), Code::kInvalid);
  }
  auto smallest = base;
  smallest.mtu = 68;
  EXPECT_TRUE(renderCniConflist(smallest).isOk());
}

}  // namespace cni_config_test
}  // namespace minik8s::node
