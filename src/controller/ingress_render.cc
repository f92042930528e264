#include "controller/ingress_render.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <sstream>

namespace minik8s::controller {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// A DNS-1123 subdomain: nothing nginx could read as syntax.
bool safeHost(const std::string& host) {
  if (host.empty() || host.size() > 253 || host.front() == '.' || host.back() == '.' ||
      host.front() == '-' || host.back() == '-')
    return false;
  return std::all_of(host.begin(), host.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
  });
}

// An absolute URL path of unreserved and a few sub-delimiter characters; no quote,
// semicolon, brace, '$', '#', backslash or space that nginx would take as syntax.
bool safePath(const std::string& path) {
  if (path.empty() || path.front() != '/' || path.find("//") != std::string::npos) return false;
  static const std::string kAllowed = "-._~/%:@!&()*+,=";
  return std::all_of(path.begin(), path.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || kAllowed.find(c) != std::string::npos;
  });
}

std::string normalizePath(std::string path) {
  if (path.empty()) return "/";
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

struct Location {
  std::string spec;     // "= /test" or "/test/"
  std::string target;   // "http://10.96.0.5:80/" or "" for 503
  std::string comment;  // owner and backend
};

std::string upstreamOf(const std::string& ip, int32_t port) {
  std::string host = ip.find(':') != std::string::npos ? "[" + ip + "]" : ip;
  return "http://" + host + ":" + std::to_string(port);
}

}  // namespace

std::vector<IngressRoute> routesOfDns(const api::Dns& dns) {
  std::vector<IngressRoute> routes;
  const std::string owner = dns.metadata.namespace_ + "/" + dns.metadata.name;
  for (const auto& p : dns.spec.paths) {
    IngressRoute r;
    r.owner = owner;
    r.host = lower(dns.spec.hostname);
    r.path = p.url_path.empty() ? "/" : p.url_path;
    r.match = PathMatch::kPrefix;
    r.strip_prefix = true;
    r.service_namespace = dns.metadata.namespace_;
    r.service_name = p.service_name;
    r.service_port = p.service_port;
    routes.push_back(std::move(r));
  }
  return routes;
}

std::string ingressOwner(const api::Ingress& ingress) {
  return "Ingress " + ingress.metadata.namespace_ + "/" + ingress.metadata.name;
}

std::vector<IngressRoute> routesOfIngress(const api::Ingress& ingress) {
  std::vector<IngressRoute> routes;
  const std::string owner = ingressOwner(ingress);
  auto route = [&](const std::string& host, const std::string& path, PathMatch match,
                   const api::IngressBackend& backend) {
    IngressRoute r;
    r.owner = owner;
    r.host = lower(host);
    r.path = path.empty() ? "/" : path;
    r.match = match;
    r.service_namespace = ingress.metadata.namespace_;
    if (backend.service) {
      r.service_name = backend.service->name;
      r.service_port = backend.service->port.number;
      r.service_port_name = backend.service->port.name;
    } else if (backend.resource) {
      r.problem = "path " + r.path + ": resource backend " + backend.resource->kind + "/" +
                  backend.resource->name + " is not supported (only Services)";
    } else {
      r.problem = "path " + r.path + ": no backend";
    }
    return r;
  };
  std::vector<std::string> hosts;
  for (const auto& rule : ingress.spec.rules) {
    if (std::find(hosts.begin(), hosts.end(), lower(rule.host)) == hosts.end()) {
      hosts.push_back(lower(rule.host));
    }
    if (!rule.http) continue;
    for (const auto& p : rule.http->paths) {
      PathMatch match =
          p.path_type.value_or("") == api::kPathTypeExact ? PathMatch::kExact : PathMatch::kPrefix;
      routes.push_back(route(rule.host, p.path, match, p.backend));
    }
  }
  if (ingress.spec.default_backend) {
    routes.push_back(route("", "/", PathMatch::kPrefix, *ingress.spec.default_backend));
    for (const auto& host : hosts) {
      if (host.empty()) continue;  // the default server's "/" is the route just above
      IngressRoute r = route(host, "/", PathMatch::kPrefix, *ingress.spec.default_backend);
      r.fallback = true;
      routes.push_back(std::move(r));
    }
  }
  return routes;
}

RenderedIngress renderNginxConfig(
    const std::vector<IngressRoute>& routes_in,
    const std::vector<std::shared_ptr<const api::Service>>& services) {
  RenderedIngress out;
  std::map<std::string, const api::Service*> by_key;
  for (const auto& svc : services) {
    if (svc) by_key[svc->metadata.namespace_ + "/" + svc->metadata.name] = svc.get();
  }
  // Exact routes claim "= path" before Prefix routes do (Kubernetes: Exact wins), fallbacks
  // after every other route; then by owner, keeping each owner's order.
  std::vector<IngressRoute> routes = routes_in;
  std::stable_sort(routes.begin(), routes.end(), [](const IngressRoute& a, const IngressRoute& b) {
    if (a.fallback != b.fallback) return b.fallback;
    if ((a.match == PathMatch::kExact) != (b.match == PathMatch::kExact))
      return a.match == PathMatch::kExact;
    return a.owner < b.owner;
  });
  // host ("" for the default server) -> spec -> location
  std::map<std::string, std::map<std::string, Location>> servers;
  servers[""];  // the default server is always there
  std::map<std::string, std::map<std::string, std::string>> claimed;  // host -> path key -> owner
  for (const auto& r : routes) {
    out.problems[r.owner];  // every owner appears, problems or not
    const std::string host = lower(r.host);
    const bool wildcard = host.size() > 2 && host.compare(0, 2, "*.") == 0;
    if (!host.empty() && !safeHost(wildcard ? host.substr(2) : host)) {
      out.problems[r.owner].push_back("host \"" + r.host + "\" is not a valid host name");
      continue;
    }
    const std::string path = normalizePath(r.path);
    if (!safePath(path)) {
      out.problems[r.owner].push_back("path \"" + r.path +
                                      "\" has characters that cannot be served");
      continue;
    }
    const std::string claim_key = (r.match == PathMatch::kExact ? "exact " : "prefix ") + path;
    auto [it, fresh] = claimed[host].emplace(claim_key, r.owner);
    if (!fresh) {
      if (r.fallback) continue;
      out.problems[r.owner].push_back("path " + path + " of " +
                                      (host.empty() ? "any host" : "host " + host) +
                                      " is already served for " + it->second);
      continue;
    }
    // A fallback's problems are its defaultBackend's, reported by the default server's route.
    auto report = [&](const std::string& problem) {
      if (!r.fallback) out.problems[r.owner].push_back(problem);
    };
    std::string target;
    const std::string svc_key = r.service_namespace + "/" + r.service_name;
    std::string port_text = r.service_port != 0 || r.service_port_name.empty()
                                ? std::to_string(r.service_port)
                                : r.service_port_name;
    if (!r.problem.empty()) {
      report(r.problem);
    } else if (auto svc_it = by_key.find(svc_key); svc_it == by_key.end()) {
      report("path " + path + ": service " + svc_key + " not found");
    } else {
      const api::Service& svc = *svc_it->second;
      auto port = std::find_if(
          svc.spec.ports.begin(), svc.spec.ports.end(), [&](const api::ServicePort& p) {
            return r.service_port != 0 ? p.port == r.service_port : p.name == r.service_port_name;
          });
      if (svc.spec.cluster_ip.empty() || svc.spec.cluster_ip == "None") {
        report("path " + path + ": service " + svc_key + " has no ClusterIP");
      } else if (port == svc.spec.ports.end()) {
        report("path " + path + ": service " + svc_key + " has no port " +
               (r.service_port != 0 ? port_text : "named \"" + port_text + "\""));
      } else {
        target = upstreamOf(svc.spec.cluster_ip, port->port);
        port_text = std::to_string(port->port);
      }
    }
    const std::string comment =
        r.owner + " -> " + (r.problem.empty() ? svc_key + ":" + port_text : std::string("(none)"));
    auto& locations = servers[host];
    // With the prefix stripped, the proxied URI replaces the location's prefix with "/".
    auto add = [&](const std::string& spec, const std::string& suffix) {
      if (locations.count(spec)) return;  // "= /p" of an Exact route wins over a Prefix's
      locations[spec] = {spec, target.empty() ? "" : target + suffix, comment};
    };
    if (r.match == PathMatch::kExact) {
      add("= " + path, r.strip_prefix ? "/" : "");
    } else if (path == "/") {
      add("/", "");
    } else {
      add("= " + path, r.strip_prefix ? "/" : "");
      add(path + "/", r.strip_prefix ? "/" : "");
    }
  }

  std::ostringstream c;
  c << "# Written by minik8s's ingress controller; changes are overwritten.\n"
       "daemon off;\n"
       "worker_processes 1;\n"
       "pid /run/nginx.pid;\n"
       "error_log stderr;\n"
       "events {\n  worker_connections 1024;\n}\n"
       "http {\n"
       "  access_log /dev/stdout;\n"
       "  proxy_http_version 1.1;\n"
       "  proxy_set_header Host $host;\n"
       "  proxy_set_header X-Real-IP $remote_addr;\n"
       "  proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n"
       "  proxy_set_header Connection \"\";\n";
  for (const auto& [host, locations] : servers) {
    if (host.empty()) {
      c << "  server {\n    listen 80 default_server;\n    server_name _;\n";
    } else if (host.compare(0, 2, "*.") == 0) {
      // One leftmost label, as Kubernetes' wildcard (nginx's "*.x" would match several).
      std::string suffix;
      for (char ch : host.substr(1)) suffix += ch == '.' ? std::string("\\.") : std::string(1, ch);
      c << "  server {\n    listen 80;\n    server_name \"~^[^.]+" << suffix << "$\";\n";
    } else {
      out.hosts.push_back(host);
      c << "  server {\n    listen 80;\n    server_name " << host << ";\n";
    }
    for (const auto& [spec, loc] : locations) {
      c << "    # " << loc.comment << "\n    location " << spec << " {\n";
      if (loc.target.empty()) {
        c << "      return 503;\n";
      } else {
        c << "      proxy_pass " << loc.target << ";\n";
      }
      c << "    }\n";
    }
    if (!locations.count("/")) c << "    location / {\n      return 404;\n    }\n";
    c << "  }\n";
  }
  c << "}\n";
  out.config = c.str();
  return out;
}

}  // namespace minik8s::controller
