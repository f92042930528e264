// Hollow nodes (kubelet/hollow_node.h) against a real apiserver on port 0 over real etcd:
// three register and go Ready, renew their Leases, and report a pod bound to one of them
// Running with an IP from that node's podCIDR, touching nothing of the host.
#include <gtest/gtest.h>

#include <filesystem>

#include "api/scheme.h"
#include "kubelet/hollow_node.h"
#include "testing/api_fixture.h"

namespace minik8s::kubelet {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using testing::eventually;

const api::ResourceInfo& res(const char* plural) {
  return *api::findResource("", "v1", plural);
}

bool nodeReady(client::RestClient& client, const std::string& name) {
  auto node = client.get(res("nodes"), "", name);
  if (!node.isOk()) return false;
  for (const auto& c : (*node)["status"].value("conditions", json::array())) {
    if (c.value("type", "") == "Ready") return c.value("status", "") == "True";
  }
  return false;
}

TEST(HollowPodCidr, GivesEachIndexItsOwnRange) {
  EXPECT_EQ(*hollowPodCidr(0), "10.200.0.0/24");
  EXPECT_EQ(*hollowPodCidr(257), "10.201.1.0/24");
  EXPECT_EQ(*hollowPodCidr(56 * 256 - 1), "10.255.255.0/24");
  EXPECT_FALSE(hollowPodCidr(56 * 256).isOk());
  EXPECT_FALSE(hollowPodCidr(-1).isOk());
}

TEST(HollowKubeletOptions, TurnEveryHostEffectOff) {
  HollowNodeOptions options;
  options.name = "h";
  KubeletOptions k = hollowKubeletOptions(options);
  EXPECT_FALSE(k.manage_cgroups);
  EXPECT_FALSE(k.manage_volumes);
  EXPECT_FALSE(k.watch_config_objects);
  EXPECT_EQ(k.node.kubelet_port, 0);
}

cri::PodSandboxConfig sandbox(const std::string& uid) {
  cri::PodSandboxConfig config;
  config.metadata.name = "p-" + uid;
  config.metadata.namespace_ = "default";
  config.metadata.uid = uid;
  return config;
}

TEST(HollowFakeRuntime, HandsOutThePodCidrLowestFreeFirst) {
  cri::FakeRuntime runtime;
  EXPECT_FALSE(runtime.setPodCidr("10.200.1.0").isOk());
  EXPECT_FALSE(runtime.setPodCidr("fd00::/64").isOk());
  ASSERT_TRUE(runtime.setPodCidr("10.200.1.0/30").isOk());  // one host address: .2
  auto first = runtime.runPodSandbox(sandbox("a"));
  ASSERT_TRUE(first.isOk());
  EXPECT_EQ(runtime.podSandboxStatus(*first)->ip, "10.200.1.2");
  EXPECT_EQ(runtime.runPodSandbox(sandbox("b")).status().code(), Code::kUnavailable);
  ASSERT_TRUE(runtime.removePodSandbox(*first).isOk());
  auto again = runtime.runPodSandbox(sandbox("b"));
  ASSERT_TRUE(again.isOk());
  EXPECT_EQ(runtime.podSandboxStatus(*again)->ip, "10.200.1.2");
}

TEST(HollowFakeRuntime, AnyImageIsPresentAndNoCallLogGrows) {
  cri::FakeRuntime runtime;
  EXPECT_FALSE(runtime.imageStatus("example.com/app:v1").isOk());
  runtime.setAnyImagePresent(true);
  runtime.setRecordCalls(false);
  EXPECT_TRUE(runtime.imageStatus("example.com/app:v1").isOk());
  auto id = runtime.runPodSandbox(sandbox("a"));
  ASSERT_TRUE(id.isOk());
  cri::ContainerConfig container;
  container.metadata.name = "c";
  container.image = "example.com/other:v2";
  EXPECT_TRUE(runtime.createContainer(*id, container, sandbox("a")).isOk());
  EXPECT_TRUE(runtime.calls().empty());
}

TEST(HollowNodes, ThreeRegisterGoReadyAndRunABoundPod) {
  auto api = testing::ApiFixture::start();
  ASSERT_TRUE(api.isOk()) << api.status().toString();
  client::RestClient& client = (*api)->client();
  char tmpl[] = "/tmp/minik8s-hollow-test-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  const std::string host_path = dir + "-hostpath-must-not-exist";

  client::ClientConfig config;
  config.server = "http://127.0.0.1:" + std::to_string((*api)->server().port());
  HollowNodesOptions options;
  options.count = 3;
  options.data_dir = dir;
  options.heartbeat_period = 200ms;
  {
    HollowNodes nodes(config, options);
    ASSERT_TRUE(nodes.start().isOk());
    EXPECT_EQ(nodes.size(), 3u);
    for (const char* name : {"hollow-0", "hollow-1", "hollow-2"}) {
      EXPECT_TRUE(eventually([&] { return nodeReady(client, name); })) << name;
    }
    auto node = client.get(res("nodes"), "", "hollow-1");
    ASSERT_TRUE(node.isOk());
    EXPECT_EQ((*node)["spec"]["podCIDR"], "10.200.1.0/24");

    const auto& leases = *api::findResource("coordination.k8s.io", "v1", "leases");
    auto lease = client.get(leases, "kube-node-lease", "hollow-2");
    ASSERT_TRUE(lease.isOk()) << lease.status().toString();
    std::string renewed = (*lease)["spec"].value("renewTime", "");
    EXPECT_TRUE(eventually([&] {
      auto again = client.get(leases, "kube-node-lease", "hollow-2");
      return again.isOk() && (*again)["spec"].value("renewTime", "") != renewed;
    }));

    // Any image runs (no registry), and a hostPath volume is not created on the host.
    json pod = {
        {"metadata", {{"name", "web"}}},
        {"spec",
         {{"nodeName", "hollow-1"},
          {"volumes", json::array({{{"name", "data"}, {"hostPath", {{"path", host_path}}}}})},
          {"containers",
           json::array(
               {{{"name", "c"},
                 {"image", "registry.example.com/app:v1"},
                 {"volumeMounts", json::array({{{"name", "data"}, {"mountPath", "/data"}}})}}})}}}};
    ASSERT_TRUE(client.create(res("pods"), "default", pod).isOk());
    json status;
    EXPECT_TRUE(eventually([&] {
      auto got = client.get(res("pods"), "default", "web");
      if (!got.isOk()) return false;
      status = (*got)["status"];
      return status.value("phase", "") == "Running";
    })) << status.dump();
    EXPECT_EQ(status.value("podIP", ""), "10.200.1.2");
    EXPECT_EQ(status["containerStatuses"][0]["ready"], true);
    EXPECT_FALSE(std::filesystem::exists(host_path));

    // Deleted gracefully: the hollow kubelet confirms it.
    ASSERT_TRUE(client.remove(res("pods"), "default", "web").isOk());
    EXPECT_TRUE(eventually([&] {
      return client.get(res("pods"), "default", "web").status().code() == Code::kNotFound;
    }));
  }
  // Only the data dir was written: sandbox log directories, removed with their pods.
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    EXPECT_TRUE(entry.is_directory()) << entry.path();
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace minik8s::kubelet
