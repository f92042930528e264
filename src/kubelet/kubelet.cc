#include "kubelet/kubelet.h"

#include <condition_variable>
#include <cstdlib>
#include <filesystem>

#include "api/codec.h"
#include "api/defaults.h"
#include "api/scheme.h"
#include "common/files.h"
#include "common/log.h"
#include "kubelet/resources.h"
#include "kubelet/pod_cgroups.h"
#include "kubelet/probe_manager.h"
#include "kubelet/volumes.h"

namespace minik8s::kubelet {
namespace {

using json = nlohmann::json;
using std::chrono::nanoseconds;


int64_t toNs(Clock::WallTime t) {
  return std::chrono::duration_cast<nanoseconds>(t.time_since_epoch()).count();
}

std::chrono::seconds podGrace(const api::Pod& pod) {
  int64_t grace = pod.metadata.deletion_grace_period_seconds.value_or(
      pod.spec.termination_grace_period_seconds.value_or(30));
  return std::chrono::seconds(std::max<int64_t>(0, grace));
}

}  // namespace

Kubelet::Kubelet(client::Client& client, cri::Runtime& runtime, KubeletOptions options,
                 Clock& clock)
    : client_(client),
      runtime_(runtime),
      options_(std::move(options)),
      clock_(clock),
      events_(client, {"kubelet", options_.node.node_name}, clock),
      node_status_(client, runtime, options_.node, options_.heartbeat_period, clock),
      pleg_(runtime),
      status_(client, options_.node.node_ip,
              [this](const std::string& id) {
                ContainerProbeState state = probes_->state(id);
                return ContainerReadiness{state.started, state.ready};
              },
              clock),
      queue_(clock),
      backoff_(options_.backoff),
      pull_backoff_(options_.pull_backoff),
      probes_(std::make_unique<ProbeManager>(
          runtime, clock, [this](const std::string& uid) { queue_.add(uid); },
          ProbeManager::Options{{}, std::max(1, options_.probe_threads)})) {}

Kubelet::~Kubelet() { stop(); }

// ---------------------------------------------------------------------------------------
// Start / stop

Status Kubelet::start() {
  if (started_.exchange(true)) return Status::ok();
  auto created = std::filesystem::create_directories(options_.paths.data_dir + "/logs");
  (void)created;
  // The server may still be starting: retry registration with back-off.
  auto deadline = clock_.monotonic() + options_.register_timeout;
  std::chrono::milliseconds delay(100);
  for (;;) {
    Status registered = node_status_.registerNode();
    if (registered.isOk()) break;
    if (clock_.monotonic() + delay > deadline) return registered;
    log::warn("kubelet: registering node {}: {}; retrying", options_.node.node_name,
              registered.toString());
    std::this_thread::sleep_for(delay);
    delay = std::min(delay * 2, std::chrono::milliseconds(2000));
  }

  config_objects_ =
      std::make_unique<ConfigObjectManager>(client_, options_.watch_config_objects);
  config_objects_->setChangeHandler([this](const std::string& uid) { queue_.add(uid); });
  client::InformerOptions informer_options;
  informer_options.field_selector = "spec.nodeName=" + options_.node.node_name;
  pods_ = std::make_unique<client::Informer<api::Pod>>(client_, podsResource(), informer_options);
  pods_->addIndex("uid", [](const api::Pod& pod) {
    return std::vector<std::string>{pod.metadata.uid};
  });
  auto enqueue = [this](const PodPtr& pod) {
    if (pod && !pod->metadata.uid.empty()) queue_.add(pod->metadata.uid);
  };
  pods_->addHandler({enqueue, [enqueue](const PodPtr&, const PodPtr& now) { enqueue(now); },
                     enqueue});
  pods_->start();
  if (!pods_->waitForSync(std::chrono::seconds(30))) {
    log::warn("kubelet: the pod list has not synced after 30 s; going on");
  }

  // The first relist fills the runtime cache before any sync reads it.
  relist();
  threads_.emplace_back([this](std::stop_token stop) { runRelist(stop); });
  for (int i = 0; i < options_.workers; ++i) {
    threads_.emplace_back([this](std::stop_token stop) { runWorker(stop); });
  }
  node_status_.start();
  log::info("kubelet: node {} running ({})", options_.node.node_name,
            node_status_.runtimeVersion());
  return Status::ok();
}

void Kubelet::stop() {
  if (!started_.load()) return;
  queue_.shutDown();
  probes_->stop();
  for (auto& t : threads_) t.request_stop();
  threads_.clear();  // joins
  node_status_.stop();
  if (config_objects_) config_objects_->stop();
  if (pods_) pods_->stop();
  started_ = false;
}

// ---------------------------------------------------------------------------------------
// Relist and workers

void Kubelet::runRelist(std::stop_token stop) {
  auto next_resync = clock_.monotonic() + options_.resync_period;
  std::mutex m;
  std::condition_variable_any cv;
  for (;;) {
    {
      std::unique_lock lock(m);
      cv.wait_for(lock, stop, options_.relist_period, [] { return false; });
    }
    if (stop.stop_requested()) return;
    relist();
    if (clock_.monotonic() >= next_resync) {
      for (const auto& pod : pods_->list()) queue_.add(pod->metadata.uid);
      next_resync = clock_.monotonic() + options_.resync_period;
    }
  }
}

void Kubelet::relist() {
  auto changed = pleg_.relist();
  if (!changed.isOk()) return;  // runtime down: the node says so
  for (const auto& uid : *changed) queue_.add(uid);
}

void Kubelet::runWorker(std::stop_token stop) {
  while (!stop.stop_requested()) {
    auto key = queue_.get(stop);
    if (!key) return;
    nanoseconds again{0};
    try {
      again = syncPod(*key);
    } catch (const std::exception& e) {
      log::error("kubelet: syncing pod {} failed: {}", *key, e.what());
      again = std::chrono::seconds(1);
    }
    ++syncs_;
    queue_.done(*key);
    if (again.count() > 0) queue_.addAfter(*key, again);
  }
}

Kubelet::PodPtr Kubelet::podByUid(const std::string& uid) const {
  auto found = pods_->byIndex("uid", uid);
  return found.empty() ? nullptr : found.front();
}

std::shared_ptr<const PodRuntime> Kubelet::refreshRuntime(
    const std::string& uid, std::shared_ptr<const PodRuntime> fallback) {
  auto read = pleg_.updatePod(uid);
  if (read.isOk()) return *read;
  log::warn("kubelet: reading pod {} from the runtime: {}", uid, read.status().toString());
  return fallback;
}

// ---------------------------------------------------------------------------------------
// Sync

nanoseconds Kubelet::syncPod(const std::string& uid) {
  PodPtr pod = podByUid(uid);
  // One watch per ConfigMap and Secret the pod refers to, while it is bound here.
  if (pod) {
    config_objects_->registerPod(*pod);
  } else {
    config_objects_->unregisterPod(uid);
  }
  if (!pleg_.healthy()) {
    log::warn("kubelet: pod {} waits for the runtime to be listed", uid);
    return std::chrono::seconds(1);
  }
  std::shared_ptr<const PodRuntime> runtime = pleg_.get(uid);
  if (pod == nullptr) {
    // Deleted from the API (or never ours): nothing of it may keep running.
    if (!runtime->sandboxes.empty() || !runtime->containers.empty()) {
      log::info("kubelet: removing pod {}/{} ({}) that is no longer bound here",
                runtime->namespace_, runtime->name, uid);
      killPod(*runtime, std::chrono::seconds(0));
      removePodRuntime(*runtime);
      (void)refreshRuntime(uid, runtime);
    }
    std::string log_dir = runtime->name.empty()
                              ? ""
                              : options_.paths.data_dir + "/logs/" + runtime->namespace_ + "_" +
                                    runtime->name + "_" + uid;
    cleanupPod(uid, log_dir);
    return nanoseconds(0);
  }
  if (!pod->metadata.deletion_timestamp.empty()) {
    terminatePod(*pod, *runtime);
    return nanoseconds(0);
  }
  return syncRunningPod(*pod, *runtime);
}

nanoseconds Kubelet::syncRunningPod(const api::Pod& pod, const PodRuntime& runtime) {
  const std::string& uid = pod.metadata.uid;
  std::map<std::string, WaitingReason> waiting;
  auto lookup = [&](const std::string& kind, const std::string& name) {
    return config_objects_->get(pod.metadata.namespace_, kind, name);
  };
  auto volumes = options_.manage_volumes ? prepareVolumes(pod, options_.paths, lookup)
                                         : Result<VolumePaths>(plannedVolumePaths(pod, options_.paths));
  if (!volumes.isOk()) {
    for (const auto* list : {&pod.spec.init_containers, &pod.spec.containers}) {
      for (const auto& c : *list) {
        if (runtime.latest(c.name) == nullptr) {
          waiting[c.name] = {"CreateContainerConfigError", volumes.status().message()};
        }
      }
    }
    recordEvent(pod, "Warning", "FailedMount", volumes.status().message());
    status_.setPodStatus(pod, runtime, waiting);
    return std::chrono::seconds(5);
  }
  if (options_.manage_cgroups) {
    Status s = ensurePodCgroup(options_.paths.podCgroup(uid), podCgroupLimits(pod));
    if (!s.isOk()) log::warn("kubelet: pod {} cgroup: {}", pod.metadata.name, s.toString());
  }

  ActionInputs inputs;
  inputs.liveness_failed = [this](const std::string& id) {
    return probes_->state(id).liveness_failed;
  };
  int64_t now_ns = toNs(clock_.now());
  inputs.backoff_remaining = [&](const std::string& name, const RuntimeContainer& last) {
    nanoseconds ran(last.finished_at > last.started_at ? last.finished_at - last.started_at : 0);
    return backoff_.remaining(backoffKey(uid, name), last.finished_at, ran, now_ns);
  };
  PodActions actions = computePodActions(pod, runtime, inputs);
  const bool acted = actions.kill_pod || !actions.kill.empty() ||
                     !actions.remove_containers.empty() || !actions.remove_sandboxes.empty() ||
                     actions.create_sandbox || !actions.start.empty();
  waiting = actions.waiting;
  std::chrono::seconds grace(pod.spec.termination_grace_period_seconds.value_or(30));

  if (actions.kill_pod) {
    killPod(runtime, std::min(grace, std::chrono::seconds(2)));
  }
  for (const auto& k : actions.kill) {
    recordEvent(pod, "Normal", "Killing", "Stopping container " + k.name + ": " + k.reason,
                "spec.containers{" + k.name + "}");
    if (Status s = runtime_.stopContainer(k.id, grace); !s.isOk()) {
      log::warn("kubelet: stopping container {}: {}", k.id, s.toString());
    }
  }
  for (const auto& id : actions.remove_containers) (void)runtime_.removeContainer(id);
  for (const auto& id : actions.remove_sandboxes) (void)runtime_.removePodSandbox(id);

  PodIdentity identity{options_.node.node_name, options_.node.node_ip, "",
                       nodeCapacity(node_status_.host())};
  std::string sandbox_id = actions.sandbox_id;
  uint32_t attempt = runtime.newestSandbox() ? runtime.newestSandbox()->attempt : 0;
  if (actions.create_sandbox) attempt = actions.sandbox_attempt;
  cri::PodSandboxConfig sandbox_config = makeSandboxConfig(pod, options_.paths, attempt);
  if (actions.create_sandbox) {
    std::error_code ec;
    std::filesystem::create_directories(sandbox_config.log_directory, ec);
    sandbox_config.dns = sandboxDns(pod);
    auto created = runtime_.runPodSandbox(sandbox_config);
    if (!created.isOk()) {
      std::string message = "Failed to create pod sandbox: " + created.status().message();
      recordEvent(pod, "Warning", "FailedCreatePodSandBox", message);
      for (const auto& c : pod.spec.containers) waiting[c.name] = {"ContainerCreating", message};
      (void)refreshRuntime(uid, nullptr);  // what the actions above stopped or removed
      status_.setPodStatus(pod, runtime, waiting);
      return std::chrono::seconds(2);
    }
    sandbox_id = *created;
  }
  if (!sandbox_id.empty()) {
    // The cache has the IP of a sandbox that was ready when read; ask CRI for a new one.
    for (const auto& s : runtime.sandboxes) {
      if (s.id == sandbox_id && !actions.create_sandbox) identity.pod_ip = s.ip;
    }
    if (identity.pod_ip.empty()) {
      auto status = runtime_.podSandboxStatus(sandbox_id);
      if (status.isOk()) identity.pod_ip = status->ip;
    }
  }

  bool image_missing = false;
  const StartContext context{pod, sandbox_id, sandbox_config, *volumes, identity};
  for (const auto& step : actions.start) {
    StartResult started = startContainer(context, step);
    const api::Container& spec =
        step.init ? pod.spec.init_containers[step.index] : pod.spec.containers[step.index];
    if (started.waiting) waiting[spec.name] = std::move(*started.waiting);
    image_missing = image_missing || started.image_missing;
  }

  // What the sync changed, read at once: the status and the next sync see it.
  std::shared_ptr<const PodRuntime> after = acted ? refreshRuntime(uid, nullptr) : nullptr;
  const PodRuntime& final_runtime = after ? *after : runtime;
  std::vector<RunningContainer> running;
  for (const auto& c : pod.spec.containers) {
    const RuntimeContainer* latest = final_runtime.latest(c.name);
    if (latest == nullptr || latest->state != cri::ContainerState::kRunning) continue;
    running.push_back({c.name, latest->id,
                       std::chrono::system_clock::time_point(
                           std::chrono::duration_cast<std::chrono::system_clock::duration>(
                               nanoseconds(latest->started_at)))});
  }
  const RuntimeSandbox* sandbox = final_runtime.newestSandbox();
  probes_->syncPod(pod, sandbox ? sandbox->ip : identity.pod_ip, running);
  status_.setPodStatus(pod, final_runtime, waiting);

  nanoseconds again{0};
  if (actions.requeue_after) again = *actions.requeue_after;
  if (image_missing && (again.count() == 0 || again > options_.missing_image_retry)) {
    again = options_.missing_image_retry;
  }
  return again;
}

Kubelet::StartResult Kubelet::startContainer(const StartContext& context,
                                             const ContainerToStart& step) {
  const api::Pod& pod = context.pod;
  const api::Container& spec =
      step.init ? pod.spec.init_containers[step.index] : pod.spec.containers[step.index];
  std::string field =
      std::string(step.init ? "spec.initContainers{" : "spec.containers{") + spec.name + "}";
  auto lookup = [&](const std::string& kind, const std::string& name) {
    return config_objects_->get(pod.metadata.namespace_, kind, name);
  };
  auto config = makeContainerConfig(pod, spec, step.restart_count, context.volumes,
                                    context.identity, lookup);
  if (!config.isOk()) {
    recordEvent(pod, "Warning", "Failed", "Error: " + config.status().message(), field);
    return {WaitingReason{"CreateContainerConfigError", config.status().message()}};
  }
  std::string image_key = pod.metadata.uid + "/" + spec.name + "/image";
  auto image = runtime_.imageStatus(config->image);
  if (!image.isOk() && image.status().code() != Code::kNotFound) {
    return {WaitingReason{"ImageInspectError", image.status().message()}, true};
  }
  bool pulled = false;
  ImageDecision decision = decideImage(spec.image_pull_policy, image.isOk());
  const std::string host = registryHost(config->image);
  const bool reachable = registryAllowed(host, options_.registries);
  if (decision == ImageDecision::kPull && image.isOk() && !reachable) {
    decision = ImageDecision::kUsePresent;  // Always, offline: the node's copy
  }
  switch (decision) {
    case ImageDecision::kUsePresent: break;
    case ImageDecision::kNeverPull: {
      std::string message =
          "Container image \"" + spec.image + "\" is not present with pull policy of Never";
      bool first;
      {
        std::lock_guard lock(mu_);
        first = image_events_.insert(image_key).second;
      }
      if (first) recordEvent(pod, "Warning", "ErrImageNeverPull", message, field);
      return {WaitingReason{"ErrImageNeverPull", message}, true};
    }
    case ImageDecision::kPull:
      if (auto waiting = pullImage(context, spec, config->image, image.isOk(), reachable, field)) {
        return {std::move(waiting), true};
      }
      pulled = true;
      break;
  }
  {
    std::lock_guard lock(mu_);
    image_events_.erase(image_key);
  }
  const std::string& sandbox_id = context.sandbox_id;
  if (step.is_restart) backoff_.recordRestart(backoffKey(pod.metadata.uid, spec.name));
  auto id = runtime_.createContainer(sandbox_id, *config, context.sandbox_config);
  if (!id.isOk() && id.status().code() == Code::kAlreadyExists) {
    // A container with this restart count exists (a sync cut short): replace it.
    cri::ContainerFilter filter;
    filter.pod_sandbox_id = sandbox_id;
    filter.label_selector[kContainerNameLabel] = spec.name;
    if (auto stale = runtime_.listContainers(filter); stale.isOk()) {
      for (const auto& c : *stale) {
        if (restartCountOf(c.annotations) == step.restart_count) {
          (void)runtime_.stopContainer(c.id, std::chrono::seconds(0));
          (void)runtime_.removeContainer(c.id);
        }
      }
    }
    id = runtime_.createContainer(sandbox_id, *config, context.sandbox_config);
  }
  if (!id.isOk()) {
    recordEvent(pod, "Warning", "Failed", "Error: " + id.status().message(), field);
    return {WaitingReason{"CreateContainerError", id.status().message()}};
  }
  if (!step.is_restart && !pulled) {
    recordEvent(pod, "Normal", "Pulled",
                "Container image \"" + spec.image + "\" already present on machine", field);
  }
  recordEvent(pod, "Normal", "Created", "Created container " + spec.name, field);
  if (Status s = runtime_.startContainer(*id); !s.isOk()) {
    recordEvent(pod, "Warning", "Failed", "Error: " + s.message(), field);
    return {WaitingReason{"RunContainerError", s.message()}};
  }
  recordEvent(pod, "Normal", "Started", "Started container " + spec.name, field);
  return {};
}

std::optional<WaitingReason> Kubelet::pullImage(const StartContext& context,
                                                const api::Container& spec,
                                                const std::string& image, bool present,
                                                bool reachable, const std::string& field) {
  const api::Pod& pod = context.pod;
  const std::string key = pod.metadata.uid + "/" + image;
  if (auto wait = pull_backoff_.waiting(key, clock_.monotonic())) {
    if (present) return std::nullopt;  // see below: an offline node keeps using what it has
    std::string message = "Back-off pulling image \"" + spec.image + "\": ErrImagePull: " +
                          wait->last_error;
    recordEvent(pod, "Normal", "BackOff", "Back-off pulling image \"" + spec.image + "\"", field);
    return WaitingReason{"ImagePullBackOff", message};
  }
  std::vector<std::string> docker_configs;
  for (const auto& ref : pod.spec.image_pull_secrets) {
    auto secret = config_objects_->get(pod.metadata.namespace_, "secret", ref.name);
    if (!secret) continue;
    for (const char* k : {".dockerconfigjson", ".dockercfg"}) {
      if (auto it = secret->data.find(k); it != secret->data.end()) docker_configs.push_back(it->second);
    }
  }
  std::vector<cri::AuthConfig> candidates = credentialsFor(image, docker_configs);
  if (candidates.empty()) candidates.emplace_back();  // anonymous
  const auto started = clock_.monotonic();
  Result<std::string> ref = notFound("registry " + registryHost(image) +
                                     " is not in this node's registry config (nodes pull only "
                                     "from loopback registries and those in --registry-config)");
  if (reachable) {
    recordEvent(pod, "Normal", "Pulling", "Pulling image \"" + spec.image + "\"", field);
    for (const auto& auth : candidates) {
      ref = runtime_.pullImage(image, auth, context.sandbox_config);
      if (ref.isOk()) break;
    }
  }
  if (ref.isOk()) {
    pull_backoff_.recordSuccess(key);
    auto took = std::chrono::duration<double>(clock_.monotonic() - started).count();
    char secs[32];
    std::snprintf(secs, sizeof(secs), "%.3fs", took);
    recordEvent(pod, "Normal", "Pulled",
                "Successfully pulled image \"" + spec.image + "\" in " + secs, field);
    return std::nullopt;
  }
  pull_backoff_.recordFailure(key, clock_.monotonic(), ref.status().message());
  std::string message = "Failed to pull image \"" + spec.image + "\": " + ref.status().message();
  if (present) {
    // Deviation from Kubernetes, for offline nodes: with pullPolicy Always (the default for
    // untagged images such as the original's manifests use) a failed pull of an image the
    // node already has starts that image, with a Warning, instead of ErrImagePull.
    recordEvent(pod, "Warning", "Failed", message + "; using the image present on the node", field);
    return std::nullopt;
  }
  recordEvent(pod, "Warning", "Failed", message, field);
  return WaitingReason{"ErrImagePull", ref.status().message()};
}

void Kubelet::killPod(const PodRuntime& runtime, std::chrono::seconds grace) {
  {
    std::vector<std::jthread> stops;
    for (const auto& c : runtime.containers) {
      if (c.state != cri::ContainerState::kRunning && c.state != cri::ContainerState::kCreated) continue;
      stops.emplace_back([this, id = c.id, grace] {
        if (Status s = runtime_.stopContainer(id, grace); !s.isOk()) {
          log::warn("kubelet: stopping container {}: {}", id, s.toString());
        }
      });
    }
  }  // joined
  for (const auto& s : runtime.sandboxes) {
    if (Status st = runtime_.stopPodSandbox(s.id); !st.isOk()) {
      log::warn("kubelet: stopping sandbox {}: {}", s.id, st.toString());
    }
  }
}

void Kubelet::removePodRuntime(const PodRuntime& runtime) {
  for (const auto& s : runtime.sandboxes) {
    if (Status st = runtime_.removePodSandbox(s.id); !st.isOk()) {
      log::warn("kubelet: removing sandbox {}: {}", s.id, st.toString());
    }
  }
  for (const auto& c : runtime.containers) (void)runtime_.removeContainer(c.id);
}

void Kubelet::cleanupPod(const std::string& uid, const std::string& log_dir) {
  if (options_.manage_cgroups) {
    if (Status s = removePodCgroup(options_.paths.podCgroup(uid)); !s.isOk()) {
      log::warn("kubelet: {}", s.toString());
    }
  }
  removePodDirectories(options_.paths, uid, log_dir);
  backoff_.forgetPod(uid);
  pull_backoff_.forgetPod(uid);
  probes_->removePod(uid);
  status_.forgetPod(uid);
  std::lock_guard lock(mu_);
  for (auto it = image_events_.lower_bound(uid + "/");
       it != image_events_.end() && it->rfind(uid + "/", 0) == 0;) {
    it = image_events_.erase(it);
  }
}

void Kubelet::terminatePod(const api::Pod& pod, const PodRuntime& runtime) {
  std::chrono::seconds grace = podGrace(pod);
  if (runtime.anyRunning()) {
    recordEvent(pod, "Normal", "Killing", "Stopping pod (grace period " +
                                              std::to_string(grace.count()) + "s)");
  }
  killPod(runtime, grace);
  removePodRuntime(runtime);
  if (!runtime.sandboxes.empty() || !runtime.containers.empty()) {
    (void)refreshRuntime(pod.metadata.uid, nullptr);
  }
  cleanupPod(pod.metadata.uid, options_.paths.logDir(pod));
  // Confirm: the object goes away now that nothing of it runs.
  client::DeleteOptions options;
  options.grace_period_seconds = 0;
  options.precondition_uid = pod.metadata.uid;
  auto removed = client_.remove(podsResource(), pod.metadata.namespace_, pod.metadata.name, options);
  if (!removed.isOk() && removed.status().code() != Code::kNotFound &&
      removed.status().code() != Code::kConflict) {
    log::warn("kubelet: confirming deletion of pod {}/{}: {}", pod.metadata.namespace_,
              pod.metadata.name, removed.status().toString());
    queue_.addAfter(pod.metadata.uid, std::chrono::seconds(1));
  }
}

cri::DnsConfig Kubelet::sandboxDns(const api::Pod& pod) {
  ResolvConf host;
  if (!options_.resolv_conf.empty()) {
    auto text = readFile(options_.resolv_conf);
    if (text.isOk()) {
      host = parseResolvConf(*text);
    } else {
      recordEvent(pod, "Warning", "DNSConfigForming",
                  "cannot read the host's resolv.conf: " + text.status().message());
    }
  }
  PodDns dns = podDns(pod, options_.dns, host);
  for (const auto& [reason, message] : dns.warnings) recordEvent(pod, "Warning", reason, message);
  return std::move(dns.config);
}

void Kubelet::recordEvent(const api::Pod& pod, const std::string& type, const std::string& reason,
                          const std::string& message, const std::string& field_path) {
  events_.record(client::podEventTarget(pod, field_path), {type, reason, message});
}

}  // namespace minik8s::kubelet
