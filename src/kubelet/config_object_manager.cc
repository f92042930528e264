#include "kubelet/config_object_manager.h"

#include "api/defaults.h"
#include "kubelet/resources.h"

namespace minik8s::kubelet {

namespace {

const api::ResourceInfo& resourceOf(const std::string& kind) {
  return kind == "secret" ? resource("", "v1", "secrets") : resource("", "v1", "configmaps");
}

}  // namespace

ConfigObjectManager::ConfigObjectManager(client::Client& client, bool watch,
                                         client::InformerOptions timing)
    : client_(client), watch_(watch), timing_(std::move(timing)) {}

ConfigObjectManager::~ConfigObjectManager() { stop(); }

void ConfigObjectManager::setChangeHandler(std::function<void(const std::string& uid)> handler) {
  std::lock_guard lock(mu_);
  on_change_ = std::move(handler);
}

std::unique_ptr<ConfigObjectManager::Informer> ConfigObjectManager::startWatch(
    const ConfigObjectRef& ref) {
  client::InformerOptions options = timing_;
  options.ns = ref.ns;
  options.label_selector.clear();
  options.field_selector = "metadata.name=" + ref.name;
  auto informer = std::make_unique<Informer>(client_, resourceOf(ref.kind), options);
  Informer* self = informer.get();
  // The first list only fills the cache: the pods were synced with a GET meanwhile.
  auto notify = [this, self, ref] {
    if (self->hasSynced()) changed(ref);
  };
  informer->addHandler({[notify](const Informer::Ptr&) { notify(); },
                        [notify](const Informer::Ptr&, const Informer::Ptr&) { notify(); },
                        [notify](const Informer::Ptr&) { notify(); }});
  informer->start();
  return informer;
}

void ConfigObjectManager::changed(const ConfigObjectRef& ref) {
  std::set<std::string> pods;
  std::function<void(const std::string&)> handler;
  {
    std::lock_guard lock(mu_);
    auto it = watches_.find(ref);
    if (it == watches_.end() || !on_change_) return;
    pods = it->second.pods;
    handler = on_change_;
  }
  for (const auto& uid : pods) handler(uid);
}

void ConfigObjectManager::registerPod(const api::Pod& pod) {
  if (!watch_ || pod.metadata.uid.empty()) return;
  const std::string& uid = pod.metadata.uid;
  std::set<ConfigObjectRef> refs = referencesOf(pod);
  std::vector<std::unique_ptr<Informer>> released;
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    auto& registered = pod_refs_[uid];
    if (registered == refs) {
      if (refs.empty()) pod_refs_.erase(uid);
      return;
    }
    for (const auto& ref : refs) {
      if (registered.count(ref)) continue;
      Watch& watch = watches_[ref];
      if (!watch.informer) watch.informer = startWatch(ref);
      watch.pods.insert(uid);
    }
    for (const auto& ref : registered) {
      if (refs.count(ref)) continue;
      if (auto informer = releaseLocked(ref, uid)) released.push_back(std::move(informer));
    }
    if (refs.empty()) {
      pod_refs_.erase(uid);
    } else {
      registered = std::move(refs);
    }
  }
  released.clear();  // stops and joins those watches, outside mu_
}

void ConfigObjectManager::unregisterPod(const std::string& uid) {
  std::vector<std::unique_ptr<Informer>> released;
  {
    std::lock_guard lock(mu_);
    auto it = pod_refs_.find(uid);
    if (it == pod_refs_.end()) return;
    for (const auto& ref : it->second) {
      if (auto informer = releaseLocked(ref, uid)) released.push_back(std::move(informer));
    }
    pod_refs_.erase(it);
  }
  released.clear();
}

std::unique_ptr<ConfigObjectManager::Informer> ConfigObjectManager::releaseLocked(
    const ConfigObjectRef& ref, const std::string& uid) {
  auto it = watches_.find(ref);
  if (it == watches_.end()) return nullptr;
  it->second.pods.erase(uid);
  if (!it->second.pods.empty()) return nullptr;
  auto informer = std::move(it->second.informer);
  watches_.erase(it);
  return informer;
}

void ConfigObjectManager::stop() {
  std::map<ConfigObjectRef, Watch> watches;
  {
    std::lock_guard lock(mu_);
    stopped_ = true;
    watches.swap(watches_);
    pod_refs_.clear();
  }
  watches.clear();  // stops and joins every watch, outside mu_
}

std::optional<ObjectData> ConfigObjectManager::get(const std::string& ns, const std::string& kind,
                                                   const std::string& name) {
  const bool secret = kind == "secret";
  {
    std::lock_guard lock(mu_);
    auto it = watches_.find({ns, kind, name});
    if (it != watches_.end() && it->second.informer->hasSynced()) {
      if (auto cached = it->second.informer->get(ns + "/" + name)) return dataOf(*cached, secret);
    }
  }
  auto got = client_.get(resourceOf(kind), ns, name);
  if (!got.isOk()) return std::nullopt;
  return dataOf(*got, secret);
}

std::vector<ConfigObjectRef> ConfigObjectManager::watched() const {
  std::lock_guard lock(mu_);
  std::vector<ConfigObjectRef> out;
  for (const auto& [ref, watch] : watches_) out.push_back(ref);
  return out;
}

bool ConfigObjectManager::waitForSync(const ConfigObjectRef& ref,
                                      std::chrono::milliseconds timeout) {
  Informer* informer = nullptr;
  {
    std::lock_guard lock(mu_);
    auto it = watches_.find(ref);
    if (it == watches_.end()) return false;
    informer = it->second.informer.get();
  }
  // REQUIRES (tests): the watch is not released meanwhile.
  return informer->waitForSync(timeout);
}

std::set<ConfigObjectRef> ConfigObjectManager::referencesOf(const api::Pod& pod) {
  std::set<ConfigObjectRef> refs;
  const std::string& ns = pod.metadata.namespace_;
  auto add = [&](const char* kind, const std::string& name) {
    if (!name.empty()) refs.insert({ns, kind, name});
  };
  for (const auto& volume : pod.spec.volumes) {
    if (volume.config_map) add("configmap", volume.config_map->name);
    if (volume.secret) add("secret", volume.secret->secret_name);
  }
  for (const auto* list : {&pod.spec.init_containers, &pod.spec.containers}) {
    for (const auto& container : *list) {
      for (const auto& env : container.env) {
        if (!env.value_from) continue;
        if (env.value_from->config_map_key_ref) {
          add("configmap", env.value_from->config_map_key_ref->name);
        }
        if (env.value_from->secret_key_ref) add("secret", env.value_from->secret_key_ref->name);
      }
      for (const auto& from : container.env_from) {
        if (from.config_map_ref) add("configmap", from.config_map_ref->name);
        if (from.secret_ref) add("secret", from.secret_ref->name);
      }
    }
  }
  for (const auto& pull : pod.spec.image_pull_secrets) add("secret", pull.name);
  return refs;
}

ObjectData ConfigObjectManager::dataOf(const nlohmann::json& object, bool secret) {
  ObjectData out;
  auto add = [&](const char* field, bool decode) {
    if (!object.contains(field) || !object[field].is_object()) return;
    for (const auto& [k, v] : object[field].items()) {
      if (!v.is_string()) continue;
      std::string value = v.get<std::string>();
      if (decode) {
        std::string bytes;
        if (!api::base64Decode(value, &bytes)) continue;
        value = std::move(bytes);
      }
      out.data[k] = std::move(value);
    }
  };
  add("data", secret);
  if (!secret) add("binaryData", true);
  return out;
}

}  // namespace minik8s::kubelet
