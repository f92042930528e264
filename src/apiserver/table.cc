#include "apiserver/table.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "api/custom_resource.h"
#include "api/selector.h"

namespace minik8s::apiserver {

using nlohmann::json;

namespace {

constexpr const char* kNone = "<none>";

// ---------------------------------------------------------------------------------------
// Non-throwing accessors over objects of unknown shape.

const json& nullJson() {
  static const json kNull;
  return kNull;
}

// The value at a dotted path ("status.nodeInfo.kubeletVersion"), or null.
const json& at(const json& object, std::string_view path) {
  const json* cur = &object;
  size_t start = 0;
  while (true) {
    if (!cur->is_object()) return nullJson();
    size_t dot = path.find('.', start);
    std::string key(path.substr(start, dot == std::string_view::npos ? path.npos : dot - start));
    auto it = cur->find(key);
    if (it == cur->end()) return nullJson();
    cur = &*it;
    if (dot == std::string_view::npos) return *cur;
    start = dot + 1;
  }
}

std::string str(const json& object, std::string_view path) {
  const json& v = at(object, path);
  return v.is_string() ? v.get<std::string>() : std::string();
}

int64_t num(const json& object, std::string_view path) {
  const json& v = at(object, path);
  return v.is_number() ? v.get<int64_t>() : 0;
}

bool flag(const json& object, std::string_view path) {
  const json& v = at(object, path);
  return v.is_boolean() && v.get<bool>();
}

// The array at `path`, or an empty array.
const json& list(const json& object, std::string_view path) {
  static const json kEmpty = json::array();
  const json& v = at(object, path);
  return v.is_array() ? v : kEmpty;
}

size_t mapSize(const json& object, std::string_view path) {
  const json& v = at(object, path);
  return v.is_object() ? v.size() : 0;
}

std::string orNone(std::string s) {
  return s.empty() ? kNone : s;
}

std::optional<Clock::WallTime> timeOf(const json& object, std::string_view path) {
  std::string s = str(object, path);
  Clock::WallTime t;
  if (s.empty() || !parseRfc3339(s, &t)) return std::nullopt;
  return t;
}

// kubectl's translateTimestampSince.
std::string since(std::optional<Clock::WallTime> t, Clock::WallTime now) {
  if (!t) return "<unknown>";
  return humanDuration(std::chrono::duration_cast<std::chrono::seconds>(now - *t));
}

std::string age(const json& object, Clock::WallTime now) {
  return since(timeOf(object, "metadata.creationTimestamp"), now);
}

std::string name(const json& object) {
  return str(object, "metadata.name");
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string s;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) s += sep;
    s += parts[i];
  }
  return s;
}

// "a=b,c=d" sorted by key (labels.FormatLabels).
std::string formatLabels(const json& map) {
  if (!map.is_object() || map.empty()) return kNone;
  std::map<std::string, std::string> sorted;
  for (auto it = map.begin(); it != map.end(); ++it) {
    sorted[it.key()] = it.value().is_string() ? it.value().get<std::string>() : it.value().dump();
  }
  std::vector<std::string> parts;
  for (const auto& [k, v] : sorted) parts.push_back(k + "=" + v);
  return join(parts, ",");
}

// metav1.FormatLabelSelector.
std::string formatLabelSelector(const json& selector) {
  auto parsed = api::LabelSelector::fromJson(selector);
  if (!parsed.isOk()) return "<error>";
  return orNone(parsed->toString());
}

bool hasCondition(const json& object, std::string_view type, std::string_view status) {
  for (const json& c : list(object, "status.conditions")) {
    if (str(c, "type") == type) return str(c, "status") == status;
  }
  return false;
}

// ---------------------------------------------------------------------------------------
// Printers

struct Column {
  const char* name;
  const char* type;
  int priority;
  const char* format;
};

constexpr Column nameColumn() {
  return {"Name", "string", 0, "name"};
}
constexpr Column col(const char* name, const char* type = "string", int priority = 0) {
  return {name, type, priority, ""};
}

using CellsFn = json (*)(const json& object, Clock::WallTime now);

struct Printer {
  std::vector<Column> columns;
  CellsFn cells;
};

// Latest of `current` and `t`.
void keepLatest(std::optional<Clock::WallTime>& current, std::optional<Clock::WallTime> t) {
  if (t && (!current || *current < *t)) current = t;
}

// kubectl's printPod.
json podCells(const json& pod, Clock::WallTime now) {
  const json& status = at(pod, "status");
  int64_t restarts = 0;
  int64_t restartable_init_restarts = 0;
  int64_t total = static_cast<int64_t>(list(pod, "spec.containers").size());
  int64_t ready = 0;
  std::optional<Clock::WallTime> last_restart;
  std::optional<Clock::WallTime> last_restartable_init_restart;

  std::string phase = str(status, "phase");
  std::string reason = phase;
  if (!str(status, "reason").empty()) reason = str(status, "reason");
  for (const json& c : list(status, "conditions")) {
    if (str(c, "type") == "PodScheduled" && str(c, "reason") == "SchedulingGated") {
      reason = "SchedulingGated";
    }
  }

  std::set<std::string> restartable_init;
  const json& init_specs = list(pod, "spec.initContainers");
  for (const json& c : init_specs) {
    if (str(c, "restartPolicy") == "Always") {
      restartable_init.insert(str(c, "name"));
      ++total;
    }
  }

  bool initializing = false;
  const json& init_statuses = list(status, "initContainerStatuses");
  for (size_t i = 0; i < init_statuses.size(); ++i) {
    const json& c = init_statuses[i];
    restarts += num(c, "restartCount");
    auto finished = timeOf(c, "lastState.terminated.finishedAt");
    keepLatest(last_restart, finished);
    bool restartable = restartable_init.count(str(c, "name")) > 0;
    if (restartable) {
      restartable_init_restarts += num(c, "restartCount");
      keepLatest(last_restartable_init_restart, finished);
    }
    const json& terminated = at(c, "state.terminated");
    const json& waiting = at(c, "state.waiting");
    if (terminated.is_object() && num(terminated, "exitCode") == 0) continue;
    if (restartable && flag(c, "started")) {
      if (flag(c, "ready")) ++ready;
      continue;
    }
    if (terminated.is_object()) {
      std::string r = str(terminated, "reason");
      if (!r.empty()) {
        reason = "Init:" + r;
      } else if (num(terminated, "signal") != 0) {
        reason = "Init:Signal:" + std::to_string(num(terminated, "signal"));
      } else {
        reason = "Init:ExitCode:" + std::to_string(num(terminated, "exitCode"));
      }
    } else if (waiting.is_object() && !str(waiting, "reason").empty() &&
               str(waiting, "reason") != "PodInitializing") {
      reason = "Init:" + str(waiting, "reason");
    } else {
      reason = "Init:" + std::to_string(i) + "/" + std::to_string(init_specs.size());
    }
    initializing = true;
    break;
  }

  if (!initializing || hasCondition(pod, "Initialized", "True")) {
    restarts = restartable_init_restarts;
    last_restart = last_restartable_init_restart;
    bool has_running = false;
    const json& statuses = list(status, "containerStatuses");
    for (size_t i = statuses.size(); i-- > 0;) {
      const json& c = statuses[i];
      restarts += num(c, "restartCount");
      keepLatest(last_restart, timeOf(c, "lastState.terminated.finishedAt"));
      const json& terminated = at(c, "state.terminated");
      if (!str(c, "state.waiting.reason").empty()) {
        reason = str(c, "state.waiting.reason");
      } else if (terminated.is_object() && !str(terminated, "reason").empty()) {
        reason = str(terminated, "reason");
      } else if (terminated.is_object()) {
        reason = num(terminated, "signal") != 0
                     ? "Signal:" + std::to_string(num(terminated, "signal"))
                     : "ExitCode:" + std::to_string(num(terminated, "exitCode"));
      } else if (flag(c, "ready") && at(c, "state.running").is_object()) {
        has_running = true;
        ++ready;
      }
    }
    if (reason == "Completed" && has_running) {
      reason = hasCondition(pod, "Ready", "True") ? "Running" : "NotReady";
    }
  }

  if (at(pod, "metadata.deletionTimestamp").is_string()) {
    if (str(status, "reason") == "NodeLost") {
      reason = "Unknown";
    } else if (phase != "Succeeded" && phase != "Failed") {
      reason = "Terminating";
    }
  }

  std::string restarts_cell = std::to_string(restarts);
  if (restarts != 0 && last_restart) restarts_cell += " (" + since(last_restart, now) + " ago)";

  std::string ip = str(list(status, "podIPs").empty() ? json() : status["podIPs"][0], "ip");
  if (ip.empty()) ip = str(status, "podIP");
  std::string gates = kNone;
  const json& readiness_gates = list(pod, "spec.readinessGates");
  if (!readiness_gates.empty()) {
    size_t true_count = 0;
    for (const json& g : readiness_gates) {
      if (hasCondition(pod, str(g, "conditionType"), "True")) ++true_count;
    }
    gates = std::to_string(true_count) + "/" + std::to_string(readiness_gates.size());
  }
  return json::array({name(pod), std::to_string(ready) + "/" + std::to_string(total), reason,
                      restarts_cell, age(pod, now), orNone(ip), orNone(str(pod, "spec.nodeName")),
                      orNone(str(status, "nominatedNodeName")), gates});
}

std::string containerField(const json& object, std::string_view containers_path,
                           const char* field) {
  std::vector<std::string> parts;
  for (const json& c : list(object, containers_path)) parts.push_back(str(c, field));
  return join(parts, ",");
}

json deploymentCells(const json& d, Clock::WallTime now) {
  return json::array({name(d),
                      std::to_string(num(d, "status.readyReplicas")) + "/" +
                          std::to_string(num(d, "spec.replicas")),
                      num(d, "status.updatedReplicas"), num(d, "status.availableReplicas"),
                      age(d, now), containerField(d, "spec.template.spec.containers", "name"),
                      containerField(d, "spec.template.spec.containers", "image"),
                      formatLabelSelector(at(d, "spec.selector"))});
}

json replicaSetCells(const json& rs, Clock::WallTime now) {
  return json::array({name(rs), num(rs, "spec.replicas"), num(rs, "status.replicas"),
                      num(rs, "status.readyReplicas"), age(rs, now),
                      containerField(rs, "spec.template.spec.containers", "name"),
                      containerField(rs, "spec.template.spec.containers", "image"),
                      formatLabelSelector(at(rs, "spec.selector"))});
}

// kubectl's printDaemonSet (1.32).
json daemonSetCells(const json& ds, Clock::WallTime now) {
  std::string node_selector;
  const json& selector = at(ds, "spec.template.spec.nodeSelector");
  if (selector.is_object()) {
    for (const auto& [k, v] : selector.items()) {
      node_selector += (node_selector.empty() ? "" : ",") + k + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
    }
  }
  if (node_selector.empty()) node_selector = "<none>";
  return json::array({name(ds), num(ds, "status.desiredNumberScheduled"),
                      num(ds, "status.currentNumberScheduled"), num(ds, "status.numberReady"),
                      num(ds, "status.updatedNumberScheduled"), num(ds, "status.numberAvailable"),
                      node_selector, age(ds, now),
                      containerField(ds, "spec.template.spec.containers", "name"),
                      containerField(ds, "spec.template.spec.containers", "image"),
                      formatLabelSelector(at(ds, "spec.selector"))});
}

// kubectl's printJob (1.32).
json jobCells(const json& job, Clock::WallTime now) {
  std::string status = "Running";
  if (hasCondition(job, "Complete", "True")) {
    status = "Complete";
  } else if (hasCondition(job, "Failed", "True")) {
    status = "Failed";
  } else if (!str(job, "metadata.deletionTimestamp").empty()) {
    status = "Terminating";
  } else if (hasCondition(job, "Suspended", "True")) {
    status = "Suspended";
  } else if (hasCondition(job, "FailureTarget", "True")) {
    status = "FailureTarget";
  } else if (hasCondition(job, "SuccessCriteriaMet", "True")) {
    status = "SuccessCriteriaMet";
  }
  const std::string succeeded = std::to_string(num(job, "status.succeeded"));
  std::string completions;
  if (at(job, "spec.completions").is_number()) {
    completions = succeeded + "/" + std::to_string(num(job, "spec.completions"));
  } else if (num(job, "spec.parallelism") > 1) {
    completions = succeeded + "/1 of " + std::to_string(num(job, "spec.parallelism"));
  } else {
    completions = succeeded + "/1";
  }
  std::string duration;
  auto start = timeOf(job, "status.startTime");
  if (start) {
    auto end = timeOf(job, "status.completionTime");
    duration = since(start, end ? *end : now);
  }
  return json::array({name(job), status, completions, duration, age(job, now),
                      containerField(job, "spec.template.spec.containers", "name"),
                      containerField(job, "spec.template.spec.containers", "image"),
                      formatLabelSelector(at(job, "spec.selector"))});
}

// kubectl's printCronJob.
json cronJobCells(const json& cj, Clock::WallTime now) {
  const json& suspend = at(cj, "spec.suspend");
  std::string last = kNone;
  if (auto t = timeOf(cj, "status.lastScheduleTime")) last = since(t, now);
  return json::array(
      {name(cj), str(cj, "spec.schedule"), orNone(str(cj, "spec.timeZone")),
       suspend.is_boolean() ? (suspend.get<bool>() ? "True" : "False") : "<unset>",
       static_cast<int64_t>(list(cj, "status.active").size()), last, age(cj, now),
       containerField(cj, "spec.jobTemplate.spec.template.spec.containers", "name"),
       containerField(cj, "spec.jobTemplate.spec.template.spec.containers", "image"),
       formatLabelSelector(at(cj, "spec.jobTemplate.spec.selector"))});
}

std::string serviceExternalIp(const json& svc) {
  std::string type = str(svc, "spec.type");
  std::vector<std::string> external;
  for (const json& ip : list(svc, "spec.externalIPs")) {
    if (ip.is_string()) external.push_back(ip.get<std::string>());
  }
  if (type == "ClusterIP" || type == "NodePort" || type.empty()) {
    return external.empty() ? kNone : join(external, ",");
  }
  if (type == "LoadBalancer") {
    for (const json& ingress : list(svc, "status.loadBalancer.ingress")) {
      std::string ip = str(ingress, "ip");
      if (ip.empty()) ip = str(ingress, "hostname");
      if (!ip.empty()) external.push_back(ip);
    }
    return external.empty() ? "<pending>" : join(external, ",");
  }
  if (type == "ExternalName") return str(svc, "spec.externalName");
  return "<unknown>";
}

json serviceCells(const json& svc, Clock::WallTime now) {
  std::vector<std::string> ports;
  for (const json& p : list(svc, "spec.ports")) {
    std::string protocol = str(p, "protocol");
    std::string s = std::to_string(num(p, "port"));
    if (num(p, "nodePort") > 0) s += ":" + std::to_string(num(p, "nodePort"));
    ports.push_back(s + "/" + (protocol.empty() ? "TCP" : protocol));
  }
  return json::array({name(svc),
                      orNone(str(svc, "spec.type").empty() ? "ClusterIP" : str(svc, "spec.type")),
                      orNone(str(svc, "spec.clusterIP")), serviceExternalIp(svc),
                      ports.empty() ? kNone : join(ports, ","), age(svc, now),
                      formatLabels(at(svc, "spec.selector"))});
}

std::string nodeAddress(const json& node, std::string_view type) {
  for (const json& a : list(node, "status.addresses")) {
    if (str(a, "type") == type) return orNone(str(a, "address"));
  }
  return kNone;
}

std::string orUnknown(std::string s) {
  return s.empty() ? "<unknown>" : s;
}

json nodeCells(const json& node, Clock::WallTime now) {
  std::vector<std::string> status;
  for (const json& c : list(node, "status.conditions")) {
    if (str(c, "type") == "Ready") {
      status.push_back(str(c, "status") == "True" ? "Ready" : "NotReady");
      break;
    }
  }
  if (status.empty()) status.push_back("Unknown");
  if (flag(node, "spec.unschedulable")) status.push_back("SchedulingDisabled");

  std::set<std::string> roles;
  const json& labels = at(node, "metadata.labels");
  if (labels.is_object()) {
    constexpr std::string_view kRolePrefix = "node-role.kubernetes.io/";
    for (auto it = labels.begin(); it != labels.end(); ++it) {
      const std::string& key = it.key();
      if (key.rfind(kRolePrefix, 0) == 0 && key.size() > kRolePrefix.size()) {
        roles.insert(key.substr(kRolePrefix.size()));
      } else if (key == "kubernetes.io/role" && it.value().is_string() &&
                 !it.value().get<std::string>().empty()) {
        roles.insert(it.value().get<std::string>());
      }
    }
  }
  std::string roles_cell = orNone(join(std::vector<std::string>(roles.begin(), roles.end()), ","));
  return json::array({name(node), join(status, ","), roles_cell, age(node, now),
                      str(node, "status.nodeInfo.kubeletVersion"), nodeAddress(node, "InternalIP"),
                      nodeAddress(node, "ExternalIP"),
                      orUnknown(str(node, "status.nodeInfo.osImage")),
                      orUnknown(str(node, "status.nodeInfo.kernelVersion")),
                      orUnknown(str(node, "status.nodeInfo.containerRuntimeVersion"))});
}

std::string hostPort(const std::string& ip, int64_t port) {
  std::string host = ip.find(':') != std::string::npos ? "[" + ip + "]" : ip;
  return host + ":" + std::to_string(port);
}

// kubectl's formatEndpoints: at most 3 addresses, then " + N more...".
json endpointsCells(const json& ep, Clock::WallTime now) {
  constexpr size_t kMax = 3;
  std::vector<std::string> shown;
  size_t count = 0;
  for (const json& subset : list(ep, "subsets")) {
    const json& addresses = list(subset, "addresses");
    const json& ports = list(subset, "ports");
    if (ports.empty()) {
      for (const json& a : addresses) {
        ++count;
        if (shown.size() < kMax) shown.push_back(str(a, "ip"));
      }
      continue;
    }
    for (const json& p : ports) {
      for (const json& a : addresses) {
        ++count;
        if (shown.size() < kMax) shown.push_back(hostPort(str(a, "ip"), num(p, "port")));
      }
    }
  }
  std::string cell = join(shown, ",");
  if (count > kMax) cell += " + " + std::to_string(count - kMax) + " more...";
  // kubectl: "<none>" when there are no subsets; subsets with only not-ready addresses
  // print an empty cell.
  if (list(ep, "subsets").empty()) cell = kNone;
  return json::array({name(ep), cell, age(ep, now)});
}

// kubectl's listWithMoreString: at most 3 items, then " + N more...", "<unset>" when empty.
std::string listWithMore(const std::vector<std::string>& items) {
  constexpr size_t kMax = 3;
  std::vector<std::string> shown(items.begin(), items.begin() + std::min(items.size(), kMax));
  std::string cell = join(shown, ",");
  if (items.size() > kMax) return cell + " + " + std::to_string(items.size() - kMax) + " more...";
  return cell.empty() ? "<unset>" : cell;
}

// kubectl's printEndpointSlice (formatDiscoveryPorts, formatDiscoveryEndpoints).
json endpointSliceCells(const json& slice, Clock::WallTime now) {
  std::vector<std::string> ports;
  for (const json& p : list(slice, "ports")) {
    if (at(p, "port").is_number()) {
      ports.push_back(std::to_string(num(p, "port")));
    } else if (at(p, "name").is_string()) {
      ports.push_back(str(p, "name"));
    } else {
      ports.push_back("*");
    }
  }
  std::vector<std::string> addresses;
  for (const json& ep : list(slice, "endpoints")) {
    for (const json& a : list(ep, "addresses")) {
      if (a.is_string()) addresses.push_back(a.get<std::string>());
    }
  }
  return json::array({name(slice), str(slice, "addressType"), listWithMore(ports),
                      listWithMore(addresses), age(slice, now)});
}

json eventCells(const json& ev, Clock::WallTime now) {
  std::optional<Clock::WallTime> first = timeOf(ev, "firstTimestamp");
  if (!first) first = timeOf(ev, "eventTime");
  std::string first_seen = since(first, now);
  std::optional<Clock::WallTime> last = timeOf(ev, "lastTimestamp");
  std::string last_seen = last ? since(last, now) : first_seen;
  int64_t count = num(ev, "count");
  if (at(ev, "series").is_object()) {
    last_seen = since(timeOf(ev, "series.lastObservedTime"), now);
    count = num(ev, "series.count");
  } else if (count == 0) {
    count = 1;
  }
  std::string kind = str(ev, "involvedObject.kind");
  std::transform(kind.begin(), kind.end(), kind.begin(), [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  });
  std::string target =
      str(ev, "involvedObject.name").empty() ? kind : kind + "/" + str(ev, "involvedObject.name");
  std::string source = str(ev, "source.component");
  if (source.empty()) source = str(ev, "reportingComponent");
  if (!source.empty() && !str(ev, "source.host").empty()) source += ", " + str(ev, "source.host");
  std::string message = str(ev, "message");
  auto not_space = [](char c) { return !std::isspace(static_cast<unsigned char>(c)); };
  message.erase(message.begin(), std::find_if(message.begin(), message.end(), not_space));
  message.erase(std::find_if(message.rbegin(), message.rend(), not_space).base(), message.end());
  return json::array({last_seen, str(ev, "type"), str(ev, "reason"), target,
                      str(ev, "involvedObject.fieldPath"), source, message, first_seen,
                      std::to_string(count), name(ev)});
}

json namespaceCells(const json& ns, Clock::WallTime now) {
  return json::array({name(ns), str(ns, "status.phase"), age(ns, now)});
}

json configMapCells(const json& cm, Clock::WallTime now) {
  return json::array({name(cm), mapSize(cm, "data") + mapSize(cm, "binaryData"), age(cm, now)});
}

json secretCells(const json& s, Clock::WallTime now) {
  return json::array({name(s), str(s, "type"), mapSize(s, "data"), age(s, now)});
}

// kubectl's formatHPAMetrics (autoscaling/v2).
std::string hpaTargets(const json& hpa) {
  const json& specs = list(hpa, "spec.metrics");
  if (specs.empty()) return kNone;
  const json& statuses = list(hpa, "status.currentMetrics");
  std::vector<std::string> parts;
  for (size_t i = 0; i < specs.size(); ++i) {
    const json& spec = specs[i];
    const json& current = i < statuses.size() ? statuses[i] : nullJson();
    std::string type = str(spec, "type");
    if (type == "Resource" || type == "ContainerResource") {
      const char* key = type == "Resource" ? "resource" : "containerResource";
      const json& source = at(spec, key);
      const json& target = at(source, "target");
      const json& cur = at(current, key);
      std::string now_value = "<unknown>";
      std::string want;
      if (at(target, "averageValue").is_string()) {
        if (at(cur, "current.averageValue").is_string())
          now_value = str(cur, "current.averageValue");
        want = str(target, "averageValue");
      } else {
        if (at(cur, "current.averageUtilization").is_number()) {
          now_value = std::to_string(num(cur, "current.averageUtilization")) + "%";
        }
        want = at(target, "averageUtilization").is_number()
                   ? std::to_string(num(target, "averageUtilization")) + "%"
                   : "<auto>";
      }
      parts.push_back(str(source, "name") + ": " + now_value + "/" + want);
    } else if (type == "Pods" || type == "Object" || type == "External") {
      std::string key = type == "Pods" ? "pods" : type == "Object" ? "object" : "external";
      const json& target = at(at(spec, key), "target");
      std::string want = str(target, "averageValue");
      if (want.empty()) want = str(target, "value");
      std::string now_value = str(at(current, key), "current.averageValue");
      if (now_value.empty()) now_value = str(at(current, key), "current.value");
      parts.push_back(orUnknown(now_value) + "/" + orUnknown(want));
    } else {
      parts.push_back("<unknown type>");
    }
  }
  constexpr size_t kMax = 2;
  if (parts.size() > kMax) {
    size_t more = parts.size() - kMax;
    parts.resize(kMax);
    return join(parts, ", ") + " + " + std::to_string(more) + " more...";
  }
  return join(parts, ", ");
}

json hpaCells(const json& hpa, Clock::WallTime now) {
  std::string min_pods = at(hpa, "spec.minReplicas").is_number()
                             ? std::to_string(num(hpa, "spec.minReplicas"))
                             : "<unset>";
  return json::array(
      {name(hpa), str(hpa, "spec.scaleTargetRef.kind") + "/" + str(hpa, "spec.scaleTargetRef.name"),
       hpaTargets(hpa), min_pods, num(hpa, "spec.maxReplicas"), num(hpa, "status.currentReplicas"),
       age(hpa, now)});
}

json leaseCells(const json& lease, Clock::WallTime now) {
  return json::array({name(lease), orNone(str(lease, "spec.holderIdentity")), age(lease, now)});
}

// Seed `Dns`: spec.hostname and spec.paths[{urlPath, serviceName, servicePort}].
json dnsCells(const json& dns, Clock::WallTime now) {
  std::vector<std::string> paths;
  for (const json& p : list(dns, "spec.paths")) {
    paths.push_back(str(p, "urlPath") + "->" + str(p, "serviceName") + ":" +
                    std::to_string(num(p, "servicePort")));
  }
  return json::array(
      {name(dns), orNone(str(dns, "spec.hostname")), orNone(join(paths, ",")), age(dns, now)});
}

// Seed `Hpa`: the original's columns (Name Min Max Current cpu(%) memory(%), "N/A" for a
// value not known yet, as mkctl prints them), then the template and age for -o wide.
json seedHpaCells(const json& hpa, Clock::WallTime now) {
  std::string target = str(hpa, "spec.scaleTargetRef.name");
  if (target.empty()) target = str(hpa, "spec.scaleTargetRef.metadata.name");
  auto intOr = [&](std::string_view path, const char* fallback) -> json {
    const json& v = at(hpa, path);
    return v.is_number_integer() ? json(v.get<int64_t>()) : json(fallback);
  };
  return json::array({name(hpa), intOr("spec.minReplicas", "1"), intOr("spec.maxReplicas", "N/A"),
                      intOr("status.currentReplicas", "N/A"),
                      intOr("status.currentCPUPercent", "N/A"),
                      intOr("status.currentMemPercent", "N/A"),
                      str(hpa, "spec.scaleTargetRef.kind") + "/" + target, age(hpa, now)});
}

// kubectl's printIngress (server-side tables are wide: the address is not clipped).
json ingressCells(const json& ing, Clock::WallTime now) {
  const json& class_name = at(ing, "spec.ingressClassName");
  const json& rules = list(ing, "spec.rules");
  // formatHosts: at most three hosts, then "+ N more..."; "*" when no rule names one.
  constexpr size_t kMaxHosts = 3;
  std::vector<std::string> hosts;
  bool more = false;
  for (const json& rule : rules) {
    if (hosts.size() == kMaxHosts) more = true;
    if (!more && !str(rule, "host").empty()) hosts.push_back(str(rule, "host"));
  }
  std::string hosts_cell = hosts.empty() ? "*" : join(hosts, ",");
  if (more) hosts_cell += " + " + std::to_string(rules.size() - kMaxHosts) + " more...";
  std::set<std::string> addresses;  // sorted and unique, as sets.String
  for (const json& lb : list(ing, "status.loadBalancer.ingress")) {
    if (!str(lb, "ip").empty()) {
      addresses.insert(str(lb, "ip"));
    } else if (!str(lb, "hostname").empty()) {
      addresses.insert(str(lb, "hostname"));
    }
  }
  return json::array({name(ing), class_name.is_string() ? class_name.get<std::string>() : kNone,
                      hosts_cell, join(std::vector<std::string>(addresses.begin(), addresses.end()), ","),
                      list(ing, "spec.tls").empty() ? "80" : "80, 443", age(ing, now)});
}

// kubectl's printIngressClass.
json ingressClassCells(const json& ic, Clock::WallTime now) {
  std::string parameters = kNone;
  const json& params = at(ic, "spec.parameters");
  if (params.is_object()) {
    parameters = str(params, "kind");
    if (at(params, "apiGroup").is_string()) parameters += "." + str(params, "apiGroup");
    parameters += "/" + str(params, "name");
  }
  return json::array({name(ic), str(ic, "spec.controller"), parameters, age(ic, now)});
}

// kubectl's printServiceAccount.
json serviceAccountCells(const json& sa, Clock::WallTime now) {
  return json::array({name(sa), static_cast<int64_t>(list(sa, "secrets").size()), age(sa, now)});
}

// printRole and printClusterRole: the creation time in RFC 3339, UTC.
json createdAtCells(const json& role, Clock::WallTime /*now*/) {
  std::optional<Clock::WallTime> created = timeOf(role, "metadata.creationTimestamp");
  return json::array({name(role), created ? formatRfc3339(*created) : std::string()});
}

// printRoleBinding and printClusterRoleBinding: ROLE is Kind/name; -o wide adds the
// subjects by kind (rbac.SubjectsStrings), service accounts as namespace/name.
json roleBindingCells(const json& binding, Clock::WallTime now) {
  std::vector<std::string> users, groups, service_accounts;
  for (const json& subject : list(binding, "subjects")) {
    std::string kind = str(subject, "kind");
    if (kind == "User") {
      users.push_back(str(subject, "name"));
    } else if (kind == "Group") {
      groups.push_back(str(subject, "name"));
    } else if (kind == "ServiceAccount") {
      service_accounts.push_back(str(subject, "namespace") + "/" + str(subject, "name"));
    }
  }
  return json::array({name(binding), str(binding, "roleRef.kind") + "/" + str(binding, "roleRef.name"),
                      age(binding, now), join(users, ", "), join(groups, ", "),
                      join(service_accounts, ", ")});
}

// printCertificateSigningRequest and extractCSRStatus: CONDITION is Denied, Approved or
// Pending, then ",Failed" and ",Issued" when they apply.
json csrCells(const json& csr, Clock::WallTime now) {
  bool approved = false, denied = false, failed = false;
  for (const json& c : list(csr, "status.conditions")) {
    std::string type = str(c, "type");
    approved = approved || type == "Approved";
    denied = denied || type == "Denied";
    failed = failed || type == "Failed";
  }
  std::string condition = denied ? "Denied" : approved ? "Approved" : "Pending";
  if (failed) condition += ",Failed";
  if (!str(csr, "status.certificate").empty()) condition += ",Issued";
  const json& expiration = at(csr, "spec.expirationSeconds");
  std::string requested_duration =
      expiration.is_number_integer()
          ? humanDuration(std::chrono::seconds(expiration.get<int64_t>()))
          : "<none>";
  return json::array({name(csr), age(csr, now), orNone(str(csr, "spec.signerName")),
                      str(csr, "spec.username"), requested_duration, condition});
}

// printPodDisruptionBudget: an unset bound is N/A.
json pdbCells(const json& pdb, Clock::WallTime now) {
  auto bound = [&](const char* path) {
    const json& v = at(pdb, path);
    if (v.is_string()) return v.get<std::string>();
    if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
    return std::string("N/A");
  };
  const json& allowed = at(pdb, "status.disruptionsAllowed");
  return json::array({name(pdb), bound("spec.minAvailable"), bound("spec.maxUnavailable"),
                      allowed.is_number_integer() ? allowed.get<int64_t>() : 0, age(pdb, now)});
}

json defaultCells(const json& object, Clock::WallTime now) {
  return json::array({name(object), age(object, now)});
}

const Printer& printerFor(const api::ResourceInfo& resource) {
  static const std::map<std::string, Printer, std::less<>> kPrinters = {
      {"pods",
       {{nameColumn(), col("Ready"), col("Status"), col("Restarts"), col("Age"),
         col("IP", "string", 1), col("Node", "string", 1), col("Nominated Node", "string", 1),
         col("Readiness Gates", "string", 1)},
        podCells}},
      {"deployments",
       {{nameColumn(), col("Ready"), col("Up-to-date", "integer"), col("Available", "integer"),
         col("Age"), col("Containers", "string", 1), col("Images", "string", 1),
         col("Selector", "string", 1)},
        deploymentCells}},
      {"replicasets",
       {{nameColumn(), col("Desired", "integer"), col("Current", "integer"),
         col("Ready", "integer"), col("Age"), col("Containers", "string", 1),
         col("Images", "string", 1), col("Selector", "string", 1)},
        replicaSetCells}},
      {"daemonsets",
       {{nameColumn(), col("Desired", "integer"), col("Current", "integer"),
         col("Ready", "integer"), col("Up-to-date", "integer"), col("Available", "integer"),
         col("Node Selector"), col("Age"), col("Containers", "string", 1),
         col("Images", "string", 1), col("Selector", "string", 1)},
        daemonSetCells}},
      {"jobs",
       {{nameColumn(), col("Status"), col("Completions"), col("Duration"), col("Age"),
         col("Containers", "string", 1), col("Images", "string", 1),
         col("Selector", "string", 1)},
        jobCells}},
      {"cronjobs",
       {{nameColumn(), col("Schedule"), col("Timezone"), col("Suspend", "boolean"),
         col("Active", "integer"), col("Last Schedule"), col("Age"),
         col("Containers", "string", 1), col("Images", "string", 1),
         col("Selector", "string", 1)},
        cronJobCells}},
      {"services",
       {{nameColumn(), col("Type"), col("Cluster-IP"), col("External-IP"), col("Port(s)"),
         col("Age"), col("Selector", "string", 1)},
        serviceCells}},
      {"nodes",
       {{nameColumn(), col("Status"), col("Roles"), col("Age"), col("Version"),
         col("Internal-IP", "string", 1), col("External-IP", "string", 1),
         col("OS-Image", "string", 1), col("Kernel-Version", "string", 1),
         col("Container-Runtime", "string", 1)},
        nodeCells}},
      {"endpoints", {{nameColumn(), col("Endpoints"), col("Age")}, endpointsCells}},
      {"endpointslices",
       {{nameColumn(), col("AddressType"), col("Ports"), col("Endpoints"), col("Age")},
        endpointSliceCells}},
      {"events",
       {{col("Last Seen"),
         col("Type"),
         col("Reason"),
         col("Object"),
         col("Subobject", "string", 1),
         col("Source", "string", 1),
         col("Message"),
         col("First Seen", "string", 1),
         col("Count", "string", 1),
         {"Name", "string", 1, "name"}},
        eventCells}},
      {"namespaces", {{nameColumn(), col("Status"), col("Age")}, namespaceCells}},
      {"configmaps", {{nameColumn(), col("Data", "integer"), col("Age")}, configMapCells}},
      {"secrets", {{nameColumn(), col("Type"), col("Data", "integer"), col("Age")}, secretCells}},
      {"horizontalpodautoscalers",
       {{nameColumn(), col("Reference"), col("Targets"), col("MinPods"), col("MaxPods", "integer"),
         col("Replicas", "integer"), col("Age")},
        hpaCells}},
      {"leases", {{nameColumn(), col("Holder"), col("Age")}, leaseCells}},
      {"ingresses",
       {{nameColumn(), col("Class"), col("Hosts"), col("Address"), col("Ports"), col("Age")},
        ingressCells}},
      {"ingressclasses",
       {{nameColumn(), col("Controller"), col("Parameters"), col("Age")}, ingressClassCells}},
      {"serviceaccounts",
       {{nameColumn(), col("Secrets", "integer"), col("Age")}, serviceAccountCells}},
      {"roles", {{nameColumn(), col("Created At", "date")}, createdAtCells}},
      {"clusterroles", {{nameColumn(), col("Created At", "date")}, createdAtCells}},
      {"rolebindings",
       {{nameColumn(), col("Role"), col("Age"), col("Users", "string", 1),
         col("Groups", "string", 1), col("ServiceAccounts", "string", 1)},
        roleBindingCells}},
      {"clusterrolebindings",
       {{nameColumn(), col("Role"), col("Age"), col("Users", "string", 1),
         col("Groups", "string", 1), col("ServiceAccounts", "string", 1)},
        roleBindingCells}},
      {"certificatesigningrequests",
       {{nameColumn(), col("Age"), col("SignerName"), col("Requestor"), col("RequestedDuration"),
         col("Condition")},
        csrCells}},
      {"poddisruptionbudgets",
       {{nameColumn(), col("Min Available"), col("Max Unavailable"),
         col("Allowed Disruptions", "integer"), col("Age")},
        pdbCells}},
      {"dnses", {{nameColumn(), col("Hostname"), col("Paths"), col("Age")}, dnsCells}},
      {"customresourcedefinitions", {{nameColumn(), col("Created At", "date")}, createdAtCells}},
      {"hpas",
       {{nameColumn(), col("Min"), col("Max"), col("Current"), col("cpu(%)"), col("memory(%)"),
         col("Target", "string", 1), col("Age", "string", 1)},
        seedHpaCells}},
  };
  static const Printer kDefault{{nameColumn(), col("Age")}, defaultCells};
  auto it = kPrinters.find(resource.plural);
  return it == kPrinters.end() ? kDefault : it->second;
}

// A custom resource's columns: Name, then its CRD's additionalPrinterColumns (Age when it
// has none), as apiextensions-apiserver's table convertor builds them.
json customColumns(const api::CustomResourceVersion& custom) {
  json columns = json::array({{{"name", "Name"},
                               {"type", "string"},
                               {"format", "name"},
                               {"description", "Name must be unique within a namespace."},
                               {"priority", 0}}});
  for (const api::PrinterColumn& c : custom.columns) {
    columns.push_back({{"name", c.name},
                       {"type", c.type},
                       {"format", c.format},
                       {"description", c.description},
                       {"priority", c.priority}});
  }
  return columns;
}

// Each column's JSONPath value; a date as its age, an absent value null (kubectl: <none>).
json customCells(const api::CustomResourceVersion& custom, const json& object,
                 Clock::WallTime now) {
  json cells = json::array({name(object)});
  for (const api::PrinterColumn& c : custom.columns) {
    json value = api::evaluateSimpleJsonPath(object, c.json_path);
    Clock::WallTime t;
    if (c.type == "date" && value.is_string() && parseRfc3339(value.get<std::string>(), &t)) {
      value = since(t, now);
    }
    cells.push_back(std::move(value));
  }
  return cells;
}

json partialObjectMetadata(const json& object) {
  json meta = json::object();
  const json& m = at(object, "metadata");
  if (m.is_object()) {
    meta = m;
    meta.erase("managedFields");
  }
  return {{"kind", "PartialObjectMetadata"},
          {"apiVersion", "meta.k8s.io/v1"},
          {"metadata", std::move(meta)}};
}

json fullObject(const api::ResourceInfo& resource, const json& object) {
  json full = object;
  if (full.is_object()) {
    if (!full.contains("kind")) full["kind"] = resource.kind;
    if (!full.contains("apiVersion")) full["apiVersion"] = resource.apiVersion();
  }
  return full;
}

json emptyTable() {
  return {{"kind", "Table"}, {"apiVersion", "meta.k8s.io/v1"}, {"metadata", json::object()}};
}

}  // namespace

Result<IncludeObject> parseIncludeObject(std::string_view value) {
  if (value.empty() || value == "Metadata") return IncludeObject::kMetadata;
  if (value == "None") return IncludeObject::kNone;
  if (value == "Object") return IncludeObject::kObject;
  return badRequest("includeObject: unsupported value \"" + std::string(value) +
                    "\": must be one of None, Metadata, Object");
}

json tableColumns(const api::ResourceInfo& resource) {
  if (resource.isCustom()) return customColumns(*resource.custom);
  json columns = json::array();
  for (const Column& c : printerFor(resource).columns) {
    columns.push_back({{"name", c.name},
                       {"type", c.type},
                       {"format", c.format},
                       {"description", ""},
                       {"priority", c.priority}});
  }
  return columns;
}

json tableRow(const api::ResourceInfo& resource, const json& object, Clock::WallTime now,
              IncludeObject mode) {
  const Printer& printer = printerFor(resource);
  json cells;
  try {
    cells = resource.isCustom() ? customCells(*resource.custom, object, now)
                                : printer.cells(object, now);
  } catch (const std::exception&) {
    // A malformed object: keep the row, with its name where the Name column is.
    cells = json::array();
    for (const json& c : tableColumns(resource)) {
      cells.push_back(c.value("format", "") == "name" ? json(name(object)) : json("<unknown>"));
    }
  }
  json row = {{"cells", std::move(cells)}};
  if (mode == IncludeObject::kMetadata) row["object"] = partialObjectMetadata(object);
  if (mode == IncludeObject::kObject) row["object"] = fullObject(resource, object);
  return row;
}

json buildTable(const api::ResourceInfo& resource, const std::vector<const json*>& objects,
                Clock::WallTime now, IncludeObject mode, const std::string& list_resource_version) {
  json table = emptyTable();
  if (!list_resource_version.empty()) {
    table["metadata"]["resourceVersion"] = list_resource_version;
  }
  table["columnDefinitions"] = tableColumns(resource);
  json rows = json::array();
  for (const json* object : objects) {
    if (object != nullptr) rows.push_back(tableRow(resource, *object, now, mode));
  }
  table["rows"] = std::move(rows);
  return table;
}

json buildWatchEventTable(const api::ResourceInfo& resource, const json& object,
                          Clock::WallTime now, IncludeObject mode,
                          bool include_column_definitions) {
  json table = emptyTable();
  std::string rv = str(object, "metadata.resourceVersion");
  if (!rv.empty()) table["metadata"]["resourceVersion"] = rv;
  table["columnDefinitions"] = include_column_definitions ? tableColumns(resource) : json::array();
  table["rows"] = json::array({tableRow(resource, object, now, mode)});
  return table;
}

}  // namespace minik8s::apiserver
