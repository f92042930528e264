#include "controller/hpa.h"

#include <set>

#include "api/codec.h"
#include "api/selector.h"
#include "common/duration.h"
#include "common/log.h"
#include "controller/pod_util.h"

namespace minik8s::controller {

using nlohmann::json;

namespace {

constexpr char kComponent[] = "horizontal-pod-autoscaler";

api::Condition conditionFor(const HpaCondition& c,
                            const std::vector<api::Condition>& old_conditions,
                            Clock::WallTime now) {
  api::Condition out;
  out.type = c.type;
  out.status = c.status;
  out.reason = c.reason;
  out.message = c.message;
  out.last_transition_time = formatRfc3339(now);
  for (const auto& old : old_conditions) {
    if (old.type == c.type && old.status == c.status && !old.last_transition_time.empty()) {
      out.last_transition_time = old.last_transition_time;
    }
  }
  return out;
}

api::MetricStatus metricStatusFor(const HpaMetricStatus& m) {
  api::MetricStatus out;
  if (m.type.empty()) return out;  // the metric could not be computed
  api::MetricValueStatus current;
  current.average_utilization = m.average_utilization;
  current.average_value = api::Quantity::fromMilli(m.average_milli);
  out.type = m.type;
  if (m.type == "ContainerResource") {
    out.container_resource = api::ContainerResourceMetricStatus{m.resource, current, m.container};
  } else {
    out.resource = api::ResourceMetricStatus{m.resource, current};
  }
  return out;
}

// Sets `conditions` into `status`, keeping those the decision did not mention.
void mergeConditions(api::HorizontalPodAutoscalerStatus& status,
                     const std::vector<HpaCondition>& conditions,
                     const std::vector<api::Condition>& old_conditions, Clock::WallTime now) {
  for (const auto& c : conditions) {
    api::Condition updated = conditionFor(c, old_conditions, now);
    bool found = false;
    for (auto& existing : status.conditions) {
      if (existing.type == c.type) {
        existing = updated;
        found = true;
      }
    }
    if (!found) status.conditions.push_back(updated);
  }
}

}  // namespace

const api::ResourceInfo& podMetricsResource() {
  static const api::ResourceInfo resource = [] {
    api::ResourceInfo r;
    r.group = "metrics.k8s.io";
    r.version = "v1beta1";
    r.kind = "PodMetrics";
    r.plural = "pods";
    r.namespaced = true;
    r.verbs = {"get", "list"};
    return r;
  }();
  return resource;
}

std::vector<HpaPodUsage> parsePodMetrics(const json& list) {
  std::vector<HpaPodUsage> out;
  if (!list.is_object() || !list.contains("items") || !list["items"].is_array()) return out;
  for (const auto& item : list["items"]) {
    if (!item.is_object()) continue;
    try {
      HpaPodUsage usage;
      usage.name = item.value("metadata", json::object()).value("name", "");
      if (usage.name.empty()) continue;
      if (!parseRfc3339(item.value("timestamp", ""), &usage.timestamp)) continue;
      auto window = parseDuration(item.value("window", "0s"));
      if (window.isOk()) {
        usage.window = std::chrono::duration_cast<std::chrono::seconds>(*window);
      }
      bool valid = true;
      const json containers = item.value("containers", json::array());
      for (const auto& c : containers) {
        if (!c.is_object()) continue;
        api::ResourceList resources;
        const json usage_of = c.value("usage", json::object());
        for (const auto& [name, value] : usage_of.items()) {
          if (!value.is_string()) continue;
          auto quantity = api::Quantity::parse(value.get<std::string>());
          if (!quantity.isOk()) {
            valid = false;
            break;
          }
          resources[name] = *quantity;
        }
        usage.containers.push_back({c.value("name", ""), std::move(resources)});
      }
      if (valid) out.push_back(std::move(usage));
    } catch (const json::exception&) {
      continue;  // a field of the wrong type: not a usable sample
    }
  }
  return out;
}

std::optional<HpaBehavior> behaviorOf(const api::HorizontalPodAutoscalerSpec& spec) {
  if (!spec.behavior) return std::nullopt;
  auto rules = [](const std::optional<api::HPAScalingRules>& in, HpaScalingRules defaults) {
    if (!in) return defaults;
    HpaScalingRules out = defaults;
    if (in->stabilization_window_seconds) {
      out.stabilization_window_seconds = *in->stabilization_window_seconds;
    }
    if (in->select_policy) out.select_policy = *in->select_policy;
    if (!in->policies.empty()) {
      out.policies.clear();
      for (const auto& p : in->policies)
        out.policies.push_back({p.type, p.value, p.period_seconds});
    }
    return out;
  };
  return HpaBehavior{rules(spec.behavior->scale_up, defaultScaleUpRules()),
                     rules(spec.behavior->scale_down, defaultScaleDownRules())};
}

std::vector<HpaMetric> metricsOf(const api::HorizontalPodAutoscalerSpec& spec) {
  std::vector<HpaMetric> out;
  for (const auto& m : spec.metrics) {
    HpaMetric metric;
    metric.type = m.type;
    const api::MetricTarget* target = nullptr;
    if (m.type == "Resource" && m.resource) {
      metric.resource = m.resource->name;
      target = &m.resource->target;
    } else if (m.type == "ContainerResource" && m.container_resource) {
      metric.resource = m.container_resource->name;
      metric.container = m.container_resource->container;
      target = &m.container_resource->target;
    }
    if (target != nullptr) {
      metric.target_type = target->type;
      metric.average_utilization = target->average_utilization.value_or(0);
      metric.average_milli =
          target->average_value.isValid() ? target->average_value.milliValue() : 0;
    }
    out.push_back(std::move(metric));
  }
  return out;
}

HorizontalPodAutoscalerController::HorizontalPodAutoscalerController(
    client::Client& client, const client::ObjectCache<api::HorizontalPodAutoscaler>& hpas,
    const client::ObjectCache<api::Pod>& pods, HpaControllerOptions options, Clock& clock)
    : client_(client),
      options_(options),
      clock_(clock),
      hpas_resource_(api::findResource("autoscaling", "v2", "horizontalpodautoscalers")),
      hpas_(hpas),
      pods_(pods),
      events_(client, {kComponent, ""}, clock),
      queue_(clock),
      loop_("horizontal-pod-autoscaler", queue_,
            [this](const std::string& key) { return sync(key); }) {}

HorizontalPodAutoscalerController::HorizontalPodAutoscalerController(
    client::Client& client, client::SharedInformerFactory& informers, HpaControllerOptions options,
    Clock& clock)
    : HorizontalPodAutoscalerController(
          client,
          informers
              .informerFor<api::HorizontalPodAutoscaler>(
                  *api::findResource("autoscaling", "v2", "horizontalpodautoscalers"))
              .cache(),
          informers.informerFor<api::Pod>(*api::findResource("", "v1", "pods")).cache(), options,
          clock) {
  auto& hpas = informers.informerFor<api::HorizontalPodAutoscaler>(*hpas_resource_);
  auto& pods = informers.informerFor<api::Pod>(*api::findResource("", "v1", "pods"));
  informers_ = {&hpas, &pods};
  hpas.addHandler({
      .on_add = [this](const HpaPtr& hpa) { queue_.add(keyOf(hpa->metadata)); },
      // Our own status writes come back as updates; only a changed spec is worth a sync
      // before the period ends.
      .on_update =
          [this](const HpaPtr& old_hpa, const HpaPtr& hpa) {
            if (old_hpa->metadata.generation != hpa->metadata.generation) {
              queue_.add(keyOf(hpa->metadata));
            }
          },
      .on_delete =
          [this](const HpaPtr& hpa) {
            std::lock_guard lock(mu_);
            histories_.erase(keyOf(hpa->metadata));
          },
  });
}

HorizontalPodAutoscalerController::~HorizontalPodAutoscalerController() {
  stop();
}

Status HorizontalPodAutoscalerController::run(int workers, std::chrono::milliseconds sync_timeout) {
  return loop_.run(workers, informers_, sync_timeout);
}

void HorizontalPodAutoscalerController::stop() {
  loop_.stop();
}

void HorizontalPodAutoscalerController::scheduleResync(const std::string& key) {
  Clock::Instant now = clock_.monotonic();
  {
    std::lock_guard lock(mu_);
    auto it = resync_due_.find(key);
    if (it != resync_due_.end() && it->second > now) return;  // already on its way
    resync_due_[key] = now + options_.sync_period;
  }
  queue_.addAfter(key, options_.sync_period);
}

void HorizontalPodAutoscalerController::event(const api::HorizontalPodAutoscaler& hpa,
                                              const std::string& type, const std::string& reason,
                                              const std::string& message) {
  client::EventTarget target{"HorizontalPodAutoscaler", "autoscaling/v2",
                             hpa.metadata.namespace_,   hpa.metadata.name,
                             hpa.metadata.uid,          hpa.metadata.resource_version};
  events_.record(target, {type, reason, message});
}

Result<HorizontalPodAutoscalerController::Target> HorizontalPodAutoscalerController::readTarget(
    const api::HorizontalPodAutoscaler& hpa) {
  const api::CrossVersionObjectReference& ref = hpa.spec.scale_target_ref;
  const api::ResourceInfo* resource =
      api::findResourceByKind(ref.api_version.empty() ? "apps/v1" : ref.api_version, ref.kind);
  if (resource == nullptr) {
    return Status(Code::kNotFound, "no matches for kind \"" + ref.kind + "\" in group version \"" +
                                       ref.api_version + "\"");
  }
  if (!resource->hasSubresource("scale")) {
    return Status(Code::kNotFound, resource->qualifiedName() + " has no scale subresource");
  }
  ASSIGN_OR_RETURN(json object, client_.get(*resource, hpa.metadata.namespace_, ref.name));
  Target target;
  target.resource = resource;
  const json& spec = object.value("spec", json::object());
  target.spec_replicas = spec.contains("replicas") && spec["replicas"].is_number_integer()
                             ? spec["replicas"].get<int32_t>()
                             : 1;
  const json& status = object.value("status", json::object());
  target.status_replicas = status.contains("replicas") && status["replicas"].is_number_integer()
                               ? status["replicas"].get<int32_t>()
                               : 0;
  if (!spec.contains("selector") || !spec["selector"].is_object()) {
    return Status(Code::kInvalid, "selector is required");
  }
  auto selector = api::LabelSelector::fromJson(spec["selector"]);
  if (!selector.isOk()) {
    return Status(Code::kInvalid,
                  "couldn't convert selector into a corresponding internal selector object: " +
                      selector.status().message());
  }
  target.selector = std::move(selector).value();
  return target;
}

Result<std::vector<HpaPodUsage>> readPodUsage(client::Client& client, const std::string& ns,
                                              const std::vector<api::Pod>& pods) {
  ASSIGN_OR_RETURN(json list, client.list(podMetricsResource(), ns));
  std::set<std::string> names;
  for (const auto& pod : pods) names.insert(pod.metadata.name);
  std::vector<HpaPodUsage> usage;
  for (auto& item : parsePodMetrics(list)) {
    if (names.count(item.name)) usage.push_back(std::move(item));
  }
  return usage;
}

Status HorizontalPodAutoscalerController::writeStatus(
    const api::HorizontalPodAutoscaler& hpa, const api::HorizontalPodAutoscalerStatus& status) {
  json before = api::toJson(hpa.status);
  json after = api::toJson(status);
  if (before == after) return Status::ok();
  json object = api::toJson(hpa);
  object["status"] = after;
  auto written = client_.update(*hpas_resource_, hpa.metadata.namespace_, object, "status");
  if (written.status().code() == Code::kNotFound) return Status::ok();
  return written.status();
}

Status HorizontalPodAutoscalerController::sync(const std::string& key) {
  size_t slash = key.find('/');
  if (slash == std::string::npos) return Status::ok();
  const std::string ns = key.substr(0, slash), name = key.substr(slash + 1);
  HpaPtr hpa = hpas_.get(ns, name);
  if (!hpa) {
    std::lock_guard lock(mu_);
    histories_.erase(key);
    resync_due_.erase(key);
    return Status::ok();
  }
  scheduleResync(key);
  const Clock::WallTime now = clock_.now();
  const api::HorizontalPodAutoscaler& h = *hpa;
  api::HorizontalPodAutoscalerStatus status = h.status;
  status.observed_generation = h.metadata.generation;

  Result<Target> target = readTarget(h);
  if (!target.isOk()) {
    std::string message = target.status().message();
    event(h, "Warning", "FailedGetScale", message);
    mergeConditions(
        status,
        {{"AbleToScale", "False", "FailedGetScale",
          "the HPA controller was unable to get the target's current scale: " + message}},
        h.status.conditions, now);
    return writeStatus(h, status);
  }
  std::vector<api::Pod> pods;
  for (const auto& pod : pods_.listNamespace(ns, target->selector)) pods.push_back(*pod);

  HpaDecisionInput in;
  in.spec_replicas = target->spec_replicas;
  in.min_replicas = h.spec.min_replicas.value_or(1);
  in.max_replicas = h.spec.max_replicas;
  in.behavior = behaviorOf(h.spec);
  in.metrics = metricsOf(h.spec);
  in.pods = &pods;
  in.now = now;
  in.options = options_.decision;
  bool within_bounds = in.spec_replicas != 0 && in.spec_replicas <= in.max_replicas &&
                       in.spec_replicas >= in.min_replicas;
  if (within_bounds) {
    Result<std::vector<HpaPodUsage>> usage = readPodUsage(client_, ns, pods);
    for (auto& m : in.metrics) {
      if (!usage.isOk()) {
        m.samples = usage.status();
      } else if (m.type == "Resource" || m.type == "ContainerResource") {
        m.samples = extractPodMetrics(*usage, m.resource, m.container);
      }
    }
  }

  HpaHistory history;
  {
    std::lock_guard lock(mu_);
    history = histories_[key];
  }
  HpaDecision decision = decideHpa(in, history);
  for (const auto& e : decision.events) event(h, e.type, e.reason, e.message);

  std::vector<HpaCondition> conditions = decision.conditions;
  if (decision.rescale) {
    json patch = {{"spec", {{"replicas", decision.desired_replicas}}}};
    client::PatchOptions options;
    options.subresource = "scale";
    auto scaled = client_.patch(*target->resource, ns, h.spec.scale_target_ref.name,
                                client::PatchType::kMerge, patch.dump(), options);
    if (!scaled.isOk()) {
      event(h, "Warning", "FailedRescale",
            rescaleMessage(decision.desired_replicas, decision.reason) +
                "; error: " + scaled.status().message());
      conditions.push_back({"AbleToScale", "False", "FailedUpdateScale",
                            "the HPA controller was unable to update the target scale: " +
                                scaled.status().message()});
      decision.desired_replicas = h.status.desired_replicas;
      decision.rescale = false;
    } else {
      log::info("horizontal-pod-autoscaler: {}: {}", key,
                rescaleMessage(decision.desired_replicas, decision.reason));
      event(h, "Normal", "SuccessfulRescale",
            rescaleMessage(decision.desired_replicas, decision.reason));
      conditions.push_back({"AbleToScale", "True", "SucceededRescale",
                            "the HPA controller was able to update the target scale to " +
                                std::to_string(decision.desired_replicas)});
      recordScaleEvent(in.behavior, in.spec_replicas, decision.desired_replicas, now, history);
      status.last_scale_time = formatRfc3339(now);
    }
  }
  {
    std::lock_guard lock(mu_);
    histories_[key] = std::move(history);
  }

  status.current_replicas = target->status_replicas;
  if (decision.error.isOk() || decision.rescale)
    status.desired_replicas = decision.desired_replicas;
  status.current_metrics.clear();
  for (const auto& m : decision.current_metrics)
    status.current_metrics.push_back(metricStatusFor(m));
  // The last word on a condition type wins (SucceededRescale over ReadyForNewScale).
  std::vector<HpaCondition> last;
  for (const auto& c : conditions) {
    bool replaced = false;
    for (auto& l : last) {
      if (l.type == c.type) {
        l = c;
        replaced = true;
      }
    }
    if (!replaced) last.push_back(c);
  }
  mergeConditions(status, last, h.status.conditions, now);
  if (!decision.error.isOk()) {
    log::info("horizontal-pod-autoscaler: {}: {}", key, decision.error.message());
  }
  return writeStatus(h, status);
}

}  // namespace minik8s::controller
