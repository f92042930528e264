#include "apiserver/apiserver.h"

#include <nlohmann/json.hpp>

#include "api/protobuf_body.h"
#include "api/scheme.h"
#include "apiserver/access_review.h"
#include "apiserver/discovery.h"
#include "apiserver/health.h"
#include "apiserver/metrics_api.h"
#include "apiserver/node_proxy.h"
#include "apiserver/protobuf_response.h"
#include "apiserver/request_info.h"
#include "apiserver/status_response.h"
#include "common/log.h"

namespace minik8s::apiserver {

using nlohmann::json;

namespace {

HttpResponse textResponse(int code, std::string body, std::string type = "text/plain") {
  HttpResponse r;
  r.status = code;
  r.headers.emplace_back("Content-Type", std::move(type));
  r.body = std::move(body);
  return r;
}

json versionInfo() {
  return {{"major", "1"},
          {"minor", "32"},
          {"gitVersion", "v1.32.0-minik8s"},
          {"gitCommit", "0000000000000000000000000000000000000000"},
          {"gitTreeState", "clean"},
          {"buildDate", "2026-01-01T00:00:00Z"},
          {"goVersion", "go1.23.4"},
          {"compiler", "gc"},
          {"platform", "linux/amd64"}};
}

// The object's name in a create's body (JSON or protobuf); "" when it has none.
std::string nameInBody(const HttpRequest& request) {
  json object;
  if (request.header("Content-Type").find("protobuf") != std::string::npos) {
    auto decoded = api::decodeProtobufBody(request.body);
    if (decoded.isOk()) object = std::move(*decoded);
  } else {
    object = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  }
  if (!object.is_object() || !object.contains("metadata") || !object["metadata"].is_object())
    return "";
  const json& name = object["metadata"].value("name", json());
  return name.is_string() ? name.get<std::string>() : "";
}

// What a request addresses (request_info.h); kBadRequest for a `watch` parameter that is
// not a boolean.
Result<RequestInfo> parseTarget(const HttpRequest& request) {
  bool watch = false;
  std::string watch_param = request.queryValue("watch");
  if (!watch_param.empty()) {
    auto b = parseBool(watch_param);
    if (!b) return badRequest("invalid watch parameter \"" + watch_param + "\"");
    watch = *b;
  }
  return parseRequestInfo(request.method, request.path, watch,
                          request.queryValue("fieldSelector"));
}

std::string lowercase(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

ApiServer::ApiServer(ApiServerOptions options, store::Store& store, Clock& clock)
    : options_(std::move(options)), clock_(clock), store_(store, metrics_) {}

ApiServer::~ApiServer() {
  stop();
}

Status ApiServer::start() {
  auto cidr = parseCidr(options_.service_cluster_ip_range);
  if (!cidr.isOk()) return invalid("--service-cluster-ip-range: " + cidr.status().message());
  auto ports = parsePortRange(options_.service_node_port_range);
  if (!ports.isOk()) return invalid("--service-node-port-range: " + ports.status().message());
  auto kubelet = KubeletClient::create(options_.kubelet_client);
  if (!kubelet.isOk()) return invalid("kubelet client: " + kubelet.status().message());
  allocator_ = std::make_unique<ServiceAllocator>(store_, *cidr, *ports);
  rest_ = std::make_unique<RestHandler>(store_, clock_, *allocator_, options_.watch_cache,
                                        options_.event_ttl, options_.admission);
  RETURN_IF_ERROR(rest_->start());
  node_proxy_ = std::make_unique<NodeProxy>(*rest_, *kubelet);
  metrics_api_ = std::make_unique<MetricsApi>(*rest_, std::move(kubelet).value());
  metrics_.setOpenWatchesSource([this] { return rest_->openWatches(); });
  if (options_.security.enabled) {
    auto bootstrap_secret = [this](const std::string& name) -> std::optional<json> {
      WatchCache* secrets = rest_->cache("secrets");
      auto object = secrets ? secrets->get("/registry/secrets/kube-system/" + name) : nullptr;
      if (!object) return std::nullopt;
      return json::parse(object->json, nullptr, /*allow_exceptions=*/false);
    };
    authenticator_ = std::make_unique<Authenticator>(options_.security.static_tokens,
                                                     std::move(bootstrap_secret), clock_);
  }
  RETURN_IF_ERROR(bootstrap());
  if (options_.compaction_interval.count() > 0) {
    compaction_thread_ = std::jthread([this](std::stop_token stop) { runCompaction(stop); });
  }
  http_ =
      HttpServer::create(options_.http, [this](HttpRequest& request) { return handle(request); });
  RETURN_IF_ERROR(http_->start());
  ready_ = true;
  log::info("apiserver: serving on {}://{}:{}{}", options_.http.tls ? "https" : "http",
            options_.http.bind_address, http_->port(),
            authenticator_ ? "" : " without authentication");
  return Status::ok();
}

void ApiServer::stop() {
  ready_ = false;
  if (http_) http_->stop();
  if (node_proxy_) node_proxy_->stop();
  compaction_thread_ = std::jthread();
  if (rest_) rest_->stop();
}

uint16_t ApiServer::port() const {
  return http_ ? http_->port() : 0;
}

Status ApiServer::bootstrap() {
  RequestContext ctx;
  const auto* namespaces = api::findResource("", "v1", "namespaces");
  for (const char* name : {"default", "kube-system", "kube-public", "kube-node-lease"}) {
    auto created = rest_->create(*namespaces, {{"metadata", {{"name", name}}}}, ctx);
    if (!created.isOk() && created.status().code() != Code::kAlreadyExists) {
      return created.status().withContext(std::string("creating namespace ") + name);
    }
  }
  RETURN_IF_ERROR(migrateNamespaceFinalizers());
  // Allocations without a live service (a crash between allocating and storing).
  std::set<std::string> owners;
  auto services = store_.list("/registry/services/");
  if (!services.isOk()) return services.status();
  for (const auto& kv : services->items) {
    auto rest = kv.key.substr(std::string("/registry/services/").size());
    owners.insert(rest);
  }
  owners.insert("default/kubernetes");
  auto freed = allocator_->repair(owners);
  if (freed.isOk() && *freed > 0)
    log::info("apiserver: freed {} leaked service allocations", *freed);

  const auto* services_res = api::findResource("", "v1", "services");
  json kubernetes = {
      {"metadata",
       {{"name", "kubernetes"},
        {"namespace", "default"},
        {"labels", {{"component", "apiserver"}, {"provider", "kubernetes"}}}}},
      {"spec",
       {{"type", "ClusterIP"},
        {"clusterIP", allocator_->apiserverServiceIp()},
        {"ports",
         json::array({{{"name", "https"},
                       {"port", 443},
                       {"protocol", "TCP"},
                       {"targetPort", options_.http.port ? options_.http.port : 6443}}})}}}};
  if (!rest_->getFromStore(*services_res, "default", "kubernetes").isOk()) {
    auto svc = rest_->create(*services_res, kubernetes, ctx);
    // Another apiserver on the same etcd may create it first: its address is then taken
    // (refused before the name is), and the Service exists.
    if (!svc.isOk() && svc.status().code() != Code::kAlreadyExists &&
        !rest_->getFromStore(*services_res, "default", "kubernetes").isOk()) {
      return svc.status().withContext("creating the kubernetes service");
    }
  }
  const auto* endpoints_res = api::findResource("", "v1", "endpoints");
  std::string address =
      options_.http.bind_address == "0.0.0.0" ? "127.0.0.1" : options_.http.bind_address;
  json endpoints = {
      {"metadata", {{"name", "kubernetes"}, {"namespace", "default"}}},
      {"subsets",
       json::array(
           {{{"addresses", json::array({{{"ip", address}}})},
             {"ports", json::array({{{"name", "https"},
                                     {"port", options_.http.port ? options_.http.port : 6443},
                                     {"protocol", "TCP"}}})}}})}};
  auto ep = rest_->ensure(*endpoints_res, endpoints, ctx);
  if (!ep.isOk()) return ep.status().withContext("writing the kubernetes endpoints");
  return Status::ok();
}

Status ApiServer::migrateNamespaceFinalizers() {
  constexpr char kMarker[] = "/minik8s/migrations/namespace-finalizers";
  if (store_.get(kMarker).isOk()) return Status::ok();
  auto listed = store_.list("/registry/namespaces/");
  if (!listed.isOk()) return listed.status();
  size_t migrated = 0;
  for (const auto& kv : listed->items) {
    json ns = json::parse(kv.value, nullptr, false);
    if (!ns.is_object()) continue;
    const json& md = ns.value("metadata", json::object());
    const json& spec = ns.value("spec", json::object());
    if (md.contains("deletionTimestamp") ||
        (spec.contains("finalizers") && spec["finalizers"].is_array())) {
      continue;
    }
    if (!ns.contains("spec") || !ns["spec"].is_object()) ns["spec"] = json::object();
    ns["spec"]["finalizers"] = json::array({"kubernetes"});
    auto updated = store_.update(kv.key, ns.dump(), kv.mod_revision, 0);
    if (!updated.isOk())
      return updated.status().withContext("adding the namespace finalizer to " + kv.key);
    ++migrated;
  }
  if (migrated > 0) log::info("apiserver: gave {} namespace(s) the kubernetes finalizer", migrated);
  auto marked = store_.create(kMarker, "{}", 0);
  if (!marked.isOk() && marked.status().code() != Code::kAlreadyExists) return marked.status();
  return Status::ok();
}

void ApiServer::runCompaction(std::stop_token stop) {
  // Compact to the revision seen one interval ago, so at least one interval of history
  // stays for watches that resume.
  int64_t previous = 0;
  std::mutex mu;
  std::condition_variable_any cv;
  while (!stop.stop_requested()) {
    auto current = store_.currentRevision();
    if (previous > 0) {
      Status s = store_.compact(previous);
      if (!s.isOk() && s.code() != Code::kGone)
        log::warn("apiserver: compaction: {}", s.toString());
    }
    if (current.isOk()) previous = *current;
    std::unique_lock lock(mu);
    cv.wait_for(lock, stop, options_.compaction_interval, [] { return false; });
  }
}

std::vector<HealthCheck> ApiServer::livenessChecks() const {
  // Alive while the process can recover by itself: etcd's absence is a readiness matter.
  return {{"ping", [] { return Status::ok(); }}};
}

std::vector<HealthCheck> ApiServer::readinessChecks() {
  return {
      {"ping", [] { return Status::ok(); }},
      {"etcd", [this] { return store_.currentRevision().status(); }},
      {"watch-cache",
       [this] {
         return rest_ && rest_->watchCachesLive()
                    ? Status::ok()
                    : unavailable("a watch cache is resuming its etcd watch");
       }},
      {"shutdown",
       [this] { return ready_ ? Status::ok() : unavailable("the apiserver is not serving"); }},
  };
}

std::optional<HttpResponse> ApiServer::serveNonResource(const HttpRequest& request) {
  const std::string& path = request.path;
  if (path == "/version" || path == "/version/") {
    HttpResponse r;
    r.headers.emplace_back("Content-Type", "application/json");
    r.body = versionInfo().dump();
    return r;
  }
  if (auto r = serveHealth("livez", livenessChecks(), request)) return r;
  if (auto r = serveHealth("healthz", livenessChecks(), request)) return r;
  if (auto r = serveHealth("readyz", readinessChecks(), request)) return r;
  if (path == "/metrics") return textResponse(200, metrics_.render(), "text/plain; version=0.0.4");
  if (!isDiscoveryPath(path)) return std::nullopt;
  std::vector<api::ResourceInfo> extra = metricsResources();
  std::shared_ptr<const CustomResourceList> custom = rest_->customResources();
  extra.insert(extra.end(), custom->begin(), custom->end());
  return serveDiscovery(request, extra);
}

HandlerResult ApiServer::route(HttpRequest& request, const Result<RequestInfo>& info,
                               std::string* verb, std::string* resource, const UserInfo* user) {
  if (auto r = serveNonResource(request)) {
    *verb = "get";
    *resource = "";
    HandlerResult result;
    result.response = std::move(*r);
    return result;
  }
  if (metrics_api_) {
    if (auto r = metrics_api_->handle(request)) {
      *verb = "get";
      *resource = "metrics.k8s.io";
      return std::move(*r);
    }
  }
  if (!info.isOk() || !info->is_resource_request) {
    HandlerResult result;
    result.response = statusResponse(
        info.isOk() ? notFound("the server could not find the requested resource") : info.status());
    return result;
  }
  *verb = info->verb;
  *resource = info->subresource.empty() ? info->resource : info->resource + "/" + info->subresource;
  if (node_proxy_ && info->resource == "pods" && info->group.empty() &&
      (info->subresource == "log" || info->subresource == "exec" ||
       info->subresource == "attach" || info->subresource == "portforward")) {
    return node_proxy_->handle(*info, request);
  }
  return rest_->handle(*info, request, user);
}

AuthorizationFacts ApiServer::authorizationFacts() const {
  return podAuthorizationFacts(rest_->cache("pods"));
}

std::optional<HttpResponse> ApiServer::authenticateAndAuthorize(HttpRequest& request,
                                                                const Result<RequestInfo>& info,
                                                                std::optional<UserInfo>* user_out) {
  if (!authenticator_) return std::nullopt;
  Credentials credentials;
  if (request.client_certificate) {
    credentials.client_certificate = Credentials::Certificate{
        request.client_certificate->common_name, request.client_certificate->organizations};
  }
  credentials.authorization = request.header("Authorization");
  auto user = authenticator_->authenticate(credentials, request.path);
  if (!user.isOk()) return statusResponse(user.status());

  Attributes attributes;
  attributes.user = std::move(*user);
  if (info.isOk() && info->is_resource_request) {
    attributes.resource_request = true;
    attributes.verb = info->verb;
    attributes.group = info->group;
    attributes.resource = info->resource;
    attributes.subresource = info->subresource;
    attributes.namespace_ = info->namespace_;
    attributes.name = info->name;
    if (needsNameOfCreate(attributes)) attributes.name = nameInBody(request);
  } else {
    attributes.verb = lowercase(request.method);
    attributes.path = request.path;
  }
  Decision decision = authorize(attributes, authorizationFacts());
  if (!decision.allowed) return statusResponse(forbidden(attributes, decision));
  *user_out = std::move(attributes.user);
  return std::nullopt;
}

HandlerResult ApiServer::handle(HttpRequest& request) {
  auto start = std::chrono::steady_clock::now();
  std::string verb, resource;
  // Parsed once, for authorization and for routing.
  const Result<RequestInfo> info = parseTarget(request);
  HandlerResult result;
  std::optional<UserInfo> user;
  if (auto refused = authenticateAndAuthorize(request, info, &user)) {
    result.response = std::move(*refused);
  } else {
    result = route(request, info, &verb, &resource, user ? &*user : nullptr);
  }
  if (!result.start_stream && !result.upgrade) {
    answerInProtobufIfPreferred(request.header("Accept"), result.response);
  }
  if (!result.start_stream) {
    metrics_.recordRequest(verb, resource, result.response.status,
                           std::chrono::steady_clock::now() - start);
  } else {
    metrics_.recordRequest(verb, resource, result.response.status,
                           std::chrono::duration<double>(0));
  }
  return result;
}

}  // namespace minik8s::apiserver
