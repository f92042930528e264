// ConfigObjectManager: the ConfigMaps and Secrets that pods use (environment, volumes,
// image pull secrets), read from two informers instead of a GET per sync (Kubernetes'
// watch-based configmap and secret managers). An object the informers do not have (one
// created a moment ago, or any before their first list) is read with a GET, so a pod never
// waits for a watch to catch up: only a deletion can be seen up to one watch event late.
//
// Owned by the Kubelet: start() once, stop() once (also from the destructor). Thread-safe.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "client/client.h"
#include "client/informer.h"
#include "kubelet/pod_config.h"

namespace minik8s::kubelet {

class ConfigObjectManager {
 public:
  explicit ConfigObjectManager(client::Client& client);
  ~ConfigObjectManager();

  void start();  // the informers; does not wait for them
  void stop();
  // Waits until both informers have listed (for tests); false after `timeout`.
  bool waitForSync(std::chrono::milliseconds timeout);

  // The data of ConfigMap ("configmap") or Secret ("secret") `name` in `ns`; nullopt when
  // there is no such object.
  std::optional<ObjectData> get(const std::string& ns, const std::string& kind,
                                const std::string& name);

  // The decoded data of a ConfigMap (data and binaryData) or Secret (data) object.
  static ObjectData dataOf(const nlohmann::json& object, bool secret);

 private:
  client::Client& client_;
  std::unique_ptr<client::Informer<nlohmann::json>> configmaps_;
  std::unique_ptr<client::Informer<nlohmann::json>> secrets_;
};

}  // namespace minik8s::kubelet
