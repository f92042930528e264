#include "kubelet/status_manager.h"

#include <gtest/gtest.h>

#include "api/codec.h"
#include "api/scheme.h"
#include "client/fake_client.h"
#include "kubelet/test_pods.h"

namespace minik8s::kubelet {
namespace status_manager_test {

using nlohmann::json;

const api::ResourceInfo& pods() { return *api::findResource("", "v1", "pods"); }

class StatusManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pod_ = testing::podOf({"app"});
    client_.add(pods(), api::toJson(pod_));
    runtime_.uid = pod_.metadata.uid;
    runtime_.sandboxes.push_back({"s1", cri::SandboxState::kReady, 0, 1, "10.88.0.2"});
    RuntimeContainer c;
    c.id = "c1";
    c.sandbox_id = "s1";
    c.name = "app";
    c.state = cri::ContainerState::kRunning;
    c.started_at = 2;
    runtime_.containers.push_back(c);
  }

  int statusWrites() {
    int n = 0;
    for (const auto& a : client_.writes()) n += a.summary() == "patch pods/status";
    return n;
  }
  // The pod as the informer would show it once it has seen the writes.
  api::Pod stored() {
    auto decoded = api::decode<api::Pod>(*client_.object(pods(), "default", "web"));
    EXPECT_TRUE(decoded.isOk());
    return *decoded;
  }

  FakeClock clock_;
  client::FakeClient client_{clock_};
  StatusManager manager_{client_, "10.0.0.5",
                         [](const std::string&) { return ContainerReadiness{true, true}; },
                         clock_};
  api::Pod pod_;
  PodRuntime runtime_;
};

TEST_F(StatusManagerTest, WritesTheComputedStatus) {
  manager_.setPodStatus(pod_, runtime_, {});
  EXPECT_EQ(statusWrites(), 1);
  json status = (*client_.object(pods(), "default", "web"))["status"];
  EXPECT_EQ(status["phase"], "Running");
  EXPECT_EQ(status["podIP"], "10.88.0.2");
  EXPECT_EQ(status["hostIP"], "10.0.0.5");
}

TEST_F(StatusManagerTest, DoesNotWriteTheSameStatusTwiceBeforeTheInformerCatchesUp) {
  manager_.setPodStatus(pod_, runtime_, {});
  manager_.setPodStatus(pod_, runtime_, {});  // the same stale pod, at the same time
  EXPECT_EQ(statusWrites(), 1);
}

TEST_F(StatusManagerTest, WritesNothingWhenThePodAlreadyShowsTheStatus) {
  manager_.setPodStatus(pod_, runtime_, {});
  manager_.forgetPod(pod_.metadata.uid);
  clock_.advance(std::chrono::seconds(1));
  manager_.setPodStatus(stored(), runtime_, {});
  EXPECT_EQ(statusWrites(), 1);
}

TEST_F(StatusManagerTest, WritesAgainWhenSomethingChanged) {
  manager_.setPodStatus(pod_, runtime_, {});
  runtime_.containers[0].state = cri::ContainerState::kExited;
  runtime_.containers[0].finished_at = 3;
  runtime_.containers[0].exit_code = 1;
  manager_.setPodStatus(stored(), runtime_, {{"app", {"CrashLoopBackOff", "back-off"}}});
  EXPECT_EQ(statusWrites(), 2);
  json cs = (*client_.object(pods(), "default", "web"))["status"]["containerStatuses"][0];
  EXPECT_EQ(cs["state"]["waiting"]["reason"], "CrashLoopBackOff");
}

TEST_F(StatusManagerTest, AFailedWriteIsMadeAgainByTheNextSync) {
  client_.failNext("patch", "pods", Status(Code::kUnavailable, "apiserver is down"));
  manager_.setPodStatus(pod_, runtime_, {});
  EXPECT_FALSE((*client_.object(pods(), "default", "web"))["status"].contains("phase"));
  manager_.setPodStatus(pod_, runtime_, {});
  EXPECT_EQ((*client_.object(pods(), "default", "web"))["status"]["phase"], "Running");
}

}  // namespace status_manager_test
}  // namespace minik8s::kubelet
