// FakeRuntime: an in-memory Runtime for kubelet unit tests and hollow nodes.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/clock.h"
#include "cri/runtime.h"

namespace minik8s::cri {

// Behaves like containerd's CRI plugin where the kubelet can tell the difference: sandbox
// and container names (with attempt) are reserved until removal (kAlreadyExists), an
// absent image fails createContainer with kNotFound, stopPodSandbox kills the sandbox's
// containers (exit 137), removePodSandbox removes them, stop/remove are idempotent. Sandbox
// IPs come from 10.88.0.0/16 in order. Tests drive the rest: make a container exit, inject
// an error for the next call of a method, read the call log. Owned by the test;
// thread-safe.
class FakeRuntime : public Runtime {
 public:
  explicit FakeRuntime(Clock& clock = Clock::real());

  // ---- test controls ----
  void addImage(const std::string& name, uint64_t size = 1 << 20);
  // An image the fake's "registry" serves to pullImage; with `credentials` set, a pull must
  // carry that username and password (else it fails as a registry's 401 does).
  void addRegistryImage(const std::string& name, std::optional<AuthConfig> credentials = {});
  // The auth of the last pullImage call, and of the last one that succeeded.
  AuthConfig lastPullAuth() const;
  AuthConfig lastSuccessfulPullAuth() const;
  // The next call of `method` ("runPodSandbox", "startContainer", ...) returns `status`.
  void failNext(const std::string& method, Status status);
  // A running container exits (as if its process ended).
  void exitContainer(const std::string& container_id, int32_t exit_code,
                     const std::string& reason = "");
  void setExecResult(ExecResult result);
  // What exec() answers for a running container (a test's own streaming server). Unset:
  // exec() is kUnavailable, the fake has no streaming server.
  void setExecUrl(std::string url);
  // The request of the last successful exec() call.
  ExecRequest lastExecRequest() const;
  void setAvailable(bool available);  // false: every call returns kUnavailable

  // ---- hollow-node controls (defaults keep the behaviour above) ----
  // Sandbox IPs from this IPv4 CIDR (e.g. the node's podCIDR) instead of 10.88.0.0/16: the
  // lowest free host address from the network's .2 up, freed when the sandbox is removed.
  // kInvalid for anything but an IPv4 CIDR with room for one address.
  Status setPodCidr(const std::string& cidr);
  // true: every image is present (imageStatus and createContainer accept any reference,
  // as if it had been pulled), so a hollow node runs any pod without a registry.
  void setAnyImagePresent(bool any);
  // false: calls() stays empty; a long-running fake (a hollow node) must not grow a log.
  void setRecordCalls(bool record);
  // Methods called so far, in order ("runPodSandbox", "createContainer", ...).
  std::vector<std::string> calls() const;
  void clearCalls();

  // ---- Runtime ----
  Result<VersionInfo> version() override;
  Result<std::vector<RuntimeCondition>> status() override;
  Result<std::string> runPodSandbox(const PodSandboxConfig& config) override;
  Status stopPodSandbox(const std::string& sandbox_id) override;
  Status removePodSandbox(const std::string& sandbox_id) override;
  Result<PodSandboxStatus> podSandboxStatus(const std::string& sandbox_id) override;
  Result<std::vector<PodSandbox>> listPodSandbox(const PodSandboxFilter& filter) override;
  Result<std::string> createContainer(const std::string& sandbox_id,
                                      const ContainerConfig& config,
                                      const PodSandboxConfig& sandbox_config) override;
  Status startContainer(const std::string& container_id) override;
  Status stopContainer(const std::string& container_id, std::chrono::seconds grace) override;
  Status removeContainer(const std::string& container_id) override;
  Result<std::vector<Container>> listContainers(const ContainerFilter& filter) override;
  Result<ContainerStatus> containerStatus(const std::string& container_id) override;
  Result<ExecResult> execSync(const std::string& container_id,
                              const std::vector<std::string>& cmd,
                              std::chrono::seconds timeout) override;
  Result<std::string> exec(const ExecRequest& request) override;
  // Both answer the exec URL (setExecUrl) with /attach/ or /portforward/ in place of /exec/.
  Result<std::string> attach(const AttachRequest& request) override;
  Result<std::string> portForward(const std::string& pod_sandbox_id,
                                  const std::vector<int32_t>& ports) override;
  Result<ContainerStats> containerStats(const std::string& container_id) override;
  Result<std::vector<ContainerStats>> listContainerStats(
      const ContainerStatsFilter& filter) override;
  Result<std::vector<Image>> listImages() override;
  Result<Image> imageStatus(const std::string& image) override;
  Status removeImage(const std::string& image) override;
  Result<std::string> pullImage(const std::string& image, const AuthConfig& auth,
                                const PodSandboxConfig& sandbox_config) override;

 private:
  struct SandboxRecord {
    PodSandboxStatus status;
    std::string reserved_name;
  };
  struct ContainerRecord {
    std::string sandbox_id;
    ContainerStatus status;
    std::string reserved_name;
  };

  // REQUIRES: mu_ is held. Records the call; returns an injected or availability error.
  Status enter(const std::string& method);
  int64_t nowNs() const;
  const Image* findImage(const std::string& name) const;  // REQUIRES: mu_ is held
  // REQUIRES: mu_ is held. findImage, or with any_image_ a new image of that name.
  const Image* findOrAddImage(const std::string& name);
  void addImageLocked(const std::string& name, uint64_t size);  // REQUIRES: mu_ is held
  // REQUIRES: mu_ is held. The next sandbox IP ("" when a set CIDR is full).
  std::string allocateIp();
  void releaseIp(const std::string& ip);  // REQUIRES: mu_ is held
  void killContainer(ContainerRecord& c, int32_t exit_code, const std::string& reason);

  Clock& clock_;
  mutable std::mutex mu_;
  std::map<std::string, Image> images_;                 // by id. GUARDED_BY(mu_)
  std::map<std::string, std::optional<AuthConfig>> registry_;  // GUARDED_BY(mu_)
  AuthConfig last_pull_auth_;                                   // GUARDED_BY(mu_)
  AuthConfig last_successful_pull_auth_;                        // GUARDED_BY(mu_)
  std::map<std::string, SandboxRecord> sandboxes_;      // GUARDED_BY(mu_)
  std::map<std::string, ContainerRecord> containers_;   // GUARDED_BY(mu_)
  std::set<std::string> reserved_names_;                // GUARDED_BY(mu_)
  std::map<std::string, Status> fail_next_;             // GUARDED_BY(mu_)
  std::vector<std::string> calls_;                      // GUARDED_BY(mu_)
  ExecResult exec_result_;                              // GUARDED_BY(mu_)
  std::string exec_url_;                                // GUARDED_BY(mu_)
  ExecRequest last_exec_;                               // GUARDED_BY(mu_)
  bool available_ = true;                               // GUARDED_BY(mu_)
  bool any_image_ = false;                              // GUARDED_BY(mu_)
  bool record_calls_ = true;                            // GUARDED_BY(mu_)
  // setPodCidr: host addresses [cidr_first_, cidr_last_] and those in use.
  bool cidr_set_ = false;                               // GUARDED_BY(mu_)
  uint32_t cidr_first_ = 0, cidr_last_ = 0;             // GUARDED_BY(mu_)
  std::set<uint32_t> cidr_used_;                        // GUARDED_BY(mu_)
  uint64_t next_id_ = 1;                                // GUARDED_BY(mu_)
  uint32_t next_ip_ = 2;                                // GUARDED_BY(mu_)
};

}  // namespace minik8s::cri
