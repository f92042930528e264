// Kubelet: the node agent, put together from Kubernetes' pieces. NodeStatusManager
// registers the Node and keeps its status and Lease fresh. A pod informer watches the pods
// bound to this node and a work queue keyed by pod uid syncs each pod on one worker at a
// time: the sync reads the pod and what CRI reports, computes the actions
// (computePodActions, pure), executes them, and hands the outcome to the StatusManager,
// which computes the pod's status and writes it when it changed. What CRI reports comes
// from the Pleg's cache: a relist every second fills it and turns runtime changes (a
// container exited) into syncs, and a sync that acted reads its pod again; a sync with
// nothing to do asks CRI nothing. The ConfigMaps and Secrets that pods use come from the
// ConfigObjectManager: one single-object watch per object a pod bound here refers to (never
// a cluster-wide list, which the Node authorizer refuses); a change of one re-syncs the
// pods that use it. Every pod is also resynced periodically. After a
// restart the kubelet rebuilds everything from CRI labels; it keeps no private state that
// could disagree with the runtime (only restart back-off, which starts over).
//
// Owns its threads (relist, workers; those of the informers and of the node status
// manager); start() once, stop() once (also from the destructor). Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "api/types_core.h"
#include "client/event_recorder.h"
#include "client/informer.h"
#include "client/rest_client.h"
#include "client/work_queue.h"
#include "common/clock.h"
#include "cri/runtime.h"
#include "kubelet/backoff.h"
#include "kubelet/config_object_manager.h"
#include "kubelet/dns_config.h"
#include "kubelet/image_pull.h"
#include "kubelet/node_info.h"
#include "kubelet/node_status_manager.h"
#include "kubelet/pleg.h"
#include "kubelet/status_manager.h"
#include "kubelet/pod_actions.h"
#include "kubelet/pod_config.h"

namespace minik8s::kubelet {

class ProbeManager;

struct KubeletOptions {
  NodeConfig node;
  NodePaths paths;
  int workers = 4;
  std::chrono::milliseconds relist_period{1000};
  std::chrono::milliseconds resync_period{std::chrono::seconds(30)};
  std::chrono::milliseconds heartbeat_period{std::chrono::seconds(10)};
  std::chrono::milliseconds missing_image_retry{std::chrono::seconds(5)};
  std::chrono::milliseconds register_timeout{std::chrono::seconds(60)};
  BackoffPolicy backoff;
  PullBackoff::Policy pull_backoff;
  // Registries this node may pull from besides loopback ones (its registry config's
  // mirrors and configs); an image from any other registry is only used when present.
  std::vector<std::string> registries;
  bool manage_cgroups = true;  // off in unit tests
  // Off for hollow nodes: volumes are not created on the host (no hostPath directories,
  // emptyDir, configMap or secret files); containers are given the paths they would have.
  bool manage_volumes = true;
  // Off for hollow nodes (a watch and a thread per referenced object): ConfigMaps and
  // Secrets are then read with a GET on each use.
  bool watch_config_objects = true;
  int probe_threads = 2;  // ProbeManager's pool (>= 1: 0 would run no probes at all)
  ClusterDns dns;                            // --cluster-dns, --cluster-domain
  std::string resolv_conf = "/etc/resolv.conf";  // --resolv-conf ("": none)
};

class Kubelet {
 public:
  Kubelet(client::Client& client, cri::Runtime& runtime, KubeletOptions options,
          Clock& clock = Clock::real());
  ~Kubelet();

  // Registers the Node (creating it or taking it over), then starts every loop.
  Status start();
  void stop();

  // For tests: number of completed pod syncs.
  int64_t syncCount() const { return syncs_.load(); }

 private:
  using PodPtr = std::shared_ptr<const api::Pod>;

  // ---- pods ----
  void runWorker(std::stop_token stop);
  void runRelist(std::stop_token stop);
  void relist();
  // Syncs one pod uid; returns the delay after which to sync it again (0: only on events).
  std::chrono::nanoseconds syncPod(const std::string& uid);
  PodPtr podByUid(const std::string& uid) const;

  std::chrono::nanoseconds syncRunningPod(const api::Pod& pod, const PodRuntime& runtime);
  // After a sync acted on a pod: its runtime read from CRI again and cached (`fallback`,
  // logged, when CRI fails).
  std::shared_ptr<const PodRuntime> refreshRuntime(const std::string& uid,
                                                   std::shared_ptr<const PodRuntime> fallback);
  // Stops every container (in parallel, each with `grace`) and sandbox of the pod.
  void killPod(const PodRuntime& runtime, std::chrono::seconds grace);
  void removePodRuntime(const PodRuntime& runtime);
  void cleanupPod(const std::string& uid, const std::string& log_dir);
  void terminatePod(const api::Pod& pod, const PodRuntime& runtime);
  // What starting the containers of one sync shares: the pod, its sandbox, its volumes.
  struct StartContext {
    const api::Pod& pod;
    const std::string& sandbox_id;
    const cri::PodSandboxConfig& sandbox_config;
    const VolumePaths& volumes;
    const PodIdentity& identity;
  };
  // How one start went: nullopt `waiting` when the container was created and started.
  struct StartResult {
    std::optional<WaitingReason> waiting;
    bool image_missing = false;  // held back for its image: retry after missing_image_retry
  };
  StartResult startContainer(const StartContext& context, const ContainerToStart& step);
  // Pulls `image` for `spec` (pull secrets, back-off, events); a waiting reason when the
  // container cannot start now. An unreachable registry (not loopback, not in the node's
  // registry config) fails like a pull, without touching the network.
  std::optional<WaitingReason> pullImage(const StartContext& context, const api::Container& spec,
                                         const std::string& image, bool present, bool reachable,
                                         const std::string& field);
  // The sandbox's resolv.conf (dns_config.h); warnings become Events on the pod.
  cri::DnsConfig sandboxDns(const api::Pod& pod);
  void recordEvent(const api::Pod& pod, const std::string& type, const std::string& reason,
                   const std::string& message, const std::string& field_path = "");
  std::string backoffKey(const std::string& uid, const std::string& name) const {
    return uid + "/" + name;
  }

  client::Client& client_;
  cri::Runtime& runtime_;
  const KubeletOptions options_;
  Clock& clock_;
  client::EventRecorder events_;
  NodeStatusManager node_status_;
  Pleg pleg_;
  StatusManager status_;

  std::unique_ptr<client::Informer<api::Pod>> pods_;
  std::unique_ptr<ConfigObjectManager> config_objects_;  // built by start()
  client::WorkQueue queue_;
  RestartBackoff backoff_;
  PullBackoff pull_backoff_;  // built from options_.pull_backoff
  std::unique_ptr<ProbeManager> probes_;

  std::mutex mu_;
  std::set<std::string> image_events_;                     // "uid/name" warned. GUARDED_BY(mu_)

  std::atomic<int64_t> syncs_{0};
  std::vector<std::jthread> threads_;
  std::atomic<bool> started_{false};
};

}  // namespace minik8s::kubelet
