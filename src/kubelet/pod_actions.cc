#include "kubelet/pod_actions.h"

#include <algorithm>
#include <set>

#include "kubelet/pod_config.h"

namespace minik8s::kubelet {

const RuntimeContainer* PodRuntime::latest(const std::string& container_name) const {
  for (const auto& c : containers) {
    if (c.name == container_name) return &c;
  }
  return nullptr;
}

const RuntimeContainer* PodRuntime::previous(const std::string& container_name) const {
  bool seen = false;
  for (const auto& c : containers) {
    if (c.name != container_name) continue;
    if (seen) return &c;
    seen = true;
  }
  return nullptr;
}

bool PodRuntime::anyRunning() const {
  return std::any_of(containers.begin(), containers.end(), [](const RuntimeContainer& c) {
    return c.state == cri::ContainerState::kRunning;
  });
}

void PodRuntime::sortNewestFirst() {
  std::stable_sort(sandboxes.begin(), sandboxes.end(), [](const auto& a, const auto& b) {
    return a.attempt != b.attempt ? a.attempt > b.attempt : a.created_at > b.created_at;
  });
  std::stable_sort(containers.begin(), containers.end(), [](const auto& a, const auto& b) {
    return a.restart_count != b.restart_count ? a.restart_count > b.restart_count
                                              : a.created_at > b.created_at;
  });
}

bool shouldRestart(const std::string& restart_policy, int32_t exit_code) {
  if (restart_policy == "Never") return false;
  if (restart_policy == "OnFailure") return exit_code != 0;
  return true;  // Always (the default)
}

namespace {

bool isDead(const RuntimeContainer& c) {
  return c.state == cri::ContainerState::kExited || c.state == cri::ContainerState::kUnknown;
}

// A container finished for good under the restart policy.
bool finishedForGood(const api::Pod& pod, const RuntimeContainer* latest) {
  return latest != nullptr && isDead(*latest) &&
         !shouldRestart(pod.spec.restart_policy, latest->exit_code);
}

// Holds a container back with CrashLoopBackOff while its back-off runs; true if it may
// start now.
bool mayRestart(const api::Pod& pod, const std::string& name, const RuntimeContainer& last,
                const ActionInputs& inputs, PodActions& actions) {
  auto remaining =
      inputs.backoff_remaining ? inputs.backoff_remaining(name, last) : std::nullopt;
  if (!remaining || remaining->count() <= 0) return true;
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(*remaining).count();
  actions.waiting[name] = {"CrashLoopBackOff",
                           "back-off " + std::to_string(std::max<int64_t>(secs, 1)) +
                               "s restarting failed container=" + name + " pod=" +
                               pod.metadata.name + "_" + pod.metadata.namespace_ + "(" +
                               pod.metadata.uid + ")"};
  if (!actions.requeue_after || *remaining < *actions.requeue_after) {
    actions.requeue_after = *remaining;
  }
  return false;
}

// Steps the init containers of a pod whose sandbox is up: true once every one succeeded;
// else adds what the next one needs (start, restart, or nothing while it runs).
bool stepInitContainers(const api::Pod& pod, const PodRuntime& runtime,
                        const ActionInputs& inputs, PodActions& actions) {
  const auto& inits = pod.spec.init_containers;
  for (size_t i = 0; i < inits.size(); ++i) {
    const std::string& name = inits[i].name;
    const RuntimeContainer* latest = runtime.latest(name);
    if (latest == nullptr) {
      actions.start.push_back({i, 0, false, true});
      return false;
    }
    uint32_t next = latest->restart_count + 1;
    switch (latest->state) {
      case cri::ContainerState::kRunning:
        return false;
      case cri::ContainerState::kCreated:
        actions.kill.push_back({latest->id, name, "never started"});
        actions.start.push_back({i, next, false, true});
        return false;
      case cri::ContainerState::kExited:
      case cri::ContainerState::kUnknown:
        if (latest->exit_code == 0) continue;
        if (pod.spec.restart_policy == "Never") {
          actions.init_failed = true;
          return false;
        }
        if (mayRestart(pod, name, *latest, inputs, actions)) {
          actions.start.push_back({i, next, true, true});
        }
        return false;
    }
  }
  return true;
}

}  // namespace

PodActions computePodActions(const api::Pod& pod, const PodRuntime& runtime,
                             const ActionInputs& inputs) {
  PodActions actions;
  const RuntimeSandbox* sandbox = runtime.newestSandbox();
  for (const auto& s : runtime.sandboxes) {
    if (sandbox != nullptr && s.id != sandbox->id && s.state != cri::SandboxState::kReady) {
      actions.remove_sandboxes.push_back(s.id);
    }
  }

  bool sandbox_ok = sandbox != nullptr && sandbox->state == cri::SandboxState::kReady &&
                    (pod.spec.host_network || !sandbox->ip.empty());
  if (!sandbox_ok) {
    // Once a pod has run, a dead sandbox is replaced only if something should run again.
    bool ran_before = sandbox != nullptr;
    bool all_done = ran_before && std::all_of(pod.spec.containers.begin(),
                                              pod.spec.containers.end(), [&](const auto& c) {
                                                return finishedForGood(pod, runtime.latest(c.name));
                                              });
    bool init_failed = pod.spec.restart_policy == "Never" &&
                       std::any_of(pod.spec.init_containers.begin(), pod.spec.init_containers.end(),
                                   [&](const auto& c) {
                                     const RuntimeContainer* latest = runtime.latest(c.name);
                                     return latest != nullptr && isDead(*latest) &&
                                            latest->exit_code != 0;
                                   });
    actions.kill_pod = !runtime.sandboxes.empty() || !runtime.containers.empty();
    actions.init_failed = init_failed;
    if (all_done || init_failed) return actions;
    actions.create_sandbox = true;
    actions.sandbox_attempt = sandbox == nullptr ? 0 : sandbox->attempt + 1;
    if (!pod.spec.init_containers.empty()) {
      // A new sandbox runs the init containers again, from the first.
      const RuntimeContainer* latest = runtime.latest(pod.spec.init_containers[0].name);
      actions.start.push_back({0, latest ? latest->restart_count + 1 : 0, latest != nullptr, true});
      return actions;
    }
    for (size_t i = 0; i < pod.spec.containers.size(); ++i) {
      const RuntimeContainer* latest = runtime.latest(pod.spec.containers[i].name);
      if (finishedForGood(pod, latest)) continue;
      actions.start.push_back({i, latest ? latest->restart_count + 1 : 0, latest != nullptr});
    }
    return actions;
  }

  actions.sandbox_id = sandbox->id;
  std::set<std::string> spec_names;
  for (const auto& c : pod.spec.init_containers) spec_names.insert(c.name);
  for (const auto& c : pod.spec.containers) spec_names.insert(c.name);
  bool initialized = stepInitContainers(pod, runtime, inputs, actions);
  if (actions.init_failed) actions.kill_pod = true;  // the pod has failed: stop its sandbox
  for (size_t i = 0; initialized && i < pod.spec.containers.size(); ++i) {
    const api::Container& spec = pod.spec.containers[i];
    const RuntimeContainer* latest = runtime.latest(spec.name);
    if (latest == nullptr) {
      actions.start.push_back({i, 0, false});
      continue;
    }
    uint32_t next = latest->restart_count + 1;
    switch (latest->state) {
      case cri::ContainerState::kCreated:
        // Created but never started (e.g. the kubelet died in between): replace it.
        actions.kill.push_back({latest->id, spec.name, "never started"});
        actions.start.push_back({i, next, false});
        break;
      case cri::ContainerState::kRunning:
        if (latest->hash != containerHash(spec)) {
          actions.kill.push_back({latest->id, spec.name, "Container spec changed"});
          actions.start.push_back({i, next, true});
        } else if (inputs.liveness_failed && inputs.liveness_failed(latest->id)) {
          actions.kill.push_back({latest->id, spec.name, "failed liveness probe"});
          if (pod.spec.restart_policy != "Never") actions.start.push_back({i, next, true});
        }
        break;
      case cri::ContainerState::kExited:
      case cri::ContainerState::kUnknown: {
        if (!shouldRestart(pod.spec.restart_policy, latest->exit_code)) break;
        if (mayRestart(pod, spec.name, *latest, inputs, actions)) {
          actions.start.push_back({i, next, true});
        }
        break;
      }
    }
  }

  // Every container finished for good: the pod is over, stop its sandbox (frees the IP;
  // the containers stay for status and logs until the pod is deleted).
  if (!pod.spec.containers.empty() &&
      std::all_of(pod.spec.containers.begin(), pod.spec.containers.end(),
                  [&](const auto& c) { return finishedForGood(pod, runtime.latest(c.name)); })) {
    actions.kill_pod = true;
  }

  // Containers the spec no longer has; dead ones beyond latest and previous.
  std::map<std::string, int> seen;
  for (const auto& c : runtime.containers) {
    int n = seen[c.name]++;
    if (!spec_names.count(c.name)) {
      if (!isDead(c)) actions.kill.push_back({c.id, c.name, "not in the pod spec"});
      continue;
    }
    if (n >= 2 && isDead(c)) actions.remove_containers.push_back(c.id);
  }
  return actions;
}

}  // namespace minik8s::kubelet
