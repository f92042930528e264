#include "apiserver/discovery.h"

#include <map>
#include <nlohmann/json.hpp>
#include <vector>

#include "api/scheme.h"
#include "apiserver/access_review.h"
#include "apiserver/openapi.h"
#include "apiserver/status_response.h"

namespace minik8s::apiserver {

using nlohmann::json;

namespace {

HttpResponse jsonResponse(const json& body, std::string content_type = "application/json") {
  HttpResponse r;
  r.headers.emplace_back("Content-Type", std::move(content_type));
  r.body = body.dump();
  return r;
}

using Resources = std::vector<api::ResourceInfo>;

// The scheme's resources, the review kinds (access_review.h), then `extra`.
Resources withExtra(const Resources& extra) {
  Resources all = api::servedResources();
  const Resources& reviews = reviewResources();
  all.insert(all.end(), reviews.begin(), reviews.end());
  all.insert(all.end(), extra.begin(), extra.end());
  return all;
}

// Group names in discovery order, core ("") first.
std::vector<std::string> groupsInOrder(const Resources& all = api::servedResources()) {
  std::vector<std::string> groups;
  for (const auto& r : all) {
    if (std::find(groups.begin(), groups.end(), r.group) == groups.end()) groups.push_back(r.group);
  }
  return groups;
}

std::vector<std::string> versionsOf(const std::string& group,
                                    const Resources& all = api::servedResources()) {
  std::vector<std::string> versions;
  for (const auto& r : all) {
    if (r.group == group &&
        std::find(versions.begin(), versions.end(), r.version) == versions.end()) {
      versions.push_back(r.version);
    }
  }
  return versions;
}

json subresourceKind(const api::ResourceInfo& r, const std::string& sub) {
  if (sub == "scale") return {{"group", "autoscaling"}, {"version", "v1"}, {"kind", "Scale"}};
  if (sub == "exec") return {{"group", ""}, {"version", "v1"}, {"kind", "PodExecOptions"}};
  if (sub == "binding") return {{"group", ""}, {"version", "v1"}, {"kind", "Binding"}};
  if (sub == "eviction") return {{"group", "policy"}, {"version", "v1"}, {"kind", "Eviction"}};
  return {{"group", r.group}, {"version", r.version}, {"kind", r.kind}};
}

json subresourceVerbs(const std::string& sub) {
  if (sub == "log") return {"get"};
  if (sub == "exec") return {"create", "get"};
  if (sub == "binding" || sub == "eviction") return {"create"};
  if (sub == "finalize") return {"update"};
  return {"get", "patch", "update"};
}

json aggregatedResource(const api::ResourceInfo& r) {
  json res = {{"resource", r.plural},
              {"singularResource", r.singular},
              {"scope", r.namespaced ? "Namespaced" : "Cluster"},
              {"responseKind", {{"group", r.group}, {"version", r.version}, {"kind", r.kind}}},
              {"verbs", r.verbs}};
  if (!r.short_names.empty()) res["shortNames"] = r.short_names;
  if (!r.categories.empty()) res["categories"] = r.categories;
  if (!r.subresources.empty()) {
    json subs = json::array();
    for (const auto& s : r.subresources) {
      subs.push_back({{"subresource", s},
                      {"responseKind", subresourceKind(r, s)},
                      {"verbs", subresourceVerbs(s)}});
    }
    res["subresources"] = std::move(subs);
  }
  return res;
}

json aggregatedGroup(const std::string& group, const Resources& all) {
  json versions = json::array();
  for (const auto& v : versionsOf(group, all)) {
    json resources = json::array();
    for (const auto& r : all) {
      if (r.group == group && r.version == v) resources.push_back(aggregatedResource(r));
    }
    versions.push_back({{"version", v}, {"freshness", "Current"}, {"resources", resources}});
  }
  json item = {{"metadata", json::object()}, {"versions", versions}};
  if (!group.empty()) item["metadata"]["name"] = group;
  return item;
}

HttpResponse aggregated(bool core, const std::string& version, const Resources& all) {
  json items = json::array();
  for (const auto& g : groupsInOrder(all)) {
    if (g.empty() == core) items.push_back(aggregatedGroup(g, all));
  }
  json body = {{"kind", "APIGroupDiscoveryList"},
               {"apiVersion", "apidiscovery.k8s.io/" + version},
               {"metadata", json::object()},
               {"items", items}};
  return jsonResponse(body, "application/json;g=apidiscovery.k8s.io;v=" + version +
                                ";as=APIGroupDiscoveryList");
}

json groupVersionEntry(const std::string& group, const std::string& version) {
  return {{"groupVersion", group + "/" + version}, {"version", version}};
}

json legacyGroup(const std::string& group, const Resources& all) {
  json versions = json::array();
  for (const auto& v : versionsOf(group, all)) versions.push_back(groupVersionEntry(group, v));
  return {{"name", group}, {"versions", versions}, {"preferredVersion", versions[0]}};
}

std::optional<HttpResponse> resourceList(const std::string& group, const std::string& version,
                                         const Resources& all) {
  json resources = json::array();
  for (const auto& r : all) {
    if (r.group != group || r.version != version) continue;
    json res = {{"name", r.plural},      {"singularName", r.singular}, {"namespaced", r.namespaced},
                {"kind", r.kind},        {"verbs", r.verbs}};
    if (!r.short_names.empty()) res["shortNames"] = r.short_names;
    if (!r.categories.empty()) res["categories"] = r.categories;
    resources.push_back(res);
    for (const auto& s : r.subresources) {
      json kind = subresourceKind(r, s);
      json sub = {{"name", r.plural + "/" + s},
                  {"singularName", ""},
                  {"namespaced", r.namespaced},
                  {"kind", kind["kind"]},
                  {"verbs", subresourceVerbs(s)}};
      if (kind["group"] != r.group) {
        sub["group"] = kind["group"];
        sub["version"] = kind["version"];
      }
      resources.push_back(sub);
    }
  }
  if (resources.empty()) return std::nullopt;
  std::string gv = group.empty() ? version : group + "/" + version;
  return jsonResponse({{"kind", "APIResourceList"},
                       {"apiVersion", "v1"},
                       {"groupVersion", gv},
                       {"resources", resources}});
}

// --- OpenAPI v3 ----------------------------------------------------------------------

std::string gvPath(const std::string& group, const std::string& version) {
  return group.empty() ? "api/" + version : "apis/" + group + "/" + version;
}

std::string contentHash(const std::string& text) {
  uint64_t h = 1469598103934665603ULL;  // FNV-1a
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  char buf[20];
  std::snprintf(buf, sizeof buf, "%016llX", static_cast<unsigned long long>(h));
  return buf;
}

// The OpenAPI v3 document of each served group-version, by its path ("apis/apps/v1"), with
// its hash; computed once (the scheme does not change at run time).
struct OpenApiDocument {
  std::string text;
  std::string hash;
};

const std::map<std::string, OpenApiDocument>& openApiDocuments() {
  static const std::map<std::string, OpenApiDocument> documents = [] {
    std::map<std::string, OpenApiDocument> out;
    for (const auto& g : groupsInOrder()) {
      for (const auto& v : versionsOf(g)) {
        std::string text = openApiDocument(g, v).dump();
        std::string hash = contentHash(text);
        out.emplace(gvPath(g, v), OpenApiDocument{std::move(text), std::move(hash)});
      }
    }
    return out;
  }();
  return documents;
}

// The documents of the custom resources' group-versions among `all` (none that a built-in
// group-version already has).
std::map<std::string, OpenApiDocument> customOpenApiDocuments(const Resources& all) {
  std::map<std::string, OpenApiDocument> out;
  for (const auto& r : all) {
    std::string gv = gvPath(r.group, r.version);
    if (!r.isCustom() || out.count(gv) || openApiDocuments().count(gv)) continue;
    std::string text = customOpenApiDocument(r.group, r.version, all).dump();
    std::string hash = contentHash(text);
    out.emplace(gv, OpenApiDocument{std::move(text), std::move(hash)});
  }
  return out;
}

HttpResponse notFoundResponse() {
  return statusResponse(notFound("the server could not find the requested resource"));
}

}  // namespace

std::string negotiateAggregatedDiscovery(std::string_view accept) {
  bool v2 = false, v2beta1 = false;
  size_t start = 0;
  while (start <= accept.size()) {
    size_t end = accept.find(',', start);
    if (end == std::string_view::npos) end = accept.size();
    std::string_view range = accept.substr(start, end - start);
    std::map<std::string, std::string> params;
    size_t p = range.find(';');
    while (p != std::string_view::npos) {
      size_t next = range.find(';', p + 1);
      std::string_view kv = range.substr(p + 1, next == std::string_view::npos ? std::string_view::npos : next - p - 1);
      while (!kv.empty() && kv.front() == ' ') kv.remove_prefix(1);
      while (!kv.empty() && kv.back() == ' ') kv.remove_suffix(1);
      size_t eq = kv.find('=');
      if (eq != std::string_view::npos) {
        params[std::string(kv.substr(0, eq))] = std::string(kv.substr(eq + 1));
      }
      p = next;
    }
    if (params["g"] == "apidiscovery.k8s.io" && params["as"] == "APIGroupDiscoveryList") {
      if (params["v"] == "v2") v2 = true;
      if (params["v"] == "v2beta1") v2beta1 = true;
    }
    start = end + 1;
  }
  if (v2) return "v2";
  if (v2beta1) return "v2beta1";
  return "";
}

bool isDiscoveryPath(std::string_view path) {
  if (path.rfind("/openapi/", 0) == 0) return true;
  auto segments = [&](std::string_view root) -> int {
    if (path.rfind(root, 0) != 0) return -1;
    std::string_view rest = path.substr(root.size());
    if (!rest.empty() && rest.front() != '/') return -1;
    int n = 0;
    for (size_t i = 0; i < rest.size(); ++i) {
      if (rest[i] == '/' && i + 1 < rest.size()) ++n;
    }
    return n;
  };
  int core = segments("/api");
  int groups = segments("/apis");
  return (core >= 0 && core <= 1) || (groups >= 0 && groups <= 2);
}

std::optional<HttpResponse> serveDiscovery(const HttpRequest& request, const Resources& extra) {
  const std::string& path = request.path;
  const Resources all = withExtra(extra);
  if (path == "/api" || path == "/api/") {
    std::string v = negotiateAggregatedDiscovery(request.header("Accept"));
    if (!v.empty()) return aggregated(true, v, all);
    return jsonResponse({{"kind", "APIVersions"},
                         {"versions", {"v1"}},
                         {"serverAddressByClientCIDRs",
                          json::array({{{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", ""}}})}});
  }
  if (path == "/apis" || path == "/apis/") {
    std::string v = negotiateAggregatedDiscovery(request.header("Accept"));
    if (!v.empty()) return aggregated(false, v, all);
    json groups = json::array();
    for (const auto& g : groupsInOrder(all)) {
      if (!g.empty()) groups.push_back(legacyGroup(g, all));
    }
    return jsonResponse({{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", groups}});
  }
  if (path == "/api/v1") return resourceList("", "v1", all);
  if (path.rfind("/apis/", 0) == 0) {
    std::string rest = path.substr(6);
    auto slash = rest.find('/');
    if (slash == std::string::npos) {
      if (versionsOf(rest, all).empty()) return notFoundResponse();
      json g = legacyGroup(rest, all);
      g["kind"] = "APIGroup";
      g["apiVersion"] = "v1";
      return jsonResponse(g);
    }
    std::string group = rest.substr(0, slash), version = rest.substr(slash + 1);
    if (version.find('/') != std::string::npos) return std::nullopt;  // a resource path
    auto list = resourceList(group, version, all);
    return list ? list : notFoundResponse();
  }
  if (path == "/openapi/v2") return notFoundResponse();
  if (path == "/openapi/v3" || path == "/openapi/v3/") {
    json paths = json::object();
    const auto custom = customOpenApiDocuments(all);
    for (const auto* documents : {&openApiDocuments(), &custom}) {
      for (const auto& [gv, document] : *documents) {
        paths[gv] = {{"serverRelativeURL", "/openapi/v3/" + gv + "?hash=" + document.hash}};
      }
    }
    return jsonResponse({{"paths", paths}});
  }
  if (path.rfind("/openapi/v3/", 0) == 0) {
    std::string gv = path.substr(12);
    auto it = openApiDocuments().find(gv);
    std::optional<OpenApiDocument> custom;
    if (it == openApiDocuments().end()) {
      auto documents = customOpenApiDocuments(all);
      auto found = documents.find(gv);
      if (found == documents.end()) return notFoundResponse();
      custom = std::move(found->second);
    }
    HttpResponse r;
    r.headers.emplace_back("Content-Type", "application/json");
    r.headers.emplace_back("Cache-Control", request.hasQuery("hash") ? "public, immutable"
                                                                      : "no-cache, private");
    r.body = custom ? std::move(custom->text) : it->second.text;
    return r;
  }
  return std::nullopt;
}

}  // namespace minik8s::apiserver
