#include "cri/fake_runtime.h"

#include <gtest/gtest.h>

namespace minik8s::cri {
namespace fake_runtime_test {

PodSandboxConfig sandboxConfig(const std::string& name, uint32_t attempt = 0) {
  PodSandboxConfig c;
  c.metadata = {name, "uid-" + name, "default", attempt};
  c.hostname = name;
  c.log_directory = "/var/log/pods/default_" + name;
  c.labels = {{"app", name}};
  return c;
}

ContainerConfig containerConfig(const std::string& name, const std::string& image) {
  ContainerConfig c;
  c.metadata = {name, 0};
  c.image = image;
  c.log_path = name + "/0.log";
  c.labels = {{"container", name}};
  return c;
}

class FakeRuntimeTest : public ::testing::Test {
 protected:
  FakeClock clock_;
  FakeRuntime rt_{clock_};
};

TEST_F(FakeRuntimeTest, SandboxAndContainerLifecycle) {
  rt_.addImage("docker.io/library/busybox:1.36.1");
  auto sb_cfg = sandboxConfig("web");
  auto sb = rt_.runPodSandbox(sb_cfg);
  ASSERT_TRUE(sb.isOk());
  auto st = rt_.podSandboxStatus(*sb);
  ASSERT_TRUE(st.isOk());
  EXPECT_EQ(st->state, SandboxState::kReady);
  EXPECT_EQ(st->ip, "10.88.0.2");
  EXPECT_EQ(st->labels.at("app"), "web");

  auto c = rt_.createContainer(*sb, containerConfig("httpd", "docker.io/library/busybox:1.36.1"),
                               sb_cfg);
  ASSERT_TRUE(c.isOk());
  EXPECT_EQ(rt_.containerStatus(*c)->state, ContainerState::kCreated);
  clock_.advance(std::chrono::seconds(1));
  ASSERT_TRUE(rt_.startContainer(*c).isOk());
  auto cs = rt_.containerStatus(*c);
  EXPECT_EQ(cs->state, ContainerState::kRunning);
  EXPECT_GT(cs->started_at, cs->created_at);
  EXPECT_EQ(cs->log_path, "/var/log/pods/default_web/httpd/0.log");
  EXPECT_FALSE(rt_.startContainer(*c).isOk());  // already running

  ASSERT_TRUE(rt_.stopContainer(*c, std::chrono::seconds(0)).isOk());
  cs = rt_.containerStatus(*c);
  EXPECT_EQ(cs->state, ContainerState::kExited);
  EXPECT_EQ(cs->exit_code, 137);
  EXPECT_EQ(cs->reason, "Error");
  ASSERT_TRUE(rt_.stopContainer(*c, std::chrono::seconds(0)).isOk());  // idempotent
  ASSERT_TRUE(rt_.removeContainer(*c).isOk());
  EXPECT_EQ(rt_.containerStatus(*c).status().code(), Code::kNotFound);
  ASSERT_TRUE(rt_.removeContainer(*c).isOk());  // idempotent

  ASSERT_TRUE(rt_.stopPodSandbox(*sb).isOk());
  EXPECT_EQ(rt_.podSandboxStatus(*sb)->state, SandboxState::kNotReady);
  ASSERT_TRUE(rt_.removePodSandbox(*sb).isOk());
  EXPECT_EQ(rt_.podSandboxStatus(*sb).status().code(), Code::kNotFound);
  ASSERT_TRUE(rt_.removePodSandbox(*sb).isOk());
  ASSERT_TRUE(rt_.stopPodSandbox(*sb).isOk());
}

TEST_F(FakeRuntimeTest, NamesAreReservedUntilRemovedAndAttemptsDiffer) {
  rt_.addImage("img:1");
  auto cfg = sandboxConfig("p");
  auto sb = rt_.runPodSandbox(cfg);
  ASSERT_TRUE(sb.isOk());
  EXPECT_EQ(rt_.runPodSandbox(cfg).status().code(), Code::kAlreadyExists);
  EXPECT_TRUE(rt_.runPodSandbox(sandboxConfig("p", 1)).isOk());

  auto cc = containerConfig("c", "img:1");
  auto c1 = rt_.createContainer(*sb, cc, cfg);
  ASSERT_TRUE(c1.isOk());
  EXPECT_EQ(rt_.createContainer(*sb, cc, cfg).status().code(), Code::kAlreadyExists);
  cc.metadata.attempt = 1;
  EXPECT_TRUE(rt_.createContainer(*sb, cc, cfg).isOk());
  ASSERT_TRUE(rt_.removeContainer(*c1).isOk());
  cc.metadata.attempt = 0;
  EXPECT_TRUE(rt_.createContainer(*sb, cc, cfg).isOk());
}

TEST_F(FakeRuntimeTest, AbsentImageIsNotFound) {
  auto cfg = sandboxConfig("p");
  auto sb = rt_.runPodSandbox(cfg);
  auto c = rt_.createContainer(*sb, containerConfig("c", "docker.io/library/nope:1"), cfg);
  EXPECT_EQ(c.status().code(), Code::kNotFound);
  EXPECT_EQ(rt_.imageStatus("docker.io/library/nope:1").status().code(), Code::kNotFound);
  rt_.addImage("docker.io/library/nope:1");
  EXPECT_TRUE(rt_.imageStatus("docker.io/library/nope:1").isOk());
  EXPECT_EQ(rt_.listImages()->size(), 1u);
  ASSERT_TRUE(rt_.removeImage("docker.io/library/nope:1").isOk());
  EXPECT_TRUE(rt_.listImages()->empty());
}

TEST_F(FakeRuntimeTest, RemovingASandboxRemovesItsContainers) {
  rt_.addImage("img:1");
  auto cfg = sandboxConfig("p");
  auto sb = rt_.runPodSandbox(cfg);
  auto c = rt_.createContainer(*sb, containerConfig("c", "img:1"), cfg);
  ASSERT_TRUE(rt_.startContainer(*c).isOk());
  ASSERT_TRUE(rt_.stopPodSandbox(*sb).isOk());
  EXPECT_EQ(rt_.containerStatus(*c)->state, ContainerState::kExited);
  ASSERT_TRUE(rt_.removePodSandbox(*sb).isOk());
  EXPECT_TRUE(rt_.listContainers({})->empty());
}

TEST_F(FakeRuntimeTest, FiltersByIdStateSandboxAndLabels) {
  rt_.addImage("img:1");
  auto a_cfg = sandboxConfig("a");
  auto b_cfg = sandboxConfig("b");
  auto a = rt_.runPodSandbox(a_cfg);
  auto b = rt_.runPodSandbox(b_cfg);
  auto ca = rt_.createContainer(*a, containerConfig("x", "img:1"), a_cfg);
  auto cb = rt_.createContainer(*b, containerConfig("y", "img:1"), b_cfg);
  ASSERT_TRUE(rt_.startContainer(*cb).isOk());

  EXPECT_EQ(rt_.listPodSandbox({})->size(), 2u);
  PodSandboxFilter by_label;
  by_label.label_selector = {{"app", "b"}};
  auto sbs = rt_.listPodSandbox(by_label);
  ASSERT_EQ(sbs->size(), 1u);
  EXPECT_EQ((*sbs)[0].id, *b);

  ContainerFilter running;
  running.state = ContainerState::kRunning;
  auto cs = rt_.listContainers(running);
  ASSERT_EQ(cs->size(), 1u);
  EXPECT_EQ((*cs)[0].id, *cb);
  EXPECT_EQ((*cs)[0].pod_sandbox_id, *b);
  ContainerFilter in_a;
  in_a.pod_sandbox_id = *a;
  EXPECT_EQ(rt_.listContainers(in_a)->at(0).id, *ca);

  auto stats = rt_.listContainerStats({});
  ASSERT_EQ(stats->size(), 1u);  // running ones only
  EXPECT_TRUE((*stats)[0].memory_working_set_bytes.has_value());
}

TEST_F(FakeRuntimeTest, ExitsExecAndInjectedFailures) {
  rt_.addImage("img:1");
  auto cfg = sandboxConfig("p");
  auto sb = rt_.runPodSandbox(cfg);
  auto c = rt_.createContainer(*sb, containerConfig("c", "img:1"), cfg);
  ASSERT_TRUE(rt_.startContainer(*c).isOk());
  rt_.setExecResult({"out", "err", 3});
  auto ex = rt_.execSync(*c, {"sh", "-c", "exit 3"}, std::chrono::seconds(1));
  ASSERT_TRUE(ex.isOk());
  EXPECT_EQ(ex->exit_code, 3);
  EXPECT_EQ(ex->stdout_data, "out");

  rt_.exitContainer(*c, 0);
  auto cs = rt_.containerStatus(*c);
  EXPECT_EQ(cs->state, ContainerState::kExited);
  EXPECT_EQ(cs->reason, "Completed");
  EXPECT_FALSE(rt_.execSync(*c, {"true"}, std::chrono::seconds(1)).isOk());

  rt_.failNext("runPodSandbox", unavailable("boom"));
  EXPECT_EQ(rt_.runPodSandbox(sandboxConfig("q")).status().code(), Code::kUnavailable);
  EXPECT_TRUE(rt_.runPodSandbox(sandboxConfig("q")).isOk());  // only once

  rt_.setAvailable(false);
  EXPECT_EQ(rt_.version().status().code(), Code::kUnavailable);
  rt_.setAvailable(true);
  EXPECT_TRUE(rt_.version().isOk());

  rt_.clearCalls();
  (void)rt_.status();
  EXPECT_EQ(rt_.calls(), std::vector<std::string>{"status"});
}

}  // namespace fake_runtime_test
}  // namespace minik8s::cri
