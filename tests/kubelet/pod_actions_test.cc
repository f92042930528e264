#include "kubelet/pod_actions.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "kubelet/pod_config.h"
#include "kubelet/test_pods.h"

namespace minik8s::kubelet {
namespace pod_actions_test {

using testing::podOf;
using testing::withInit;

using std::chrono::seconds;
using CS = cri::ContainerState;

RuntimeSandbox sandbox(const std::string& id, uint32_t attempt, bool ready = true,
                       const std::string& ip = "10.244.0.5") {
  return {id, ready ? cri::SandboxState::kReady : cri::SandboxState::kNotReady, attempt,
          100 + attempt, ip};
}

RuntimeContainer container(const api::Pod& pod, const std::string& name, const std::string& id,
                           CS state, uint32_t restarts = 0, int32_t exit_code = 0) {
  RuntimeContainer c;
  c.id = id;
  c.sandbox_id = "sb1";
  c.name = name;
  c.state = state;
  c.restart_count = restarts;
  for (const auto& spec : pod.spec.containers) {
    if (spec.name == name) c.hash = containerHash(spec);
  }
  c.created_at = 1000 + restarts;
  c.exit_code = exit_code;
  return c;
}

PodRuntime runtimeOf(std::vector<RuntimeSandbox> sandboxes, std::vector<RuntimeContainer> containers) {
  PodRuntime r;
  r.uid = "uid-1";
  r.name = "web";
  r.namespace_ = "default";
  r.sandboxes = std::move(sandboxes);
  r.containers = std::move(containers);
  r.sortNewestFirst();
  return r;
}

std::vector<size_t> startIndexes(const PodActions& a) {
  std::vector<size_t> out;
  for (const auto& s : a.start) out.push_back(s.index);
  return out;
}

std::vector<std::string> killIds(const PodActions& a) {
  std::vector<std::string> out;
  for (const auto& k : a.kill) out.push_back(k.id);
  return out;
}

TEST(ShouldRestart, FollowsTheRestartPolicy) {
  struct Case {
    std::string policy;
    int32_t exit_code;
    bool want;
  };
  std::vector<Case> cases = {
      {"Always", 0, true},    {"Always", 1, true},     {"", 0, true},
      {"", 137, true},        {"OnFailure", 0, false}, {"OnFailure", 1, true},
      {"OnFailure", 137, true}, {"Never", 0, false},   {"Never", 1, false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(shouldRestart(c.policy, c.exit_code), c.want) << c.policy << " " << c.exit_code;
  }
}

TEST(ComputePodActions, CreatesASandboxAndStartsEveryContainerOfAFreshPod) {
  api::Pod pod = podOf({"a", "b"});
  PodActions a = computePodActions(pod, runtimeOf({}, {}), {});
  EXPECT_FALSE(a.kill_pod);
  EXPECT_TRUE(a.create_sandbox);
  EXPECT_EQ(a.sandbox_attempt, 0u);
  ASSERT_EQ(a.start.size(), 2u);
  EXPECT_EQ(startIndexes(a), (std::vector<size_t>{0, 1}));
  for (const auto& s : a.start) {
    EXPECT_EQ(s.restart_count, 0u);
    EXPECT_FALSE(s.is_restart);
  }
  EXPECT_TRUE(a.kill.empty());
}

TEST(ComputePodActions, DoesNothingForARunningHealthyPod) {
  api::Pod pod = podOf({"a", "b"});
  auto rt = runtimeOf({sandbox("sb1", 0)}, {container(pod, "a", "c1", CS::kRunning),
                                             container(pod, "b", "c2", CS::kRunning, 2)});
  ActionInputs in;
  in.liveness_failed = [](const std::string&) { return false; };
  PodActions a = computePodActions(pod, rt, in);
  EXPECT_FALSE(a.kill_pod);
  EXPECT_FALSE(a.create_sandbox);
  EXPECT_EQ(a.sandbox_id, "sb1");
  EXPECT_TRUE(a.start.empty());
  EXPECT_TRUE(a.kill.empty());
  EXPECT_TRUE(a.remove_containers.empty());
  EXPECT_TRUE(a.remove_sandboxes.empty());
  EXPECT_TRUE(a.waiting.empty());
  EXPECT_FALSE(a.requeue_after.has_value());
}

TEST(ComputePodActions, ReplacesABrokenSandboxAndRestartsEverything) {
  struct Case {
    std::string name;
    RuntimeSandbox sb;
  };
  std::vector<Case> cases = {
      {"not ready", sandbox("sb1", 2, false)},
      {"ready without an IP", sandbox("sb1", 2, true, "")},
  };
  for (const auto& c : cases) {
    api::Pod pod = podOf({"a", "b"});
    auto rt = runtimeOf({c.sb}, {container(pod, "a", "c1", CS::kRunning, 1),
                                 container(pod, "b", "c2", CS::kExited, 4, 1)});
    PodActions a = computePodActions(pod, rt, {});
    EXPECT_TRUE(a.kill_pod) << c.name;
    EXPECT_TRUE(a.create_sandbox) << c.name;
    EXPECT_EQ(a.sandbox_attempt, 3u) << c.name;
    ASSERT_EQ(a.start.size(), 2u) << c.name;
    EXPECT_EQ(a.start[0].restart_count, 2u) << c.name;
    EXPECT_EQ(a.start[1].restart_count, 5u) << c.name;
    EXPECT_TRUE(a.start[0].is_restart) << c.name;
  }
}

TEST(ComputePodActions, AHostNetworkSandboxNeedsNoIP) {
  api::Pod pod = podOf({"a"});
  pod.spec.host_network = true;
  auto rt = runtimeOf({sandbox("sb1", 0, true, "")}, {container(pod, "a", "c1", CS::kRunning)});
  PodActions a = computePodActions(pod, rt, {});
  EXPECT_FALSE(a.kill_pod);
  EXPECT_FALSE(a.create_sandbox);
  EXPECT_TRUE(a.start.empty());
}

TEST(ComputePodActions, RestartsExitedContainersByPolicy) {
  struct Case {
    std::string policy;
    int32_t exit_code;
    bool restart;
  };
  std::vector<Case> cases = {
      {"Always", 0, true},      {"Always", 1, true},  {"OnFailure", 0, false},
      {"OnFailure", 1, true},   {"Never", 0, false},  {"Never", 1, false},
  };
  for (const auto& c : cases) {
    api::Pod pod = podOf({"a", "b"}, c.policy);
    auto rt = runtimeOf({sandbox("sb1", 0)}, {container(pod, "a", "c1", CS::kExited, 3, c.exit_code),
                                               container(pod, "b", "c2", CS::kRunning)});
    PodActions a = computePodActions(pod, rt, {});
    std::string name = c.policy + " exit " + std::to_string(c.exit_code);
    EXPECT_FALSE(a.kill_pod) << name;
    EXPECT_FALSE(a.create_sandbox) << name;
    EXPECT_TRUE(a.kill.empty()) << name;
    if (c.restart) {
      ASSERT_EQ(a.start.size(), 1u) << name;
      EXPECT_EQ(a.start[0].index, 0u) << name;
      EXPECT_EQ(a.start[0].restart_count, 4u) << name;
      EXPECT_TRUE(a.start[0].is_restart) << name;
    } else {
      EXPECT_TRUE(a.start.empty()) << name;
    }
  }
}

TEST(ComputePodActions, HoldsACrashingContainerBackWhileItsBackOffRuns) {
  api::Pod pod = podOf({"a", "b", "c"});
  auto rt = runtimeOf({sandbox("sb1", 0)}, {container(pod, "a", "c1", CS::kExited, 5, 1),
                                             container(pod, "b", "c2", CS::kExited, 2, 1),
                                             container(pod, "c", "c3", CS::kExited, 0, 1)});
  ActionInputs in;
  in.backoff_remaining = [](const std::string& name,
                            const RuntimeContainer&) -> std::optional<std::chrono::nanoseconds> {
    if (name == "a") return seconds(40);
    if (name == "b") return seconds(10);
    return std::nullopt;  // c may restart now
  };
  PodActions a = computePodActions(pod, rt, in);
  ASSERT_EQ(a.start.size(), 1u);
  EXPECT_EQ(a.start[0].index, 2u);
  ASSERT_EQ(a.waiting.size(), 2u);
  EXPECT_EQ(a.waiting.at("a").reason, "CrashLoopBackOff");
  EXPECT_EQ(a.waiting.at("a").message,
            "back-off 40s restarting failed container=a pod=web_default(uid-1)");
  EXPECT_EQ(a.waiting.at("b").reason, "CrashLoopBackOff");
  ASSERT_TRUE(a.requeue_after.has_value());
  EXPECT_EQ(*a.requeue_after, seconds(10));
}

TEST(ComputePodActions, KillsAContainerThatFailedLiveness) {
  struct Case {
    std::string policy;
    bool start;
  };
  std::vector<Case> cases = {{"Always", true}, {"OnFailure", true}, {"Never", false}};
  for (const auto& c : cases) {
    api::Pod pod = podOf({"a", "b"}, c.policy);
    auto rt = runtimeOf({sandbox("sb1", 0)}, {container(pod, "a", "c1", CS::kRunning, 1),
                                               container(pod, "b", "c2", CS::kRunning)});
    ActionInputs in;
    in.liveness_failed = [](const std::string& id) { return id == "c1"; };
    PodActions a = computePodActions(pod, rt, in);
    EXPECT_EQ(killIds(a), std::vector<std::string>{"c1"}) << c.policy;
    EXPECT_FALSE(a.kill_pod) << c.policy;
    if (c.start) {
      ASSERT_EQ(a.start.size(), 1u) << c.policy;
      EXPECT_EQ(a.start[0].index, 0u) << c.policy;
      EXPECT_EQ(a.start[0].restart_count, 2u) << c.policy;
      EXPECT_TRUE(a.start[0].is_restart) << c.policy;
    } else {
      EXPECT_TRUE(a.start.empty()) << c.policy;
    }
  }
}

TEST(ComputePodActions, RestartsAContainerWhoseSpecChanged) {
  api::Pod pod = podOf({"a"}, "Never");
  auto rt = runtimeOf({sandbox("sb1", 0)}, {container(pod, "a", "c1", CS::kRunning, 0)});
  pod.spec.containers[0].image = "nginx:1.26";
  PodActions a = computePodActions(pod, rt, {});
  ASSERT_EQ(a.kill.size(), 1u);
  EXPECT_EQ(a.kill[0].id, "c1");
  ASSERT_EQ(a.start.size(), 1u);
  EXPECT_EQ(a.start[0].restart_count, 1u);
}

TEST(ComputePodActions, KillsARunningContainerTheSpecDoesNotHave) {
  api::Pod pod = podOf({"a"});
  api::Pod old = podOf({"a", "gone"});
  auto rt = runtimeOf({sandbox("sb1", 0)}, {container(pod, "a", "c1", CS::kRunning),
                                             container(old, "gone", "c9", CS::kRunning)});
  PodActions a = computePodActions(pod, rt, {});
  EXPECT_EQ(killIds(a), std::vector<std::string>{"c9"});
  EXPECT_TRUE(a.start.empty());
}

TEST(ComputePodActions, ReplacesACreatedButNeverStartedContainer) {
  api::Pod pod = podOf({"a"});
  auto rt = runtimeOf({sandbox("sb1", 0)}, {container(pod, "a", "c1", CS::kCreated, 2)});
  PodActions a = computePodActions(pod, rt, {});
  EXPECT_EQ(killIds(a), std::vector<std::string>{"c1"});
  ASSERT_EQ(a.start.size(), 1u);
  EXPECT_EQ(a.start[0].restart_count, 3u);  // a new (name, attempt)
}

TEST(ComputePodActions, RemovesDeadContainersBeyondLatestAndPrevious) {
  api::Pod pod = podOf({"a"});
  auto rt = runtimeOf({sandbox("sb1", 0)}, {container(pod, "a", "c0", CS::kExited, 0, 1),
                                             container(pod, "a", "c1", CS::kExited, 1, 1),
                                             container(pod, "a", "c2", CS::kExited, 2, 1),
                                             container(pod, "a", "c3", CS::kRunning, 3)});
  PodActions a = computePodActions(pod, rt, {});
  std::vector<std::string> removed = a.remove_containers;
  std::sort(removed.begin(), removed.end());
  EXPECT_EQ(removed, (std::vector<std::string>{"c0", "c1"}));
  EXPECT_TRUE(a.start.empty());
  EXPECT_TRUE(a.kill.empty());
}

TEST(ComputePodActions, RemovesDeadSandboxesOtherThanTheNewest) {
  api::Pod pod = podOf({"a"});
  auto rt = runtimeOf({sandbox("sb0", 0, false), sandbox("sb1", 1)},
                      {container(pod, "a", "c1", CS::kRunning)});
  PodActions a = computePodActions(pod, rt, {});
  EXPECT_EQ(a.sandbox_id, "sb1");
  EXPECT_EQ(a.remove_sandboxes, std::vector<std::string>{"sb0"});
}

TEST(ComputePodActions, CreatesNoNewSandboxWhenEveryContainerFinishedForGood) {
  struct Case {
    std::string policy;
    std::vector<int32_t> exit_codes;
    bool new_sandbox;
  };
  std::vector<Case> cases = {
      {"Never", {0, 1}, false},
      {"OnFailure", {0, 0}, false},
      {"OnFailure", {0, 1}, true},
      {"Always", {0, 0}, true},
  };
  for (const auto& c : cases) {
    api::Pod pod = podOf({"a", "b"}, c.policy);
    auto rt = runtimeOf({sandbox("sb1", 0, false)},
                        {container(pod, "a", "c1", CS::kExited, 0, c.exit_codes[0]),
                         container(pod, "b", "c2", CS::kExited, 0, c.exit_codes[1])});
    PodActions a = computePodActions(pod, rt, {});
    std::string name = c.policy + " " + std::to_string(c.exit_codes[0]) + "," +
                       std::to_string(c.exit_codes[1]);
    EXPECT_TRUE(a.kill_pod) << name;
    EXPECT_EQ(a.create_sandbox, c.new_sandbox) << name;
    if (!c.new_sandbox) {
      EXPECT_TRUE(a.start.empty()) << name;
    }
    if (c.policy == "OnFailure" && c.new_sandbox) {
      EXPECT_EQ(startIndexes(a), std::vector<size_t>{1}) << name;  // a finished for good
    }
  }
}

TEST(ComputePodActions, StopsTheSandboxOfAPodThatFinished) {
  api::Pod pod = podOf({"a", "b"}, "Never");
  auto done = runtimeOf({sandbox("sb1", 0)}, {container(pod, "a", "c1", CS::kExited, 0, 0),
                                              container(pod, "b", "c2", CS::kExited, 0, 1)});
  PodActions a = computePodActions(pod, done, {});
  EXPECT_TRUE(a.kill_pod);
  EXPECT_FALSE(a.create_sandbox);
  EXPECT_TRUE(a.start.empty());
  // One container still runs: the pod is not over.
  auto running = runtimeOf({sandbox("sb1", 0)}, {container(pod, "a", "c1", CS::kExited, 0, 0),
                                                 container(pod, "b", "c2", CS::kRunning)});
  EXPECT_FALSE(computePodActions(pod, running, {}).kill_pod);
}

TEST(PodRuntime, SortsNewestFirstAndFindsLatestAndPrevious) {
  api::Pod pod = podOf({"a"});
  PodRuntime rt = runtimeOf({sandbox("sb0", 0), sandbox("sb2", 2), sandbox("sb1", 1)},
                            {container(pod, "a", "c0", CS::kExited, 0),
                             container(pod, "a", "c2", CS::kRunning, 2),
                             container(pod, "a", "c1", CS::kExited, 1)});
  EXPECT_EQ(rt.newestSandbox()->id, "sb2");
  EXPECT_EQ(rt.latest("a")->id, "c2");
  EXPECT_EQ(rt.previous("a")->id, "c1");
  EXPECT_EQ(rt.latest("b"), nullptr);
  EXPECT_TRUE(rt.anyRunning());
}

}  // namespace pod_actions_test
}  // namespace minik8s::kubelet

namespace minik8s::kubelet {
namespace pod_actions_test {

TEST(ComputePodActions, RunsInitContainersOneAtATimeBeforeTheApp) {
  api::Pod pod = withInit(podOf({"app"}), {"setup", "migrate"});
  // A fresh pod: a sandbox and the first init container only.
  PodActions fresh = computePodActions(pod, runtimeOf({}, {}), {});
  EXPECT_TRUE(fresh.create_sandbox);
  ASSERT_EQ(fresh.start.size(), 1u);
  EXPECT_TRUE(fresh.start[0].init);
  EXPECT_EQ(fresh.start[0].index, 0u);
  // setup running: nothing to do.
  auto rt = runtimeOf({sandbox("sb1", 0)}, {container(pod, "setup", "i1", CS::kRunning)});
  EXPECT_TRUE(computePodActions(pod, rt, {}).start.empty());
  // setup done: migrate next.
  rt = runtimeOf({sandbox("sb1", 0)}, {container(pod, "setup", "i1", CS::kExited, 0, 0)});
  PodActions next = computePodActions(pod, rt, {});
  ASSERT_EQ(next.start.size(), 1u);
  EXPECT_TRUE(next.start[0].init);
  EXPECT_EQ(next.start[0].index, 1u);
  // Both done: the app starts.
  rt = runtimeOf({sandbox("sb1", 0)}, {container(pod, "setup", "i1", CS::kExited, 0, 0),
                                       container(pod, "migrate", "i2", CS::kExited, 0, 0)});
  PodActions app = computePodActions(pod, rt, {});
  ASSERT_EQ(app.start.size(), 1u);
  EXPECT_FALSE(app.start[0].init);
  EXPECT_EQ(app.start[0].index, 0u);
  EXPECT_FALSE(app.kill_pod);
}

TEST(ComputePodActions, RetriesAFailedInitContainerUnlessNever) {
  api::Pod pod = withInit(podOf({"app"}, "Always"), {"setup"});
  auto rt = runtimeOf({sandbox("sb1", 0)}, {container(pod, "setup", "i1", CS::kExited, 0, 1)});
  PodActions again = computePodActions(pod, rt, {});
  ASSERT_EQ(again.start.size(), 1u);
  EXPECT_TRUE(again.start[0].init);
  EXPECT_EQ(again.start[0].restart_count, 1u);
  // Held back while the back-off runs.
  ActionInputs backing_off;
  backing_off.backoff_remaining = [](const std::string&, const RuntimeContainer&) {
    return std::optional<std::chrono::nanoseconds>(seconds(4));
  };
  PodActions held = computePodActions(pod, rt, backing_off);
  EXPECT_TRUE(held.start.empty());
  EXPECT_EQ(held.waiting["setup"].reason, "CrashLoopBackOff");
  // Never: the pod fails, its sandbox is stopped and nothing is re-created.
  api::Pod never = withInit(podOf({"app"}, "Never"), {"setup"});
  PodActions failed = computePodActions(never, rt, {});
  EXPECT_TRUE(failed.init_failed);
  EXPECT_TRUE(failed.kill_pod);
  EXPECT_TRUE(failed.start.empty());
  auto stopped = runtimeOf({sandbox("sb1", 0, false)}, {container(never, "setup", "i1", CS::kExited, 0, 1)});
  PodActions after = computePodActions(never, stopped, {});
  EXPECT_FALSE(after.create_sandbox);
  EXPECT_TRUE(after.start.empty());
}

}  // namespace pod_actions_test
}  // namespace minik8s::kubelet
