// The decisions of `update <kind> -f FILE`: which object to PUT, and when a pod must be
// replaced (deleted, waited for, created again, like `kubectl replace --force`) because
// Kubernetes forbids the change in place. Pure functions but waitUntilGone, whose time and
// sleep are injected; thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "api/scheme.h"
#include "common/clock.h"
#include "common/status.h"

namespace minik8s::cli {

// The object `update` PUTs: the manifest with the stored resourceVersion (so the PUT is a
// compare-and-swap) and the fields the cluster allocated, which a manifest never carries:
// a Service's clusterIP(s), a bound Pod's nodeName (kept only when the manifest names no
// node) and a Pod's tolerations the manifest lacks (the apiserver adds the default
// NoExecute ones; tolerations may be added in place, never removed).
nlohmann::json objectForUpdate(const api::ResourceInfo& resource, const nlohmann::json& manifest,
                               const nlohmann::json& current);

// Why a pod cannot be updated in place although the server would take the PUT: the object
// names another node than the stored pod's. Kubernetes sets spec.nodeName only through the
// binding subresource; our server lets a PUT set it once (its binding shares the update
// path), which would bind the pod to a node no scheduler or admission chose.
bool changesNodeName(const nlohmann::json& object, const nlohmann::json& current);

// Whether a refused PUT of a pod was refused only because Kubernetes forbids changing the
// pod's spec in place: 422 Invalid whose every cause is `spec: Forbidden: pod updates may
// not change fields ...`. Any other cause (a bad value) is the user's error to see.
bool isForbiddenPodUpdate(const Status& status);

// How long `update` waits for a replaced pod to go: its grace period
// (metadata.deletionGracePeriodSeconds, else spec.terminationGracePeriodSeconds, else 30 s)
// plus 30 s for the kubelet to report.
std::chrono::milliseconds replaceTimeout(const nlohmann::json& pod);

// Calls `present` every `interval` until it answers false (the object is gone), then ok.
// An error from `present` is returned as it is; when `timeout` passes first, kDeadlineExceeded
// "error: timed out waiting for <what> to be deleted".
struct WaitSeams {
  Clock& clock;
  std::function<void(std::chrono::milliseconds)> sleep;
};
Status waitUntilGone(const std::function<Result<bool>()>& present, const std::string& what,
                     std::chrono::milliseconds timeout, const WaitSeams& seams,
                     std::chrono::milliseconds interval = std::chrono::milliseconds(200));

// The line `update` prints when it replaced a pod: "pod/NAME replaced (its spec cannot
// change in place)".
std::string replacedMessage(const api::ResourceInfo& resource, const std::string& name);

}  // namespace minik8s::cli
