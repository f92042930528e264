// Layout and config.toml of a node's own containerd instance (pure; table-tested).
#pragma once

#include <string>

namespace minik8s::node {

// The base directory of the node's own containerd when nothing else is configured; its
// CRI socket is <base>/containerd.sock.
inline constexpr const char* kDefaultContainerdBaseDir = "/var/lib/minik8s/containerd";

// Where one containerd instance keeps everything. Derived from one base directory so that
// several nodes can share a machine; keep the base short (unix sockets: < 108 bytes).
struct ContainerdPaths {
  std::string base_dir;
  std::string config_file;   // <base>/config.toml
  std::string log_file;      // <base>/containerd.log
  std::string root_dir;      // <base>/root       (content store, snapshots)
  std::string state_dir;     // <base>/state      (tasks, sandbox netns mounts)
  std::string opt_dir;       // <base>/root/opt
  std::string runc_root;     // <base>/state/runc (runc's own state)
  std::string socket;        // <base>/containerd.sock: the CRI endpoint
  std::string ttrpc_socket;  // <base>/containerd.sock.ttrpc
  std::string debug_socket;  // <base>/debug.sock
  std::string cni_conf_dir;  // <base>/cni
  std::string cni_ipam_dir;  // <base>/cni-ipam (host-local leases)
  std::string registry_hosts_dir;  // <base>/certs.d: one <host>/hosts.toml per registry
};

ContainerdPaths containerdPaths(const std::string& base_dir);

struct ContainerdConfigOptions {
  std::string sandbox_image = "k8s.local/pause:1.0";  // must be imported before pods run
  std::string runc_binary = "/usr/sbin/runc";
  std::string cni_bin_dir = "/usr/lib/cni";
  std::string snapshotter = "overlayfs";
  std::string log_level = "info";
};

// containerd 1.6 config (version 2) with the CRI plugin set up for this machine: runc
// with the cgroupfs driver, restrict_oom_score_adj (no CAP_SYS_RESOURCE here), no
// AppArmor, pod netns under the state dir, CNI conf from paths.cni_conf_dir, streaming on
// loopback only.
std::string renderContainerdConfig(const ContainerdPaths& paths,
                                   const ContainerdConfigOptions& options);

// A TOML basic string: quoted, with \ " and control characters escaped.
std::string tomlString(const std::string& s);

}  // namespace minik8s::node
