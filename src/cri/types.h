// Plain C++ mirrors of the CRI v1 messages that minik8s uses. The kubelet builds and reads
// these; only cri_runtime.cc sees the protobuf types. Times are Unix nanoseconds, as in CRI.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace minik8s::cri {

using Labels = std::map<std::string, std::string>;

// Namespace sharing, numbered as CRI's NamespaceMode.
enum class NamespaceMode { kPod = 0, kContainer = 1, kNode = 2, kTarget = 3 };

struct NamespaceOptions {
  NamespaceMode network = NamespaceMode::kPod;
  // CRI's default is POD (pause is PID 1 for everyone); Kubernetes pods want CONTAINER.
  NamespaceMode pid = NamespaceMode::kContainer;
  NamespaceMode ipc = NamespaceMode::kPod;
  std::string target_id;  // for kTarget
};

enum class Protocol { kTcp = 0, kUdp = 1, kSctp = 2 };

struct PortMapping {
  Protocol protocol = Protocol::kTcp;
  int32_t container_port = 0;
  int32_t host_port = 0;
  std::string host_ip;
};

struct DnsConfig {
  std::vector<std::string> servers;
  std::vector<std::string> searches;
  std::vector<std::string> options;
};

struct PodSandboxMetadata {
  std::string name;
  std::string uid;
  std::string namespace_;
  uint32_t attempt = 0;
};

struct PodSandboxConfig {
  PodSandboxMetadata metadata;
  std::string hostname;
  std::string log_directory;  // must exist; container logs go to <dir>/<log_path>
  std::optional<DnsConfig> dns;
  std::vector<PortMapping> port_mappings;
  Labels labels;
  Labels annotations;
  std::string cgroup_parent;  // cgroupfs style, e.g. "/minik8s/pod<uid>"
  NamespaceOptions namespace_options;
  bool privileged = false;
  std::map<std::string, std::string> sysctls;
};

enum class SandboxState { kReady = 0, kNotReady = 1 };

struct PodSandbox {
  std::string id;
  PodSandboxMetadata metadata;
  SandboxState state = SandboxState::kNotReady;
  int64_t created_at = 0;
  Labels labels;
  Labels annotations;
};

struct PodSandboxStatus {
  std::string id;
  PodSandboxMetadata metadata;
  SandboxState state = SandboxState::kNotReady;
  int64_t created_at = 0;
  std::string ip;                           // empty for host-network pods
  std::vector<std::string> additional_ips;
  Labels labels;
  Labels annotations;
};

struct PodSandboxFilter {
  std::string id;  // empty: any
  std::optional<SandboxState> state;
  Labels label_selector;  // all must match
};

enum class MountPropagation { kPrivate = 0, kHostToContainer = 1, kBidirectional = 2 };

struct Mount {
  std::string container_path;
  std::string host_path;
  bool readonly = false;
  MountPropagation propagation = MountPropagation::kPrivate;
};

struct LinuxResources {
  int64_t cpu_period = 0;  // 0: not set
  int64_t cpu_quota = 0;
  int64_t cpu_shares = 0;
  int64_t memory_limit_in_bytes = 0;
  int64_t oom_score_adj = 0;
  std::string cpuset_cpus;
  std::string cpuset_mems;
};

struct ContainerMetadata {
  std::string name;
  uint32_t attempt = 0;  // bump on every restart: (name, attempt) is unique in a sandbox
};

struct ContainerConfig {
  ContainerMetadata metadata;
  std::string image;                  // a name ("docker.io/library/busybox:1.36.1") or id
  std::vector<std::string> command;   // replaces the image ENTRYPOINT when non-empty
  std::vector<std::string> args;      // replaces the image CMD when non-empty
  std::string working_dir;
  std::vector<std::pair<std::string, std::string>> envs;
  std::vector<Mount> mounts;
  Labels labels;
  Labels annotations;
  std::string log_path;  // relative to PodSandboxConfig::log_directory
  bool stdin = false;
  bool stdin_once = false;
  bool tty = false;
  LinuxResources resources;
  bool privileged = false;
  bool readonly_rootfs = false;
  std::optional<int64_t> run_as_user;
  std::optional<int64_t> run_as_group;
  std::vector<std::string> add_capabilities;
  std::vector<std::string> drop_capabilities;
  NamespaceOptions namespace_options;
};

enum class ContainerState { kCreated = 0, kRunning = 1, kExited = 2, kUnknown = 3 };

struct Container {
  std::string id;
  std::string pod_sandbox_id;
  ContainerMetadata metadata;
  std::string image;
  std::string image_ref;
  ContainerState state = ContainerState::kUnknown;
  int64_t created_at = 0;
  Labels labels;
  Labels annotations;
};

struct ContainerStatus {
  std::string id;
  ContainerMetadata metadata;
  ContainerState state = ContainerState::kUnknown;
  int64_t created_at = 0;
  int64_t started_at = 0;
  int64_t finished_at = 0;
  int32_t exit_code = 0;
  std::string image;
  std::string image_ref;
  std::string reason;   // "Completed", "Error", "OOMKilled", ...
  std::string message;
  Labels labels;
  Labels annotations;
  std::vector<Mount> mounts;
  std::string log_path;
};

struct ContainerFilter {
  std::string id;
  std::optional<ContainerState> state;
  std::string pod_sandbox_id;
  Labels label_selector;
};

// A streaming exec (Runtime::exec). At least one of stdin/stdout/stderr must be set; with
// tty, stderr is merged into stdout and must be false.
struct ExecRequest {
  std::string container_id;
  std::vector<std::string> cmd;
  bool tty = false;
  bool stdin = false;
  bool stdout = true;
  bool stderr = true;
};

// A streaming attach to the container's own stdio (Runtime::attach).
struct AttachRequest {
  std::string container_id;
  bool stdin = false;
  bool tty = false;
  bool stdout = true;
  bool stderr = true;
};

struct ExecResult {
  std::string stdout_data;
  std::string stderr_data;
  int32_t exit_code = 0;
};

struct ContainerStats {
  std::string id;
  ContainerMetadata metadata;
  Labels labels;
  Labels annotations;
  int64_t timestamp = 0;  // of the CPU sample
  // Unset when the runtime has no sample (e.g. an exited container).
  std::optional<uint64_t> cpu_usage_core_nano_seconds;
  std::optional<uint64_t> memory_working_set_bytes;
  std::optional<uint64_t> memory_usage_bytes;
  std::optional<uint64_t> memory_rss_bytes;
  std::optional<uint64_t> memory_available_bytes;
  std::optional<uint64_t> writable_layer_bytes;
};

struct ContainerStatsFilter {
  std::string id;
  std::string pod_sandbox_id;
  Labels label_selector;
};

struct Image {
  std::string id;  // "sha256:<config digest>"
  std::vector<std::string> repo_tags;
  std::vector<std::string> repo_digests;
  uint64_t size = 0;
  std::optional<int64_t> uid;
  std::string username;
};

// Registry credentials for one pull (CRI AuthConfig): username/password, or `auth` as
// base64("user:password"), as a docker config file holds them.
struct AuthConfig {
  std::string username;
  std::string password;
  std::string auth;
  std::string server_address;
  bool empty() const { return username.empty() && password.empty() && auth.empty(); }
};

struct VersionInfo {
  std::string version;
  std::string runtime_name;
  std::string runtime_version;
  std::string runtime_api_version;
};

struct RuntimeCondition {
  std::string type;  // "RuntimeReady", "NetworkReady"
  bool status = false;
  std::string reason;
  std::string message;
};

std::string_view containerStateName(ContainerState state);  // "CONTAINER_RUNNING", ...

}  // namespace minik8s::cri
