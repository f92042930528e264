#include "kubelet/status_manager.h"

#include "api/codec.h"
#include "common/log.h"
#include "kubelet/resources.h"

namespace minik8s::kubelet {

StatusManager::StatusManager(client::Client& client, std::string host_ip, Readiness readiness,
                             Clock& clock)
    : client_(client), host_ip_(std::move(host_ip)), readiness_(std::move(readiness)),
      clock_(clock) {}

void StatusManager::setPodStatus(const api::Pod& pod, const PodRuntime& runtime,
                                 const std::map<std::string, WaitingReason>& waiting) {
  StatusInputs inputs;
  inputs.host_ip = host_ip_;
  inputs.now = formatRfc3339(clock_.now());
  inputs.waiting = waiting;
  inputs.readiness = readiness_;
  api::PodStatus status = computePodStatus(pod, runtime, inputs);
  if (!statusChanged(pod.status, status)) return;
  std::string body = nlohmann::json{{"status", api::toJson(status)}}.dump();
  {
    std::lock_guard lock(mu_);
    auto& last = last_status_[pod.metadata.uid];
    if (last == body) return;  // written already; the informer has not caught up
    last = body;
  }
  client::PatchOptions options;
  options.subresource = "status";
  auto patched = client_.patch(podsResource(), pod.metadata.namespace_, pod.metadata.name,
                               client::PatchType::kMerge, body, options);
  if (!patched.isOk()) {
    std::lock_guard lock(mu_);
    last_status_.erase(pod.metadata.uid);
    if (patched.status().code() != Code::kNotFound) {
      log::warn("kubelet: writing status of pod {}/{}: {}", pod.metadata.namespace_,
                pod.metadata.name, patched.status().toString());
    }
  }
}

void StatusManager::forgetPod(const std::string& uid) {
  std::lock_guard lock(mu_);
  last_status_.erase(uid);
}

}  // namespace minik8s::kubelet
