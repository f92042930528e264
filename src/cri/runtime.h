// Runtime: what the kubelet needs from a container runtime, in CRI v1 terms. CriRuntime
// speaks gRPC to containerd; FakeRuntime keeps everything in memory for tests.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "common/status.h"
#include "cri/types.h"

namespace minik8s::cri {

// The runtime and image services of one node. Implementations are thread-safe. Errors use
// the common codes: kNotFound (no such sandbox/container/image), kAlreadyExists (name
// (with attempt) already reserved), kUnavailable (runtime down), kDeadlineExceeded (a call
// ran past its deadline), kInvalid (bad request), kInternal (anything else).
class Runtime {
 public:
  virtual ~Runtime() = default;

  virtual Result<VersionInfo> version() = 0;
  // Conditions RuntimeReady and NetworkReady.
  virtual Result<std::vector<RuntimeCondition>> status() = 0;

  // Creates and starts the sandbox (pause container and pod network); returns its id.
  virtual Result<std::string> runPodSandbox(const PodSandboxConfig& config) = 0;
  // Idempotent: stopping a stopped or unknown sandbox is ok.
  virtual Status stopPodSandbox(const std::string& sandbox_id) = 0;
  // Idempotent; also removes the sandbox's containers.
  virtual Status removePodSandbox(const std::string& sandbox_id) = 0;
  virtual Result<PodSandboxStatus> podSandboxStatus(const std::string& sandbox_id) = 0;
  virtual Result<std::vector<PodSandbox>> listPodSandbox(const PodSandboxFilter& filter) = 0;

  // `sandbox_config` must be the config the sandbox was created with.
  virtual Result<std::string> createContainer(const std::string& sandbox_id,
                                              const ContainerConfig& config,
                                              const PodSandboxConfig& sandbox_config) = 0;
  virtual Status startContainer(const std::string& container_id) = 0;
  // SIGTERM (the image's stop signal), then SIGKILL after `grace`; 0 kills at once.
  // Idempotent.
  virtual Status stopContainer(const std::string& container_id, std::chrono::seconds grace) = 0;
  virtual Status removeContainer(const std::string& container_id) = 0;  // idempotent
  virtual Result<std::vector<Container>> listContainers(const ContainerFilter& filter) = 0;
  virtual Result<ContainerStatus> containerStatus(const std::string& container_id) = 0;

  // Runs `cmd` in the container and waits up to `timeout` (0: no limit).
  virtual Result<ExecResult> execSync(const std::string& container_id,
                                      const std::vector<std::string>& cmd,
                                      std::chrono::seconds timeout) = 0;

  // Prepares a streaming exec and returns the one-time URL of the runtime's streaming
  // server ("http://127.0.0.1:PORT/exec/TOKEN"), which speaks the kubelet streaming
  // protocols (WebSocket channel.k8s.io v4, SPDY). The URL expires after a minute unused.
  virtual Result<std::string> exec(const ExecRequest& request) = 0;
  // The same for attaching to the container's main process, and for forwarding TCP
  // ports into the sandbox's network namespace (the runtime dials them; SPDY
  // portforward.k8s.io, the ports named per stream).
  virtual Result<std::string> attach(const AttachRequest& request) = 0;
  virtual Result<std::string> portForward(const std::string& pod_sandbox_id,
                                          const std::vector<int32_t>& ports) = 0;

  virtual Result<ContainerStats> containerStats(const std::string& container_id) = 0;
  virtual Result<std::vector<ContainerStats>> listContainerStats(
      const ContainerStatsFilter& filter) = 0;

  virtual Result<std::vector<Image>> listImages() = 0;
  // kNotFound when no image has that name (or id).
  virtual Result<Image> imageStatus(const std::string& image) = 0;
  virtual Status removeImage(const std::string& image) = 0;  // idempotent
  // Pulls `image` from its registry (through the node's registry config: mirrors,
  // plain-HTTP hosts) with `auth` (may be empty); returns the image's reference (id).
  // kNotFound when the registry has no such image, kUnavailable when it cannot be reached,
  // kPermissionDenied-like failures as kInternal with the registry's message.
  virtual Result<std::string> pullImage(const std::string& image, const AuthConfig& auth,
                                        const PodSandboxConfig& sandbox_config) = 0;
};

}  // namespace minik8s::cri
