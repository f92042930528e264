#include "controller/manager.h"

#include "client/informer.h"
#include "common/log.h"
#include "controller/bootstrap_signer.h"
#include "controller/cronjob.h"
#include "controller/csr_approving.h"
#include "controller/csr_signing.h"
#include "controller/daemonset.h"
#include "controller/deployment.h"
#include "controller/disruption.h"
#include "controller/endpoints.h"
#include "controller/endpointslice.h"
#include "controller/garbage_collector.h"
#include "controller/hpa.h"
#include "controller/hpa_seed.h"
#include "controller/ingress.h"
#include "controller/job.h"
#include "controller/namespace.h"
#include "controller/node_ipam.h"
#include "controller/node_lifecycle.h"
#include "controller/pod_gc.h"
#include "controller/replicaset.h"
#include "controller/taint_eviction.h"
#include "controller/ttl_after_finished.h"

namespace minik8s::controller {

const std::vector<std::string>& knownControllers() {
  static const std::vector<std::string> known = {
      "bootstrapsigner", "cronjob", "csrapproving", "csrsigning", "daemonset", "deployment", "disruption", "endpoint",
      "endpointslice",
      "garbagecollector", "horizontalpodautoscaling", "hpa", "ingress", "job", "namespace", "nodeipam",
      "nodelifecycle", "podgc", "replicaset", "taint-eviction-controller", "ttl-after-finished"};
  return known;
}

Result<std::set<std::string>> enabledControllers(const std::vector<std::string>& flags) {
  const auto& known = knownControllers();
  auto isKnown = [&](const std::string& name) {
    return std::find(known.begin(), known.end(), name) != known.end();
  };
  bool star = false;
  std::set<std::string> on, off;
  for (const auto& flag : flags) {
    if (flag.empty()) continue;  // --controllers= (none)
    if (flag == "*") {
      star = true;
    } else if (!flag.empty() && flag[0] == '-') {
      if (!isKnown(flag.substr(1)))
        return badRequest("--controllers: unknown controller \"" + flag.substr(1) + "\"");
      off.insert(flag.substr(1));
    } else {
      if (!isKnown(flag)) return badRequest("--controllers: unknown controller \"" + flag + "\"");
      on.insert(flag);
    }
  }
  std::set<std::string> out;
  for (const auto& name : known) {
    if (off.count(name)) continue;
    if (star || on.count(name)) out.insert(name);
  }
  return out;
}

struct ControllerManager::Running {
  explicit Running(client::Client& client) : informers(client) {}
  client::SharedInformerFactory informers;
  std::unique_ptr<ReplicaSetController> replicasets;
  std::unique_ptr<DeploymentController> deployments;
  std::unique_ptr<DisruptionController> disruption;
  std::unique_ptr<GarbageCollector> garbage_collector;
  std::unique_ptr<JobController> jobs;
  std::unique_ptr<CronJobController> cron_jobs;
  std::unique_ptr<TtlAfterFinishedController> ttl_after_finished;
  std::unique_ptr<HorizontalPodAutoscalerController> horizontal_pod_autoscaler;
  std::unique_ptr<SeedHpaController> seed_hpa;
  std::unique_ptr<IngressController> ingress;
  std::unique_ptr<NodeLifecycleController> node_lifecycle;
  std::unique_ptr<DaemonSetController> daemon_sets;
  std::unique_ptr<NodeIpamController> node_ipam;
  std::unique_ptr<TaintEvictionController> taint_eviction;
  std::unique_ptr<PodGarbageCollector> pod_gc;
  std::unique_ptr<EndpointsController> endpoints;
  std::unique_ptr<EndpointSliceController> endpoint_slices;
  std::unique_ptr<NamespaceController> namespaces;
  std::unique_ptr<CsrApprovingController> csr_approving;
  std::unique_ptr<CsrSigningController> csr_signing;
  std::unique_ptr<BootstrapSignerController> bootstrap_signer;
};

ControllerManager::ControllerManager(client::Client& client, ControllerManagerOptions options,
                                     Clock& clock)
    : client_(client), options_(std::move(options)), clock_(clock) {
  if (options_.leader_election.lease_name.empty())
    options_.leader_election.lease_name = "kube-controller-manager";
  if (options_.leader_election.identity.empty())
    options_.leader_election.identity = client::defaultIdentity();
}

ControllerManager::~ControllerManager() {
  stop();
}

Status ControllerManager::start() {
  ASSIGN_OR_RETURN(enabled_, enabledControllers(options_.controllers));
  if (enabled_.empty()) {  // nothing to lead: leave the lease to managers that have work
    log::info("controller-manager: no controllers enabled");
    return Status::ok();
  }
  if (!options_.leader_elect) {
    startControllers();
    return Status::ok();
  }
  election_ = std::make_unique<client::LeaderElectedRunner>(
      client_, options_.leader_election, [this] { startControllers(); },
      [this] { stopControllers(); }, clock_);
  election_->start();
  return Status::ok();
}

void ControllerManager::stop() {
  if (election_) election_->stop();
  stopControllers();
}

bool ControllerManager::isLeader() const {
  if (!options_.leader_elect) return true;
  return election_ && election_->isLeader();
}

void ControllerManager::startControllers() {
  auto running = std::make_unique<Running>(client_);
  if (enabled_.count("replicaset")) {
    running->replicasets = std::make_unique<ReplicaSetController>(client_, running->informers,
                                                                  ReplicaSetOptions{}, clock_);
  }
  if (enabled_.count("deployment")) {
    running->deployments = std::make_unique<DeploymentController>(client_, running->informers, clock_);
  }
  if (enabled_.count("disruption")) {
    running->disruption = std::make_unique<DisruptionController>(client_, running->informers, clock_);
  }
  if (enabled_.count("garbagecollector")) {
    running->garbage_collector = std::make_unique<GarbageCollector>(client_, running->informers, clock_);
  }
  if (enabled_.count("endpoint")) {
    running->endpoints = std::make_unique<EndpointsController>(client_, running->informers, clock_);
  }
  if (enabled_.count("endpointslice")) {
    running->endpoint_slices = std::make_unique<EndpointSliceController>(
        client_, running->informers,
        EndpointSliceOptions{.max_endpoints_per_slice = options_.max_endpoints_per_slice}, clock_);
  }
  if (enabled_.count("daemonset")) {
    running->daemon_sets = std::make_unique<DaemonSetController>(client_, running->informers, clock_);
  }
  if (enabled_.count("nodeipam")) {
    auto ipam = NodeIpamController::create(client_, running->informers, options_.node_ipam, clock_);
    if (ipam.isOk()) {
      running->node_ipam = std::move(ipam).value();
    } else {
      log::warn("controller-manager: nodeipam: {}", ipam.status().toString());
    }
  }
  if (enabled_.count("nodelifecycle")) {
    running->node_lifecycle = std::make_unique<NodeLifecycleController>(
        client_, running->informers, options_.node_lifecycle, clock_);
  }
  if (enabled_.count("taint-eviction-controller")) {
    running->taint_eviction = std::make_unique<TaintEvictionController>(client_, running->informers, clock_);
  }
  if (enabled_.count("job")) {
    running->jobs = std::make_unique<JobController>(client_, running->informers, JobOptions{}, clock_);
  }
  if (enabled_.count("cronjob")) {
    running->cron_jobs = std::make_unique<CronJobController>(client_, running->informers, clock_);
  }
  if (enabled_.count("ttl-after-finished")) {
    running->ttl_after_finished =
        std::make_unique<TtlAfterFinishedController>(client_, running->informers, clock_);
  }
  if (enabled_.count("horizontalpodautoscaling")) {
    running->horizontal_pod_autoscaler = std::make_unique<HorizontalPodAutoscalerController>(
        client_, running->informers, options_.horizontal_pod_autoscaler, clock_);
  }
  if (enabled_.count("hpa")) {
    running->seed_hpa = std::make_unique<SeedHpaController>(
        client_, running->informers, options_.horizontal_pod_autoscaler.decision, clock_);
  }
  if (enabled_.count("ingress")) {
    running->ingress = std::make_unique<IngressController>(client_, running->informers);
  }
  if (enabled_.count("podgc")) {
    running->pod_gc = std::make_unique<PodGarbageCollector>(
        client_, running->informers,
        PodGcOptions{.terminated_pod_threshold = options_.terminated_pod_gc_threshold}, clock_);
  }
  if (enabled_.count("namespace")) {
    running->namespaces = std::make_unique<NamespaceController>(
        client_, running->informers,
        NamespaceOptions{.deletion_grace_period = options_.namespace_deletion_grace_period}, clock_);
  }
  if (enabled_.count("csrapproving")) {
    running->csr_approving =
        std::make_unique<CsrApprovingController>(client_, running->informers, clock_);
  }
  if (enabled_.count("csrsigning")) {
    if (options_.csr_signing.ca.cert_pem.empty()) {
      log::info("controller-manager: csrsigning: no signing CA configured, not started");
    } else if (auto signing = CsrSigningController::create(client_, running->informers,
                                                            options_.csr_signing, clock_);
               signing.isOk()) {
      running->csr_signing = std::move(signing).value();
    } else {
      log::warn("controller-manager: csrsigning: {}", signing.status().toString());
    }
  }
  if (enabled_.count("bootstrapsigner")) {
    running->bootstrap_signer =
        std::make_unique<BootstrapSignerController>(client_, running->informers, clock_);
  }
  running->informers.start();
  if (running->replicasets) {
    Status s = running->replicasets->run(options_.concurrent_replicaset_syncs);
    if (!s.isOk()) log::warn("controller-manager: replicaset: {}", s.toString());
  }
  if (running->deployments) {
    Status s = running->deployments->run(options_.concurrent_deployment_syncs);
    if (!s.isOk()) log::warn("controller-manager: deployment: {}", s.toString());
  }
  if (running->disruption) {
    Status s = running->disruption->run(1);
    if (!s.isOk()) log::warn("controller-manager: disruption: {}", s.toString());
  }
  if (running->garbage_collector) {
    Status s = running->garbage_collector->run(options_.concurrent_gc_syncs);
    if (!s.isOk()) log::warn("controller-manager: garbagecollector: {}", s.toString());
  }
  if (running->endpoints) {
    Status s = running->endpoints->run(options_.concurrent_endpoint_syncs);
    if (!s.isOk()) log::warn("controller-manager: endpoint: {}", s.toString());
  }
  if (running->endpoint_slices) {
    Status s = running->endpoint_slices->run(options_.concurrent_service_endpoint_syncs);
    if (!s.isOk()) log::warn("controller-manager: endpointslice: {}", s.toString());
  }
  if (running->daemon_sets) {
    Status s = running->daemon_sets->run(options_.concurrent_daemonset_syncs);
    if (!s.isOk()) log::warn("controller-manager: daemonset: {}", s.toString());
  }
  if (running->node_ipam) {
    Status s = running->node_ipam->run(1);
    if (!s.isOk()) log::warn("controller-manager: nodeipam: {}", s.toString());
  }
  if (running->node_lifecycle) {
    Status s = running->node_lifecycle->run();
    if (!s.isOk()) log::warn("controller-manager: nodelifecycle: {}", s.toString());
  }
  if (running->taint_eviction) {
    Status s = running->taint_eviction->run(options_.concurrent_taint_eviction_syncs);
    if (!s.isOk()) log::warn("controller-manager: taint-eviction-controller: {}", s.toString());
  }
  if (running->jobs) {
    Status s = running->jobs->run(options_.concurrent_job_syncs);
    if (!s.isOk()) log::warn("controller-manager: job: {}", s.toString());
  }
  if (running->cron_jobs) {
    Status s = running->cron_jobs->run(options_.concurrent_cron_job_syncs);
    if (!s.isOk()) log::warn("controller-manager: cronjob: {}", s.toString());
  }
  if (running->ttl_after_finished) {
    Status s = running->ttl_after_finished->run(options_.concurrent_ttl_after_finished_syncs);
    if (!s.isOk()) log::warn("controller-manager: ttl-after-finished: {}", s.toString());
  }
  if (running->horizontal_pod_autoscaler) {
    Status s = running->horizontal_pod_autoscaler->run(
        options_.concurrent_horizontal_pod_autoscaler_syncs);
    if (!s.isOk()) log::warn("controller-manager: horizontalpodautoscaling: {}", s.toString());
  }
  if (running->seed_hpa) {
    Status s = running->seed_hpa->run(options_.concurrent_horizontal_pod_autoscaler_syncs);
    if (!s.isOk()) log::warn("controller-manager: hpa: {}", s.toString());
  }
  if (running->ingress) {
    Status s = running->ingress->run(1);
    if (!s.isOk()) log::warn("controller-manager: ingress: {}", s.toString());
  }
  if (running->pod_gc) {
    Status s = running->pod_gc->run();
    if (!s.isOk()) log::warn("controller-manager: podgc: {}", s.toString());
  }
  if (running->namespaces) {
    Status s = running->namespaces->run(options_.concurrent_namespace_syncs);
    if (!s.isOk()) log::warn("controller-manager: namespace: {}", s.toString());
  }
  if (running->csr_approving) {
    Status s = running->csr_approving->run(1);
    if (!s.isOk()) log::warn("controller-manager: csrapproving: {}", s.toString());
  }
  if (running->csr_signing) {
    Status s = running->csr_signing->run(1);
    if (!s.isOk()) log::warn("controller-manager: csrsigning: {}", s.toString());
  }
  if (running->bootstrap_signer) {
    Status s = running->bootstrap_signer->run();
    if (!s.isOk()) log::warn("controller-manager: bootstrapsigner: {}", s.toString());
  }
  log::info("controller-manager: running {} controller(s)", enabled_.size());
  std::lock_guard lock(mu_);
  running_ = std::move(running);
}

void ControllerManager::stopControllers() {
  std::unique_ptr<Running> running;
  {
    std::lock_guard lock(mu_);
    running = std::move(running_);
  }
  if (!running) return;
  if (running->bootstrap_signer) running->bootstrap_signer->stop();
  if (running->csr_signing) running->csr_signing->stop();
  if (running->csr_approving) running->csr_approving->stop();
  if (running->namespaces) running->namespaces->stop();
  if (running->ingress) running->ingress->stop();
  if (running->seed_hpa) running->seed_hpa->stop();
  if (running->horizontal_pod_autoscaler) running->horizontal_pod_autoscaler->stop();
  if (running->ttl_after_finished) running->ttl_after_finished->stop();
  if (running->cron_jobs) running->cron_jobs->stop();
  if (running->jobs) running->jobs->stop();
  if (running->pod_gc) running->pod_gc->stop();
  if (running->taint_eviction) running->taint_eviction->stop();
  if (running->node_lifecycle) running->node_lifecycle->stop();
  if (running->node_ipam) running->node_ipam->stop();
  if (running->daemon_sets) running->daemon_sets->stop();
  if (running->endpoint_slices) running->endpoint_slices->stop();
  if (running->endpoints) running->endpoints->stop();
  if (running->garbage_collector) running->garbage_collector->stop();
  if (running->disruption) running->disruption->stop();
  if (running->deployments) running->deployments->stop();
  if (running->replicasets) running->replicasets->stop();
  running->informers.stop();
  log::info("controller-manager: controllers stopped");
}

}  // namespace minik8s::controller
