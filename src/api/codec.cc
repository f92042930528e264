// The codec mechanism: each struct lists its fields once, in an `io(Io&, T&)` function,
// and the same list drives both the Decoder and the Encoder below. To add a struct, write
// its io() function (field() for omitempty fields, required() for fields always emitted)
// and, if other modules decode it directly, add it to the instantiation list at the end.
#include "api/codec.h"
#include "api/types_discovery.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <string_view>

#include "api/defaults.h"
#include "api/types_batch.h"
#include "api/types_certificates.h"
#include "api/types_policy.h"
#include "api/types_networking.h"
#include "api/types_partial.h"
#include "api/types_rbac.h"

namespace minik8s::api {
namespace {

using nlohmann::json;

std::string jsonTypeName(const json& j) {
  switch (j.type()) {
    case json::value_t::null: return "null";
    case json::value_t::object: return "object";
    case json::value_t::array: return "array";
    case json::value_t::string: return "string";
    case json::value_t::boolean: return "boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return "integer";
    case json::value_t::number_float: return "number";
    default: return "value";
  }
}

// Walks a JSON value into a struct; see codec.h for the rules.
class Decoder {
 public:
  explicit Decoder(std::vector<std::string>* unknown) : unknown_(unknown) {}

  template <typename T>
  void field(const char* key, T& out) {
    if (!error_.isOk()) return;
    seen_->push_back(key);
    auto it = object_->find(key);
    if (it == object_->end() || it->is_null()) return;
    size_t mark = path_.size();
    path_ += path_.empty() ? std::string(key) : "." + std::string(key);
    decodeValue(*it, out);
    path_.resize(mark);
  }
  template <typename T>
  void required(const char* key, T& out) {
    field(key, out);
  }
  // A Go []byte field: base64 in JSON, raw bytes in the struct.
  void bytes(const char* key, std::string& out) {
    std::string text;
    field(key, text);
    if (!error_.isOk() || text.empty()) return;
    if (!base64Decode(text, &out)) {
      size_t mark = path_.size();
      path_ += path_.empty() ? std::string(key) : "." + std::string(key);
      fail("illegal base64 data");
      path_.resize(mark);
    }
  }

  template <typename T>
  void decodeValue(const json& j, T& out) {
    if (!j.is_object()) return typeError("object", j);
    const json* saved_object = object_;
    std::vector<const char*>* saved_seen = seen_;
    std::vector<const char*> seen;
    object_ = &j;
    seen_ = &seen;
    io(*this, out);
    if (error_.isOk() && unknown_ != nullptr) {
      for (const auto& item : j.items()) {
        bool known =
            std::any_of(seen.begin(), seen.end(), [&](const char* k) { return item.key() == k; });
        if (!known) unknown_->push_back(path_.empty() ? item.key() : path_ + "." + item.key());
      }
    }
    object_ = saved_object;
    seen_ = saved_seen;
  }

  void decodeValue(const json& j, std::string& out) {
    if (!j.is_string()) return typeError("string", j);
    out = j.get_ref<const std::string&>();
  }
  void decodeValue(const json& j, bool& out) {
    if (!j.is_boolean()) return typeError("boolean", j);
    out = j.get<bool>();
  }
  void decodeValue(const json& j, int64_t& out) {
    if (j.is_number_integer()) {
      if (j.is_number_unsigned() &&
          j.get<uint64_t>() > uint64_t(std::numeric_limits<int64_t>::max())) {
        return fail("value out of range");
      }
      out = j.get<int64_t>();
      return;
    }
    if (j.is_number_float()) {
      double d = j.get<double>();
      if (std::trunc(d) == d && std::abs(d) < 9.0e18) {
        out = static_cast<int64_t>(d);
        return;
      }
    }
    typeError("integer", j);
  }
  void decodeValue(const json& j, int32_t& out) {
    int64_t wide = 0;
    decodeValue(j, wide);
    if (!error_.isOk()) return;
    if (wide < std::numeric_limits<int32_t>::min() || wide > std::numeric_limits<int32_t>::max()) {
      return fail("value out of range for a 32-bit integer");
    }
    out = static_cast<int32_t>(wide);
  }
  void decodeValue(const json& j, RawJson& out) { out = RawJson(j); }
  void decodeValue(const json& j, Quantity& out) {
    if (j.is_string()) {
      out = Quantity::parseLenient(j.get_ref<const std::string&>());
    } else if (j.is_number_integer()) {
      out = Quantity::parseLenient(std::to_string(j.get<int64_t>()));
    } else if (j.is_number_float()) {
      out = Quantity::parseLenient(j.dump());
    } else {
      typeError("quantity (string or number)", j);
    }
  }
  void decodeValue(const json& j, IntOrString& out) {
    if (j.is_string()) {
      out = IntOrString::ofString(j.get<std::string>());
      return;
    }
    int32_t v = 0;
    if (!j.is_number()) return typeError("integer or string", j);
    decodeValue(j, v);
    out = IntOrString::ofInt(v);
  }
  template <typename T>
  void decodeValue(const json& j, std::optional<T>& out) {
    out.emplace();
    decodeValue(j, *out);
  }
  template <typename T>
  void decodeValue(const json& j, std::vector<T>& out) {
    if (!j.is_array()) return typeError("array", j);
    out.clear();
    out.reserve(j.size());
    for (size_t i = 0; i < j.size() && error_.isOk(); ++i) {
      size_t mark = path_.size();
      path_ += "[" + std::to_string(i) + "]";
      out.emplace_back();
      if (!j[i].is_null()) decodeValue(j[i], out.back());
      path_.resize(mark);
    }
  }
  template <typename T>
  void decodeValue(const json& j, std::map<std::string, T>& out) {
    if (!j.is_object()) return typeError("object", j);
    out.clear();
    for (const auto& item : j.items()) {
      if (!error_.isOk()) break;
      if (item.value().is_null()) continue;
      size_t mark = path_.size();
      path_ += "." + item.key();
      decodeValue(item.value(), out[item.key()]);
      path_.resize(mark);
    }
  }

  Status status() const { return error_; }

 private:
  void typeError(const std::string& expected, const json& got) {
    fail("expected " + expected + ", got " + jsonTypeName(got));
  }
  void fail(const std::string& message) {
    if (error_.isOk()) error_ = badRequest((path_.empty() ? "" : path_ + ": ") + message);
  }

  std::vector<std::string>* unknown_;
  const json* object_ = nullptr;
  std::vector<const char*>* seen_ = nullptr;
  std::string path_;
  Status error_;
};

bool isZero(const json& j) {
  switch (j.type()) {
    case json::value_t::null: return true;
    case json::value_t::string: return j.get_ref<const std::string&>().empty();
    case json::value_t::boolean: return !j.get<bool>();
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float: return j == 0;
    case json::value_t::array:
    case json::value_t::object: return j.empty();
    default: return false;
  }
}

// Builds a JSON object from a struct; see codec.h for the omitempty rules.
class Encoder {
 public:
  explicit Encoder(json* out) : out_(out) {}

  template <typename T>
  void field(const char* key, T& value) {
    json j = encodeValue(value);
    if (!isZero(j)) (*out_)[key] = std::move(j);
  }
  template <typename T>
  void field(const char* key, std::optional<T>& value) {
    if (value.has_value()) (*out_)[key] = encodeValue(*value);
  }
  template <typename T>
  void required(const char* key, T& value) {
    (*out_)[key] = encodeValue(value);
  }
  void bytes(const char* key, std::string& value) {
    if (!value.empty()) (*out_)[key] = base64Encode(value);
  }

  // The io() functions take non-const references so one list serves both directions;
  // the Encoder only reads through them.
  template <typename T>
  static json encodeValue(const T& value) {
    json out = json::object();
    Encoder encoder(&out);
    io(encoder, const_cast<T&>(value));
    return out;
  }
  static json encodeValue(const std::string& v) { return v; }
  static json encodeValue(bool v) { return v; }
  static json encodeValue(int32_t v) { return v; }
  static json encodeValue(int64_t v) { return v; }
  static json encodeValue(const RawJson& v) { return v.isNull() ? json() : v.get(); }
  static json encodeValue(const Quantity& v) { return v.toString(); }
  static json encodeValue(const IntOrString& v) {
    return v.is_string ? json(v.str_value) : json(v.int_value);
  }
  template <typename T>
  static json encodeValue(const std::optional<T>& v) {
    return v.has_value() ? encodeValue(*v) : json();
  }
  template <typename T>
  static json encodeValue(const std::vector<T>& v) {
    json out = json::array();
    for (const T& item : v) out.push_back(encodeValue(item));
    return out;
  }
  template <typename T>
  static json encodeValue(const std::map<std::string, T>& v) {
    json out = json::object();
    for (const auto& [key, item] : v) out[key] = encodeValue(item);
    return out;
  }

 private:
  json* out_;
};

}  // namespace

// ---------------------------------------------------------------------------------------
// Field lists (in minik8s::api, not the anonymous namespace, so argument-dependent lookup
// from the Decoder/Encoder templates finds them). One function per struct; JSON keys exactly
// Kubernetes'.

template <typename Io>
void io(Io& io, OwnerReference& v) {
  io.required("apiVersion", v.api_version);
  io.required("kind", v.kind);
  io.required("name", v.name);
  io.required("uid", v.uid);
  io.field("controller", v.controller);
  io.field("blockOwnerDeletion", v.block_owner_deletion);
}

template <typename Io>
void io(Io& io, ObjectMeta& v) {
  io.field("name", v.name);
  io.field("generateName", v.generate_name);
  io.field("namespace", v.namespace_);
  io.field("selfLink", v.self_link);
  io.field("uid", v.uid);
  io.field("resourceVersion", v.resource_version);
  io.field("generation", v.generation);
  io.field("creationTimestamp", v.creation_timestamp);
  io.field("deletionTimestamp", v.deletion_timestamp);
  io.field("deletionGracePeriodSeconds", v.deletion_grace_period_seconds);
  io.field("labels", v.labels);
  io.field("annotations", v.annotations);
  io.field("ownerReferences", v.owner_references);
  io.field("finalizers", v.finalizers);
  io.field("managedFields", v.managed_fields);
}

template <typename Io>
void io(Io& io, ListMeta& v) {
  io.field("resourceVersion", v.resource_version);
  io.field("continue", v.continue_);
  io.field("remainingItemCount", v.remaining_item_count);
  io.field("selfLink", v.self_link);
}

template <typename Io>
void io(Io& io, LabelSelectorRequirement& v) {
  io.required("key", v.key);
  io.required("operator", v.op);
  io.field("values", v.values);
}

template <typename Io>
void io(Io& io, LabelSelectorSpec& v) {
  io.field("matchLabels", v.match_labels);
  io.field("matchExpressions", v.match_expressions);
}

template <typename Io>
void io(Io& io, Condition& v) {
  io.required("type", v.type);
  io.required("status", v.status);
  io.field("lastProbeTime", v.last_probe_time);
  io.field("lastHeartbeatTime", v.last_heartbeat_time);
  io.field("lastUpdateTime", v.last_update_time);
  io.field("lastTransitionTime", v.last_transition_time);
  io.field("reason", v.reason);
  io.field("message", v.message);
}

// ---- core/v1: containers ----

template <typename Io>
void io(Io& io, ObjectFieldSelector& v) {
  io.field("apiVersion", v.api_version);
  io.required("fieldPath", v.field_path);
}

template <typename Io>
void io(Io& io, ResourceFieldSelector& v) {
  io.field("containerName", v.container_name);
  io.required("resource", v.resource);
  io.field("divisor", v.divisor);
}

template <typename Io>
void io(Io& io, KeySelector& v) {
  io.field("name", v.name);
  io.required("key", v.key);
  io.field("optional", v.optional);
}

template <typename Io>
void io(Io& io, EnvVarSource& v) {
  io.field("fieldRef", v.field_ref);
  io.field("resourceFieldRef", v.resource_field_ref);
  io.field("configMapKeyRef", v.config_map_key_ref);
  io.field("secretKeyRef", v.secret_key_ref);
}

template <typename Io>
void io(Io& io, EnvVar& v) {
  io.required("name", v.name);
  io.field("value", v.value);
  io.field("valueFrom", v.value_from);
}

template <typename Io>
void io(Io& io, EnvFromRef& v) {
  io.field("name", v.name);
  io.field("optional", v.optional);
}

template <typename Io>
void io(Io& io, EnvFromSource& v) {
  io.field("prefix", v.prefix);
  io.field("configMapRef", v.config_map_ref);
  io.field("secretRef", v.secret_ref);
}

template <typename Io>
void io(Io& io, ContainerPort& v) {
  io.field("name", v.name);
  io.field("hostPort", v.host_port);
  io.required("containerPort", v.container_port);
  io.field("protocol", v.protocol);
  io.field("hostIP", v.host_ip);
}

template <typename Io>
void io(Io& io, ResourceRequirements& v) {
  io.field("limits", v.limits);
  io.field("requests", v.requests);
  io.field("claims", v.claims);
}

template <typename Io>
void io(Io& io, VolumeMount& v) {
  io.required("name", v.name);
  io.field("readOnly", v.read_only);
  io.required("mountPath", v.mount_path);
  io.field("subPath", v.sub_path);
  io.field("mountPropagation", v.mount_propagation);
  io.field("subPathExpr", v.sub_path_expr);
}

template <typename Io>
void io(Io& io, ExecAction& v) {
  io.field("command", v.command);
}

template <typename Io>
void io(Io& io, HttpHeader& v) {
  io.required("name", v.name);
  io.required("value", v.value);
}

template <typename Io>
void io(Io& io, HttpGetAction& v) {
  io.field("path", v.path);
  io.required("port", v.port);
  io.field("host", v.host);
  io.field("scheme", v.scheme);
  io.field("httpHeaders", v.http_headers);
}

template <typename Io>
void io(Io& io, TcpSocketAction& v) {
  io.required("port", v.port);
  io.field("host", v.host);
}

template <typename Io>
void io(Io& io, Probe& v) {
  io.field("exec", v.exec);
  io.field("httpGet", v.http_get);
  io.field("tcpSocket", v.tcp_socket);
  io.field("grpc", v.grpc);
  io.field("initialDelaySeconds", v.initial_delay_seconds);
  io.field("timeoutSeconds", v.timeout_seconds);
  io.field("periodSeconds", v.period_seconds);
  io.field("successThreshold", v.success_threshold);
  io.field("failureThreshold", v.failure_threshold);
  io.field("terminationGracePeriodSeconds", v.termination_grace_period_seconds);
}

template <typename Io>
void io(Io& io, Container& v) {
  io.required("name", v.name);
  io.field("image", v.image);
  io.field("command", v.command);
  io.field("args", v.args);
  io.field("workingDir", v.working_dir);
  io.field("ports", v.ports);
  io.field("envFrom", v.env_from);
  io.field("env", v.env);
  io.field("resources", v.resources);
  io.field("resizePolicy", v.resize_policy);
  io.field("restartPolicy", v.restart_policy);
  io.field("volumeMounts", v.volume_mounts);
  io.field("volumeDevices", v.volume_devices);
  io.field("livenessProbe", v.liveness_probe);
  io.field("readinessProbe", v.readiness_probe);
  io.field("startupProbe", v.startup_probe);
  io.field("lifecycle", v.lifecycle);
  io.field("terminationMessagePath", v.termination_message_path);
  io.field("terminationMessagePolicy", v.termination_message_policy);
  io.field("imagePullPolicy", v.image_pull_policy);
  io.field("securityContext", v.security_context);
  io.field("stdin", v.stdin);
  io.field("stdinOnce", v.stdin_once);
  io.field("tty", v.tty);
}

// ---- core/v1: volumes ----

template <typename Io>
void io(Io& io, HostPathVolumeSource& v) {
  io.required("path", v.path);
  io.field("type", v.type);
}

template <typename Io>
void io(Io& io, EmptyDirVolumeSource& v) {
  io.field("medium", v.medium);
  io.field("sizeLimit", v.size_limit);
}

template <typename Io>
void io(Io& io, KeyToPath& v) {
  io.required("key", v.key);
  io.required("path", v.path);
  io.field("mode", v.mode);
}

template <typename Io>
void io(Io& io, ConfigMapVolumeSource& v) {
  io.field("name", v.name);
  io.field("items", v.items);
  io.field("defaultMode", v.default_mode);
  io.field("optional", v.optional);
}

template <typename Io>
void io(Io& io, SecretVolumeSource& v) {
  io.field("secretName", v.secret_name);
  io.field("items", v.items);
  io.field("defaultMode", v.default_mode);
  io.field("optional", v.optional);
}

template <typename Io>
void io(Io& io, Volume& v) {
  io.required("name", v.name);
  io.field("hostPath", v.host_path);
  io.field("emptyDir", v.empty_dir);
  io.field("configMap", v.config_map);
  io.field("secret", v.secret);
  io.field("persistentVolumeClaim", v.persistent_volume_claim);
  io.field("projected", v.projected);
  io.field("downwardAPI", v.downward_api);
  io.field("nfs", v.nfs);
  io.field("csi", v.csi);
  io.field("ephemeral", v.ephemeral);
  io.field("local", v.local);
}

// ---- core/v1: pods ----

template <typename Io>
void io(Io& io, Toleration& v) {
  io.field("key", v.key);
  io.field("operator", v.op);
  io.field("value", v.value);
  io.field("effect", v.effect);
  io.field("tolerationSeconds", v.toleration_seconds);
}

template <typename Io>
void io(Io& io, PodDnsConfigOption& v) {
  io.field("name", v.name);
  io.field("value", v.value);
}

template <typename Io>
void io(Io& io, PodDnsConfig& v) {
  io.field("nameservers", v.nameservers);
  io.field("searches", v.searches);
  io.field("options", v.options);
}

template <typename Io>
void io(Io& io, LocalObjectReference& v) {
  io.field("name", v.name);
}

template <typename Io>
void io(Io& io, PodReadinessGate& v) {
  io.required("conditionType", v.condition_type);
}

template <typename Io>
void io(Io& io, PodSpec& v) {
  io.field("volumes", v.volumes);
  io.field("initContainers", v.init_containers);
  io.required("containers", v.containers);
  io.field("ephemeralContainers", v.ephemeral_containers);
  io.field("restartPolicy", v.restart_policy);
  io.field("terminationGracePeriodSeconds", v.termination_grace_period_seconds);
  io.field("activeDeadlineSeconds", v.active_deadline_seconds);
  io.field("dnsPolicy", v.dns_policy);
  io.field("nodeSelector", v.node_selector);
  io.field("serviceAccountName", v.service_account_name);
  io.field("serviceAccount", v.service_account);
  io.field("automountServiceAccountToken", v.automount_service_account_token);
  io.field("nodeName", v.node_name);
  io.field("hostNetwork", v.host_network);
  io.field("hostPID", v.host_pid);
  io.field("hostIPC", v.host_ipc);
  io.field("shareProcessNamespace", v.share_process_namespace);
  io.field("securityContext", v.security_context);
  io.field("imagePullSecrets", v.image_pull_secrets);
  io.field("hostname", v.hostname);
  io.field("subdomain", v.subdomain);
  io.field("affinity", v.affinity);
  io.field("schedulerName", v.scheduler_name);
  io.field("tolerations", v.tolerations);
  io.field("hostAliases", v.host_aliases);
  io.field("priorityClassName", v.priority_class_name);
  io.field("priority", v.priority);
  io.field("dnsConfig", v.dns_config);
  io.field("readinessGates", v.readiness_gates);
  io.field("runtimeClassName", v.runtime_class_name);
  io.field("enableServiceLinks", v.enable_service_links);
  io.field("preemptionPolicy", v.preemption_policy);
  io.field("overhead", v.overhead);
  io.field("topologySpreadConstraints", v.topology_spread_constraints);
  io.field("setHostnameAsFQDN", v.set_hostname_as_fqdn);
  io.field("os", v.os);
  io.field("hostUsers", v.host_users);
  io.field("schedulingGates", v.scheduling_gates);
  io.field("resourceClaims", v.resource_claims);
  io.field("resources", v.resources);
}

template <typename Io>
void io(Io& io, ContainerStateWaiting& v) {
  io.field("reason", v.reason);
  io.field("message", v.message);
}

template <typename Io>
void io(Io& io, ContainerStateRunning& v) {
  io.field("startedAt", v.started_at);
}

template <typename Io>
void io(Io& io, ContainerStateTerminated& v) {
  io.required("exitCode", v.exit_code);
  io.field("signal", v.signal);
  io.field("reason", v.reason);
  io.field("message", v.message);
  io.field("startedAt", v.started_at);
  io.field("finishedAt", v.finished_at);
  io.field("containerID", v.container_id);
}

template <typename Io>
void io(Io& io, ContainerState& v) {
  io.field("waiting", v.waiting);
  io.field("running", v.running);
  io.field("terminated", v.terminated);
}

template <typename Io>
void io(Io& io, ContainerStatus& v) {
  io.required("name", v.name);
  io.field("state", v.state);
  io.field("lastState", v.last_state);
  io.required("ready", v.ready);
  io.required("restartCount", v.restart_count);
  io.required("image", v.image);
  io.required("imageID", v.image_id);
  io.field("containerID", v.container_id);
  io.field("started", v.started);
}

template <typename Io>
void io(Io& io, PodIp& v) {
  io.required("ip", v.ip);
}

template <typename Io>
void io(Io& io, PodStatus& v) {
  io.field("phase", v.phase);
  io.field("conditions", v.conditions);
  io.field("message", v.message);
  io.field("reason", v.reason);
  io.field("nominatedNodeName", v.nominated_node_name);
  io.field("hostIP", v.host_ip);
  io.field("hostIPs", v.host_ips);
  io.field("podIP", v.pod_ip);
  io.field("podIPs", v.pod_ips);
  io.field("startTime", v.start_time);
  io.field("initContainerStatuses", v.init_container_statuses);
  io.field("containerStatuses", v.container_statuses);
  io.field("ephemeralContainerStatuses", v.ephemeral_container_statuses);
  io.field("qosClass", v.qos_class);
}

template <typename Io>
void io(Io& io, Pod& v) {
  io.field("apiVersion", v.api_version);
  io.field("kind", v.kind);
  io.required("metadata", v.metadata);
  io.required("spec", v.spec);
  io.required("status", v.status);
}

template <typename Io>
void io(Io& io, PodTemplateSpec& v) {
  io.field("metadata", v.metadata);
  io.required("spec", v.spec);
}

// ---- core/v1: namespaces, services, endpoints ----

template <typename Io>
void io(Io& io, NamespaceSpec& v) {
  io.field("finalizers", v.finalizers);
}

template <typename Io>
void io(Io& io, NamespaceStatus& v) {
  io.field("phase", v.phase);
  io.field("conditions", v.conditions);
}

template <typename Io>
void io(Io& io, Namespace& v) {
  io.field("apiVersion", v.api_version);
  io.field("kind", v.kind);
  io.required("metadata", v.metadata);
  io.required("spec", v.spec);
  io.required("status", v.status);
}

template <typename Io>
void io(Io& io, ServicePort& v) {
  io.field("name", v.name);
  io.field("protocol", v.protocol);
  io.field("appProtocol", v.app_protocol);
  io.required("port", v.port);
  io.field("targetPort", v.target_port);
  io.field("nodePort", v.node_port);
}

template <typename Io>
void io(Io& io, ServiceSpec& v) {
  io.field("ports", v.ports);
  io.field("selector", v.selector);
  io.field("clusterIP", v.cluster_ip);
  io.field("clusterIPs", v.cluster_ips);
  io.field("type", v.type);
  io.field("externalIPs", v.external_ips);
  io.field("sessionAffinity", v.session_affinity);
  io.field("loadBalancerIP", v.load_balancer_ip);
  io.field("loadBalancerSourceRanges", v.load_balancer_source_ranges);
  io.field("externalName", v.external_name);
  io.field("externalTrafficPolicy", v.external_traffic_policy);
  io.field("healthCheckNodePort", v.health_check_node_port);
  io.field("publishNotReadyAddresses", v.publish_not_ready_addresses);
  io.field("sessionAffinityConfig", v.session_affinity_config);
  io.field("ipFamilies", v.ip_families);
  io.field("ipFamilyPolicy", v.ip_family_policy);
  io.field("allocateLoadBalancerNodePorts", v.allocate_load_balancer_node_ports);
  io.field("loadBalancerClass", v.load_balancer_class);
  io.field("internalTrafficPolicy", v.internal_traffic_policy);
  io.field("trafficDistribution", v.traffic_distribution);
}

template <typename Io>
void io(Io& io, LoadBalancerIngress& v) {
  io.field("ip", v.ip);
  io.field("hostname", v.hostname);
  io.field("ipMode", v.ip_mode);
  io.field("ports", v.ports);
}

template <typename Io>
void io(Io& io, LoadBalancerStatus& v) {
  io.field("ingress", v.ingress);
}

template <typename Io>
void io(Io& io, ServiceStatus& v) {
  io.required("loadBalancer", v.load_balancer);
  io.field("conditions", v.conditions);
}

template <typename Io>
void io(Io& io, Service& v) {
  io.field("apiVersion", v.api_version);
  io.field("kind", v.kind);
  io.required("metadata", v.metadata);
  io.required("spec", v.spec);
  io.required("status", v.status);
}

template <typename Io>
void io(Io& io, ObjectReference& v) {
  io.field("kind", v.kind);
  io.field("namespace", v.namespace_);
  io.field("name", v.name);
  io.field("uid", v.uid);
  io.field("apiVersion", v.api_version);
  io.field("resourceVersion", v.resource_version);
  io.field("fieldPath", v.field_path);
}

template <typename Io>
void io(Io& io, EndpointAddress& v) {
  io.required("ip", v.ip);
  io.field("hostname", v.hostname);
  io.field("nodeName", v.node_name);
  io.field("targetRef", v.target_ref);
}

template <typename Io>
void io(Io& io, EndpointPort& v) {
  io.field("name", v.name);
  io.required("port", v.port);
  io.field("protocol", v.protocol);
  io.field("appProtocol", v.app_protocol);
}

template <typename Io>
void io(Io& io, EndpointSubset& v) {
  io.field("addresses", v.addresses);
  io.field("notReadyAddresses", v.not_ready_addresses);
  io.field("ports", v.ports);
}

template <typename Io>
void io(Io& io, Endpoints& v) {
  io.field("apiVersion", v.api_version);
  io.field("kind", v.kind);
  io.required("metadata", v.metadata);
  io.field("subsets", v.subsets);
}

// ---- discovery.k8s.io/v1 ----

template <typename Io>
void io(Io& io, EndpointConditions& v) {
  io.field("ready", v.ready);
  io.field("serving", v.serving);
  io.field("terminating", v.terminating);
}

template <typename Io>
void io(Io& io, ForZone& v) {
  io.required("name", v.name);
}

template <typename Io>
void io(Io& io, EndpointHints& v) {
  io.field("forZones", v.for_zones);
}

template <typename Io>
void io(Io& io, Endpoint& v) {
  io.required("addresses", v.addresses);
  io.field("conditions", v.conditions);
  io.field("hostname", v.hostname);
  io.field("targetRef", v.target_ref);
  io.field("deprecatedTopology", v.deprecated_topology);
  io.field("nodeName", v.node_name);
  io.field("zone", v.zone);
  io.field("hints", v.hints);
}

template <typename Io>
void io(Io& io, EndpointSlicePort& v) {
  io.field("name", v.name);
  io.field("protocol", v.protocol);
  io.field("port", v.port);
  io.field("appProtocol", v.app_protocol);
}

// endpoints and ports have no omitempty in Kubernetes; minik8s writes an empty list as []
// (Kubernetes' own JSON says null), which every client decodes alike.
template <typename Io>
void io(Io& io, EndpointSlice& v) {
  io.field("apiVersion", v.api_version);
  io.field("kind", v.kind);
  io.required("metadata", v.metadata);
  io.required("addressType", v.address_type);
  io.required("endpoints", v.endpoints);
  io.required("ports", v.ports);
}

// ---- core/v1: nodes ----

template <typename Io>
void io(Io& io, Taint& v) {
  io.required("key", v.key);
  io.field("value", v.value);
  io.required("effect", v.effect);
  io.field("timeAdded", v.time_added);
}

template <typename Io>
void io(Io& io, NodeSpec& v) {
  io.field("podCIDR", v.pod_cidr);
  io.field("podCIDRs", v.pod_cidrs);
  io.field("providerID", v.provider_id);
  io.field("unschedulable", v.unschedulable);
  io.field("taints", v.taints);
  io.field("configSource", v.config_source);
  io.field("externalID", v.external_id);
}

template <typename Io>
void io(Io& io, NodeAddress& v) {
  io.required("type", v.type);
  io.required("address", v.address);
}

template <typename Io>
void io(Io& io, NodeSystemInfo& v) {
  io.required("machineID", v.machine_id);
  io.required("systemUUID", v.system_uuid);
  io.required("bootID", v.boot_id);
  io.required("kernelVersion", v.kernel_version);
  io.required("osImage", v.os_image);
  io.required("containerRuntimeVersion", v.container_runtime_version);
  io.required("kubeletVersion", v.kubelet_version);
  io.required("kubeProxyVersion", v.kube_proxy_version);
  io.required("operatingSystem", v.operating_system);
  io.required("architecture", v.architecture);
}

template <typename Io>
void io(Io& io, DaemonEndpoint& v) {
  io.required("Port", v.port);
}

template <typename Io>
void io(Io& io, NodeDaemonEndpoints& v) {
  io.field("kubeletEndpoint", v.kubelet_endpoint);
}

template <typename Io>
void io(Io& io, ContainerImage& v) {
  io.required("names", v.names);
  io.field("sizeBytes", v.size_bytes);
}

template <typename Io>
void io(Io& io, NodeStatus& v) {
  io.field("capacity", v.capacity);
  io.field("allocatable", v.allocatable);
  io.field("phase", v.phase);
  io.field("conditions", v.conditions);
  io.field("addresses", v.addresses);
  io.required("daemonEndpoints", v.daemon_endpoints);
  io.required("nodeInfo", v.node_info);
  io.field("images", v.images);
  io.field("volumesInUse", v.volumes_in_use);
  io.field("volumesAttached", v.volumes_attached);
  io.field("config", v.config);
}

template <typename Io>
void io(Io& io, Node& v) {
  io.field("apiVersion", v.api_version);
  io.field("kind", v.kind);
  io.required("metadata", v.metadata);
  io.required("spec", v.spec);
  io.required("status", v.status);
}

// ---- core/v1: events, config maps, secrets ----

template <typename Io>
void io(Io& io, EventSource& v) {
  io.field("component", v.component);
  io.field("host", v.host);
}

template <typename Io>
void io(Io& io, Event& v) {
  io.field("apiVersion", v.api_version);
  io.field("kind", v.kind);
  io.required("metadata", v.metadata);
  io.required("involvedObject", v.involved_object);
  io.field("reason", v.reason);
  io.field("message", v.message);
  io.field("source", v.source);
  io.field("firstTimestamp", v.first_timestamp);
  io.field("lastTimestamp", v.last_timestamp);
  io.field("count", v.count);
  io.field("type", v.type);
  io.field("eventTime", v.event_time);
  io.field("series", v.series);
  io.field("action", v.action);
  io.field("related", v.related);
  io.field("reportingComponent", v.reporting_component);
  io.field("reportingInstance", v.reporting_instance);
}

template <typename Io>
void io(Io& io, ConfigMap& v) {
  io.field("apiVersion", v.api_version);
  io.field("kind", v.kind);
  io.required("metadata", v.metadata);
  io.field("data", v.data);
  io.field("binaryData", v.binary_data);
  io.field("immutable", v.immutable);
}

template <typename Io>
void io(Io& io, Secret& v) {
  io.field("apiVersion", v.api_version);
  io.field("kind", v.kind);
  io.required("metadata", v.metadata);
  io.field("data", v.data);
  io.field("stringData", v.string_data);
  io.field("type", v.type);
  io.field("immutable", v.immutable);
}

template <typename Io>
void io(Io& io, ServiceAccount& v) {
  io.field("apiVersion", v.api_version);
  io.field("kind", v.kind);
  io.required("metadata", v.metadata);
  io.field("secrets", v.secrets);
  io.field("imagePullSecrets", v.image_pull_secrets);
  io.field("automountServiceAccountToken", v.automount_service_account_token);
}

// ---- apps/v1 ----

template <typename Io>
void io(Io& io, RollingUpdateDeployment& v) {
  io.field("maxUnavailable", v.max_unavailable);
  io.field("maxSurge", v.max_surge);
}

template <typename Io>
void io(Io& io, DeploymentStrategy& v) {
  io.field("type", v.type);
  io.field("rollingUpdate", v.rolling_update);
}

template <typename Io>
void io(Io& io, DeploymentSpec& v) {
  io.field("replicas", v.replicas);
  io.field("selector", v.selector);
  io.required("template", v.template_);
  io.field("strategy", v.strategy);
  io.field("minReadySeconds", v.min_ready_seconds);
  io.field("revisionHistoryLimit", v.revision_history_limit);
  io.field("paused", v.paused);
  io.field("progressDeadlineSeconds", v.progress_deadline_seconds);
}

template <typename Io>
void io(Io& io, DeploymentStatus& v) {
  io.field("observedGeneration", v.observed_generation);
  io.field("replicas", v.replicas);
  io.field("updatedReplicas", v.updated_replicas);
  io.field("readyReplicas", v.ready_replicas);
  io.field("availableReplicas", v.available_replicas);
  io.field("unavailableReplicas", v.unavailable_replicas);
  io.field("conditions", v.conditions);
  io.field("collisionCount", v.collision_count);
}

template <typename Io>
void io(Io& io, Deployment& v) {
  io.field("apiVersion", v.api_version);
  io.field("kind", v.kind);
  io.required("metadata", v.metadata);
  io.required("spec", v.spec);
  io.required("status", v.status);
}

template <typename Io>
void io(Io& io, RollingUpdateDaemonSet& v) {
  io.field("maxUnavailable", v.max_unavailable);
  io.field("maxSurge", v.max_surge);
}

template <typename Io>
void io(Io& io, DaemonSetUpdateStrategy& v) {
  io.field("type", v.type);
  io.field("rollingUpdate", v.rolling_update);
}

template <typename Io>
void io(Io& io, DaemonSetSpec& v) {
  io.field("selector", v.selector);
  io.required("template", v.template_);
  io.field("updateStrategy", v.update_strategy);
  io.field("minReadySeconds", v.min_ready_seconds);
  io.field("revisionHistoryLimit", v.revision_history_limit);
}

template <typename Io>
void io(Io& io, DaemonSetStatus& v) {
  io.required("currentNumberScheduled", v.current_number_scheduled);
  io.required("numberMisscheduled", v.number_misscheduled);
  io.required("desiredNumberScheduled", v.desired_number_scheduled);
  io.required("numberReady", v.number_ready);
  io.field("observedGeneration", v.observed_generation);
  io.field("updatedNumberScheduled", v.updated_number_scheduled);
  io.field("numberAvailable", v.number_available);
  io.field("numberUnavailable", v.number_unavailable);
  io.field("collisionCount", v.collision_count);
  io.field("conditions", v.conditions);
}

template <typename Io>
void io(Io& io, DaemonSet& v) {
  io.field("apiVersion", v.api_version);
  io.field("kind", v.kind);
  io.required("metadata", v.metadata);
  io.required("spec", v.spec);
  io.required("status", v.status);
}

template <typename Io>
void io(Io& io, ReplicaSetSpec& v) {
  io.field("replicas", v.replicas);
  io.field("minReadySeconds", v.min_ready_seconds);
  io.field("selector", v.selector);
  io.field("template", v.template_);
}

template <typename Io>
void io(Io& io, ReplicaSetStatus& v) {
  io.required("replicas", v.replicas);
  io.field("fullyLabeledReplicas", v.fully_labeled_replicas);
  io.field("readyReplicas", v.ready_replicas);
  io.field("availableReplicas", v.available_replicas);
  io.field("observedGeneration", v.observed_generation);
  io.field("conditions", v.conditions);
}

template <typename Io>
void io(Io& io, ReplicaSet& v) {
  io.field("apiVersion", v.api_version);
  io.field("kind", v.kind);
  io.required("metadata", v.metadata);
  io.required("spec", v.spec);
  io.required("status", v.status);
}

// ---- autoscaling/v2 ----

template <typename Io>
void io(Io& io, CrossVersionObjectReference& v) {
  io.required("kind", v.kind);
  io.required("name", v.name);
  io.field("apiVersion", v.api_version);
}

template <typename Io>
void io(Io& io, MetricTarget& v) {
  io.required("type", v.type);
  io.field("value", v.value);
  io.field("averageValue", v.average_value);
  io.field("averageUtilization", v.average_utilization);
}

template <typename Io>
void io(Io& io, ResourceMetricSource& v) {
  io.required("name", v.name);
  io.required("target", v.target);
}

template <typename Io>
void io(Io& io, ContainerResourceMetricSource& v) {
  io.required("name", v.name);
  io.required("target", v.target);
  io.required("container", v.container);
}

template <typename Io>
void io(Io& io, HPAScalingPolicy& v) {
  io.required("type", v.type);
  io.required("value", v.value);
  io.required("periodSeconds", v.period_seconds);
}

template <typename Io>
void io(Io& io, HPAScalingRules& v) {
  io.field("stabilizationWindowSeconds", v.stabilization_window_seconds);
  io.field("selectPolicy", v.select_policy);
  io.field("policies", v.policies);
}

template <typename Io>
void io(Io& io, HorizontalPodAutoscalerBehavior& v) {
  io.field("scaleUp", v.scale_up);
  io.field("scaleDown", v.scale_down);
}

template <typename Io>
void io(Io& io, MetricValueStatus& v) {
  io.field("value", v.value);
  io.field("averageValue", v.average_value);
  io.field("averageUtilization", v.average_utilization);
}

template <typename Io>
void io(Io& io, ResourceMetricStatus& v) {
  io.required("name", v.name);
  io.required("current", v.current);
}

template <typename Io>
void io(Io& io, ContainerResourceMetricStatus& v) {
  io.required("name", v.name);
  io.required("current", v.current);
  io.required("container", v.container);
}

template <typename Io>
void io(Io& io, MetricStatus& v) {
  io.required("type", v.type);
  io.field("object", v.object);
  io.field("pods", v.pods);
  io.field("resource", v.resource);
  io.field("containerResource", v.container_resource);
  io.field("external", v.external);
}

template <typename Io>
void io(Io& io, MetricSpec& v) {
  io.required("type", v.type);
  io.field("resource", v.resource);
  io.field("pods", v.pods);
  io.field("object", v.object);
  io.field("external", v.external);
  io.field("containerResource", v.container_resource);
}

template <typename Io>
void io(Io& io, HorizontalPodAutoscalerSpec& v) {
  io.required("scaleTargetRef", v.scale_target_ref);
  io.field("minReplicas", v.min_replicas);
  io.required("maxReplicas", v.max_replicas);
  io.field("metrics", v.metrics);
  io.field("behavior", v.behavior);
}

template <typename Io>
void io(Io& io, HorizontalPodAutoscalerStatus& v) {
  io.field("observedGeneration", v.observed_generation);
  io.field("lastScaleTime", v.last_scale_time);
  io.field("currentReplicas", v.current_replicas);
  io.required("desiredReplicas", v.desired_replicas);
  io.field("currentMetrics", v.current_metrics);
  io.field("conditions", v.conditions);
}

template <typename Io>
void io(Io& io, HorizontalPodAutoscaler& v) {
  io.field("apiVersion", v.api_version);
  io.field("kind", v.kind);
  io.required("metadata", v.metadata);
  io.required("spec", v.spec);
  io.required("status", v.status);
}

// ---- autoscaling/v1 ----

template <typename Io>
void io(Io& io, HorizontalPodAutoscalerSpecV1& v) {
  io.required("scaleTargetRef", v.scale_target_ref);
  io.field("minReplicas", v.min_replicas);
  io.required("maxReplicas", v.max_replicas);
  io.field("targetCPUUtilizationPercentage", v.target_cpu_utilization_percentage);
}

template <typename Io>
void io(Io& io, HorizontalPodAutoscalerStatusV1& v) {
  io.field("observedGeneration", v.observed_generation);
  io.field("lastScaleTime", v.last_scale_time);
  io.required("currentReplicas", v.current_replicas);
  io.required("desiredReplicas", v.desired_replicas);
  io.field("currentCPUUtilizationPercentage", v.current_cpu_utilization_percentage);
}

template <typename Io>
void io(Io& io, HorizontalPodAutoscalerV1& v) {
  io.field("apiVersion", v.api_version);
  io.field("kind", v.kind);
  io.required("metadata", v.metadata);
  io.required("spec", v.spec);
  io.required("status", v.status);
}

// ---- coordination.k8s.io/v1 ----

template <typename Io>
void io(Io& io, LeaseSpec& v) {
  io.field("holderIdentity", v.holder_identity);
  io.field("leaseDurationSeconds", v.lease_duration_seconds);
  io.field("acquireTime", v.acquire_time);
  io.field("renewTime", v.renew_time);
  io.field("leaseTransitions", v.lease_transitions);
  io.field("strategy", v.strategy);
  io.field("preferredHolder", v.preferred_holder);
}

template <typename Io>
void io(Io& io, Lease& v) {
  io.field("apiVersion", v.api_version);
  io.field("kind", v.kind);
  io.required("metadata", v.metadata);
  io.required("spec", v.spec);
}

template <typename Io>
void io(Io& io, PartialObjectMetadata& v) {
  io.field("apiVersion", v.api_version);
  io.field("kind", v.kind);
  io.field("metadata", v.metadata);
}

// ---- batch/v1 ----

template <typename Io>
void io(Io& io, PodFailurePolicyOnExitCodesRequirement& v) {
  io.field("containerName", v.container_name);
  io.required("operator", v.op);
  io.required("values", v.values);
}

template <typename Io>
void io(Io& io, PodFailurePolicyOnPodConditionsPattern& v) {
  io.required("type", v.type);
  io.field("status", v.status);
}

template <typename Io>
void io(Io& io, PodFailurePolicyRule& v) {
  io.required("action", v.action);
  io.field("onExitCodes", v.on_exit_codes);
  io.field("onPodConditions", v.on_pod_conditions);
}

template <typename Io>
void io(Io& io, PodFailurePolicy& v) {
  io.required("rules", v.rules);
}

template <typename Io>
void io(Io& io, SuccessPolicyRule& v) {
  io.field("succeededIndexes", v.succeeded_indexes);
  io.field("succeededCount", v.succeeded_count);
}

template <typename Io>
void io(Io& io, SuccessPolicy& v) {
  io.required("rules", v.rules);
}

template <typename Io>
void io(Io& io, JobSpec& v) {
  io.field("parallelism", v.parallelism);
  io.field("completions", v.completions);
  io.field("activeDeadlineSeconds", v.active_deadline_seconds);
  io.field("podFailurePolicy", v.pod_failure_policy);
  io.field("successPolicy", v.success_policy);
  io.field("backoffLimit", v.backoff_limit);
  io.field("backoffLimitPerIndex", v.backoff_limit_per_index);
  io.field("maxFailedIndexes", v.max_failed_indexes);
  io.field("selector", v.selector);
  io.field("manualSelector", v.manual_selector);
  io.required("template", v.template_);
  io.field("ttlSecondsAfterFinished", v.ttl_seconds_after_finished);
  io.field("completionMode", v.completion_mode);
  io.field("suspend", v.suspend);
  io.field("podReplacementPolicy", v.pod_replacement_policy);
  io.field("managedBy", v.managed_by);
}

template <typename Io>
void io(Io& io, UncountedTerminatedPods& v) {
  io.field("succeeded", v.succeeded);
  io.field("failed", v.failed);
}

template <typename Io>
void io(Io& io, JobStatus& v) {
  io.field("conditions", v.conditions);
  io.field("startTime", v.start_time);
  io.field("completionTime", v.completion_time);
  io.field("active", v.active);
  io.field("succeeded", v.succeeded);
  io.field("failed", v.failed);
  io.field("terminating", v.terminating);
  io.field("completedIndexes", v.completed_indexes);
  io.field("failedIndexes", v.failed_indexes);
  io.field("uncountedTerminatedPods", v.uncounted_terminated_pods);
  io.field("ready", v.ready);
}

template <typename Io>
void io(Io& io, Job& v) {
  io.field("apiVersion", v.api_version);
  io.field("kind", v.kind);
  io.required("metadata", v.metadata);
  io.required("spec", v.spec);
  io.required("status", v.status);
}

template <typename Io>
void io(Io& io, JobTemplateSpec& v) {
  io.required("metadata", v.metadata);
  io.required("spec", v.spec);
}

template <typename Io>
void io(Io& io, CronJobSpec& v) {
  io.required("schedule", v.schedule);
  io.field("timeZone", v.time_zone);
  io.field("startingDeadlineSeconds", v.starting_deadline_seconds);
  io.field("concurrencyPolicy", v.concurrency_policy);
  io.field("suspend", v.suspend);
  io.required("jobTemplate", v.job_template);
  io.field("successfulJobsHistoryLimit", v.successful_jobs_history_limit);
  io.field("failedJobsHistoryLimit", v.failed_jobs_history_limit);
}

template <typename Io>
void io(Io& io, CronJobStatus& v) {
  io.field("active", v.active);
  io.field("lastScheduleTime", v.last_schedule_time);
  io.field("lastSuccessfulTime", v.last_successful_time);
}

template <typename Io>
void io(Io& io, CronJob& v) {
  io.field("apiVersion", v.api_version);
  io.field("kind", v.kind);
  io.required("metadata", v.metadata);
  io.required("spec", v.spec);
  io.required("status", v.status);
}

// ---- networking.k8s.io/v1 ----

template <typename Io>
void io(Io& io, ServiceBackendPort& v) {
  io.field("name", v.name);
  io.field("number", v.number);
}

template <typename Io>
void io(Io& io, IngressServiceBackend& v) {
  io.required("name", v.name);
  io.required("port", v.port);
}

template <typename Io>
void io(Io& io, TypedLocalObjectReference& v) {
  io.field("apiGroup", v.api_group);
  io.required("kind", v.kind);
  io.required("name", v.name);
}

template <typename Io>
void io(Io& io, IngressBackend& v) {
  io.field("service", v.service);
  io.field("resource", v.resource);
}

template <typename Io>
void io(Io& io, HTTPIngressPath& v) {
  io.field("path", v.path);
  io.field("pathType", v.path_type);
  io.required("backend", v.backend);
}

template <typename Io>
void io(Io& io, HTTPIngressRuleValue& v) {
  io.required("paths", v.paths);
}

template <typename Io>
void io(Io& io, IngressRule& v) {
  io.field("host", v.host);
  io.field("http", v.http);
}

template <typename Io>
void io(Io& io, IngressTLS& v) {
  io.field("hosts", v.hosts);
  io.field("secretName", v.secret_name);
}

template <typename Io>
void io(Io& io, IngressSpec& v) {
  io.field("ingressClassName", v.ingress_class_name);
  io.field("defaultBackend", v.default_backend);
  io.field("tls", v.tls);
  io.field("rules", v.rules);
}

template <typename Io>
void io(Io& io, IngressPortStatus& v) {
  io.required("port", v.port);
  io.required("protocol", v.protocol);
  io.field("error", v.error);
}

template <typename Io>
void io(Io& io, IngressLoadBalancerIngress& v) {
  io.field("ip", v.ip);
  io.field("hostname", v.hostname);
  io.field("ports", v.ports);
}

template <typename Io>
void io(Io& io, IngressLoadBalancerStatus& v) {
  io.field("ingress", v.ingress);
}

template <typename Io>
void io(Io& io, IngressStatus& v) {
  io.required("loadBalancer", v.load_balancer);
}

template <typename Io>
void io(Io& io, Ingress& v) {
  io.field("apiVersion", v.api_version);
  io.field("kind", v.kind);
  io.required("metadata", v.metadata);
  io.required("spec", v.spec);
  io.required("status", v.status);
}

template <typename Io>
void io(Io& io, IngressClassParametersReference& v) {
  io.field("apiGroup", v.api_group);
  io.required("kind", v.kind);
  io.required("name", v.name);
  io.field("scope", v.scope);
  io.field("namespace", v.namespace_);
}

template <typename Io>
void io(Io& io, IngressClassSpec& v) {
  io.field("controller", v.controller);
  io.field("parameters", v.parameters);
}

template <typename Io>
void io(Io& io, IngressClass& v) {
  io.field("apiVersion", v.api_version);
  io.field("kind", v.kind);
  io.required("metadata", v.metadata);
  io.required("spec", v.spec);
}

// ---- rbac.authorization.k8s.io/v1 ----

template <typename Io>
void io(Io& io, PolicyRule& v) {
  io.required("verbs", v.verbs);
  io.field("apiGroups", v.api_groups);
  io.field("resources", v.resources);
  io.field("resourceNames", v.resource_names);
  io.field("nonResourceURLs", v.non_resource_urls);
}

template <typename Io>
void io(Io& io, AggregationRule& v) {
  io.field("clusterRoleSelectors", v.cluster_role_selectors);
}

template <typename Io>
void io(Io& io, Role& v) {
  io.field("apiVersion", v.api_version);
  io.field("kind", v.kind);
  io.required("metadata", v.metadata);
  io.field("rules", v.rules);
}

template <typename Io>
void io(Io& io, ClusterRole& v) {
  io.field("apiVersion", v.api_version);
  io.field("kind", v.kind);
  io.required("metadata", v.metadata);
  io.field("rules", v.rules);
  io.field("aggregationRule", v.aggregation_rule);
}

template <typename Io>
void io(Io& io, RoleRef& v) {
  io.required("apiGroup", v.api_group);
  io.required("kind", v.kind);
  io.required("name", v.name);
}

template <typename Io>
void io(Io& io, Subject& v) {
  io.required("kind", v.kind);
  io.field("apiGroup", v.api_group);
  io.required("name", v.name);
  io.field("namespace", v.namespace_);
}

template <typename Io>
void io(Io& io, RoleBinding& v) {
  io.field("apiVersion", v.api_version);
  io.field("kind", v.kind);
  io.required("metadata", v.metadata);
  io.field("subjects", v.subjects);
  io.required("roleRef", v.role_ref);
}

template <typename Io>
void io(Io& io, ClusterRoleBinding& v) {
  io.field("apiVersion", v.api_version);
  io.field("kind", v.kind);
  io.required("metadata", v.metadata);
  io.field("subjects", v.subjects);
  io.required("roleRef", v.role_ref);
}

// ---- certificates.k8s.io/v1 ----

template <typename Io>
void io(Io& io, CertificateSigningRequestSpec& v) {
  io.bytes("request", v.request);
  io.field("signerName", v.signer_name);
  io.field("expirationSeconds", v.expiration_seconds);
  io.field("usages", v.usages);
  io.field("username", v.username);
  io.field("uid", v.uid);
  io.field("groups", v.groups);
  io.field("extra", v.extra);
}

template <typename Io>
void io(Io& io, CertificateSigningRequestCondition& v) {
  io.required("type", v.type);
  io.required("status", v.status);
  io.field("reason", v.reason);
  io.field("message", v.message);
  io.field("lastUpdateTime", v.last_update_time);
  io.field("lastTransitionTime", v.last_transition_time);
}

template <typename Io>
void io(Io& io, CertificateSigningRequestStatus& v) {
  io.field("conditions", v.conditions);
  io.bytes("certificate", v.certificate);
}

template <typename Io>
void io(Io& io, CertificateSigningRequest& v) {
  io.field("apiVersion", v.api_version);
  io.field("kind", v.kind);
  io.required("metadata", v.metadata);
  io.required("spec", v.spec);
  io.required("status", v.status);
}

// ---- policy/v1 ----

template <typename Io>
void io(Io& io, PodDisruptionBudgetSpec& v) {
  io.field("minAvailable", v.min_available);
  io.field("selector", v.selector);
  io.field("maxUnavailable", v.max_unavailable);
  io.field("unhealthyPodEvictionPolicy", v.unhealthy_pod_eviction_policy);
}

template <typename Io>
void io(Io& io, PodDisruptionBudgetCondition& v) {
  io.required("type", v.type);
  io.required("status", v.status);
  io.field("observedGeneration", v.observed_generation);
  io.required("lastTransitionTime", v.last_transition_time);
  io.required("reason", v.reason);
  io.required("message", v.message);
}

template <typename Io>
void io(Io& io, PodDisruptionBudgetStatus& v) {
  io.field("observedGeneration", v.observed_generation);
  io.field("disruptedPods", v.disrupted_pods);
  io.required("disruptionsAllowed", v.disruptions_allowed);
  io.required("currentHealthy", v.current_healthy);
  io.required("desiredHealthy", v.desired_healthy);
  io.required("expectedPods", v.expected_pods);
  io.field("conditions", v.conditions);
}

template <typename Io>
void io(Io& io, PodDisruptionBudget& v) {
  io.field("apiVersion", v.api_version);
  io.field("kind", v.kind);
  io.required("metadata", v.metadata);
  io.required("spec", v.spec);
  io.required("status", v.status);
}

// ---- seed kinds ----

template <typename Io>
void io(Io& io, DnsPath& v) {
  io.field("serviceName", v.service_name);
  io.field("servicePort", v.service_port);
  io.field("urlPath", v.url_path);
}

template <typename Io>
void io(Io& io, DnsSpec& v) {
  io.field("hostname", v.hostname);
  io.field("paths", v.paths);
}

template <typename Io>
void io(Io& io, Dns& v) {
  io.field("apiVersion", v.api_version);
  io.field("kind", v.kind);
  io.required("metadata", v.metadata);
  io.required("spec", v.spec);
  io.field("status", v.status);
}

template <typename Io>
void io(Io& io, HpaTargetMeta& v) {
  io.field("name", v.name);
}

template <typename Io>
void io(Io& io, HpaScaleTargetRef& v) {
  io.field("kind", v.kind);
  io.field("metadata", v.metadata);
}

template <typename Io>
void io(Io& io, HpaMetrics& v) {
  io.field("cpuPercent", v.cpu_percent);
  io.field("memPercent", v.mem_percent);
}

template <typename Io>
void io(Io& io, HpaSpec& v) {
  io.field("minReplicas", v.min_replicas);
  io.field("maxReplicas", v.max_replicas);
  io.field("scaleTargetRef", v.scale_target_ref);
  io.field("interval", v.interval);
  io.field("selector", v.selector);
  io.field("metrics", v.metrics);
}

template <typename Io>
void io(Io& io, Hpa& v) {
  io.field("apiVersion", v.api_version);
  io.field("kind", v.kind);
  io.required("metadata", v.metadata);
  io.required("spec", v.spec);
  io.field("status", v.status);
}

template <typename T>
Status fromJson(const nlohmann::json& in, T& out, std::vector<std::string>* unknown_fields) {
  try {
    Decoder decoder(unknown_fields);
    decoder.decodeValue(in, out);
    return decoder.status();
  } catch (const std::exception& e) {  // nlohmann type errors cannot happen; belt and braces
    return badRequest(std::string("decoding: ") + e.what());
  }
}

template <typename T>
nlohmann::json toJson(const T& value) {
  return Encoder::encodeValue(value);
}

#define MINIK8S_API_CODEC(T)                                                         \
  template Status fromJson<T>(const nlohmann::json&, T&, std::vector<std::string>*); \
  template nlohmann::json toJson<T>(const T&);

MINIK8S_API_CODEC(ObjectMeta)
MINIK8S_API_CODEC(PartialObjectMetadata)
MINIK8S_API_CODEC(ListMeta)
MINIK8S_API_CODEC(OwnerReference)
MINIK8S_API_CODEC(LabelSelectorSpec)
MINIK8S_API_CODEC(Condition)
MINIK8S_API_CODEC(Taint)
MINIK8S_API_CODEC(ObjectReference)
MINIK8S_API_CODEC(Container)
MINIK8S_API_CODEC(Toleration)
MINIK8S_API_CODEC(ContainerStatus)
MINIK8S_API_CODEC(ContainerState)
MINIK8S_API_CODEC(ResourceRequirements)
MINIK8S_API_CODEC(Volume)
MINIK8S_API_CODEC(EndpointSubset)
MINIK8S_API_CODEC(NodeSpec)
MINIK8S_API_CODEC(PodSpec)
MINIK8S_API_CODEC(PodStatus)
MINIK8S_API_CODEC(PodTemplateSpec)
MINIK8S_API_CODEC(Pod)
MINIK8S_API_CODEC(Namespace)
MINIK8S_API_CODEC(ServiceSpec)
MINIK8S_API_CODEC(Service)
MINIK8S_API_CODEC(Endpoints)
MINIK8S_API_CODEC(EndpointSlice)
MINIK8S_API_CODEC(NodeStatus)
MINIK8S_API_CODEC(Node)
MINIK8S_API_CODEC(Event)
MINIK8S_API_CODEC(ConfigMap)
MINIK8S_API_CODEC(Secret)
MINIK8S_API_CODEC(DeploymentSpec)
MINIK8S_API_CODEC(DeploymentStatus)
MINIK8S_API_CODEC(Deployment)
MINIK8S_API_CODEC(ReplicaSetStatus)
MINIK8S_API_CODEC(ReplicaSet)
MINIK8S_API_CODEC(DaemonSet)
MINIK8S_API_CODEC(DaemonSetStatus)
MINIK8S_API_CODEC(HorizontalPodAutoscalerStatus)
MINIK8S_API_CODEC(HorizontalPodAutoscaler)
MINIK8S_API_CODEC(MetricSpec)
MINIK8S_API_CODEC(MetricStatus)
MINIK8S_API_CODEC(HorizontalPodAutoscalerBehavior)
MINIK8S_API_CODEC(HorizontalPodAutoscalerV1)
MINIK8S_API_CODEC(Lease)
MINIK8S_API_CODEC(Dns)
MINIK8S_API_CODEC(Hpa)
MINIK8S_API_CODEC(JobSpec)
MINIK8S_API_CODEC(JobStatus)
MINIK8S_API_CODEC(Job)
MINIK8S_API_CODEC(CronJobStatus)
MINIK8S_API_CODEC(CronJob)
MINIK8S_API_CODEC(IngressBackend)
MINIK8S_API_CODEC(IngressStatus)
MINIK8S_API_CODEC(Ingress)
MINIK8S_API_CODEC(IngressClass)
MINIK8S_API_CODEC(ServiceAccount)
MINIK8S_API_CODEC(Role)
MINIK8S_API_CODEC(ClusterRole)
MINIK8S_API_CODEC(RoleBinding)
MINIK8S_API_CODEC(ClusterRoleBinding)
MINIK8S_API_CODEC(CertificateSigningRequest)
MINIK8S_API_CODEC(CertificateSigningRequestCondition)
MINIK8S_API_CODEC(PodDisruptionBudget)
MINIK8S_API_CODEC(PodDisruptionBudgetStatus)

#undef MINIK8S_API_CODEC

}  // namespace minik8s::api
