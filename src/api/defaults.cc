#include "api/defaults.h"

#include "api/types_discovery.h"

#include <array>
#include <limits>
#include <set>

#include "api/types_batch.h"
#include "api/types_certificates.h"
#include "api/types_networking.h"
#include "api/types_policy.h"
#include "api/types_rbac.h"

namespace minik8s::api {
namespace {

constexpr std::string_view kBase64Chars =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void defaultPorts(std::vector<ContainerPort>& ports) {
  for (ContainerPort& port : ports) {
    if (port.protocol.empty()) port.protocol = "TCP";
  }
}

}  // namespace

std::string defaultImagePullPolicy(const std::string& image) {
  // The tag follows the last ':' after the last '/' (a registry host may carry a port);
  // a digest ("@sha256:...") pins the image.
  if (image.find('@') != std::string::npos) return "IfNotPresent";
  size_t slash = image.rfind('/');
  size_t colon = image.rfind(':');
  bool tagged = colon != std::string::npos && (slash == std::string::npos || colon > slash);
  if (!tagged) return "Always";
  return image.substr(colon + 1) == "latest" ? "Always" : "IfNotPresent";
}

void setDefaults(Probe& probe) {
  if (probe.timeout_seconds == 0) probe.timeout_seconds = 1;
  if (probe.period_seconds == 0) probe.period_seconds = 10;
  if (probe.success_threshold == 0) probe.success_threshold = 1;
  if (probe.failure_threshold == 0) probe.failure_threshold = 3;
  if (probe.http_get && probe.http_get->path.empty()) probe.http_get->path = "/";
  if (probe.http_get && probe.http_get->scheme.empty()) probe.http_get->scheme = "HTTP";
}

void setDefaults(Container& container) {
  if (container.image_pull_policy.empty()) {
    container.image_pull_policy = defaultImagePullPolicy(container.image);
  }
  if (container.termination_message_path.empty()) {
    container.termination_message_path = "/dev/termination-log";
  }
  if (container.termination_message_policy.empty()) container.termination_message_policy = "File";
  defaultPorts(container.ports);
  for (std::optional<Probe>* probe :
       {&container.liveness_probe, &container.readiness_probe, &container.startup_probe}) {
    if (probe->has_value()) setDefaults(**probe);
  }
  // Kubernetes copies limits to requests when requests are unset.
  for (const auto& [name, limit] : container.resources.limits) {
    container.resources.requests.try_emplace(name, limit);
  }
}

void setDefaults(PodSpec& spec) {
  if (spec.restart_policy.empty()) spec.restart_policy = "Always";
  if (spec.dns_policy.empty()) spec.dns_policy = "ClusterFirst";
  if (!spec.termination_grace_period_seconds) spec.termination_grace_period_seconds = 30;
  if (spec.scheduler_name.empty()) spec.scheduler_name = "default-scheduler";
  if (!spec.enable_service_links) spec.enable_service_links = true;
  if (spec.service_account_name.empty() && !spec.service_account.empty()) {
    spec.service_account_name = spec.service_account;
  }
  for (Container& c : spec.init_containers) setDefaults(c);
  for (Container& c : spec.containers) setDefaults(c);
  for (Volume& volume : spec.volumes) {
    bool has_source = volume.host_path || volume.empty_dir || volume.config_map || volume.secret ||
                      !volume.persistent_volume_claim.isNull() || !volume.projected.isNull() ||
                      !volume.downward_api.isNull() || !volume.nfs.isNull() ||
                      !volume.csi.isNull() || !volume.ephemeral.isNull() || !volume.local.isNull();
    if (!has_source) volume.empty_dir.emplace();  // Kubernetes' default volume source
    if (volume.config_map && !volume.config_map->default_mode)
      volume.config_map->default_mode = 0644;
    if (volume.secret && !volume.secret->default_mode) volume.secret->default_mode = 0644;
    if (volume.host_path && !volume.host_path->type) volume.host_path->type = "";
  }
}

std::string computeQosClass(const PodSpec& spec) {
  // Kubernetes' GetPodQOS over cpu and memory of all (init) containers.
  static const std::array<std::string, 2> kResources = {"cpu", "memory"};
  bool any_set = false;
  bool guaranteed = true;
  auto visit = [&](const Container& c) {
    for (const std::string& name : kResources) {
      auto req = c.resources.requests.find(name);
      auto lim = c.resources.limits.find(name);
      bool has_req = req != c.resources.requests.end() && req->second.isValid() &&
                     req->second > Quantity::fromInt(0);
      bool has_lim = lim != c.resources.limits.end() && lim->second.isValid() &&
                     lim->second > Quantity::fromInt(0);
      if (has_req || has_lim) any_set = true;
      if (!has_lim || (has_req && !(req->second == lim->second))) guaranteed = false;
    }
  };
  for (const Container& c : spec.init_containers) visit(c);
  for (const Container& c : spec.containers) visit(c);
  if (!any_set) {
    // Pod-level resources (seed manifests) count too.
    if (spec.resources && (!spec.resources->requests.empty() || !spec.resources->limits.empty())) {
      const ResourceRequirements& r = *spec.resources;
      bool equal = r.limits.size() == kResources.size();
      for (const std::string& name : kResources) {
        auto req = r.requests.find(name);
        auto lim = r.limits.find(name);
        if (lim == r.limits.end() || (req != r.requests.end() && !(req->second == lim->second))) {
          equal = false;
        }
      }
      return equal ? "Guaranteed" : "Burstable";
    }
    return "BestEffort";
  }
  return guaranteed ? "Guaranteed" : "Burstable";
}

void setDefaults(Pod& pod) {
  setDefaults(pod.spec);
  if (!pod.spec.priority) pod.spec.priority = 0;  // Priority admission, without classes
  if (pod.status.phase.empty()) pod.status.phase = "Pending";
  if (pod.status.qos_class.empty()) pod.status.qos_class = computeQosClass(pod.spec);
}

void setDefaults(Namespace& ns) {
  if (ns.status.phase.empty()) ns.status.phase = "Active";
  if (!ns.metadata.name.empty())
    ns.metadata.labels["kubernetes.io/metadata.name"] = ns.metadata.name;
}

void setDefaults(Service& service) {
  ServiceSpec& spec = service.spec;
  if (spec.type.empty()) spec.type = "ClusterIP";
  if (spec.type == "ExternalName") return;  // no IPs, no proxying
  if (spec.session_affinity.empty()) spec.session_affinity = "None";
  for (ServicePort& port : spec.ports) {
    if (port.protocol.empty()) port.protocol = "TCP";
    if (!port.target_port) port.target_port = IntOrString::ofInt(port.port);
  }
  if (spec.ip_families.empty()) spec.ip_families = {"IPv4"};
  if (!spec.ip_family_policy) spec.ip_family_policy = "SingleStack";
  if (!spec.internal_traffic_policy) spec.internal_traffic_policy = "Cluster";
  if ((spec.type == "NodePort" || spec.type == "LoadBalancer") &&
      spec.external_traffic_policy.empty()) {
    spec.external_traffic_policy = "Cluster";
  }
  if (!spec.cluster_ip.empty() && spec.cluster_ips.empty()) spec.cluster_ips = {spec.cluster_ip};
}

void setDefaults(Endpoints& endpoints) {
  for (EndpointSubset& subset : endpoints.subsets) {
    for (EndpointPort& port : subset.ports) {
      if (port.protocol.empty()) port.protocol = "TCP";
    }
  }
}

void setDefaults(EndpointSlice& slice) {
  for (EndpointSlicePort& port : slice.ports) {
    if (!port.name) port.name = "";
    if (!port.protocol) port.protocol = "TCP";
  }
}

void setDefaults(Node&) {}
void setDefaults(Event&) {}
void setDefaults(ConfigMap&) {}
void setDefaults(Lease&) {}

void setDefaults(PodDisruptionBudget&) {}
void setDefaults(Dns&) {}
void setDefaults(Hpa&) {}

// networking.k8s.io/v1: an Ingress has no defaults (pathType is required in v1); an
// IngressClass' parameters are cluster-scoped unless they say otherwise.
void setDefaults(Ingress&) {}
void setDefaults(IngressClass& ingress_class) {
  auto& parameters = ingress_class.spec.parameters;
  if (parameters && !parameters->scope) parameters->scope = "Cluster";
}

void setDefaults(ServiceAccount&) {}

// rbac.authorization.k8s.io/v1 (pkg/apis/rbac/v1/defaults.go).
namespace {

void setRbacDefaults(RoleRef& role_ref, std::vector<Subject>& subjects) {
  if (role_ref.api_group.empty()) role_ref.api_group = kRbacGroup;
  for (Subject& subject : subjects) {
    if (subject.api_group.empty() &&
        (subject.kind == kSubjectUser || subject.kind == kSubjectGroup)) {
      subject.api_group = kRbacGroup;
    }
  }
}

}  // namespace

void setDefaults(Role&) {}
void setDefaults(ClusterRole&) {}
void setDefaults(RoleBinding& binding) { setRbacDefaults(binding.role_ref, binding.subjects); }
void setDefaults(ClusterRoleBinding& binding) {
  setRbacDefaults(binding.role_ref, binding.subjects);
}

void setDefaults(CertificateSigningRequest& csr) {
  for (CertificateSigningRequestCondition& c : csr.status.conditions) {
    if (c.status.empty()) c.status = "True";
  }
}

void setDefaults(Secret& secret) {
  if (secret.type.empty()) secret.type = "Opaque";
  for (const auto& [key, value] : secret.string_data) secret.data[key] = base64Encode(value);
  secret.string_data.clear();
}

void setDefaults(Deployment& deployment) {
  DeploymentSpec& spec = deployment.spec;
  if (!spec.replicas) spec.replicas = 1;
  if (spec.strategy.type.empty()) spec.strategy.type = "RollingUpdate";
  if (spec.strategy.type == "RollingUpdate") {
    if (!spec.strategy.rolling_update) spec.strategy.rolling_update.emplace();
    RollingUpdateDeployment& ru = *spec.strategy.rolling_update;
    if (!ru.max_unavailable) ru.max_unavailable = IntOrString::ofString("25%");
    if (!ru.max_surge) ru.max_surge = IntOrString::ofString("25%");
  }
  if (!spec.revision_history_limit) spec.revision_history_limit = 10;
  if (!spec.progress_deadline_seconds) spec.progress_deadline_seconds = 600;
  setDefaults(spec.template_.spec);
}

void setDefaults(DaemonSet& daemon_set) {
  DaemonSetSpec& spec = daemon_set.spec;
  if (spec.update_strategy.type.empty()) spec.update_strategy.type = "RollingUpdate";
  if (spec.update_strategy.type == "RollingUpdate") {
    if (!spec.update_strategy.rolling_update) spec.update_strategy.rolling_update.emplace();
    RollingUpdateDaemonSet& ru = *spec.update_strategy.rolling_update;
    if (!ru.max_unavailable) ru.max_unavailable = IntOrString::ofInt(1);
    if (!ru.max_surge) ru.max_surge = IntOrString::ofInt(0);
  }
  if (!spec.revision_history_limit) spec.revision_history_limit = 10;
  setDefaults(spec.template_.spec);
}

void setDefaults(ReplicaSet& replica_set) {
  if (!replica_set.spec.replicas) replica_set.spec.replicas = 1;
  setDefaults(replica_set.spec.template_.spec);
}

void setDefaults(Job& job) {
  JobSpec& spec = job.spec;
  // Kubernetes' SetDefaults_Job: completions and parallelism both 1 only when both are
  // unset (completions unset alone means "the first success completes the Job").
  if (!spec.completions && !spec.parallelism) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  if (!spec.parallelism) spec.parallelism = 1;
  if (!spec.backoff_limit) {
    spec.backoff_limit = spec.backoff_limit_per_index ? std::numeric_limits<int32_t>::max() : 6;
  }
  if (!spec.completion_mode) spec.completion_mode = "NonIndexed";
  if (!spec.suspend) spec.suspend = false;
  if (!spec.pod_replacement_policy) {
    spec.pod_replacement_policy =
        !spec.pod_failure_policy ? "TerminatingOrFailed" : "Failed";
  }
  if (spec.pod_failure_policy) {
    for (auto& rule : spec.pod_failure_policy->rules) {
      for (auto& pattern : rule.on_pod_conditions) {
        if (pattern.status.empty()) pattern.status = "True";
      }
    }
  }
  if (job.metadata.labels.empty()) {
    job.metadata.labels = spec.template_.metadata.labels;
  }
  setDefaults(spec.template_.spec);
}

void setDefaults(CronJob& cron_job) {
  CronJobSpec& spec = cron_job.spec;
  if (spec.concurrency_policy.empty()) spec.concurrency_policy = "Allow";
  if (!spec.suspend) spec.suspend = false;
  if (!spec.successful_jobs_history_limit) spec.successful_jobs_history_limit = 3;
  if (!spec.failed_jobs_history_limit) spec.failed_jobs_history_limit = 1;
  setDefaults(spec.job_template.spec.template_.spec);
}

void setDefaults(HorizontalPodAutoscaler& hpa) {
  HorizontalPodAutoscalerSpec& spec = hpa.spec;
  if (!spec.min_replicas) spec.min_replicas = 1;
  if (spec.metrics.empty()) {
    MetricSpec cpu;
    cpu.type = "Resource";
    cpu.resource = ResourceMetricSource{"cpu", {"Utilization", {}, {}, 80}};
    spec.metrics.push_back(cpu);
  }
  // A behavior that is set gets every unset field (GenerateHPAScaleUpRules /
  // GenerateHPAScaleDownRules); an HPA without behavior keeps none.
  if (spec.behavior) {
    auto fill = [](std::optional<HPAScalingRules>& rules, int32_t window,
                   std::vector<HPAScalingPolicy> policies) {
      if (!rules) rules.emplace();
      if (!rules->stabilization_window_seconds) rules->stabilization_window_seconds = window;
      if (!rules->select_policy) rules->select_policy = "Max";
      if (rules->policies.empty()) rules->policies = std::move(policies);
    };
    fill(spec.behavior->scale_up, 0, {{"Pods", 4, 15}, {"Percent", 100, 15}});
    fill(spec.behavior->scale_down, 300, {{"Percent", 100, 15}});
  }
}

std::string base64Encode(const std::string& bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t n = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
    out += kBase64Chars[(n >> 18) & 63];
    out += kBase64Chars[(n >> 12) & 63];
    out += kBase64Chars[(n >> 6) & 63];
    out += kBase64Chars[n & 63];
  }
  size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t n = uint8_t(bytes[i]) << 16;
    if (rest == 2) n |= uint8_t(bytes[i + 1]) << 8;
    out += kBase64Chars[(n >> 18) & 63];
    out += kBase64Chars[(n >> 12) & 63];
    out += rest == 2 ? kBase64Chars[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

bool base64Decode(const std::string& text, std::string* bytes) {
  if (text.size() % 4 != 0) return false;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    uint32_t n = 0;
    int pad = 0;
    for (size_t k = 0; k < 4; ++k) {
      char c = text[i + k];
      uint32_t v = 0;
      if (c == '=') {
        // Padding only in the last group's last two places.
        if (i + 4 != text.size() || k < 2) return false;
        ++pad;
      } else {
        if (pad > 0) return false;
        size_t pos = kBase64Chars.find(c);
        if (pos == std::string_view::npos) return false;
        v = static_cast<uint32_t>(pos);
      }
      n = (n << 6) | v;
    }
    out += static_cast<char>((n >> 16) & 0xff);
    if (pad < 2) out += static_cast<char>((n >> 8) & 0xff);
    if (pad < 1) out += static_cast<char>(n & 0xff);
  }
  if (bytes != nullptr) *bytes = std::move(out);
  return true;
}

}  // namespace minik8s::api
