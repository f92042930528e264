// ControllerManager: runs the controllers of one process (kube-controller-manager). With
// leader election (the default) only the instance holding the Lease
// kube-system/kube-controller-manager runs them; the others wait as standbys. Each term
// of leadership gets a fresh SharedInformerFactory and fresh controllers, which are
// stopped and dropped when it ends.
//
// Controllers are chosen as kube-controller-manager's --controllers does: "*" all, "name"
// one, "-name" not that one. Thread-safe: start() then stop() (also on destruction).
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "client/client.h"
#include "client/leader_election.h"
#include "common/clock.h"
#include "common/status.h"
#include "controller/csr_signing.h"
#include "controller/hpa.h"
#include "controller/node_ipam.h"
#include "controller/node_lifecycle.h"

namespace minik8s::controller {

// The controllers this manager knows, in start order.
const std::vector<std::string>& knownControllers();

// The controllers `flags` selects from knownControllers(); kBadRequest naming an unknown one.
Result<std::set<std::string>> enabledControllers(const std::vector<std::string>& flags);

struct ControllerManagerOptions {
  std::vector<std::string> controllers = {"*"};
  bool leader_elect = true;
  client::LeaderElectionConfig leader_election;  // lease_name defaults to kube-controller-manager
  int concurrent_replicaset_syncs = 5;
  int concurrent_deployment_syncs = 5;
  int concurrent_gc_syncs = 20;
  int concurrent_job_syncs = 5;                 // --concurrent-job-syncs
  int concurrent_cron_job_syncs = 5;            // --concurrent-cron-job-syncs
  int concurrent_ttl_after_finished_syncs = 5;  // --concurrent-ttl-after-finished-syncs
  int concurrent_endpoint_syncs = 5;            // the Endpoints controller's workers
  int concurrent_service_endpoint_syncs = 5;    // the EndpointSlice controller's workers
  int max_endpoints_per_slice = 100;
  NodeIpamOptions node_ipam;            // --cluster-cidr, --node-cidr-mask-size
  NodeLifecycleOptions node_lifecycle;  // --node-monitor-period, --node-monitor-grace-period, ...
  int concurrent_taint_eviction_syncs = 8;
  int concurrent_daemonset_syncs = 2;
  int terminated_pod_gc_threshold = 12500;
  int concurrent_namespace_syncs = 10;  // --concurrent-namespace-syncs
  // --horizontal-pod-autoscaler-sync-period (15 s), -tolerance, -downscale-stabilization,
  // -cpu-initialization-period, -initial-readiness-delay
  HpaControllerOptions horizontal_pod_autoscaler;
  int concurrent_horizontal_pod_autoscaler_syncs = 5;
  // csrsigning's CA (--cluster-signing-cert-file and -key-file; `server --tls` hands it the
  // cluster CA) and --cluster-signing-duration. Without a CA csrsigning does not run.
  CsrSigningOptions csr_signing;
  // How long after an event a namespace being deleted is emptied (Kubernetes' 5 s).
  std::chrono::milliseconds namespace_deletion_grace_period{std::chrono::seconds(5)};
};

class ControllerManager {
 public:
  ControllerManager(client::Client& client, ControllerManagerOptions options,
                    Clock& clock = Clock::real());
  ~ControllerManager();
  ControllerManager(const ControllerManager&) = delete;
  ControllerManager& operator=(const ControllerManager&) = delete;

  // Checks the flags and starts campaigning (or, without leader election, the controllers).
  // With no controller enabled it does nothing, and does not take the lease.
  Status start();
  void stop();
  bool isLeader() const;

 private:
  struct Running;  // one term's informers and controllers

  void startControllers();
  void stopControllers();

  client::Client& client_;
  ControllerManagerOptions options_;
  Clock& clock_;
  std::set<std::string> enabled_;
  std::unique_ptr<client::LeaderElectedRunner> election_;
  mutable std::mutex mu_;
  std::unique_ptr<Running> running_;  // GUARDED_BY(mu_)
};

}  // namespace minik8s::controller
