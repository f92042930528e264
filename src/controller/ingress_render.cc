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

RenderedIngress renderNginxConfig(
    const std::vector<IngressRoute>& routes_in,
    const std::vector<std::shared_ptr<const api::Service>>& services) {
  RenderedIngress out;
  std::map<std::string, const api::Service*> by_key;
  for (const auto& svc : services) {
    if (svc) by_key[svc->metadata.namespace_ + "/" + svc->metadata.name] = svc.get();
  }
  // Exact routes claim "= path" before Prefix routes do (Kubernetes: Exact wins); then by
  // owner, keeping each owner's order.
  std::vector<IngressRoute> routes = routes_in;
  std::stable_sort(routes.begin(), routes.end(), [](const IngressRoute& a, const IngressRoute& b) {
    if ((a.match == PathMatch::kExact) != (b.match == PathMatch::kExact))
      return a.match == PathMatch::kExact;
    return a.owner < b.owner;
  });
  std::map<std::string, std::map<std::string, Location>> servers;     // host -> spec -> location
  std::map<std::string, std::map<std::string, std::string>> claimed;  // host -> path key -> owner
  for (const auto& r : routes) {
    out.problems[r.owner];  // every owner appears, problems or not
    const std::string host = lower(r.host);
    if (!safeHost(host)) {
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
      out.problems[r.owner].push_back("path " + path + " of host " + host +
                                      " is already served for " + it->second);
      continue;
    }
    std::string target;
    const std::string svc_key = r.service_namespace + "/" + r.service_name;
    auto svc_it = by_key.find(svc_key);
    if (svc_it == by_key.end()) {
      out.problems[r.owner].push_back("path " + path + ": service " + svc_key + " not found");
    } else {
      const api::Service& svc = *svc_it->second;
      bool has_port =
          std::any_of(svc.spec.ports.begin(), svc.spec.ports.end(),
                      [&](const api::ServicePort& p) { return p.port == r.service_port; });
      if (svc.spec.cluster_ip.empty() || svc.spec.cluster_ip == "None") {
        out.problems[r.owner].push_back("path " + path + ": service " + svc_key +
                                        " has no ClusterIP");
      } else if (!has_port) {
        out.problems[r.owner].push_back("path " + path + ": service " + svc_key + " has no port " +
                                        std::to_string(r.service_port));
      } else {
        target = upstreamOf(svc.spec.cluster_ip, r.service_port);
      }
    }
    const std::string comment = r.owner + " -> " + svc_key + ":" + std::to_string(r.service_port);
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
       "  proxy_set_header Connection \"\";\n"
       "  server {\n"
       "    listen 80 default_server;\n"
       "    server_name _;\n"
       "    location / {\n      return 404;\n    }\n"
       "  }\n";
  for (const auto& [host, locations] : servers) {
    out.hosts.push_back(host);
    c << "  server {\n    listen 80;\n    server_name " << host << ";\n";
    for (const auto& [spec, loc] : locations) {
      c << "    # " << loc.comment << "\n    location " << spec << " {\n";
      if (loc.target.empty()) {
        c << "      return 503;\n";
      } else {
        c << "      proxy_pass " << loc.target << ";\n";
      }
      c << "    }\n";
    }
    c << "  }\n";
  }
  c << "}\n";
  out.config = c.str();
  return out;
}

}  // namespace minik8s::controller
