// HorizontalPodAutoscalerController with the fake client, prefilled caches and a fake
// clock: fill the listers and the metrics, call sync(key), assert the recorded writes.
#include "controller/hpa.h"

#include <gtest/gtest.h>

#include "client/fake_client.h"
#include "controller/fixtures.h"

namespace minik8s::controller {
namespace hpa_test {

using nlohmann::json;
using testing::decoded;
using namespace std::chrono_literals;

json deploymentJson(int replicas) {
  return {{"apiVersion", "apps/v1"},
          {"kind", "Deployment"},
          {"metadata", {{"name", "web"}, {"namespace", "default"}}},
          {"spec",
           {{"replicas", replicas},
            {"selector", {{"matchLabels", {{"app", "web"}}}}},
            {"template",
             {{"metadata", {{"labels", {{"app", "web"}}}}},
              {"spec", {{"containers", {{{"name", "c"}, {"image", "nginx"}}}}}}}}}},
          {"status", {{"replicas", replicas}}}};
}

json hpaJson(const json& behavior = nullptr) {
  json hpa = {
      {"apiVersion", "autoscaling/v2"},
      {"kind", "HorizontalPodAutoscaler"},
      {"metadata",
       {{"name", "web"}, {"namespace", "default"}, {"uid", "hpa-uid"}, {"generation", 1}}},
      {"spec",
       {{"scaleTargetRef", {{"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"name", "web"}}},
        {"minReplicas", 1},
        {"maxReplicas", 10},
        {"metrics",
         {{{"type", "Resource"},
           {"resource",
            {{"name", "cpu"},
             {"target", {{"type", "Utilization"}, {"averageUtilization", 50}}}}}}}}}}};
  if (!behavior.is_null()) hpa["spec"]["behavior"] = behavior;
  return hpa;
}

// A running, long-ready pod of the Deployment requesting 500m cpu.
json runningPod(const std::string& name) {
  json pod = testing::podJson(name, "", "node-1", "Running", true);
  pod["status"]["startTime"] = "2026-01-01T00:00:00Z";
  pod["spec"]["containers"][0]["resources"] = {{"requests", {{"cpu", "500m"}}}};
  return pod;
}

class HpaControllerTest : public ::testing::Test {
 protected:
  HpaControllerTest() : client_(clock_), controller_(client_, hpas_, pods_, {}, clock_) {
    clock_.advance(1h);  // the pods are long past their cpu initialization period
  }

  void addHpa(const json& hpa) {
    client_.add(*hpas_resource_, hpa);
    refreshHpa();
  }
  // The cache shows the stored HPA, as the informer would after a status write.
  void refreshHpa() {
    hpas_.add(
        decoded<api::HorizontalPodAutoscaler>(*client_.object(*hpas_resource_, "default", "web")));
  }
  void addDeployment(int replicas) { client_.add(*deployments_, deploymentJson(replicas)); }
  void addPods(int n) {
    for (int i = 0; i < n; ++i) {
      json pod = runningPod("web-" + std::to_string(i));
      client_.add(*pods_resource_, pod);
      pods_.add(decoded<api::Pod>(pod));
    }
  }
  // Every pod uses `cpu` now.
  void setUsage(int n, const std::string& cpu) {
    for (int i = 0; i < n; ++i) {
      std::string name = "web-" + std::to_string(i);
      json item = {
          {"apiVersion", "metrics.k8s.io/v1beta1"},
          {"kind", "PodMetrics"},
          {"metadata", {{"name", name}, {"namespace", "default"}}},
          {"timestamp", formatRfc3339(clock_.now() - 10s)},
          {"window", "30s"},
          {"containers", {{{"name", "c"}, {"usage", {{"cpu", cpu}, {"memory", "10Mi"}}}}}}};
      client_.add(podMetricsResource(), item);
    }
  }
  std::vector<std::string> writes() const {
    std::vector<std::string> out;
    for (const auto& a : client_.writes()) {
      if (a.resource != "events") out.push_back(a.summary());
    }
    return out;
  }
  std::vector<std::pair<std::string, std::string>> events() const {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& a : client_.writes()) {
      if (a.resource == "events" && a.verb == "create") {
        out.push_back({a.object.value("reason", ""), a.object.value("message", "")});
      }
    }
    return out;
  }
  json status() const { return (*client_.object(*hpas_resource_, "default", "web"))["status"]; }
  static json conditionOf(const json& status, const std::string& type) {
    for (const auto& c : status.value("conditions", json::array())) {
      if (c.value("type", "") == type) return c;
    }
    return json();
  }
  void syncAndRefresh() {
    Status s = controller_.sync("default/web");
    EXPECT_TRUE(s.isOk()) << s.toString();
    refreshHpa();
  }
  int deploymentReplicas() const {
    return (*client_.object(*deployments_, "default", "web"))["spec"]["replicas"].get<int>();
  }

  FakeClock clock_;
  client::FakeClient client_;
  client::ObjectCache<api::HorizontalPodAutoscaler> hpas_;
  client::ObjectCache<api::Pod> pods_;
  HorizontalPodAutoscalerController controller_;
  const api::ResourceInfo* hpas_resource_ =
      api::findResource("autoscaling", "v2", "horizontalpodautoscalers");
  const api::ResourceInfo* deployments_ = api::findResource("apps", "v1", "deployments");
  const api::ResourceInfo* pods_resource_ = api::findResource("", "v1", "pods");
};

TEST_F(HpaControllerTest, ScalesTheTargetUpThroughScaleAndWritesStatusAndAnEvent) {
  addDeployment(2);
  addPods(2);
  setUsage(2, "500m");  // 100% of the request against a 50% target
  addHpa(hpaJson());
  ASSERT_TRUE(controller_.sync("default/web").isOk());

  EXPECT_EQ(writes(), (std::vector<std::string>{"patch deployments/scale",
                                                "update horizontalpodautoscalers/status"}));
  EXPECT_EQ(deploymentReplicas(), 4);
  json s = status();
  EXPECT_EQ(s["desiredReplicas"], 4);
  EXPECT_EQ(s["currentReplicas"], 2);
  EXPECT_EQ(s["lastScaleTime"], formatRfc3339(clock_.now()));
  EXPECT_EQ(s["currentMetrics"][0]["resource"]["name"], "cpu");
  EXPECT_EQ(s["currentMetrics"][0]["resource"]["current"]["averageUtilization"], 100);
  EXPECT_EQ(s["currentMetrics"][0]["resource"]["current"]["averageValue"], "500m");
  EXPECT_EQ(conditionOf(s, "AbleToScale")["reason"], "SucceededRescale");
  EXPECT_EQ(conditionOf(s, "ScalingActive")["reason"], "ValidMetricFound");
  EXPECT_EQ(conditionOf(s, "ScalingLimited")["reason"], "DesiredWithinRange");
  EXPECT_EQ(events(), (std::vector<std::pair<std::string, std::string>>{
                          {"SuccessfulRescale",
                           "New size: 4; reason: cpu resource utilization (percentage of "
                           "request) above target"}}));
}

TEST_F(HpaControllerTest, WithinToleranceWritesStatusOnceAndNeverTheScale) {
  addDeployment(2);
  addPods(2);
  setUsage(2, "260m");  // 52%
  addHpa(hpaJson());
  ASSERT_TRUE(controller_.sync("default/web").isOk());
  EXPECT_EQ(writes(), std::vector<std::string>{"update horizontalpodautoscalers/status"});
  EXPECT_EQ(status()["desiredReplicas"], 2);
  EXPECT_EQ(conditionOf(status(), "AbleToScale")["reason"], "ReadyForNewScale");
  refreshHpa();
  client_.clearActions();
  clock_.advance(15s);
  ASSERT_TRUE(controller_.sync("default/web").isOk());
  EXPECT_TRUE(writes().empty());  // nothing changed
}

TEST_F(HpaControllerTest, ScaleDownWaitsForTheStabilizationWindow) {
  addDeployment(4);
  addPods(4);
  setUsage(4, "250m");  // on target: recommends 4
  addHpa(hpaJson());
  syncAndRefresh();
  setUsage(4, "10m");  // recommends 1
  clock_.advance(60s);
  syncAndRefresh();
  EXPECT_EQ(deploymentReplicas(), 4);
  EXPECT_EQ(conditionOf(status(), "AbleToScale")["reason"], "ScaleDownStabilized");
  clock_.advance(239s);  // the 4 is 299 s old
  syncAndRefresh();
  EXPECT_EQ(deploymentReplicas(), 4);
  clock_.advance(2s);  // 301 s: only the 1s remain
  syncAndRefresh();
  EXPECT_EQ(deploymentReplicas(), 1);
  EXPECT_EQ(events().back().second, "New size: 1; reason: All metrics below target");
}

TEST_F(HpaControllerTest, BehaviorLimitsTheRate) {
  addDeployment(2);
  addPods(2);
  setUsage(2, "5000m");  // 1000%: wants 20
  json behavior = {
      {"scaleUp", {{"policies", {{{"type", "Pods"}, {"value", 1}, {"periodSeconds", 60}}}}}}};
  addHpa(hpaJson(behavior));
  ASSERT_TRUE(controller_.sync("default/web").isOk());
  EXPECT_EQ(deploymentReplicas(), 3);
  EXPECT_EQ(conditionOf(status(), "ScalingLimited")["reason"], "ScaleUpLimit");
  EXPECT_EQ(conditionOf(status(), "ScalingLimited")["status"], "True");
}

TEST_F(HpaControllerTest, MissingTargetIsAConditionAndAnEvent) {
  addHpa(hpaJson());
  ASSERT_TRUE(controller_.sync("default/web").isOk());
  EXPECT_EQ(writes(), std::vector<std::string>{"update horizontalpodautoscalers/status"});
  json able = conditionOf(status(), "AbleToScale");
  EXPECT_EQ(able["status"], "False");
  EXPECT_EQ(able["reason"], "FailedGetScale");
  ASSERT_EQ(events().size(), 1u);
  EXPECT_EQ(events()[0].first, "FailedGetScale");
}

TEST_F(HpaControllerTest, UnavailableMetricsLeaveTheScaleAlone) {
  addDeployment(2);
  addPods(2);
  addHpa(hpaJson());
  client_.failNext("list", "pods", Status(Code::kUnavailable, "metrics are not ready"));
  ASSERT_TRUE(controller_.sync("default/web").isOk());
  EXPECT_EQ(writes(), std::vector<std::string>{"update horizontalpodautoscalers/status"});
  json active = conditionOf(status(), "ScalingActive");
  EXPECT_EQ(active["status"], "False");
  EXPECT_EQ(active["reason"], "FailedGetResourceMetric");
  EXPECT_EQ(active["message"],
            "the HPA was unable to compute the replica count: failed to get cpu utilization: "
            "unable to get metrics for resource cpu: metrics are not ready");
  EXPECT_EQ(events()[0].first, "FailedGetResourceMetric");
}

TEST_F(HpaControllerTest, ReplicasAboveMaxComeDownWithoutMetrics) {
  addDeployment(12);
  addHpa(hpaJson());
  ASSERT_TRUE(controller_.sync("default/web").isOk());
  EXPECT_EQ(deploymentReplicas(), 10);
  EXPECT_EQ(events()[0].second,
            "New size: 10; reason: Current number of replicas above Spec.MaxReplicas");
  for (const auto& a : client_.actions()) EXPECT_NE(a.summary(), "list pods");  // no metrics read
}

TEST_F(HpaControllerTest, ParsesPodMetricsAndConvertsSpecs) {
  json list = {{"items",
                {{{"metadata", {{"name", "a"}}},
                  {"timestamp", "2026-01-01T00:00:00Z"},
                  {"window", "30s"},
                  {"containers", {{{"name", "c"}, {"usage", {{"cpu", "250m"}}}}}}},
                 {{"metadata", {{"name", "bad"}}}, {"timestamp", "yesterday"}},
                 {{"metadata", "not an object"}, {"timestamp", 5}},
                 {{"metadata", {{"name", "c"}}},
                  {"timestamp", "2026-01-01T00:00:00Z"},
                  {"containers", {{{"name", 7}, {"usage", {{"cpu", "1"}}}}}}}}}};
  auto usage = parsePodMetrics(list);
  ASSERT_EQ(usage.size(), 1u);
  EXPECT_EQ(usage[0].window, 30s);
  EXPECT_EQ(usage[0].containers[0].second.at("cpu").milliValue(), 250);
  EXPECT_TRUE(parsePodMetrics(json::array()).empty());

  auto hpa =
      decoded<api::HorizontalPodAutoscaler>(hpaJson({{"scaleDown", {{"selectPolicy", "Min"}}}}));
  auto behavior = behaviorOf(hpa.spec);
  ASSERT_TRUE(behavior.has_value());
  EXPECT_EQ(behavior->scale_down.select_policy, "Min");
  EXPECT_EQ(behavior->scale_down.stabilization_window_seconds, 300);
  EXPECT_EQ(behavior->scale_up.policies.size(), 2u);
  auto metrics = metricsOf(hpa.spec);
  ASSERT_EQ(metrics.size(), 1u);
  EXPECT_EQ(metrics[0].resource, "cpu");
  EXPECT_EQ(metrics[0].average_utilization, 50);
  EXPECT_FALSE(behaviorOf(decoded<api::HorizontalPodAutoscaler>(hpaJson()).spec).has_value());
}

}  // namespace hpa_test
}  // namespace minik8s::controller
