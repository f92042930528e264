// NodeProxy: pods/log, pods/exec, pods/attach and pods/portforward, served by the kubelet of the pod's node
// (docs/apiserver.md "Node proxy"). It reads the pod (404 `pods "x" not found`), picks and
// checks the container as Kubernetes does (400s), finds the kubelet from the Node
// (status.addresses InternalIP, status.daemonEndpoints.kubeletEndpoint.Port) and then:
// - log: GET /containerLogs/{ns}/{pod}/{container}?... on the kubelet; its answer is passed
//   on (text/plain; chunked while following, from a thread per follower);
// - exec: the WebSocket upgrade goes to /exec/{ns}/{pod}/{container}?...; once the kubelet
//   answers 101 the two connections are spliced byte for byte (the subprotocol the
//   kubelet picked from the client's offer goes back unchanged). A SPDY/3.1 upgrade (kubectl's
//   fallback) goes the same way, and so do attach (/attach/{ns}/{pod}/{container}) and
//   portforward (/portForward/{ns}/{pod}, no container checks: kubectl checks the phase).
// Thread-safe; stop() ends the followers.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "apiserver/http_server.h"
#include "apiserver/kubelet_client.h"
#include "apiserver/request_info.h"
#include "apiserver/rest_handler.h"

namespace minik8s::apiserver {

struct KubeletAddress {
  std::string host;
  uint16_t port = 0;
};

// InternalIP (else Hostname) and the kubelet port (10250 when unset) of a Node object.
// kUnavailable when the node has no address.
Result<KubeletAddress> kubeletAddressOf(const nlohmann::json& node);

// The container a pods/log or pods/exec request addresses: `requested`, else the
// `kubectl.kubernetes.io/default-container` annotation, else the first container.
// 400 `container x is not valid for pod y` for a name the pod does not have.
Result<std::string> pickContainer(const nlohmann::json& pod, const std::string& requested);

// Whether the container's log can be read now, from the pod's status as the kubelet wrote
// it (Kubernetes' validateContainerLogStatus): 400 `container "c" in pod "p" is waiting to
// start: ContainerCreating` and the like.
Status checkLogReadable(const nlohmann::json& pod, const std::string& container, bool previous);
// Exec needs a running container (400 otherwise, with the same wording for waiting ones).
Status checkExecutable(const nlohmann::json& pod, const std::string& container);

// The query to pass to the kubelet: `raw_target`'s query without `container`.
std::string kubeletQuery(const std::string& raw_target);

class NodeProxy {
 public:
  // `kubelet`: how to dial kubelets (the server's ApiServerOptions::kubelet_client).
  NodeProxy(RestHandler& rest, KubeletClient kubelet);
  ~NodeProxy();  // stop()

  // pods/log (GET); pods/exec, attach, portforward (GET or POST with a WebSocket or SPDY
  // upgrade).
  HandlerResult handle(const RequestInfo& info, HttpRequest& request);
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace minik8s::apiserver
