// Probe handlers of the kubelet: one exec, httpGet or tcpSocket check of one container,
// run once and answered with a ProbeOutcome. Stateless free functions; each call blocks
// for at most its timeout (exec waits on the runtime's own deadline). Thread-safe.
// ProbeManager (probe_manager.h) decides when to run them and what the answers mean.
//
// Results follow Kubernetes: kSuccess and kFailure are answers about the container;
// kUnknown means the probe could not be run at all (bad port name, runtime error, an
// unsupported handler) and is not counted against any threshold.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "api/types_core.h"
#include "common/status.h"
#include "cri/runtime.h"

namespace minik8s::kubelet {

enum class ProbeResult { kSuccess, kFailure, kUnknown };

std::string_view probeResultName(ProbeResult result);  // "Success", "Failure", "Unknown"

struct ProbeOutcome {
  ProbeResult result = ProbeResult::kUnknown;
  // Why it failed ("HTTP probe failed with statuscode: 500"), a warning on success (an
  // off-host redirect), or the command's output of an exec probe.
  std::string message;
};

// Runs `command` in the container through Runtime::execSync: exit code 0 is kSuccess,
// any other code kFailure, a deadline exceeded kFailure ("command timed out"), any other
// runtime error kUnknown.
ProbeOutcome runExecProbe(cri::Runtime& runtime, const std::string& container_id,
                          const std::vector<std::string>& command, std::chrono::seconds timeout);

// A blocking HTTP/1.1 GET of http://host:port/path with `headers` (a "Host" header
// replaces the default Host) and one deadline of `timeout` for the whole exchange,
// redirects included. 200..399 is kSuccess; redirects to the same host are followed (at
// most 10); a redirect to another host is kSuccess with a warning message, as Kubernetes
// does. Connection errors, timeouts and other codes are kFailure. `scheme` "HTTP" or
// empty; "HTTPS" is kUnknown (not supported).
ProbeOutcome runHttpGetProbe(const std::string& host, int32_t port, const std::string& path,
                             const std::string& scheme, const std::vector<api::HttpHeader>& headers,
                             std::chrono::milliseconds timeout);

// Opens a TCP connection to host:port within `timeout` and closes it: kSuccess if it
// connected, kFailure otherwise.
ProbeOutcome runTcpProbe(const std::string& host, int32_t port, std::chrono::milliseconds timeout);

// The port number of a probe's port: a number as is, a name looked up in the
// container's `ports[].name` (then, like Kubernetes, a numeric string). kInvalid when the
// name is unknown or the number is outside 1..65535.
Result<int32_t> resolveProbePort(const api::IntOrString& port, const api::Container& container);

// A probe with Kubernetes' defaults filled in for unset (zero) fields: timeoutSeconds 1,
// periodSeconds 10, successThreshold 1, failureThreshold 3, httpGet path "/", scheme HTTP.
api::Probe probeWithDefaults(api::Probe probe);

// Runs whichever handler `probe` has against one container of a pod whose IP is
// `pod_ip` (the host when the handler names none). grpc probes and probes without a
// handler are kUnknown.
ProbeOutcome runProbe(cri::Runtime& runtime, const api::Probe& probe,
                      const api::Container& container, const std::string& pod_ip,
                      const std::string& container_id);

}  // namespace minik8s::kubelet
