#include "cmd/minik8s/scheduler_cmd.h"

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

#include "client/rest_client.h"
#include "cmd/minik8s/cmd_util.h"
#include "cmd/minik8s/signals.h"
#include "common/log.h"
#include "scheduler/scheduler.h"

namespace minik8s::cmd {
namespace {

struct SchedulerFlags {
  std::string server;
  std::string kubeconfig;
  std::string context;
  std::string policy = "LeastAllocated";
  std::string scheduler_name = scheduler::kDefaultSchedulerName;
  std::string log_level = "info";
  bool leader_elect = true;
};

int runScheduler(const SchedulerFlags& flags) {
  log::setLevel(flags.log_level);
  blockStopSignals();

  auto policy = scheduler::parsePolicy(flags.policy);
  if (!policy.isOk()) {
    std::cerr << "error: --policy: " << policy.status().message() << "\n";
    return 1;
  }
  auto client = connectComponent(flags.server, flags.kubeconfig, flags.context, "minik8s-scheduler");
  if (!client.isOk()) return reportError(client.status().message());
  scheduler::SchedulerOptions options;
  options.policy = *policy;
  options.scheduler_name = flags.scheduler_name;
  scheduler::ElectedScheduler sched(**client, options, flags.leader_elect);
  Status s = sched.start();
  if (!s.isOk()) {
    std::cerr << "error: " << s.toString() << "\n";
    return 1;
  }
  int sig = waitForStopSignal();
  log::info("scheduler: signal {} received, stopping", sig);
  sched.stop();
  return 0;
}

}  // namespace

void addSchedulerCommand(CLI::App& app) {
  auto flags = std::make_shared<SchedulerFlags>();
  CLI::App* cmd = app.add_subcommand("scheduler", "the scheduler: binds pending pods to nodes");
  cmd->add_option("-s,--server", flags->server, "apiserver URL (overrides the kubeconfig)");
  cmd->add_option("--kubeconfig", flags->kubeconfig, "kubeconfig file");
  cmd->add_option("--context", flags->context, "kubeconfig context");
  cmd->add_option("--policy", flags->policy,
                  "RoundRobin, Random, LeastAllocated or BalancedAllocation")
      ->capture_default_str();
  cmd->add_option("--scheduler-name", flags->scheduler_name,
                  "schedule pods whose spec.schedulerName is this (or empty)")
      ->capture_default_str();
  cmd->add_option("--leader-elect", flags->leader_elect,
                  "schedule only while holding the Lease kube-system/kube-scheduler")
      ->capture_default_str();
  cmd->add_option("--log-level", flags->log_level, "debug, info, warn, error")
      ->capture_default_str();
  cmd->callback([flags] { std::exit(runScheduler(*flags)); });
}

}  // namespace minik8s::cmd
