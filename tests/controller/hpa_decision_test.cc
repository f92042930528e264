// Table tests of the HPA's pure decision: the replica calculator (tolerance, missing
// metrics, unready pods, requests), several metrics, bounds, stabilization, scaling
// policies and the original's one-replica-per-interval rate.
#include "controller/hpa_decision.h"

#include <gtest/gtest.h>

namespace minik8s::controller {
namespace hpa_decision_test {

using namespace std::chrono_literals;

const Clock::WallTime kNow = Clock::WallTime(std::chrono::seconds(1767225600));

struct PodCase {
  std::string name;
  std::string phase = "Running";
  std::string ready = "True";  // "" for no Ready condition
  std::chrono::seconds started_ago = 3600s;
  std::chrono::seconds ready_since = 3590s;  // the Ready condition's last transition, ago
  bool deleting = false;
};

api::Pod makePod(const PodCase& c, const std::string& cpu_request = "1",
                 const std::string& memory_request = "100Mi") {
  api::Pod pod;
  pod.metadata.name = c.name;
  if (c.deleting) pod.metadata.deletion_timestamp = formatRfc3339(kNow);
  pod.status.phase = c.phase;
  pod.status.start_time = formatRfc3339(kNow - c.started_ago);
  if (!c.ready.empty()) {
    api::Condition ready;
    ready.type = "Ready";
    ready.status = c.ready;
    ready.last_transition_time = formatRfc3339(kNow - c.ready_since);
    pod.status.conditions.push_back(ready);
  }
  api::Container container;
  container.name = "app";
  if (!cpu_request.empty())
    container.resources.requests["cpu"] = *api::Quantity::parse(cpu_request);
  if (!memory_request.empty()) {
    container.resources.requests["memory"] = *api::Quantity::parse(memory_request);
  }
  pod.spec.containers.push_back(container);
  return pod;
}

std::vector<api::Pod> readyPods(int n) {
  std::vector<api::Pod> pods;
  for (int i = 0; i < n; ++i) pods.push_back(makePod({"p" + std::to_string(i)}));
  return pods;
}

// Samples taken 10 s ago over a 30 s window, in milli-units.
HpaPodMetrics samples(const std::vector<std::pair<std::string, int64_t>>& usage) {
  HpaPodMetrics out;
  for (const auto& [name, milli] : usage) out[name] = {milli, kNow - 10s, 30s};
  return out;
}

// The same usage for pods p0..p(n-1).
HpaPodMetrics sameUsage(int n, int64_t milli) {
  HpaPodMetrics out;
  for (int i = 0; i < n; ++i) out["p" + std::to_string(i)] = {milli, kNow - 10s, 30s};
  return out;
}

ResourceReplicaInput cpuInput(int32_t current, const std::vector<api::Pod>& pods,
                              HpaPodMetrics metrics, int32_t target = 50) {
  ResourceReplicaInput in;
  in.current_replicas = current;
  in.pods = &pods;
  in.metrics = std::move(metrics);
  in.resource = "cpu";
  in.target_utilization = target;
  in.now = kNow;
  return in;
}

struct CalculatorCase {
  std::string name;
  int32_t current;
  std::vector<api::Pod> pods;
  HpaPodMetrics metrics;
  int32_t want;
  int32_t want_utilization;
};

TEST(HpaReplicaCalculator, UtilizationTable) {
  std::vector<CalculatorCase> cases = {
      {"within tolerance above", 2, readyPods(2), sameUsage(2, 540), 2, 54},
      {"within tolerance below", 2, readyPods(2), sameUsage(2, 460), 2, 46},
      {"just beyond tolerance", 2, readyPods(2), sameUsage(2, 560), 3, 56},
      {"scale up", 2, readyPods(2), sameUsage(2, 1000), 4, 100},
      {"scale down", 4, readyPods(4), sameUsage(4, 100), 1, 10},
      // Scale up: two pods without samples count as 0% and bring the ratio within tolerance.
      {"missing on scale up counts as zero", 4, readyPods(4), samples({{"p0", 1000}, {"p1", 1000}}),
       4, 100},
      // Scale down: the missing pod counts as 100% of its request.
      {"missing on scale down counts as full", 5, readyPods(5),
       samples({{"p0", 0}, {"p1", 0}, {"p2", 0}, {"p3", 0}}), 2, 0},
      {"missing that limits scale down keeps the count", 3, readyPods(3),
       samples({{"p0", 100}, {"p1", 100}}), 3, 10},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Result<ReplicaProposal> got = computeResourceReplicas(cpuInput(c.current, c.pods, c.metrics));
    ASSERT_TRUE(got.isOk()) << got.status().message();
    EXPECT_EQ(got->replicas, c.want);
    EXPECT_EQ(got->utilization, c.want_utilization);
  }
}

TEST(HpaReplicaCalculator, PendingPodsCountAsZeroOnlyWhenScalingUp) {
  std::vector<api::Pod> pods = readyPods(2);
  pods.push_back(makePod({"q0", "Pending", "False"}));
  pods.push_back(makePod({"q1", "Pending", "False"}));
  // Up: 2 x 100% and 2 x 0% = 50%, on target.
  auto up = computeResourceReplicas(cpuInput(4, pods, sameUsage(2, 1000)));
  ASSERT_TRUE(up.isOk());
  EXPECT_EQ(up->replicas, 4);
  // Down: the pending pods are left out; 2 ready pods at 10% want one.
  auto down = computeResourceReplicas(cpuInput(4, pods, sameUsage(2, 100)));
  ASSERT_TRUE(down.isOk());
  EXPECT_EQ(down->replicas, 1);
}

TEST(HpaReplicaCalculator, CpuReadinessFollowsTheInitializationPeriodAndReadinessDelay) {
  struct Case {
    std::string name;
    PodCase pod;
    bool counted;  // as a ready pod with its sample
  };
  std::vector<Case> cases = {
      {"long ready", {"x"}, true},
      {"no Ready condition", {"x", "Running", ""}, false},
      // Within the 5 min initialization period, a sample from before readiness + window.
      {"sample overlaps start-up", {"x", "Running", "True", 60s, 20s}, false},
      {"sample after readiness", {"x", "Running", "True", 120s, 100s}, true},
      {"not ready in initialization", {"x", "Running", "False", 60s, 50s}, false},
      // After the period: not ready and never ready since the 30 s readiness delay.
      {"never became ready", {"x", "Running", "False", 600s, 590s}, false},
      {"became unready later", {"x", "Running", "False", 600s, 100s}, true},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    std::vector<api::Pod> pods = {makePod(c.pod), makePod({"y"})};
    // x at 300%, y at 100%; target 100.
    auto got = computeResourceReplicas(cpuInput(2, pods, samples({{"x", 3000}, {"y", 1000}}), 100));
    ASSERT_TRUE(got.isOk()) << got.status().message();
    // Counted: (300+100)/2 = 200% -> 4. Unready: y alone at 100% is on target, and with x
    // as 0 the ratio falls below 1, so the count stays.
    EXPECT_EQ(got->replicas, c.counted ? 4 : 2);
  }
}

TEST(HpaReplicaCalculator, MemoryIgnoresReadiness) {
  std::vector<api::Pod> pods = {makePod({"x", "Running", "False", 60s, 50s})};
  ResourceReplicaInput in = cpuInput(1, pods, samples({{"x", 200LL * 1024 * 1024 * 1000}}), 100);
  in.resource = "memory";
  auto got = computeResourceReplicas(in);
  ASSERT_TRUE(got.isOk()) << got.status().message();
  EXPECT_EQ(got->replicas, 2);
  EXPECT_EQ(got->utilization, 200);
}

TEST(HpaReplicaCalculator, DeletedAndFailedPodsAreIgnored) {
  std::vector<api::Pod> pods = readyPods(2);
  PodCase deleting{"d"};
  deleting.deleting = true;
  pods.push_back(makePod(deleting));
  pods.push_back(makePod({"f", "Failed", "False"}));
  auto got = computeResourceReplicas(
      cpuInput(2, pods, samples({{"p0", 500}, {"p1", 500}, {"d", 5000}, {"f", 5000}})));
  ASSERT_TRUE(got.isOk());
  EXPECT_EQ(got->replicas, 2);
  EXPECT_EQ(got->utilization, 50);
}

TEST(HpaReplicaCalculator, AverageValueComparesTheAverageUsage) {
  std::vector<api::Pod> pods = readyPods(2);
  ResourceReplicaInput in = cpuInput(2, pods, sameUsage(2, 300));
  in.target_utilization.reset();
  in.target_average_milli = 100;
  auto got = computeResourceReplicas(in);
  ASSERT_TRUE(got.isOk());
  EXPECT_EQ(got->replicas, 6);
  EXPECT_EQ(got->utilization, std::nullopt);
  EXPECT_EQ(got->average_milli, 300);
  // A missing pod counts as the target on scale down: (50 + 100) / 2 = 75 -> ceil(1.5).
  in.metrics = samples({{"p0", 50}});
  got = computeResourceReplicas(in);
  ASSERT_TRUE(got.isOk());
  EXPECT_EQ(got->replicas, 2);
}

TEST(HpaReplicaCalculator, ErrorsAreMessagesNotCrashes) {
  std::vector<api::Pod> none;
  auto empty = computeResourceReplicas(cpuInput(1, none, {}));
  ASSERT_FALSE(empty.isOk());
  EXPECT_EQ(empty.status().message(),
            "no pods returned by selector while calculating replica count");

  std::vector<api::Pod> no_request = {makePod({"p0"}, "")};
  auto missing = computeResourceReplicas(cpuInput(1, no_request, sameUsage(1, 100)));
  ASSERT_FALSE(missing.isOk());
  EXPECT_EQ(missing.status().message(), "missing request for cpu in container app of Pod p0");

  std::vector<api::Pod> pending = {makePod({"p0", "Pending", "False"})};
  auto unready = computeResourceReplicas(cpuInput(1, pending, sameUsage(1, 100)));
  ASSERT_FALSE(unready.isOk());
  EXPECT_EQ(unready.status().message(),
            "did not receive metrics for targeted pods (pods might be unready)");
}

TEST(HpaReplicaCalculator, ContainerResourceUsesOneContainer) {
  std::vector<api::Pod> pods = readyPods(1);
  api::Container sidecar;
  sidecar.name = "sidecar";
  sidecar.resources.requests["cpu"] = *api::Quantity::parse("100m");
  pods[0].spec.containers.push_back(sidecar);
  HpaPodUsage usage{"p0", kNow - 10s, 30s, {}};
  usage.containers.push_back({"app", {{"cpu", *api::Quantity::parse("100m")}}});
  usage.containers.push_back({"sidecar", {{"cpu", *api::Quantity::parse("100m")}}});
  auto app = extractPodMetrics({usage}, "cpu", "app");
  ASSERT_TRUE(app.isOk());
  ResourceReplicaInput in = cpuInput(1, pods, *app);
  in.container = "app";
  auto got = computeResourceReplicas(in);
  ASSERT_TRUE(got.isOk());
  EXPECT_EQ(got->utilization, 10);  // 100m of the app's 1 core
  in.container = "sidecar";
  in.metrics = *extractPodMetrics({usage}, "cpu", "sidecar");
  got = computeResourceReplicas(in);
  ASSERT_TRUE(got.isOk());
  EXPECT_EQ(got->utilization, 100);
  EXPECT_EQ(got->replicas, 2);

  auto whole = extractPodMetrics({usage}, "cpu");
  ASSERT_TRUE(whole.isOk());
  EXPECT_EQ(whole->at("p0").milli, 200);
  auto absent = extractPodMetrics({usage}, "cpu", "nope");
  ASSERT_FALSE(absent.isOk());
  EXPECT_EQ(absent.status().message(), "container nope not present in metrics for pod p0");
  auto no_memory = extractPodMetrics({usage}, "memory");
  ASSERT_TRUE(no_memory.isOk());
  EXPECT_TRUE(no_memory->empty());  // a missing pod, not an error
  EXPECT_FALSE(extractPodMetrics({}, "cpu").isOk());
}

// ---- decideHpa ----

HpaMetric cpuMetric(int32_t target, Result<HpaPodMetrics> metrics) {
  HpaMetric m;
  m.type = "Resource";
  m.resource = "cpu";
  m.target_type = "Utilization";
  m.average_utilization = target;
  m.samples = std::move(metrics);
  return m;
}

HpaMetric memoryAverage(int64_t target_milli, HpaPodMetrics metrics) {
  HpaMetric m;
  m.type = "Resource";
  m.resource = "memory";
  m.target_type = "AverageValue";
  m.average_milli = target_milli;
  m.samples = std::move(metrics);
  return m;
}

const HpaCondition* condition(const HpaDecision& d, const std::string& type) {
  for (const auto& c : d.conditions) {
    if (c.type == type) return &c;
  }
  return nullptr;
}

struct Decider {
  HpaDecisionInput in;
  HpaHistory history;
  std::vector<api::Pod> pods;

  Decider(int32_t current, int32_t min, int32_t max) {
    in.spec_replicas = current;
    in.min_replicas = min;
    in.max_replicas = max;
    pods = readyPods(current);
    in.pods = &pods;
    in.now = kNow;
  }
  // Every pod at `milli` cpu against a 50% target of 1 core.
  HpaDecision cpuAt(int64_t milli) {
    pods = readyPods(in.spec_replicas);
    in.pods = &pods;
    in.metrics = {cpuMetric(50, sameUsage(in.spec_replicas, milli))};
    return decideHpa(in, history);
  }
};

TEST(HpaDecide, LargestProposalOfSeveralMetricsWins) {
  Decider d(2, 1, 10);
  d.in.behavior = HpaBehavior{defaultScaleUpRules(), defaultScaleDownRules()};
  d.in.metrics = {cpuMetric(50, sameUsage(2, 600)), memoryAverage(100, sameUsage(2, 250))};
  HpaDecision got = decideHpa(d.in, d.history);
  EXPECT_TRUE(got.error.isOk());
  EXPECT_EQ(got.desired_replicas, 5);
  EXPECT_TRUE(got.rescale);
  EXPECT_EQ(got.reason, "memory resource above target");
  EXPECT_EQ(rescaleMessage(5, got.reason), "New size: 5; reason: memory resource above target");
  ASSERT_EQ(got.current_metrics.size(), 2u);
  EXPECT_EQ(got.current_metrics[0].average_utilization, 60);
  EXPECT_EQ(got.current_metrics[0].average_milli, 600);
  EXPECT_EQ(got.current_metrics[1].average_milli, 250);
  const HpaCondition* active = condition(got, "ScalingActive");
  ASSERT_NE(active, nullptr);
  EXPECT_EQ(active->reason, "ValidMetricFound");
  EXPECT_EQ(active->message,
            "the HPA was able to successfully calculate a replica count from memory resource");
}

TEST(HpaDecide, AnInvalidMetricBlocksOnlyAScaleDown) {
  Decider d(4, 1, 10);
  HpaMetric broken =
      cpuMetric(50, Status(Code::kNotFound, "no metrics returned from resource metrics API"));
  broken.resource = "memory";
  d.in.metrics = {cpuMetric(50, sameUsage(4, 1000)), broken};
  HpaDecision up = decideHpa(d.in, d.history);
  EXPECT_TRUE(up.error.isOk());
  EXPECT_EQ(up.desired_replicas, 8);
  ASSERT_EQ(up.events.size(), 1u);
  EXPECT_EQ(up.events[0].reason, "FailedGetResourceMetric");
  EXPECT_EQ(up.events[0].message,
            "failed to get memory utilization: unable to get metrics for resource memory: no "
            "metrics returned from resource metrics API");

  d.in.metrics[0] = cpuMetric(50, sameUsage(4, 100));
  HpaDecision down = decideHpa(d.in, d.history);
  EXPECT_FALSE(down.error.isOk());
  EXPECT_FALSE(down.rescale);
  const HpaCondition* active = condition(down, "ScalingActive");
  ASSERT_NE(active, nullptr);
  EXPECT_EQ(active->status, "False");
  EXPECT_EQ(active->reason, "FailedGetResourceMetric");
  EXPECT_EQ(down.error.message(),
            "invalid metrics (1 invalid out of 2), first error is: failed to get memory "
            "utilization: unable to get metrics for resource memory: no metrics returned from "
            "resource metrics API");

  HpaMetric pods_metric;
  pods_metric.type = "Pods";
  d.in.metrics = {pods_metric};
  HpaDecision unknown = decideHpa(d.in, d.history);
  EXPECT_FALSE(unknown.error.isOk());
  EXPECT_EQ(condition(unknown, "ScalingActive")->reason, "InvalidMetricSourceType");
}

TEST(HpaDecide, BoundsTable) {
  struct Case {
    std::string name;
    int32_t current, min, max;
    int64_t milli;  // per pod, 1 core requested, target 50%
    int32_t want;
    std::string limited_status;  // "" when not reached
    std::string limited_reason;
    std::string reason;
  };
  std::vector<Case> cases = {
      {"above max", 6, 1, 4, 500, 4, "", "", "Current number of replicas above Spec.MaxReplicas"},
      {"below min", 1, 2, 4, 500, 2, "", "", "Current number of replicas below Spec.MinReplicas"},
      {"within", 2, 1, 4, 750, 3, "False", "DesiredWithinRange",
       "cpu resource utilization (percentage of request) above target"},
      {"desired beyond max reaches max", 3, 1, 5, 1000, 5, "True", "TooManyReplicas",
       "cpu resource utilization (percentage of request) above target"},
      {"desired below min reaches min", 4, 2, 5, 10, 2, "True", "TooFewReplicas",
       "All metrics below target"},
      {"no behavior doubles at most", 3, 1, 20, 2500, 6, "True", "ScaleUpLimit",
       "cpu resource utilization (percentage of request) above target"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Decider d(c.current, c.min, c.max);
    d.in.options.downscale_stabilization = 0s;
    HpaDecision got = d.cpuAt(c.milli);
    EXPECT_EQ(got.desired_replicas, c.want);
    EXPECT_TRUE(got.rescale);
    EXPECT_EQ(got.reason, c.reason);
    const HpaCondition* limited = condition(got, "ScalingLimited");
    if (c.limited_status.empty()) {
      EXPECT_EQ(limited, nullptr);
    } else {
      ASSERT_NE(limited, nullptr);
      EXPECT_EQ(limited->status, c.limited_status);
      EXPECT_EQ(limited->reason, c.limited_reason);
    }
  }
}

TEST(HpaDecide, ZeroReplicasDisablesScaling) {
  Decider d(0, 1, 4);
  HpaDecision got = d.cpuAt(900);
  EXPECT_FALSE(got.rescale);
  EXPECT_EQ(got.desired_replicas, 0);
  EXPECT_EQ(condition(got, "ScalingActive")->reason, "ScalingDisabled");
}

TEST(HpaDecide, WithoutBehaviorScaleDownWaitsForTheStabilizationWindow) {
  Decider d(4, 1, 10);
  EXPECT_EQ(d.cpuAt(500).desired_replicas, 4);  // on target: recommends 4
  d.in.now += 60s;
  HpaDecision held = d.cpuAt(100);  // wants 1
  EXPECT_EQ(held.desired_replicas, 4);
  EXPECT_FALSE(held.rescale);
  EXPECT_EQ(condition(held, "AbleToScale")->reason, "ScaleDownStabilized");
  d.in.now += 250s;  // the 4 is 310 s old; the 1 from 250 s ago is the highest left
  HpaDecision down = d.cpuAt(100);
  EXPECT_EQ(down.desired_replicas, 1);
  EXPECT_EQ(down.reason, "All metrics below target");
  EXPECT_EQ(condition(down, "AbleToScale")->reason, "ReadyForNewScale");
}

TEST(HpaDecide, BehaviorStabilizationWindowsTable) {
  struct Case {
    std::string name;
    int32_t up_window, down_window;
    int64_t first_milli, second_milli;  // at t and t+30s, 4 replicas
    int32_t want;
    std::string able_reason;
  };
  std::vector<Case> cases = {
      {"scale up not stabilized by default", 0, 300, 500, 1000, 8, "ReadyForNewScale"},
      {"scale up waits for its window", 60, 300, 500, 1000, 4, "ScaleUpStabilized"},
      {"scale down waits for its window", 0, 300, 500, 100, 4, "ScaleDownStabilized"},
      {"scale down window elapsed", 0, 20, 500, 100, 1, "ReadyForNewScale"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Decider d(4, 1, 20);
    HpaBehavior behavior{defaultScaleUpRules(), defaultScaleDownRules()};
    behavior.scale_up.stabilization_window_seconds = c.up_window;
    behavior.scale_down.stabilization_window_seconds = c.down_window;
    d.in.behavior = behavior;
    d.cpuAt(c.first_milli);
    d.in.now += 30s;
    HpaDecision got = d.cpuAt(c.second_milli);
    EXPECT_EQ(got.desired_replicas, c.want);
    EXPECT_EQ(condition(got, "AbleToScale")->reason, c.able_reason);
  }
}

TEST(HpaDecide, BehaviorPoliciesTable) {
  struct Case {
    std::string name;
    HpaScalingRules rules;  // scale up or down, by the sign of the load
    int32_t current;
    int64_t milli;  // 1 core requested, target 50%
    int32_t want;
    std::string limited_reason;
  };
  HpaScalingRules up_default = defaultScaleUpRules();
  HpaScalingRules up_min = up_default;
  up_min.select_policy = "Min";
  HpaScalingRules up_disabled = up_default;
  up_disabled.select_policy = "Disabled";
  HpaScalingRules down_half{0, "Max", {{"Percent", 50, 60}}};
  HpaScalingRules down_pods_or_percent{0, "Max", {{"Pods", 1, 60}, {"Percent", 50, 60}}};
  HpaScalingRules down_min_change{0, "Min", {{"Pods", 1, 60}, {"Percent", 50, 60}}};
  std::vector<Case> cases = {
      // 2 replicas want 20: Max of (2 + 4, 2 x 2).
      {"up max of pods and percent", up_default, 2, 5000, 6, "ScaleUpLimit"},
      {"up min of pods and percent", up_min, 2, 5000, 4, "ScaleUpLimit"},
      {"up disabled", up_disabled, 2, 5000, 2, "ScaleUpLimit"},
      {"up within the rate", up_default, 2, 1000, 4, "DesiredWithinRange"},
      // 10 replicas want 1.
      {"down by percent", down_half, 10, 10, 5, "ScaleDownLimit"},
      {"down max change", down_pods_or_percent, 10, 10, 5, "ScaleDownLimit"},
      {"down min change", down_min_change, 10, 10, 9, "ScaleDownLimit"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Decider d(c.current, 1, 20);
    HpaBehavior behavior{defaultScaleUpRules(), defaultScaleDownRules()};
    if (c.milli > 500) {
      behavior.scale_up = c.rules;
    } else {
      behavior.scale_down = c.rules;
    }
    d.in.behavior = behavior;
    HpaDecision got = d.cpuAt(c.milli);
    EXPECT_EQ(got.desired_replicas, c.want);
    EXPECT_EQ(condition(got, "ScalingLimited")->reason, c.limited_reason);
  }
}

TEST(HpaDecide, ScaleEventsCountAgainstThePolicyPeriod) {
  Decider d(2, 1, 40);
  d.in.behavior = HpaBehavior{defaultScaleUpRules(), defaultScaleDownRules()};
  HpaDecision first = d.cpuAt(5000);  // wants 20; 2 -> max(6, 4)
  ASSERT_EQ(first.desired_replicas, 6);
  recordScaleEvent(d.in.behavior, 2, 6, d.in.now, d.history);
  d.in.spec_replicas = 6;
  d.in.now += 5s;
  // The period started at 2 replicas; 6 is already its limit.
  EXPECT_EQ(d.cpuAt(5000).desired_replicas, 6);
  d.in.now += 11s;  // the event is 16 s old, outside the 15 s period
  EXPECT_EQ(d.cpuAt(5000).desired_replicas, 12);
}

// The original's Hpa moves at most one replica per interval and reaches both bounds.
TEST(HpaDecide, OriginalRateIsOneReplicaPerInterval) {
  Decider d(2, 2, 5);
  d.in.behavior = oneStepBehavior(15);
  std::vector<int32_t> counts;
  auto step = [&](int64_t milli, std::chrono::seconds after) {
    d.in.now += after;
    HpaDecision got = d.cpuAt(milli);
    if (got.rescale) {
      recordScaleEvent(d.in.behavior, d.in.spec_replicas, got.desired_replicas, d.in.now,
                       d.history);
      d.in.spec_replicas = got.desired_replicas;
    }
    counts.push_back(d.in.spec_replicas);
  };
  // Heavy load wants far more than max; every interval adds one.
  for (int i = 0; i < 5; ++i) step(5000, 15s);
  EXPECT_EQ(counts, (std::vector<int32_t>{3, 4, 5, 5, 5}));
  // Half an interval after a step nothing moves.
  counts.clear();
  step(0, 16s);  // 5 -> 4
  step(0, 7s);   // too soon
  step(0, 9s);   // 4 -> 3
  step(0, 15s);  // 3 -> 2 (min)
  step(0, 15s);
  EXPECT_EQ(counts, (std::vector<int32_t>{4, 4, 3, 2, 2}));
}

// The next interval's sync may come a little less than an interval after the step (the
// timer and the sync's own reads move it by milliseconds): it still steps.
TEST(HpaDecide, OriginalRateStepsAtASyncJustUnderAnIntervalLater) {
  Decider d(2, 2, 5);
  d.in.behavior = oneStepBehavior(15);
  HpaDecision got = d.cpuAt(5000);
  ASSERT_TRUE(got.rescale);
  recordScaleEvent(d.in.behavior, 2, 3, d.in.now, d.history);
  d.in.spec_replicas = 3;
  d.in.now += 15s - 5ms;
  EXPECT_EQ(d.cpuAt(5000).desired_replicas, 4);
  d.in.now -= 7s;  // half an interval after the step: no
  EXPECT_EQ(d.cpuAt(5000).desired_replicas, 3);
}

}  // namespace hpa_decision_test
}  // namespace minik8s::controller
