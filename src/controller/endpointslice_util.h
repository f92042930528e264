// Pure helpers the Endpoints and EndpointSlice controllers share (Kubernetes'
// pkg/controller/util/endpointslice and endpoint): which pods belong in endpoints, their
// addresses and ports, which services a pod change touches, and the
// last-change-trigger-time tracker. No I/O; thread-safe (the tracker has a mutex).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "api/selector.h"
#include "api/types_core.h"
#include "client/informer.h"
#include "common/clock.h"
#include "controller/pod_util.h"

namespace minik8s::controller {

using ServicePtr = std::shared_ptr<const api::Service>;

// A Service the endpoint controllers manage: it has a selector and is not ExternalName.
bool serviceHasSelector(const api::Service& svc);
// The Service's selector as a matcher (nothing when it has none).
api::LabelSelector serviceSelector(const api::Service& svc);

// No cluster IP (clusterIP None or unset): Kubernetes' !IsServiceIPSet.
bool isHeadlessService(const api::Service& svc);

// ShouldPodBeInEndpoints: not finished (Succeeded/Failed), has an IP, and (unless
// `include_terminating`) not being deleted.
bool shouldPodBeInEndpoints(const api::Pod& pod, bool include_terminating);
// ShouldSetHostname: the pod's hostname is set and its subdomain names the Service (same
// namespace). Kubernetes does not require the Service to be headless, and neither do we.
bool shouldSetHostname(const api::Pod& pod, const api::Service& svc);
// FindPort: the container port a Service port reaches on `pod`: an integer targetPort as
// is, a named one through the pod's containers' (and sidecars') ports of the same
// protocol; nullopt when the name resolves nowhere.
std::optional<int32_t> findPort(const api::Pod& pod, const api::ServicePort& port);

bool isIpv6(std::string_view ip);
// The pod's IPs of one family ("IPv4" or "IPv6"), from status.podIPs (status.podIP when
// the list is empty).
std::vector<std::string> podIpsOfFamily(const api::Pod& pod, std::string_view family);

// podEndpointsChanged: {the pod's endpoint changed (deletion, readiness, IPs, finished),
// its labels/hostname/subdomain changed (service membership may have)}.
std::pair<bool, bool> podEndpointsChanged(const api::Pod& old_pod, const api::Pod& pod);

// Keys ("namespace/name") of the Services in the pod's namespace whose selector matches it.
std::set<std::string> podServiceMemberships(const client::Lister<api::Service>& services,
                                            const api::Pod& pod);
// GetServicesToUpdateOnPodChange: the Services to sync after a pod update: none when its
// endpoint and labels are unchanged; its new Services when only the endpoint changed; with
// a label change, the old and new Services (all of them when the endpoint changed too,
// else the symmetric difference).
std::set<std::string> servicesToUpdateOnPodChange(const client::Lister<api::Service>& services,
                                                  const api::Pod& old_pod, const api::Pod& pod);

// TriggerTimeTracker: computes the endpoints.kubernetes.io/last-change-trigger-time of a
// Service's endpoints as Kubernetes does: the Service's creationTimestamp on its first
// sync, afterwards the earliest of the trigger times (pods' Ready-condition transition,
// the Service's creation) that changed since the previous sync; nullopt when none did.
// Thread-safe; REQUIRES: not called concurrently for the same Service (the work queue
// guarantees it).
class TriggerTimeTracker {
 public:
  std::optional<Clock::WallTime> compute(const api::Service& svc, const std::vector<PodPtr>& pods);
  void deleteService(const std::string& key);

 private:
  struct State {
    std::map<std::string, Clock::WallTime> pod_times;
    std::optional<Clock::WallTime> service_time;
  };
  std::mutex mu_;
  std::map<std::string, State> states_;  // GUARDED_BY(mu_)
};

}  // namespace minik8s::controller
