#include "kubelet/pod_status.h"

#include <gtest/gtest.h>

#include "kubelet/pod_config.h"
#include "kubelet/test_pods.h"

namespace minik8s::kubelet {
namespace pod_status_test {

using testing::podOf;
using testing::withInit;

using CS = cri::ContainerState;
constexpr int64_t kSec = 1000000000;
constexpr int64_t kT0 = 1767225600LL * kSec;  // 2026-01-01T00:00:00Z
const std::string kT0Text = "2026-01-01T00:00:00Z";
const std::string kNow = "2026-01-01T01:00:00Z";

RuntimeContainer container(const std::string& name, const std::string& id, CS state,
                           uint32_t restarts = 0, int32_t exit_code = 0) {
  RuntimeContainer c;
  c.id = id;
  c.sandbox_id = "sb1";
  c.name = name;
  c.state = state;
  c.restart_count = restarts;
  c.image = "docker.io/library/nginx:1.25";
  c.image_ref = "sha256:abc";
  c.created_at = kT0 + restarts * kSec;
  c.started_at = kT0 + restarts * kSec;
  if (state == CS::kExited) c.finished_at = c.started_at + 5 * kSec;
  c.exit_code = exit_code;
  return c;
}

PodRuntime runtimeOf(std::vector<RuntimeContainer> containers, bool sandbox_ready = true,
                     const std::string& ip = "10.244.0.5") {
  PodRuntime r;
  r.uid = "uid-1";
  r.sandboxes = {{"sb1", sandbox_ready ? cri::SandboxState::kReady : cri::SandboxState::kNotReady,
                  0, kT0, ip}};
  r.containers = std::move(containers);
  r.sortNewestFirst();
  return r;
}

StatusInputs inputs() {
  StatusInputs in;
  in.host_ip = "192.168.1.10";
  in.now = kNow;
  return in;
}

const api::Condition* cond(const api::PodStatus& s, const std::string& type) {
  for (const auto& c : s.conditions) {
    if (c.type == type) return &c;
  }
  return nullptr;
}

TEST(ComputePodStatus, PhaseFollowsContainersAndRestartPolicy) {
  struct Case {
    std::string name, policy;
    std::vector<RuntimeContainer> containers;  // for containers a and b
    std::string phase;
  };
  std::vector<Case> cases = {
      {"nothing yet", "Always", {}, "Pending"},
      {"one created, one running", "Always",
       {container("a", "c1", CS::kCreated), container("b", "c2", CS::kRunning)}, "Pending"},
      {"both running", "Always",
       {container("a", "c1", CS::kRunning), container("b", "c2", CS::kRunning)}, "Running"},
      {"Always: exited 0 restarts", "Always",
       {container("a", "c1", CS::kExited, 0, 0), container("b", "c2", CS::kExited, 0, 0)},
       "Running"},
      {"Never: all exit 0", "Never",
       {container("a", "c1", CS::kExited, 0, 0), container("b", "c2", CS::kExited, 0, 0)},
       "Succeeded"},
      {"Never: one failed", "Never",
       {container("a", "c1", CS::kExited, 0, 0), container("b", "c2", CS::kExited, 0, 2)},
       "Failed"},
      {"Never: one failed, one running", "Never",
       {container("a", "c1", CS::kRunning), container("b", "c2", CS::kExited, 0, 2)}, "Running"},
      {"OnFailure: all exit 0", "OnFailure",
       {container("a", "c1", CS::kExited, 0, 0), container("b", "c2", CS::kExited, 0, 0)},
       "Succeeded"},
      {"OnFailure: a failure restarts", "OnFailure",
       {container("a", "c1", CS::kExited, 0, 0), container("b", "c2", CS::kExited, 0, 1)},
       "Running"},
  };
  for (const auto& c : cases) {
    api::Pod pod = podOf({"a", "b"}, c.policy);
    auto status = computePodStatus(pod, runtimeOf(c.containers), inputs());
    EXPECT_EQ(status.phase, c.phase) << c.name;
  }
}

TEST(ComputePodStatus, AContainerNotYetRunningIsContainerCreating) {
  api::Pod pod = podOf({"a", "b"});
  auto status =
      computePodStatus(pod, runtimeOf({container("b", "c2", CS::kCreated)}), inputs());
  ASSERT_EQ(status.container_statuses.size(), 2u);
  for (const auto& cs : status.container_statuses) {
    ASSERT_TRUE(cs.state.waiting.has_value()) << cs.name;
    EXPECT_EQ(cs.state.waiting->reason, "ContainerCreating") << cs.name;
    EXPECT_FALSE(cs.ready) << cs.name;
    EXPECT_EQ(cs.started, std::optional<bool>(false)) << cs.name;
  }
  EXPECT_EQ(status.container_statuses[0].image, "nginx:1.25");  // from the spec
  EXPECT_EQ(status.container_statuses[0].container_id, "");
  EXPECT_EQ(status.container_statuses[1].container_id, "containerd://c2");
}

TEST(ComputePodStatus, ACrashLoopingContainerWaitsWithItsLastTermination) {
  api::Pod pod = podOf({"a"});
  StatusInputs in = inputs();
  in.waiting["a"] = {"CrashLoopBackOff", "back-off 10s restarting failed container=a"};
  auto status = computePodStatus(pod, runtimeOf({container("a", "c3", CS::kExited, 3, 1),
                                                 container("a", "c2", CS::kExited, 2, 1)}),
                                 in);
  EXPECT_EQ(status.phase, "Running");
  const auto& cs = status.container_statuses.at(0);
  ASSERT_TRUE(cs.state.waiting.has_value());
  EXPECT_EQ(cs.state.waiting->reason, "CrashLoopBackOff");
  EXPECT_EQ(cs.state.waiting->message, "back-off 10s restarting failed container=a");
  ASSERT_TRUE(cs.last_state.terminated.has_value());
  EXPECT_EQ(cs.last_state.terminated->exit_code, 1);
  EXPECT_EQ(cs.last_state.terminated->reason, "Error");
  EXPECT_EQ(cs.last_state.terminated->container_id, "containerd://c3");
  EXPECT_EQ(cs.last_state.terminated->started_at, "2026-01-01T00:00:03Z");
  EXPECT_EQ(cs.last_state.terminated->finished_at, "2026-01-01T00:00:08Z");
  EXPECT_EQ(cs.restart_count, 3);
  EXPECT_FALSE(cs.ready);
}

TEST(ComputePodStatus, AWaitingReasonOfANeverRunContainerKeepsThePodPending) {
  api::Pod pod = podOf({"a"});
  StatusInputs in = inputs();
  in.waiting["a"] = {"ErrImagePull", "not found"};
  auto status = computePodStatus(pod, runtimeOf({}), in);
  EXPECT_EQ(status.phase, "Pending");
  EXPECT_EQ(status.container_statuses[0].state.waiting->reason, "ErrImagePull");
  EXPECT_FALSE(status.container_statuses[0].last_state.terminated.has_value());
}

TEST(ComputePodStatus, ARunningContainerShowsItsPreviousRunAsLastState) {
  api::Pod pod = podOf({"a"});
  auto status = computePodStatus(pod, runtimeOf({container("a", "c2", CS::kRunning, 2),
                                                 container("a", "c1", CS::kExited, 1, 137)}),
                                 inputs());
  const auto& cs = status.container_statuses.at(0);
  ASSERT_TRUE(cs.state.running.has_value());
  EXPECT_EQ(cs.state.running->started_at, "2026-01-01T00:00:02Z");
  ASSERT_TRUE(cs.last_state.terminated.has_value());
  EXPECT_EQ(cs.last_state.terminated->exit_code, 137);
  EXPECT_EQ(cs.last_state.terminated->container_id, "containerd://c1");
  EXPECT_EQ(cs.restart_count, 2);
  EXPECT_EQ(cs.container_id, "containerd://c2");
  EXPECT_EQ(cs.image, "docker.io/library/nginx:1.25");
  EXPECT_EQ(cs.image_id, "sha256:abc");
}

TEST(ComputePodStatus, TerminatedReasonDefaultsToCompletedOrError) {
  struct Case {
    int32_t exit_code;
    std::string runtime_reason, want;
  };
  std::vector<Case> cases = {{0, "", "Completed"}, {1, "", "Error"}, {137, "OOMKilled", "OOMKilled"}};
  for (const auto& c : cases) {
    api::Pod pod = podOf({"a"}, "Never");
    RuntimeContainer rc = container("a", "c1", CS::kExited, 0, c.exit_code);
    rc.reason = c.runtime_reason;
    auto status = computePodStatus(pod, runtimeOf({rc}), inputs());
    const auto& cs = status.container_statuses.at(0);
    ASSERT_TRUE(cs.state.terminated.has_value()) << c.exit_code;
    EXPECT_EQ(cs.state.terminated->reason, c.want) << c.exit_code;
    EXPECT_EQ(cs.state.terminated->exit_code, c.exit_code);
  }
}

TEST(ComputePodStatus, ReadinessComesFromTheProbes) {
  struct Case {
    std::string name;
    ContainerReadiness r;
    bool ready, started;
  };
  std::vector<Case> cases = {
      {"started and ready", {true, true}, true, true},
      {"started, not ready", {true, false}, false, true},
      {"not started", {false, true}, false, false},
  };
  for (const auto& c : cases) {
    api::Pod pod = podOf({"a"});
    StatusInputs in = inputs();
    in.readiness = [&](const std::string& id) {
      EXPECT_EQ(id, "c1");
      return c.r;
    };
    auto status = computePodStatus(pod, runtimeOf({container("a", "c1", CS::kRunning)}), in);
    EXPECT_EQ(status.container_statuses[0].ready, c.ready) << c.name;
    EXPECT_EQ(status.container_statuses[0].started, std::optional<bool>(c.started)) << c.name;
    EXPECT_EQ(cond(status, "Ready")->status, c.ready ? "True" : "False") << c.name;
  }
}

TEST(ComputePodStatus, ReadyConditionsNameTheUnreadyContainers) {
  api::Pod pod = podOf({"a", "b", "c"});
  StatusInputs in = inputs();
  in.readiness = [](const std::string& id) {
    return ContainerReadiness{true, id == "c2"};
  };
  auto status = computePodStatus(pod, runtimeOf({container("a", "c1", CS::kRunning),
                                                 container("b", "c2", CS::kRunning),
                                                 container("c", "c3", CS::kRunning)}),
                                 in);
  for (const char* type : {"Ready", "ContainersReady"}) {
    const api::Condition* c = cond(status, type);
    ASSERT_NE(c, nullptr) << type;
    EXPECT_EQ(c->status, "False") << type;
    EXPECT_EQ(c->reason, "ContainersNotReady") << type;
    EXPECT_EQ(c->message, "containers with unready status: [a c]") << type;
    EXPECT_EQ(c->last_transition_time, kNow) << type;
  }
  EXPECT_EQ(cond(status, "PodScheduled")->status, "True");
  EXPECT_EQ(cond(status, "Initialized")->status, "True");
  EXPECT_EQ(cond(status, "PodReadyToStartContainers")->status, "True");
}

TEST(ComputePodStatus, KeepsLastTransitionTimeUnlessTheConditionChanges) {
  api::Pod pod = podOf({"a"});
  auto rt = runtimeOf({container("a", "c1", CS::kRunning)});
  StatusInputs in = inputs();
  in.now = "2026-01-01T00:00:10Z";
  pod.status = computePodStatus(pod, rt, in);  // Ready True at 00:00:10
  ASSERT_EQ(cond(pod.status, "Ready")->status, "True");

  in.now = "2026-01-01T00:05:00Z";
  auto same = computePodStatus(pod, rt, in);
  EXPECT_EQ(cond(same, "Ready")->last_transition_time, "2026-01-01T00:00:10Z");
  EXPECT_EQ(cond(same, "ContainersReady")->last_transition_time, "2026-01-01T00:00:10Z");
  EXPECT_EQ(same.start_time, "2026-01-01T00:00:10Z");
  EXPECT_FALSE(statusChanged(pod.status, same));

  in.readiness = [](const std::string&) { return ContainerReadiness{true, false}; };
  auto changed = computePodStatus(pod, rt, in);
  EXPECT_EQ(cond(changed, "Ready")->status, "False");
  EXPECT_EQ(cond(changed, "Ready")->last_transition_time, "2026-01-01T00:05:00Z");
  EXPECT_EQ(cond(changed, "PodScheduled")->last_transition_time, "2026-01-01T00:00:10Z");
  EXPECT_EQ(changed.start_time, "2026-01-01T00:00:10Z");
  EXPECT_TRUE(statusChanged(pod.status, changed));
}

TEST(ComputePodStatus, ACompletedPodIsNotReadyWithReasonPodCompleted) {
  api::Pod pod = podOf({"a"}, "Never");
  auto status = computePodStatus(pod, runtimeOf({container("a", "c1", CS::kExited, 0, 0)}), inputs());
  EXPECT_EQ(status.phase, "Succeeded");
  EXPECT_EQ(cond(status, "Ready")->status, "False");
  EXPECT_EQ(cond(status, "Ready")->reason, "PodCompleted");
}

TEST(ComputePodStatus, AddressesStartTimeAndQosClass) {
  api::Pod pod = podOf({"a"});
  pod.spec.containers[0].resources.limits = {{"cpu", api::Quantity::parseLenient("100m")},
                                             {"memory", api::Quantity::parseLenient("64Mi")}};
  PodRuntime rt = runtimeOf({container("a", "c1", CS::kRunning)});
  rt.sandboxes.push_back({"sb0", cri::SandboxState::kNotReady, 0, kT0 - kSec, "10.244.0.2"});
  rt.sandboxes[0].attempt = 1;
  rt.sortNewestFirst();
  auto status = computePodStatus(pod, rt, inputs());
  EXPECT_EQ(status.pod_ip, "10.244.0.5");  // the newest sandbox
  ASSERT_EQ(status.pod_ips.size(), 1u);
  EXPECT_EQ(status.pod_ips[0].ip, "10.244.0.5");
  EXPECT_EQ(status.host_ip, "192.168.1.10");
  ASSERT_EQ(status.host_ips.size(), 1u);
  EXPECT_EQ(status.host_ips[0].ip, "192.168.1.10");
  EXPECT_EQ(status.start_time, kNow);
  EXPECT_EQ(status.qos_class, "Guaranteed");

  pod.status.start_time = kT0Text;
  EXPECT_EQ(computePodStatus(pod, rt, inputs()).start_time, kT0Text);
}

TEST(ComputePodStatus, AHostNetworkPodUsesTheHostIP) {
  api::Pod pod = podOf({"a"});
  pod.spec.host_network = true;
  auto status = computePodStatus(pod, runtimeOf({container("a", "c1", CS::kRunning)}, true, ""),
                                 inputs());
  EXPECT_EQ(status.pod_ip, "192.168.1.10");
}

TEST(StatusChanged, SeesAnyRealDifference) {
  api::PodStatus a;
  a.phase = "Running";
  api::PodStatus b = a;
  EXPECT_FALSE(statusChanged(a, b));
  b.phase = "Succeeded";
  EXPECT_TRUE(statusChanged(a, b));
  b = a;
  b.container_statuses.push_back({});
  EXPECT_TRUE(statusChanged(a, b));
}

TEST(ContainerIdUri, PrefixesTheRuntime) {
  EXPECT_EQ(containerIdUri("abc"), "containerd://abc");
  EXPECT_EQ(containerIdUri(""), "");
}

}  // namespace pod_status_test
}  // namespace minik8s::kubelet

namespace minik8s::kubelet {
namespace pod_status_test {

TEST(ComputePodStatus, InitContainersGateThePodUntilEachSucceeded) {
  api::Pod pod = withInit(podOf({"app"}), {"setup", "migrate"});
  // setup done, migrate running: Pending, Initialized False, app PodInitializing.
  api::PodStatus s = computePodStatus(
      pod, runtimeOf({container("setup", "i1", CS::kExited, 0, 0), container("migrate", "i2", CS::kRunning)}),
      inputs());
  EXPECT_EQ(s.phase, "Pending");
  ASSERT_EQ(s.init_container_statuses.size(), 2u);
  EXPECT_TRUE(s.init_container_statuses[0].ready);
  ASSERT_TRUE(s.init_container_statuses[0].state.terminated);
  EXPECT_EQ(s.init_container_statuses[0].state.terminated->reason, "Completed");
  EXPECT_TRUE(s.init_container_statuses[1].state.running);
  EXPECT_FALSE(s.init_container_statuses[1].ready);
  ASSERT_TRUE(s.container_statuses[0].state.waiting);
  EXPECT_EQ(s.container_statuses[0].state.waiting->reason, "PodInitializing");
  const api::Condition* initialized = cond(s, "Initialized");
  ASSERT_NE(initialized, nullptr);
  EXPECT_EQ(initialized->status, "False");
  EXPECT_EQ(initialized->reason, "ContainersNotInitialized");
  EXPECT_EQ(initialized->message, "containers with incomplete status: [migrate]");

  // Both done and the app runs: Running, Initialized True.
  s = computePodStatus(pod,
                       runtimeOf({container("setup", "i1", CS::kExited, 0, 0),
                                  container("migrate", "i2", CS::kExited, 0, 0),
                                  container("app", "a1", CS::kRunning)}),
                       inputs());
  EXPECT_EQ(s.phase, "Running");
  EXPECT_EQ(cond(s, "Initialized")->status, "True");
}

TEST(ComputePodStatus, AFailedInitContainerFailsThePodUnderNever) {
  api::Pod pod = withInit(podOf({"app"}, "Never"), {"setup"});
  api::PodStatus s =
      computePodStatus(pod, runtimeOf({container("setup", "i1", CS::kExited, 0, 2)}), inputs());
  EXPECT_EQ(s.phase, "Failed");
  ASSERT_TRUE(s.init_container_statuses[0].state.terminated);
  EXPECT_EQ(s.init_container_statuses[0].state.terminated->exit_code, 2);
  // Under Always it is retried: the pod stays Pending.
  api::Pod always = withInit(podOf({"app"}, "Always"), {"setup"});
  EXPECT_EQ(computePodStatus(always, runtimeOf({container("setup", "i1", CS::kExited, 0, 2)}),
                             inputs())
                .phase,
            "Pending");
}

}  // namespace pod_status_test
}  // namespace minik8s::kubelet
