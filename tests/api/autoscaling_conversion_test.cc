#include "api/autoscaling_conversion.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/codec.h"
#include "api/defaults.h"
#include "api/scheme.h"

namespace minik8s::api {
namespace autoscaling_conversion_test {

using nlohmann::json;

MetricSpec cpuUtilization(int32_t percent) {
  MetricSpec m;
  m.type = "Resource";
  m.resource = ResourceMetricSource{"cpu", {"Utilization", {}, {}, percent}};
  return m;
}

MetricSpec memoryAverage(const char* value) {
  MetricSpec m;
  m.type = "Resource";
  m.resource = ResourceMetricSource{"memory", {"AverageValue", {}, *Quantity::parse(value), {}}};
  return m;
}

// A v2 HPA with everything v1 has no field for: a memory metric, behavior, current
// metrics and conditions.
HorizontalPodAutoscaler fullV2() {
  HorizontalPodAutoscaler hpa;
  hpa.api_version = "autoscaling/v2";
  hpa.kind = "HorizontalPodAutoscaler";
  hpa.metadata.name = "web";
  hpa.metadata.namespace_ = "default";
  hpa.metadata.annotations["team"] = "a";
  hpa.spec.scale_target_ref = {"Deployment", "web", "apps/v1"};
  hpa.spec.min_replicas = 2;
  hpa.spec.max_replicas = 5;
  hpa.spec.metrics = {memoryAverage("100Mi"), cpuUtilization(50)};
  hpa.spec.behavior.emplace();
  hpa.spec.behavior->scale_down.emplace();
  hpa.spec.behavior->scale_down->stabilization_window_seconds = 10;
  setDefaults(hpa);
  MetricStatus cpu;
  cpu.type = "Resource";
  cpu.resource = ResourceMetricStatus{"cpu", {}};
  cpu.resource->current.average_utilization = 35;
  cpu.resource->current.average_value = *Quantity::parse("105m");
  hpa.status.current_metrics = {cpu};
  hpa.status.current_replicas = 3;
  hpa.status.desired_replicas = 4;
  hpa.status.observed_generation = 2;
  hpa.status.conditions.push_back({"AbleToScale", "True", "", "", "", "2026-12-06T22:00:00Z",
                                   "ReadyForNewScale", "recommended size matches"});
  return hpa;
}

// The object as it goes over the wire and back.
template <typename T>
T wire(const T& value) {
  return *decode<T>(json::parse(toJson(value).dump()));
}

TEST(AutoscalingConversion, V2ToV1MapsTheCpuTargetAndKeepsTheRestInAnnotations) {
  HorizontalPodAutoscalerV1 v1 = toAutoscalingV1(fullV2());
  EXPECT_EQ(v1.api_version, "autoscaling/v1");
  EXPECT_EQ(v1.spec.target_cpu_utilization_percentage, 50);
  EXPECT_EQ(v1.spec.min_replicas, 2);
  EXPECT_EQ(v1.spec.max_replicas, 5);
  EXPECT_EQ(v1.status.current_cpu_utilization_percentage, 35);
  EXPECT_EQ(v1.status.desired_replicas, 4);
  const auto& a = v1.metadata.annotations;
  EXPECT_EQ(a.at("team"), "a");
  EXPECT_EQ(json::parse(a.at(std::string(kMetricSpecsAnnotation))),
            json::parse(R"([{"type":"Resource","resource":{"name":"memory",
                            "targetAverageValue":"100Mi"}}])"));
  EXPECT_EQ(json::parse(a.at(std::string(kMetricStatusesAnnotation))),
            json::parse(R"([{"type":"Resource","resource":{"name":"cpu",
                            "currentAverageUtilization":35,"currentAverageValue":"105m"}}])"));
  json behavior = json::parse(a.at(std::string(kBehaviorAnnotation)));
  EXPECT_EQ(behavior["ScaleDown"]["StabilizationWindowSeconds"], 10);
  EXPECT_EQ(behavior["ScaleUp"]["Policies"][0]["PeriodSeconds"], 15);
  json conditions = json::parse(a.at(std::string(kConditionsAnnotation)));
  EXPECT_EQ(conditions[0]["type"], "AbleToScale");
  EXPECT_EQ(conditions[0]["reason"], "ReadyForNewScale");
}

TEST(AutoscalingConversion, V2WithOnlyTheCpuTargetNeedsNoAnnotation) {
  HorizontalPodAutoscaler hpa;
  hpa.spec.scale_target_ref = {"Deployment", "web", "apps/v1"};
  hpa.spec.max_replicas = 4;
  hpa.spec.metrics = {cpuUtilization(50)};
  HorizontalPodAutoscalerV1 v1 = toAutoscalingV1(hpa);
  EXPECT_EQ(v1.spec.target_cpu_utilization_percentage, 50);
  EXPECT_TRUE(v1.metadata.annotations.empty());
  EXPECT_FALSE(v1.status.current_cpu_utilization_percentage.has_value());
}

TEST(AutoscalingConversion, V1ToV2TurnsTheCpuTargetIntoAResourceMetric) {
  HorizontalPodAutoscalerV1 v1;
  v1.spec.scale_target_ref = {"Deployment", "web", "apps/v1"};
  v1.spec.max_replicas = 4;
  v1.spec.target_cpu_utilization_percentage = 50;
  v1.status.current_cpu_utilization_percentage = 20;
  auto v2 = fromAutoscalingV1(v1);
  ASSERT_TRUE(v2.isOk()) << v2.status().message();
  EXPECT_EQ(v2->api_version, "autoscaling/v2");
  ASSERT_EQ(v2->spec.metrics.size(), 1u);
  EXPECT_EQ(toJson(v2->spec.metrics[0]), toJson(cpuUtilization(50)));
  ASSERT_EQ(v2->status.current_metrics.size(), 1u);
  EXPECT_EQ(v2->status.current_metrics[0].resource->current.average_utilization, 20);
  EXPECT_FALSE(v2->spec.behavior.has_value());
}

TEST(AutoscalingConversion, V1WithoutATargetGetsTheDefaultCpuTarget) {
  HorizontalPodAutoscalerV1 v1;
  v1.spec.scale_target_ref = {"Deployment", "web", "apps/v1"};
  v1.spec.max_replicas = 4;
  auto v2 = fromAutoscalingV1(v1);
  ASSERT_TRUE(v2.isOk());
  ASSERT_EQ(v2->spec.metrics.size(), 1u);
  EXPECT_EQ(toJson(v2->spec.metrics[0]), toJson(cpuUtilization(kDefaultCpuUtilization)));
}

TEST(AutoscalingConversion, V2ToV1ToV2KeepsEveryV2OnlyField) {
  HorizontalPodAutoscaler original = fullV2();
  auto back = fromAutoscalingV1(wire(toAutoscalingV1(original)));
  ASSERT_TRUE(back.isOk()) << back.status().message();
  // Kubernetes puts the CPU target after the other metrics; fullV2 lists it last already.
  EXPECT_EQ(toJson(*back), toJson(original));
  EXPECT_FALSE(back->metadata.annotations.contains(std::string(kMetricSpecsAnnotation)));
  EXPECT_EQ(back->metadata.annotations.at("team"), "a");
}

TEST(AutoscalingConversion, ContainerResourceAndPodsMetricsRoundTrip) {
  HorizontalPodAutoscaler hpa;
  hpa.api_version = "autoscaling/v2";
  hpa.kind = "HorizontalPodAutoscaler";
  hpa.spec.scale_target_ref = {"Deployment", "web", "apps/v1"};
  hpa.spec.max_replicas = 4;
  MetricSpec container;
  container.type = "ContainerResource";
  container.container_resource =
      ContainerResourceMetricSource{"cpu", {"Utilization", {}, {}, 60}, "app"};
  MetricSpec pods;
  pods.type = "Pods";
  pods.pods = RawJson(json::parse(
      R"({"metric":{"name":"qps"},"target":{"type":"AverageValue","averageValue":"10"}})"));
  hpa.spec.metrics = {container, pods};
  HorizontalPodAutoscalerV1 v1 = toAutoscalingV1(hpa);
  EXPECT_FALSE(v1.spec.target_cpu_utilization_percentage.has_value());
  json annotated = json::parse(v1.metadata.annotations.at(std::string(kMetricSpecsAnnotation)));
  EXPECT_EQ(annotated[0]["containerResource"]["targetAverageUtilization"], 60);
  EXPECT_EQ(annotated[0]["containerResource"]["container"], "app");
  EXPECT_EQ(annotated[1]["pods"], json::parse(R"({"metricName":"qps","targetAverageValue":"10"})"));
  auto back = fromAutoscalingV1(wire(v1));
  ASSERT_TRUE(back.isOk()) << back.status().message();
  EXPECT_EQ(toJson(*back), toJson(hpa));
}

TEST(AutoscalingConversion, StaleRoundTripAnnotationsOnV2AreReplaced) {
  HorizontalPodAutoscaler hpa = fullV2();
  hpa.spec.behavior.reset();
  hpa.metadata.annotations[std::string(kBehaviorAnnotation)] = "{\"ScaleUp\":null}";
  HorizontalPodAutoscalerV1 v1 = toAutoscalingV1(hpa);
  EXPECT_FALSE(v1.metadata.annotations.contains(std::string(kBehaviorAnnotation)));
}

TEST(AutoscalingConversion, MalformedMetricsAnnotationIsABadRequest) {
  HorizontalPodAutoscalerV1 v1;
  v1.spec.max_replicas = 4;
  v1.metadata.annotations[std::string(kMetricSpecsAnnotation)] = "{not json";
  auto v2 = fromAutoscalingV1(v1);
  ASSERT_FALSE(v2.isOk());
  EXPECT_EQ(v2.status().code(), Code::kBadRequest);
  EXPECT_NE(v2.status().message().find(std::string(kMetricSpecsAnnotation)), std::string::npos);

  v1.metadata.annotations.clear();
  v1.metadata.annotations[std::string(kConditionsAnnotation)] = R"([{"type":5}])";
  EXPECT_EQ(fromAutoscalingV1(v1).status().code(), Code::kBadRequest);
}

TEST(AutoscalingConversion, MalformedBehaviorAnnotationIsIgnoredAndDropped) {
  HorizontalPodAutoscalerV1 v1;
  v1.spec.max_replicas = 4;
  v1.metadata.annotations[std::string(kBehaviorAnnotation)] = "[1,2]";
  auto v2 = fromAutoscalingV1(v1);
  ASSERT_TRUE(v2.isOk());
  EXPECT_FALSE(v2->spec.behavior.has_value());
  EXPECT_TRUE(v2->metadata.annotations.empty());
}

TEST(AutoscalingConversion, BehaviorAnnotationIsReadInEitherKeyCase) {
  HorizontalPodAutoscalerV1 v1;
  v1.spec.max_replicas = 4;
  v1.metadata.annotations[std::string(kBehaviorAnnotation)] =
      R"({"scaleDown":{"stabilizationWindowSeconds":30}})";
  auto v2 = fromAutoscalingV1(v1);
  ASSERT_TRUE(v2.isOk());
  ASSERT_TRUE(v2->spec.behavior && v2->spec.behavior->scale_down);
  EXPECT_EQ(v2->spec.behavior->scale_down->stabilization_window_seconds, 30);
}

// --- the scheme's view ---------------------------------------------------------------

TEST(AutoscalingV1View, IsServedAfterV2AndStoredAsV2) {
  const ResourceInfo* v1 = findResource("autoscaling", "v1", "horizontalpodautoscalers");
  ASSERT_NE(v1, nullptr);
  EXPECT_TRUE(v1->isView());
  EXPECT_EQ(storageResource(*v1).version, "v2");
  EXPECT_EQ(findResourceByKind("autoscaling/v1", "HorizontalPodAutoscaler"), v1);
  std::vector<std::string> versions;
  for (const ResourceInfo& r : servedResources()) {
    if (r.plural == "horizontalpodautoscalers") versions.push_back(r.version);
  }
  EXPECT_EQ(versions, (std::vector<std::string>{"v2", "v1"}));
  for (const ResourceInfo& r : allResources()) EXPECT_FALSE(r.isView()) << r.qualifiedName();
  EXPECT_EQ(resolveResource("hpa")->version, "v2");
}

TEST(AutoscalingV1View, NormalizeTurnsAV1BodyIntoTheStoredV2Object) {
  const ResourceInfo& v1 = *findResource("autoscaling", "v1", "horizontalpodautoscalers");
  json body = json::parse(R"({"apiVersion":"autoscaling/v1","kind":"HorizontalPodAutoscaler",
    "metadata":{"name":"web"},"spec":{"scaleTargetRef":{"kind":"Deployment","name":"web",
    "apiVersion":"apps/v1"},"maxReplicas":4,"targetCPUUtilizationPercentage":50,"bogus":1}})");
  std::vector<std::string> unknown;
  ASSERT_TRUE(normalize(v1, body, &unknown).isOk());
  EXPECT_EQ(unknown, (std::vector<std::string>{"spec.bogus"}));
  EXPECT_EQ(body["apiVersion"], "autoscaling/v2");
  EXPECT_EQ(body["spec"]["minReplicas"], 1);
  EXPECT_EQ(body["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"], 50);
  EXPECT_TRUE(validate(v1, body, nullptr).empty());

  ASSERT_TRUE(convertFromStorage(v1, body).isOk());
  EXPECT_EQ(body["apiVersion"], "autoscaling/v1");
  EXPECT_EQ(body["spec"]["targetCPUUtilizationPercentage"], 50);
  EXPECT_FALSE(body["spec"].contains("metrics"));
}

TEST(AutoscalingV1View, InvalidV1BodiesAreErrorsNotCrashes) {
  const ResourceInfo& v1 = *findResource("autoscaling", "v1", "horizontalpodautoscalers");
  json wrong_type = json::parse(R"({"spec":{"targetCPUUtilizationPercentage":"fifty"}})");
  EXPECT_EQ(normalize(v1, wrong_type, nullptr).code(), Code::kBadRequest);
  json bad_annotation = json::parse(R"({"metadata":{"name":"x","annotations":{
      "autoscaling.alpha.kubernetes.io/metrics":"nope"}},"spec":{"maxReplicas":1}})");
  EXPECT_EQ(normalize(v1, bad_annotation, nullptr).code(), Code::kBadRequest);
  json v2_body = json::parse(R"({"apiVersion":"autoscaling/v2"})");
  EXPECT_EQ(normalize(v1, v2_body, nullptr).code(), Code::kBadRequest);
  json no_max = json::parse(R"({"metadata":{"name":"x"},"spec":{"scaleTargetRef":{
      "kind":"Deployment","name":"web"}}})");
  ASSERT_TRUE(normalize(v1, no_max, nullptr).isOk());
  EXPECT_FALSE(validate(v1, no_max, nullptr).empty());
}

}  // namespace autoscaling_conversion_test
}  // namespace minik8s::api
