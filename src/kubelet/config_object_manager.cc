#include "kubelet/config_object_manager.h"

#include "api/defaults.h"
#include "kubelet/resources.h"

namespace minik8s::kubelet {

ConfigObjectManager::ConfigObjectManager(client::Client& client)
    : client_(client),
      configmaps_(std::make_unique<client::Informer<nlohmann::json>>(
          client, resource("", "v1", "configmaps"))),
      secrets_(std::make_unique<client::Informer<nlohmann::json>>(
          client, resource("", "v1", "secrets"))) {}

ConfigObjectManager::~ConfigObjectManager() { stop(); }

void ConfigObjectManager::start() {
  configmaps_->start();
  secrets_->start();
}

void ConfigObjectManager::stop() {
  configmaps_->stop();
  secrets_->stop();
}

bool ConfigObjectManager::waitForSync(std::chrono::milliseconds timeout) {
  return configmaps_->waitForSync(timeout) && secrets_->waitForSync(timeout);
}

std::optional<ObjectData> ConfigObjectManager::get(const std::string& ns,
                                                   const std::string& kind,
                                                   const std::string& name) {
  const bool secret = kind == "secret";
  auto& informer = secret ? *secrets_ : *configmaps_;
  if (informer.hasSynced()) {
    if (auto cached = informer.get(ns + "/" + name)) return dataOf(*cached, secret);
  }
  auto got = client_.get(resource("", "v1", secret ? "secrets" : "configmaps"), ns, name);
  if (!got.isOk()) return std::nullopt;
  return dataOf(*got, secret);
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
