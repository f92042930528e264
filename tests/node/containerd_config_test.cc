#include "node/containerd_config.h"

#include <gtest/gtest.h>

namespace minik8s::node {
namespace containerd_config_test {

TEST(ContainerdPaths, DerivesEverythingFromTheBaseDir) {
  auto p = containerdPaths("/var/lib/minik8s/n1/containerd/");
  EXPECT_EQ(p.base_dir, "/var/lib/minik8s/n1/containerd");
  EXPECT_EQ(p.config_file, "/var/lib/minik8s/n1/containerd/config.toml");
  EXPECT_EQ(p.socket, "/var/lib/minik8s/n1/containerd/containerd.sock");
  EXPECT_EQ(p.runc_root, "/var/lib/minik8s/n1/containerd/state/runc");
  EXPECT_EQ(p.cni_conf_dir, "/var/lib/minik8s/n1/containerd/cni");
  EXPECT_EQ(p.cni_ipam_dir, "/var/lib/minik8s/n1/containerd/cni-ipam");
  EXPECT_EQ(p.opt_dir, "/var/lib/minik8s/n1/containerd/root/opt");
}

TEST(RenderContainerdConfig, HasTheSettingsThisMachineNeeds) {
  auto cfg = renderContainerdConfig(containerdPaths("/b"), {});
  struct Case {
    const char* line;
  };
  for (const char* line : {
           "version = 2\n",
           "root = \"/b/root\"\n",
           "state = \"/b/state\"\n",
           "[grpc]\n  address = \"/b/containerd.sock\"\n",
           "[ttrpc]\n  address = \"/b/containerd.sock.ttrpc\"\n",
           "    path = \"/b/root/opt\"\n",
           "    sandbox_image = \"k8s.local/pause:1.0\"\n",
           "    disable_apparmor = true\n",
           "    restrict_oom_score_adj = true\n",
           "    netns_mounts_under_state_dir = true\n",
           "    stream_server_address = \"127.0.0.1\"\n",
           "      snapshotter = \"overlayfs\"\n",
           "        runtime_type = \"io.containerd.runc.v2\"\n",
           "          SystemdCgroup = false\n",
           "          BinaryName = \"/usr/sbin/runc\"\n",
           "          Root = \"/b/state/runc\"\n",
           "      bin_dir = \"/usr/lib/cni\"\n",
           "      conf_dir = \"/b/cni\"\n",
           "      max_conf_num = 1\n",
           "      config_path = \"/b/certs.d\"\n",
       }) {
    EXPECT_NE(cfg.find(line), std::string::npos) << "missing: " << line << "\nin:\n" << cfg;
  }
}

TEST(RenderContainerdConfig, UsesTheGivenOptions) {
  ContainerdConfigOptions o;
  o.sandbox_image = "registry.local/pause:3";
  o.runc_binary = "/opt/runc";
  o.cni_bin_dir = "/opt/cni/bin";
  auto cfg = renderContainerdConfig(containerdPaths("/x"), o);
  EXPECT_NE(cfg.find("sandbox_image = \"registry.local/pause:3\""), std::string::npos);
  EXPECT_NE(cfg.find("BinaryName = \"/opt/runc\""), std::string::npos);
  EXPECT_NE(cfg.find("bin_dir = \"/opt/cni/bin\""), std::string::npos);
}

TEST(RenderContainerdConfig, IsDeterministic) {
  EXPECT_EQ(renderContainerdConfig(containerdPaths("/b"), {}),
            renderContainerdConfig(containerdPaths("/b"), {}));
}

TEST(TomlString, EscapesQuotesBackslashesAndControls) {
  struct Case {
    std::string in, want;
  } cases[] = {
      {"/plain/path", "\"/plain/path\""},
      {"a\"b", "\"a\\\"b\""},
      {"a\\b", "\"a\\\\b\""},
      {"a\nb", "\"a\\nb\""},
      {std::string("a\x01" "b"), "\"a\\u0001b\""},
  };
  for (const auto& c : cases) EXPECT_EQ(tomlString(c.in), c.want) << c.in;
}

}  // namespace containerd_config_test
}  // namespace minik8s::node
