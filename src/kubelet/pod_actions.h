// What the runtime has for one pod, and what to do about it (pure; table-tested).
//
// computePodActions compares a pod's spec with what CRI reports for it and returns the
// steps that converge them: a new sandbox (with every container) when the sandbox is gone
// or broken, containers to start (first start or restart by restartPolicy and back-off),
// containers to kill (spec changed, liveness failed, not in the spec), dead containers
// and sandboxes to garbage-collect. The kubelet executes the steps; nothing here has
// effects.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api/types_core.h"
#include "cri/types.h"

namespace minik8s::kubelet {

struct RuntimeSandbox {
  std::string id;
  cri::SandboxState state = cri::SandboxState::kNotReady;
  uint32_t attempt = 0;
  int64_t created_at = 0;  // ns
  std::string ip;
};

struct RuntimeContainer {
  std::string id;
  std::string sandbox_id;
  std::string name;
  cri::ContainerState state = cri::ContainerState::kUnknown;
  uint32_t restart_count = 0;  // the restartCount annotation
  std::string hash;            // the hash annotation
  std::string image;
  std::string image_ref;
  int64_t created_at = 0;  // ns
  int64_t started_at = 0;
  int64_t finished_at = 0;
  int32_t exit_code = 0;
  std::string reason;
  std::string message;
};

// Everything CRI reports for one pod uid. Sandboxes and containers newest first.
struct PodRuntime {
  std::string uid, name, namespace_;
  std::vector<RuntimeSandbox> sandboxes;
  std::vector<RuntimeContainer> containers;

  const RuntimeContainer* latest(const std::string& container_name) const;
  const RuntimeContainer* previous(const std::string& container_name) const;
  const RuntimeSandbox* newestSandbox() const {
    return sandboxes.empty() ? nullptr : &sandboxes.front();
  }
  bool anyRunning() const;
  void sortNewestFirst();
};

struct ContainerToStart {
  size_t index = 0;  // into pod.spec.containers (or pod.spec.initContainers when `init`)
  uint32_t restart_count = 0;
  bool is_restart = false;
  bool init = false;
};

struct ContainerToKill {
  std::string id;
  std::string name;
  std::string reason;
};

struct WaitingReason {
  std::string reason;  // CrashLoopBackOff, ErrImageNeverPull, CreateContainerError, ...
  std::string message;
};

struct PodActions {
  bool kill_pod = false;  // stop every container and sandbox first
  bool create_sandbox = false;
  uint32_t sandbox_attempt = 0;
  std::string sandbox_id;  // the sandbox to start containers in (when not creating)
  std::vector<ContainerToStart> start;
  std::vector<ContainerToKill> kill;
  std::vector<std::string> remove_containers;  // dead ones beyond latest + previous
  std::vector<std::string> remove_sandboxes;   // dead sandboxes other than the newest
  std::map<std::string, WaitingReason> waiting;  // containers held back, by name
  bool init_failed = false;  // an init container failed under restartPolicy Never
  std::optional<std::chrono::nanoseconds> requeue_after;  // earliest back-off expiry
};

struct ActionInputs {
  // True when the running container with this id failed its liveness or startup probe.
  std::function<bool(const std::string& container_id)> liveness_failed;
  // Time left before a container may restart (nullopt: it may restart now).
  std::function<std::optional<std::chrono::nanoseconds>(const std::string& name,
                                                        const RuntimeContainer& last)>
      backoff_remaining;
};

// Init containers run one at a time, in order, each to success, before any app container
// starts (again after every new sandbox); a failed one is restarted with back-off unless
// the pod's restartPolicy is Never, which fails the pod.

// Whether an exited container runs again under the pod's restartPolicy.
bool shouldRestart(const std::string& restart_policy, int32_t exit_code);

PodActions computePodActions(const api::Pod& pod, const PodRuntime& runtime,
                             const ActionInputs& inputs);

}  // namespace minik8s::kubelet
