#include "apiserver/metrics_api.h"

#include <algorithm>
#include <future>
#include <map>
#include <set>

#include "api/selector.h"
#include "apiserver/kubelet_client.h"
#include "apiserver/node_proxy.h"
#include "apiserver/status_response.h"
#include "common/log.h"

namespace minik8s::apiserver {

using nlohmann::json;

namespace {

constexpr char kWindow[] = "10s";
constexpr char kPrefix[] = "/apis/metrics.k8s.io/v1beta1/";

uint64_t uintAt(const json& j, const char* a, const char* b) {
  if (!j.is_object() || !j.contains(a) || !j[a].is_object() || !j[a].contains(b)) return 0;
  const json& v = j[a][b];
  return v.is_number_unsigned() || v.is_number_integer() ? v.get<uint64_t>() : 0;
}

std::string timeAt(const json& j, const char* a) {
  if (!j.is_object() || !j.contains(a) || !j[a].is_object()) return "";
  return j[a].value("time", "");
}

bool nodeReady(const json& node) {
  if (!node.contains("status") || !node["status"].contains("conditions")) return false;
  for (const auto& c : node["status"]["conditions"]) {
    if (c.is_object() && c.value("type", "") == "Ready") return c.value("status", "") == "True";
  }
  return false;
}

HandlerResult reply(json body) {
  HandlerResult r;
  r.response.headers.emplace_back("Content-Type", "application/json");
  r.response.body = body.dump();
  return r;
}

json listOf(const char* kind, json items) {
  return {{"kind", kind},
          {"apiVersion", std::string(kMetricsGroup) + "/" + kMetricsVersion},
          {"metadata", json::object()},
          {"items", std::move(items)}};
}

json withKind(json item, const char* kind) {
  json out = {{"kind", kind}, {"apiVersion", std::string(kMetricsGroup) + "/" + kMetricsVersion}};
  for (auto& [k, v] : item.items()) out[k] = std::move(v);
  return out;
}

void copyMetadata(const json& object, json* metrics) {
  if (!object.contains("metadata")) return;
  const json& md = object["metadata"];
  if (md.contains("labels") && md["labels"].is_object() && !md["labels"].empty()) {
    (*metrics)["metadata"]["labels"] = md["labels"];
  }
}

}  // namespace

const std::vector<api::ResourceInfo>& metricsResources() {
  static const std::vector<api::ResourceInfo> resources = [] {
    api::ResourceInfo pods;
    pods.group = kMetricsGroup;
    pods.version = kMetricsVersion;
    pods.kind = "PodMetrics";
    pods.plural = "pods";
    pods.singular = "";
    pods.namespaced = true;
    pods.verbs = {"get", "list"};
    api::ResourceInfo nodes = pods;
    nodes.kind = "NodeMetrics";
    nodes.plural = "nodes";
    nodes.namespaced = false;
    return std::vector<api::ResourceInfo>{nodes, pods};
  }();
  return resources;
}

std::string formatCpuQuantity(uint64_t nanocores) {
  if (nanocores == 0) return "0";
  uint64_t milli = (nanocores + 999'999) / 1'000'000;
  return std::to_string(milli) + "m";
}

std::string formatMemoryQuantity(uint64_t bytes) {
  if (bytes == 0) return "0";
  constexpr uint64_t kMi = 1024 * 1024;
  if (bytes % kMi == 0) return std::to_string(bytes / kMi) + "Mi";
  return std::to_string((bytes + 1023) / 1024) + "Ki";
}

std::optional<json> nodeMetricsFromSummary(const json& summary, const std::string& node_name,
                                           const std::string& window) {
  if (!summary.is_object() || !summary.contains("node") || !summary["node"].is_object()) {
    return std::nullopt;
  }
  const json& node = summary["node"];
  std::string timestamp = timeAt(node, "cpu");
  if (timestamp.empty()) timestamp = timeAt(node, "memory");
  return json{{"metadata", {{"name", node_name}, {"creationTimestamp", timestamp}}},
              {"timestamp", timestamp},
              {"window", window},
              {"usage",
               {{"cpu", formatCpuQuantity(uintAt(node, "cpu", "usageNanoCores"))},
                {"memory", formatMemoryQuantity(uintAt(node, "memory", "workingSetBytes"))}}}};
}

std::vector<SummaryPodMetrics> podMetricsFromSummary(const json& summary,
                                                     const std::string& window) {
  std::vector<SummaryPodMetrics> out;
  if (!summary.is_object() || !summary.contains("pods") || !summary["pods"].is_array()) return out;
  for (const auto& pod : summary["pods"]) {
    if (!pod.is_object() || !pod.contains("podRef") || !pod.contains("containers") ||
        !pod["containers"].is_array() || pod["containers"].empty()) {
      continue;
    }
    json containers = json::array();
    std::string timestamp;
    for (const auto& c : pod["containers"]) {
      if (!c.is_object()) continue;
      if (timestamp.empty()) timestamp = timeAt(c, "cpu");
      containers.push_back(
          {{"name", c.value("name", "")},
           {"usage",
            {{"cpu", formatCpuQuantity(uintAt(c, "cpu", "usageNanoCores"))},
             {"memory", formatMemoryQuantity(uintAt(c, "memory", "workingSetBytes"))}}}});
    }
    if (timestamp.empty()) timestamp = timeAt(pod, "cpu");
    const json& ref = pod["podRef"];
    SummaryPodMetrics m;
    m.uid = ref.value("uid", "");
    m.metrics = {{"metadata",
                  {{"name", ref.value("name", "")},
                   {"namespace", ref.value("namespace", "")},
                   {"creationTimestamp", timestamp}}},
                 {"timestamp", timestamp},
                 {"window", window},
                 {"containers", std::move(containers)}};
    out.push_back(std::move(m));
  }
  return out;
}

MetricsApi::MetricsApi(RestHandler& rest, KubeletClient kubelet,
                       std::chrono::milliseconds kubelet_timeout)
    : rest_(rest), kubelet_(std::move(kubelet)), kubelet_timeout_(kubelet_timeout) {}

std::vector<MetricsApi::NodeSummary> MetricsApi::summaries(const std::vector<std::string>& names,
                                                           bool all) {
  std::vector<json> nodes;
  WatchCache* cache = rest_.cache("nodes");
  if (cache == nullptr) return {};
  std::set<std::string> wanted(names.begin(), names.end());
  for (const auto& object : cache->list(WatchFilter{}).objects) {
    json node = json::parse(object->json, nullptr, false);
    if (!node.is_object() || !nodeReady(node)) continue;
    if (!all && !wanted.count(node["metadata"].value("name", ""))) continue;
    nodes.push_back(std::move(node));
  }
  std::vector<std::future<std::optional<json>>> fetches;
  for (const auto& node : nodes) {
    fetches.push_back(std::async(std::launch::async, [this, node]() -> std::optional<json> {
      std::string name = node["metadata"].value("name", "");
      auto address = kubeletAddressOf(node);
      if (!address.isOk()) return std::nullopt;
      auto got = kubelet_.get(address->host, address->port, "/stats/summary", kubelet_timeout_);
      if (!got.isOk() || got->status != 200) {
        log::warn("apiserver: metrics: no summary from node {}: {}", name,
                  got.isOk() ? "HTTP " + std::to_string(got->status) : got.status().toString());
        return std::nullopt;
      }
      json summary = json::parse(got->body, nullptr, false);
      if (!summary.is_object()) return std::nullopt;
      return summary;
    }));
  }
  std::vector<NodeSummary> out;
  for (size_t i = 0; i < nodes.size(); ++i) {
    auto summary = fetches[i].get();
    if (summary) out.push_back(NodeSummary{nodes[i], std::move(*summary)});
  }
  return out;
}

std::optional<HandlerResult> MetricsApi::handle(const HttpRequest& request) {
  if (request.path.rfind(kPrefix, 0) != 0) return std::nullopt;
  const std::string rest = request.path.substr(std::string(kPrefix).size());
  auto parts = http::splitPath(rest);
  if (request.method != "GET") {
    return statusResult(Status(Code::kMethodNotAllowed, "metrics.k8s.io serves get and list only"));
  }
  if (http::isTrueValue(request.queryValue("watch"))) {
    return statusResult(Status(Code::kMethodNotAllowed, "metrics.k8s.io does not support watch"));
  }
  if (!parts.empty() && parts[0] == "nodes" && parts.size() <= 2) {
    return nodes(request, std::string(parts.size() == 2 ? parts[1] : ""));
  }
  if (parts.size() == 1 && parts[0] == "pods") return pods(request, "", "");
  if (parts.size() >= 3 && parts.size() <= 4 && parts[0] == "namespaces" && parts[2] == "pods") {
    return pods(request, std::string(parts[1]), std::string(parts.size() == 4 ? parts[3] : ""));
  }
  return statusResult(notFound("the server could not find the requested resource"));
}

HandlerResult MetricsApi::nodes(const HttpRequest& request, const std::string& name) {
  auto selector = api::LabelSelector::parse(request.queryValue("labelSelector"));
  if (!selector.isOk()) return statusResult(selector.status());
  std::vector<std::string> names;
  if (!name.empty()) names.push_back(name);
  auto fetched = summaries(names, name.empty());
  json items = json::array();
  for (const auto& s : fetched) {
    std::string node_name = s.node["metadata"].value("name", "");
    if (!selector->matchesObject(s.node)) continue;
    auto metrics = nodeMetricsFromSummary(s.summary, node_name, kWindow);
    if (!metrics) continue;
    copyMetadata(s.node, &*metrics);
    items.push_back(std::move(*metrics));
  }
  std::sort(items.begin(), items.end(), [](const json& a, const json& b) {
    return a["metadata"]["name"].get<std::string>() < b["metadata"]["name"].get<std::string>();
  });
  if (!name.empty()) {
    if (items.empty()) {
      return statusResult(notFound("nodemetrics.metrics.k8s.io \"" + name + "\" not found"),
                  StatusDetails{name, kMetricsGroup, "nodes"});
    }
    return reply(withKind(std::move(items[0]), "NodeMetrics"));
  }
  return reply(listOf("NodeMetricsList", std::move(items)));
}

HandlerResult MetricsApi::pods(const HttpRequest& request, const std::string& namespace_,
                               const std::string& name) {
  auto selector = api::LabelSelector::parse(request.queryValue("labelSelector"));
  if (!selector.isOk()) return statusResult(selector.status());
  WatchCache* cache = rest_.cache("pods");
  if (cache == nullptr) return statusResult(unavailable("the pod cache is not ready"));
  // The live pods asked for, by namespace/name.
  std::map<std::string, json> live;
  std::set<std::string> node_names;
  WatchFilter filter;
  filter.namespace_ = namespace_;
  for (const auto& object : cache->list(filter).objects) {
    json pod = json::parse(object->json, nullptr, false);
    if (!pod.is_object()) continue;
    const json& md = pod["metadata"];
    if (!name.empty() && md.value("name", "") != name) continue;
    if (!selector->matchesObject(pod)) continue;
    std::string node = pod.contains("spec") ? pod["spec"].value("nodeName", "") : "";
    if (node.empty()) continue;
    node_names.insert(node);
    live[md.value("namespace", "") + "/" + md.value("name", "")] = std::move(pod);
  }
  json items = json::array();
  if (!live.empty()) {
    auto fetched = summaries(std::vector<std::string>(node_names.begin(), node_names.end()), false);
    for (const auto& s : fetched) {
      for (auto& m : podMetricsFromSummary(s.summary, kWindow)) {
        const json& md = m.metrics["metadata"];
        auto it = live.find(md.value("namespace", "") + "/" + md.value("name", ""));
        if (it == live.end()) continue;
        std::string uid = it->second["metadata"].value("uid", "");
        if (!m.uid.empty() && !uid.empty() && m.uid != uid) continue;  // a stale sandbox
        copyMetadata(it->second, &m.metrics);
        items.push_back(std::move(m.metrics));
        live.erase(it);  // one answer per pod
      }
    }
  }
  std::sort(items.begin(), items.end(), [](const json& a, const json& b) {
    const json& x = a["metadata"];
    const json& y = b["metadata"];
    return std::make_pair(x["namespace"].get<std::string>(), x["name"].get<std::string>()) <
           std::make_pair(y["namespace"].get<std::string>(), y["name"].get<std::string>());
  });
  if (!name.empty()) {
    if (items.empty()) {
      return statusResult(
          notFound("podmetrics.metrics.k8s.io \"" + namespace_ + "/" + name + "\" not found"),
          StatusDetails{name, kMetricsGroup, "pods"});
    }
    return reply(withKind(std::move(items[0]), "PodMetrics"));
  }
  return reply(listOf("PodMetricsList", std::move(items)));
}

}  // namespace minik8s::apiserver
