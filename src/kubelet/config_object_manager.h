// ConfigObjectManager: the ConfigMaps and Secrets that pods use (environment, volumes,
// image pull secrets), after Kubernetes' watch-based configmap and secret managers
// (pkg/kubelet/util/manager/watch_based_manager.go). The kubelet never lists them across
// the cluster (the Node authorizer would refuse it): registerPod() starts, for each object a
// pod refers to, one single-object watch — an informer over the pod's namespace with the
// field selector metadata.name=<name>, which the Node authorizer allows for an object a pod
// bound to the node uses — shared by every pod that refers to it and stopped when
// unregisterPod() (or a registerPod() with fewer references) releases the last of them.
// get() reads the object's cache; an object with no synced watch (not yet listed, not
// registered, or watching turned off), or one its watch has not seen (created a moment
// ago), is read with a GET, so a pod never waits for a watch to catch up.
// A change of a watched object after its first list calls the change handler once per pod
// that refers to it (the kubelet re-syncs those pods).
//
// Owned by the Kubelet: setChangeHandler() before the first registerPod(); stop() once
// (also from the destructor). Thread-safe; the change handler runs on a watch's thread.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "api/types_core.h"
#include "client/client.h"
#include "client/informer.h"
#include "kubelet/pod_config.h"

namespace minik8s::kubelet {

// One ConfigMap ("configmap") or Secret ("secret") a pod refers to, in its namespace.
struct ConfigObjectRef {
  std::string ns;
  std::string kind;
  std::string name;

  auto operator<=>(const ConfigObjectRef&) const = default;
};

class ConfigObjectManager {
 public:
  // `watch` false (hollow nodes): no watches at all; every get() is a GET.
  explicit ConfigObjectManager(client::Client& client, bool watch = true,
                               client::InformerOptions timing = {});
  ~ConfigObjectManager();
  ConfigObjectManager(const ConfigObjectManager&) = delete;
  ConfigObjectManager& operator=(const ConfigObjectManager&) = delete;

  // Called with the uid of each registered pod that refers to an object that changed.
  // REQUIRES: before the first registerPod().
  void setChangeHandler(std::function<void(const std::string& uid)> handler);

  // Makes the watches match what `pod` refers to now: starts those of new references, and
  // releases those it no longer makes. Idempotent.
  void registerPod(const api::Pod& pod);
  // Releases every reference of pod `uid` (nothing when it has none).
  void unregisterPod(const std::string& uid);
  // Stops every watch; later registrations start none.
  void stop();

  // The data of ConfigMap ("configmap") or Secret ("secret") `name` in `ns`; nullopt when
  // there is no such object.
  std::optional<ObjectData> get(const std::string& ns, const std::string& kind,
                                const std::string& name);

  // For tests: the objects watched now, and whether one's watch has listed.
  std::vector<ConfigObjectRef> watched() const;
  bool waitForSync(const ConfigObjectRef& ref, std::chrono::milliseconds timeout);

  // The ConfigMaps and Secrets `pod` refers to: configMap and secret volumes, env
  // (configMapKeyRef, secretKeyRef) and envFrom of its containers and init containers, and
  // its image pull secrets.
  static std::set<ConfigObjectRef> referencesOf(const api::Pod& pod);
  // The decoded data of a ConfigMap (data and binaryData) or Secret (data) object.
  static ObjectData dataOf(const nlohmann::json& object, bool secret);

 private:
  using Informer = client::Informer<nlohmann::json>;
  struct Watch {
    std::unique_ptr<Informer> informer;
    std::set<std::string> pods;  // uids of the registered pods that refer to it
  };

  std::unique_ptr<Informer> startWatch(const ConfigObjectRef& ref);
  // Drops `uid` from the watch of `ref`; the informer to stop (outside mu_) when that was
  // the last pod. REQUIRES: mu_ held.
  std::unique_ptr<Informer> releaseLocked(const ConfigObjectRef& ref, const std::string& uid);
  void changed(const ConfigObjectRef& ref);

  client::Client& client_;
  const bool watch_;
  const client::InformerOptions timing_;
  std::function<void(const std::string& uid)> on_change_;  // set before registrations
  mutable std::mutex mu_;
  std::map<ConfigObjectRef, Watch> watches_;                    // GUARDED_BY(mu_)
  std::map<std::string, std::set<ConfigObjectRef>> pod_refs_;  // uid → refs. GUARDED_BY(mu_)
  bool stopped_ = false;                                        // GUARDED_BY(mu_)
};

}  // namespace minik8s::kubelet
