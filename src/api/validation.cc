#include "api/validation.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <set>

#include "api/chars.h"
#include "api/codec.h"
#include "api/completion_indexes.h"
#include "api/cron_schedule.h"
#include "api/defaults.h"
#include "api/types_discovery.h"
#include "api/types_batch.h"
#include "api/types_certificates.h"
#include "api/types_networking.h"
#include "api/types_policy.h"
#include "api/types_rbac.h"

namespace minik8s::api {
namespace {

constexpr size_t kDns1123LabelMaxLength = 63;
constexpr size_t kDns1123SubdomainMaxLength = 253;
constexpr size_t kLabelValueMaxLength = 63;
constexpr size_t kQualifiedNameMaxLength = 63;
constexpr size_t kTotalAnnotationSizeLimit = 256 * 1024;
constexpr size_t kMaxSecretSize = 1024 * 1024;

const char* const kDns1123LabelMessage =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
    "and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', "
    "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const char* const kDns1123SubdomainMessage =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "
    "or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "
    "regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const char* const kQualifiedNameMessage =
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and "
    "end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex "
    "used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const char* const kLabelValueMessage =
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' "
    "or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
    "'my_value',  or '12345', regex used for validation is "
    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const char* const kConfigKeyMessage =
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. "
    "'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is "
    "'[-._a-zA-Z0-9]+')";
const char* const kEnvVarNameMessage =
    "a valid environment variable name must consist of alphabetic characters, digits, '_', "
    "'-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or "
    "'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')";


bool matchesDns1123Label(std::string_view s) {
  if (s.empty() || !isLowerAlnum(s.front()) || !isLowerAlnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return isLowerAlnum(c) || c == '-'; });
}

// ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]
bool matchesQualifiedNamePart(std::string_view s) {
  if (s.empty() || !isAsciiAlnum(s.front()) || !isAsciiAlnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return isAsciiAlnum(c) || c == '-' || c == '_' || c == '.'; });
}

std::string quote(std::string_view s) {
  return nlohmann::json(std::string(s)).dump();
}

// Collects field errors under Kubernetes' reasons and message shapes.
class Errors {
 public:
  void required(const std::string& path, const std::string& detail = "") {
    add(path, "FieldValueRequired",
        detail.empty() ? "Required value" : "Required value: " + detail);
  }
  void invalid(const std::string& path, std::string_view value, const std::string& detail) {
    invalidRaw(path, quote(value), detail);
  }
  void invalid(const std::string& path, int64_t value, const std::string& detail) {
    invalidRaw(path, std::to_string(value), detail);
  }
  void invalidRaw(const std::string& path, const std::string& value, const std::string& detail) {
    add(path, "FieldValueInvalid", "Invalid value: " + value + ": " + detail);
  }
  void duplicate(const std::string& path, std::string_view value) {
    add(path, "FieldValueDuplicate", "Duplicate value: " + quote(value));
  }
  void notFound(const std::string& path, std::string_view value) {
    add(path, "FieldValueNotFound", "Not found: " + quote(value));
  }
  void forbidden(const std::string& path, const std::string& detail) {
    add(path, "FieldValueForbidden", "Forbidden: " + detail);
  }
  void tooLong(const std::string& path, size_t max) {
    add(path, "FieldValueTooLong",
        "Too long: may not be more than " + std::to_string(max) + " bytes");
  }
  // Unsupported value unless `value` is one of `supported`.
  void checkEnum(const std::string& path, const std::string& value,
                 std::initializer_list<const char*> supported) {
    for (const char* s : supported) {
      if (value == s) return;
    }
    std::string list;
    for (const char* s : supported) list += (list.empty() ? "" : ", ") + quote(s);
    add(path, "FieldValueNotSupported",
        "Unsupported value: " + quote(value) + ": supported values: " + list);
  }
  void checkNames(const std::string& path, std::string_view value,
                  const std::vector<std::string>& problems) {
    for (const std::string& p : problems) invalid(path, value, p);
  }
  void checkPort(const std::string& path, int64_t port) {
    if (port < 1 || port > 65535) invalid(path, port, "must be between 1 and 65535, inclusive");
  }
  void checkNonNegative(const std::string& path, int64_t value) {
    if (value < 0) invalid(path, value, "must be greater than or equal to 0");
  }
  void immutable(const std::string& path, std::string_view value) {
    invalid(path, value, "field is immutable");
  }
  void add(const std::string& path, const char* reason, std::string message) {
    list_.push_back({path, reason, std::move(message)});
  }
  std::vector<FieldError> take() { return std::move(list_); }

 private:
  std::vector<FieldError> list_;
};

std::string key(const std::string& path, std::string_view k) {
  return path + "[" + std::string(k) + "]";
}
std::string index(const std::string& path, size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

// ---- metadata ----

// kPathSegment: RBAC names (path.IsValidPathSegmentName).
enum class NameRule { kSubdomain, kLabel, kPathSegment };

std::vector<std::string> isValidPathSegmentName(std::string_view name);  // below

void validateLabels(Errors& errors, const StringMap& labels, const std::string& path) {
  for (const auto& [k, v] : labels) {
    errors.checkNames(path, k, isQualifiedName(k));
    errors.checkNames(path, v, isValidLabelValue(v));
  }
}

void validateMeta(Errors& errors, const ObjectMeta& meta, const ObjectMeta* old, bool namespaced,
                  NameRule rule) {
  if (meta.name.empty()) {
    if (meta.generate_name.empty())
      errors.required("metadata.name", "name or generateName is required");
  } else {
    errors.checkNames("metadata.name", meta.name,
                      rule == NameRule::kLabel         ? isDns1123Label(meta.name)
                      : rule == NameRule::kPathSegment ? isValidPathSegmentName(meta.name)
                                                       : isDns1123Subdomain(meta.name));
  }
  if (namespaced) {
    if (!meta.namespace_.empty()) {
      errors.checkNames("metadata.namespace", meta.namespace_, isDns1123Label(meta.namespace_));
    }
  } else if (!meta.namespace_.empty()) {
    errors.forbidden("metadata.namespace", "not allowed on this type");
  }
  validateLabels(errors, meta.labels, "metadata.labels");
  size_t annotation_size = 0;
  for (const auto& [k, v] : meta.annotations) {
    errors.checkNames("metadata.annotations", k, isQualifiedName(k));
    annotation_size += k.size() + v.size();
  }
  if (annotation_size > kTotalAnnotationSizeLimit) {
    errors.tooLong("metadata.annotations", kTotalAnnotationSizeLimit);
  }
  for (size_t i = 0; i < meta.owner_references.size(); ++i) {
    const OwnerReference& ref = meta.owner_references[i];
    std::string path = index("metadata.ownerReferences", i);
    if (ref.api_version.empty())
      errors.invalid(path + ".apiVersion", "", "version must not be empty");
    if (ref.kind.empty()) errors.invalid(path + ".kind", "", "kind must not be empty");
    if (ref.name.empty()) errors.invalid(path + ".name", "", "name must not be empty");
    if (ref.uid.empty()) errors.invalid(path + ".uid", "", "uid must not be empty");
  }
  if (meta.generation < 0) errors.checkNonNegative("metadata.generation", meta.generation);
  if (old != nullptr) {
    if (meta.name != old->name) errors.immutable("metadata.name", meta.name);
    if (meta.namespace_ != old->namespace_) errors.immutable("metadata.namespace", meta.namespace_);
    if (!old->uid.empty() && !meta.uid.empty() && meta.uid != old->uid) {
      errors.immutable("metadata.uid", meta.uid);
    }
  }
}

// ---- quantities ----

void validateResourceList(Errors& errors, const ResourceList& list, const std::string& path) {
  for (const auto& [name, q] : list) {
    std::string p = key(path, name);
    if (!q.isValid()) {
      errors.invalid(p, q.toString(),
                     "quantities must match the regular expression "
                     "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
    } else if (q.isNegative()) {
      errors.invalid(p, q.toString(), "must be greater than or equal to 0");
    }
  }
}

void validateRequirements(Errors& errors, const ResourceRequirements& r, const std::string& path) {
  validateResourceList(errors, r.limits, path + ".limits");
  validateResourceList(errors, r.requests, path + ".requests");
  for (const auto& [name, request] : r.requests) {
    auto limit = r.limits.find(name);
    if (limit == r.limits.end() || !request.isValid() || !limit->second.isValid()) continue;
    if (request > limit->second) {
      errors.invalid(
          key(path + ".requests", name), request.toString(),
          "must be less than or equal to " + name + " limit of " + limit->second.toString());
    }
  }
}

// ---- pods ----

void validateProbe(Errors& errors, const Probe& probe, const std::string& path) {
  int handlers = probe.exec.has_value() + probe.http_get.has_value() +
                 probe.tcp_socket.has_value() + !probe.grpc.isNull();
  if (handlers == 0) errors.required(path, "must specify a handler type");
  if (handlers > 1)
    errors.forbidden(path + ".tcpSocket", "may not specify more than 1 handler type");
  if (probe.http_get && !probe.http_get->port.is_string) {
    errors.checkPort(path + ".httpGet.port", probe.http_get->port.int_value);
  }
  if (probe.tcp_socket && !probe.tcp_socket->port.is_string) {
    errors.checkPort(path + ".tcpSocket.port", probe.tcp_socket->port.int_value);
  }
  errors.checkNonNegative(path + ".initialDelaySeconds", probe.initial_delay_seconds);
  errors.checkNonNegative(path + ".timeoutSeconds", probe.timeout_seconds);
  errors.checkNonNegative(path + ".periodSeconds", probe.period_seconds);
  errors.checkNonNegative(path + ".successThreshold", probe.success_threshold);
  errors.checkNonNegative(path + ".failureThreshold", probe.failure_threshold);
}

bool isEnvVarName(std::string_view s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return isAsciiAlnum(c) || c == '-' || c == '_' || c == '.'; });
}

void validateContainer(Errors& errors, const Container& c, const std::string& path,
                       const std::set<std::string>& volume_names) {
  if (c.name.empty()) {
    errors.required(path + ".name");
  } else {
    errors.checkNames(path + ".name", c.name, isDns1123Label(c.name));
  }
  if (c.image.empty()) errors.required(path + ".image");
  std::set<std::string> port_names;
  for (size_t i = 0; i < c.ports.size(); ++i) {
    const ContainerPort& port = c.ports[i];
    std::string p = index(path + ".ports", i);
    errors.checkPort(p + ".containerPort", port.container_port);
    if (port.host_port != 0) errors.checkPort(p + ".hostPort", port.host_port);
    errors.checkEnum(p + ".protocol", port.protocol, {"SCTP", "TCP", "UDP"});
    if (!port.name.empty()) {
      if (port.name.size() > 15)
        errors.invalid(p + ".name", port.name, "must be no more than 15 characters");
      if (!port_names.insert(port.name).second) errors.duplicate(p + ".name", port.name);
    }
  }
  for (size_t i = 0; i < c.env.size(); ++i) {
    const EnvVar& env = c.env[i];
    std::string p = index(path + ".env", i);
    if (env.name.empty()) {
      errors.required(p + ".name");
    } else if (!isEnvVarName(env.name)) {
      errors.invalid(p + ".name", env.name, kEnvVarNameMessage);
    }
    if (env.value_from) {
      const EnvVarSource& src = *env.value_from;
      int sources = src.field_ref.has_value() + src.resource_field_ref.has_value() +
                    src.config_map_key_ref.has_value() + src.secret_key_ref.has_value();
      if (sources == 0) {
        errors.invalidRaw(p + ".valueFrom", "\"\"",
                          "must specify one of: `fieldRef`, "
                          "`resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`");
      } else if (sources > 1) {
        errors.invalidRaw(p + ".valueFrom", "\"\"",
                          "may not have more than one field specified at a time");
      }
      if (!env.value.empty()) {
        errors.invalidRaw(p + ".valueFrom", "\"\"",
                          "may not be specified when `value` is not empty");
      }
      if (src.field_ref && src.field_ref->field_path.empty())
        errors.required(p + ".valueFrom.fieldRef.fieldPath");
      if (src.config_map_key_ref && src.config_map_key_ref->key.empty()) {
        errors.required(p + ".valueFrom.configMapKeyRef.key");
      }
      if (src.secret_key_ref && src.secret_key_ref->key.empty())
        errors.required(p + ".valueFrom.secretKeyRef.key");
      if (src.resource_field_ref && src.resource_field_ref->resource.empty()) {
        errors.required(p + ".valueFrom.resourceFieldRef.resource");
      }
    }
  }
  validateRequirements(errors, c.resources, path + ".resources");
  std::set<std::string> mount_paths;
  for (size_t i = 0; i < c.volume_mounts.size(); ++i) {
    const VolumeMount& m = c.volume_mounts[i];
    std::string p = index(path + ".volumeMounts", i);
    if (m.name.empty()) {
      errors.required(p + ".name");
    } else if (volume_names.count(m.name) == 0) {
      errors.notFound(p + ".name", m.name);
    }
    if (m.mount_path.empty()) {
      errors.required(p + ".mountPath");
    } else if (!mount_paths.insert(m.mount_path).second) {
      errors.invalid(p + ".mountPath", m.mount_path, "must be unique");
    }
  }
  if (c.liveness_probe) validateProbe(errors, *c.liveness_probe, path + ".livenessProbe");
  if (c.readiness_probe) validateProbe(errors, *c.readiness_probe, path + ".readinessProbe");
  if (c.startup_probe) validateProbe(errors, *c.startup_probe, path + ".startupProbe");
  if (!c.image_pull_policy.empty()) {
    errors.checkEnum(path + ".imagePullPolicy", c.image_pull_policy,
                     {"Always", "IfNotPresent", "Never"});
  }
  if (!c.termination_message_policy.empty()) {
    errors.checkEnum(path + ".terminationMessagePolicy", c.termination_message_policy,
                     {"File", "FallbackToLogsOnError"});
  }
}

int volumeSourceCount(const Volume& v) {
  return v.host_path.has_value() + v.empty_dir.has_value() + v.config_map.has_value() +
         v.secret.has_value() + !v.persistent_volume_claim.isNull() + !v.projected.isNull() +
         !v.downward_api.isNull() + !v.nfs.isNull() + !v.csi.isNull() + !v.ephemeral.isNull() +
         !v.local.isNull();
}

void validatePodSpec(Errors& errors, const PodSpec& spec, const std::string& path) {
  std::set<std::string> volume_names;
  for (size_t i = 0; i < spec.volumes.size(); ++i) {
    const Volume& v = spec.volumes[i];
    std::string p = index(path + ".volumes", i);
    if (v.name.empty()) {
      errors.required(p + ".name");
    } else {
      errors.checkNames(p + ".name", v.name, isDns1123Label(v.name));
      if (!volume_names.insert(v.name).second) errors.duplicate(p + ".name", v.name);
    }
    int sources = volumeSourceCount(v);
    if (sources == 0) errors.required(p, "must specify a volume type");
    if (sources > 1) errors.forbidden(p, "may not specify more than 1 volume type");
    if (v.host_path && v.host_path->path.empty()) errors.required(p + ".hostPath.path");
    if (v.host_path && v.host_path->type) {
      errors.checkEnum(p + ".hostPath.type", *v.host_path->type,
                       {"", "DirectoryOrCreate", "Directory", "FileOrCreate", "File", "Socket",
                        "CharDevice", "BlockDevice"});
    }
    if (v.secret && v.secret->secret_name.empty()) errors.required(p + ".secret.secretName");
    if (v.config_map && v.config_map->name.empty()) errors.required(p + ".configMap.name");
    if (v.empty_dir && v.empty_dir->size_limit.isSet() && !v.empty_dir->size_limit.isValid()) {
      errors.invalid(p + ".emptyDir.sizeLimit", v.empty_dir->size_limit.toString(),
                     "quantities must match the regular expression "
                     "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
    }
  }
  if (spec.containers.empty()) errors.required(path + ".containers");
  std::set<std::string> container_names;
  auto check = [&](const std::vector<Container>& list, const std::string& list_path) {
    for (size_t i = 0; i < list.size(); ++i) {
      std::string p = index(list_path, i);
      validateContainer(errors, list[i], p, volume_names);
      if (!list[i].name.empty() && !container_names.insert(list[i].name).second) {
        errors.duplicate(p + ".name", list[i].name);
      }
    }
  };
  check(spec.init_containers, path + ".initContainers");
  check(spec.containers, path + ".containers");
  if (!spec.restart_policy.empty()) {
    errors.checkEnum(path + ".restartPolicy", spec.restart_policy,
                     {"Always", "OnFailure", "Never"});
  }
  if (!spec.dns_policy.empty()) {
    errors.checkEnum(path + ".dnsPolicy", spec.dns_policy,
                     {"ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"});
  }
  if (spec.dns_policy == "None" && (!spec.dns_config || spec.dns_config->nameservers.empty())) {
    errors.required(path + ".dnsConfig.nameservers",
                    "must provide at least one DNS nameserver when DNS policy is None");
  }
  if (spec.termination_grace_period_seconds) {
    errors.checkNonNegative(path + ".terminationGracePeriodSeconds",
                            *spec.termination_grace_period_seconds);
  }
  if (spec.active_deadline_seconds && *spec.active_deadline_seconds < 1) {
    errors.invalid(path + ".activeDeadlineSeconds", *spec.active_deadline_seconds,
                   "must be between 1 and 2147483647, inclusive");
  }
  validateLabels(errors, spec.node_selector, path + ".nodeSelector");
  if (!spec.service_account_name.empty()) {
    errors.checkNames(path + ".serviceAccountName", spec.service_account_name,
                      isDns1123Subdomain(spec.service_account_name));
  }
  if (!spec.node_name.empty()) {
    errors.checkNames(path + ".nodeName", spec.node_name, isDns1123Subdomain(spec.node_name));
  }
  if (!spec.hostname.empty())
    errors.checkNames(path + ".hostname", spec.hostname, isDns1123Label(spec.hostname));
  if (!spec.subdomain.empty()) {
    errors.checkNames(path + ".subdomain", spec.subdomain, isDns1123Label(spec.subdomain));
  }
  for (size_t i = 0; i < spec.tolerations.size(); ++i) {
    const Toleration& t = spec.tolerations[i];
    std::string p = index(path + ".tolerations", i);
    if (!t.key.empty()) errors.checkNames(p + ".key", t.key, isQualifiedName(t.key));
    if (!t.op.empty()) errors.checkEnum(p + ".operator", t.op, {"Equal", "Exists"});
    if (t.op == "Exists" && !t.value.empty()) {
      errors.invalid(p + ".operator", t.op, "value must be empty when `operator` is 'Exists'");
    }
    if (t.key.empty() && t.op != "Exists") {
      errors.invalid(p + ".operator", t.op,
                     "operator must be Exists when `key` is empty, which means \"match all values "
                     "and all keys\"");
    }
    if (!t.effect.empty()) {
      errors.checkEnum(p + ".effect", t.effect, {"NoSchedule", "PreferNoSchedule", "NoExecute"});
    }
  }
  if (spec.resources) validateRequirements(errors, *spec.resources, path + ".resources");
}

void validatePodUpdate(Errors& errors, const Pod& pod, const Pod& old) {
  // Blank out what may change, then require the rest to be identical.
  PodSpec now = pod.spec;
  PodSpec before = old.spec;
  auto same_images = [](std::vector<Container>& to, const std::vector<Container>& from) {
    if (to.size() != from.size()) return;
    for (size_t i = 0; i < to.size(); ++i) to[i].image = from[i].image;
  };
  same_images(now.containers, before.containers);
  same_images(now.init_containers, before.init_containers);
  now.active_deadline_seconds = before.active_deadline_seconds;
  // Binding (pods/binding goes through the generic update path) sets nodeName once.
  if (before.node_name.empty()) now.node_name = before.node_name;
  // Tolerations may only be added.
  bool additions_only = now.tolerations.size() >= before.tolerations.size();
  for (size_t i = 0; additions_only && i < before.tolerations.size(); ++i) {
    additions_only = toJson(now.tolerations[i]) == toJson(before.tolerations[i]);
  }
  if (additions_only) now.tolerations = before.tolerations;
  if (old.spec.active_deadline_seconds && pod.spec.active_deadline_seconds &&
      *pod.spec.active_deadline_seconds > *old.spec.active_deadline_seconds) {
    errors.invalid("spec.activeDeadlineSeconds", *pod.spec.active_deadline_seconds,
                   "must be less than or equal to previous value");
  }
  if (toJson(now) != toJson(before)) {
    errors.forbidden("spec",
                     "pod updates may not change fields other than `spec.containers[*].image`,"
                     "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,"
                     "`spec.tolerations` (only additions to existing tolerations),"
                     "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was "
                     "previously negative)");
  }
}

void validateTemplate(Errors& errors, const std::optional<LabelSelectorSpec>& selector,
                      const PodTemplateSpec& tmpl, std::optional<int32_t> replicas,
                      const std::string& kind_description) {
  if (replicas) errors.checkNonNegative("spec.replicas", *replicas);
  if (!selector) {
    errors.required("spec.selector");
  } else {
    const LabelSelectorSpec& sel = *selector;
    validateLabels(errors, sel.match_labels, "spec.selector.matchLabels");
    for (size_t i = 0; i < sel.match_expressions.size(); ++i) {
      const LabelSelectorRequirement& r = sel.match_expressions[i];
      std::string p = index("spec.selector.matchExpressions", i);
      errors.checkNames(p + ".key", r.key, isQualifiedName(r.key));
      errors.checkEnum(p + ".operator", r.op, {"In", "NotIn", "Exists", "DoesNotExist"});
      if ((r.op == "In" || r.op == "NotIn") && r.values.empty()) {
        errors.required(p + ".values", "must be specified when `operator` is 'In' or 'NotIn'");
      }
      if ((r.op == "Exists" || r.op == "DoesNotExist") && !r.values.empty()) {
        errors.forbidden(p + ".values",
                         "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
      }
    }
    if (sel.match_labels.empty() && sel.match_expressions.empty()) {
      errors.invalidRaw("spec.selector", "{}", "empty selector is invalid for " + kind_description);
    } else if (!selectorMatches(sel, tmpl.metadata.labels)) {
      std::string labels;
      for (const auto& [k, v] : tmpl.metadata.labels)
        labels += (labels.empty() ? "" : ",") + k + "=" + v;
      errors.invalid("spec.template.metadata.labels", labels,
                     "`selector` does not match template `labels`");
    }
  }
  validateLabels(errors, tmpl.metadata.labels, "spec.template.metadata.labels");
  validatePodSpec(errors, tmpl.spec, "spec.template.spec");
  if (!tmpl.spec.restart_policy.empty() && tmpl.spec.restart_policy != "Always") {
    errors.checkEnum("spec.template.spec.restartPolicy", tmpl.spec.restart_policy, {"Always"});
  }
  if (tmpl.spec.active_deadline_seconds) {
    errors.forbidden("spec.template.spec.activeDeadlineSeconds",
                     "activeDeadlineSeconds in ReplicaSet is not Supported");
  }
}

void validateSelectorUpdate(Errors& errors, const std::optional<LabelSelectorSpec>& now,
                            const std::optional<LabelSelectorSpec>& old) {
  nlohmann::json a = now ? toJson(*now) : nlohmann::json();
  nlohmann::json b = old ? toJson(*old) : nlohmann::json();
  if (a != b) errors.invalidRaw("spec.selector", a.dump(), "field is immutable");
}

void validateIntOrPercent(Errors& errors, const std::optional<IntOrString>& v,
                          const std::string& path) {
  if (!v) return;
  if (v->is_string) {
    if (!scaledValueFromIntOrPercent(*v, 100, false).isOk()) {
      errors.invalid(path, v->str_value,
                     "a valid percent string must be a numeric string followed by an ending '%' "
                     "(e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')");
    }
  } else {
    errors.checkNonNegative(path, v->int_value);
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Name syntax

std::vector<std::string> isDns1123Label(std::string_view value) {
  std::vector<std::string> problems;
  if (value.size() > kDns1123LabelMaxLength) {
    problems.push_back("must be no more than " + std::to_string(kDns1123LabelMaxLength) +
                       " characters");
  }
  if (!matchesDns1123Label(value)) problems.push_back(kDns1123LabelMessage);
  return problems;
}

std::vector<std::string> isDns1123Subdomain(std::string_view value) {
  std::vector<std::string> problems;
  if (value.size() > kDns1123SubdomainMaxLength) {
    problems.push_back("must be no more than " + std::to_string(kDns1123SubdomainMaxLength) +
                       " characters");
  }
  bool ok = !value.empty();
  size_t start = 0;
  while (ok && start <= value.size()) {
    size_t dot = value.find('.', start);
    std::string_view part =
        value.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    ok = matchesDns1123Label(part);
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (!ok) problems.push_back(kDns1123SubdomainMessage);
  return problems;
}

std::vector<std::string> isQualifiedName(std::string_view value) {
  std::vector<std::string> problems;
  std::string_view name = value;
  size_t slash = value.find('/');
  if (slash != std::string_view::npos) {
    if (value.find('/', slash + 1) != std::string_view::npos) {
      problems.push_back(
          "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must "
          "start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or "
          "'123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') "
          "with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
      return problems;
    }
    std::string_view prefix = value.substr(0, slash);
    name = value.substr(slash + 1);
    if (prefix.empty()) {
      problems.push_back("prefix part must be non-empty");
    } else {
      for (const std::string& p : isDns1123Subdomain(prefix))
        problems.push_back("prefix part " + p);
    }
  }
  if (name.empty()) {
    problems.push_back("name part must be non-empty");
  } else {
    if (name.size() > kQualifiedNameMaxLength) {
      problems.push_back("name part must be no more than 63 characters");
    }
    if (!matchesQualifiedNamePart(name)) problems.push_back(kQualifiedNameMessage);
  }
  return problems;
}

std::vector<std::string> isValidLabelValue(std::string_view value) {
  std::vector<std::string> problems;
  if (value.size() > kLabelValueMaxLength) problems.push_back("must be no more than 63 characters");
  if (!value.empty() && !matchesQualifiedNamePart(value)) problems.push_back(kLabelValueMessage);
  return problems;
}

bool selectorMatches(const LabelSelectorSpec& selector, const StringMap& labels) {
  for (const auto& [k, v] : selector.match_labels) {
    auto it = labels.find(k);
    if (it == labels.end() || it->second != v) return false;
  }
  for (const LabelSelectorRequirement& r : selector.match_expressions) {
    auto it = labels.find(r.key);
    bool has = it != labels.end();
    bool in = has && std::find(r.values.begin(), r.values.end(), it->second) != r.values.end();
    if (r.op == "In" && !in) return false;
    if (r.op == "NotIn" && in) return false;
    if (r.op == "Exists" && !has) return false;
    if (r.op == "DoesNotExist" && has) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------
// Kinds

std::vector<FieldError> validateObject(const Pod& pod, const Pod* old) {
  Errors errors;
  validateMeta(errors, pod.metadata, old ? &old->metadata : nullptr, true, NameRule::kSubdomain);
  validatePodSpec(errors, pod.spec, "spec");
  if (old != nullptr) validatePodUpdate(errors, pod, *old);
  return errors.take();
}

std::vector<FieldError> validateObject(const Namespace& ns, const Namespace* old) {
  Errors errors;
  validateMeta(errors, ns.metadata, old ? &old->metadata : nullptr, false, NameRule::kLabel);
  if (!ns.status.phase.empty())
    errors.checkEnum("status.phase", ns.status.phase, {"Active", "Terminating"});
  return errors.take();
}

std::vector<FieldError> validateObject(const Service& service, const Service* old) {
  Errors errors;
  const ServiceSpec& spec = service.spec;
  validateMeta(errors, service.metadata, old ? &old->metadata : nullptr, true, NameRule::kLabel);
  errors.checkEnum("spec.type", spec.type,
                   {"ClusterIP", "NodePort", "LoadBalancer", "ExternalName"});
  if (spec.type == "ExternalName") {
    if (spec.external_name.empty()) {
      errors.required("spec.externalName");
    } else {
      errors.checkNames("spec.externalName", spec.external_name,
                        isDns1123Subdomain(spec.external_name));
    }
  } else if (spec.ports.empty()) {
    errors.required("spec.ports");
  }
  std::set<std::string> names;
  std::set<std::pair<int32_t, std::string>> port_protocols;
  for (size_t i = 0; i < spec.ports.size(); ++i) {
    const ServicePort& port = spec.ports[i];
    std::string p = index("spec.ports", i);
    if (!port.name.empty()) {
      errors.checkNames(p + ".name", port.name, isDns1123Label(port.name));
      if (!names.insert(port.name).second) errors.duplicate(p + ".name", port.name);
    }
    errors.checkPort(p + ".port", port.port);
    errors.checkEnum(p + ".protocol", port.protocol, {"SCTP", "TCP", "UDP"});
    if (!port_protocols.insert({port.port, port.protocol}).second) {
      errors.add(p, "FieldValueDuplicate",
                 "Duplicate value: {\"port\":" + std::to_string(port.port) +
                     ",\"protocol\":" + quote(port.protocol) + "}");
    }
    if (port.target_port) {
      if (port.target_port->is_string) {
        if (port.target_port->str_value.empty() || port.target_port->str_value.size() > 15 ||
            !matchesDns1123Label(port.target_port->str_value)) {
          errors.invalid(p + ".targetPort", port.target_port->str_value,
                         "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)"
                         " and be no more than 15 characters");
        }
      } else {
        errors.checkPort(p + ".targetPort", port.target_port->int_value);
      }
    }
    // Seed manifests give nodePorts outside 30000-32767 on ClusterIP services: only the
    // port range is checked here; the allocator decides what it can honour.
    if (port.node_port != 0) errors.checkPort(p + ".nodePort", port.node_port);
  }
  validateLabels(errors, spec.selector, "spec.selector");
  if (!spec.session_affinity.empty()) {
    errors.checkEnum("spec.sessionAffinity", spec.session_affinity, {"ClientIP", "None"});
  }
  if (!spec.external_traffic_policy.empty()) {
    errors.checkEnum("spec.externalTrafficPolicy", spec.external_traffic_policy,
                     {"Cluster", "Local"});
  }
  if (spec.internal_traffic_policy) {
    errors.checkEnum("spec.internalTrafficPolicy", *spec.internal_traffic_policy,
                     {"Cluster", "Local"});
  }
  if (spec.ip_family_policy) {
    errors.checkEnum("spec.ipFamilyPolicy", *spec.ip_family_policy,
                     {"SingleStack", "PreferDualStack", "RequireDualStack"});
  }
  for (size_t i = 0; i < spec.ip_families.size(); ++i) {
    errors.checkEnum(index("spec.ipFamilies", i), spec.ip_families[i], {"IPv4", "IPv6"});
  }
  if (old != nullptr && !old->spec.cluster_ip.empty() && spec.cluster_ip != old->spec.cluster_ip &&
      old->spec.type != "ExternalName" && spec.type != "ExternalName") {
    errors.immutable("spec.clusterIP", spec.cluster_ip);
  }
  return errors.take();
}

std::vector<FieldError> validateObject(const Endpoints& endpoints, const Endpoints* old) {
  Errors errors;
  validateMeta(errors, endpoints.metadata, old ? &old->metadata : nullptr, true,
               NameRule::kSubdomain);
  for (size_t i = 0; i < endpoints.subsets.size(); ++i) {
    const EndpointSubset& subset = endpoints.subsets[i];
    std::string p = index("subsets", i);
    // Kubernetes' validateEndpointSubsets, but for ValidateNonSpecialIP: the apiserver's own
    // `kubernetes` Endpoints name 127.0.0.1.
    if (subset.addresses.empty() && subset.not_ready_addresses.empty()) {
      errors.required(p, "must specify `addresses` or `notReadyAddresses`");
    }
    auto check_addresses = [&](const std::vector<EndpointAddress>& list, const std::string& path) {
      for (size_t k = 0; k < list.size(); ++k) {
        const EndpointAddress& a = list[k];
        std::string ap = index(path, k);
        unsigned char buf[16];
        if (a.ip.empty()) {
          errors.required(ap + ".ip");
        } else if (inet_pton(AF_INET, a.ip.c_str(), buf) != 1 &&
                   inet_pton(AF_INET6, a.ip.c_str(), buf) != 1) {
          errors.invalid(ap + ".ip", a.ip, "must be a valid IP address");
        }
        if (!a.hostname.empty()) {
          errors.checkNames(ap + ".hostname", a.hostname, isDns1123Label(a.hostname));
        }
        if (a.node_name) {
          errors.checkNames(ap + ".nodeName", *a.node_name, isDns1123Subdomain(*a.node_name));
        }
      }
    };
    check_addresses(subset.addresses, p + ".addresses");
    check_addresses(subset.not_ready_addresses, p + ".notReadyAddresses");
    for (size_t k = 0; k < subset.ports.size(); ++k) {
      const EndpointPort& port = subset.ports[k];
      std::string pp = index(p + ".ports", k);
      if (port.name.empty() && subset.ports.size() > 1) {
        errors.required(pp + ".name");
      } else if (!port.name.empty()) {
        errors.checkNames(pp + ".name", port.name, isDns1123Label(port.name));
      }
      errors.checkPort(pp + ".port", port.port);
      errors.checkEnum(pp + ".protocol", port.protocol, {"SCTP", "TCP", "UDP"});
    }
  }
  return errors.take();
}

// Kubernetes' pkg/apis/discovery/validation: at most 1000 endpoints of 1..100 addresses
// each, addresses checked by addressType, at most 100 ports with unique DNS-label names.
namespace {

constexpr size_t kMaxSliceEndpoints = 1000;
constexpr size_t kMaxEndpointAddresses = 100;
constexpr size_t kMaxSlicePorts = 100;
constexpr size_t kMaxTopologyLabels = 16;
constexpr size_t kMaxZoneHints = 8;

void tooMany(Errors& errors, const std::string& path, size_t actual, size_t max) {
  errors.add(path, "FieldValueTooMany",
             "Too many: " + std::to_string(actual) + ": must have at most " + std::to_string(max) +
                 (max == 1 ? " item" : " items"));
}

// Go's net.ParseIP for one family (IPv4-mapped IPv6 counts as IPv4, as ip.To4() does).
bool parsesAsIpv4(const std::string& s) {
  unsigned char buf[16];
  if (inet_pton(AF_INET, s.c_str(), buf) == 1) return true;
  if (inet_pton(AF_INET6, s.c_str(), buf) != 1) return false;
  static const unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return std::equal(kMapped, kMapped + 12, buf);
}
bool parsesAsIpv6(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET6, s.c_str(), buf) == 1 && !parsesAsIpv4(s);
}

// apivalidation.ValidateNonSpecialIP for an address that parsed.
void validateNonSpecialIp(Errors& errors, const std::string& path, const std::string& ip) {
  unsigned char b[16] = {};
  bool v4 = inet_pton(AF_INET, ip.c_str(), b) == 1;
  if (!v4) {
    if (inet_pton(AF_INET6, ip.c_str(), b) != 1) return;
    if (parsesAsIpv4(ip)) {  // IPv4-mapped: judge the IPv4 part
      std::copy(b + 12, b + 16, b);
      v4 = true;
    }
  }
  bool unspecified, loopback, link_local, link_local_multicast;
  if (v4) {
    unspecified = b[0] == 0 && b[1] == 0 && b[2] == 0 && b[3] == 0;
    loopback = b[0] == 127;
    link_local = b[0] == 169 && b[1] == 254;
    link_local_multicast = b[0] == 224 && b[1] == 0 && b[2] == 0;
  } else {
    unspecified = std::all_of(b, b + 16, [](unsigned char c) { return c == 0; });
    loopback = std::all_of(b, b + 15, [](unsigned char c) { return c == 0; }) && b[15] == 1;
    link_local = b[0] == 0xfe && (b[1] & 0xc0) == 0x80;
    link_local_multicast = b[0] == 0xff && (b[1] & 0x0f) == 0x02;
  }
  if (unspecified) errors.invalid(path, ip, "may not be unspecified (" + ip + ")");
  if (loopback) errors.invalid(path, ip, "may not be in the loopback range (127.0.0.0/8, ::1/128)");
  if (link_local) {
    errors.invalid(path, ip, "may not be in the link-local range (169.254.0.0/16, fe80::/10)");
  }
  if (link_local_multicast) {
    errors.invalid(path, ip,
                   "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)");
  }
}

// validation.IsFullyQualifiedDomainName.
void validateFqdn(Errors& errors, const std::string& path, std::string name) {
  if (name.empty()) return errors.required(path);
  if (name.back() == '.') name.pop_back();
  std::vector<std::string> problems = isDns1123Subdomain(name);
  if (!problems.empty()) {
    std::string joined;
    for (const auto& p : problems) joined += (joined.empty() ? "" : ",") + p;
    return errors.invalid(path, name, joined);
  }
  if (name.find('.') == std::string::npos) {
    return errors.invalid(path, name,
                          "should be a domain with at least two segments separated by dots");
  }
  size_t start = 0;
  while (start <= name.size()) {
    size_t dot = name.find('.', start);
    std::string label =
        name.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    std::vector<std::string> label_problems = isDns1123Label(label);
    if (!label_problems.empty()) {
      std::string joined;
      for (const auto& p : label_problems) joined += (joined.empty() ? "" : ",") + p;
      return errors.invalid(path, label, joined);
    }
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
}

void validateSliceEndpoints(Errors& errors, const EndpointSlice& slice) {
  if (slice.endpoints.size() > kMaxSliceEndpoints) {
    return tooMany(errors, "endpoints", slice.endpoints.size(), kMaxSliceEndpoints);
  }
  for (size_t i = 0; i < slice.endpoints.size(); ++i) {
    const Endpoint& ep = slice.endpoints[i];
    std::string p = index("endpoints", i);
    std::string addresses = p + ".addresses";
    if (ep.addresses.empty()) {
      errors.required(addresses, "must contain at least 1 address");
    } else if (ep.addresses.size() > kMaxEndpointAddresses) {
      tooMany(errors, addresses, ep.addresses.size(), kMaxEndpointAddresses);
    }
    for (size_t k = 0; k < ep.addresses.size(); ++k) {
      const std::string& address = ep.addresses[k];
      std::string ap = index(addresses, k);
      if (slice.address_type == "IPv4") {
        if (!parsesAsIpv4(address)) {
          errors.invalid(ap, address, "must be a valid IPv4 address");
        } else {
          validateNonSpecialIp(errors, ap, address);
        }
      } else if (slice.address_type == "IPv6") {
        if (!parsesAsIpv6(address)) {
          errors.invalid(ap, address, "must be a valid IPv6 address");
        } else {
          validateNonSpecialIp(errors, ap, address);
        }
      } else if (slice.address_type == "FQDN") {
        validateFqdn(errors, ap, address);
      }
    }
    if (ep.node_name) {
      errors.checkNames(p + ".nodeName", *ep.node_name, isDns1123Subdomain(*ep.node_name));
    }
    std::string topology = p + ".deprecatedTopology";
    if (ep.deprecated_topology.size() > kMaxTopologyLabels) {
      tooMany(errors, topology, ep.deprecated_topology.size(), kMaxTopologyLabels);
    }
    validateLabels(errors, ep.deprecated_topology, topology);
    if (ep.deprecated_topology.count("topology.kubernetes.io/zone")) {
      errors.add(key(topology, "topology.kubernetes.io/zone"), "InternalError",
                 "Internal error: reserved key, use zone instead");
    }
    if (ep.hostname) {
      errors.checkNames(p + ".hostname", *ep.hostname, isDns1123Label(*ep.hostname));
    }
    if (ep.hints) {
      std::string zones = p + ".hints.forZones";
      if (ep.hints->for_zones.size() > kMaxZoneHints) {
        tooMany(errors, zones, ep.hints->for_zones.size(), kMaxZoneHints);
        continue;
      }
      std::set<std::string> seen;
      for (size_t z = 0; z < ep.hints->for_zones.size(); ++z) {
        const std::string& zone = ep.hints->for_zones[z].name;
        std::string zp = index(zones, z) + ".name";
        if (!seen.insert(zone).second) errors.duplicate(zp, zone);
        errors.checkNames(zp, zone, isValidLabelValue(zone));
      }
    }
  }
}

void validateSlicePorts(Errors& errors, const EndpointSlice& slice) {
  if (slice.ports.size() > kMaxSlicePorts) {
    return tooMany(errors, "ports", slice.ports.size(), kMaxSlicePorts);
  }
  std::set<std::string> names;
  for (size_t i = 0; i < slice.ports.size(); ++i) {
    const EndpointSlicePort& port = slice.ports[i];
    std::string p = index("ports", i);
    std::string name = port.name.value_or("");
    if (!name.empty()) errors.checkNames(p + ".name", name, isDns1123Label(name));
    if (!names.insert(name).second) errors.duplicate(p + ".name", name);
    if (!port.protocol) {
      errors.required(p + ".protocol");
    } else {
      errors.checkEnum(p + ".protocol", *port.protocol, {"SCTP", "TCP", "UDP"});
    }
    if (port.app_protocol) {
      errors.checkNames(p + ".appProtocol", *port.app_protocol,
                        isQualifiedName(*port.app_protocol));
    }
  }
}

}  // namespace

std::vector<FieldError> validateObject(const EndpointSlice& slice, const EndpointSlice* old) {
  Errors errors;
  validateMeta(errors, slice.metadata, old ? &old->metadata : nullptr, true, NameRule::kSubdomain);
  if (slice.address_type.empty()) {
    errors.required("addressType");
  } else {
    errors.checkEnum("addressType", slice.address_type, {"FQDN", "IPv4", "IPv6"});
  }
  validateSliceEndpoints(errors, slice);
  validateSlicePorts(errors, slice);
  if (old != nullptr && slice.address_type != old->address_type) {
    errors.immutable("addressType", slice.address_type);
  }
  return errors.take();
}

std::vector<FieldError> validateObject(const Node& node, const Node* old) {
  Errors errors;
  validateMeta(errors, node.metadata, old ? &old->metadata : nullptr, false, NameRule::kSubdomain);
  for (size_t i = 0; i < node.spec.taints.size(); ++i) {
    const Taint& t = node.spec.taints[i];
    std::string p = index("spec.taints", i);
    if (t.key.empty()) {
      errors.required(p + ".key");
    } else {
      errors.checkNames(p + ".key", t.key, isQualifiedName(t.key));
    }
    errors.checkNames(p + ".value", t.value, isValidLabelValue(t.value));
    errors.checkEnum(p + ".effect", t.effect, {"NoSchedule", "PreferNoSchedule", "NoExecute"});
  }
  validateResourceList(errors, node.status.capacity, "status.capacity");
  validateResourceList(errors, node.status.allocatable, "status.allocatable");
  return errors.take();
}

std::vector<FieldError> validateObject(const Event& event, const Event* old) {
  Errors errors;
  validateMeta(errors, event.metadata, old ? &old->metadata : nullptr, true, NameRule::kSubdomain);
  if (!event.type.empty()) errors.checkEnum("type", event.type, {"Normal", "Warning"});
  errors.checkNonNegative("count", event.count);
  return errors.take();
}

namespace {

void validateConfigKeys(Errors& errors, const StringMap& map, const std::string& path) {
  for (const auto& [k, v] : map) {
    bool ok = !k.empty() && k.size() <= kDns1123SubdomainMaxLength && k != "." && k != ".." &&
              std::all_of(k.begin(), k.end(),
                          [](char c) { return isAsciiAlnum(c) || c == '-' || c == '_' || c == '.'; });
    if (!ok) errors.invalid(path, k, kConfigKeyMessage);
  }
}

}  // namespace

std::vector<FieldError> validateObject(const ConfigMap& config_map, const ConfigMap* old) {
  Errors errors;
  validateMeta(errors, config_map.metadata, old ? &old->metadata : nullptr, true,
               NameRule::kSubdomain);
  validateConfigKeys(errors, config_map.data, "data");
  validateConfigKeys(errors, config_map.binary_data, "binaryData");
  for (const auto& [k, v] : config_map.binary_data) {
    if (config_map.data.count(k) != 0)
      errors.invalid("data", k, "duplicate of key present in binaryData");
    if (!base64Decode(v, nullptr))
      errors.invalid(key("binaryData", k), "<value omitted>", "illegal base64 data");
  }
  if (old != nullptr && old->immutable.value_or(false)) {
    if (config_map.data != old->data || config_map.binary_data != old->binary_data) {
      errors.forbidden("data", "field is immutable when `immutable` is set");
    }
  }
  return errors.take();
}

std::vector<FieldError> validateObject(const Secret& secret, const Secret* old) {
  Errors errors;
  validateMeta(errors, secret.metadata, old ? &old->metadata : nullptr, true, NameRule::kSubdomain);
  validateConfigKeys(errors, secret.data, "data");
  size_t total = 0;
  for (const auto& [k, v] : secret.data) {
    total += v.size() / 4 * 3;
    if (!base64Decode(v, nullptr))
      errors.invalid(key("data", k), "<value omitted>", "illegal base64 data");
  }
  if (total > kMaxSecretSize) errors.tooLong("data", kMaxSecretSize);
  if (old != nullptr) {
    if (!old->type.empty() && secret.type != old->type) errors.immutable("type", secret.type);
    if (old->immutable.value_or(false) && secret.data != old->data) {
      errors.forbidden("data", "field is immutable when `immutable` is set");
    }
  }
  return errors.take();
}

std::vector<FieldError> validateObject(const ServiceAccount& service_account,
                                       const ServiceAccount* old) {
  Errors errors;
  validateMeta(errors, service_account.metadata, old ? &old->metadata : nullptr, true,
               NameRule::kSubdomain);
  return errors.take();
}

std::vector<FieldError> validateObject(const Deployment& deployment, const Deployment* old) {
  Errors errors;
  const DeploymentSpec& spec = deployment.spec;
  validateMeta(errors, deployment.metadata, old ? &old->metadata : nullptr, true,
               NameRule::kSubdomain);
  validateTemplate(errors, spec.selector, spec.template_, spec.replicas, "deployment");
  errors.checkEnum("spec.strategy.type", spec.strategy.type, {"Recreate", "RollingUpdate"});
  if (spec.strategy.type == "Recreate" && spec.strategy.rolling_update) {
    errors.forbidden("spec.strategy.rollingUpdate",
                     "may not be specified when strategy `type` is 'Recreate'");
  }
  if (spec.strategy.rolling_update) {
    const RollingUpdateDeployment& ru = *spec.strategy.rolling_update;
    validateIntOrPercent(errors, ru.max_surge, "spec.strategy.rollingUpdate.maxSurge");
    validateIntOrPercent(errors, ru.max_unavailable, "spec.strategy.rollingUpdate.maxUnavailable");
    auto is_zero = [](const std::optional<IntOrString>& v) {
      if (!v) return false;
      auto scaled = scaledValueFromIntOrPercent(*v, 100, true);
      return scaled.isOk() && *scaled == 0;
    };
    if (is_zero(ru.max_surge) && is_zero(ru.max_unavailable)) {
      errors.invalid("spec.strategy.rollingUpdate.maxUnavailable", ru.max_unavailable->toString(),
                     "may not be 0 when `maxSurge` is 0");
    }
    if (ru.max_unavailable && ru.max_unavailable->is_string) {
      auto v = scaledValueFromIntOrPercent(*ru.max_unavailable, 100, false);
      if (v.isOk() && *v > 100) {
        errors.invalid("spec.strategy.rollingUpdate.maxUnavailable", ru.max_unavailable->str_value,
                       "must not be greater than 100%");
      }
    }
  }
  errors.checkNonNegative("spec.minReadySeconds", spec.min_ready_seconds);
  if (spec.revision_history_limit)
    errors.checkNonNegative("spec.revisionHistoryLimit", *spec.revision_history_limit);
  if (spec.progress_deadline_seconds && *spec.progress_deadline_seconds <= spec.min_ready_seconds) {
    errors.invalid("spec.progressDeadlineSeconds", *spec.progress_deadline_seconds,
                   "must be greater than minReadySeconds");
  }
  if (old != nullptr) validateSelectorUpdate(errors, spec.selector, old->spec.selector);
  return errors.take();
}

std::vector<FieldError> validateObject(const DaemonSet& daemon_set, const DaemonSet* old) {
  Errors errors;
  const DaemonSetSpec& spec = daemon_set.spec;
  validateMeta(errors, daemon_set.metadata, old ? &old->metadata : nullptr, true,
               NameRule::kSubdomain);
  validateTemplate(errors, spec.selector, spec.template_, std::nullopt, "daemonset");
  if (!spec.template_.spec.restart_policy.empty() && spec.template_.spec.restart_policy != "Always") {
    errors.checkEnum("spec.template.spec.restartPolicy", spec.template_.spec.restart_policy, {"Always"});
  }
  errors.checkEnum("spec.updateStrategy.type", spec.update_strategy.type, {"OnDelete", "RollingUpdate"});
  if (spec.update_strategy.rolling_update) {
    const RollingUpdateDaemonSet& ru = *spec.update_strategy.rolling_update;
    validateIntOrPercent(errors, ru.max_surge, "spec.updateStrategy.rollingUpdate.maxSurge");
    validateIntOrPercent(errors, ru.max_unavailable,
                         "spec.updateStrategy.rollingUpdate.maxUnavailable");
    auto is_zero = [](const std::optional<IntOrString>& v) {
      if (!v) return true;
      auto scaled = scaledValueFromIntOrPercent(*v, 100, true);
      return scaled.isOk() && *scaled == 0;
    };
    if (is_zero(ru.max_surge) && is_zero(ru.max_unavailable)) {
      errors.invalid("spec.updateStrategy.rollingUpdate.maxUnavailable",
                     ru.max_unavailable ? ru.max_unavailable->toString() : "0",
                     "may not be 0 when `maxSurge` is 0");
    }
  }
  errors.checkNonNegative("spec.minReadySeconds", spec.min_ready_seconds);
  if (spec.revision_history_limit)
    errors.checkNonNegative("spec.revisionHistoryLimit", *spec.revision_history_limit);
  if (old != nullptr) validateSelectorUpdate(errors, spec.selector, old->spec.selector);
  return errors.take();
}

std::vector<FieldError> validateObject(const ReplicaSet& replica_set, const ReplicaSet* old) {
  Errors errors;
  const ReplicaSetSpec& spec = replica_set.spec;
  validateMeta(errors, replica_set.metadata, old ? &old->metadata : nullptr, true,
               NameRule::kSubdomain);
  validateTemplate(errors, spec.selector, spec.template_, spec.replicas, "replicaset");
  errors.checkNonNegative("spec.minReadySeconds", spec.min_ready_seconds);
  if (old != nullptr) validateSelectorUpdate(errors, spec.selector, old->spec.selector);
  return errors.take();
}

void validateMetricTarget(Errors& errors, const std::string& p, const MetricTarget& t) {
  errors.checkEnum(p + ".type", t.type, {"AverageValue", "Utilization", "Value"});
  if (t.type == "Utilization" && (!t.average_utilization || *t.average_utilization < 1)) {
    errors.required(p + ".averageUtilization",
                    "must set averageUtilization (greater than 0) when type is Utilization");
  }
  if (t.type == "AverageValue" && !t.average_value.isValid()) {
    errors.required(p + ".averageValue", "must set a valid averageValue when type is AverageValue");
  }
  if (t.type == "Value" && !t.value.isValid()) {
    errors.required(p + ".value", "must set a valid value when type is Value");
  }
}

// Kubernetes' validateScalingRules (the limits of autoscaling/validation).
void validateScalingRules(Errors& errors, const std::string& p, const HPAScalingRules& rules) {
  if (rules.stabilization_window_seconds) {
    int32_t window = *rules.stabilization_window_seconds;
    if (window < 0) {
      errors.invalid(p + ".stabilizationWindowSeconds", window,
                     "must be greater than or equal to zero");
    } else if (window > 3600) {
      errors.invalid(p + ".stabilizationWindowSeconds", window,
                     "must be less than or equal to 3600");
    }
  }
  if (rules.select_policy) {
    errors.checkEnum(p + ".selectPolicy", *rules.select_policy, {"Disabled", "Max", "Min"});
  }
  for (size_t i = 0; i < rules.policies.size(); ++i) {
    const HPAScalingPolicy& policy = rules.policies[i];
    std::string pp = index(p + ".policies", i);
    errors.checkEnum(pp + ".type", policy.type, {"Percent", "Pods"});
    if (policy.value <= 0) errors.invalid(pp + ".value", policy.value, "must be greater than zero");
    if (policy.period_seconds <= 0) {
      errors.invalid(pp + ".periodSeconds", policy.period_seconds, "must be greater than zero");
    } else if (policy.period_seconds > 1800) {
      errors.invalid(pp + ".periodSeconds", policy.period_seconds,
                     "must be less than or equal to 1800");
    }
  }
}

std::vector<FieldError> validateObject(const HorizontalPodAutoscaler& hpa,
                                       const HorizontalPodAutoscaler* old) {
  Errors errors;
  const HorizontalPodAutoscalerSpec& spec = hpa.spec;
  validateMeta(errors, hpa.metadata, old ? &old->metadata : nullptr, true, NameRule::kSubdomain);
  if (spec.scale_target_ref.kind.empty()) errors.required("spec.scaleTargetRef.kind");
  if (spec.scale_target_ref.name.empty()) {
    errors.required("spec.scaleTargetRef.name");
  } else {
    errors.checkNames("spec.scaleTargetRef.name", spec.scale_target_ref.name,
                      isDns1123Subdomain(spec.scale_target_ref.name));
  }
  int32_t min = spec.min_replicas.value_or(1);
  if (min < 1) errors.invalid("spec.minReplicas", min, "must be greater than or equal to 1");
  if (spec.max_replicas < 1) {
    errors.invalid("spec.maxReplicas", spec.max_replicas, "must be greater than or equal to 1");
  } else if (spec.max_replicas < min) {
    errors.invalid("spec.maxReplicas", spec.max_replicas,
                   "must be greater than or equal to `minReplicas`");
  }
  for (size_t i = 0; i < spec.metrics.size(); ++i) {
    const MetricSpec& m = spec.metrics[i];
    std::string p = index("spec.metrics", i);
    errors.checkEnum(p + ".type", m.type,
                     {"ContainerResource", "External", "Object", "Pods", "Resource"});
    if (m.type == "Resource") {
      if (!m.resource) {
        errors.required(p + ".resource", "must populate information for the given metric source");
        continue;
      }
      if (m.resource->name.empty()) errors.required(p + ".resource.name");
      validateMetricTarget(errors, p + ".resource.target", m.resource->target);
    } else if (m.type == "ContainerResource") {
      if (!m.container_resource) {
        errors.required(p + ".containerResource",
                        "must populate information for the given metric source");
        continue;
      }
      const ContainerResourceMetricSource& c = *m.container_resource;
      if (c.name.empty()) errors.required(p + ".containerResource.name");
      if (c.container.empty()) {
        errors.required(p + ".containerResource.container");
      } else {
        errors.checkNames(p + ".containerResource.container", c.container,
                          isDns1123Label(c.container));
      }
      validateMetricTarget(errors, p + ".containerResource.target", c.target);
    }
  }
  if (spec.behavior) {
    if (spec.behavior->scale_up) {
      validateScalingRules(errors, "spec.behavior.scaleUp", *spec.behavior->scale_up);
    }
    if (spec.behavior->scale_down) {
      validateScalingRules(errors, "spec.behavior.scaleDown", *spec.behavior->scale_down);
    }
  }
  return errors.take();
}

std::vector<FieldError> validateObject(const Lease& lease, const Lease* old) {
  Errors errors;
  validateMeta(errors, lease.metadata, old ? &old->metadata : nullptr, true, NameRule::kSubdomain);
  if (lease.spec.lease_duration_seconds && *lease.spec.lease_duration_seconds <= 0) {
    errors.invalid("spec.leaseDurationSeconds", *lease.spec.lease_duration_seconds,
                   "must be greater than 0");
  }
  if (lease.spec.lease_transitions)
    errors.checkNonNegative("spec.leaseTransitions", *lease.spec.lease_transitions);
  return errors.take();
}

std::vector<FieldError> validateObject(const Dns& dns, const Dns* old) {
  Errors errors;
  validateMeta(errors, dns.metadata, old ? &old->metadata : nullptr, true, NameRule::kSubdomain);
  if (dns.spec.hostname.empty()) {
    errors.required("spec.hostname");
  } else {
    errors.checkNames("spec.hostname", dns.spec.hostname, isDns1123Subdomain(dns.spec.hostname));
  }
  if (dns.spec.paths.empty()) errors.required("spec.paths");
  for (size_t i = 0; i < dns.spec.paths.size(); ++i) {
    const DnsPath& path = dns.spec.paths[i];
    std::string p = index("spec.paths", i);
    if (path.service_name.empty()) {
      errors.required(p + ".serviceName");
    } else {
      errors.checkNames(p + ".serviceName", path.service_name, isDns1123Label(path.service_name));
    }
    errors.checkPort(p + ".servicePort", path.service_port);
    if (!path.url_path.empty() && path.url_path.front() != '/') {
      errors.invalid(p + ".urlPath", path.url_path, "must be an absolute path");
    }
  }
  return errors.take();
}

std::vector<FieldError> validateObject(const Hpa& hpa, const Hpa* old) {
  Errors errors;
  const HpaSpec& spec = hpa.spec;
  validateMeta(errors, hpa.metadata, old ? &old->metadata : nullptr, true, NameRule::kSubdomain);
  int32_t min = spec.min_replicas.value_or(1);
  if (min < 1) errors.invalid("spec.minReplicas", min, "must be greater than or equal to 1");
  if (spec.max_replicas < 1) {
    errors.invalid("spec.maxReplicas", spec.max_replicas, "must be greater than or equal to 1");
  } else if (spec.max_replicas < min) {
    errors.invalid("spec.maxReplicas", spec.max_replicas,
                   "must be greater than or equal to `minReplicas`");
  }
  if (spec.scale_target_ref.metadata.name.empty())
    errors.required("spec.scaleTargetRef.metadata.name");
  if (spec.interval && *spec.interval < 1) {
    errors.invalid("spec.interval", *spec.interval, "must be greater than 0");
  }
  auto check_percent = [&](const std::optional<int32_t>& v, const std::string& path) {
    if (v && (*v < 1 || *v > 100)) errors.invalid(path, *v, "must be between 1 and 100, inclusive");
  };
  check_percent(spec.metrics.cpu_percent, "spec.metrics.cpuPercent");
  check_percent(spec.metrics.mem_percent, "spec.metrics.memPercent");
  if (spec.selector)
    validateLabels(errors, spec.selector->match_labels, "spec.selector.matchLabels");
  return errors.take();
}

// ---- batch/v1 ----

namespace {

void validateSelectorSpec(Errors& errors, const LabelSelectorSpec& sel, const std::string& path) {
  validateLabels(errors, sel.match_labels, path + ".matchLabels");
  for (size_t i = 0; i < sel.match_expressions.size(); ++i) {
    const LabelSelectorRequirement& r = sel.match_expressions[i];
    std::string p = index(path + ".matchExpressions", i);
    errors.checkNames(p + ".key", r.key, isQualifiedName(r.key));
    errors.checkEnum(p + ".operator", r.op, {"In", "NotIn", "Exists", "DoesNotExist"});
    if ((r.op == "In" || r.op == "NotIn") && r.values.empty()) {
      errors.required(p + ".values", "must be specified when `operator` is 'In' or 'NotIn'");
    }
  }
}

// Kubernetes' validateJobSpec; `path` is "spec" or "spec.jobTemplate.spec". The selector
// is required (and must match the template) only for a Job itself: a CronJob's template
// gets its selector when the Job is created.
// Kubernetes' limits: 20 rules, 20 condition patterns, 255 exit codes.
void validatePodFailurePolicy(Errors& errors, const JobSpec& spec, const std::string& path) {
  constexpr size_t kMaxRules = 20, kMaxPatterns = 20, kMaxValues = 255;
  const auto& rules = spec.pod_failure_policy->rules;
  if (spec.template_.spec.restart_policy != "Never") {
    errors.invalid("spec.template.spec.restartPolicy", spec.template_.spec.restart_policy,
                   "only \"Never\" is supported when podFailurePolicy is specified");
  }
  if (rules.size() > kMaxRules) {
    errors.add(path + ".rules", "FieldValueTooMany",
               "Too many: " + std::to_string(rules.size()) + ": must have at most 20 items");
  }
  std::set<std::string> containers;
  for (const auto& c : spec.template_.spec.containers) containers.insert(c.name);
  for (const auto& c : spec.template_.spec.init_containers) containers.insert(c.name);
  for (size_t i = 0; i < rules.size(); ++i) {
    const auto& rule = rules[i];
    const std::string p = path + ".rules[" + std::to_string(i) + "]";
    errors.checkEnum(p + ".action", rule.action, {"Count", "FailIndex", "FailJob", "Ignore"});
    if (rule.action == "FailIndex" && !spec.backoff_limit_per_index) {
      errors.forbidden(p + ".action", "requires the backoffLimitPerIndex to be set");
    }
    const bool codes = rule.on_exit_codes.has_value(), conditions = !rule.on_pod_conditions.empty();
    if (codes == conditions) {
      errors.invalidRaw(p, "null",
                        "specifying one of OnExitCodes and OnPodConditions is required");
    }
    if (codes) {
      const auto& req = *rule.on_exit_codes;
      const std::string cp = p + ".onExitCodes";
      if (req.container_name && !containers.count(*req.container_name)) {
        errors.invalid(cp + ".containerName", *req.container_name,
                       "must be one of the container or initContainer names in the pod template");
      }
      errors.checkEnum(cp + ".operator", req.op, {"In", "NotIn"});
      if (req.values.empty()) {
        errors.invalidRaw(cp + ".values", "[]", "at least one value is required");
      } else if (req.values.size() > kMaxValues) {
        errors.add(cp + ".values", "FieldValueTooMany",
                   "Too many: " + std::to_string(req.values.size()) +
                       ": must have at most 255 items");
      }
      for (size_t j = 0; j < req.values.size(); ++j) {
        const std::string vp = cp + ".values[" + std::to_string(j) + "]";
        if (req.op == "In" && req.values[j] == 0) {
          errors.invalid(vp, int64_t{0}, "must not be 0 for the In operator");
        }
        if (j > 0 && req.values[j - 1] == req.values[j]) {
          errors.duplicate(vp, std::to_string(req.values[j]));
        } else if (j > 0 && req.values[j - 1] > req.values[j]) {
          errors.invalid(vp, int64_t{req.values[j]}, "must be ordered");
        }
      }
    }
    if (rule.on_pod_conditions.size() > kMaxPatterns) {
      errors.add(p + ".onPodConditions", "FieldValueTooMany",
                 "Too many: " + std::to_string(rule.on_pod_conditions.size()) +
                     ": must have at most 20 items");
    }
    for (size_t j = 0; j < rule.on_pod_conditions.size(); ++j) {
      const auto& pattern = rule.on_pod_conditions[j];
      const std::string pp = p + ".onPodConditions[" + std::to_string(j) + "]";
      if (pattern.type.empty()) errors.required(pp + ".type");
      errors.checkEnum(pp + ".status", pattern.status.empty() ? "True" : pattern.status,
                       {"False", "True", "Unknown"});
    }
  }
}

void validateSuccessPolicy(Errors& errors, const JobSpec& spec, const std::string& path) {
  const auto& rules = spec.success_policy->rules;
  if (spec.completion_mode.value_or("NonIndexed") != "Indexed") {
    errors.invalid("spec.completionMode", spec.completion_mode.value_or("NonIndexed"),
                   "requires Indexed when successPolicy is specified");
  }
  if (rules.empty()) errors.required(path + ".rules", "at least one rule must be specified");
  if (rules.size() > 20) {
    errors.add(path + ".rules", "FieldValueTooMany",
               "Too many: " + std::to_string(rules.size()) + ": must have at most 20 items");
  }
  const int32_t completions = spec.completions.value_or(0);
  for (size_t i = 0; i < rules.size(); ++i) {
    const auto& rule = rules[i];
    const std::string p = path + ".rules[" + std::to_string(i) + "]";
    if (!rule.succeeded_indexes && !rule.succeeded_count) {
      errors.invalidRaw(p, "null",
                        "at least one of succeededCount or succeededIndexes must be specified");
    }
    int64_t listed = completions;
    if (rule.succeeded_indexes) {
      const std::string& text = *rule.succeeded_indexes;
      std::vector<int32_t> parsed = parseCompletionIndexes(text, completions);
      if (text.empty() || !completionIndexesWellFormed(text, completions)) {
        errors.invalid(p + ".succeededIndexes", text,
                       "error parsing succeededIndexes: want comma-separated indexes and "
                       "ranges (\"0,2-4\") below completions, in ascending order");
      }
      listed = static_cast<int64_t>(parsed.size());
    }
    if (rule.succeeded_count) {
      if (*rule.succeeded_count < 0) {
        errors.invalid(p + ".succeededCount", int64_t{*rule.succeeded_count},
                       "must be greater than or equal to 0");
      } else if (*rule.succeeded_count > completions) {
        errors.invalid(p + ".succeededCount", int64_t{*rule.succeeded_count},
                       "must be less than or equal to " + std::to_string(completions) +
                           " (the value specified for spec.completions)");
      } else if (rule.succeeded_indexes && *rule.succeeded_count > listed) {
        errors.invalid(p + ".succeededCount", int64_t{*rule.succeeded_count},
                       "must be less than or equal to " + std::to_string(listed) +
                           " (the number of indexes in the specified succeededIndexes field)");
      }
    }
  }
}

void validateJobSpec(Errors& errors, const JobSpec& spec, const std::string& path, bool is_job) {
  if (spec.parallelism) errors.checkNonNegative(path + ".parallelism", *spec.parallelism);
  if (spec.completions) errors.checkNonNegative(path + ".completions", *spec.completions);
  if (spec.active_deadline_seconds) {
    errors.checkNonNegative(path + ".activeDeadlineSeconds", *spec.active_deadline_seconds);
  }
  if (spec.backoff_limit) errors.checkNonNegative(path + ".backoffLimit", *spec.backoff_limit);
  if (spec.ttl_seconds_after_finished) {
    errors.checkNonNegative(path + ".ttlSecondsAfterFinished", *spec.ttl_seconds_after_finished);
  }
  if (spec.completion_mode) {
    errors.checkEnum(path + ".completionMode", *spec.completion_mode, {"NonIndexed", "Indexed"});
    if (*spec.completion_mode == "Indexed") {
      constexpr int32_t kMaxIndexed = 100000;
      if (!spec.completions) {
        errors.required(path + ".completions", "when completion mode is Indexed");
      } else if (*spec.completions > kMaxIndexed) {
        errors.invalid(path + ".completions", *spec.completions,
                       "must be less than or equal to 100000 when completion mode is Indexed");
      }
      if (spec.parallelism && *spec.parallelism > kMaxIndexed) {
        errors.invalid(path + ".parallelism", *spec.parallelism,
                       "must be less than or equal to 100000 when completion mode is Indexed");
      }
    }
  }
  if (spec.backoff_limit_per_index) {
    errors.forbidden(path + ".backoffLimitPerIndex",
                     "minik8s does not run per-index backoff limits yet");
  }
  if (spec.max_failed_indexes) {
    errors.forbidden(path + ".maxFailedIndexes",
                     "minik8s does not run per-index backoff limits yet");
  }
  if (spec.pod_replacement_policy) {
    errors.checkEnum(path + ".podReplacementPolicy", *spec.pod_replacement_policy,
                     {"TerminatingOrFailed", "Failed"});
    if (spec.pod_failure_policy && *spec.pod_replacement_policy != "Failed") {
      errors.invalid(path + ".podReplacementPolicy", *spec.pod_replacement_policy,
                     "must be Failed when podFailurePolicy is used");
    }
  }
  if (spec.pod_failure_policy) validatePodFailurePolicy(errors, spec, path + ".podFailurePolicy");
  if (spec.success_policy) validateSuccessPolicy(errors, spec, path + ".successPolicy");
  if (spec.selector) {
    validateSelectorSpec(errors, *spec.selector, path + ".selector");
    if (is_job && !selectorMatches(*spec.selector, spec.template_.metadata.labels)) {
      std::string labels;
      for (const auto& [k, v] : spec.template_.metadata.labels)
        labels += (labels.empty() ? "" : ",") + k + "=" + v;
      errors.invalid(path + ".template.metadata.labels", labels,
                     "`selector` does not match template `labels`");
    }
  } else if (is_job && spec.manual_selector.value_or(false)) {
    errors.required(path + ".selector");
  }
  validateLabels(errors, spec.template_.metadata.labels, path + ".template.metadata.labels");
  validatePodSpec(errors, spec.template_.spec, path + ".template.spec");
  const std::string& policy = spec.template_.spec.restart_policy;
  // The pod default makes an unset restartPolicy "Always": both read as "not given".
  if (policy.empty() || policy == "Always") {
    errors.required(path + ".template.spec.restartPolicy",
                    "valid values: \"OnFailure\", \"Never\"");
  } else {
    errors.checkEnum(path + ".template.spec.restartPolicy", policy, {"OnFailure", "Never"});
  }
}

}  // namespace

std::vector<FieldError> validateObject(const Job& job, const Job* old) {
  Errors errors;
  validateMeta(errors, job.metadata, old ? &old->metadata : nullptr, true, NameRule::kSubdomain);
  const JobSpec& spec = job.spec;
  validateJobSpec(errors, spec, "spec", true);
  // A generated selector is exactly the controller-uid label of this Job.
  if (spec.selector && !spec.manual_selector.value_or(false) && !job.metadata.uid.empty()) {
    auto it = spec.selector->match_labels.find(kJobControllerUidLabel);
    if (it == spec.selector->match_labels.end() || it->second != job.metadata.uid) {
      errors.invalidRaw("spec.selector", toJson(*spec.selector).dump(),
                        "`selector` not auto-generated");
    }
  }
  if (old != nullptr) {
    const JobSpec& was = old->spec;
    validateSelectorUpdate(errors, spec.selector, was.selector);
    if (spec.completion_mode != was.completion_mode) {
      errors.immutable("spec.completionMode", spec.completion_mode.value_or(""));
    }
    if (spec.completions != was.completions) {
      errors.invalidRaw("spec.completions",
                        spec.completions ? std::to_string(*spec.completions) : "null",
                        "field is immutable");
    }
    // The template may change only in its scheduling directives, and only while the Job
    // is suspended and has never started (Kubernetes' rule since 1.27).
    PodTemplateSpec compared = spec.template_;
    if (was.suspend.value_or(false) && old->status.start_time.empty()) {
      compared.metadata.labels = was.template_.metadata.labels;
      compared.metadata.annotations = was.template_.metadata.annotations;
      compared.spec.node_selector = was.template_.spec.node_selector;
      compared.spec.tolerations = was.template_.spec.tolerations;
      compared.spec.affinity = was.template_.spec.affinity;
    }
    if (toJson(compared) != toJson(was.template_)) {
      errors.invalidRaw("spec.template", toJson(spec.template_).dump(), "field is immutable");
    }
  }
  return errors.take();
}

std::vector<FieldError> validateObject(const CronJob& cron_job, const CronJob* old) {
  Errors errors;
  validateMeta(errors, cron_job.metadata, old ? &old->metadata : nullptr, true,
               NameRule::kSubdomain);
  // Job names add "-<11 digits>" to the CronJob's, within a 63-character label value.
  if (cron_job.metadata.name.size() > 52) {
    errors.invalid("metadata.name", cron_job.metadata.name, "must be no more than 52 characters");
  }
  const CronJobSpec& spec = cron_job.spec;
  if (spec.schedule.empty()) {
    errors.required("spec.schedule");
  } else {
    auto parsed = CronSchedule::parse(spec.schedule);
    if (!parsed.isOk()) errors.invalid("spec.schedule", spec.schedule, parsed.status().message());
    if (spec.schedule.find("TZ") != std::string::npos) {
      errors.invalid("spec.schedule", spec.schedule,
                     "cannot use TZ or CRON_TZ in schedule, use timeZone field instead");
    }
  }
  if (spec.time_zone) {
    const std::string& tz = *spec.time_zone;
    if (tz.empty()) {
      errors.invalid("spec.timeZone", tz, "timeZone must be nil or non-empty string");
    } else if (tz == "Local" || tz == "local" || tz == "LOCAL") {
      errors.invalid("spec.timeZone", tz,
                     "timeZone must be an explicit time zone as defined in "
                     "https://www.iana.org/time-zones");
    } else if (!findCronTimeZone(tz)) {
      errors.invalid("spec.timeZone", tz,
                     "unknown time zone " + tz +
                         " (minik8s computes UTC, Etc/UTC and the fixed Etc/GMT+N and "
                         "Etc/GMT-N zones only)");
    }
  }
  if (spec.starting_deadline_seconds) {
    errors.checkNonNegative("spec.startingDeadlineSeconds", *spec.starting_deadline_seconds);
  }
  if (spec.concurrency_policy.empty()) {
    errors.required("spec.concurrencyPolicy");
  } else {
    errors.checkEnum("spec.concurrencyPolicy", spec.concurrency_policy,
                     {"Allow", "Forbid", "Replace"});
  }
  if (spec.successful_jobs_history_limit) {
    errors.checkNonNegative("spec.successfulJobsHistoryLimit", *spec.successful_jobs_history_limit);
  }
  if (spec.failed_jobs_history_limit) {
    errors.checkNonNegative("spec.failedJobsHistoryLimit", *spec.failed_jobs_history_limit);
  }
  validateLabels(errors, spec.job_template.metadata.labels, "spec.jobTemplate.metadata.labels");
  validateJobSpec(errors, spec.job_template.spec, "spec.jobTemplate.spec", false);
  return errors.take();
}

}  // namespace minik8s::api

// ---------------------------------------------------------------------------------------
// networking.k8s.io/v1 (pkg/apis/networking/validation)

namespace minik8s::api {
namespace {

const char* const kDns1035LabelMessage =
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with "
    "an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or "
    "'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const char* const kWildcardDns1123SubdomainMessage =
    "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, "
    "which must consist of lower case alphanumeric characters, '-' or '.' and end with an "
    "alphanumeric character (e.g. '*.example.com', regex used for validation is "
    "'\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
constexpr size_t kMaxIngressClassControllerLength = 250;

// Service names (apivalidation.ValidateServiceName).
std::vector<std::string> isDns1035Label(std::string_view value) {
  std::vector<std::string> problems;
  if (value.size() > kDns1123LabelMaxLength) problems.push_back("must be no more than 63 characters");
  if (!matchesDns1123Label(value) || !(value.front() >= 'a' && value.front() <= 'z')) {
    problems.push_back(kDns1035LabelMessage);
  }
  return problems;
}

// validation.IsWildcardDNS1123Subdomain: "*." then a DNS-1123 subdomain.
std::vector<std::string> isWildcardDns1123Subdomain(std::string_view value) {
  std::vector<std::string> problems;
  if (value.size() > kDns1123SubdomainMaxLength) {
    problems.push_back("must be no more than " + std::to_string(kDns1123SubdomainMaxLength) +
                       " characters");
  }
  bool ok = value.size() > 2 && value.substr(0, 2) == "*." &&
            isDns1123Subdomain(value.substr(2)).empty();
  if (!ok) problems.push_back(kWildcardDns1123SubdomainMessage);
  return problems;
}

// validation.IsValidPortName.
std::vector<std::string> isValidPortName(std::string_view port) {
  std::vector<std::string> problems;
  if (port.size() > 15) problems.push_back("must be no more than 15 characters");
  if (port.empty() || !std::all_of(port.begin(), port.end(),
                                   [](char c) { return isLowerAlnum(c) || c == '-'; })) {
    problems.push_back("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
  }
  if (std::none_of(port.begin(), port.end(), [](char c) { return c >= 'a' && c <= 'z'; })) {
    problems.push_back("must contain at least one letter (a-z)");
  }
  if (port.find("--") != std::string_view::npos) {
    problems.push_back("must not contain consecutive hyphens");
  }
  if (!port.empty() && (port.front() == '-' || port.back() == '-')) {
    problems.push_back("must not begin or end with a hyphen");
  }
  return problems;
}

// path.IsValidPathSegmentName.
std::vector<std::string> isValidPathSegmentName(std::string_view name) {
  if (name == "." || name == "..") return {"may not be '" + std::string(name) + "'"};
  std::vector<std::string> problems;
  for (const char* bad : {"/", "%"}) {
    if (name.find(bad) != std::string_view::npos) {
      problems.push_back("may not contain '" + std::string(bad) + "'");
    }
  }
  return problems;
}

bool isIpAddress(const std::string& s) {
  return parsesAsIpv4(s) || parsesAsIpv6(s);
}

// A host of a rule or a TLS entry: a DNS-1123 subdomain, or one with "*." as its whole
// leftmost label; never an IP address.
void validateIngressHost(Errors& errors, const std::string& path, const std::string& host,
                         bool reject_ip) {
  if (reject_ip && isIpAddress(host)) {
    errors.invalid(path, host, "must be a DNS name, not an IP address");
  }
  if (host.find('*') != std::string::npos) {
    errors.checkNames(path, host, isWildcardDns1123Subdomain(host));
  } else {
    errors.checkNames(path, host, isDns1123Subdomain(host));
  }
}

// validateIngressTypedLocalObjectReference.
void validateLocalObjectReference(Errors& errors, const std::string& path,
                                  const std::optional<std::string>& api_group,
                                  const std::string& kind, const std::string& name) {
  if (api_group) errors.checkNames(path + ".apiGroup", *api_group, isDns1123Subdomain(*api_group));
  if (kind.empty()) {
    errors.required(path + ".kind", "kind is required");
  } else {
    errors.checkNames(path + ".kind", kind, isValidPathSegmentName(kind));
  }
  if (name.empty()) {
    errors.required(path + ".name", "name is required");
  } else {
    errors.checkNames(path + ".name", name, isValidPathSegmentName(name));
  }
}

void validateIngressBackend(Errors& errors, const std::string& path,
                            const IngressBackend& backend) {
  if (backend.resource && backend.service) {
    errors.invalid(path, "", "cannot set both resource and service backends");
    return;
  }
  if (backend.resource) {
    const TypedLocalObjectReference& ref = *backend.resource;
    validateLocalObjectReference(errors, path + ".resource", ref.api_group, ref.kind, ref.name);
    return;
  }
  if (!backend.service) {
    errors.invalid(path, "", "resource or service backend is required");
    return;
  }
  const IngressServiceBackend& service = *backend.service;
  if (service.name.empty()) {
    errors.required(path + ".service.name");
  } else {
    errors.checkNames(path + ".service.name", service.name, isDns1035Label(service.name));
  }
  const ServiceBackendPort& port = service.port;
  if (!port.name.empty() && port.number != 0) {
    errors.invalid(path, "", "cannot set both port name & port number");
  } else if (!port.name.empty()) {
    errors.checkNames(path + ".service.port.name", port.name, isValidPortName(port.name));
  } else if (port.number != 0) {
    errors.checkPort(path + ".service.port.number", port.number);
  } else {
    errors.required(path, "port name or number is required");
  }
}

void validateHttpIngressPath(Errors& errors, const std::string& p, const HTTPIngressPath& path) {
  if (!path.path_type) {
    errors.required(p + ".pathType", "pathType must be specified");
    return;
  }
  const std::string& type = *path.path_type;
  if (type == kPathTypeExact || type == kPathTypePrefix) {
    if (path.path.empty() || path.path.front() != '/') {
      errors.invalid(p + ".path", path.path, "must be an absolute path");
    }
    if (!path.path.empty()) {
      for (const char* seq : {"//", "/./", "/../", "%2f", "%2F"}) {
        if (path.path.find(seq) != std::string::npos) {
          errors.invalid(p + ".path", path.path, "must not contain '" + std::string(seq) + "'");
        }
      }
      for (std::string_view suffix : {"/..", "/."}) {
        if (path.path.size() >= suffix.size() &&
            std::string_view(path.path).substr(path.path.size() - suffix.size()) == suffix) {
          errors.invalid(p + ".path", path.path,
                         "cannot end with '" + std::string(suffix) + "'");
        }
      }
    }
  } else if (type == kPathTypeImplementationSpecific) {
    if (!path.path.empty() && path.path.front() != '/') {
      errors.invalid(p + ".path", path.path, "must be an absolute path");
    }
  } else {
    errors.checkEnum(p + ".pathType", type,
                     {kPathTypeExact, kPathTypeImplementationSpecific, kPathTypePrefix});
  }
  validateIngressBackend(errors, p + ".backend", path.backend);
}

void validateIngressSpec(Errors& errors, const IngressSpec& spec) {
  if (spec.rules.empty() && !spec.default_backend) {
    errors.invalidRaw("spec", "[]networking.IngressRule(nil)",
                      "either `defaultBackend` or `rules` must be specified");
  }
  if (spec.default_backend) {
    validateIngressBackend(errors, "spec.defaultBackend", *spec.default_backend);
  }
  for (size_t i = 0; i < spec.rules.size(); ++i) {
    const IngressRule& rule = spec.rules[i];
    const std::string p = index("spec.rules", i);
    if (!rule.host.empty()) validateIngressHost(errors, p + ".host", rule.host, true);
    if (!rule.http) continue;
    const std::string http = p + ".http";
    if (rule.http->paths.empty()) errors.required(http + ".paths");
    for (size_t j = 0; j < rule.http->paths.size(); ++j) {
      validateHttpIngressPath(errors, index(http + ".paths", j), rule.http->paths[j]);
    }
  }
  for (size_t i = 0; i < spec.tls.size(); ++i) {
    const IngressTLS& tls = spec.tls[i];
    const std::string p = index("spec.tls", i);
    for (size_t j = 0; j < tls.hosts.size(); ++j) {
      validateIngressHost(errors, index(p + ".hosts", j), tls.hosts[j], false);
    }
    if (!tls.secret_name.empty()) {
      errors.checkNames(p + ".secretName", tls.secret_name, isDns1123Subdomain(tls.secret_name));
    }
  }
  if (spec.ingress_class_name) {
    errors.checkNames("spec.ingressClassName", *spec.ingress_class_name,
                      isDns1123Subdomain(*spec.ingress_class_name));
  }
}

void validateIngressStatus(Errors& errors, const IngressStatus& status) {
  const auto& ingress = status.load_balancer.ingress;
  for (size_t i = 0; i < ingress.size(); ++i) {
    const IngressLoadBalancerIngress& lb = ingress[i];
    const std::string p = index("status.loadBalancer.ingress", i);
    if (!lb.ip.empty() && !isIpAddress(lb.ip)) {
      errors.invalid(p + ".ip", lb.ip, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)");
    }
    if (!lb.hostname.empty()) {
      errors.checkNames(p + ".hostname", lb.hostname, isDns1123Subdomain(lb.hostname));
      if (isIpAddress(lb.hostname)) {
        errors.invalid(p + ".hostname", lb.hostname, "must be a DNS name, not an IP address");
      }
    }
    for (size_t j = 0; j < lb.ports.size(); ++j) {
      const std::string port = index(p + ".ports", j);
      errors.checkPort(port + ".port", lb.ports[j].port);
      errors.checkEnum(port + ".protocol", lb.ports[j].protocol, {"SCTP", "TCP", "UDP"});
    }
  }
}

// validation.IsDomainPrefixedPath.
void validateDomainPrefixedPath(Errors& errors, const std::string& path, const std::string& value) {
  if (value.empty()) {
    errors.required(path);
    return;
  }
  size_t slash = value.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == value.size()) {
    errors.invalid(path, value, "must be a domain-prefixed path (such as \"acme.io/foo\")");
    return;
  }
  const std::string host = value.substr(0, slash);
  errors.checkNames(path, host, isDns1123Subdomain(host));
  const std::string rest = value.substr(slash + 1);
  static const std::string kPathChars = "/-._~%!$&'()*+,;=:";
  if (!std::all_of(rest.begin(), rest.end(), [](char c) {
        return isAsciiAlnum(c) || kPathChars.find(c) != std::string::npos;
      })) {
    errors.invalid(path, rest,
                   "Invalid path (regex used for validation is "
                   "'[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+')");
  }
}

}  // namespace

std::vector<FieldError> validateObject(const Ingress& ingress, const Ingress* old) {
  Errors errors;
  validateMeta(errors, ingress.metadata, old ? &old->metadata : nullptr, true,
               NameRule::kSubdomain);
  validateIngressSpec(errors, ingress.spec);
  validateIngressStatus(errors, ingress.status);
  // On create, the legacy annotation and the class field must agree when both are set.
  auto annotation = ingress.metadata.annotations.find(kIngressClassAnnotation);
  if (old == nullptr && annotation != ingress.metadata.annotations.end() &&
      ingress.spec.ingress_class_name && annotation->second != *ingress.spec.ingress_class_name) {
    errors.invalid(std::string("annotations.") + kIngressClassAnnotation, annotation->second,
                   "must match `ingressClassName` when both are specified");
  }
  return errors.take();
}

std::vector<FieldError> validateObject(const IngressClass& ingress_class,
                                       const IngressClass* old) {
  Errors errors;
  validateMeta(errors, ingress_class.metadata, old ? &old->metadata : nullptr, false,
               NameRule::kSubdomain);
  const IngressClassSpec& spec = ingress_class.spec;
  if (old != nullptr && spec.controller != old->spec.controller) {
    errors.immutable("spec.controller", spec.controller);
  }
  if (spec.controller.size() > kMaxIngressClassControllerLength) {
    errors.tooLong("spec.controller", kMaxIngressClassControllerLength);
  }
  validateDomainPrefixedPath(errors, "spec.controller", spec.controller);
  if (spec.parameters) {
    const IngressClassParametersReference& params = *spec.parameters;
    const std::string p = "spec.parameters";
    validateLocalObjectReference(errors, p, params.api_group, params.kind, params.name);
    if (!params.scope) {
      errors.required(p + ".scope");
    } else if (*params.scope != "Cluster" && *params.scope != "Namespace") {
      errors.checkEnum(p + ".scope", *params.scope, {"Cluster", "Namespace"});
    } else if (*params.scope == "Namespace") {
      if (!params.namespace_) {
        errors.required(p + ".namespace", "`parameters.scope` is set to 'Namespace'");
      } else {
        errors.checkNames(p + ".namespace", *params.namespace_,
                          isDns1123Label(*params.namespace_));
      }
    } else if (params.namespace_) {
      errors.forbidden(p + ".namespace", "`parameters.scope` is set to 'Cluster'");
    }
  }
  return errors.take();
}

}  // namespace minik8s::api

// ---------------------------------------------------------------------------------------
// rbac.authorization.k8s.io/v1 (pkg/apis/rbac/validation)

namespace minik8s::api {
namespace {

// Go's %#v of a []string, as field.Invalid prints a list value.
std::string goStrings(const std::vector<std::string>& values) {
  std::string out = "[]string{";
  for (size_t i = 0; i < values.size(); ++i) out += (i > 0 ? ", " : "") + quote(values[i]);
  return out + "}";
}

// Go's %#v of the internal rbac.RoleRef.
std::string goRoleRef(const RoleRef& ref) {
  return "rbac.RoleRef{APIGroup:" + quote(ref.api_group) + ", Kind:" + quote(ref.kind) +
         ", Name:" + quote(ref.name) + "}";
}

void validatePolicyRule(Errors& errors, const PolicyRule& rule, bool namespaced,
                        const std::string& path) {
  if (rule.verbs.empty()) {
    errors.required(path + ".verbs", "verbs must contain at least one value");
  }
  if (!rule.non_resource_urls.empty()) {
    std::string urls = goStrings(rule.non_resource_urls);
    if (namespaced) {
      errors.invalidRaw(path + ".nonResourceURLs", urls,
                        "namespaced rules cannot apply to non-resource URLs");
    }
    if (!rule.api_groups.empty() || !rule.resources.empty() || !rule.resource_names.empty()) {
      errors.invalidRaw(path + ".nonResourceURLs", urls,
                        "rules cannot apply to both regular resources and non-resource URLs");
    }
    return;
  }
  if (rule.api_groups.empty()) {
    errors.required(path + ".apiGroups", "resource rules must supply at least one api group");
  }
  if (rule.resources.empty()) {
    errors.required(path + ".resources", "resource rules must supply at least one resource");
  }
}

void validateRules(Errors& errors, const std::vector<PolicyRule>& rules, bool namespaced) {
  for (size_t i = 0; i < rules.size(); ++i) {
    validatePolicyRule(errors, rules[i], namespaced, index("rules", i));
  }
}

void validateSubject(Errors& errors, const Subject& subject, bool namespaced,
                     const std::string& path) {
  if (subject.name.empty()) errors.required(path + ".name");
  if (subject.kind == kSubjectServiceAccount) {
    if (!subject.name.empty()) {
      errors.checkNames(path + ".name", subject.name, isDns1123Subdomain(subject.name));
    }
    if (!subject.api_group.empty()) errors.checkEnum(path + ".apiGroup", subject.api_group, {""});
    if (!namespaced && subject.namespace_.empty()) errors.required(path + ".namespace");
  } else if (subject.kind == kSubjectUser || subject.kind == kSubjectGroup) {
    errors.checkEnum(path + ".apiGroup", subject.api_group, {kRbacGroup});
  } else {
    errors.checkEnum(path + ".kind", subject.kind,
                     {kSubjectServiceAccount, kSubjectUser, kSubjectGroup});
  }
}

// ValidateRoleBinding and ValidateClusterRoleBinding: a RoleBinding may reference a Role or
// a ClusterRole, a ClusterRoleBinding only a ClusterRole; roleRef never changes.
void validateBinding(Errors& errors, const RoleRef& role_ref, const std::vector<Subject>& subjects,
                     const RoleRef* old_role_ref, bool namespaced) {
  errors.checkEnum("roleRef.apiGroup", role_ref.api_group, {kRbacGroup});
  if (namespaced) {
    errors.checkEnum("roleRef.kind", role_ref.kind, {"Role", "ClusterRole"});
  } else {
    errors.checkEnum("roleRef.kind", role_ref.kind, {"ClusterRole"});
  }
  if (role_ref.name.empty()) {
    errors.required("roleRef.name");
  } else {
    errors.checkNames("roleRef.name", role_ref.name, isValidPathSegmentName(role_ref.name));
  }
  for (size_t i = 0; i < subjects.size(); ++i) {
    validateSubject(errors, subjects[i], namespaced, index("subjects", i));
  }
  if (old_role_ref != nullptr &&
      (role_ref.api_group != old_role_ref->api_group || role_ref.kind != old_role_ref->kind ||
       role_ref.name != old_role_ref->name)) {
    errors.invalidRaw("roleRef", goRoleRef(role_ref), "cannot change roleRef");
  }
}

}  // namespace

std::vector<FieldError> validateObject(const Role& role, const Role* old) {
  Errors errors;
  validateMeta(errors, role.metadata, old ? &old->metadata : nullptr, true,
               NameRule::kPathSegment);
  validateRules(errors, role.rules, true);
  return errors.take();
}

std::vector<FieldError> validateObject(const ClusterRole& cluster_role, const ClusterRole* old) {
  Errors errors;
  validateMeta(errors, cluster_role.metadata, old ? &old->metadata : nullptr, false,
               NameRule::kPathSegment);
  validateRules(errors, cluster_role.rules, false);
  if (cluster_role.aggregation_rule) {
    const auto& selectors = cluster_role.aggregation_rule->cluster_role_selectors;
    if (selectors.empty()) {
      errors.required("aggregationRule.clusterRoleSelectors",
                      "at least one clusterRoleSelector required if aggregationRule is non-nil");
    }
    for (size_t i = 0; i < selectors.size(); ++i) {
      validateSelectorSpec(errors, selectors[i], index("aggregationRule.clusterRoleSelectors", i));
    }
  }
  return errors.take();
}

std::vector<FieldError> validateObject(const RoleBinding& binding, const RoleBinding* old) {
  Errors errors;
  validateMeta(errors, binding.metadata, old ? &old->metadata : nullptr, true,
               NameRule::kPathSegment);
  validateBinding(errors, binding.role_ref, binding.subjects, old ? &old->role_ref : nullptr,
                  true);
  return errors.take();
}

std::vector<FieldError> validateObject(const ClusterRoleBinding& binding,
                                       const ClusterRoleBinding* old) {
  Errors errors;
  validateMeta(errors, binding.metadata, old ? &old->metadata : nullptr, false,
               NameRule::kPathSegment);
  validateBinding(errors, binding.role_ref, binding.subjects, old ? &old->role_ref : nullptr,
                  false);
  return errors.take();
}

// ---- certificates.k8s.io/v1 (pkg/apis/certificates/validation) ----

std::vector<PemBlock> decodePemBlocks(std::string_view text) {
  std::vector<PemBlock> blocks;
  constexpr std::string_view kBegin = "-----BEGIN ";
  constexpr std::string_view kDashes = "-----";
  size_t pos = 0;
  while (true) {
    size_t begin = text.find(kBegin, pos);
    if (begin == std::string_view::npos) break;
    if (begin != 0 && text[begin - 1] != '\n') {
      pos = begin + kBegin.size();
      continue;
    }
    size_t type_start = begin + kBegin.size();
    size_t type_end = text.find(kDashes, type_start);
    size_t line_end = text.find('\n', type_start);
    if (type_end == std::string_view::npos || line_end == std::string_view::npos ||
        type_end > line_end) {
      pos = type_start;
      continue;
    }
    PemBlock block;
    block.type = std::string(text.substr(type_start, type_end - type_start));
    std::string end_line = "-----END " + block.type + "-----";
    size_t end = text.find(end_line, line_end);
    if (end == std::string_view::npos) break;
    std::string_view body = text.substr(line_end + 1, end - line_end - 1);
    std::string base64;
    size_t at = 0;
    while (at < body.size()) {
      size_t nl = body.find('\n', at);
      std::string_view line = body.substr(at, nl == std::string_view::npos ? body.size() - at
                                                                           : nl - at);
      at = nl == std::string_view::npos ? body.size() : nl + 1;
      if (line.find(':') != std::string_view::npos) {
        block.has_headers = true;
        continue;
      }
      for (char c : line) {
        if (c != ' ' && c != '\t' && c != '\r') base64 += c;
      }
    }
    pos = end + end_line.size();
    if (!base64Decode(base64, &block.bytes)) continue;  // Go skips a block it cannot decode
    blocks.push_back(std::move(block));
  }
  return blocks;
}

namespace {

// KeyUsage values of k8s.io/api/certificates/v1.
const std::set<std::string, std::less<>>& knownKeyUsages() {
  static const std::set<std::string, std::less<>> kUsages = {
      "signing",          "digital signature", "content commitment", "key encipherment",
      "key agreement",    "data encipherment", "cert sign",          "crl sign",
      "encipher only",    "decipher only",     "any",                "server auth",
      "client auth",      "code signing",      "email protection",   "s/mime",
      "ipsec end system", "ipsec tunnel",      "ipsec user",         "timestamping",
      "ocsp signing",     "microsoft sgc",     "netscape sgc"};
  return kUsages;
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t at = s.find(sep, start);
    out.emplace_back(s.substr(start, at == std::string_view::npos ? s.size() - start
                                                                   : at - start));
    if (at == std::string_view::npos) break;
    start = at + 1;
  }
  return out;
}

// ValidateSignerName: "example.com/signer-name".
void validateSignerName(Errors& errors, const std::string& path, const std::string& signer) {
  if (signer.empty()) return errors.required(path);
  std::vector<std::string> segments = split(signer, '/');
  if (segments.size() != 2) {
    return errors.invalid(path, signer,
                          "must be a fully qualified domain and path of the form "
                          "'example.com/signer-name'");
  }
  const std::string& domain = segments[0];
  if (domain.size() > kDns1123SubdomainMaxLength) {
    errors.add(path, "FieldValueTooLong",
               "Too long: may not be more than " + std::to_string(kDns1123SubdomainMaxLength) +
                   " bytes");
  }
  std::vector<std::string> labels = split(domain, '.');
  for (const std::string& label : labels) {
    std::vector<std::string> problems = isDns1123Label(label);
    if (problems.empty()) continue;
    for (const std::string& p : problems) {
      errors.invalid(path, domain, "validating label " + quote(label) + ": " + p);
    }
    break;
  }
  if (labels.size() < 2) {
    errors.invalid(path, domain, "should be a domain with at least two segments separated by dots");
  }
  for (const std::string& component : split(segments[1], '.')) {
    std::vector<std::string> problems = isDns1123Subdomain(component);
    if (problems.empty()) continue;
    for (const std::string& p : problems) {
      errors.invalid(path, segments[1], "validating component " + quote(component) + ": " + p);
    }
    break;
  }
}

size_t countConditions(const CertificateSigningRequest& csr, std::string_view type) {
  return std::count_if(csr.status.conditions.begin(), csr.status.conditions.end(),
                       [&](const CertificateSigningRequestCondition& c) { return c.type == type; });
}

}  // namespace

std::vector<FieldError> validateObject(const CertificateSigningRequest& csr,
                                       const CertificateSigningRequest* old) {
  Errors errors;
  validateMeta(errors, csr.metadata, old ? &old->metadata : nullptr, false,
               NameRule::kPathSegment);
  const CertificateSigningRequestSpec& spec = csr.spec;
  // certificates.ParseCSR: the first PEM block must be a CERTIFICATE REQUEST.
  std::vector<PemBlock> request = decodePemBlocks(spec.request);
  if (request.empty() || request.front().type != "CERTIFICATE REQUEST") {
    errors.invalid("spec.request", "<request data>", "PEM block type must be CERTIFICATE REQUEST");
  } else if (request.front().bytes.empty() || uint8_t(request.front().bytes[0]) != 0x30) {
    errors.invalid("spec.request", "<request data>",
                   "asn1: structure error: tags don't match (16 vs {class:0 tag:0})");
  }
  validateSignerName(errors, "spec.signerName", spec.signer_name);
  if (spec.expiration_seconds && *spec.expiration_seconds < 600) {
    errors.invalid("spec.expirationSeconds", *spec.expiration_seconds,
                   "may not specify a duration less than 600 seconds (10 minutes)");
  }
  if (spec.usages.empty()) errors.required("spec.usages", "usages must be provided");
  std::set<std::string, std::less<>> seen_usages;
  for (size_t i = 0; i < spec.usages.size(); ++i) {
    const std::string& usage = spec.usages[i];
    if (knownKeyUsages().count(usage) == 0) {
      std::string list;
      for (const std::string& u : knownKeyUsages()) list += (list.empty() ? "" : ", ") + quote(u);
      errors.add(index("spec.usages", i), "FieldValueNotSupported",
                 "Unsupported value: " + quote(usage) + ": supported values: " + list);
    }
    if (!seen_usages.insert(usage).second) errors.duplicate(index("spec.usages", i), usage);
  }

  // validateConditions
  bool has_approved = false;
  bool has_denied = false;
  std::set<std::string, std::less<>> seen_types;
  const auto& conditions = csr.status.conditions;
  for (size_t i = 0; i < conditions.size(); ++i) {
    const CertificateSigningRequestCondition& c = conditions[i];
    std::string path = index("status.conditions", i);
    if (c.type.empty()) {
      errors.required(path + ".type");
    } else if (!seen_types.insert(c.type).second) {
      errors.duplicate(path + ".type", c.type);
    }
    has_approved = has_approved || c.type == kCsrApproved;
    has_denied = has_denied || c.type == kCsrDenied;
    if (c.type == kCsrApproved || c.type == kCsrDenied || c.type == kCsrFailed) {
      errors.checkEnum(path + ".status", c.status, {"True"});
    } else {
      errors.checkEnum(path + ".status", c.status, {"False", "True", "Unknown"});
    }
  }
  if (has_approved && has_denied) {
    errors.invalid("status.conditions", kCsrDenied,
                   "Approved and Denied conditions are mutually exclusive");
  }

  // validateCertificate: PEM CERTIFICATE blocks only, no headers, DER inside.
  if (!csr.status.certificate.empty()) {
    std::vector<PemBlock> blocks = decodePemBlocks(csr.status.certificate);
    if (blocks.empty()) {
      errors.invalid("status.certificate", "<certificate data>",
                     "must contain at least one CERTIFICATE PEM block");
    }
    for (const PemBlock& block : blocks) {
      if (block.type != "CERTIFICATE") {
        errors.invalid("status.certificate", "<certificate data>",
                       "only CERTIFICATE PEM blocks are allowed, found " + quote(block.type));
      } else if (block.has_headers) {
        errors.invalid("status.certificate", "<certificate data>",
                       "no PEM block headers are permitted");
      } else if (block.bytes.empty() || uint8_t(block.bytes[0]) != 0x30) {
        errors.invalid("status.certificate", "<certificate data>",
                       "x509: malformed certificate");
      }
    }
  }

  if (old != nullptr) {
    const CertificateSigningRequestSpec& was = old->spec;
    if (spec.request != was.request || spec.signer_name != was.signer_name ||
        spec.expiration_seconds != was.expiration_seconds || spec.usages != was.usages ||
        spec.username != was.username || spec.uid != was.uid || spec.groups != was.groups ||
        spec.extra != was.extra) {
      errors.forbidden("spec", "field is immutable");
    }
    for (const char* type : {kCsrApproved, kCsrDenied, kCsrFailed}) {
      if (countConditions(csr, type) < countConditions(*old, type)) {
        errors.forbidden("status.conditions", std::string("updates may not remove a condition of type ") +
                                                  quote(type));
      }
    }
    if (!old->status.certificate.empty() &&
        csr.status.certificate != old->status.certificate) {
      errors.invalid("status.certificate", "<certificate data>",
                     "updates may not modify existing certificate content");
    }
  }
  return errors.take();
}

}  // namespace minik8s::api

// ---- policy/v1 ----

namespace minik8s::api {

namespace {

// Kubernetes' ValidatePositiveIntOrPercent and IsNotMoreThan100Percent.
void validatePdbIntOrPercent(Errors& errors, const std::optional<IntOrString>& v,
                             const std::string& path) {
  validateIntOrPercent(errors, v, path);
  if (v && v->is_string) {
    auto percent = scaledValueFromIntOrPercent(*v, 100, false);
    if (percent.isOk() && *percent > 100) {
      errors.invalid(path, v->str_value, "must not be greater than 100%");
    }
  }
}

}  // namespace

std::vector<FieldError> validateObject(const PodDisruptionBudget& pdb,
                                       const PodDisruptionBudget* old) {
  Errors errors;
  validateMeta(errors, pdb.metadata, old ? &old->metadata : nullptr, true, NameRule::kSubdomain);
  const PodDisruptionBudgetSpec& spec = pdb.spec;
  if (spec.min_available && spec.max_unavailable) {
    errors.invalidRaw("spec", toJson(pdb).value("spec", nlohmann::json()).dump(),
                      "minAvailable and maxUnavailable cannot be both set");
  }
  validatePdbIntOrPercent(errors, spec.min_available, "spec.minAvailable");
  validatePdbIntOrPercent(errors, spec.max_unavailable, "spec.maxUnavailable");
  if (spec.selector) validateSelectorSpec(errors, *spec.selector, "spec.selector");
  if (spec.unhealthy_pod_eviction_policy) {
    errors.checkEnum("spec.unhealthyPodEvictionPolicy", *spec.unhealthy_pod_eviction_policy,
                     {kIfHealthyBudget, kAlwaysAllow});
  }
  const PodDisruptionBudgetStatus& status = pdb.status;
  errors.checkNonNegative("status.disruptionsAllowed", status.disruptions_allowed);
  errors.checkNonNegative("status.currentHealthy", status.current_healthy);
  errors.checkNonNegative("status.desiredHealthy", status.desired_healthy);
  errors.checkNonNegative("status.expectedPods", status.expected_pods);
  for (size_t i = 0; i < status.conditions.size(); ++i) {
    const PodDisruptionBudgetCondition& c = status.conditions[i];
    const std::string p = "status.conditions[" + std::to_string(i) + "]";
    if (c.type.empty()) errors.required(p + ".type");
    errors.checkEnum(p + ".status", c.status, {"True", "False", "Unknown"});
  }
  return errors.take();
}

}  // namespace minik8s::api
