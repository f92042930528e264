#include "controller/hpa_decision.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

namespace minik8s::controller {
namespace {

using namespace std::chrono_literals;

const api::Condition* podCondition(const api::Pod& pod, const std::string& type) {
  for (const auto& c : pod.status.conditions) {
    if (c.type == type) return &c;
  }
  return nullptr;
}

std::optional<Clock::WallTime> parseTime(const std::string& text) {
  Clock::WallTime t;
  if (text.empty() || !parseRfc3339(text, &t)) return std::nullopt;
  return t;
}

// groupPods of replica_calculator.go.
struct PodGroups {
  int32_t ready = 0;
  std::set<std::string> unready;
  std::set<std::string> missing;
  std::set<std::string> ignored;
};

PodGroups groupPods(const std::vector<api::Pod>& pods, const HpaPodMetrics& metrics,
                    const std::string& resource, Clock::WallTime now, const HpaOptions& options) {
  PodGroups groups;
  for (const auto& pod : pods) {
    const std::string& name = pod.metadata.name;
    if (!pod.metadata.deletion_timestamp.empty() || pod.status.phase == "Failed") {
      groups.ignored.insert(name);
      continue;
    }
    if (pod.status.phase == "Pending") {
      groups.unready.insert(name);
      continue;
    }
    auto metric = metrics.find(name);
    if (metric == metrics.end()) {
      groups.missing.insert(name);
      continue;
    }
    if (resource == "cpu") {
      bool unready = false;
      const api::Condition* ready = podCondition(pod, "Ready");
      std::optional<Clock::WallTime> start = parseTime(pod.status.start_time);
      std::optional<Clock::WallTime> transition =
          ready ? parseTime(ready->last_transition_time) : std::nullopt;
      if (ready == nullptr || !start) {
        unready = true;
      } else if (*start + options.cpu_initialization_period > now) {
        // Within the initialization period: a sample taken before the pod became ready
        // may cover its start-up burst.
        unready = ready->status == "False" ||
                  (transition && metric->second.timestamp < *transition + metric->second.window);
      } else {
        // Later, only a pod that never became ready since its start counts as unready.
        unready = ready->status == "False" && transition &&
                  *start + options.initial_readiness_delay > *transition;
      }
      if (unready) {
        groups.unready.insert(name);
        continue;
      }
    }
    ++groups.ready;
  }
  return groups;
}

// calculatePodRequests: the pod's requests of `resource` in milli-units, from its
// containers and restartable (sidecar) init containers, or the named container.
Result<std::map<std::string, int64_t>> podRequests(const std::vector<api::Pod>& pods,
                                                   const std::string& resource,
                                                   const std::string& container) {
  std::map<std::string, int64_t> requests;
  for (const auto& pod : pods) {
    int64_t sum = 0;
    std::vector<const api::Container*> containers;
    for (const auto& c : pod.spec.containers) containers.push_back(&c);
    for (const auto& c : pod.spec.init_containers) {
      if (c.restart_policy == "Always") containers.push_back(&c);
    }
    for (const api::Container* c : containers) {
      if (!container.empty() && c->name != container) continue;
      auto request = c->resources.requests.find(resource);
      if (request == c->resources.requests.end() || !request->second.isValid()) {
        return Status(Code::kInvalid, "missing request for " + resource + " in container " +
                                          c->name + " of Pod " + pod.metadata.name);
      }
      sum += request->second.milliValue();
    }
    requests[pod.metadata.name] = sum;
  }
  return requests;
}

struct UtilizationRatio {
  double ratio = 0;
  int32_t utilization = 0;
  int64_t average_milli = 0;
};

// GetResourceUtilizationRatio of metrics/utilization.go.
Result<UtilizationRatio> utilizationRatio(const HpaPodMetrics& metrics,
                                          const std::map<std::string, int64_t>& requests,
                                          int32_t target) {
  int64_t metrics_total = 0;
  int64_t requests_total = 0;
  int64_t entries = 0;
  for (const auto& [name, metric] : metrics) {
    auto request = requests.find(name);
    if (request == requests.end()) continue;  // extraneous metric
    metrics_total += metric.milli;
    requests_total += request->second;
    ++entries;
  }
  if (requests_total == 0) {
    return Status(Code::kInvalid, "no metrics returned matched known pods");
  }
  UtilizationRatio out;
  out.utilization = int32_t(metrics_total * 100 / requests_total);
  out.ratio = double(out.utilization) / double(target);
  out.average_milli = metrics_total / entries;
  return out;
}

// GetMetricUsageRatio: the average usage against a target average.
std::pair<double, int64_t> usageRatio(const HpaPodMetrics& metrics, int64_t target) {
  int64_t total = 0;
  for (const auto& [name, metric] : metrics) total += metric.milli;
  int64_t average = metrics.empty() ? 0 : total / int64_t(metrics.size());
  return {double(average) / double(target), average};
}

void setCondition(std::vector<HpaCondition>& conditions, const std::string& type, bool status,
                  const std::string& reason, const std::string& message) {
  for (auto& c : conditions) {
    if (c.type == type) {
      c = {type, status ? "True" : "False", reason, message};
      return;
    }
  }
  conditions.push_back({type, status ? "True" : "False", reason, message});
}

// getReplicasChangePerPeriod.
int32_t changeInPeriod(int32_t period_seconds, const std::vector<HpaHistory::ScaleEvent>& events,
                       Clock::WallTime now) {
  Clock::WallTime cutoff = now - std::chrono::seconds(period_seconds);
  int32_t replicas = 0;
  for (const auto& e : events) {
    if (e.time > cutoff) replicas += e.change;
  }
  return replicas;
}

// The count the behavior's policies allow from `current` in `direction` (+1 up, -1 down):
// Kubernetes' calculateScaleUpLimitWithScalingRules and
// calculateScaleDownLimitWithBehaviors as one. Each policy starts from the count at the
// start of its period; "Max" picks the policy allowing the largest change, "Min" the
// smallest; "Disabled" allows none. `current` when there is no policy.
int32_t scaleLimit(int direction, int32_t current, const HpaHistory& history,
                   const HpaScalingRules& rules, Clock::WallTime now) {
  if (rules.select_policy == "Disabled") return current;
  const bool smallest_change = rules.select_policy == "Min";
  std::optional<int64_t> result;
  for (const auto& policy : rules.policies) {
    int64_t start = int64_t(current) -
                    changeInPeriod(policy.period_seconds, history.scale_up, now) +
                    changeInPeriod(policy.period_seconds, history.scale_down, now);
    int64_t proposed = start;
    if (policy.type == "Pods") {
      proposed = start + direction * int64_t(policy.value);
    } else if (policy.type == "Percent") {
      double factor = 1 + direction * double(policy.value) / 100;
      // Up rounded up, or a small count would never grow; down truncated, as Kubernetes.
      proposed = direction > 0 ? int64_t(std::ceil(double(start) * factor))
                               : int64_t(double(start) * factor);
    }
    if (!result || (direction * (proposed - *result) > 0) != smallest_change) result = proposed;
  }
  if (!result) return current;
  return int32_t(std::clamp<int64_t>(*result, std::numeric_limits<int32_t>::min(),
                                     std::numeric_limits<int32_t>::max()));
}

struct Limited {
  int32_t replicas = 0;
  std::string reason;
  std::string message;
};

// convertDesiredReplicasWithBehaviorRate.
Limited limitWithBehavior(int32_t current, int32_t desired, int32_t min, int32_t max,
                          const HpaBehavior& behavior, const HpaHistory& history,
                          Clock::WallTime now) {
  if (desired > current) {
    int32_t limit = std::max(scaleLimit(+1, current, history, behavior.scale_up, now), current);
    int32_t allowed = max;
    Limited out;
    if (allowed > limit) {
      allowed = limit;
      out = {0, "ScaleUpLimit",
             "the desired replica count is increasing faster than the maximum scale rate"};
    } else {
      out = {0, "TooManyReplicas",
             "the desired replica count is more than the maximum replica count"};
    }
    if (desired > allowed) {
      out.replicas = allowed;
      return out;
    }
  } else if (desired < current) {
    int32_t limit = std::min(scaleLimit(-1, current, history, behavior.scale_down, now), current);
    int32_t allowed = min;
    Limited out;
    if (allowed < limit) {
      allowed = limit;
      out = {0, "ScaleDownLimit",
             "the desired replica count is decreasing faster than the maximum scale rate"};
    } else {
      out = {0, "TooFewReplicas",
             "the desired replica count is less than the minimum replica count"};
    }
    if (desired < allowed) {
      out.replicas = allowed;
      return out;
    }
  }
  return {desired, "DesiredWithinRange", "the desired count is within the acceptable range"};
}

// convertDesiredReplicasWithRules: the path without behavior.
Limited limitWithRules(int32_t current, int32_t desired, int32_t min, int32_t max) {
  int32_t scale_up_limit = int32_t(std::max(2.0 * current, 4.0));
  Limited out;
  int32_t allowed_max = max;
  if (max > scale_up_limit) {
    allowed_max = scale_up_limit;
    out = {0, "ScaleUpLimit",
           "the desired replica count is increasing faster than the maximum scale rate"};
  } else {
    out = {0, "TooManyReplicas",
           "the desired replica count is more than the maximum replica count"};
  }
  if (desired < min) {
    return {min, "TooFewReplicas",
            "the desired replica count is less than the minimum replica count"};
  }
  if (desired > allowed_max) {
    out.replicas = allowed_max;
    return out;
  }
  return {desired, "DesiredWithinRange", "the desired count is within the acceptable range"};
}

// Records `desired` among the recommendations, reusing an expired slot.
void recordRecommendation(HpaHistory& history, int32_t desired, Clock::WallTime now,
                          std::optional<size_t> old_slot) {
  if (old_slot) {
    history.recommendations[*old_slot] = {now, desired};
  } else {
    history.recommendations.push_back({now, desired});
  }
}

// stabilizeRecommendation (without behavior): the highest recommendation of the window.
int32_t stabilize(int32_t desired, std::chrono::milliseconds window, Clock::WallTime now,
                  HpaHistory& history) {
  int32_t max_recommendation = desired;
  Clock::WallTime cutoff = now - window;
  std::optional<size_t> old_slot;
  for (size_t i = 0; i < history.recommendations.size(); ++i) {
    const auto& r = history.recommendations[i];
    if (r.time < cutoff) {
      old_slot = i;
    } else {
      max_recommendation = std::max(max_recommendation, r.replicas);
    }
  }
  recordRecommendation(history, desired, now, old_slot);
  return max_recommendation;
}

// stabilizeRecommendationWithBehaviors: within [lowest of the scale-up window, highest of
// the scale-down window], as near the current count as possible.
int32_t stabilizeWithBehavior(int32_t current, int32_t desired, const HpaBehavior& behavior,
                              Clock::WallTime now, HpaHistory& history) {
  Clock::WallTime up_cutoff =
      now - std::chrono::seconds(behavior.scale_up.stabilization_window_seconds);
  Clock::WallTime down_cutoff =
      now - std::chrono::seconds(behavior.scale_down.stabilization_window_seconds);
  int32_t up = desired;
  int32_t down = desired;
  std::optional<size_t> old_slot;
  for (size_t i = 0; i < history.recommendations.size(); ++i) {
    const auto& r = history.recommendations[i];
    if (r.time > up_cutoff) up = std::min(up, r.replicas);
    if (r.time > down_cutoff) down = std::max(down, r.replicas);
    if (r.time < up_cutoff && r.time < down_cutoff) old_slot = i;
  }
  int32_t recommendation = current;
  if (recommendation < up) recommendation = up;
  if (recommendation > down) recommendation = down;
  recordRecommendation(history, desired, now, old_slot);
  return recommendation;
}

std::string metricName(const HpaMetric& m) {
  if (m.type == "ContainerResource") {
    return m.resource + (m.target_type == "Utilization"
                             ? " container resource utilization (percentage of request)"
                             : " container resource");
  }
  return m.resource + (m.target_type == "Utilization"
                           ? " resource utilization (percentage of request)"
                           : " resource");
}

struct MetricOutcome {
  int32_t replicas = 0;
  HpaMetricStatus status;
};

// computeReplicasForMetric for the metric sources we support.
Result<MetricOutcome> replicasForMetric(const HpaDecisionInput& in, const HpaMetric& m) {
  if (m.type != "Resource" && m.type != "ContainerResource") {
    return Status(Code::kInvalid, "unknown metric source type \"" + m.type + "\"");
  }
  bool utilization = m.target_type == "Utilization";
  const char* what = utilization ? " utilization: " : " usage: ";
  if (!utilization && m.target_type != "AverageValue") {
    return Status(Code::kInvalid, "failed to get " + m.resource + what +
                                      "invalid resource metric source: neither a utilization "
                                      "target nor a value target was set");
  }
  if (!m.samples.isOk()) {
    return Status(Code::kInvalid, "failed to get " + m.resource + what +
                                      "unable to get metrics for resource " + m.resource + ": " +
                                      m.samples.status().message());
  }
  ResourceReplicaInput r;
  r.current_replicas = in.spec_replicas;
  r.pods = in.pods;
  r.metrics = *m.samples;
  r.resource = m.resource;
  r.container = m.container;
  if (utilization) r.target_utilization = m.average_utilization;
  r.target_average_milli = m.average_milli;
  r.now = in.now;
  r.options = in.options;
  Result<ReplicaProposal> proposal = computeResourceReplicas(r);
  if (!proposal.isOk()) {
    return Status(Code::kInvalid,
                  "failed to get " + m.resource + what + proposal.status().message());
  }
  MetricOutcome out;
  out.replicas = proposal->replicas;
  out.status = {m.type, m.resource, m.container, proposal->utilization, proposal->average_milli};
  return out;
}

}  // namespace

Result<HpaPodMetrics> extractPodMetrics(const std::vector<HpaPodUsage>& usage,
                                        const std::string& resource, const std::string& container) {
  if (usage.empty()) {
    return Status(Code::kNotFound, "no metrics returned from resource metrics API");
  }
  HpaPodMetrics out;
  for (const auto& pod : usage) {
    int64_t sum = 0;
    bool missing = false;
    bool found = container.empty();
    for (const auto& [name, resources] : pod.containers) {
      if (!container.empty() && name != container) continue;
      found = true;
      auto value = resources.find(resource);
      if (value == resources.end()) {
        missing = true;
        break;
      }
      sum += value->second.milliValue();
    }
    if (!found) {
      return Status(Code::kNotFound,
                    "container " + container + " not present in metrics for pod " + pod.name);
    }
    if (!missing) out[pod.name] = {sum, pod.timestamp, pod.window};
  }
  return out;
}

HpaScalingRules defaultScaleUpRules() {
  return {0, "Max", {{"Pods", 4, 15}, {"Percent", 100, 15}}};
}

HpaScalingRules defaultScaleDownRules() {
  return {300, "Max", {{"Percent", 100, 15}}};
}

HpaBehavior oneStepBehavior(int32_t interval_seconds) {
  // A period of a whole interval would put the previous step on its edge: the next
  // interval's sync comes a few milliseconds more or less than an interval after it, and
  // one in two was refused (e2e: 3 -> 4 after 30 s). A second less keeps the step
  // allowed then, and still refuses a sync in between.
  int32_t period = interval_seconds > 1 ? interval_seconds - 1 : interval_seconds;
  return {{0, "Max", {{"Pods", 1, period}}}, {0, "Max", {{"Pods", 1, period}}}};
}

Result<ReplicaProposal> computeResourceReplicas(const ResourceReplicaInput& in) {
  if (in.pods == nullptr || in.pods->empty()) {
    return Status(Code::kInvalid, "no pods returned by selector while calculating replica count");
  }
  // Only samples of the selected pods count.
  HpaPodMetrics metrics;
  for (const auto& pod : *in.pods) {
    auto it = in.metrics.find(pod.metadata.name);
    if (it != in.metrics.end()) metrics.insert(*it);
  }
  PodGroups groups = groupPods(*in.pods, metrics, in.resource, in.now, in.options);
  for (const auto& name : groups.ignored) metrics.erase(name);
  for (const auto& name : groups.unready) metrics.erase(name);
  bool by_utilization = in.target_utilization.has_value();
  if (metrics.empty()) {
    return Status(Code::kInvalid, by_utilization
                                      ? "did not receive metrics for targeted pods (pods might be "
                                        "unready)"
                                      : "did not receive metrics for any ready pods");
  }
  if (!by_utilization && in.target_average_milli <= 0) {
    return Status(Code::kInvalid, "the target average value must be greater than 0");
  }
  std::map<std::string, int64_t> requests;
  double ratio = 0;
  ReplicaProposal proposal;
  if (by_utilization) {
    if (*in.target_utilization <= 0) {
      return Status(Code::kInvalid, "the target utilization must be greater than 0");
    }
    ASSIGN_OR_RETURN(requests, podRequests(*in.pods, in.resource, in.container));
    ASSIGN_OR_RETURN(UtilizationRatio u,
                     utilizationRatio(metrics, requests, *in.target_utilization));
    ratio = u.ratio;
    proposal.utilization = u.utilization;
    proposal.average_milli = u.average_milli;
  } else {
    auto [r, average] = usageRatio(metrics, in.target_average_milli);
    ratio = r;
    proposal.average_milli = average;
  }
  proposal.replicas = in.current_replicas;
  double tolerance = in.options.tolerance;
  bool scale_up_with_unready = !groups.unready.empty() && ratio > 1.0;
  if (!scale_up_with_unready && groups.missing.empty()) {
    if (std::abs(1.0 - ratio) > tolerance) {
      proposal.replicas = int32_t(std::ceil(ratio * double(groups.ready)));
    }
    return proposal;
  }
  // Fill in the pods without a usable sample, against the direction of the change.
  if (!groups.missing.empty()) {
    for (const auto& name : groups.missing) {
      int64_t fill = 0;
      if (ratio < 1.0) {
        fill = by_utilization
                   ? requests[name] * std::max<int64_t>(100, *in.target_utilization) / 100
                   : in.target_average_milli;
      }
      metrics[name] = {fill, in.now, {}};
    }
  }
  if (scale_up_with_unready) {
    for (const auto& name : groups.unready) metrics[name] = {0, in.now, {}};
  }
  double new_ratio = 0;
  if (by_utilization) {
    ASSIGN_OR_RETURN(UtilizationRatio u,
                     utilizationRatio(metrics, requests, *in.target_utilization));
    new_ratio = u.ratio;
  } else {
    new_ratio = usageRatio(metrics, in.target_average_milli).first;
  }
  if (std::abs(1.0 - new_ratio) <= tolerance || (ratio < 1.0 && new_ratio > 1.0) ||
      (ratio > 1.0 && new_ratio < 1.0)) {
    return proposal;  // the fill-in reversed the direction or brought it within tolerance
  }
  int32_t replicas = int32_t(std::ceil(new_ratio * double(metrics.size())));
  if ((new_ratio < 1.0 && replicas > in.current_replicas) ||
      (new_ratio > 1.0 && replicas < in.current_replicas)) {
    return proposal;
  }
  proposal.replicas = replicas;
  return proposal;
}

HpaDecision decideHpa(const HpaDecisionInput& in, HpaHistory& history) {
  HpaDecision d;
  int32_t current = in.spec_replicas;
  int32_t min = in.min_replicas;
  setCondition(d.conditions, "AbleToScale", true, "SucceededGetScale",
               "the HPA controller was able to get the target's current scale");
  if (current == 0 && min != 0) {
    d.desired_replicas = 0;
    setCondition(d.conditions, "ScalingActive", false, "ScalingDisabled",
                 "scaling is disabled since the replica count of the target is zero");
    return d;
  }
  if (current > in.max_replicas) {
    d.desired_replicas = in.max_replicas;
    d.reason = "Current number of replicas above Spec.MaxReplicas";
    d.rescale = true;
    return d;
  }
  if (current < min) {
    d.desired_replicas = min;
    d.reason = "Current number of replicas below Spec.MinReplicas";
    d.rescale = true;
    return d;
  }

  // Every metric proposes; the largest proposal wins.
  std::vector<HpaMetric> metrics = in.metrics;
  if (metrics.empty()) {
    HpaMetric cpu;
    cpu.type = "Resource";
    cpu.resource = "cpu";
    cpu.target_type = "Utilization";
    cpu.average_utilization = 80;
    metrics.push_back(cpu);
  }
  int32_t proposal = 0;
  std::string proposal_metric;
  int invalid = 0;
  Status first_error;
  std::string first_reason;
  for (const auto& m : metrics) {
    Result<MetricOutcome> outcome = replicasForMetric(in, m);
    if (!outcome.isOk()) {
      ++invalid;
      std::string reason = m.type != "Resource" && m.type != "ContainerResource"
                               ? "InvalidMetricSourceType"
                           : m.type == "ContainerResource" ? "FailedGetContainerResourceMetric"
                                                           : "FailedGetResourceMetric";
      if (first_error.isOk()) {
        first_error = outcome.status();
        first_reason = reason;
      }
      d.events.push_back({"Warning", reason, outcome.status().message()});
      d.current_metrics.push_back({});  // as Kubernetes: an empty status
      continue;
    }
    d.current_metrics.push_back(outcome->status);
    if (proposal_metric.empty() || outcome->replicas > proposal) {
      proposal = outcome->replicas;
      proposal_metric = metricName(m);
    }
  }
  if (invalid >= int(metrics.size()) || (invalid > 0 && proposal < current)) {
    setCondition(d.conditions, "ScalingActive", false, first_reason,
                 "the HPA was unable to compute the replica count: " + first_error.message());
    d.desired_replicas = current;
    d.error = Status(Code::kInvalid, "invalid metrics (" + std::to_string(invalid) +
                                         " invalid out of " + std::to_string(metrics.size()) +
                                         "), first error is: " + first_error.message());
    return d;
  }
  setCondition(
      d.conditions, "ScalingActive", true, "ValidMetricFound",
      "the HPA was able to successfully calculate a replica count from " + proposal_metric);

  int32_t stabilized = 0;
  Limited limited;
  if (in.behavior) {
    stabilized = stabilizeWithBehavior(current, proposal, *in.behavior, in.now, history);
    if (stabilized != proposal) {
      if (proposal >= current) {
        setCondition(d.conditions, "AbleToScale", true, "ScaleUpStabilized",
                     "recent recommendations were lower than current one, applying the lowest "
                     "recent recommendation");
      } else {
        setCondition(d.conditions, "AbleToScale", true, "ScaleDownStabilized",
                     "recent recommendations were higher than current one, applying the highest "
                     "recent recommendation");
      }
    } else {
      setCondition(d.conditions, "AbleToScale", true, "ReadyForNewScale",
                   "recommended size matches current size");
    }
    limited =
        limitWithBehavior(current, stabilized, min, in.max_replicas, *in.behavior, history, in.now);
  } else {
    stabilized = stabilize(proposal, in.options.downscale_stabilization, in.now, history);
    if (stabilized != proposal) {
      setCondition(d.conditions, "AbleToScale", true, "ScaleDownStabilized",
                   "recent recommendations were higher than current one, applying the highest "
                   "recent recommendation");
    } else {
      setCondition(d.conditions, "AbleToScale", true, "ReadyForNewScale",
                   "recommended size matches current size");
    }
    limited = limitWithRules(current, stabilized, min, in.max_replicas);
  }
  setCondition(d.conditions, "ScalingLimited", limited.replicas != stabilized, limited.reason,
               limited.message);
  d.desired_replicas = limited.replicas;
  d.rescale = d.desired_replicas != current;
  if (d.desired_replicas > current) d.reason = proposal_metric + " above target";
  if (d.desired_replicas < current) d.reason = "All metrics below target";
  return d;
}

void recordScaleEvent(const std::optional<HpaBehavior>& behavior, int32_t previous, int32_t current,
                      Clock::WallTime now, HpaHistory& history) {
  if (!behavior || previous == current) return;
  bool up = current > previous;
  const HpaScalingRules& rules = up ? behavior->scale_up : behavior->scale_down;
  std::vector<HpaHistory::ScaleEvent>& events = up ? history.scale_up : history.scale_down;
  int32_t longest = 0;
  for (const auto& p : rules.policies) longest = std::max(longest, p.period_seconds);
  Clock::WallTime cutoff = now - std::chrono::seconds(longest);
  for (auto& e : events) {
    if (e.time < cutoff) e.outdated = true;
  }
  HpaHistory::ScaleEvent event{now, up ? current - previous : previous - current, false};
  for (auto& e : events) {
    if (e.outdated) {
      e = event;
      return;
    }
  }
  events.push_back(event);
}

std::string rescaleMessage(int32_t size, const std::string& reason) {
  return "New size: " + std::to_string(size) + "; reason: " + reason;
}

}  // namespace minik8s::controller
