// The Kubelet over the fake client and FakeRuntime (no apiserver, no etcd): what a sync asks
// the runtime.
#include "kubelet/kubelet.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <map>
#include <thread>

#include "api/scheme.h"
#include "client/fake_client.h"
#include "cri/fake_runtime.h"

namespace minik8s::kubelet {
namespace kubelet_test {

using nlohmann::json;
using namespace std::chrono_literals;

const api::ResourceInfo& pods() { return *api::findResource("", "v1", "pods"); }

template <typename F>
bool eventually(F f, std::chrono::milliseconds timeout = 5s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (f()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return f();
}

class KubeletSyncTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/minik8s-kubelet-unit-XXXXXX";
    data_dir_ = mkdtemp(tmpl);
    runtime_.addImage("docker.io/library/busybox:1.36.1");
  }
  void TearDown() override {
    if (kubelet_) kubelet_->stop();
    std::filesystem::remove_all(data_dir_);
  }

  // Relists and resyncs only at start and heartbeats never: syncs come from pod changes.
  void startKubelet(const std::function<void(KubeletOptions&)>& adjust = {}) {
    KubeletOptions options;
    options.node.node_name = "node-1";
    options.node.node_ip = "127.0.0.1";
    options.paths.data_dir = data_dir_;
    options.manage_cgroups = false;
    options.manage_volumes = false;
    options.resolv_conf = "";
    options.relist_period = std::chrono::hours(1);
    options.resync_period = std::chrono::hours(1);
    options.heartbeat_period = std::chrono::hours(1);
    if (adjust) adjust(options);
    kubelet_ = std::make_unique<Kubelet>(client_, runtime_, options);
    Status s = kubelet_->start();
    ASSERT_TRUE(s.isOk()) << s.toString();
  }

  // Patches a label of the pod `times` times, waiting for a sync after each.
  void syncByPodChanges(const std::string& name, int times) {
    for (int i = 0; i < times; ++i) {
      int64_t now = kubelet_->syncCount();
      json patch = {{"metadata", {{"labels", {{"n", std::to_string(i)}}}}}};
      ASSERT_TRUE(client_.patch(pods(), "default", name, client::PatchType::kMerge, patch.dump())
                      .isOk());
      ASSERT_TRUE(eventually([&] { return kubelet_->syncCount() > now; }));
    }
  }

  std::string phase(const std::string& name) {
    auto pod = client_.object(pods(), "default", name);
    if (!pod || !(*pod)["status"].is_object()) return "";
    return (*pod)["status"].value("phase", "");
  }

  client::FakeClient client_;
  cri::FakeRuntime runtime_;
  std::unique_ptr<Kubelet> kubelet_;
  std::string data_dir_;
};

// Measures the CRI calls of a sync that has nothing to do (a running pod whose object
// changed): they used to be 9 (the pod's sandboxes and containers listed twice, each
// container's and the sandbox's status asked twice, the sandbox's once more for its IP).
TEST_F(KubeletSyncTest, ASyncWithNothingToDoAsksTheRuntimeNothing) {
  startKubelet();
  json pod = {{"metadata", {{"name", "web"}, {"namespace", "default"}}},
              {"spec",
               {{"nodeName", "node-1"},
                {"containers", json::array({{{"name", "c"}, {"image", "busybox:1.36.1"}}})}}}};
  ASSERT_TRUE(client_.create(pods(), "default", pod).isOk());
  ASSERT_TRUE(eventually([&] { return phase("web") == "Running"; }));
  std::this_thread::sleep_for(200ms);  // the sync after the status write

  runtime_.clearCalls();
  const int64_t before = kubelet_->syncCount();
  syncByPodChanges("web", 5);
  const int64_t syncs = kubelet_->syncCount() - before;
  std::map<std::string, int> by_method;
  for (const auto& call : runtime_.calls()) ++by_method[call];
  std::string counts;
  int total = 0;
  for (const auto& [method, n] : by_method) {
    counts += " " + method + "=" + std::to_string(n);
    total += n;
  }
  std::printf("CRI calls in %lld syncs: %d (%.1f per sync):%s\n", static_cast<long long>(syncs),
              total, static_cast<double>(total) / static_cast<double>(syncs), counts.c_str());
  EXPECT_EQ(total, 0) << counts;
}

// The ConfigMap behind a volume comes from the kubelet's watch of it: a sync no longer GETs it.
TEST_F(KubeletSyncTest, ASyncReadsConfigMapsFromTheInformerNotWithAGet) {
  startKubelet([](KubeletOptions& options) { options.manage_volumes = true; });
  client_.add(*api::findResource("", "v1", "configmaps"),
              {{"apiVersion", "v1"},
               {"kind", "ConfigMap"},
               {"metadata", {{"name", "settings"}, {"namespace", "default"}}},
               {"data", {{"mode", "fast"}}}});
  json pod = {
      {"metadata", {{"name", "web"}, {"namespace", "default"}}},
      {"spec",
       {{"nodeName", "node-1"},
        {"volumes", json::array({{{"name", "cfg"}, {"configMap", {{"name", "settings"}}}}})},
        {"containers",
         json::array({{{"name", "c"},
                       {"image", "busybox:1.36.1"},
                       {"volumeMounts", json::array({{{"name", "cfg"}, {"mountPath", "/cfg"}}})}}})}}}};
  ASSERT_TRUE(client_.create(pods(), "default", pod).isOk());
  ASSERT_TRUE(eventually([&] { return phase("web") == "Running"; }));
  std::this_thread::sleep_for(200ms);  // the sync after the status write
  // Only the pod's own namespace is watched (one object, by name): never the cluster.
  int config_reads = 0;
  for (const auto& a : client_.actions()) {
    if ((a.verb == "list" || a.verb == "watch") &&
        (a.resource == "configmaps" || a.resource == "secrets")) {
      ++config_reads;
      EXPECT_EQ(a.ns, "default") << a.summary();
      EXPECT_EQ(a.resource, "configmaps") << "the pod uses no Secret";
    }
  }
  EXPECT_GE(config_reads, 1);

  client_.clearActions();
  syncByPodChanges("web", 3);
  int gets = 0;
  for (const auto& a : client_.actions()) gets += a.verb == "get" && a.resource == "configmaps";
  EXPECT_EQ(gets, 0);
}

}  // namespace kubelet_test
}  // namespace minik8s::kubelet
