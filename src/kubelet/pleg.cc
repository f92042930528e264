#include "kubelet/pleg.h"

#include <algorithm>

#include "kubelet/pod_config.h"

namespace minik8s::kubelet {
namespace {

std::string labelOf(const cri::Labels& labels, const char* key) {
  auto it = labels.find(key);
  return it == labels.end() ? "" : it->second;
}

}  // namespace

std::string Pleg::Listing::fingerprint() const {
  std::vector<std::string> parts;
  for (const auto& s : sandboxes) {
    parts.push_back("s" + s.id + ":" + std::to_string(static_cast<int>(s.state)) + ";");
  }
  for (const auto& c : containers) {
    parts.push_back("c" + c.id + ":" + std::to_string(static_cast<int>(c.state)) + ";");
  }
  std::sort(parts.begin(), parts.end());
  std::string out;
  for (const auto& p : parts) out += p;
  return out;
}

uint64_t Pleg::nextSeq() {
  std::lock_guard lock(mu_);
  return ++seq_;
}

bool Pleg::healthy() const {
  std::lock_guard lock(mu_);
  return healthy_;
}

std::shared_ptr<const PodRuntime> Pleg::get(const std::string& uid) const {
  {
    std::lock_guard lock(mu_);
    if (auto it = cache_.find(uid); it != cache_.end()) return it->second.runtime;
  }
  auto empty = std::make_shared<PodRuntime>();
  empty->uid = uid;
  return empty;
}

void Pleg::putLocked(const std::string& uid, Entry entry) {
  auto [it, inserted] = cache_.try_emplace(uid);
  if (!inserted && it->second.seq > entry.seq) return;
  it->second = std::move(entry);
}

Result<std::vector<std::string>> Pleg::relist() {
  const uint64_t seq = nextSeq();
  auto sandboxes = runtime_.listPodSandbox({});
  auto containers = runtime_.listContainers({});
  if (!sandboxes.isOk() || !containers.isOk()) {
    std::lock_guard lock(mu_);
    healthy_ = false;
    return !sandboxes.isOk() ? sandboxes.status() : containers.status();
  }
  std::map<std::string, Listing> listed;
  for (auto& s : *sandboxes) {
    std::string uid = labelOf(s.labels, kPodUidLabel);
    if (!uid.empty()) listed[uid].sandboxes.push_back(std::move(s));
  }
  for (auto& c : *containers) {
    std::string uid = labelOf(c.labels, kPodUidLabel);
    if (!uid.empty()) listed[uid].containers.push_back(std::move(c));
  }
  std::map<std::string, std::string> fingerprints;
  for (const auto& [uid, listing] : listed) fingerprints[uid] = listing.fingerprint();

  std::vector<std::string> changed, stale;
  {
    std::lock_guard lock(mu_);
    for (const auto& [uid, fp] : fingerprints) {
      auto it = relisted_.find(uid);
      if (it == relisted_.end() || it->second != fp) changed.push_back(uid);
      auto cached = cache_.find(uid);
      if (cached == cache_.end() || cached->second.fingerprint != fp) stale.push_back(uid);
    }
    for (const auto& [uid, fp] : relisted_) {
      if (!fingerprints.count(uid)) changed.push_back(uid);
    }
    relisted_ = fingerprints;
    for (auto it = cache_.begin(); it != cache_.end();) {
      bool gone = !fingerprints.count(it->first) && it->second.seq < seq;
      it = gone ? cache_.erase(it) : std::next(it);
    }
  }
  std::vector<std::pair<std::string, Entry>> read;
  for (const auto& uid : stale) {
    auto runtime = std::make_shared<PodRuntime>(inspect(uid, listed[uid]));
    read.push_back({uid, Entry{std::move(runtime), fingerprints[uid], seq}});
  }
  std::lock_guard lock(mu_);
  for (auto& [uid, entry] : read) putLocked(uid, std::move(entry));
  healthy_ = true;
  return changed;
}

Result<std::shared_ptr<const PodRuntime>> Pleg::updatePod(const std::string& uid) {
  const uint64_t seq = nextSeq();
  Listing listing;
  cri::PodSandboxFilter sandbox_filter;
  sandbox_filter.label_selector[kPodUidLabel] = uid;
  ASSIGN_OR_RETURN(listing.sandboxes, runtime_.listPodSandbox(sandbox_filter));
  cri::ContainerFilter container_filter;
  container_filter.label_selector[kPodUidLabel] = uid;
  ASSIGN_OR_RETURN(listing.containers, runtime_.listContainers(container_filter));
  std::shared_ptr<const PodRuntime> runtime = std::make_shared<PodRuntime>(inspect(uid, listing));
  std::lock_guard lock(mu_);
  putLocked(uid, Entry{runtime, listing.fingerprint(), seq});
  return runtime;
}

PodRuntime Pleg::inspect(const std::string& uid, const Listing& listing) {
  PodRuntime pod;
  pod.uid = uid;
  for (const auto& s : listing.sandboxes) {
    RuntimeSandbox rs{s.id, s.state, s.metadata.attempt, s.created_at, ""};
    pod.name = s.metadata.name;
    pod.namespace_ = s.metadata.namespace_;
    if (s.state == cri::SandboxState::kReady) {
      auto status = runtime_.podSandboxStatus(s.id);
      if (status.isOk()) rs.ip = status->ip;
    }
    pod.sandboxes.push_back(std::move(rs));
  }
  for (const auto& c : listing.containers) {
    RuntimeContainer rc;
    rc.id = c.id;
    rc.sandbox_id = c.pod_sandbox_id;
    rc.name = labelOf(c.labels, kContainerNameLabel);
    if (rc.name.empty()) rc.name = c.metadata.name;
    rc.state = c.state;
    rc.restart_count = restartCountOf(c.annotations);
    auto hash = c.annotations.find(kContainerHashAnnotation);
    if (hash != c.annotations.end()) rc.hash = hash->second;
    rc.image = c.image;
    rc.image_ref = c.image_ref;
    rc.created_at = c.created_at;
    auto status = runtime_.containerStatus(c.id);
    if (status.isOk()) {
      rc.state = status->state;
      rc.started_at = status->started_at;
      rc.finished_at = status->finished_at;
      rc.exit_code = status->exit_code;
      rc.reason = status->reason;
      rc.message = status->message;
      if (!status->image.empty()) rc.image = status->image;
      if (!status->image_ref.empty()) rc.image_ref = status->image_ref;
    }
    pod.containers.push_back(std::move(rc));
  }
  pod.sortNewestFirst();
  return pod;
}

}  // namespace minik8s::kubelet
