// Table tests of every filter and score plugin (pure functions of pod and NodeInfo).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "scheduler/plugins/balanced_allocation.h"
#include "scheduler/plugins/least_allocated.h"
#include "scheduler/plugins/node_ports.h"
#include "scheduler/plugins/node_ready.h"
#include "scheduler/plugins/node_resources_fit.h"
#include "scheduler/plugins/node_selector.h"
#include "scheduler/plugins/node_unschedulable.h"
#include "scheduler/plugins/taint_toleration.h"
#include "testing_objects.h"

namespace minik8s::scheduler {
namespace plugins_test {

using namespace testing;
using Reasons = std::vector<std::string>;

TEST(NodeReady, OnlyNodesWithReadyTrueTakePods) {
  plugins::NodeReady f;
  EXPECT_EQ(f.filter(pod("p"), info(node("n"))), Reasons{});
  EXPECT_EQ(f.filter(pod("p"), info(node("n", "4", "8Gi", false))),
            Reasons{"node(s) were not ready"});
  api::Node no_condition = node("n");
  no_condition.status.conditions.clear();
  EXPECT_EQ(f.filter(pod("p"), info(no_condition)), Reasons{"node(s) were not ready"});
}

TEST(NodeUnschedulable, ACordonedNodeTakesOnlyPodsTolerating) {
  plugins::NodeUnschedulable f;
  api::Node cordoned = node("n");
  cordoned.spec.unschedulable = true;
  EXPECT_EQ(f.filter(pod("p"), info(cordoned)), Reasons{"node(s) were unschedulable"});
  EXPECT_EQ(f.filter(pod("p"), info(node("n"))), Reasons{});
  api::Pod tolerant = pod("p");
  tolerant.spec.tolerations.push_back(
      {"node.kubernetes.io/unschedulable", "Exists", "", "NoSchedule", {}});
  EXPECT_EQ(f.filter(tolerant, info(cordoned)), Reasons{});
}

TEST(NodeResourcesFit, RequestsMustFitAllocatableMinusWhatIsBound) {
  plugins::NodeResourcesFit f;
  struct Case {
    const char* name;
    api::Pod pod;
    std::vector<api::Pod> bound;
    Reasons want;
  };
  std::vector<Case> cases = {
      {"fits an empty node", pod("p", "2", "1Gi"), {}, {}},
      {"no requests always fit", pod("p"), {boundTo(pod("b", "4", "8Gi"), "n")}, {}},
      {"exactly full fits", pod("p", "2", "4Gi"), {boundTo(pod("b", "2", "4Gi"), "n")}, {}},
      {"cpu short", pod("p", "3"), {boundTo(pod("b", "2"), "n")}, {"Insufficient cpu"}},
      {"both short",
       pod("p", "3", "5Gi"),
       {boundTo(pod("b", "2", "4Gi"), "n")},
       {"Insufficient cpu", "Insufficient memory"}},
      {"finished pods free their requests",
       pod("p", "3"),
       {[] {
         auto b = boundTo(pod("b", "2"), "n");
         b.status.phase = "Succeeded";
         return b;
       }()},
       {}},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(f.filter(c.pod, info(node("n", "4", "8Gi"), c.bound)), c.want) << c.name;
  }
}

TEST(NodeResourcesFit, PodLevelResourcesReplaceTheContainerSum) {
  plugins::NodeResourcesFit f;
  api::Pod p = pod("p", "1");
  p.spec.resources = api::ResourceRequirements{};
  p.spec.resources->requests["cpu"] = q("5");
  EXPECT_EQ(f.filter(p, info(node("n", "4"))), Reasons{"Insufficient cpu"});
}

TEST(NodeResourcesFit, ExtendedResourcesAndPodCountAreChecked) {
  plugins::NodeResourcesFit f;
  api::Pod gpu = pod("p");
  gpu.spec.containers[0].resources.requests["example.com/gpu"] = q("1");
  EXPECT_EQ(f.filter(gpu, info(node("n"))), Reasons{"Insufficient example.com/gpu"});
  api::Node one = node("n");
  one.status.allocatable["pods"] = q("1");
  EXPECT_EQ(f.filter(pod("p"), info(one, {boundTo(pod("b"), "n")})), Reasons{"Too many pods"});
}

TEST(PodRequests, InitContainersCountAsTheirMaximumAndSidecarsAdd) {
  api::Pod p = pod("p", "1", "1Gi");
  api::Container init;
  init.name = "init";
  init.resources.requests["cpu"] = q("3");
  p.spec.init_containers.push_back(init);
  EXPECT_EQ(podRequests(p).milli_cpu, 3000);
  EXPECT_EQ(podRequests(p).memory, 1024LL * 1024 * 1024);
  api::Container sidecar;
  sidecar.name = "side";
  sidecar.restart_policy = "Always";
  sidecar.resources.requests["cpu"] = q("500m");
  p.spec.init_containers.insert(p.spec.init_containers.begin(), sidecar);
  EXPECT_EQ(podRequests(p).milli_cpu, 3500);  // init 3 runs beside the sidecar
  EXPECT_EQ(podRequests(pod("p")).milli_cpu, 0);
  EXPECT_EQ(podRequests(pod("p"), true).milli_cpu, kDefaultMilliCpuRequest);
}

TEST(NodeSelector, LabelsMustMatchTheSelectorAndRequiredAffinity) {
  plugins::NodeSelector f;
  api::Node ssd = node("n");
  ssd.metadata.labels = {{"disk", "ssd"}, {"cores", "8"}};
  api::Pod want_ssd = pod("p");
  want_ssd.spec.node_selector = {{"disk", "ssd"}};
  api::Pod want_hdd = pod("p");
  want_hdd.spec.node_selector = {{"disk", "hdd"}};
  const Reasons mismatch{"node(s) didn't match Pod's node affinity/selector"};
  EXPECT_EQ(f.filter(want_ssd, info(ssd)), Reasons{});
  EXPECT_EQ(f.filter(want_hdd, info(ssd)), mismatch);
  EXPECT_EQ(f.filter(want_ssd, info(node("plain"))), mismatch);

  auto withAffinity = [](nlohmann::json expressions) {
    api::Pod p = pod("p");
    p.spec.affinity = api::RawJson(
        nlohmann::json{{"nodeAffinity",
                        {{"requiredDuringSchedulingIgnoredDuringExecution",
                          {{"nodeSelectorTerms",
                            nlohmann::json::array({{{"matchExpressions", expressions}}})}}}}}});
    return p;
  };
  using nlohmann::json;
  EXPECT_EQ(f.filter(withAffinity(json::array(
                         {{{"key", "disk"}, {"operator", "In"}, {"values", {"ssd", "nvme"}}}})),
                     info(ssd)),
            Reasons{});
  EXPECT_EQ(f.filter(withAffinity(json::array(
                         {{{"key", "disk"}, {"operator", "NotIn"}, {"values", {"ssd"}}}})),
                     info(ssd)),
            mismatch);
  EXPECT_EQ(f.filter(withAffinity(
                         json::array({{{"key", "cores"}, {"operator", "Gt"}, {"values", {"4"}}}})),
                     info(ssd)),
            Reasons{});
  EXPECT_EQ(
      f.filter(withAffinity(json::array({{{"key", "gpu"}, {"operator", "Exists"}}})), info(ssd)),
      mismatch);
  EXPECT_EQ(f.filter(withAffinity(json::array({{{"key", "gpu"}, {"operator", "DoesNotExist"}}})),
                     info(ssd)),
            Reasons{});
}

TEST(TaintToleration, NoScheduleAndNoExecuteTaintsMustBeTolerated) {
  plugins::TaintToleration f;
  api::Node tainted = node("n");
  tainted.spec.taints.push_back({"dedicated", "gpu", "NoSchedule", ""});
  EXPECT_EQ(f.filter(pod("p"), info(tainted)),
            Reasons{"node(s) had untolerated taint {dedicated: gpu}"});
  struct Case {
    const char* name;
    api::Toleration toleration;
    bool tolerates;
  };
  std::vector<Case> cases = {
      {"equal key and value", {"dedicated", "Equal", "gpu", "NoSchedule", {}}, true},
      {"empty operator means Equal", {"dedicated", "", "gpu", "", {}}, true},
      {"other value", {"dedicated", "Equal", "cpu", "NoSchedule", {}}, false},
      {"exists on the key", {"dedicated", "Exists", "", "", {}}, true},
      {"empty key with Exists tolerates everything", {"", "Exists", "", "", {}}, true},
      {"other effect", {"dedicated", "Exists", "", "NoExecute", {}}, false},
  };
  for (const auto& c : cases) {
    api::Pod p = pod("p");
    p.spec.tolerations.push_back(c.toleration);
    EXPECT_EQ(f.filter(p, info(tainted)).empty(), c.tolerates) << c.name;
  }
  api::Node soft = node("n");
  soft.spec.taints.push_back({"dedicated", "gpu", "PreferNoSchedule", ""});
  EXPECT_EQ(f.filter(pod("p"), info(soft)), Reasons{});
}

TEST(NodePorts, AHostPortInUseOnTheNodeConflicts) {
  plugins::NodePorts f;
  auto withPort = [](const std::string& name, int32_t port, const std::string& ip = "",
                     const std::string& proto = "") {
    api::Pod p = pod(name);
    api::ContainerPort cp;
    cp.container_port = 80;
    cp.host_port = port;
    cp.host_ip = ip;
    cp.protocol = proto;
    p.spec.containers[0].ports.push_back(cp);
    return p;
  };
  const Reasons busy{"node(s) didn't have free ports for the requested pod ports"};
  EXPECT_EQ(f.filter(withPort("p", 8080), info(node("n"))), Reasons{});
  EXPECT_EQ(f.filter(withPort("p", 8080), info(node("n"), {boundTo(withPort("b", 8080), "n")})),
            busy);
  EXPECT_EQ(f.filter(withPort("p", 8080), info(node("n"), {boundTo(withPort("b", 8081), "n")})),
            Reasons{});
  EXPECT_EQ(f.filter(withPort("p", 8080, "", "UDP"),
                     info(node("n"), {boundTo(withPort("b", 8080), "n")})),
            Reasons{});
  EXPECT_EQ(f.filter(withPort("p", 8080, "10.0.0.1"),
                     info(node("n"), {boundTo(withPort("b", 8080, "10.0.0.2"), "n")})),
            Reasons{});
  EXPECT_EQ(f.filter(withPort("p", 8080, "10.0.0.1"),
                     info(node("n"), {boundTo(withPort("b", 8080), "n")})),
            busy);
}

TEST(LeastAllocated, TheEmptierNodeScoresHigher) {
  plugins::LeastAllocated s;
  api::Pod p = pod("p", "1", "1Gi");
  int64_t empty = s.score(p, info(node("a")));
  int64_t busy = s.score(p, info(node("b"), {boundTo(pod("x", "2", "4Gi"), "b")}));
  EXPECT_EQ(empty, (75 + 87) / 2);
  EXPECT_GT(empty, busy);
  EXPECT_EQ(s.score(pod("p", "8", "16Gi"), info(node("a"))), 0);
}

TEST(BalancedAllocation, EqualCpuAndMemoryFractionsScoreHighest) {
  plugins::BalancedAllocation s;
  // 2 of 4 cpu and 4 of 8Gi: both half used.
  EXPECT_EQ(s.score(pod("p", "2", "4Gi"), info(node("a"))), 100);
  // 2 of 4 cpu and 1 of 8Gi: 0.5 against 0.125.
  EXPECT_EQ(s.score(pod("p", "2", "1Gi"), info(node("a"))), 81);
}

}  // namespace plugins_test
}  // namespace minik8s::scheduler
