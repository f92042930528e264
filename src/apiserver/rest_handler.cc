#include "apiserver/rest_handler.h"

#include <algorithm>
#include <random>
#include <thread>

#include "api/custom_resource.h"
#include "api/json_input.h"
#include "api/protobuf_body.h"
#include "api/selector.h"
#include "api/yaml.h"
#include "apiserver/access_review.h"
#include "apiserver/admission.h"
#include "apiserver/csr_strategy.h"
#include "apiserver/deletion.h"
#include "apiserver/eviction.h"
#include "apiserver/filters.h"
#include "apiserver/managed_fields.h"
#include "apiserver/patch.h"
#include "apiserver/status_response.h"
#include "apiserver/table.h"
#include "apiserver/watch_stream.h"
#include "common/log.h"

namespace minik8s::apiserver {

using nlohmann::json;

struct RestHandler::Target {
  const api::ResourceInfo* resource = nullptr;
  std::shared_ptr<const api::ResourceInfo> custom;  // keeps a custom `resource` alive
  RequestInfo info;
  mutable RequestContext ctx;
};

namespace {

constexpr int kMaxUpdateRetries = 8;

bool isCustomResourceDefinition(const api::ResourceInfo& resource) {
  return resource.group == api::kApiextensionsGroup &&
         resource.plural == "customresourcedefinitions";
}

std::string randomSuffix(size_t n) {
  static const char kChars[] = "bcdfghjklmnpqrstvwxz2456789";
  thread_local std::mt19937 rng(std::random_device{}());
  std::string s;
  for (size_t i = 0; i < n; ++i) s += kChars[rng() % (sizeof kChars - 1)];
  return s;
}

std::string newUid() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  uint64_t a = rng(), b = rng();
  a = (a & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  b = (b & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // variant 10
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xffff),
                static_cast<unsigned>(b >> 48),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

bool wantsTable(const HttpRequest& request) {
  return request.header("Accept").find("as=Table") != std::string::npos;
}

std::string warningHeader(const std::string& text) {
  std::string escaped;
  for (char c : text) {
    if (c == '"' || c == '\\') escaped += '\\';
    escaped += c;
  }
  return "299 - \"" + escaped + "\"";
}

HandlerResult respond(int code, std::string body, const RequestContext& ctx,
                      const std::string& content_type = "application/json") {
  HandlerResult r;
  r.response.status = code;
  r.response.headers.emplace_back("Content-Type", content_type);
  for (const auto& w : ctx.warnings) r.response.headers.emplace_back("Warning", warningHeader(w));
  r.response.body = std::move(body);
  return r;
}

HandlerResult fail(const Status& status, const api::ResourceInfo* resource,
                   const std::string& name, const RequestContext& ctx) {
  StatusDetails details;
  details.name = name;
  if (resource) {
    details.group = resource->group;
    details.kind = status.code() == Code::kInvalid ? resource->kind : resource->plural;
  }
  HandlerResult r;
  r.response = statusResponse(status, details);
  for (const auto& w : ctx.warnings) r.response.headers.emplace_back("Warning", warningHeader(w));
  return r;
}

Status notFoundFor(const api::ResourceInfo& resource, const std::string& name) {
  return notFound(resource.qualifiedName() + " \"" + name + "\" not found");
}

Status conflictFor(const api::ResourceInfo& resource, const std::string& name) {
  return conflict("Operation cannot be fulfilled on " + resource.qualifiedName() + " \"" + name +
                  "\": the object has been modified; please apply your changes to the latest "
                  "version and try again");
}

Status invalidFor(const api::ResourceInfo& resource, const std::string& name,
                  std::vector<FieldError> causes) {
  std::string msg = resource.kind + " \"" + name + "\" is invalid: ";
  if (causes.size() == 1) {
    msg += causes[0].field + ": " + causes[0].message;
  } else {
    msg += "[";
    for (size_t i = 0; i < causes.size(); ++i) {
      if (i) msg += ", ";
      msg += causes[i].field + ": " + causes[i].message;
    }
    msg += "]";
  }
  return invalid(std::move(msg), std::move(causes));
}

const json& metaOf(const json& object) {
  static const json kEmpty = json::object();
  auto it = object.find("metadata");
  return it != object.end() && it->is_object() ? *it : kEmpty;
}

// object[key] when it is a string, else "". For reads of a request body before it is
// decoded: a mistyped field is for the typed decode to report as a 400, not a throw (500).
std::string stringOf(const json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

std::string nameOf(const json& object) { return stringOf(metaOf(object), "name"); }

// metadata[key] of a request body before its typed decode: "" when absent or null, a 400
// in the typed decode's words when it is not a string.
Result<std::string> metaString(const json& metadata, const char* key) {
  auto it = metadata.find(key);
  if (it == metadata.end() || it->is_null()) return std::string();
  if (!it->is_string()) {
    return badRequest(std::string("metadata.") + key + ": expected string, got " + it->type_name());
  }
  return it->get<std::string>();
}

// A namespace's spec.finalizers (the namespace controller's "kubernetes", others').
json namespaceFinalizers(const json& ns) {
  auto spec = ns.find("spec");
  if (spec == ns.end() || !spec->is_object()) return json::array();
  auto finalizers = spec->find("finalizers");
  return finalizers != spec->end() && finalizers->is_array() ? *finalizers : json::array();
}

// kube-apiserver's namespace PrepareForCreate: every namespace starts with the
// "kubernetes" finalizer, which the namespace controller removes once the namespace is empty.
void addNamespaceFinalizer(json& ns) {
  json finalizers = namespaceFinalizers(ns);
  if (std::find(finalizers.begin(), finalizers.end(), "kubernetes") != finalizers.end()) return;
  finalizers.push_back("kubernetes");
  if (!ns.contains("spec") || !ns["spec"].is_object()) ns["spec"] = json::object();
  ns["spec"]["finalizers"] = std::move(finalizers);
}

int64_t revisionOf(const json& object) {
  auto rv = metaOf(object).value("resourceVersion", "");
  if (rv.empty()) return 0;
  try {
    return std::stoll(rv);
  } catch (...) {
    return -1;
  }
}

// The object without server-owned bookkeeping, for "did anything change" comparisons
// (managedFields count: an apply that only takes ownership is a write).
json comparable(json object) {
  if (object.contains("metadata")) object["metadata"].erase("resourceVersion");
  return object;
}

// Who writes, for metadata.managedFields (managed_fields.h).
FieldManagerOptions managerOptions(const api::ResourceInfo& resource, const RequestContext& ctx,
                                   const std::string& subresource, const Clock& clock) {
  return {.manager = ctx.field_manager,
          .api_version = resource.apiVersion(),
          .kind = resource.kind,
          .subresource = subresource,
          .status_subresource = resource.hasSubresource("status"),
          .time = formatRfc3339(clock.now())};
}

std::string listJson(const api::ResourceInfo& resource, const std::vector<CachedObjectPtr>& items,
                     int64_t revision) {
  std::string out;
  size_t total = 128;
  for (const auto& o : items) total += o->json.size() + 1;
  out.reserve(total);
  out += "{\"kind\":\"" + resource.kind + "List\",\"apiVersion\":\"" + resource.apiVersion() +
         "\",\"metadata\":{\"resourceVersion\":\"" + std::to_string(revision) + "\"},\"items\":[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    out += items[i]->json;
  }
  out += "]}";
  return out;
}

IncludeObject includeObjectOf(const HttpRequest& request) {
  auto v = request.queryValue("includeObject");
  if (v == "Object") return IncludeObject::kObject;
  if (v == "None") return IncludeObject::kNone;
  return IncludeObject::kMetadata;
}

std::optional<int64_t> parseRevisionParam(const std::string& v) {
  if (v.empty()) return std::nullopt;
  try {
    size_t pos = 0;
    long long n = std::stoll(v, &pos);
    if (pos != v.size() || n < 0) return std::nullopt;
    return n;
  } catch (...) {
    return std::nullopt;
  }
}

// A stored object as the request's version shows it: a view (autoscaling/v1) or a custom
// resource's other version converts it; anything else (a Status, another kind) passes
// unchanged.
Result<json> forClient(const api::ResourceInfo& resource, json object) {
  if (!resource.convertsOnRead() || !object.is_object() ||
      object.value("kind", "") != resource.kind) {
    return object;
  }
  RETURN_IF_ERROR(api::convertFromStorage(resource, object));
  return object;
}

// The full objects of a view's Table rows (includeObject=Object) in the view's version.
Status tableObjectsForClient(const api::ResourceInfo& resource, json& table) {
  if (!resource.convertsOnRead()) return Status::ok();
  for (json& row : table["rows"]) {
    if (!row.contains("object")) continue;
    ASSIGN_OR_RETURN(row["object"], forClient(resource, std::move(row["object"])));
  }
  return Status::ok();
}

// A list of a view: its items converted one by one.
Result<std::string> viewListJson(const api::ResourceInfo& resource,
                                 const std::vector<CachedObjectPtr>& items, int64_t revision) {
  json list = {{"kind", resource.kind + "List"},
               {"apiVersion", resource.apiVersion()},
               {"metadata", {{"resourceVersion", std::to_string(revision)}}},
               {"items", json::array()}};
  for (const auto& o : items) {
    ASSIGN_OR_RETURN(json item, forClient(resource, json::parse(o->json)));
    list["items"].push_back(std::move(item));
  }
  return list.dump();
}

// `object` (stored form) answered in the request's version.
HandlerResult respondObject(int code, const api::ResourceInfo& resource, json object,
                            const RequestContext& ctx) {
  auto shown = forClient(resource, std::move(object));
  if (!shown.isOk()) return fail(shown.status(), &resource, "", ctx);
  return respond(code, shown->dump(), ctx);
}

// api::normalize plus the unknown-field policy: warnings, or 400 under Strict.
Status normalizeObject(const api::ResourceInfo& resource, json& object, RequestContext& ctx) {
  if (resource.group.empty() && resource.plural == "services") {
    adaptOriginalService(object, ctx);
  }
  std::vector<std::string> unknown;
  RETURN_IF_ERROR(api::normalize(resource, object, &unknown));
  if (unknown.empty()) return Status::ok();
  if (ctx.strict_fields) {
    std::string msg = "strict decoding error: ";
    for (size_t i = 0; i < unknown.size(); ++i) {
      msg += (i ? ", " : "") + std::string("unknown field \"") + unknown[i] + "\"";
    }
    return badRequest(msg);
  }
  for (const auto& f : unknown) ctx.warnings.push_back("unknown field \"" + f + "\"");
  return Status::ok();
}

}  // namespace

json withResourceVersion(json object, int64_t revision) {
  object["metadata"]["resourceVersion"] = std::to_string(revision);
  return object;
}

std::string RestHandler::storageKey(const api::ResourceInfo& resource,
                                    const std::string& namespace_, const std::string& name) {
  std::string key = resource.storagePrefix();
  if (resource.namespaced) key += namespace_ + "/";
  return key + name;
}

RestHandler::RestHandler(store::Store& store, Clock& clock, ServiceAllocator& allocator,
                         WatchCacheOptions cache_options, std::chrono::seconds event_ttl,
                         AdmissionOptions admission)
    : store_(store),
      clock_(clock),
      allocator_(allocator),
      admission_(admission),
      event_leases_(store, clock, event_ttl),
      cache_options_(cache_options),
      timeouts_(std::make_unique<WatchTimeouts>()) {
  for (const auto& r : api::allResources()) {
    caches_.emplace(r.plural,
                    std::make_unique<WatchCache>(store_, r, r.storagePrefix(), cache_options, clock_));
  }
  custom_resources_ =
      std::make_unique<CustomResourceRegistry>(*caches_.at("customresourcedefinitions"));
}

RestHandler::~RestHandler() { stop(); }

Result<int64_t> RestHandler::leaseFor(const api::ResourceInfo& resource) {
  if (resource.plural != "events") return int64_t{0};
  return event_leases_.leaseForWrite();
}

Status RestHandler::start() {
  for (auto& [plural, cache] : caches_) {
    Status s = cache->start();
    if (!s.isOk()) return s.withContext("starting the watch cache for " + plural);
  }
  return Status::ok();
}

void RestHandler::stop() {
  std::lock_guard lock(custom_caches_mu_);
  stopped_ = true;
  // First every pending recovery gives up, so that stopping all caches waits for at most
  // one etcd call deadline, not one per resource.
  for (auto* caches : {&caches_, &custom_caches_}) {
    for (auto& [name, cache] : *caches) cache->requestStop();
  }
  for (auto* caches : {&caches_, &custom_caches_}) {
    for (auto& [name, cache] : *caches) cache->stop();
  }
}

bool RestHandler::watchCachesLive() const {
  std::lock_guard lock(custom_caches_mu_);
  for (const auto* caches : {&caches_, &custom_caches_}) {
    for (const auto& [name, cache] : *caches) {
      if (!cache->watching()) return false;
    }
  }
  return true;
}

Result<WatchCache*> RestHandler::cacheFor(const api::ResourceInfo& resource) {
  if (!resource.isCustom()) {
    WatchCache* c = cache(resource.plural);
    if (c == nullptr) return internalError("no watch cache for " + resource.qualifiedName());
    return c;
  }
  std::lock_guard lock(custom_caches_mu_);
  if (stopped_) return unavailable("the apiserver is stopping");
  std::string name = resource.apiVersion() + "/" + resource.plural;
  auto it = custom_caches_.find(name);
  if (it != custom_caches_.end()) return it->second.get();
  // Started under the lock: a second request for the resource waits for the first list.
  auto c = std::make_unique<WatchCache>(store_, resource, resource.storagePrefix(), cache_options_,
                                        clock_);
  RETURN_IF_ERROR(c->start().withContext("starting the watch cache for " + name));
  return custom_caches_.emplace(name, std::move(c)).first->second.get();
}

std::shared_ptr<const CustomResourceList> RestHandler::customResources() const {
  return custom_resources_->resources();
}

Status RestHandler::deleteCustomObjectsOf(const api::ResourceInfo& resource, const json& crd) {
  if (!isCustomResourceDefinition(resource)) return Status::ok();
  const json& spec = crd.value("spec", json::object());
  std::string group = spec.value("group", "");
  std::string plural = spec.value("names", json::object()).value("plural", "");
  if (group.empty() || plural.empty()) return Status::ok();
  // Every object, finalizers or not (kube-apiserver's cleanup deletes the collection and
  // waits for it to empty).
  ASSIGN_OR_RETURN(store::ListResult listed, store_.list("/registry/" + group + "/" + plural + "/"));
  for (const auto& kv : listed.items) {
    auto removed = store_.remove(kv.key);
    if (!removed.isOk() && removed.status().code() != Code::kNotFound) {
      return removed.status().withContext("deleting the objects of " + plural + "." + group);
    }
  }
  return Status::ok();
}

WatchCache* RestHandler::cache(const std::string& plural) const {
  auto it = caches_.find(plural);
  return it == caches_.end() ? nullptr : it->second.get();
}

Result<json> RestHandler::ensure(const api::ResourceInfo& resource, json object,
                                 RequestContext& ctx) {
  auto created = create(resource, object, ctx);
  if (created.isOk() || created.status().code() != Code::kAlreadyExists) return created;
  const json& md = metaOf(object);
  return guaranteedUpdate(
      resource, md.value("namespace", ""), md.value("name", ""),
      [&](const json& current) -> Result<json> {
        json desired = current;
        for (const auto& [field, value] : object.items()) {
          if (field != "metadata" && field != "apiVersion" && field != "kind") desired[field] = value;
        }
        if (md.contains("labels")) desired["metadata"]["labels"] = md["labels"];
        return desired;
      },
      ctx, "");
}

Result<json> RestHandler::getFromStore(const api::ResourceInfo& resource,
                                       const std::string& namespace_, const std::string& name) {
  auto kv = store_.get(storageKey(resource, namespace_, name));
  if (!kv.isOk()) {
    if (kv.status().code() == Code::kNotFound) return notFoundFor(resource, name);
    return kv.status();
  }
  json object = json::parse(kv->value, nullptr, false);
  if (!object.is_object()) return internalError("stored object is not JSON: " + kv->key);
  return withResourceVersion(std::move(object), kv->mod_revision);
}

Result<json> RestHandler::decodeBody(const api::ResourceInfo& resource, const HttpRequest& request) {
  std::string type = request.header("Content-Type");
  auto semi = type.find(';');
  if (semi != std::string::npos) type.resize(semi);
  json object;
  if (type.find("protobuf") != std::string::npos) {
    ASSIGN_OR_RETURN(object, api::decodeProtobufBody(request.body));
  } else if (type == "application/yaml" || type == "application/apply-patch+yaml") {
    ASSIGN_OR_RETURN(object, api::parseYaml(request.body));
  } else {
    auto parsed = api::parseJson(request.body);
    if (!parsed.isOk()) {
      return badRequest("the body of the request could not be decoded: " +
                        parsed.status().message());
    }
    object = std::move(parsed).value();
  }
  if (!object.is_object()) {
    return badRequest("the body of the request must be a JSON object (a " + resource.kind + ")");
  }
  return object;
}

Status RestHandler::checkNamespaceWritable(const api::ResourceInfo& resource,
                                           const std::string& namespace_, const std::string& name) {
  if (!resource.namespaced) return Status::ok();
  const api::ResourceInfo* ns_resource = api::findResource("", "v1", "namespaces");
  // The cache answers for namespaces it has seen; one it has not (just created, cache
  // behind) is looked up in etcd.
  if (auto cached = cache("namespaces")->get(storageKey(*ns_resource, "", namespace_))) {
    if (cached->json.find("\"deletionTimestamp\"") == std::string::npos) return Status::ok();
  }
  auto ns = getFromStore(*ns_resource, "", namespace_);
  if (!ns.isOk()) {
    if (ns.status().code() == Code::kNotFound) {
      return notFound("namespaces \"" + namespace_ + "\" not found");
    }
    return ns.status();
  }
  if (metaOf(*ns).contains("deletionTimestamp")) {
    // kube-apiserver's NamespaceLifecycle admission, worded as its Forbidden error.
    return Status(Code::kForbidden, resource.qualifiedName() + " \"" + name +
                                        "\" is forbidden: unable to create new content in "
                                        "namespace " +
                                        namespace_ + " because it is being terminated");
  }
  return Status::ok();
}

// ---------------------------------------------------------------------------------------
// Dispatch

HandlerResult RestHandler::handle(const RequestInfo& info, HttpRequest& request,
                                  const UserInfo* user) {
  Target t;
  t.info = info;
  if (user != nullptr) t.ctx.user = *user;
  t.ctx.dry_run = request.queryValue("dryRun") == "All";
  t.ctx.strict_fields = request.queryValue("fieldValidation") == "Strict";
  t.ctx.field_manager =
      managerName(request.queryValue("fieldManager"), request.header("User-Agent"));
  if (info.resource == "bindings" && info.verb == "create" && info.group.empty()) {
    t.resource = api::findResource("", "v1", "pods");
    return doBinding(t, request);
  }
  // SelfSubjectAccessReview, SelfSubjectReview: answered, never stored.
  if (auto review = serveReview(info, request, user, podAuthorizationFacts(cache("pods")))) {
    HandlerResult result;
    result.response = std::move(*review);
    return result;
  }
  t.resource = api::findResource(info.group, info.version, info.resource);
  if (!t.resource) {
    t.custom = custom_resources_->find(info.group, info.version, info.resource);
    t.resource = t.custom.get();
  }
  if (!t.resource) {
    return fail(notFound("the server could not find the requested resource"), nullptr, "", t.ctx);
  }
  const auto& r = *t.resource;
  if (!r.namespaced && !info.namespace_.empty()) {
    return fail(notFound("the server could not find the requested resource"), nullptr, "", t.ctx);
  }
  bool needs_namespace = r.namespaced && info.verb != "list" && info.verb != "watch";
  if (needs_namespace && info.namespace_.empty()) {
    return fail(notFound("the server could not find the requested resource"), nullptr, "", t.ctx);
  }
  if (!info.subresource.empty()) {
    if (!r.hasSubresource(info.subresource)) {
      return fail(notFound("the server could not find the requested resource"), &r, info.name,
                  t.ctx);
    }
    if (info.subresource == "binding") {
      if (info.verb != "create") {
        return fail(Status(Code::kMethodNotAllowed, "only POST is allowed on pods/binding"), &r,
                    info.name, t.ctx);
      }
      return doBinding(t, request);
    }
    if (info.subresource == "scale") return doScale(t, request);
    if (info.subresource == "eviction") {
      if (info.verb != "create") {
        return fail(Status(Code::kMethodNotAllowed, "only POST is allowed on pods/eviction"), &r,
                    info.name, t.ctx);
      }
      return doEviction(t, request);
    }
    if (info.subresource == "finalize" && info.verb != "update") {
      return fail(Status(Code::kMethodNotAllowed, "only PUT is allowed on namespaces/finalize"), &r,
                  info.name, t.ctx);
    }
    if (info.subresource == "log" || info.subresource == "exec") {
      return fail(unavailable("pods/" + info.subresource +
                              " needs a kubelet; no node serves pod \"" + info.name + "\""),
                  &r, info.name, t.ctx);
    }
    // status: GET reads the object, PUT/PATCH write only its status; finalize: PUT writes
    // only spec.finalizers.
    if (info.verb != "get" && info.verb != "update" && info.verb != "patch") {
      return fail(Status(Code::kMethodNotAllowed, "method not allowed on the status subresource"),
                  &r, info.name, t.ctx);
    }
  }
  if (info.verb == "get") return doGet(t, request);
  if (info.verb == "list") return doList(t, request);
  if (info.verb == "watch") return doWatch(t, request);
  if (isCustomResourceDefinition(r)) {
    // A CRD's resource is served (or no longer) once the response says so: the registry
    // reads the CRD cache, so let it catch up with this write first.
    HandlerResult result = doWrite(t, request);
    if (auto now = store_.currentRevision(); now.isOk()) {
      cache(r.plural)->waitForRevision(*now, std::chrono::seconds(2));
    }
    return result;
  }
  return doWrite(t, request);
}

HandlerResult RestHandler::doWrite(const Target& t, HttpRequest& request) {
  const auto& info = t.info;
  const auto& r = *t.resource;
  if (info.verb == "create") {
    if (!info.name.empty()) {
      return fail(Status(Code::kMethodNotAllowed, "POST is not allowed on a named " + r.singular),
                  &r, info.name, t.ctx);
    }
    return doCreate(t, request);
  }
  if (info.verb == "update") return doUpdate(t, request);
  if (info.verb == "patch") return doPatch(t, request);
  if (info.verb == "delete") return doDelete(t, request);
  if (info.verb == "deletecollection") return doDeleteCollection(t, request);
  return fail(Status(Code::kMethodNotAllowed, "method not allowed"), &r, info.name, t.ctx);
}

// ---------------------------------------------------------------------------------------
// Reads

HandlerResult RestHandler::doGet(const Target& t, HttpRequest& request) {
  const auto& r = *t.resource;
  json object;
  if (request.queryValue("resourceVersion") == "0") {
    auto c = cacheFor(r);
    if (!c.isOk()) return fail(c.status(), &r, t.info.name, t.ctx);
    auto cached = (*c)->get(storageKey(r, t.info.namespace_, t.info.name));
    if (!cached) return fail(notFoundFor(r, t.info.name), &r, t.info.name, t.ctx);
    object = json::parse(cached->json);
  } else {
    auto got = getFromStore(r, t.info.namespace_, t.info.name);
    if (!got.isOk()) return fail(got.status(), &r, t.info.name, t.ctx);
    object = std::move(got).value();
  }
  if (wantsTable(request)) {
    std::vector<const json*> rows{&object};
    json table = buildTable(r, rows, clock_.now(), includeObjectOf(request),
                            metaOf(object).value("resourceVersion", ""));
    Status shown = tableObjectsForClient(r, table);
    if (!shown.isOk()) return fail(shown, &r, t.info.name, t.ctx);
    return respond(200, table.dump(), t.ctx, "application/json;as=Table;v=v1;g=meta.k8s.io");
  }
  return respondObject(200, r, std::move(object), t.ctx);
}

HandlerResult RestHandler::doList(const Target& t, HttpRequest& request) {
  const auto& r = *t.resource;
  auto filter = makeFilter(r, t.info.namespace_, request.queryValue("labelSelector"),
                           request.queryValue("fieldSelector"));
  if (!filter.isOk()) return fail(filter.status(), &r, "", t.ctx);
  auto cached = cacheFor(r);
  if (!cached.isOk()) return fail(cached.status(), &r, "", t.ctx);
  WatchCache* c = *cached;
  std::string rv_param = request.queryValue("resourceVersion");
  WatchCache::Snapshot snapshot;
  bool from_cache = rv_param == "0";
  if (!from_cache && !rv_param.empty()) {
    // "Not older than N": the cache serves it once it has seen N.
    auto n = parseRevisionParam(rv_param);
    if (!n) return fail(badRequest("invalid resourceVersion \"" + rv_param + "\""), &r, "", t.ctx);
    from_cache = c->waitForRevision(*n, std::chrono::milliseconds(200));
  }
  if (from_cache) {
    snapshot = c->list(*filter);
  } else {
    auto listed = consistentList(r, *filter);
    if (!listed.isOk()) return fail(listed.status(), &r, "", t.ctx);
    snapshot = std::move(listed).value();
  }
  if (wantsTable(request)) {
    std::vector<json> parsed;
    parsed.reserve(snapshot.objects.size());
    for (const auto& o : snapshot.objects) parsed.push_back(json::parse(o->json));
    std::vector<const json*> rows;
    rows.reserve(parsed.size());
    for (const auto& p : parsed) rows.push_back(&p);
    json table = buildTable(r, rows, clock_.now(), includeObjectOf(request),
                            std::to_string(snapshot.revision));
    Status shown = tableObjectsForClient(r, table);
    if (!shown.isOk()) return fail(shown, &r, "", t.ctx);
    return respond(200, table.dump(), t.ctx, "application/json;as=Table;v=v1;g=meta.k8s.io");
  }
  if (r.convertsOnRead()) {
    auto list = viewListJson(r, snapshot.objects, snapshot.revision);
    if (!list.isOk()) return fail(list.status(), &r, "", t.ctx);
    return respond(200, *list, t.ctx);
  }
  return respond(200, listJson(r, snapshot.objects, snapshot.revision), t.ctx);
}

Result<WatchCache::Snapshot> RestHandler::consistentList(const api::ResourceInfo& resource,
                                                         const WatchFilter& filter) {
  // Straight from etcd at its current revision.
  std::string prefix = resource.storagePrefix();
  if (resource.namespaced && !filter.namespace_.empty()) prefix += filter.namespace_ + "/";
  ASSIGN_OR_RETURN(store::ListResult listed, store_.list(prefix));
  WatchCache::Snapshot snapshot;
  snapshot.revision = listed.revision;
  for (const auto& kv : listed.items) {
    auto object = makeCachedObject(kv.key, kv.value, kv.mod_revision);
    if (filterAccepts(filter, object)) snapshot.objects.push_back(std::move(object));
  }
  return snapshot;
}

HandlerResult RestHandler::doWatch(const Target& t, HttpRequest& request) {
  const auto& r = *t.resource;
  auto filter = makeFilter(r, t.info.namespace_, request.queryValue("labelSelector"),
                           request.queryValue("fieldSelector"));
  if (!filter.isOk()) return fail(filter.status(), &r, "", t.ctx);
  std::string rv_param = request.queryValue("resourceVersion");
  int64_t from = -1;  // synthetic ADDED for everything, then live
  if (!rv_param.empty() && rv_param != "0") {
    auto n = parseRevisionParam(rv_param);
    if (!n) return fail(badRequest("invalid resourceVersion \"" + rv_param + "\""), &r, "", t.ctx);
    from = *n;
  }
  WatchStreamOptions options;
  options.table = wantsTable(request);
  options.include_object = includeObjectOf(request);
  options.timeout = std::chrono::seconds(1800);
  if (auto timeout = parseRevisionParam(request.queryValue("timeoutSeconds"))) {
    options.timeout = std::chrono::seconds(*timeout);
  }
  HandlerResult result =
      respond(200, "", t.ctx,
              options.table ? "application/json;as=Table;v=v1;g=meta.k8s.io" : "application/json");
  auto cached = cacheFor(r);
  if (!cached.isOk()) return fail(cached.status(), &r, "", t.ctx);
  WatchCache* c = *cached;
  // The cache's own copy of the resource outlives this request (a custom one's too).
  result.start_stream = [this, c, filter = std::move(filter).value(), from,
                         options](std::shared_ptr<ResponseStream> stream) {
    startWatchStream(WatchStreamDeps{store_, clock_, *c, open_watches_, *timeouts_, store_watches_},
                     c->resource(), filter, from, options, std::move(stream));
  };
  return result;
}

// ---------------------------------------------------------------------------------------
// Writes

Result<json> RestHandler::create(const api::ResourceInfo& resource, json object,
                                 RequestContext& ctx) {
  json& md = object["metadata"];
  if (!md.is_object()) return badRequest("metadata must be an object");
  ASSIGN_OR_RETURN(std::string name, metaString(md, "name"));
  ASSIGN_OR_RETURN(std::string generate_name, metaString(md, "generateName"));
  if (name.empty() && !generate_name.empty()) {
    name = generate_name + randomSuffix(5);
    md["name"] = name;
  }
  if (name.empty()) {
    return invalidFor(resource, "",
                      {{"metadata.name", "FieldValueRequired",
                        "Required value: name or generateName is required"}});
  }
  std::string ns;
  if (resource.namespaced) {
    ASSIGN_OR_RETURN(ns, metaString(md, "namespace"));
  }
  RETURN_IF_ERROR(checkNamespaceWritable(resource, ns, name));
  for (const char* field : {"resourceVersion", "uid", "creationTimestamp", "deletionTimestamp",
                            "deletionGracePeriodSeconds", "generation"}) {
    md.erase(field);
  }
  if (resource.hasSubresource("status") && resource.plural != "nodes") object.erase("status");
  if (resource.plural == "namespaces") addNamespaceFinalizer(object);
  if (isCertificateSigningRequest(resource.group, resource.plural)) {
    prepareCsrForCreate(object, ctx.user ? &*ctx.user : nullptr);
  }
  RETURN_IF_ERROR(normalizeObject(resource, object, ctx));
  if (isCustomResourceDefinition(resource)) {
    api::setCustomResourceDefinitionStatus(object, nullptr, formatRfc3339(clock_.now()));
  }
  if (!ctx.apply) recordUpdate(nullptr, object, managerOptions(resource, ctx, "", clock_));
  json& meta = object["metadata"];
  meta["uid"] = newUid();
  meta["creationTimestamp"] = formatRfc3339(clock_.now());
  if (object.contains("spec")) meta["generation"] = 1;
  AdmissionDeps deps{store_, allocator_, admission_};
  if (!ctx.dry_run) RETURN_IF_ERROR(admitCreate(resource, object, ctx, deps));
  auto errors = api::validate(resource, object, nullptr);
  if (!errors.empty()) {
    if (!ctx.dry_run) rollbackCreate(resource, object, deps);
    return invalidFor(resource, name, std::move(errors));
  }
  if (ctx.dry_run) return object;
  auto lease = leaseFor(resource);
  if (!lease.isOk()) {
    rollbackCreate(resource, object, deps);
    return lease.status();
  }
  auto rev = store_.create(storageKey(resource, ns, name), object.dump(), *lease);
  if (!rev.isOk()) {
    rollbackCreate(resource, object, deps);
    if (rev.status().code() == Code::kAlreadyExists) {
      return alreadyExists(resource.qualifiedName() + " \"" + name + "\" already exists");
    }
    return rev.status();
  }
  return withResourceVersion(std::move(object), *rev);
}

HandlerResult RestHandler::doCreate(const Target& t, HttpRequest& request) {
  const auto& r = *t.resource;
  auto body = decodeBody(r, request);
  if (!body.isOk()) return fail(body.status(), &r, "", t.ctx);
  json object = std::move(body).value();
  std::string api_version = stringOf(object, "apiVersion");
  std::string kind = stringOf(object, "kind");
  if (!api_version.empty() && api_version != r.apiVersion()) {
    return fail(badRequest("the API version in the data (" + api_version +
                           ") does not match the expected API version (" + r.apiVersion() + ")"),
                &r, "", t.ctx);
  }
  if (!kind.empty() && kind != r.kind) {
    return fail(badRequest("the kind in the data (" + kind + ") does not match the expected kind (" +
                           r.kind + ")"),
                &r, "", t.ctx);
  }
  if (!object.contains("metadata") || !object["metadata"].is_object()) {
    object["metadata"] = json::object();
  }
  if (r.namespaced) {
    auto body_ns = metaString(object["metadata"], "namespace");
    if (!body_ns.isOk()) return fail(body_ns.status(), &r, "", t.ctx);
    if (!body_ns->empty() && *body_ns != t.info.namespace_) {
      return fail(badRequest("the namespace of the provided object does not match the namespace "
                             "sent on the request"),
                  &r, "", t.ctx);
    }
    object["metadata"]["namespace"] = t.info.namespace_;
  } else {
    object["metadata"].erase("namespace");
  }
  std::string name = nameOf(object);  // for the error's details: `The Ingress "web" is invalid`
  auto created = create(r, std::move(object), t.ctx);
  if (!created.isOk()) return fail(created.status(), &r, name, t.ctx);
  return respondObject(201, r, std::move(created).value(), t.ctx);
}

Result<json> RestHandler::storeUpdate(const api::ResourceInfo& resource, const json& current,
                                      json desired, RequestContext& ctx,
                                      const std::string& subresource) {
  if (resource.isView()) {
    // Converted first, so that what the stored version keeps (its status on a spec update,
    // v2's fields) is kept from the stored object.
    RETURN_IF_ERROR(normalizeObject(resource, desired, ctx));
    if (subresource == "status" && current.contains("spec")) {
      desired["spec"] = current["spec"];  // the view's round trip may reorder v2's metrics
    }
    return storeUpdate(api::storageResource(resource), current, std::move(desired), ctx,
                       subresource);
  }
  const json& cur_md = metaOf(current);
  std::string name = cur_md.value("name", "");
  std::string ns = cur_md.value("namespace", "");
  if (!desired.contains("metadata") || !desired["metadata"].is_object()) {
    desired["metadata"] = json::object();
  }
  json& md = desired["metadata"];
  for (const char* field : {"uid", "creationTimestamp", "deletionTimestamp",
                            "deletionGracePeriodSeconds", "namespace", "name"}) {
    if (cur_md.contains(field)) {
      md[field] = cur_md[field];
    } else {
      md.erase(field);
    }
  }
  md.erase("resourceVersion");
  if (resource.hasSubresource("status") && subresource.empty()) {
    if (current.contains("status")) {
      desired["status"] = current["status"];
    } else {
      desired.erase("status");
    }
  }
  if (isCertificateSigningRequest(resource.group, resource.plural)) {
    prepareCsrForUpdate(desired, current, subresource, clock_.now());
  }
  if (resource.plural == "namespaces" && subresource != "finalize") {
    // spec.finalizers changes only through namespaces/{name}/finalize.
    json finalizers = current.value("spec", json::object()).value("finalizers", json());
    if (!desired.contains("spec") || !desired["spec"].is_object()) desired["spec"] = json::object();
    if (finalizers.is_null()) {
      desired["spec"].erase("finalizers");
    } else {
      desired["spec"]["finalizers"] = finalizers;
    }
  }
  RETURN_IF_ERROR(normalizeObject(resource, desired, ctx));
  if (isCustomResourceDefinition(resource)) {
    api::setCustomResourceDefinitionStatus(desired, &current, formatRfc3339(clock_.now()));
  }
  if (!ctx.apply) {
    recordUpdate(&current, desired, managerOptions(resource, ctx, subresource, clock_));
  }
  // generation counts spec changes.
  if (current.contains("spec") || desired.contains("spec")) {
    int64_t generation = cur_md.value("generation", int64_t{1});
    json old_spec = current.value("spec", json::object());
    json new_spec = desired.value("spec", json::object());
    desired["metadata"]["generation"] = old_spec == new_spec ? generation : generation + 1;
  }
  AdmissionDeps deps{store_, allocator_, admission_};
  RETURN_IF_ERROR(admitUpdate(resource, desired, current, ctx, deps));
  auto errors = api::validate(resource, desired, &current);
  if (!errors.empty()) return invalidFor(resource, name, std::move(errors));
  if (comparable(desired) == comparable(current)) return current;  // no-op: no write
  if (ctx.dry_run) return withResourceVersion(std::move(desired), revisionOf(current));
  // An object being deleted whose last finalizer was removed goes away now.
  const json& new_md = desired["metadata"];
  // A pod goes only once its kubelet finished (grace period 0); a namespace once its
  // spec.finalizers are empty too (the namespace controller emptied it and finalized it).
  bool finalized =
      new_md.contains("deletionTimestamp") &&
      (!new_md.contains("finalizers") || new_md["finalizers"].empty()) &&
      (resource.plural != "namespaces" || namespaceFinalizers(desired).empty()) &&
      (resource.plural != "pods" || new_md.value("deletionGracePeriodSeconds", int64_t{0}) == 0);
  std::string key = storageKey(resource, ns, name);
  if (finalized) {
    RETURN_IF_ERROR(deleteCustomObjectsOf(resource, desired));
    auto removed = store_.remove(key, revisionOf(current));
    if (!removed.isOk()) {
      if (removed.status().code() == Code::kConflict) return conflictFor(resource, name);
      return removed.status();
    }
    releaseAfterDelete(resource, desired, deps);
    return withResourceVersion(std::move(desired), removed->mod_revision);
  }
  ASSIGN_OR_RETURN(int64_t lease, leaseFor(resource));
  auto rev = store_.update(key, desired.dump(), revisionOf(current), lease);
  if (!rev.isOk()) {
    if (rev.status().code() == Code::kConflict) return conflictFor(resource, name);
    if (rev.status().code() == Code::kNotFound) return notFoundFor(resource, name);
    return rev.status();
  }
  releaseAfterUpdate(resource, current, desired, deps);
  return withResourceVersion(std::move(desired), *rev);
}

Result<json> RestHandler::guaranteedUpdate(
    const api::ResourceInfo& resource, const std::string& namespace_, const std::string& name,
    const std::function<Result<json>(const json& current)>& mutate, RequestContext& ctx,
    const std::string& subresource) {
  for (int attempt = 0;; ++attempt) {
    ASSIGN_OR_RETURN(json current, getFromStore(resource, namespace_, name));
    ASSIGN_OR_RETURN(json shown, forClient(resource, current));
    ASSIGN_OR_RETURN(json desired, mutate(shown));
    RequestContext attempt_ctx = ctx;
    auto stored = storeUpdate(resource, current, std::move(desired), attempt_ctx, subresource);
    if (stored.isOk() || stored.status().code() != Code::kConflict ||
        attempt + 1 >= kMaxUpdateRetries) {
      ctx = std::move(attempt_ctx);
      return stored;
    }
  }
}

HandlerResult RestHandler::doUpdate(const Target& t, HttpRequest& request) {
  const auto& r = *t.resource;
  auto body = decodeBody(r, request);
  if (!body.isOk()) return fail(body.status(), &r, t.info.name, t.ctx);
  json object = std::move(body).value();
  auto body_name = metaString(metaOf(object), "name");
  if (!body_name.isOk()) return fail(body_name.status(), &r, t.info.name, t.ctx);
  if (body_name->empty()) {
    object["metadata"]["name"] = t.info.name;
  } else if (*body_name != t.info.name) {
    return fail(badRequest("the name of the object (" + *body_name +
                           ") does not match the name on the URL (" + t.info.name + ")"),
                &r, t.info.name, t.ctx);
  }
  if (r.namespaced) {
    auto body_ns = metaString(metaOf(object), "namespace");
    if (!body_ns.isOk()) return fail(body_ns.status(), &r, t.info.name, t.ctx);
    if (!body_ns->empty() && *body_ns != t.info.namespace_) {
      return fail(badRequest("the namespace of the provided object does not match the namespace "
                             "sent on the request"),
                  &r, t.info.name, t.ctx);
    }
  }
  std::string kind = stringOf(object, "kind");
  if (!kind.empty() && kind != r.kind) {
    return fail(badRequest("the kind in the data (" + kind + ") does not match the expected kind (" +
                           r.kind + ")"),
                &r, t.info.name, t.ctx);
  }
  int64_t expected = revisionOf(object);
  if (expected < 0) {
    return fail(badRequest("metadata.resourceVersion must be a number"), &r, t.info.name, t.ctx);
  }
  const std::string& sub = t.info.subresource;
  auto updated = guaranteedUpdate(
      r, t.info.namespace_, t.info.name,
      [&](const json& current) -> Result<json> {
        if (expected != 0 && expected != revisionOf(current)) return conflictFor(r, t.info.name);
        if (sub == "status") {
          json desired = current;
          if (object.contains("status")) {
            desired["status"] = object["status"];
          } else {
            desired.erase("status");
          }
          return desired;
        }
        if (sub == "finalize") {
          json desired = current;
          if (!desired["spec"].is_object()) desired["spec"] = json::object();
          json finalizers = object.value("spec", json::object()).value("finalizers", json());
          if (finalizers.is_null()) {
            desired["spec"].erase("finalizers");
          } else {
            desired["spec"]["finalizers"] = finalizers;
          }
          return desired;
        }
        return object;
      },
      t.ctx, sub);
  if (!updated.isOk()) return fail(updated.status(), &r, t.info.name, t.ctx);
  return respondObject(200, r, std::move(updated).value(), t.ctx);
}

HandlerResult RestHandler::doPatch(const Target& t, HttpRequest& request) {
  const auto& r = *t.resource;
  std::string content_type = request.header("Content-Type");
  bool is_apply = content_type.rfind("application/apply-patch", 0) == 0;
  const std::string& sub = t.info.subresource;

  FieldManagerOptions apply_options = managerOptions(r, t.ctx, sub, clock_);
  if (is_apply) {
    if (request.queryValue("fieldManager").empty()) {
      return fail(invalid("PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required "
                          "value: is required for apply patch",
                          {{"fieldManager", "FieldValueRequired",
                            "Required value: is required for apply patch"}}),
                  nullptr, "", t.ctx);
    }
    t.ctx.apply = true;
    apply_options.force = request.queryValue("force") == "true";
    auto applied = api::parseYaml(request.body);
    if (!applied.isOk()) return fail(applied.status(), &r, t.info.name, t.ctx);
    if (!applied->is_object()) {
      return fail(badRequest("the applied configuration must be an object"), &r, t.info.name,
                  t.ctx);
    }
    auto existing = getFromStore(r, t.info.namespace_, t.info.name);
    if (!existing.isOk() && existing.status().code() == Code::kNotFound && sub.empty()) {
      auto applied_object = applyServerSideApply(json(), *applied, r, apply_options);
      if (!applied_object.isOk()) return fail(applied_object.status(), &r, t.info.name, t.ctx);
      json object = std::move(applied_object).value();
      if (!object.contains("metadata") || !object["metadata"].is_object()) {
        object["metadata"] = json::object();
      }
      object["metadata"]["name"] = t.info.name;
      if (r.namespaced) object["metadata"]["namespace"] = t.info.namespace_;
      auto created = create(r, std::move(object), t.ctx);
      if (!created.isOk()) return fail(created.status(), &r, t.info.name, t.ctx);
      return respondObject(201, r, std::move(created).value(), t.ctx);
    }
    if (!existing.isOk()) return fail(existing.status(), &r, t.info.name, t.ctx);
  }
  auto updated = guaranteedUpdate(
      r, t.info.namespace_, t.info.name,
      [&](const json& current) -> Result<json> {
        json patched;
        if (is_apply) {
          ASSIGN_OR_RETURN(json applied, api::parseYaml(request.body));
          ASSIGN_OR_RETURN(patched, applyServerSideApply(current, applied, r, apply_options));
        } else {
          ASSIGN_OR_RETURN(patched, applyPatch(content_type, current, request.body, r));
        }
        if (!patched.is_object()) return badRequest("the patch must produce an object");
        int64_t rv = revisionOf(patched);
        if (rv != 0 && rv != revisionOf(current)) return conflictFor(r, t.info.name);
        if (sub == "status") {
          json desired = current;
          if (patched.contains("status")) {
            desired["status"] = patched["status"];
          } else {
            desired.erase("status");
          }
          if (is_apply && metaOf(patched).contains("managedFields")) {
            desired["metadata"]["managedFields"] = metaOf(patched)["managedFields"];
          }
          return desired;
        }
        return patched;
      },
      t.ctx, sub);
  if (!updated.isOk()) return fail(updated.status(), &r, t.info.name, t.ctx);
  return respondObject(200, r, std::move(updated).value(), t.ctx);
}

// ---------------------------------------------------------------------------------------
// Deletes

Result<json> RestHandler::deleteObject(const api::ResourceInfo& resource,
                                       const std::string& namespace_, const std::string& name,
                                       const json& options, RequestContext& ctx) {
  AdmissionDeps deps{store_, allocator_, admission_};
  ASSIGN_OR_RETURN(Propagation policy, propagationOf(options));
  std::optional<int64_t> grace;
  if (options.contains("gracePeriodSeconds") && options["gracePeriodSeconds"].is_number_integer()) {
    grace = std::max<int64_t>(options["gracePeriodSeconds"].get<int64_t>(), 0);
  }
  for (int attempt = 0; attempt < kMaxUpdateRetries; ++attempt) {
    ASSIGN_OR_RETURN(json current, getFromStore(resource, namespace_, name));
    const json& md = metaOf(current);
    if (options.contains("preconditions") && options["preconditions"].is_object()) {
      const json& pre = options["preconditions"];
      if (pre.contains("uid") && pre["uid"].is_string() && pre["uid"] != md.value("uid", "")) {
        return conflict("Precondition failed: UID in precondition: " +
                        pre["uid"].get<std::string>() + ", UID in object meta: " +
                        md.value("uid", ""));
      }
      if (pre.contains("resourceVersion") && pre["resourceVersion"].is_string() &&
          pre["resourceVersion"] != md.value("resourceVersion", "")) {
        return conflict("Precondition failed: ResourceVersion in precondition: " +
                        pre["resourceVersion"].get<std::string>() +
                        ", ResourceVersion in object meta: " + md.value("resourceVersion", ""));
      }
    }
    const bool terminating = md.contains("deletionTimestamp");
    json marked = current;
    json& marked_md = marked["metadata"];
    // 1. Graceful phase: a namespace with spec.finalizers waits for its namespace
    //    controller; a pod on a node waits for its kubelet, for its grace period.
    bool graceful = false;
    if (resource.plural == "namespaces") {
      if (terminating && !namespaceFinalizers(current).empty()) {
        return conflict("Operation cannot be fulfilled on namespaces \"" + name +
                        "\": The system is ensuring all content is removed from this namespace.  "
                        "Upon completion, this namespace will automatically be purged by the "
                        "system.");
      }
      // Terminating without spec.finalizers: metadata.finalizers (below) decide.
      marked["status"]["phase"] = "Terminating";
      graceful = !namespaceFinalizers(current).empty();
    } else if (terminating) {
      std::optional<int64_t> current_grace;
      if (md.contains("deletionGracePeriodSeconds") && md["deletionGracePeriodSeconds"].is_number_integer())
        current_grace = md["deletionGracePeriodSeconds"].get<int64_t>();
      switch (repeatedDelete(current_grace, grace)) {
        case RepeatedDelete::kPending:
          return current;
        case RepeatedDelete::kShorten:
          marked_md["deletionGracePeriodSeconds"] = *grace;
          marked_md["deletionTimestamp"] = formatRfc3339(clock_.now() + std::chrono::seconds(*grace));
          graceful = *grace > 0;
          break;
        case RepeatedDelete::kFinish:
          break;
      }
    } else if (resource.plural == "pods") {
      const json& spec = current.value("spec", json::object());
      std::string phase = current.value("status", json::object()).value("phase", "");
      int64_t pod_grace = grace.value_or(spec.value("terminationGracePeriodSeconds", int64_t{30}));
      bool bound = !spec.value("nodeName", "").empty();
      bool finished = phase == "Succeeded" || phase == "Failed";
      if (bound && !finished && pod_grace > 0) {
        marked_md["deletionGracePeriodSeconds"] = pod_grace;
        marked_md["deletionTimestamp"] = formatRfc3339(clock_.now() + std::chrono::seconds(pod_grace));
        graceful = true;
      }
    }
    // 2. The garbage collector's finalizers for the propagation policy.
    std::vector<std::string> finalizers;
    if (md.contains("finalizers") && md["finalizers"].is_array()) {
      for (const auto& f : md["finalizers"]) {
        if (f.is_string()) finalizers.push_back(f.get<std::string>());
      }
    }
    if (auto next = finalizersForDeletion(finalizers, policy)) {
      finalizers = *next;
      if (finalizers.empty()) {
        marked_md.erase("finalizers");
      } else {
        marked_md["finalizers"] = finalizers;
      }
    }
    // 3. Kept while graceful or finalized; otherwise gone now.
    if (graceful || !finalizers.empty()) {
      if (!marked_md.contains("deletionTimestamp")) {
        marked_md["deletionTimestamp"] = formatRfc3339(clock_.now());
        marked_md["deletionGracePeriodSeconds"] = 0;
      }
      if (comparable(marked) == comparable(current)) return current;
      if (ctx.dry_run) return marked;
      marked_md.erase("resourceVersion");
      auto rev = store_.update(storageKey(resource, namespace_, name), marked.dump(),
                               revisionOf(current));
      if (!rev.isOk() && rev.status().code() == Code::kConflict) continue;
      if (!rev.isOk()) return rev.status();
      if (resource.plural == "namespaces") {
        // Creates after this response must see the namespace terminating; their admission
        // check reads the namespaces cache, so let it catch up with this write first.
        cache("namespaces")->waitForRevision(*rev, std::chrono::seconds(2));
      }
      return withResourceVersion(std::move(marked), *rev);
    }
    if (ctx.dry_run) return current;
    RETURN_IF_ERROR(deleteCustomObjectsOf(resource, current));
    auto removed = store_.remove(storageKey(resource, namespace_, name), revisionOf(current));
    if (!removed.isOk() && removed.status().code() == Code::kConflict) continue;
    if (!removed.isOk()) {
      if (removed.status().code() == Code::kNotFound) return notFoundFor(resource, name);
      return removed.status();
    }
    releaseAfterDelete(resource, current, deps);
    return current;
  }
  return conflictFor(resource, name);
}

namespace {

// A DELETE's body: DeleteOptions as JSON or protobuf (kubectl drain and helm send
// protobuf), or none.
Result<json> deleteOptionsOf(const HttpRequest& request) {
  if (request.body.empty()) return json::object();
  Result<json> parsed = request.header("Content-Type").find("protobuf") != std::string::npos
                            ? api::decodeProtobufBody(request.body)
                            : api::parseJson(request.body);
  if (!parsed.isOk() || !parsed->is_object() || parsed->value("kind", "DeleteOptions") != "DeleteOptions") {
    return badRequest("the DeleteOptions body could not be decoded" +
                      (parsed.isOk() ? std::string() : ": " + parsed.status().message()));
  }
  return parsed;
}

}  // namespace

HandlerResult RestHandler::doDelete(const Target& t, HttpRequest& request) {
  const auto& r = *t.resource;
  auto decoded = deleteOptionsOf(request);
  if (!decoded.isOk()) return fail(decoded.status(), &r, t.info.name, t.ctx);
  json options = std::move(decoded).value();
  if (auto g = parseRevisionParam(request.queryValue("gracePeriodSeconds"))) {
    options["gracePeriodSeconds"] = *g;
  }
  if (std::string p = request.queryValue("propagationPolicy"); !p.empty()) {
    options["propagationPolicy"] = p;
  }
  if (std::string o = request.queryValue("orphanDependents"); !o.empty()) {
    options["orphanDependents"] = o == "true";
  }
  auto deleted = deleteObject(r, t.info.namespace_, t.info.name, options, t.ctx);
  if (!deleted.isOk()) return fail(deleted.status(), &r, t.info.name, t.ctx);
  return respondObject(200, r, std::move(deleted).value(), t.ctx);
}

HandlerResult RestHandler::doDeleteCollection(const Target& t, HttpRequest& request) {
  const auto& r = *t.resource;
  auto filter = makeFilter(r, t.info.namespace_, request.queryValue("labelSelector"),
                           request.queryValue("fieldSelector"));
  if (!filter.isOk()) return fail(filter.status(), &r, "", t.ctx);
  auto decoded = deleteOptionsOf(request);
  if (!decoded.isOk()) return fail(decoded.status(), &r, "", t.ctx);
  json options = std::move(decoded).value();
  auto snapshot = consistentList(r, *filter);
  if (!snapshot.isOk()) return fail(snapshot.status(), &r, "", t.ctx);
  std::vector<CachedObjectPtr> deleted;
  for (const auto& o : snapshot->objects) {
    const json& md = o->attrs.at("metadata");
    auto res = deleteObject(r, md.value("namespace", ""), md.value("name", ""), options, t.ctx);
    if (!res.isOk() && res.status().code() != Code::kNotFound) {
      return fail(res.status(), &r, md.value("name", ""), t.ctx);
    }
    deleted.push_back(o);
  }
  if (r.isView()) {
    auto list = viewListJson(r, deleted, snapshot->revision);
    if (!list.isOk()) return fail(list.status(), &r, "", t.ctx);
    return respond(200, *list, t.ctx);
  }
  return respond(200, listJson(r, deleted, snapshot->revision), t.ctx);
}

// ---------------------------------------------------------------------------------------
// Subresources

HandlerResult RestHandler::doBinding(const Target& t, HttpRequest& request) {
  const auto& pods = *t.resource;
  auto body = decodeBody(pods, request);
  if (!body.isOk()) return fail(body.status(), &pods, t.info.name, t.ctx);
  std::string pod_name = t.info.name.empty() ? nameOf(*body) : t.info.name;
  std::string node = body->value("target", json::object()).value("name", "");
  if (node.empty()) {
    return fail(invalid("Binding \"" + pod_name + "\" is invalid: target.name: Required value",
                        {{"target.name", "FieldValueRequired", "Required value"}}),
                &pods, pod_name, t.ctx);
  }
  if (pod_name.empty()) {
    return fail(badRequest("a binding must name its pod"), &pods, pod_name, t.ctx);
  }
  auto updated = guaranteedUpdate(
      pods, t.info.namespace_, pod_name,
      [&](const json& current) -> Result<json> {
        std::string bound = current.value("spec", json::object()).value("nodeName", "");
        if (!bound.empty()) {
          return conflict("Operation cannot be fulfilled on pods/binding \"" + pod_name +
                          "\": pod " + pod_name + " is already assigned to node \"" + bound + "\"");
        }
        if (metaOf(current).contains("deletionTimestamp")) {
          return conflict("Operation cannot be fulfilled on pods/binding \"" + pod_name +
                          "\": pod " + pod_name + " is being deleted");
        }
        // One write, as the real binding registry does: spec.nodeName and the PodScheduled
        // condition together.
        json desired = current;
        desired["spec"]["nodeName"] = node;
        json& conditions = desired["status"]["conditions"];
        if (!conditions.is_array()) conditions = json::array();
        json condition = {{"type", "PodScheduled"},
                          {"status", "True"},
                          {"lastProbeTime", nullptr},
                          {"lastTransitionTime", formatRfc3339(clock_.now())}};
        bool replaced = false;
        for (auto& c : conditions) {
          if (c.value("type", "") == "PodScheduled") {
            c = condition;
            replaced = true;
          }
        }
        if (!replaced) conditions.push_back(condition);
        return desired;
      },
      t.ctx, "binding");
  if (!updated.isOk()) return fail(updated.status(), &pods, pod_name, t.ctx);
  return respond(201, statusJson(Status::ok()), t.ctx);
}

// pods/eviction: the logic is in eviction.cc; this gives it the store.
HandlerResult RestHandler::doEviction(const Target& t, HttpRequest& request) {
  const auto& pods = *t.resource;
  const api::ResourceInfo& pdbs = *api::findResource("policy", "v1", "poddisruptionbudgets");
  auto body = decodeBody(pods, request);
  if (!body.isOk()) return fail(body.status(), &pods, t.info.name, t.ctx);
  auto options = evictionDeleteOptions(*body, t.info.namespace_, t.info.name, t.ctx.dry_run);
  if (!options.isOk()) return fail(options.status(), &pods, t.info.name, t.ctx);
  RequestContext ctx = t.ctx;  // deleteOptions.dryRun also makes the delete a dry run
  ctx.dry_run = isDryRun(*options);
  EvictionStore store{
      .get_pod = [&](const std::string& ns, const std::string& name) {
        return getFromStore(pods, ns, name);
      },
      .list_pdbs = [&](const std::string& ns) -> Result<std::vector<json>> {
        ASSIGN_OR_RETURN(auto listed, consistentList(pdbs, WatchFilter{.namespace_ = ns}));
        std::vector<json> out;
        for (const auto& object : listed.objects) {
          out.push_back(json::parse(object->json));
        }
        return out;
      },
      .update_pdb_status =
          [&](const std::string& ns, const std::string& name,
              const std::function<Result<json>(const json&)>& mutate) {
            return guaranteedUpdate(pdbs, ns, name, mutate, ctx, "status");
          },
      .delete_pod = [&](const std::string& ns, const std::string& name, const json& opts) {
        return deleteObject(pods, ns, name, opts, ctx);
      },
  };
  EvictionOutcome evicted = evictPod(store, t.info.namespace_, t.info.name, *options, clock_.now());
  if (evicted.status.code() == Code::kTooManyRequests) {
    return statusResult(evicted.status, {.retry_after_seconds = evicted.retry_after_seconds});
  }
  if (!evicted.status.isOk()) return fail(evicted.status, &pods, t.info.name, t.ctx);
  return respond(201, evictionSuccess().dump(), t.ctx);
}

namespace {

json scaleOf(const api::ResourceInfo& r, const json& object) {
  const json& md = metaOf(object);
  json scale = {{"kind", "Scale"}, {"apiVersion", "autoscaling/v1"}};
  scale["metadata"] = json::object();
  for (const char* f : {"name", "namespace", "uid", "resourceVersion", "creationTimestamp"}) {
    if (md.contains(f)) scale["metadata"][f] = md[f];
  }
  if (r.isCustom()) {  // the paths its CRD's scale subresource names
    const api::CustomResourceVersion& custom = *r.custom;
    json replicas = api::evaluateSimpleJsonPath(object, custom.spec_replicas_path);
    scale["spec"]["replicas"] = replicas.is_number_integer() ? replicas : json(0);
    json status = api::evaluateSimpleJsonPath(object, custom.status_replicas_path);
    scale["status"]["replicas"] = status.is_number_integer() ? status : json(0);
    if (!custom.label_selector_path.empty()) {
      json selector = api::evaluateSimpleJsonPath(object, custom.label_selector_path);
      if (selector.is_string()) scale["status"]["selector"] = selector;
    }
    return scale;
  }
  const json& spec = object.value("spec", json::object());
  scale["spec"]["replicas"] = spec.value("replicas", 1);
  scale["status"]["replicas"] = object.value("status", json::object()).value("replicas", 0);
  auto selector = api::LabelSelector::fromJson(spec.value("selector", json::object()));
  scale["status"]["selector"] = selector.isOk() ? selector->toString() : "";
  return scale;
}

}  // namespace

HandlerResult RestHandler::doScale(const Target& t, HttpRequest& request) {
  const auto& r = *t.resource;
  if (t.info.verb == "get") {
    auto got = getFromStore(r, t.info.namespace_, t.info.name);
    if (!got.isOk()) return fail(got.status(), &r, t.info.name, t.ctx);
    return respond(200, scaleOf(r, *got).dump(), t.ctx);
  }
  if (t.info.verb != "update" && t.info.verb != "patch") {
    return fail(Status(Code::kMethodNotAllowed, "method not allowed on the scale subresource"), &r,
                t.info.name, t.ctx);
  }
  json body;
  if (t.info.verb == "update") {
    auto parsed = api::parseJson(request.body);
    if (parsed.isOk()) body = std::move(parsed).value();
    if (!body.is_object()) {
      return fail(badRequest("the body of the request could not be decoded as a Scale"), &r,
                  t.info.name, t.ctx);
    }
  }
  auto updated = guaranteedUpdate(
      r, t.info.namespace_, t.info.name,
      [&](const json& current) -> Result<json> {
        json scale = scaleOf(r, current);
        json wanted;
        if (t.info.verb == "update") {
          wanted = body;
        } else {
          std::string type = request.header("Content-Type");
          if (type.rfind("application/strategic-merge-patch+json", 0) == 0) {
            type = "application/merge-patch+json";  // Scale has no merge keys
          }
          ASSIGN_OR_RETURN(wanted, applyPatch(type, scale, request.body, r));
        }
        int64_t rv = revisionOf(wanted);
        if (rv != 0 && rv != revisionOf(current)) return conflictFor(r, t.info.name);
        const json& spec = wanted.value("spec", json::object());
        if (!spec.contains("replicas") || !spec["replicas"].is_number_integer()) {
          return invalid("Scale \"" + t.info.name + "\" is invalid: spec.replicas: Required value",
                         {{"spec.replicas", "FieldValueRequired", "Required value"}});
        }
        int64_t replicas = spec["replicas"].get<int64_t>();
        if (replicas < 0) {
          return invalid("Scale \"" + t.info.name +
                             "\" is invalid: spec.replicas: Invalid value: " +
                             std::to_string(replicas) + ": must be greater than or equal to 0",
                         {{"spec.replicas", "FieldValueInvalid",
                           "Invalid value: " + std::to_string(replicas) +
                               ": must be greater than or equal to 0"}});
        }
        json desired = current;
        if (r.isCustom()) {
          api::setSimpleJsonPath(desired, r.custom->spec_replicas_path, replicas);
        } else {
          desired["spec"]["replicas"] = replicas;
        }
        return desired;
      },
      t.ctx, "");
  if (!updated.isOk()) return fail(updated.status(), &r, t.info.name, t.ctx);
  return respond(200, scaleOf(r, *updated).dump(), t.ctx);
}

}  // namespace minik8s::apiserver
