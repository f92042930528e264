// core/v1 types: Namespace, Pod, Service, Endpoints, Node, Event, ConfigMap, Secret.
// Plain aggregates with snake_case fields; codec.h maps them to Kubernetes' JSON keys.
// Conventions: std::optional<T> for Kubernetes pointer fields (emitted whenever set, even
// when false/0/{}), plain fields for omitempty values (omitted when empty/0/false).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api/quantity.h"
#include "api/raw_json.h"
#include "api/types_meta.h"

namespace minik8s::api {

using ResourceList = std::map<std::string, Quantity>;  // "cpu" -> 100m, "memory" -> 64Mi

// ---- Containers ----

struct ObjectFieldSelector {
  std::string api_version;
  std::string field_path;
};

struct ResourceFieldSelector {
  std::string container_name;
  std::string resource;
  Quantity divisor;
};

struct KeySelector {  // ConfigMapKeySelector and SecretKeySelector
  std::string name;
  std::string key;
  std::optional<bool> optional;
};

struct EnvVarSource {
  std::optional<ObjectFieldSelector> field_ref;
  std::optional<ResourceFieldSelector> resource_field_ref;
  std::optional<KeySelector> config_map_key_ref;
  std::optional<KeySelector> secret_key_ref;
};

struct EnvVar {
  std::string name;
  std::string value;
  std::optional<EnvVarSource> value_from;
};

struct EnvFromRef {  // ConfigMapEnvSource and SecretEnvSource
  std::string name;
  std::optional<bool> optional;
};

struct EnvFromSource {
  std::string prefix;
  std::optional<EnvFromRef> config_map_ref;
  std::optional<EnvFromRef> secret_ref;
};

struct ContainerPort {
  std::string name;
  int32_t host_port = 0;
  int32_t container_port = 0;  // required
  std::string protocol;        // TCP (default), UDP, SCTP
  std::string host_ip;
};

struct ResourceRequirements {
  ResourceList limits;
  ResourceList requests;
  RawJson claims;
};

struct VolumeMount {
  std::string name;
  bool read_only = false;
  std::string mount_path;
  std::string sub_path;
  std::string mount_propagation;
  std::string sub_path_expr;
};

struct ExecAction {
  std::vector<std::string> command;
};

struct HttpHeader {
  std::string name;
  std::string value;
};

struct HttpGetAction {
  std::string path;
  IntOrString port;
  std::string host;
  std::string scheme;
  std::vector<HttpHeader> http_headers;
};

struct TcpSocketAction {
  IntOrString port;
  std::string host;
};

struct Probe {
  std::optional<ExecAction> exec;
  std::optional<HttpGetAction> http_get;
  std::optional<TcpSocketAction> tcp_socket;
  RawJson grpc;
  int32_t initial_delay_seconds = 0;
  int32_t timeout_seconds = 0;
  int32_t period_seconds = 0;
  int32_t success_threshold = 0;
  int32_t failure_threshold = 0;
  std::optional<int64_t> termination_grace_period_seconds;
};

struct Container {
  std::string name;  // required
  std::string image;
  std::vector<std::string> command;
  std::vector<std::string> args;
  std::string working_dir;
  std::vector<ContainerPort> ports;
  std::vector<EnvFromSource> env_from;
  std::vector<EnvVar> env;
  ResourceRequirements resources;
  RawJson resize_policy;
  std::string restart_policy;  // sidecar init containers: "Always"
  std::vector<VolumeMount> volume_mounts;
  RawJson volume_devices;
  std::optional<Probe> liveness_probe;
  std::optional<Probe> readiness_probe;
  std::optional<Probe> startup_probe;
  RawJson lifecycle;
  std::string termination_message_path;
  std::string termination_message_policy;
  std::string image_pull_policy;
  RawJson security_context;
  bool stdin = false;
  bool stdin_once = false;
  bool tty = false;
};

// ---- Volumes ----

struct HostPathVolumeSource {
  std::string path;
  std::optional<std::string> type;
};

struct EmptyDirVolumeSource {
  std::string medium;
  Quantity size_limit;
};

struct KeyToPath {
  std::string key;
  std::string path;
  std::optional<int32_t> mode;
};

struct ConfigMapVolumeSource {
  std::string name;
  std::vector<KeyToPath> items;
  std::optional<int32_t> default_mode;
  std::optional<bool> optional;
};

struct SecretVolumeSource {
  std::string secret_name;
  std::vector<KeyToPath> items;
  std::optional<int32_t> default_mode;
  std::optional<bool> optional;
};

struct Volume {
  std::string name;
  std::optional<HostPathVolumeSource> host_path;
  std::optional<EmptyDirVolumeSource> empty_dir;
  std::optional<ConfigMapVolumeSource> config_map;
  std::optional<SecretVolumeSource> secret;
  // Volume sources minik8s does not interpret, kept verbatim.
  RawJson persistent_volume_claim;
  RawJson projected;
  RawJson downward_api;
  RawJson nfs;
  RawJson csi;
  RawJson ephemeral;
  RawJson local;
};

// ---- Pod ----

struct Toleration {
  std::string key;
  std::string op;  // "operator": Exists, Equal
  std::string value;
  std::string effect;
  std::optional<int64_t> toleration_seconds;
};

struct PodDnsConfigOption {
  std::string name;
  std::optional<std::string> value;
};

struct PodDnsConfig {
  std::vector<std::string> nameservers;
  std::vector<std::string> searches;
  std::vector<PodDnsConfigOption> options;
};

struct LocalObjectReference {
  std::string name;
};

struct PodReadinessGate {
  std::string condition_type;
};

struct PodSpec {
  std::vector<Volume> volumes;
  std::vector<Container> init_containers;
  std::vector<Container> containers;
  RawJson ephemeral_containers;
  std::string restart_policy;
  std::optional<int64_t> termination_grace_period_seconds;
  std::optional<int64_t> active_deadline_seconds;
  std::string dns_policy;
  StringMap node_selector;
  std::string service_account_name;
  std::string service_account;  // deprecated alias of service_account_name
  std::optional<bool> automount_service_account_token;
  std::string node_name;
  bool host_network = false;
  bool host_pid = false;
  bool host_ipc = false;
  std::optional<bool> share_process_namespace;
  RawJson security_context;
  std::vector<LocalObjectReference> image_pull_secrets;
  std::string hostname;
  std::string subdomain;
  RawJson affinity;
  std::string scheduler_name;
  std::vector<Toleration> tolerations;
  RawJson host_aliases;
  std::string priority_class_name;
  std::optional<int32_t> priority;
  std::optional<PodDnsConfig> dns_config;
  std::vector<PodReadinessGate> readiness_gates;
  std::optional<std::string> runtime_class_name;
  std::optional<bool> enable_service_links;
  std::optional<std::string> preemption_policy;
  RawJson overhead;
  RawJson topology_spread_constraints;
  std::optional<bool> set_hostname_as_fqdn;
  RawJson os;
  std::optional<bool> host_users;
  RawJson scheduling_gates;
  RawJson resource_claims;
  // Pod-level requests/limits (the seed pod.yaml uses them); kept and validated.
  std::optional<ResourceRequirements> resources;
};

struct ContainerStateWaiting {
  std::string reason;
  std::string message;
};

struct ContainerStateRunning {
  std::string started_at;
};

struct ContainerStateTerminated {
  int32_t exit_code = 0;  // required
  int32_t signal = 0;
  std::string reason;
  std::string message;
  std::string started_at;
  std::string finished_at;
  std::string container_id;
};

struct ContainerState {
  std::optional<ContainerStateWaiting> waiting;
  std::optional<ContainerStateRunning> running;
  std::optional<ContainerStateTerminated> terminated;
};

struct ContainerStatus {
  std::string name;  // required
  ContainerState state;
  ContainerState last_state;
  bool ready = false;         // required
  int32_t restart_count = 0;  // required
  std::string image;          // required
  std::string image_id;       // required
  std::string container_id;
  std::optional<bool> started;
};

struct PodIp {
  std::string ip;
};

struct PodStatus {
  std::string phase;  // Pending, Running, Succeeded, Failed, Unknown
  std::vector<Condition> conditions;
  std::string message;
  std::string reason;
  std::string nominated_node_name;
  std::string host_ip;
  std::vector<PodIp> host_ips;
  std::string pod_ip;
  std::vector<PodIp> pod_ips;
  std::string start_time;
  std::vector<ContainerStatus> init_container_statuses;
  std::vector<ContainerStatus> container_statuses;
  RawJson ephemeral_container_statuses;
  std::string qos_class;  // Guaranteed, Burstable, BestEffort
};

struct Pod {
  std::string api_version;
  std::string kind;
  ObjectMeta metadata;
  PodSpec spec;
  PodStatus status;
};

struct PodTemplateSpec {
  ObjectMeta metadata;
  PodSpec spec;
};

// ---- Namespace ----

struct NamespaceSpec {
  std::vector<std::string> finalizers;
};

struct NamespaceStatus {
  std::string phase;  // Active, Terminating
  std::vector<Condition> conditions;
};

struct Namespace {
  std::string api_version;
  std::string kind;
  ObjectMeta metadata;
  NamespaceSpec spec;
  NamespaceStatus status;
};

// ---- Service / Endpoints ----

struct ServicePort {
  std::string name;
  std::string protocol;
  std::string app_protocol;
  int32_t port = 0;  // required
  std::optional<IntOrString> target_port;
  int32_t node_port = 0;
};

struct ServiceSpec {
  std::vector<ServicePort> ports;
  StringMap selector;
  std::string cluster_ip;
  std::vector<std::string> cluster_ips;
  std::string type;  // ClusterIP, NodePort, LoadBalancer, ExternalName
  std::vector<std::string> external_ips;
  std::string session_affinity;
  std::string load_balancer_ip;
  std::vector<std::string> load_balancer_source_ranges;
  std::string external_name;
  std::string external_traffic_policy;
  int32_t health_check_node_port = 0;
  std::optional<bool> publish_not_ready_addresses;
  RawJson session_affinity_config;
  std::vector<std::string> ip_families;
  std::optional<std::string> ip_family_policy;
  std::optional<bool> allocate_load_balancer_node_ports;
  std::optional<std::string> load_balancer_class;
  std::optional<std::string> internal_traffic_policy;
  std::optional<std::string> traffic_distribution;
};

struct LoadBalancerIngress {
  std::string ip;
  std::string hostname;
  std::optional<std::string> ip_mode;
  RawJson ports;
};

struct LoadBalancerStatus {
  std::vector<LoadBalancerIngress> ingress;
};

struct ServiceStatus {
  LoadBalancerStatus load_balancer;
  std::vector<Condition> conditions;
};

struct Service {
  std::string api_version;
  std::string kind;
  ObjectMeta metadata;
  ServiceSpec spec;
  ServiceStatus status;
};

struct ObjectReference {
  std::string kind;
  std::string namespace_;
  std::string name;
  std::string uid;
  std::string api_version;
  std::string resource_version;
  std::string field_path;
};

struct EndpointAddress {
  std::string ip;  // required
  std::string hostname;
  std::optional<std::string> node_name;
  std::optional<ObjectReference> target_ref;
};

struct EndpointPort {
  std::string name;
  int32_t port = 0;  // required
  std::string protocol;
  std::optional<std::string> app_protocol;
};

struct EndpointSubset {
  std::vector<EndpointAddress> addresses;
  std::vector<EndpointAddress> not_ready_addresses;
  std::vector<EndpointPort> ports;
};

struct Endpoints {
  std::string api_version;
  std::string kind;
  ObjectMeta metadata;
  std::vector<EndpointSubset> subsets;
};

// ---- Node ----

struct Taint {
  std::string key;
  std::string value;
  std::string effect;  // NoSchedule, PreferNoSchedule, NoExecute
  std::string time_added;
};

struct NodeSpec {
  std::string pod_cidr;
  std::vector<std::string> pod_cidrs;
  std::string provider_id;
  bool unschedulable = false;
  std::vector<Taint> taints;
  RawJson config_source;
  std::string external_id;
};

struct NodeAddress {
  std::string type;  // InternalIP, Hostname, ...
  std::string address;
};

// Every field is required by client models, so all are always emitted.
struct NodeSystemInfo {
  std::string machine_id;
  std::string system_uuid;
  std::string boot_id;
  std::string kernel_version;
  std::string os_image;
  std::string container_runtime_version;
  std::string kubelet_version;
  std::string kube_proxy_version;
  std::string operating_system;
  std::string architecture;
};

struct DaemonEndpoint {
  int32_t port = 0;  // "Port"
};

struct NodeDaemonEndpoints {
  DaemonEndpoint kubelet_endpoint;
};

struct ContainerImage {
  std::vector<std::string> names;
  int64_t size_bytes = 0;
};

struct NodeStatus {
  ResourceList capacity;
  ResourceList allocatable;
  std::string phase;
  std::vector<Condition> conditions;
  std::vector<NodeAddress> addresses;
  NodeDaemonEndpoints daemon_endpoints;
  NodeSystemInfo node_info;
  std::vector<ContainerImage> images;
  RawJson volumes_in_use;
  RawJson volumes_attached;
  RawJson config;
};

struct Node {
  std::string api_version;
  std::string kind;
  ObjectMeta metadata;
  NodeSpec spec;
  NodeStatus status;
};

// ---- Event ----

struct EventSource {
  std::string component;
  std::string host;
};

struct Event {
  std::string api_version;
  std::string kind;
  ObjectMeta metadata;
  ObjectReference involved_object;  // required
  std::string reason;
  std::string message;
  EventSource source;
  std::string first_timestamp;
  std::string last_timestamp;
  int32_t count = 0;
  std::string type;        // Normal, Warning
  std::string event_time;  // MicroTime
  RawJson series;
  std::string action;
  std::optional<ObjectReference> related;
  std::string reporting_component;
  std::string reporting_instance;
};

// ---- ConfigMap / Secret ----

struct ConfigMap {
  std::string api_version;
  std::string kind;
  ObjectMeta metadata;
  StringMap data;
  StringMap binary_data;  // base64 values
  std::optional<bool> immutable;
};

struct Secret {
  std::string api_version;
  std::string kind;
  ObjectMeta metadata;
  StringMap data;         // base64 values
  StringMap string_data;  // write-only; merged into data by normalize
  std::string type;       // Opaque (default)
  std::optional<bool> immutable;
};

// A namespaced identity for processes in pods; every namespace gets one named "default".
struct ServiceAccount {
  std::string api_version;
  std::string kind;
  ObjectMeta metadata;
  std::vector<ObjectReference> secrets;
  std::vector<LocalObjectReference> image_pull_secrets;
  std::optional<bool> automount_service_account_token;
};

}  // namespace minik8s::api
