// IngressController (`ingress` in the controller manager): serves the original project's
// `Dns` kind (v1) and networking.k8s.io/v1 Ingresses of our IngressClass through an nginx
// add-on, as issue 10 asks.
//
// Everything it writes is one thing, so it syncs one key (kube-system/minik8s-nginx): it
// renders every Dns and every Ingress it serves (servesIngress) with renderNginxConfig
// (ingress_render.h) against the Services, and writes the result into the ConfigMap
// kube-system/minik8s-nginx (key nginx.conf) only when it changed. The IngressClass
// minik8s-nginx (controller minik8s.io/ingress-nginx, the default class) is made by the
// first sync, at start, and again whenever it is missing. Once a Dns or an Ingress it
// serves exists it makes sure the add-on does: the Service minik8s-nginx
// (ClusterIP, port 80) and the Deployment minik8s-nginx (one replica of the stock nginx
// image, the ConfigMap mounted at /etc/minik8s-nginx). The nginx container runs a small sh
// loop: nginx in the background, and, when the mounted configuration's checksum changes
// (the kubelet rewrites configMap volumes on its periodic pod sync), `nginx -t` then
// SIGHUP, which reloads the workers gracefully: no request is dropped.
// Each Dns gets status {phase, message, address}: phase Live once its every path has a
// backend and the add-on's Deployment has an available replica, Pending otherwise, with the
// reason in message; address is the add-on Service's ClusterIP, which the cluster DNS and
// the agent's hosts block give the Dns' hostname (an Ingress' hosts get no such name).
// An Ingress it serves gets status.loadBalancer.ingress [{ip: the add-on's ClusterIP}]
// once the add-on is available, and an Event when its problems change (a Warning
// BackendProblem naming each, or a Normal Sync once every path is served).
// Thread-safe; one sync at a time (the work queue guarantees it).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "api/types_apps.h"
#include "api/types_core.h"
#include "api/types_networking.h"
#include "client/client.h"
#include "client/controller_loop.h"
#include "client/event_recorder.h"
#include "client/informer.h"
#include "client/work_queue.h"
#include "common/clock.h"
#include "controller/ingress_render.h"

namespace minik8s::controller {

inline constexpr char kNginxNamespace[] = "kube-system";
inline constexpr char kNginxName[] = "minik8s-nginx";
inline constexpr char kNginxConfigKey[] = "nginx.conf";
inline constexpr char kNginxImage[] = "docker.io/library/nginx:latest";
// Our IngressClass (named kNginxName) and its controller.
inline constexpr char kIngressController[] = "minik8s.io/ingress-nginx";

// The add-on's objects (pure).
nlohmann::json nginxIngressClass();
nlohmann::json nginxService();
nlohmann::json nginxDeployment();
nlohmann::json nginxConfigMap(const std::string& config);

// A Dns' status from its problems, whether nginx has an available replica, and the
// add-on Service's ClusterIP ("" while unknown).
nlohmann::json dnsStatus(const std::vector<std::string>& problems, bool nginx_available,
                         const std::string& address);

// Whether we serve `ingress`: its spec.ingressClassName, or else its legacy annotation
// kubernetes.io/ingress.class, names our class; or it names none and our class is the
// default (`our_class` is our IngressClass as stored, nullptr while it is not: it is made
// as the default).
bool servesIngress(const api::Ingress& ingress, const api::IngressClass* our_class);

// An Ingress' status: the add-on's ClusterIP as its load balancer's address.
nlohmann::json ingressStatus(const std::string& address);

class IngressController {
 public:
  using DnsPtr = std::shared_ptr<const api::Dns>;
  using IngressPtr = std::shared_ptr<const api::Ingress>;

  IngressController(client::Client& client, client::SharedInformerFactory& informers);
  // For tests: reads prefilled caches; no handlers are registered.
  IngressController(client::Client& client, const client::ObjectCache<api::Dns>& dnses,
                    const client::ObjectCache<api::Service>& services,
                    const client::ObjectCache<api::Ingress>& ingresses,
                    const client::ObjectCache<api::IngressClass>& ingress_classes);
  ~IngressController();
  IngressController(const IngressController&) = delete;
  IngressController& operator=(const IngressController&) = delete;

  Status run(int workers, std::chrono::milliseconds sync_timeout = std::chrono::seconds(30));
  void stop();

  // The one level-triggered pass (any key syncs everything).
  Status sync(const std::string& key);

  client::WorkQueue& queue() { return queue_; }

 private:
  Result<nlohmann::json> ensure(const api::ResourceInfo& resource, const nlohmann::json& wanted);
  Status writeConfig(const std::string& config);
  Status writeStatus(const api::Dns& dns, const nlohmann::json& status);
  Status writeIngressStatus(const api::Ingress& ingress, const nlohmann::json& status);
  // An Event on `ingress` when its problems differ from the last ones reported.
  void reportProblems(const api::Ingress& ingress, const std::vector<std::string>& problems);

  client::Client& client_;
  const api::ResourceInfo* dnses_resource_;
  const api::ResourceInfo* services_resource_;
  const api::ResourceInfo* deployments_resource_;
  const api::ResourceInfo* configmaps_resource_;
  const api::ResourceInfo* ingresses_resource_;
  const api::ResourceInfo* ingress_classes_resource_;
  client::Lister<api::Dns> dnses_;
  client::Lister<api::Service> services_;
  client::Lister<api::Ingress> ingresses_;
  client::Lister<api::IngressClass> ingress_classes_;
  client::EventRecorder events_;
  // "namespace/name" -> the problems last reported for the Ingress (by uid, so that a new
  // Ingress of the same name reports again); only the sync touches it.
  std::map<std::string, std::string> reported_;
  std::vector<client::InformerBase*> informers_;
  client::WorkQueue queue_;
  client::ControllerLoop loop_;
};

}  // namespace minik8s::controller
