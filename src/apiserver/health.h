// Health endpoints as kube-apiserver serves them: /livez and /readyz run named checks
// ("ping", "etcd", ...); /readyz/<check> runs one. Pure rendering of already-run checks.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "apiserver/http_server.h"
#include "common/status.h"

namespace minik8s::apiserver {

struct HealthCheck {
  std::string name;             // "etcd"
  std::function<Status()> run;  // ok when healthy; the message says why not
};

// Serves `request` when its path is `/<endpoint>`, `/<endpoint>/` or `/<endpoint>/<check>`
// (nullopt otherwise). Like kube-apiserver: 200 "ok" when every check passes; with
// `?verbose` one "[+]name ok" / "[-]name failed: reason" line per check and a closing
// "<endpoint> check passed|failed"; 503 with the listing when one fails; `?exclude=name`
// (repeatable) skips a check; an unknown single check is 404. Checks run in order.
std::optional<HttpResponse> serveHealth(const std::string& endpoint,
                                        const std::vector<HealthCheck>& checks,
                                        const HttpRequest& request);

}  // namespace minik8s::apiserver
