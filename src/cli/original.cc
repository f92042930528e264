#include "cli/original.h"

#include <algorithm>
#include <cctype>

#include "api/quantity.h"
#include "cli/json_fields.h"

namespace minik8s::cli {

using nlohmann::json;

namespace {

constexpr char kNotAvailable[] = "N/A";

std::string stringOf(const json& value) {
  return value.is_string() ? value.get<std::string>() : "";
}

std::string orNotAvailable(std::string s) {
  return s.empty() ? kNotAvailable : s;
}

// An integer field as text; `fallback` when absent.
std::string intText(const json& value, const std::string& fallback) {
  return value.is_number_integer() ? std::to_string(value.get<int64_t>()) : fallback;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string nameOf(const json& object) {
  return stringAt(object, "metadata", "name");
}
std::string namespaceOf(const json& object) {
  return stringAt(object, "metadata", "namespace");
}

// The object among `objects` with the namespace and name of `like`; null when none.
const json* sameName(const std::vector<json>& objects, const json& like) {
  for (const auto& o : objects) {
    if (nameOf(o) == nameOf(like) && namespaceOf(o) == namespaceOf(like)) return &o;
  }
  return nullptr;
}

std::string joinSpaces(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : " ") + p;
  return out;
}

std::vector<std::string> podRow(const json& pod, Clock::WallTime now) {
  return {nameOf(pod), originalPodStatus(pod), orNotAvailable(stringAt(pod, "status", "podIP")),
          originalPodRuntime(pod, now), orNotAvailable(stringAt(pod, "spec", "nodeName"))};
}

std::vector<std::string> serviceRow(const json& service, const std::vector<json>& endpoints) {
  const json* ep = sameName(endpoints, service);
  return {nameOf(service), originalServicePhase(ep),
          orNotAvailable(stringAt(service, "spec", "clusterIP")),
          ep == nullptr ? "" : joinSpaces(readyEndpoints(*ep))};
}

std::vector<std::string> deploymentRow(const json& deployment) {
  return {nameOf(deployment), intText(field(field(deployment, "spec"), "replicas"), "1"),
          intText(field(field(deployment, "status"), "readyReplicas"), "0")};
}

// autoscaling/v2 status.currentMetrics[]: the current averageUtilization of a Resource
// metric; null when absent.
const json& currentUtilization(const json& hpa, const std::string& resource) {
  static const json kNull;
  const json& metrics = field(field(hpa, "status"), "currentMetrics");
  if (!metrics.is_array()) return kNull;
  for (const auto& m : metrics) {
    if (stringOf(field(m, "type")) != "Resource") continue;
    const json& r = field(m, "resource");
    if (stringOf(field(r, "name")) != resource) continue;
    return field(field(r, "current"), "averageUtilization");
  }
  return kNull;
}

std::vector<std::string> hpaRow(const json& hpa) {
  const json& spec = field(hpa, "spec");
  const json& status = field(hpa, "status");
  bool seed = stringOf(field(hpa, "kind")) == "Hpa";
  const json& cpu = seed ? field(status, "currentCPUPercent") : currentUtilization(hpa, "cpu");
  const json& memory =
      seed ? field(status, "currentMemPercent") : currentUtilization(hpa, "memory");
  return {nameOf(hpa),
          intText(field(spec, "minReplicas"), "1"),
          intText(field(spec, "maxReplicas"), kNotAvailable),
          intText(field(status, "currentReplicas"), kNotAvailable),
          intText(cpu, kNotAvailable),
          intText(memory, kNotAvailable)};
}

std::string nodeAddress(const json& node, const std::string& type) {
  const json& addresses = field(field(node, "status"), "addresses");
  if (!addresses.is_array()) return "";
  for (const auto& a : addresses) {
    if (stringOf(field(a, "type")) == type) return stringOf(field(a, "address"));
  }
  return "";
}

std::vector<std::string> nodeRow(const json& node, const std::vector<json>& pods,
                                 const std::vector<json>& node_metrics) {
  std::string name = nameOf(node);
  std::string ip = nodeAddress(node, "InternalIP");
  if (ip.empty()) ip = nodeAddress(node, "ExternalIP");
  std::string host = nodeAddress(node, "Hostname");
  int64_t count = 0;
  for (const auto& pod : pods) {
    std::string phase = stringAt(pod, "status", "phase");
    if (stringAt(pod, "spec", "nodeName") == name && phase != "Succeeded" && phase != "Failed") {
      ++count;
    }
  }
  const json* metrics = nullptr;
  for (const auto& m : node_metrics) {
    if (nameOf(m) == name) metrics = &m;
  }
  return {orNotAvailable(ip),
          host.empty() ? name : host,
          originalNodeCondition(node),
          std::to_string(count),
          usagePercent(metrics, node, "cpu"),
          usagePercent(metrics, node, "memory")};
}

std::vector<std::string> dnsRow(const json& dns) {
  std::string phase = lower(stringAt(dns, "status", "phase"));
  std::vector<std::string> paths;
  const json& list = field(field(dns, "spec"), "paths");
  if (list.is_array()) {
    for (const auto& p : list) {
      paths.push_back(stringOf(field(p, "serviceName")) + "/" +
                      intText(field(p, "servicePort"), stringOf(field(p, "servicePort"))));
    }
  }
  return {nameOf(dns), orNotAvailable(stringAt(dns, "spec", "hostname")),
          phase.empty() ? "pending" : phase, joinSpaces(paths)};
}

std::vector<std::string> headerOf(OriginalTable table) {
  switch (table) {
    case OriginalTable::kPods: return {"Name", "Status", "IP", "Runtime", "Node"};
    case OriginalTable::kServices: return {"Name", "Phase", "ClusterIP", "Endpoints"};
    case OriginalTable::kDeployments: return {"Name", "Replicas", "ReadyReplicas"};
    case OriginalTable::kHpas: return {"Name", "Min", "Max", "Current", "cpu(%)", "memory(%)"};
    case OriginalTable::kNodes:
      return {"IP", "HostName", "Condition", "NumPods", "CpuPercent", "MemPercent"};
    case OriginalTable::kDnses: return {"Name", "Host", "Phase", "Paths"};
  }
  return {};
}

}  // namespace

std::optional<OriginalTable> originalTableOf(const api::ResourceInfo& r) {
  if (r.group.empty()) {
    if (r.plural == "pods") return OriginalTable::kPods;
    if (r.plural == "services") return OriginalTable::kServices;
    if (r.plural == "hpas") return OriginalTable::kHpas;
    if (r.plural == "nodes") return OriginalTable::kNodes;
    if (r.plural == "dnses") return OriginalTable::kDnses;
  }
  if (r.group == "apps" && r.plural == "deployments") return OriginalTable::kDeployments;
  if (r.group == "autoscaling" && r.plural == "horizontalpodautoscalers") {
    return OriginalTable::kHpas;
  }
  return std::nullopt;
}

std::vector<const api::ResourceInfo*> originalTableResources(
    OriginalTable table, const std::vector<api::ResourceInfo>& resources) {
  std::vector<const api::ResourceInfo*> out;
  for (const auto& r : resources) {
    if (originalTableOf(r) == table) out.push_back(&r);
  }
  return out;
}

std::vector<std::vector<std::string>> originalRows(OriginalTable table, const OriginalInputs& in) {
  bool namespaced = table != OriginalTable::kNodes;
  std::vector<std::vector<std::string>> rows;
  rows.push_back(headerOf(table));
  for (const auto& object : in.objects) {
    std::vector<std::string> row;
    switch (table) {
      case OriginalTable::kPods: row = podRow(object, in.now); break;
      case OriginalTable::kServices: row = serviceRow(object, in.endpoints); break;
      case OriginalTable::kDeployments: row = deploymentRow(object); break;
      case OriginalTable::kHpas: row = hpaRow(object); break;
      case OriginalTable::kNodes: row = nodeRow(object, in.pods, in.node_metrics); break;
      case OriginalTable::kDnses: row = dnsRow(object); break;
    }
    if (in.with_namespace && namespaced) row.insert(row.begin(), namespaceOf(object));
    rows.push_back(std::move(row));
  }
  if (in.with_namespace && namespaced) rows.front().insert(rows.front().begin(), "Namespace");
  return rows;
}

std::string goDuration(std::chrono::seconds d) {
  int64_t s = std::max<int64_t>(d.count(), 0);
  int64_t h = s / 3600;
  int64_t m = (s % 3600) / 60;
  s %= 60;
  if (h > 0) return std::to_string(h) + "h" + std::to_string(m) + "m" + std::to_string(s) + "s";
  if (m > 0) return std::to_string(m) + "m" + std::to_string(s) + "s";
  return std::to_string(s) + "s";
}

std::string originalPodStatus(const json& pod) {
  if (!field(field(pod, "metadata"), "deletionTimestamp").is_null()) return "terminating";
  std::string phase = lower(stringAt(pod, "status", "phase"));
  return phase.empty() ? "pending" : phase;
}

std::string originalPodRuntime(const json& pod, Clock::WallTime now) {
  std::optional<Clock::WallTime> first;
  auto consider = [&](const json& state) {
    for (const char* s : {"running", "terminated"}) {
      Clock::WallTime t;
      if (parseRfc3339(stringOf(field(field(state, s), "startedAt")), &t)) {
        if (!first || t < *first) first = t;
      }
    }
  };
  for (const char* list : {"initContainerStatuses", "containerStatuses"}) {
    const json& statuses = field(field(pod, "status"), list);
    if (!statuses.is_array()) continue;
    for (const auto& cs : statuses) {
      consider(field(cs, "state"));
      consider(field(cs, "lastState"));
    }
  }
  if (!first) return kNotAvailable;
  return goDuration(std::chrono::duration_cast<std::chrono::seconds>(now - *first));
}

std::vector<std::string> readyEndpoints(const json& endpoints) {
  std::vector<std::string> out;
  const json& subsets = field(endpoints, "subsets");
  if (!subsets.is_array()) return out;
  for (const auto& subset : subsets) {
    const json& addresses = field(subset, "addresses");
    const json& ports = field(subset, "ports");
    if (!addresses.is_array()) continue;
    for (const auto& a : addresses) {
      std::string ip = stringOf(field(a, "ip"));
      if (!ports.is_array() || ports.empty()) {
        out.push_back(ip);
        continue;
      }
      for (const auto& p : ports) out.push_back(ip + "/" + intText(field(p, "port"), "?"));
    }
  }
  return out;
}

std::string originalServicePhase(const json* endpoints) {
  if (endpoints == nullptr) return "pending";
  const json& subsets = field(*endpoints, "subsets");
  if (!subsets.is_array()) return "pending";
  for (const auto& subset : subsets) {
    const json& addresses = field(subset, "addresses");
    if (addresses.is_array() && !addresses.empty()) return "running";
  }
  return "pending";
}

std::string originalNodeCondition(const json& node) {
  const json& conditions = field(field(node, "status"), "conditions");
  if (!conditions.is_array()) return "Unknown";
  for (const auto& c : conditions) {
    if (stringOf(field(c, "type")) != "Ready") continue;
    std::string status = stringOf(field(c, "status"));
    if (status == "True") return "Ready";
    if (status == "False") return "NotReady";
    return "Unknown";
  }
  return "Unknown";
}

std::string usagePercent(const json* node_metrics, const json& node, const char* resource) {
  if (node_metrics == nullptr) return kNotAvailable;
  std::string used_text = stringOf(field(field(*node_metrics, "usage"), resource));
  std::string total_text = stringOf(field(field(field(node, "status"), "allocatable"), resource));
  if (total_text.empty()) {
    total_text = stringOf(field(field(field(node, "status"), "capacity"), resource));
  }
  auto used = api::Quantity::parse(used_text);
  auto total = api::Quantity::parse(total_text);
  if (!used.isOk() || !total.isOk()) return kNotAvailable;
  // In milli-units for both (millicores, milli-bytes), as kubectl top divides them.
  int64_t t = total->milliValue();
  if (t <= 0) return kNotAvailable;
  double percent = static_cast<double>(used->milliValue()) * 100.0 / static_cast<double>(t);
  return std::to_string(static_cast<int64_t>(percent));
}

}  // namespace minik8s::cli
