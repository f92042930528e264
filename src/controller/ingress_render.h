// The nginx add-on's configuration, computed purely from the objects that route HTTP
// traffic: the original project's `Dns` kind (v1) and the Services they name.
//
// Each object becomes routes (host, path, match, backend). The original's `Dns` routes are
// Prefix matches whose prefix is stripped on the way to the Service (/test/x reaches the
// Service as /x); Kubernetes' Ingress semantics (Prefix or Exact, path passed unchanged)
// are the same routes with strip_prefix off, so one renderer serves both. A route whose
// Service or port is missing, whose Service has no ClusterIP, or whose host/path another
// object already claimed renders as a 503 (or not at all, for a conflict) and is reported
// as a problem of its object; nothing here fails or throws.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "api/types_apps.h"
#include "api/types_core.h"

namespace minik8s::controller {

enum class PathMatch { kPrefix, kExact };

struct IngressRoute {
  std::string owner;  // "namespace/name" of the object the route comes from
  std::string host;   // lower-case host name
  std::string path;   // "/..." without a trailing slash, except "/" itself
  PathMatch match = PathMatch::kPrefix;
  bool strip_prefix = false;  // the original's Dns semantics
  std::string service_namespace;
  std::string service_name;
  int32_t service_port = 0;
};

struct RenderedIngress {
  std::string config;  // the whole nginx.conf
  // owner -> what is wrong with it ("" problems: the object is fully served).
  std::map<std::string, std::vector<std::string>> problems;
  // Every host served, lower case, sorted (for the cluster DNS and the hosts block).
  std::vector<std::string> hosts;
};

// The routes of a Dns: one Prefix route per path, stripping the prefix. An empty urlPath
// is "/".
std::vector<IngressRoute> routesOfDns(const api::Dns& dns);

// nginx.conf for `routes` (in any order) against `services`. Routes are served per host in
// a `server` block; within a host the first route (by owner, then given order) to claim a
// (path, match) keeps it. Hosts or paths with characters nginx would misread are refused
// as problems.
RenderedIngress renderNginxConfig(const std::vector<IngressRoute>& routes,
                                  const std::vector<std::shared_ptr<const api::Service>>& services);

}  // namespace minik8s::controller
