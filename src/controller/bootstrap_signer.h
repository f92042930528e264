// BootstrapSignerController: signs kube-public/cluster-info with every bootstrap token that
// may sign (Kubernetes' bootstrapsigner, pkg/controller/bootstrap). For each Secret
// kube-system/bootstrap-token-<id> of type bootstrap.kubernetes.io/token that is well formed,
// unexpired and has usage-bootstrap-signing "true", cluster-info's data gets
// "jws-kubeconfig-<id>": the detached JWS of data.kubeconfig made with the token's secret
// (pki/jws.h). Entries of tokens that are gone, expired or no longer signing are removed.
// A joining node checks its token's entry before it trusts the CA it read.
//
// One key, "kube-public/cluster-info": any change of that ConfigMap or of a Secret in
// kube-system enqueues it. sync reads both from the listers, computes the wanted data
// (pure clusterInfoSignatures) and updates the ConfigMap with the cached resourceVersion
// when it differs (a conflict requeues); then it requeues itself for the next expiry, so
// an expired token's signature goes even when nothing else changes. Thread-safe; one sync
// at a time.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api/types_core.h"
#include "client/client.h"
#include "client/controller_loop.h"
#include "client/informer.h"
#include "client/work_queue.h"
#include "common/clock.h"
#include "pki/bootstrap_token.h"

namespace minik8s::controller {

// The tokens among `secrets` that may sign at `now` (kube-system, named
// bootstrap-token-<token-id>, usage signing, not expired), in secret order.
std::vector<pki::BootstrapTokenInfo> signingTokens(
    const std::vector<std::shared_ptr<const api::Secret>>& secrets,
    std::chrono::system_clock::time_point now);

// `data` (cluster-info's) with exactly one jws-kubeconfig-<id> per token in `tokens`, over
// data["kubeconfig"]; other keys kept. Without a kubeconfig every signature is removed.
std::map<std::string, std::string> clusterInfoSignatures(
    std::map<std::string, std::string> data, const std::vector<pki::BootstrapTokenInfo>& tokens);

// The earliest expiry among `tokens` after `now`, if any.
std::optional<std::chrono::system_clock::time_point> nextExpiry(
    const std::vector<pki::BootstrapTokenInfo>& tokens);

class BootstrapSignerController {
 public:
  BootstrapSignerController(client::Client& client, client::SharedInformerFactory& informers,
                            Clock& clock = Clock::real());
  // For tests: reads prefilled caches; no handlers are registered.
  BootstrapSignerController(client::Client& client,
                            const client::ObjectCache<api::ConfigMap>& config_maps,
                            const client::ObjectCache<api::Secret>& secrets,
                            Clock& clock = Clock::real());
  ~BootstrapSignerController();
  BootstrapSignerController(const BootstrapSignerController&) = delete;
  BootstrapSignerController& operator=(const BootstrapSignerController&) = delete;

  Status run(std::chrono::milliseconds sync_timeout = std::chrono::seconds(30));
  void stop();

  // REQUIRES: key is "kube-public/cluster-info" (others are ignored).
  Status sync(const std::string& key);
  void enqueue();

  client::WorkQueue& queue() { return queue_; }

 private:
  client::Client& client_;
  Clock& clock_;
  client::Lister<api::ConfigMap> config_maps_;
  client::Lister<api::Secret> secrets_;
  std::vector<client::InformerBase*> informers_;
  client::WorkQueue queue_;
  client::ControllerLoop loop_;
};

}  // namespace minik8s::controller
