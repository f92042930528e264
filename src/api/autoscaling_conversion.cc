#include "api/autoscaling_conversion.h"

#include <cctype>
#include <nlohmann/json.hpp>

#include "api/codec.h"
#include "api/json_input.h"

namespace minik8s::api {
namespace {

using nlohmann::json;

const json& field(const json& object, const char* key) {
  static const json kNull;
  if (!object.is_object()) return kNull;
  auto it = object.find(key);
  return it == object.end() ? kNull : *it;
}

// Copies object[from] to out[to] when it is set.
void copyIfSet(const json& object, const char* from, json& out, const char* to) {
  const json& value = field(object, from);
  if (!value.is_null()) out[to] = value;
}

bool isCpuUtilization(const MetricSpec& m) {
  return m.type == "Resource" && m.resource && m.resource->name == "cpu" &&
         m.resource->target.average_utilization.has_value();
}

// --- spec.metrics: v2 MetricSpec <-> v1 (v2beta1-shaped) MetricSpec, as JSON -----------

// {name, target:{averageUtilization, averageValue}} -> {name, targetAverageUtilization, ...}
json resourceSourceToV1(const json& source) {
  json out = {{"name", field(source, "name")}};
  copyIfSet(source, "container", out, "container");
  const json& target = field(source, "target");
  copyIfSet(target, "averageUtilization", out, "targetAverageUtilization");
  copyIfSet(target, "averageValue", out, "targetAverageValue");
  return out;
}

json resourceSourceFromV1(const json& source) {
  json out = {{"name", field(source, "name")}};
  copyIfSet(source, "container", out, "container");
  json target = {{"type", field(source, "targetAverageUtilization").is_null() ? "AverageValue"
                                                                               : "Utilization"}};
  copyIfSet(source, "targetAverageUtilization", target, "averageUtilization");
  copyIfSet(source, "targetAverageValue", target, "averageValue");
  out["target"] = std::move(target);
  return out;
}

json metricSpecToV1(const json& m) {
  std::string type = field(m, "type").is_string() ? m["type"].get<std::string>() : "";
  json out = {{"type", type}};
  if (type == "Resource") {
    out["resource"] = resourceSourceToV1(field(m, "resource"));
  } else if (type == "ContainerResource") {
    out["containerResource"] = resourceSourceToV1(field(m, "containerResource"));
  } else if (type == "Pods") {
    const json& pods = field(m, "pods");
    json v1 = json::object();
    copyIfSet(field(pods, "metric"), "name", v1, "metricName");
    copyIfSet(field(pods, "metric"), "selector", v1, "selector");
    copyIfSet(field(pods, "target"), "averageValue", v1, "targetAverageValue");
    out["pods"] = std::move(v1);
  } else if (type == "Object") {
    const json& object = field(m, "object");
    json v1 = json::object();
    copyIfSet(object, "describedObject", v1, "target");
    copyIfSet(field(object, "metric"), "name", v1, "metricName");
    copyIfSet(field(object, "metric"), "selector", v1, "selector");
    copyIfSet(field(object, "target"), "value", v1, "targetValue");
    copyIfSet(field(object, "target"), "averageValue", v1, "averageValue");
    out["object"] = std::move(v1);
  } else if (type == "External") {
    const json& external = field(m, "external");
    json v1 = json::object();
    copyIfSet(field(external, "metric"), "name", v1, "metricName");
    copyIfSet(field(external, "metric"), "selector", v1, "metricSelector");
    copyIfSet(field(external, "target"), "value", v1, "targetValue");
    copyIfSet(field(external, "target"), "averageValue", v1, "targetAverageValue");
    out["external"] = std::move(v1);
  }
  return out;
}

json metricSpecFromV1(const json& m) {
  std::string type = field(m, "type").is_string() ? m["type"].get<std::string>() : "";
  json out = {{"type", type}};
  if (type == "Resource") {
    out["resource"] = resourceSourceFromV1(field(m, "resource"));
  } else if (type == "ContainerResource") {
    out["containerResource"] = resourceSourceFromV1(field(m, "containerResource"));
  } else if (type == "Pods") {
    const json& pods = field(m, "pods");
    json metric = json::object(), target = {{"type", "AverageValue"}};
    copyIfSet(pods, "metricName", metric, "name");
    copyIfSet(pods, "selector", metric, "selector");
    copyIfSet(pods, "targetAverageValue", target, "averageValue");
    out["pods"] = {{"metric", metric}, {"target", target}};
  } else if (type == "Object") {
    const json& object = field(m, "object");
    json metric = json::object();
    json target = {{"type", field(object, "averageValue").is_null() ? "Value" : "AverageValue"}};
    copyIfSet(object, "metricName", metric, "name");
    copyIfSet(object, "selector", metric, "selector");
    copyIfSet(object, "targetValue", target, "value");
    copyIfSet(object, "averageValue", target, "averageValue");
    json v2 = {{"metric", metric}, {"target", target}};
    copyIfSet(object, "target", v2, "describedObject");
    out["object"] = std::move(v2);
  } else if (type == "External") {
    const json& external = field(m, "external");
    json metric = json::object();
    json target = {{"type", field(external, "targetValue").is_null() ? "AverageValue" : "Value"}};
    copyIfSet(external, "metricName", metric, "name");
    copyIfSet(external, "metricSelector", metric, "selector");
    copyIfSet(external, "targetValue", target, "value");
    copyIfSet(external, "targetAverageValue", target, "averageValue");
    out["external"] = {{"metric", metric}, {"target", target}};
  }
  return out;
}

// --- status.currentMetrics: v2 MetricStatus <-> v1 MetricStatus, as JSON ---------------
// Resource and ContainerResource have v1 shapes; Pods, Object and External (which no
// metrics API of ours reports) keep their v2 shape.

json resourceStatusToV1(const json& status) {
  json out = {{"name", field(status, "name")}};
  copyIfSet(status, "container", out, "container");
  const json& current = field(status, "current");
  copyIfSet(current, "averageUtilization", out, "currentAverageUtilization");
  out["currentAverageValue"] =
      field(current, "averageValue").is_null() ? json("0") : current["averageValue"];
  return out;
}

json resourceStatusFromV1(const json& status) {
  json out = {{"name", field(status, "name")}};
  copyIfSet(status, "container", out, "container");
  json current = json::object();
  copyIfSet(status, "currentAverageUtilization", current, "averageUtilization");
  copyIfSet(status, "currentAverageValue", current, "averageValue");
  out["current"] = std::move(current);
  return out;
}

json metricStatusToV1(const json& m) {
  json out = m;
  std::string type = field(m, "type").is_string() ? m["type"].get<std::string>() : "";
  if (type == "Resource") out["resource"] = resourceStatusToV1(field(m, "resource"));
  if (type == "ContainerResource") {
    out["containerResource"] = resourceStatusToV1(field(m, "containerResource"));
  }
  return out;
}

json metricStatusFromV1(const json& m) {
  json out = m;
  std::string type = field(m, "type").is_string() ? m["type"].get<std::string>() : "";
  if (type == "Resource") out["resource"] = resourceStatusFromV1(field(m, "resource"));
  if (type == "ContainerResource") {
    out["containerResource"] = resourceStatusFromV1(field(m, "containerResource"));
  }
  return out;
}

// --- spec.behavior: Kubernetes marshals its internal type, whose JSON keys are Go's field
// names ("ScaleUp", "StabilizationWindowSeconds"); Go reads keys case-insensitively.

json withKeyCase(const json& value, bool upper) {
  if (value.is_array()) {
    json out = json::array();
    for (const json& v : value) out.push_back(withKeyCase(v, upper));
    return out;
  }
  if (!value.is_object()) return value;
  json out = json::object();
  for (const auto& [key, v] : value.items()) {
    std::string k = key;
    if (!k.empty()) {
      k[0] = static_cast<char>(upper ? std::toupper(static_cast<unsigned char>(k[0]))
                                     : std::tolower(static_cast<unsigned char>(k[0])));
    }
    out[k] = withKeyCase(v, upper);
  }
  return out;
}

// The annotation's JSON array, each element converted by `convert`, then decoded as T.
template <typename T>
Result<std::vector<T>> decodeAnnotationList(const std::string& text, std::string_view name,
                                            json (*convert)(const json&)) {
  auto parsed = parseJson(text);
  if (!parsed.isOk() || !parsed->is_array()) {
    return badRequest("annotation " + std::string(name) + ": expected a JSON array");
  }
  std::vector<T> out;
  for (const json& item : *parsed) {
    T value{};
    Status s = fromJson(convert ? convert(item) : item, value);
    if (!s.isOk()) return badRequest("annotation " + std::string(name) + ": " + s.message());
    out.push_back(std::move(value));
  }
  return out;
}

void dropRoundTripAnnotations(StringMap& annotations) {
  for (std::string_view key : {kMetricSpecsAnnotation, kMetricStatusesAnnotation,
                               kConditionsAnnotation, kBehaviorAnnotation}) {
    annotations.erase(std::string(key));
  }
}

}  // namespace

HorizontalPodAutoscalerV1 toAutoscalingV1(const HorizontalPodAutoscaler& hpa) {
  HorizontalPodAutoscalerV1 out;
  out.api_version = "autoscaling/v1";
  out.kind = "HorizontalPodAutoscaler";
  out.metadata = hpa.metadata;
  StringMap& annotations = out.metadata.annotations;
  dropRoundTripAnnotations(annotations);

  out.spec.scale_target_ref = hpa.spec.scale_target_ref;
  out.spec.min_replicas = hpa.spec.min_replicas;
  out.spec.max_replicas = hpa.spec.max_replicas;
  json other_metrics = json::array();
  bool cpu_seen = false;
  for (const MetricSpec& m : hpa.spec.metrics) {
    if (isCpuUtilization(m) && !cpu_seen) {
      out.spec.target_cpu_utilization_percentage = m.resource->target.average_utilization;
      cpu_seen = true;
      continue;
    }
    other_metrics.push_back(metricSpecToV1(toJson(m)));
  }
  if (!other_metrics.empty()) {
    annotations[std::string(kMetricSpecsAnnotation)] = other_metrics.dump();
  }
  if (hpa.spec.behavior) {
    annotations[std::string(kBehaviorAnnotation)] =
        withKeyCase(toJson(*hpa.spec.behavior), /*upper=*/true).dump();
  }

  const HorizontalPodAutoscalerStatus& status = hpa.status;
  out.status.observed_generation = status.observed_generation;
  out.status.last_scale_time = status.last_scale_time;
  out.status.current_replicas = status.current_replicas;
  out.status.desired_replicas = status.desired_replicas;
  json current_metrics = json::array();
  for (const MetricStatus& m : status.current_metrics) {
    if (m.type == "Resource" && m.resource && m.resource->name == "cpu" &&
        m.resource->current.average_utilization) {
      out.status.current_cpu_utilization_percentage = m.resource->current.average_utilization;
    }
    current_metrics.push_back(metricStatusToV1(toJson(m)));
  }
  if (!current_metrics.empty()) {
    annotations[std::string(kMetricStatusesAnnotation)] = current_metrics.dump();
  }
  if (!status.conditions.empty()) {
    json conditions = json::array();
    for (const Condition& c : status.conditions) conditions.push_back(toJson(c));
    annotations[std::string(kConditionsAnnotation)] = conditions.dump();
  }
  return out;
}

Result<HorizontalPodAutoscaler> fromAutoscalingV1(const HorizontalPodAutoscalerV1& hpa) {
  HorizontalPodAutoscaler out;
  out.api_version = "autoscaling/v2";
  out.kind = "HorizontalPodAutoscaler";
  out.metadata = hpa.metadata;
  const StringMap& annotations = hpa.metadata.annotations;
  auto annotation = [&](std::string_view key) -> const std::string* {
    auto it = annotations.find(std::string(key));
    return it == annotations.end() ? nullptr : &it->second;
  };

  out.spec.scale_target_ref = hpa.spec.scale_target_ref;
  out.spec.min_replicas = hpa.spec.min_replicas;
  out.spec.max_replicas = hpa.spec.max_replicas;
  if (const std::string* text = annotation(kMetricSpecsAnnotation)) {
    ASSIGN_OR_RETURN(out.spec.metrics, decodeAnnotationList<MetricSpec>(
                                           *text, kMetricSpecsAnnotation, &metricSpecFromV1));
  }
  // The CPU target goes after the other metrics, where Kubernetes puts it.
  auto cpuMetric = [](int32_t utilization) {
    MetricSpec cpu;
    cpu.type = "Resource";
    cpu.resource = ResourceMetricSource{"cpu", {"Utilization", {}, {}, utilization}};
    return cpu;
  };
  if (hpa.spec.target_cpu_utilization_percentage) {
    out.spec.metrics.push_back(cpuMetric(*hpa.spec.target_cpu_utilization_percentage));
  }
  if (out.spec.metrics.empty()) out.spec.metrics.push_back(cpuMetric(kDefaultCpuUtilization));
  if (const std::string* text = annotation(kBehaviorAnnotation)) {
    auto parsed = parseJson(*text);
    HorizontalPodAutoscalerBehavior behavior;
    if (parsed.isOk() && parsed->is_object() &&
        fromJson(withKeyCase(*parsed, /*upper=*/false), behavior).isOk() &&
        (behavior.scale_up || behavior.scale_down)) {
      out.spec.behavior = std::move(behavior);
    }
  }

  const HorizontalPodAutoscalerStatusV1& status = hpa.status;
  out.status.observed_generation = status.observed_generation;
  out.status.last_scale_time = status.last_scale_time;
  out.status.current_replicas = status.current_replicas;
  out.status.desired_replicas = status.desired_replicas;
  if (const std::string* text = annotation(kMetricStatusesAnnotation)) {
    // The annotation has more than currentCPUUtilizationPercentage: it wins.
    ASSIGN_OR_RETURN(out.status.current_metrics,
                     decodeAnnotationList<MetricStatus>(*text, kMetricStatusesAnnotation,
                                                        &metricStatusFromV1));
  } else if (status.current_cpu_utilization_percentage) {
    MetricStatus cpu;
    cpu.type = "Resource";
    cpu.resource = ResourceMetricStatus{"cpu", {}};
    cpu.resource->current.average_utilization = status.current_cpu_utilization_percentage;
    out.status.current_metrics.push_back(std::move(cpu));
  }
  if (const std::string* text = annotation(kConditionsAnnotation)) {
    ASSIGN_OR_RETURN(out.status.conditions,
                     decodeAnnotationList<Condition>(*text, kConditionsAnnotation, nullptr));
  }
  dropRoundTripAnnotations(out.metadata.annotations);
  return out;
}

}  // namespace minik8s::api
