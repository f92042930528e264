// StatusManager: writes the status of the pods the kubelet runs (Kubernetes' status
// manager). setPodStatus computes it (computePodStatus, pure) from the pod, what CRI
// reports, the probes' view and the reasons containers wait, and patches the pod's status
// subresource only when it differs from what the pod shows (statusChanged) and from what
// this manager last wrote for the pod (the informer may not have caught up with it). A
// failed write is forgotten, so the next sync writes again; forgetPod() when the pod is
// gone.
//
// Owned by the Kubelet; thread-safe.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "api/types_core.h"
#include "client/client.h"
#include "common/clock.h"
#include "kubelet/pod_actions.h"
#include "kubelet/pod_status.h"

namespace minik8s::kubelet {

class StatusManager {
 public:
  // The probes' view of a running container, by id.
  using Readiness = std::function<ContainerReadiness(const std::string& container_id)>;

  StatusManager(client::Client& client, std::string host_ip, Readiness readiness,
                Clock& clock = Clock::real());

  void setPodStatus(const api::Pod& pod, const PodRuntime& runtime,
                    const std::map<std::string, WaitingReason>& waiting);
  void forgetPod(const std::string& uid);

 private:
  client::Client& client_;
  const std::string host_ip_;
  const Readiness readiness_;
  Clock& clock_;

  std::mutex mu_;
  std::map<std::string, std::string> last_status_;  // uid → status JSON. GUARDED_BY(mu_)
};

}  // namespace minik8s::kubelet
