#include "cmd/minik8s/controller_manager_cmd.h"

#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

#include "client/rest_client.h"
#include "cmd/minik8s/cmd_util.h"
#include "cmd/minik8s/signals.h"
#include "common/duration.h"
#include "common/files.h"
#include "common/log.h"

namespace minik8s::cmd {
namespace {

struct ControllerManagerFlags {
  std::string server;
  std::string kubeconfig;
  std::string context;
  std::string log_level = "info";
  std::string cluster_signing_cert_file;  // csrsigning's CA (PEM certificate)
  std::string cluster_signing_key_file;   // and its key
  controller::ControllerManagerOptions options;
};

Result<std::string> readPemFile(const std::string& flag, const std::string& path) {
  auto text = readFile(path);
  if (!text.isOk()) return badRequest(flag + ": " + text.status().message());
  return text;
}

int runControllerManager(ControllerManagerFlags flags) {
  log::setLevel(flags.log_level);
  if (flags.cluster_signing_cert_file.empty() != flags.cluster_signing_key_file.empty()) {
    return reportError("--cluster-signing-cert-file and --cluster-signing-key-file go together");
  }
  if (!flags.cluster_signing_cert_file.empty()) {
    auto cert = readPemFile("--cluster-signing-cert-file", flags.cluster_signing_cert_file);
    auto key = readPemFile("--cluster-signing-key-file", flags.cluster_signing_key_file);
    if (!cert.isOk() || !key.isOk()) {
      return reportError((cert.isOk() ? key : cert).status().message());
    }
    flags.options.csr_signing.ca = {*cert, *key};
  }
  blockStopSignals();
  auto client = connectComponent(flags.server, flags.kubeconfig, flags.context,
                                 "minik8s-controller-manager");
  if (!client.isOk()) return reportError(client.status().message());
  controller::ControllerManager manager(**client, flags.options);
  if (Status s = manager.start(); !s.isOk()) {
    std::cerr << "error: " << s.message() << "\n";
    return 2;
  }
  int sig = waitForStopSignal();
  log::info("controller-manager: signal {} received, stopping", sig);
  manager.stop();
  return 0;
}

}  // namespace

void addControllerManagerFlags(CLI::App* cmd, controller::ControllerManagerOptions& options) {
  cmd->add_option("--controllers", options.controllers,
                  "controllers to run: '*' all, 'name' one, '-name' all but that one "
                  "(comma-separated)")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--leader-elect", options.leader_elect,
                  "run only while holding the kube-system Lease (one active instance)")
      ->capture_default_str();
  auto seconds = [cmd](const std::string& name, std::chrono::seconds& value,
                       const std::string& help) {
    cmd->add_option_function<int>(
           name, [&value](int v) { value = std::chrono::seconds(v); }, help + " (seconds)")
        ->check(CLI::PositiveNumber)
        ->default_str(std::to_string(value.count()));
  };
  seconds("--leader-elect-lease-duration", options.leader_election.lease_duration,
          "how long a standby waits after the last renewal before taking over");
  seconds("--leader-elect-renew-deadline", options.leader_election.renew_deadline,
          "how long the leader keeps trying to renew before it stops leading");
  seconds("--leader-elect-retry-period", options.leader_election.retry_period,
          "time between attempts to take or renew the lease");
  cmd->add_option("--concurrent-replicaset-syncs", options.concurrent_replicaset_syncs,
                  "ReplicaSets synced at once")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--concurrent-deployment-syncs", options.concurrent_deployment_syncs,
                  "Deployments synced at once")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--concurrent-gc-syncs", options.concurrent_gc_syncs,
                  "garbage collector workers")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--concurrent-job-syncs", options.concurrent_job_syncs, "Jobs synced at once")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--concurrent-cron-job-syncs", options.concurrent_cron_job_syncs,
                  "CronJobs synced at once")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--concurrent-ttl-after-finished-syncs",
                  options.concurrent_ttl_after_finished_syncs,
                  "ttl-after-finished workers")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--concurrent-namespace-syncs", options.concurrent_namespace_syncs,
                  "namespaces being deleted that are emptied at once")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--concurrent-endpoint-syncs", options.concurrent_endpoint_syncs,
                  "Services whose Endpoints are synced at once")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--concurrent-service-endpoint-syncs", options.concurrent_service_endpoint_syncs,
                  "Services whose EndpointSlices are synced at once")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  auto duration = [cmd](const std::string& name, std::chrono::milliseconds& value,
                        const std::string& help) {
    cmd->add_option_function<std::string>(
           name,
           [name, &value](const std::string& text) {
             auto parsed = parseDuration(text);
             if (!parsed.isOk() || parsed->count() <= 0)
               throw CLI::ValidationError(name, "want a positive duration such as 5s or 1m");
             value = std::chrono::duration_cast<std::chrono::milliseconds>(*parsed);
           },
           help)
        ->default_str(std::to_string(value.count() / 1000) + "s");
  };
  cmd->add_option("--concurrent-horizontal-pod-autoscaler-syncs",
                  options.concurrent_horizontal_pod_autoscaler_syncs,
                  "HorizontalPodAutoscalers synced at once")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  controller::HpaControllerOptions& hpa = options.horizontal_pod_autoscaler;
  duration("--horizontal-pod-autoscaler-sync-period", hpa.sync_period,
           "how often each HorizontalPodAutoscaler is evaluated");
  duration("--horizontal-pod-autoscaler-downscale-stabilization",
           hpa.decision.downscale_stabilization,
           "how far back an HPA without behavior looks for a higher recommendation before "
           "scaling down");
  duration("--horizontal-pod-autoscaler-cpu-initialization-period",
           hpa.decision.cpu_initialization_period,
           "after a pod starts, how long its cpu samples are skipped unless taken after it was "
           "ready");
  duration("--horizontal-pod-autoscaler-initial-readiness-delay",
           hpa.decision.initial_readiness_delay,
           "after a pod starts, how long readiness changes count as its initial readiness");
  cmd->add_option("--horizontal-pod-autoscaler-tolerance", hpa.decision.tolerance,
                  "the usage ratio's distance from 1.0 within which nothing is scaled")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  duration("--node-monitor-period", options.node_lifecycle.monitor_period,
           "how often the node lifecycle controller looks at the nodes");
  duration("--node-monitor-grace-period", options.node_lifecycle.grace_period,
           "how long a node may go unheard before it is marked Unknown");
  duration("--node-startup-grace-period", options.node_lifecycle.startup_grace_period,
           "the same, for a node that never posted its status");
  cmd->add_option("--unhealthy-zone-threshold", options.node_lifecycle.unhealthy_zone_threshold,
                  "share of not-Ready nodes (at least 3) at which evictions stop")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->add_option("--cluster-cidr", options.node_ipam.cluster_cidr,
                  "the pod range: each Node gets a podCIDR from it")
      ->capture_default_str();
  cmd->add_option("--node-cidr-mask-size", options.node_ipam.node_cidr_mask_size,
                  "the prefix length of each Node's podCIDR")
      ->check(CLI::Range(1, 30))
      ->capture_default_str();
  cmd->add_option("--terminated-pod-gc-threshold", options.terminated_pod_gc_threshold,
                  "finished pods kept before the oldest are deleted (0: keep all)")
      ->capture_default_str();
  cmd->add_option("--concurrent-daemonset-syncs", options.concurrent_daemonset_syncs,
                  "DaemonSets synced at once")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--concurrent-taint-eviction-syncs", options.concurrent_taint_eviction_syncs,
                  "pods checked against NoExecute taints at once")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option_function<std::string>(
         "--cluster-signing-duration",
         [&options](const std::string& text) {
           auto parsed = parseDuration(text);
           if (!parsed.isOk() || parsed->count() <= 0) {
             throw CLI::ValidationError("--cluster-signing-duration",
                                        "want a positive duration such as 8760h");
           }
           options.csr_signing.duration =
               std::chrono::duration_cast<std::chrono::seconds>(*parsed);
         },
         "the longest lifetime of a certificate csrsigning issues")
      ->default_str("8760h");
  cmd->add_option("--max-endpoints-per-slice", options.max_endpoints_per_slice,
                  "the most endpoints an EndpointSlice the controller writes holds")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
}

void addControllerManagerCommand(CLI::App& app) {
  auto flags = std::make_shared<ControllerManagerFlags>();
  CLI::App* cmd = app.add_subcommand(
      "controller-manager", "the controllers (Deployments, ReplicaSets, Endpoints, EndpointSlices, garbage collection), with leader election");
  cmd->add_option("-s,--server", flags->server, "apiserver URL (overrides the kubeconfig)");
  cmd->add_option("--kubeconfig", flags->kubeconfig, "kubeconfig file");
  cmd->add_option("--context", flags->context, "kubeconfig context");
  addControllerManagerFlags(cmd, flags->options);
  cmd->add_option("--cluster-signing-cert-file", flags->cluster_signing_cert_file,
                  "PEM CA certificate csrsigning signs with (csrsigning runs only with one)");
  cmd->add_option("--cluster-signing-key-file", flags->cluster_signing_key_file,
                  "PEM private key of --cluster-signing-cert-file");
  cmd->add_option("--log-level", flags->log_level, "debug, info, warn, error")
      ->capture_default_str();
  cmd->callback([flags] { std::exit(runControllerManager(*flags)); });
}

}  // namespace minik8s::cmd
