#include "kubelet/probe_manager.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <tuple>
#include <vector>

#include "cri/fake_runtime.h"

namespace minik8s::kubelet {
namespace probe_manager_test {

using std::chrono::seconds;
constexpr auto S = ProbeResult::kSuccess;
constexpr auto F = ProbeResult::kFailure;
constexpr auto U = ProbeResult::kUnknown;

// ---- pure: thresholds ----

TEST(NextProbeStatus, SettlesOnlyAfterThresholdAnswersInARow) {
  struct Case {
    std::string name;
    ProbeType type;
    int32_t success_threshold, failure_threshold;
    std::vector<ProbeResult> answers;
    std::vector<ProbeResult> want;  // settled result after each answer
  };
  std::vector<Case> cases = {
      {"readiness starts failed, one success is enough",
       ProbeType::kReadiness,
       1,
       3,
       {S, F, F, F, S},
       {S, S, S, F, S}},
      {"readiness needs two successes in a row",
       ProbeType::kReadiness,
       2,
       1,
       {S, F, S, S, F},
       {F, F, F, S, F}},
      {"unknown answers are not counted",
       ProbeType::kReadiness,
       2,
       3,
       {S, U, S, F, U, F, F},
       {F, F, S, S, S, S, F}},
      {"liveness starts ok, fails after three, then holds",
       ProbeType::kLiveness,
       1,
       3,
       {F, F, S, F, F, F, S, S},
       {S, S, S, S, S, F, F, F}},
      {"startup unknown until success, then done",
       ProbeType::kStartup,
       1,
       3,
       {F, F, S, F, F, F},
       {U, U, S, S, S, S}},
      {"startup failing its threshold holds", ProbeType::kStartup, 1, 2, {F, F, S}, {U, F, F}},
  };
  for (const Case& c : cases) {
    ProbeStatus status = initialProbeStatus(c.type);
    for (size_t i = 0; i < c.answers.size(); ++i) {
      status =
          nextProbeStatus(c.type, status, c.answers[i], c.success_threshold, c.failure_threshold);
      EXPECT_EQ(status.result, c.want[i]) << c.name << ", answer #" << i;
    }
  }
}

TEST(ContainerProbeStateTest, CombinesStartupReadinessAndLiveness) {
  ProbeStatus ok{S}, failed{F}, unknown{U};
  struct Case {
    std::string name;
    const ProbeStatus *startup, *readiness, *liveness;
    bool started, ready, liveness_failed;
  };
  std::vector<Case> cases = {
      {"no probes", nullptr, nullptr, nullptr, true, true, false},
      {"startup pending", &unknown, nullptr, nullptr, false, false, false},
      {"startup pending gates readiness", &unknown, &ok, nullptr, false, false, false},
      {"startup done, no readiness", &ok, nullptr, nullptr, true, true, false},
      {"startup failed", &failed, nullptr, &ok, false, false, true},
      {"readiness failing", nullptr, &failed, nullptr, true, false, false},
      {"readiness ok", nullptr, &ok, &ok, true, true, false},
      {"liveness failed", nullptr, &ok, &failed, true, true, true},
  };
  for (const Case& c : cases) {
    ContainerProbeState s = containerProbeState(c.startup, c.readiness, c.liveness);
    EXPECT_EQ(s.started, c.started) << c.name;
    EXPECT_EQ(s.ready, c.ready) << c.name;
    EXPECT_EQ(s.liveness_failed, c.liveness_failed) << c.name;
  }
}

// ---- the manager, driven by a FakeClock and scripted answers ----

api::Probe probe(int32_t period, int32_t initial_delay = 0, int32_t success_threshold = 0,
                 int32_t failure_threshold = 0) {
  api::Probe p;
  p.exec = api::ExecAction{{"check"}};
  p.period_seconds = period;
  p.initial_delay_seconds = initial_delay;
  p.success_threshold = success_threshold;
  p.failure_threshold = failure_threshold;
  return p;
}

api::Pod pod(const std::string& uid, std::vector<api::Container> containers) {
  api::Pod p;
  p.metadata.name = "pod-" + uid;
  p.metadata.namespace_ = "default";
  p.metadata.uid = uid;
  p.spec.containers = std::move(containers);
  return p;
}

api::Container container(const std::string& name) {
  api::Container c;
  c.name = name;
  c.image = "img:1";
  return c;
}

// Scripted probe answers: the current answer per (container id, type), default success;
// records every call with the fake time at which it ran. Thread-safe.
class ScriptedProber {
 public:
  explicit ScriptedProber(Clock& clock) : clock_(clock), start_(clock.now()) {}

  void set(const std::string& id, ProbeType type, ProbeResult r, std::string message = "") {
    std::lock_guard lock(mu_);
    answers_[{id, type}] = {r, std::move(message)};
  }
  // Calls as "<second> <id> <Type>".
  std::vector<std::string> calls() const {
    std::lock_guard lock(mu_);
    return calls_;
  }
  void clear() {
    std::lock_guard lock(mu_);
    calls_.clear();
  }
  ProbeRunner runner() {
    return [this](const ProbeTarget& t) {
      std::lock_guard lock(mu_);
      auto at = std::chrono::duration_cast<seconds>(clock_.now() - start_).count();
      calls_.push_back(std::to_string(at) + " " + t.container_id + " " +
                       std::string(probeTypeName(t.type)));
      auto it = answers_.find({t.container_id, t.type});
      return it == answers_.end() ? ProbeOutcome{S, ""} : it->second;
    };
  }

 private:
  Clock& clock_;
  Clock::WallTime start_;
  mutable std::mutex mu_;
  std::map<std::pair<std::string, ProbeType>, ProbeOutcome> answers_;
  std::vector<std::string> calls_;
};

class ProbeManagerTest : public ::testing::Test {
 protected:
  ProbeManagerTest()
      : manager_(
            runtime_, clock_, [this](const std::string& uid) { changes_.push_back(uid); },
            ProbeManager::Options{prober_.runner(), 0}) {}

  void sync(const api::Pod& p, std::vector<RunningContainer> running) {
    manager_.syncPod(p, "10.88.0.2", running);
  }
  RunningContainer running(const std::string& name, const std::string& id) {
    return {name, id, clock_.now()};
  }
  // Advances to `second` (since the test start) and runs what is due.
  int at(int second) {
    clock_.advance(seconds(second) - (clock_.now() - start_));
    return manager_.runDueProbes();
  }

  FakeClock clock_;
  Clock::WallTime start_ = clock_.now();
  cri::FakeRuntime runtime_{clock_};
  ScriptedProber prober_{clock_};
  std::vector<std::string> changes_;
  ProbeManager manager_;
};

TEST_F(ProbeManagerTest, ContainerWithoutProbesIsStartedAndReadyUnknownIdIsNot) {
  sync(pod("u1", {container("c")}), {running("c", "id1")});
  EXPECT_EQ(manager_.state("id1"), (ContainerProbeState{true, true, false, ""}));
  EXPECT_EQ(manager_.state("nope"),
            (ContainerProbeState{false, false, false, "unknown container"}));
  EXPECT_EQ(at(100), 0);
  EXPECT_TRUE(changes_.empty());
}

TEST_F(ProbeManagerTest, ReadinessFollowsThresholdsAndOnChangeFiresOnTransitionsOnly) {
  api::Container c = container("c");
  c.readiness_probe = probe(10, 0, 2, 3);
  sync(pod("u1", {c}), {running("c", "id1")});
  EXPECT_FALSE(manager_.state("id1").ready);

  struct Step {
    int second;
    ProbeResult answer;
    int want_runs;
    bool want_ready;
    size_t want_changes;
  };
  std::vector<Step> steps = {
      {0, S, 1, false, 0},  {5, S, 0, false, 0},  {10, S, 1, true, 1},
      {20, F, 1, true, 1},  {30, F, 1, true, 1},  {40, F, 1, false, 2},
      {50, F, 1, false, 2}, {60, S, 1, false, 2}, {70, S, 1, true, 3},
  };
  for (const Step& s : steps) {
    prober_.set("id1", ProbeType::kReadiness, s.answer);
    EXPECT_EQ(at(s.second), s.want_runs) << "t=" << s.second;
    EXPECT_EQ(manager_.state("id1").ready, s.want_ready) << "t=" << s.second;
    EXPECT_EQ(changes_.size(), s.want_changes) << "t=" << s.second;
  }
  EXPECT_EQ(changes_, (std::vector<std::string>{"u1", "u1", "u1"}));
  EXPECT_TRUE(manager_.state("id1").started);
}

TEST_F(ProbeManagerTest, InitialDelayAndPeriodDecideWhenProbesRun) {
  api::Container c = container("c");
  c.liveness_probe = probe(3, 5);
  sync(pod("u1", {c}), {running("c", "id1")});
  struct Step {
    int second;
    int want_runs;
  };
  // Due at 5, 8, 11, ...; a jump over several periods runs once and drops missed ticks.
  std::vector<Step> steps = {{0, 0},  {4, 0},  {5, 1},  {7, 0}, {8, 1},
                             {10, 0}, {20, 1}, {22, 0}, {23, 1}};
  for (const Step& s : steps) EXPECT_EQ(at(s.second), s.want_runs) << "t=" << s.second;
}

TEST_F(ProbeManagerTest, DefaultPeriodIsTenSeconds) {
  api::Container c = container("c");
  c.liveness_probe = probe(0);
  sync(pod("u1", {c}), {running("c", "id1")});
  EXPECT_EQ(at(0), 1);
  EXPECT_EQ(at(9), 0);
  EXPECT_EQ(at(10), 1);
}

TEST_F(ProbeManagerTest, StartupProbeGatesLivenessAndReadiness) {
  api::Container c = container("c");
  c.startup_probe = probe(1, 0, 1, 10);
  c.readiness_probe = probe(10);
  c.liveness_probe = probe(10);
  sync(pod("u1", {c}), {running("c", "id1")});
  prober_.set("id1", ProbeType::kStartup, F);
  for (int t = 0; t <= 2; ++t) at(t);
  EXPECT_EQ(manager_.state("id1"),
            (ContainerProbeState{false, false, false, "Startup probe failed: "}));
  EXPECT_EQ(prober_.calls(),
            (std::vector<std::string>{"0 id1 Startup", "1 id1 Startup", "2 id1 Startup"}));
  prober_.clear();

  prober_.set("id1", ProbeType::kStartup, S);
  at(3);  // started; the readiness probe that never ran runs at once
  EXPECT_EQ(prober_.calls(), (std::vector<std::string>{"3 id1 Startup", "3 id1 Readiness"}));
  EXPECT_EQ(manager_.state("id1"), (ContainerProbeState{true, true, false, ""}));
  EXPECT_EQ(changes_, (std::vector<std::string>{"u1", "u1"}));  // started, then ready
  prober_.clear();

  for (int t = 4; t <= 10; ++t) at(t);  // startup is done; liveness keeps its own period
  EXPECT_EQ(prober_.calls(), (std::vector<std::string>{"10 id1 Liveness"}));
}

TEST_F(ProbeManagerTest, StartupFailingItsThresholdFailsLiveness) {
  api::Container c = container("c");
  c.startup_probe = probe(1, 0, 1, 3);
  c.liveness_probe = probe(1);
  sync(pod("u1", {c}), {running("c", "id1")});
  prober_.set("id1", ProbeType::kStartup, F, "not yet");
  at(0);
  at(1);
  EXPECT_FALSE(manager_.state("id1").liveness_failed);
  EXPECT_TRUE(changes_.empty());
  at(2);
  EXPECT_EQ(manager_.state("id1"),
            (ContainerProbeState{false, false, true, "Startup probe failed: not yet"}));
  EXPECT_EQ(changes_.size(), 1u);
  prober_.clear();
  for (int t = 3; t < 10; ++t) EXPECT_EQ(at(t), 0);  // on hold until the restart
}

TEST_F(ProbeManagerTest, LivenessFailureThenRestartGivesFreshState) {
  api::Container c = container("c");
  c.liveness_probe = probe(1, 0, 1, 2);
  c.readiness_probe = probe(1);
  api::Pod p = pod("u1", {c});
  sync(p, {running("c", "id1")});
  at(0);
  EXPECT_EQ(manager_.state("id1"), (ContainerProbeState{true, true, false, ""}));
  EXPECT_EQ(changes_.size(), 1u);  // ready

  prober_.set("id1", ProbeType::kLiveness, F, "exit 1");
  at(1);
  EXPECT_FALSE(manager_.state("id1").liveness_failed);
  at(2);
  EXPECT_EQ(manager_.state("id1"),
            (ContainerProbeState{true, true, true, "Liveness probe failed: exit 1"}));
  EXPECT_EQ(changes_.size(), 2u);
  prober_.clear();
  at(3);
  EXPECT_EQ(prober_.calls(), (std::vector<std::string>{"3 id1 Readiness"}));  // liveness holds

  // The kubelet restarts the container: a new id, fresh workers; the old id is forgotten.
  sync(p, {running("c", "id2")});
  EXPECT_EQ(manager_.state("id2"), (ContainerProbeState{true, false, false, ""}));
  EXPECT_EQ(manager_.state("id1").message, "unknown container");
  prober_.clear();
  at(4);
  EXPECT_EQ(prober_.calls(), (std::vector<std::string>{"4 id2 Readiness", "4 id2 Liveness"}));
  EXPECT_EQ(manager_.state("id2"), (ContainerProbeState{true, true, false, ""}));
}

TEST_F(ProbeManagerTest, SyncKeepsStateOfUnchangedContainersAndDropsStoppedOnes) {
  api::Container a = container("a");
  a.readiness_probe = probe(5);
  api::Container b = container("b");
  b.readiness_probe = probe(5);
  api::Pod p = pod("u1", {a, b});
  sync(p, {running("a", "ida"), running("b", "idb")});
  EXPECT_EQ(at(0), 2);
  EXPECT_TRUE(manager_.state("ida").ready);

  sync(p, {running("a", "ida")});  // b exited
  EXPECT_TRUE(manager_.state("ida").ready);
  EXPECT_EQ(manager_.state("idb").message, "unknown container");
  prober_.clear();
  at(5);
  EXPECT_EQ(prober_.calls(), (std::vector<std::string>{"5 ida Readiness"}));
}

TEST_F(ProbeManagerTest, RemovePodStopsItsProbes) {
  api::Container c = container("c");
  c.liveness_probe = probe(1);
  sync(pod("u1", {c}), {running("c", "id1")});
  sync(pod("u2", {c}), {running("c", "id2")});
  EXPECT_EQ(at(0), 2);
  manager_.removePod("u1");
  prober_.clear();
  EXPECT_EQ(at(1), 1);
  EXPECT_EQ(prober_.calls(), (std::vector<std::string>{"1 id2 Liveness"}));
  EXPECT_EQ(manager_.state("id1").message, "unknown container");
  manager_.removePod("u2");
  manager_.removePod("u2");  // idempotent
  EXPECT_EQ(at(10), 0);
}

TEST_F(ProbeManagerTest, UnknownAnswersKeepStateAndReportTheError) {
  api::Container c = container("c");
  c.readiness_probe = probe(1);
  sync(pod("u1", {c}), {running("c", "id1")});
  prober_.set("id1", ProbeType::kReadiness, U, "port \"web\" not found");
  at(0);
  at(1);
  EXPECT_EQ(
      manager_.state("id1"),
      (ContainerProbeState{true, false, false, "Readiness probe errored: port \"web\" not found"}));
  EXPECT_TRUE(changes_.empty());
}

TEST_F(ProbeManagerTest, RestartableInitContainersAreProbedOthersNot) {
  api::Container sidecar = container("sidecar");
  sidecar.restart_policy = "Always";
  sidecar.readiness_probe = probe(1);
  api::Container init = container("init");
  init.readiness_probe = probe(1);
  api::Pod p = pod("u1", {container("main")});
  p.spec.init_containers = {init, sidecar};
  sync(p, {running("init", "idi"), running("sidecar", "ids"), running("main", "idm")});
  at(0);
  EXPECT_EQ(prober_.calls(), (std::vector<std::string>{"0 ids Readiness"}));
}

TEST_F(ProbeManagerTest, ProbeTargetCarriesDefaultsPodIpAndContainer) {
  api::Container c = container("c");
  c.liveness_probe = api::Probe{};
  c.liveness_probe->tcp_socket = api::TcpSocketAction{api::IntOrString::ofInt(80), ""};
  std::vector<std::tuple<int32_t, int32_t, std::string, std::string>> seen;
  ProbeManager manager(runtime_, clock_, nullptr,
                       {[&](const ProbeTarget& t) {
                          seen.emplace_back(t.probe.timeout_seconds, t.probe.failure_threshold,
                                            t.pod_ip, t.container.name);
                          return ProbeOutcome{S, ""};
                        },
                        0});
  manager.syncPod(pod("u1", {c}), "10.88.0.9", {running("c", "id1")});
  EXPECT_EQ(manager.runDueProbes(), 1);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0], std::make_tuple(1, 3, std::string("10.88.0.9"), std::string("c")));
}

// ---- with threads: the scheduler and pool run probes on their own ----

TEST(ProbeManagerThreads, SchedulerRunsDueProbesAndNotifies) {
  FakeClock clock;
  cri::FakeRuntime runtime(clock);
  ScriptedProber prober(clock);
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> changes;
  ProbeManager manager(runtime, clock,
                       [&](const std::string& uid) {
                         std::lock_guard lock(mu);
                         changes.push_back(uid);
                         cv.notify_all();
                       },
                       {prober.runner(), 2});
  api::Container c = container("c");
  c.readiness_probe = probe(10, 0, 1, 1);
  manager.syncPod(pod("u1", {c}), "10.88.0.2", {{"c", "id1", clock.now()}});
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, seconds(5), [&] { return changes.size() == 1; }));
  }
  EXPECT_TRUE(manager.state("id1").ready);

  prober.set("id1", ProbeType::kReadiness, F);
  clock.advance(seconds(10));
  manager.wake();
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, seconds(5), [&] { return changes.size() == 2; }));
  }
  EXPECT_FALSE(manager.state("id1").ready);
  manager.stop();
  manager.stop();  // idempotent
}

TEST(ProbeManagerThreads, StopWaitsForARunningProbe) {
  FakeClock clock;
  cri::FakeRuntime runtime(clock);
  std::atomic<int> started{0}, finished{0};
  auto manager = std::make_unique<ProbeManager>(
      runtime, clock, nullptr,
      ProbeManager::Options{[&](const ProbeTarget&) {
                              ++started;
                              std::this_thread::sleep_for(std::chrono::milliseconds(200));
                              ++finished;
                              return ProbeOutcome{S, ""};
                            },
                            2});
  api::Container c = container("c");
  c.liveness_probe = probe(1);
  manager->syncPod(pod("u1", {c}), "10.88.0.2", {{"c", "id1", clock.now()}});
  auto deadline = std::chrono::steady_clock::now() + seconds(5);
  while (started.load() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(started.load(), 1);
  manager.reset();  // the destructor stops and joins
  EXPECT_EQ(finished.load(), 1);
}

}  // namespace probe_manager_test
}  // namespace minik8s::kubelet
