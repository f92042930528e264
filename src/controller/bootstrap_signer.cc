#include "controller/bootstrap_signer.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "api/codec.h"
#include "api/scheme.h"
#include "common/log.h"
#include "pki/jws.h"

namespace minik8s::controller {

namespace bootstrap_signer_impl {

constexpr char kPublicNamespace[] = "kube-public";
constexpr char kClusterInfo[] = "cluster-info";
constexpr char kSystemNamespace[] = "kube-system";
constexpr char kKey[] = "kube-public/cluster-info";

const api::ResourceInfo& configMapsResource() {
  return *api::findResource("", "v1", "configmaps");
}
const api::ResourceInfo& secretsResource() {
  return *api::findResource("", "v1", "secrets");
}

}  // namespace bootstrap_signer_impl

namespace bsi = bootstrap_signer_impl;

std::vector<pki::BootstrapTokenInfo> signingTokens(
    const std::vector<std::shared_ptr<const api::Secret>>& secrets,
    std::chrono::system_clock::time_point now) {
  std::vector<pki::BootstrapTokenInfo> out;
  for (const auto& secret : secrets) {
    if (!secret || secret->metadata.namespace_ != bsi::kSystemNamespace) continue;
    auto info = pki::bootstrapTokenInfo(api::toJson(*secret));
    if (!info || secret->metadata.name != info->token.secretName()) continue;
    if (std::find(info->usages.begin(), info->usages.end(), "signing") == info->usages.end()) {
      continue;
    }
    if (info->expires && *info->expires <= now) continue;
    out.push_back(std::move(*info));
  }
  return out;
}

std::map<std::string, std::string> clusterInfoSignatures(
    std::map<std::string, std::string> data, const std::vector<pki::BootstrapTokenInfo>& tokens) {
  std::erase_if(data, [](const auto& entry) {
    return entry.first.rfind(pki::kJwsKubeconfigPrefix, 0) == 0;
  });
  auto kubeconfig = data.find("kubeconfig");
  if (kubeconfig == data.end()) return data;
  const std::string content = kubeconfig->second;
  for (const auto& token : tokens) {
    data[pki::jwsKubeconfigKey(token.token.id)] =
        pki::computeDetachedJws(content, token.token.id, token.token.secret);
  }
  return data;
}

std::optional<std::chrono::system_clock::time_point> nextExpiry(
    const std::vector<pki::BootstrapTokenInfo>& tokens) {
  std::optional<std::chrono::system_clock::time_point> next;
  for (const auto& token : tokens) {
    if (token.expires && (!next || *token.expires < *next)) next = token.expires;
  }
  return next;
}

BootstrapSignerController::BootstrapSignerController(
    client::Client& client, const client::ObjectCache<api::ConfigMap>& config_maps,
    const client::ObjectCache<api::Secret>& secrets, Clock& clock)
    : client_(client),
      clock_(clock),
      config_maps_(config_maps),
      secrets_(secrets),
      queue_(clock),
      loop_("bootstrapsigner", queue_, [this](const std::string& key) { return sync(key); }) {}

BootstrapSignerController::BootstrapSignerController(client::Client& client,
                                                     client::SharedInformerFactory& informers,
                                                     Clock& clock)
    : BootstrapSignerController(
          client,
          informers
              .informerFor<api::ConfigMap>(bsi::configMapsResource(),
                                           client::InformerOptions{.ns = bsi::kPublicNamespace})
              .cache(),
          informers
              .informerFor<api::Secret>(bsi::secretsResource(),
                                        client::InformerOptions{.ns = bsi::kSystemNamespace})
              .cache(),
          clock) {
  auto& config_maps = informers.informerFor<api::ConfigMap>(
      bsi::configMapsResource(), client::InformerOptions{.ns = bsi::kPublicNamespace});
  auto& secrets = informers.informerFor<api::Secret>(
      bsi::secretsResource(), client::InformerOptions{.ns = bsi::kSystemNamespace});
  informers_ = {&config_maps, &secrets};
  config_maps.addHandler({
      .on_add = [this](const std::shared_ptr<const api::ConfigMap>& cm) {
        if (cm->metadata.name == bsi::kClusterInfo) enqueue();
      },
      .on_update =
          [this](const std::shared_ptr<const api::ConfigMap>&,
                 const std::shared_ptr<const api::ConfigMap>& cm) {
            if (cm->metadata.name == bsi::kClusterInfo) enqueue();
          },
      .on_delete = nullptr,
  });
  auto on_secret = [this](const std::shared_ptr<const api::Secret>& secret) {
    if (secret && secret->type == "bootstrap.kubernetes.io/token") enqueue();
  };
  secrets.addHandler({
      .on_add = on_secret,
      .on_update = [on_secret](const std::shared_ptr<const api::Secret>& old_secret,
                               const std::shared_ptr<const api::Secret>& secret) {
        on_secret(old_secret);
        on_secret(secret);
      },
      .on_delete = on_secret,
  });
}

BootstrapSignerController::~BootstrapSignerController() {
  stop();
}

Status BootstrapSignerController::run(std::chrono::milliseconds sync_timeout) {
  Status started = loop_.run(1, informers_, sync_timeout);
  if (started.isOk()) enqueue();
  return started;
}

void BootstrapSignerController::stop() {
  loop_.stop();
}

void BootstrapSignerController::enqueue() {
  queue_.add(bsi::kKey);
}

Status BootstrapSignerController::sync(const std::string& key) {
  if (key != bsi::kKey) return Status::ok();
  auto config_map = config_maps_.get(bsi::kPublicNamespace, bsi::kClusterInfo);
  if (!config_map) return Status::ok();  // the server publishes it; its add enqueues us
  const auto now = clock_.now();
  auto tokens = signingTokens(secrets_.listNamespace(bsi::kSystemNamespace), now);
  if (auto next = nextExpiry(tokens)) {
    queue_.addAfter(bsi::kKey, *next - now + std::chrono::seconds(1));
  }
  std::map<std::string, std::string> current(config_map->data.begin(), config_map->data.end());
  auto wanted = clusterInfoSignatures(current, tokens);
  if (wanted == current) return Status::ok();

  api::ConfigMap updated = *config_map;
  updated.data = {wanted.begin(), wanted.end()};
  nlohmann::json body = api::toJson(updated);
  body["apiVersion"] = "v1";
  body["kind"] = "ConfigMap";
  auto written = client_.update(bsi::configMapsResource(), bsi::kPublicNamespace, body);
  if (written.status().code() == Code::kNotFound) return Status::ok();
  if (!written.isOk()) return written.status().withContext("updating cluster-info");
  log::info("bootstrapsigner: cluster-info signed by {} token(s)", tokens.size());
  return Status::ok();
}

}  // namespace minik8s::controller
