// The nginx add-on's configuration, computed purely from the objects that route HTTP
// traffic: the original project's `Dns` kind (v1), networking.k8s.io/v1 Ingresses, and the
// Services they name.
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
#include "api/types_networking.h"

namespace minik8s::controller {

enum class PathMatch { kPrefix, kExact };

struct IngressRoute {
  std::string owner;  // "namespace/name" of a Dns, "Ingress namespace/name" of an Ingress
  // Host name; "" is any host the other servers do not name (nginx's default server);
  // "*.example.com" matches exactly one leftmost label.
  std::string host;
  std::string path;  // "/..." without a trailing slash, except "/" itself
  PathMatch match = PathMatch::kPrefix;
  bool strip_prefix = false;  // the original's Dns semantics
  std::string service_namespace;
  std::string service_name;
  int32_t service_port = 0;
  std::string service_port_name;  // resolved through the Service when service_port is 0
  // A fallback (an Ingress' defaultBackend under its own hosts) yields silently to any
  // other route claiming the same path, and claims after all others.
  bool fallback = false;
  std::string problem;  // set: the route cannot be served (503), and this is why
};

struct RenderedIngress {
  std::string config;  // the whole nginx.conf
  // owner -> what is wrong with it ("" problems: the object is fully served).
  std::map<std::string, std::vector<std::string>> problems;
  // Every named host served, lower case, sorted ("" and wildcards are not listed).
  std::vector<std::string> hosts;
};

// The routes of a Dns: one Prefix route per path, stripping the prefix. An empty urlPath
// is "/".
std::vector<IngressRoute> routesOfDns(const api::Dns& dns);

// The owner name of an Ingress' routes: "Ingress namespace/name".
std::string ingressOwner(const api::Ingress& ingress);

// The routes of an Ingress, path kept: one per rule path, Exact for pathType Exact and
// Prefix otherwise (ImplementationSpecific is served as Prefix; an empty path is "/"); a
// rule without host serves any host no other server names. A defaultBackend serves "/" of
// that default server, and is the fallback "/" of each host the Ingress' rules name. A
// resource backend, which nginx cannot reach, is a route with a problem.
std::vector<IngressRoute> routesOfIngress(const api::Ingress& ingress);

// nginx.conf for `routes` (in any order) against `services`. Routes are served per host in
// a `server` block; within a host the first route (Exact, then the rest, then fallbacks; by
// owner, then given order) to claim a (path, match) keeps it. A server without a "/" route
// answers 404 for what no route matches. Hosts or paths with characters nginx would
// misread are refused as problems.
RenderedIngress renderNginxConfig(const std::vector<IngressRoute>& routes,
                                  const std::vector<std::shared_ptr<const api::Service>>& services);

}  // namespace minik8s::controller
