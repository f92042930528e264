// The status a kubelet reports for a pod (pure; table-tested): phase, conditions,
// podIP/hostIP, startTime, containerStatuses with state/lastState/ready/restartCount, from
// what CRI reports, the probes and the reasons containers are held back.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "api/types_core.h"
#include "kubelet/pod_actions.h"

namespace minik8s::kubelet {

struct ContainerReadiness {
  bool started = true;
  bool ready = true;
};

struct StatusInputs {
  std::string host_ip;
  std::string now;  // RFC 3339, for transitions and startTime
  // Probe view of a running container by id (defaults: started and ready).
  std::function<ContainerReadiness(const std::string& container_id)> readiness;
  std::map<std::string, WaitingReason> waiting;  // by container name
};

api::PodStatus computePodStatus(const api::Pod& pod, const PodRuntime& runtime,
                                const StatusInputs& inputs);

// Whether two statuses differ in anything but heartbeat-like fields (so the kubelet
// writes only real changes).
bool statusChanged(const api::PodStatus& before, const api::PodStatus& after);

// "containerd://<id>"
std::string containerIdUri(const std::string& id);

}  // namespace minik8s::kubelet
