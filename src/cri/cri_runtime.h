// CriRuntime: the Runtime interface over CRI v1 gRPC (containerd's CRI plugin).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "cri/runtime.h"

namespace minik8s::cri {

struct CriRuntimeOptions {
  std::chrono::milliseconds call_timeout{30000};        // most calls
  std::chrono::milliseconds sandbox_call_timeout{120000};  // RunPodSandbox, StopPodSandbox
  std::chrono::milliseconds pull_timeout{300000};           // PullImage
};

// One gRPC channel to one CRI endpoint; every call carries its own deadline and gRPC
// errors become Status here, once. The channel reconnects by itself, so a containerd
// restart only fails the calls made while it is down (kUnavailable). Thread-safe.
class CriRuntime : public Runtime {
 public:
  // `endpoint`: a socket path ("/run/minik8s/containerd.sock") or "unix:///path".
  // Does not wait for the runtime; see waitReady().
  static std::unique_ptr<CriRuntime> connect(const std::string& endpoint,
                                             CriRuntimeOptions options = {});
  ~CriRuntime() override;

  const std::string& endpoint() const { return endpoint_; }

  // Polls Version until it answers or `timeout` passes (kDeadlineExceeded).
  Status waitReady(std::chrono::milliseconds timeout);

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
  struct Impl;
  CriRuntime(std::string endpoint, std::unique_ptr<Impl> impl);

  std::string endpoint_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace minik8s::cri
