#include "kubelet/pleg.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "cri/fake_runtime.h"
#include "kubelet/pod_config.h"

namespace minik8s::kubelet {
namespace pleg_test {

using Uids = std::vector<std::string>;

class PlegTest : public ::testing::Test {
 protected:
  void SetUp() override { runtime_.addImage("busybox"); }

  // A ready sandbox for pod `uid`; returns its id.
  std::string runSandbox(const std::string& uid) {
    cri::PodSandboxConfig config;
    config.metadata = {"web-" + uid, uid, "default", 0};
    config.labels[kPodUidLabel] = uid;
    configs_[uid] = config;
    auto id = runtime_.runPodSandbox(config);
    EXPECT_TRUE(id.isOk()) << id.status().toString();
    return id.isOk() ? *id : "";
  }

  // A running container `name` of pod `uid` in `sandbox`; returns its id.
  std::string runContainer(const std::string& uid, const std::string& sandbox,
                           const std::string& name) {
    cri::ContainerConfig config;
    config.metadata = {name, 0};
    config.image = "busybox";
    config.labels[kPodUidLabel] = uid;
    config.labels[kContainerNameLabel] = name;
    auto id = runtime_.createContainer(sandbox, config, configs_[uid]);
    EXPECT_TRUE(id.isOk()) << id.status().toString();
    EXPECT_TRUE(runtime_.startContainer(*id).isOk());
    return *id;
  }

  Uids relist() {
    auto changed = pleg_.relist();
    EXPECT_TRUE(changed.isOk()) << changed.status().toString();
    Uids out = changed.isOk() ? *changed : Uids{};
    std::sort(out.begin(), out.end());
    return out;
  }

  cri::FakeRuntime runtime_;
  Pleg pleg_{runtime_};
  std::map<std::string, cri::PodSandboxConfig> configs_;
};

TEST_F(PlegTest, RelistReportsThePodsThatAppearedChangedOrWent) {
  std::string sandbox = runSandbox("uid-1");
  std::string c = runContainer("uid-1", sandbox, "app");
  runSandbox("uid-2");
  EXPECT_EQ(relist(), (Uids{"uid-1", "uid-2"}));
  EXPECT_EQ(relist(), Uids{});
  runtime_.exitContainer(c, 3);
  EXPECT_EQ(relist(), Uids{"uid-1"});
  ASSERT_TRUE(runtime_.removePodSandbox(sandbox).isOk());
  EXPECT_EQ(relist(), Uids{"uid-1"});
  EXPECT_EQ(relist(), Uids{});
}

TEST_F(PlegTest, TheCacheHoldsWhatCriSaysOfEachPod) {
  EXPECT_FALSE(pleg_.healthy());
  std::string sandbox = runSandbox("uid-1");
  std::string c = runContainer("uid-1", sandbox, "app");
  relist();
  EXPECT_TRUE(pleg_.healthy());
  auto pod = pleg_.get("uid-1");
  EXPECT_EQ(pod->name, "web-uid-1");
  ASSERT_EQ(pod->sandboxes.size(), 1u);
  EXPECT_EQ(pod->sandboxes[0].ip.rfind("10.88.", 0), 0u);
  ASSERT_NE(pod->latest("app"), nullptr);
  EXPECT_EQ(pod->latest("app")->state, cri::ContainerState::kRunning);
  EXPECT_GT(pod->latest("app")->started_at, 0);

  runtime_.exitContainer(c, 3, "Error");
  relist();
  pod = pleg_.get("uid-1");
  EXPECT_EQ(pod->latest("app")->state, cri::ContainerState::kExited);
  EXPECT_EQ(pod->latest("app")->exit_code, 3);

  ASSERT_TRUE(runtime_.removePodSandbox(sandbox).isOk());
  relist();
  pod = pleg_.get("uid-1");
  EXPECT_EQ(pod->uid, "uid-1");
  EXPECT_TRUE(pod->sandboxes.empty());
  EXPECT_TRUE(pod->containers.empty());
}

TEST_F(PlegTest, ASteadyRelistOnlyListsAndAChangedPodIsAskedAboutOnce) {
  std::string sandbox = runSandbox("uid-1");
  runContainer("uid-1", sandbox, "app");
  relist();
  runtime_.clearCalls();
  relist();
  EXPECT_EQ(runtime_.calls(), (Uids{"listPodSandbox", "listContainers"}));

  runContainer("uid-1", sandbox, "sidecar");
  runtime_.clearCalls();
  relist();
  auto calls = runtime_.calls();
  EXPECT_EQ(std::count(calls.begin(), calls.end(), "containerStatus"), 2);
  EXPECT_EQ(std::count(calls.begin(), calls.end(), "podSandboxStatus"), 1);
}

TEST_F(PlegTest, UpdatePodReadsOnePodAtOnceAndTheRelistDoesNotReadItAgain) {
  std::string sandbox = runSandbox("uid-1");
  relist();
  runContainer("uid-1", sandbox, "app");
  auto read = pleg_.updatePod("uid-1");
  ASSERT_TRUE(read.isOk());
  ASSERT_NE((*read)->latest("app"), nullptr);
  EXPECT_EQ(pleg_.get("uid-1")->latest("app")->state, cri::ContainerState::kRunning);
  runtime_.clearCalls();
  // The relist still reports the change (the kubelet syncs the pod once more), but the
  // cache already has it.
  EXPECT_EQ(relist(), Uids{"uid-1"});
  EXPECT_EQ(runtime_.calls(), (Uids{"listPodSandbox", "listContainers"}));
}

TEST_F(PlegTest, ARelistThatFailsKeepsTheCacheAndIsUnhealthy) {
  std::string sandbox = runSandbox("uid-1");
  relist();
  runtime_.failNext("listContainers", Status(Code::kUnavailable, "containerd is down"));
  EXPECT_FALSE(pleg_.relist().isOk());
  EXPECT_FALSE(pleg_.healthy());
  EXPECT_EQ(pleg_.get("uid-1")->sandboxes.size(), 1u);
  EXPECT_EQ(relist(), Uids{});
  EXPECT_TRUE(pleg_.healthy());
}

}  // namespace pleg_test
}  // namespace minik8s::kubelet
