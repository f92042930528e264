// IngressController (`ingress` in the controller manager): serves the original project's
// `Dns` kind (v1) through an nginx add-on, as issue 10 asks.
//
// Everything it writes is one thing, so it syncs one key (kube-system/minik8s-nginx): it
// renders every Dns with renderNginxConfig (ingress_render.h) against the Services, and
// writes the result into the ConfigMap kube-system/minik8s-nginx (key nginx.conf) only when
// it changed. Once a Dns exists it makes sure the add-on does: the Service minik8s-nginx
// (ClusterIP, port 80) and the Deployment minik8s-nginx (one replica of the stock nginx
// image, the ConfigMap mounted at /etc/minik8s-nginx). The nginx container runs a small sh
// loop: nginx in the background, and, when the mounted configuration's checksum changes
// (the kubelet rewrites configMap volumes on its periodic pod sync), `nginx -t` then
// SIGHUP, which reloads the workers gracefully: no request is dropped.
// Each Dns gets status {phase, message, address}: phase Live once its every path has a
// backend and the add-on's Deployment has an available replica, Pending otherwise, with the
// reason in message; address is the add-on Service's ClusterIP, which the cluster DNS and
// the agent's hosts block give the Dns' hostname.
// Thread-safe; one sync at a time (the work queue guarantees it).
#pragma once

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "api/types_apps.h"
#include "api/types_core.h"
#include "client/client.h"
#include "client/controller_loop.h"
#include "client/informer.h"
#include "client/work_queue.h"
#include "common/clock.h"
#include "controller/ingress_render.h"

namespace minik8s::controller {

inline constexpr char kNginxNamespace[] = "kube-system";
inline constexpr char kNginxName[] = "minik8s-nginx";
inline constexpr char kNginxConfigKey[] = "nginx.conf";
inline constexpr char kNginxImage[] = "docker.io/library/nginx:latest";

// The add-on's objects (pure).
nlohmann::json nginxService();
nlohmann::json nginxDeployment();
nlohmann::json nginxConfigMap(const std::string& config);

// A Dns' status from its problems, whether nginx has an available replica, and the
// add-on Service's ClusterIP ("" while unknown).
nlohmann::json dnsStatus(const std::vector<std::string>& problems, bool nginx_available,
                         const std::string& address);

class IngressController {
 public:
  using DnsPtr = std::shared_ptr<const api::Dns>;

  IngressController(client::Client& client, client::SharedInformerFactory& informers);
  // For tests: reads prefilled caches; no handlers are registered.
  IngressController(client::Client& client, const client::ObjectCache<api::Dns>& dnses,
                    const client::ObjectCache<api::Service>& services);
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

  client::Client& client_;
  const api::ResourceInfo* dnses_resource_;
  const api::ResourceInfo* services_resource_;
  const api::ResourceInfo* deployments_resource_;
  const api::ResourceInfo* configmaps_resource_;
  client::Lister<api::Dns> dnses_;
  client::Lister<api::Service> services_;
  std::vector<client::InformerBase*> informers_;
  client::WorkQueue queue_;
  client::ControllerLoop loop_;
};

}  // namespace minik8s::controller
