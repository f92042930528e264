#include "controller/ingress.h"

#include <algorithm>

#include "api/codec.h"
#include "common/log.h"

namespace minik8s::controller {
namespace {

using nlohmann::json;

// Starts nginx and reloads it (SIGHUP: new workers, old ones finish their requests) when
// the mounted configuration changes and passes `nginx -t`.
constexpr char kReloadLoop[] = R"(conf=/etc/minik8s-nginx/nginx.conf
/usr/sbin/nginx -c "$conf" &
pid=$!
trap 'kill -QUIT $pid; wait $pid; exit 0' TERM INT
last=$(md5sum < "$conf")
while kill -0 $pid 2>/dev/null; do
  sleep 1
  now=$(md5sum < "$conf")
  [ "$now" = "$last" ] && continue
  last=$now
  if /usr/sbin/nginx -t -q -c "$conf"; then
    kill -HUP $pid && echo "minik8s-nginx: configuration reloaded"
  else
    echo "minik8s-nginx: new configuration refused by nginx -t; the previous one stays"
  fi
done
wait $pid
)";

json addonLabels() {
  return {{"app.kubernetes.io/name", kNginxName}, {"app.kubernetes.io/managed-by", "minik8s"}};
}

json addonMeta() {
  return {{"name", kNginxName}, {"namespace", kNginxNamespace}, {"labels", addonLabels()}};
}

}  // namespace

json nginxIngressClass() {
  return {{"apiVersion", "networking.k8s.io/v1"},
          {"kind", "IngressClass"},
          {"metadata",
           {{"name", kNginxName},
            {"labels", addonLabels()},
            {"annotations", {{api::kIsDefaultIngressClassAnnotation, "true"}}}}},
          {"spec", {{"controller", kIngressController}}}};
}

bool servesIngress(const api::Ingress& ingress, const api::IngressClass* our_class) {
  std::string named = ingress.spec.ingress_class_name.value_or("");
  if (named.empty()) {
    auto it = ingress.metadata.annotations.find(api::kIngressClassAnnotation);
    if (it != ingress.metadata.annotations.end()) named = it->second;
  }
  if (!named.empty()) return named == kNginxName;
  if (our_class == nullptr) return true;
  auto it = our_class->metadata.annotations.find(api::kIsDefaultIngressClassAnnotation);
  return it != our_class->metadata.annotations.end() && it->second == "true";
}

json ingressStatus(const std::string& address) {
  json lb = json::object();
  if (!address.empty()) lb["ingress"] = json::array({{{"ip", address}}});
  return {{"loadBalancer", lb}};
}

json nginxService() {
  return {
      {"apiVersion", "v1"},
      {"kind", "Service"},
      {"metadata", addonMeta()},
      {"spec",
       {{"type", "ClusterIP"},
        {"selector", {{"app.kubernetes.io/name", kNginxName}}},
        {"ports", {{{"name", "http"}, {"port", 80}, {"targetPort", 80}, {"protocol", "TCP"}}}}}}};
}

json nginxDeployment() {
  json container = {
      {"name", "nginx"},
      {"image", kNginxImage},
      {"imagePullPolicy", "IfNotPresent"},
      {"command", {"/bin/sh", "-c", kReloadLoop}},
      {"ports", {{{"name", "http"}, {"containerPort", 80}, {"protocol", "TCP"}}}},
      {"readinessProbe",
       {{"tcpSocket", {{"port", 80}}}, {"periodSeconds", 2}, {"failureThreshold", 1}}},
      {"volumeMounts", {{{"name", "config"}, {"mountPath", "/etc/minik8s-nginx"}}}}};
  return {
      {"apiVersion", "apps/v1"},
      {"kind", "Deployment"},
      {"metadata", addonMeta()},
      {"spec",
       {{"replicas", 1},
        {"selector", {{"matchLabels", {{"app.kubernetes.io/name", kNginxName}}}}},
        {"strategy",
         {{"type", "RollingUpdate"}, {"rollingUpdate", {{"maxUnavailable", 0}, {"maxSurge", 1}}}}},
        {"template",
         {{"metadata", {{"labels", addonLabels()}}},
          {"spec",
           {{"containers", {container}},
            {"volumes", {{{"name", "config"}, {"configMap", {{"name", kNginxName}}}}}}}}}}}}};
}

json nginxConfigMap(const std::string& config) {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", addonMeta()},
          {"data", {{kNginxConfigKey, config}}}};
}

json dnsStatus(const std::vector<std::string>& problems, bool nginx_available,
               const std::string& address) {
  json status = {{"phase", "Live"}, {"message", ""}};
  if (!problems.empty()) {
    std::string message;
    for (const auto& p : problems) message += (message.empty() ? "" : "; ") + p;
    status = {{"phase", "Pending"}, {"message", message}};
  } else if (!nginx_available) {
    status = {{"phase", "Pending"},
              {"message", std::string("waiting for the nginx add-on (deployment ") +
                              kNginxNamespace + "/" + kNginxName + ") to be available"}};
  }
  if (!address.empty()) status["address"] = address;
  return status;
}

IngressController::IngressController(client::Client& client,
                                     const client::ObjectCache<api::Dns>& dnses,
                                     const client::ObjectCache<api::Service>& services,
                                     const client::ObjectCache<api::Ingress>& ingresses,
                                     const client::ObjectCache<api::IngressClass>& ingress_classes)
    : client_(client),
      dnses_resource_(api::findResource("", "v1", "dnses")),
      services_resource_(api::findResource("", "v1", "services")),
      deployments_resource_(api::findResource("apps", "v1", "deployments")),
      configmaps_resource_(api::findResource("", "v1", "configmaps")),
      ingresses_resource_(api::findResource("networking.k8s.io", "v1", "ingresses")),
      ingress_classes_resource_(api::findResource("networking.k8s.io", "v1", "ingressclasses")),
      dnses_(dnses),
      services_(services),
      ingresses_(ingresses),
      ingress_classes_(ingress_classes),
      events_(client, {"ingress-controller", ""}),
      queue_(),
      loop_("ingress", queue_, [this](const std::string& key) { return sync(key); }) {}

IngressController::IngressController(client::Client& client,
                                     client::SharedInformerFactory& informers)
    : IngressController(
          client, informers.informerFor<api::Dns>(*api::findResource("", "v1", "dnses")).cache(),
          informers.informerFor<api::Service>(*api::findResource("", "v1", "services")).cache(),
          informers
              .informerFor<api::Ingress>(*api::findResource("networking.k8s.io", "v1", "ingresses"))
              .cache(),
          informers
              .informerFor<api::IngressClass>(
                  *api::findResource("networking.k8s.io", "v1", "ingressclasses"))
              .cache()) {
  auto& dnses = informers.informerFor<api::Dns>(*dnses_resource_);
  auto& services = informers.informerFor<api::Service>(*services_resource_);
  auto& deployments = informers.informerFor<api::Deployment>(*deployments_resource_);
  auto& ingresses = informers.informerFor<api::Ingress>(*ingresses_resource_);
  auto& ingress_classes = informers.informerFor<api::IngressClass>(*ingress_classes_resource_);
  informers_ = {&dnses, &services, &deployments, &ingresses, &ingress_classes};
  const std::string key = std::string(kNginxNamespace) + "/" + kNginxName;
  // Our status writes come back as Dns (Ingress) updates; the next sync finds nothing to
  // write.
  dnses.addHandler({.on_add = [this, key](const DnsPtr&) { queue_.add(key); },
                    .on_update = [this, key](const DnsPtr&, const DnsPtr&) { queue_.add(key); },
                    .on_delete = [this, key](const DnsPtr&) { queue_.add(key); }});
  ingresses.addHandler(
      {.on_add = [this, key](const IngressPtr&) { queue_.add(key); },
       .on_update = [this, key](const IngressPtr&, const IngressPtr&) { queue_.add(key); },
       .on_delete = [this, key](const IngressPtr&) { queue_.add(key); }});
  using IngressClassPtr = std::shared_ptr<const api::IngressClass>;
  auto on_class = [this, key](const IngressClassPtr& c) {
    if (c->metadata.name == kNginxName) queue_.add(key);
  };
  ingress_classes.addHandler(
      {.on_add = on_class,
       .on_update = [on_class](const IngressClassPtr&, const IngressClassPtr& c) { on_class(c); },
       .on_delete = on_class});
  using ServicePtr = std::shared_ptr<const api::Service>;
  auto on_service = [this, key](const ServicePtr& svc) {
    // Nothing routes to Services yet.
    if (dnses_.list().empty() && ingresses_.list().empty()) return;
    (void)svc;
    queue_.add(key);
  };
  services.addHandler(
      {.on_add = on_service,
       .on_update = [on_service](const ServicePtr&, const ServicePtr& s) { on_service(s); },
       .on_delete = on_service});
  using DeploymentPtr = std::shared_ptr<const api::Deployment>;
  auto on_deployment = [this, key](const DeploymentPtr& d) {
    if (d->metadata.namespace_ == kNginxNamespace && d->metadata.name == kNginxName)
      queue_.add(key);
  };
  deployments.addHandler(
      {.on_add = on_deployment,
       .on_update = [on_deployment](const DeploymentPtr&,
                                    const DeploymentPtr& d) { on_deployment(d); },
       .on_delete = on_deployment});
}

IngressController::~IngressController() {
  stop();
}

Status IngressController::run(int workers, std::chrono::milliseconds sync_timeout) {
  Status s = loop_.run(workers, informers_, sync_timeout);
  queue_.add(std::string(kNginxNamespace) + "/" + kNginxName);  // configuration left from before
  return s;
}

void IngressController::stop() {
  loop_.stop();
}

// Gets the add-on object `wanted` names, creating it when missing.
Result<json> IngressController::ensure(const api::ResourceInfo& resource, const json& wanted) {
  const std::string ns = resource.namespaced ? kNginxNamespace : "";
  auto got = client_.get(resource, ns, kNginxName);
  if (got.isOk() || got.status().code() != Code::kNotFound) return got;
  log::info("ingress: creating {} {}{}", resource.kind, ns.empty() ? "" : ns + "/", kNginxName);
  auto created = client_.create(resource, ns, wanted);
  if (created.status().code() == Code::kAlreadyExists) {
    return client_.get(resource, ns, kNginxName);
  }
  return created;
}

Status IngressController::writeConfig(const std::string& config) {
  ASSIGN_OR_RETURN(json current, ensure(*configmaps_resource_, nginxConfigMap(config)));
  auto data = current.find("data");
  if (data != current.end() && data->is_object() && data->contains(kNginxConfigKey) &&
      (*data)[kNginxConfigKey] == config)
    return Status::ok();
  current["data"][kNginxConfigKey] = config;
  log::info("ingress: writing the nginx configuration ({} bytes)", config.size());
  return client_.update(*configmaps_resource_, kNginxNamespace, current).status();
}

Status IngressController::writeStatus(const api::Dns& dns, const json& status) {
  if (!dns.status.isNull() && dns.status.get() == status) return Status::ok();
  json object = api::toJson(dns);
  object["status"] = status;
  auto written = client_.update(*dnses_resource_, dns.metadata.namespace_, object);
  if (written.status().code() == Code::kNotFound) return Status::ok();
  return written.status();
}

Status IngressController::writeIngressStatus(const api::Ingress& ingress, const json& status) {
  if (api::toJson(ingress.status) == status) return Status::ok();
  json object = api::toJson(ingress);
  object["status"] = status;
  auto written =
      client_.update(*ingresses_resource_, ingress.metadata.namespace_, object, "status");
  if (written.status().code() == Code::kNotFound) return Status::ok();
  return written.status();
}

void IngressController::reportProblems(const api::Ingress& ingress,
                                       const std::vector<std::string>& problems) {
  std::string text;
  for (const auto& p : problems) text += (text.empty() ? "" : "; ") + p;
  const std::string key = ingress.metadata.namespace_ + "/" + ingress.metadata.name;
  std::string& last = reported_[key + " " + ingress.metadata.uid];
  if (!last.empty() && last == (text.empty() ? "ok" : text)) return;
  last = text.empty() ? "ok" : text;
  client::EventTarget target{"Ingress",
                             "networking.k8s.io/v1",
                             ingress.metadata.namespace_,
                             ingress.metadata.name,
                             ingress.metadata.uid,
                             ingress.metadata.resource_version,
                             ""};
  if (text.empty()) {
    events_.record(target, {"Normal", "Sync",
                            std::string("Scheduled for sync: every path is served by ") +
                                kNginxNamespace + "/" + kNginxName});
  } else {
    for (const auto& p : problems) events_.record(target, {"Warning", "BackendProblem", p});
  }
}

Status IngressController::sync(const std::string&) {
  // Our IngressClass first: it says which Ingresses are ours.
  auto our_class = ingress_classes_.get("", kNginxName);
  if (!our_class) RETURN_IF_ERROR(ensure(*ingress_classes_resource_, nginxIngressClass()).status());
  std::vector<DnsPtr> dnses = dnses_.list();
  std::sort(dnses.begin(), dnses.end(), [](const DnsPtr& a, const DnsPtr& b) {
    return std::tie(a->metadata.namespace_, a->metadata.name) <
           std::tie(b->metadata.namespace_, b->metadata.name);
  });
  std::vector<IngressPtr> ours;
  std::vector<IngressPtr> others;
  for (auto& ing : ingresses_.list()) {
    (servesIngress(*ing, our_class.get()) ? ours : others).push_back(std::move(ing));
  }
  // Forget what was reported for Ingresses that are gone or not ours.
  for (auto it = reported_.begin(); it != reported_.end();) {
    bool kept = std::any_of(ours.begin(), ours.end(), [&](const IngressPtr& ing) {
      return it->first ==
             ing->metadata.namespace_ + "/" + ing->metadata.name + " " + ing->metadata.uid;
    });
    it = kept ? std::next(it) : reported_.erase(it);
  }
  if (dnses.empty() && ours.empty()) {
    // No add-on is made before the first Dns or Ingress of ours; one already made is
    // emptied.
    auto current = client_.get(*configmaps_resource_, kNginxNamespace, kNginxName);
    if (current.status().code() == Code::kNotFound) return Status::ok();
    if (!current.isOk()) return current.status();
  }
  std::vector<IngressRoute> routes;
  for (const auto& dns : dnses) {
    for (auto& r : routesOfDns(*dns)) routes.push_back(std::move(r));
  }
  for (const auto& ing : ours) {
    if (!ing->metadata.deletion_timestamp.empty()) continue;
    for (auto& r : routesOfIngress(*ing)) routes.push_back(std::move(r));
  }
  RenderedIngress rendered = renderNginxConfig(routes, services_.list());
  // The ConfigMap first: the Deployment's pod mounts it.
  RETURN_IF_ERROR(writeConfig(rendered.config));
  ASSIGN_OR_RETURN(json service, ensure(*services_resource_, nginxService()));
  ASSIGN_OR_RETURN(json deployment, ensure(*deployments_resource_, nginxDeployment()));
  std::string address = service["spec"].value("clusterIP", "");
  if (address == "None") address.clear();
  bool available =
      deployment.contains("status") && deployment["status"].value("availableReplicas", 0) > 0;
  Status first_error = Status::ok();
  auto keep = [&](const Status& s) {
    if (!s.isOk() && first_error.isOk()) first_error = s;
  };
  static const std::vector<std::string> kNone;
  for (const auto& dns : dnses) {
    if (!dns->metadata.deletion_timestamp.empty()) continue;
    const std::string owner = dns->metadata.namespace_ + "/" + dns->metadata.name;
    auto it = rendered.problems.find(owner);
    keep(writeStatus(
        *dns, dnsStatus(it == rendered.problems.end() ? kNone : it->second, available, address)));
  }
  for (const auto& ing : ours) {
    if (!ing->metadata.deletion_timestamp.empty()) continue;
    auto it = rendered.problems.find(ingressOwner(*ing));
    reportProblems(*ing, it == rendered.problems.end() ? kNone : it->second);
    // The address once nginx serves; until then whatever the status says stays.
    if (available && !address.empty()) keep(writeIngressStatus(*ing, ingressStatus(address)));
  }
  // An Ingress no longer ours (its class changed) loses the address we gave it.
  for (const auto& ing : others) {
    if (!address.empty() && api::toJson(ing->status) == ingressStatus(address)) {
      keep(writeIngressStatus(*ing, ingressStatus("")));
    }
  }
  return first_error;
}

}  // namespace minik8s::controller
