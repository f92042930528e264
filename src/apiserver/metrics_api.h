// MetricsApi: metrics.k8s.io/v1beta1 for `kubectl top pods|nodes` (kubectl-protocol.md
// §7.14), answered on request from the /stats/summary of the kubelets of Ready nodes (each
// asked with a short deadline, in parallel; a node that does not answer is left out, as
// metrics-server leaves it out). Pods and nodes come from the watch caches, so label
// selectors and the pod's identity (a summary pod whose uid is not the live pod's is
// stale) are checked here. The conversion is pure. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "api/scheme.h"
#include "apiserver/http_server.h"
#include "apiserver/kubelet_client.h"
#include "apiserver/rest_handler.h"

namespace minik8s::apiserver {

inline constexpr char kMetricsGroup[] = "metrics.k8s.io";
inline constexpr char kMetricsVersion[] = "v1beta1";

// The group's resources, for discovery (pods and nodes, verbs get and list).
const std::vector<api::ResourceInfo>& metricsResources();

// Nanocores as millicores, rounded up: "5m", "1500m"; "0" for none.
std::string formatCpuQuantity(uint64_t nanocores);
// Bytes as a binary quantity: "12Mi" when a whole number of MiB, else "…Ki" (rounded up);
// "0" for none.
std::string formatMemoryQuantity(uint64_t bytes);

// A NodeMetrics item ({metadata:{name},timestamp,window,usage:{cpu,memory}}) from a
// kubelet's summary; nullopt when it has no node section.
std::optional<nlohmann::json> nodeMetricsFromSummary(const nlohmann::json& summary,
                                                     const std::string& node_name,
                                                     const std::string& window);
// A PodMetrics item ({metadata:{name,namespace},timestamp,window,containers:[{name,
// usage:{cpu,memory}}]}) per summary pod that has containers. A container without a CPU
// rate yet reports "0".
struct SummaryPodMetrics {
  std::string uid;  // podRef.uid, to tell a stale sandbox from the live pod
  nlohmann::json metrics;
};
std::vector<SummaryPodMetrics> podMetricsFromSummary(const nlohmann::json& summary,
                                                     const std::string& window);

class MetricsApi {
 public:
  // `kubelet`: how to dial kubelets (the server's ApiServerOptions::kubelet_client).
  MetricsApi(RestHandler& rest, KubeletClient kubelet,
             std::chrono::milliseconds kubelet_timeout = std::chrono::seconds(3));

  // Resource paths under /apis/metrics.k8s.io/v1beta1/: nodes[/{name}], pods,
  // namespaces/{ns}/pods[/{name}]. nullopt for any other path.
  std::optional<HandlerResult> handle(const HttpRequest& request);

 private:
  struct NodeSummary {
    nlohmann::json node;     // the Node object
    nlohmann::json summary;  // its kubelet's /stats/summary
  };
  // Summaries of the named Ready nodes (all Ready nodes when `names` is empty).
  std::vector<NodeSummary> summaries(const std::vector<std::string>& names, bool all);

  HandlerResult nodes(const HttpRequest& request, const std::string& name);
  HandlerResult pods(const HttpRequest& request, const std::string& namespace_,
                     const std::string& name);

  RestHandler& rest_;
  const KubeletClient kubelet_;
  const std::chrono::milliseconds kubelet_timeout_;
};

}  // namespace minik8s::apiserver
