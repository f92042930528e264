#include "kubelet/pod_status.h"

#include <algorithm>
#include <chrono>

#include <nlohmann/json.hpp>

#include "api/codec.h"
#include "common/clock.h"
#include "kubelet/conditions.h"
#include "kubelet/pod_config.h"

namespace minik8s::kubelet {
namespace {

std::string nsToRfc3339(int64_t ns) {
  if (ns <= 0) return "";
  return formatRfc3339(Clock::WallTime(std::chrono::duration_cast<Clock::WallTime::duration>(
      std::chrono::nanoseconds(ns))));
}

api::ContainerStateTerminated terminatedOf(const RuntimeContainer& c) {
  api::ContainerStateTerminated t;
  t.exit_code = c.exit_code;
  t.reason = c.reason.empty() ? (c.exit_code == 0 ? "Completed" : "Error") : c.reason;
  t.message = c.message;
  t.started_at = nsToRfc3339(c.started_at);
  t.finished_at = nsToRfc3339(c.finished_at);
  t.container_id = containerIdUri(c.id);
  return t;
}

// Name, image, restart count and ids of a container's status; the state comes after.
api::ContainerStatus identityOf(const api::Container& spec, const RuntimeContainer* latest) {
  api::ContainerStatus cs;
  cs.name = spec.name;
  cs.image = latest != nullptr && !latest->image.empty() ? latest->image : spec.image;
  cs.restart_count = latest != nullptr ? static_cast<int32_t>(latest->restart_count) : 0;
  if (latest != nullptr) {
    cs.image_id = latest->image_ref;
    cs.container_id = containerIdUri(latest->id);
  }
  return cs;
}

bool isRunning(const RuntimeContainer* c) {
  return c != nullptr && c->state == cri::ContainerState::kRunning;
}

api::Condition condition(const api::PodStatus& previous, const std::string& type, bool value,
                         const std::string& reason, const std::string& message,
                         const std::string& now) {
  return makeCondition(previous.conditions, type, value, reason, message, now);
}

}  // namespace

std::string containerIdUri(const std::string& id) {
  return id.empty() ? "" : "containerd://" + id;
}

api::PodStatus computePodStatus(const api::Pod& pod, const PodRuntime& runtime,
                                const StatusInputs& inputs) {
  const api::PodStatus& previous = pod.status;
  api::PodStatus status;
  int pending = 0, running = 0, succeeded = 0, failed = 0;
  std::vector<std::string> unready;

  // Init containers: in order, each to success.
  bool initialized = true, init_failed = false;
  std::string incomplete;
  for (const auto& spec : pod.spec.init_containers) {
    const RuntimeContainer* latest = runtime.latest(spec.name);
    api::ContainerStatus cs = identityOf(spec, latest);
    cs.started = isRunning(latest);
    auto waiting = inputs.waiting.find(spec.name);
    bool done = false;
    if (isRunning(latest)) {
      cs.state.running = api::ContainerStateRunning{nsToRfc3339(latest->started_at)};
    } else if (waiting != inputs.waiting.end()) {
      cs.state.waiting = api::ContainerStateWaiting{waiting->second.reason, waiting->second.message};
      if (latest != nullptr && latest->state == cri::ContainerState::kExited) {
        cs.last_state.terminated = terminatedOf(*latest);
      }
    } else if (latest != nullptr && latest->state != cri::ContainerState::kCreated) {
      cs.state.terminated = terminatedOf(*latest);
      done = latest->exit_code == 0;
      if (!done && pod.spec.restart_policy == "Never") init_failed = true;
    } else {
      cs.state.waiting = api::ContainerStateWaiting{"PodInitializing", ""};
    }
    cs.ready = done;
    if (!done) {
      initialized = false;
      incomplete += (incomplete.empty() ? "" : " ") + spec.name;
    }
    status.init_container_statuses.push_back(std::move(cs));
  }

  for (const auto& spec : pod.spec.containers) {
    const RuntimeContainer* latest = runtime.latest(spec.name);
    api::ContainerStatus cs = identityOf(spec, latest);
    auto waiting = inputs.waiting.find(spec.name);
    bool has_run = false;
    if (isRunning(latest)) {
      cs.state.running = api::ContainerStateRunning{nsToRfc3339(latest->started_at)};
      ContainerReadiness r = inputs.readiness ? inputs.readiness(latest->id) : ContainerReadiness{};
      cs.started = r.started;
      cs.ready = r.started && r.ready;
      if (const RuntimeContainer* prev = runtime.previous(spec.name)) {
        cs.last_state.terminated = terminatedOf(*prev);
      }
      ++running;
    } else if (waiting != inputs.waiting.end()) {
      cs.state.waiting = api::ContainerStateWaiting{waiting->second.reason, waiting->second.message};
      cs.started = false;
      if (latest != nullptr && latest->state == cri::ContainerState::kExited) {
        cs.last_state.terminated = terminatedOf(*latest);
        has_run = true;
      }
      has_run ? ++running : ++pending;
    } else if (latest != nullptr && latest->state != cri::ContainerState::kCreated) {
      cs.state.terminated = terminatedOf(*latest);
      cs.started = false;
      if (const RuntimeContainer* prev = runtime.previous(spec.name)) {
        cs.last_state.terminated = terminatedOf(*prev);
      }
      bool restarts = shouldRestart(pod.spec.restart_policy, latest->exit_code);
      if (restarts) {
        ++running;  // about to be restarted
      } else if (latest->exit_code == 0) {
        ++succeeded;
      } else {
        ++failed;
      }
    } else {
      cs.state.waiting =
          api::ContainerStateWaiting{initialized ? "ContainerCreating" : "PodInitializing", ""};
      cs.started = false;
      ++pending;
    }
    if (!cs.ready) unready.push_back(spec.name);
    status.container_statuses.push_back(std::move(cs));
  }

  size_t total = pod.spec.containers.size();
  if (init_failed) {
    status.phase = "Failed";
  } else if (!initialized) {
    status.phase = "Pending";
  } else if (pending > 0) {
    status.phase = "Pending";
  } else if (running > 0) {
    status.phase = "Running";
  } else if (static_cast<size_t>(succeeded + failed) == total && total > 0) {
    status.phase = failed > 0 ? "Failed" : "Succeeded";
  } else {
    status.phase = "Pending";
  }

  bool terminal = status.phase == "Succeeded" || status.phase == "Failed";
  bool all_ready = unready.empty() && total > 0;
  std::string unready_list;
  for (const auto& n : unready) unready_list += (unready_list.empty() ? "" : " ") + n;
  std::string reason = terminal ? "PodCompleted" : (all_ready ? "" : "ContainersNotReady");
  std::string message =
      terminal || all_ready ? "" : "containers with unready status: [" + unready_list + "]";
  status.conditions.push_back(condition(previous, "PodReadyToStartContainers",
                                        runtime.newestSandbox() != nullptr &&
                                            runtime.newestSandbox()->state == cri::SandboxState::kReady,
                                        "", "", inputs.now));
  status.conditions.push_back(condition(
      previous, "Initialized", initialized,
      terminal && initialized ? "PodCompleted" : (initialized ? "" : "ContainersNotInitialized"),
      initialized ? "" : "containers with incomplete status: [" + incomplete + "]", inputs.now));
  status.conditions.push_back(condition(previous, "Ready", all_ready, reason, message, inputs.now));
  status.conditions.push_back(
      condition(previous, "ContainersReady", all_ready, reason, message, inputs.now));
  status.conditions.push_back(condition(previous, "PodScheduled", true, "", "", inputs.now));

  if (const RuntimeSandbox* sandbox = runtime.newestSandbox(); sandbox && !sandbox->ip.empty()) {
    status.pod_ip = sandbox->ip;
    status.pod_ips.push_back({sandbox->ip});
  } else if (pod.spec.host_network) {
    status.pod_ip = inputs.host_ip;
    status.pod_ips.push_back({inputs.host_ip});
  } else if (terminal) {
    status.pod_ip = previous.pod_ip;
    status.pod_ips = previous.pod_ips;
  }
  status.host_ip = inputs.host_ip;
  status.host_ips.push_back({inputs.host_ip});
  status.start_time = previous.start_time.empty() ? inputs.now : previous.start_time;
  status.qos_class = qosClass(pod);
  return status;
}

bool statusChanged(const api::PodStatus& before, const api::PodStatus& after) {
  return api::toJson(before).dump() != api::toJson(after).dump();
}

}  // namespace minik8s::kubelet
