#include "cmd/minik8s/server_cmd.h"

#include <condition_variable>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <memory>
#include <mutex>
#include <thread>

#include "apiserver/apiserver.h"
#include "client/rest_client.h"
#include "cmd/minik8s/signals.h"
#include "common/duration.h"
#include "common/log.h"
#include "cmd/minik8s/controller_manager_cmd.h"
#include "controller/manager.h"
#include "scheduler/scheduler.h"
#include "store/etcd_process.h"
#include "store/etcd_store.h"

namespace minik8s::cmd {

namespace {

constexpr std::chrono::milliseconds kDrainTimeout{2000};

struct ServerFlags {
  std::string bind_address = "127.0.0.1";
  int port = 6443;
  std::string data_dir = "/var/lib/minik8s";
  std::string etcd_servers;
  std::string service_cluster_ip_range = "10.96.0.0/12";
  std::string service_node_port_range = "30000-32767";
  int etcd_port = 0;
  int compaction_interval_seconds = 300;
  std::string event_ttl = "1h";
  size_t watch_cache_size = 10000;
  apiserver::AdmissionOptions admission;
  int max_in_flight = 400;
  std::string log_level = "info";
  // `server` runs the scheduler and the controller manager too; `apiserver` does not.
  bool with_scheduler = false;
  bool run_controller_manager = true;
  bool run_scheduler = true;
  std::string scheduler_policy = "LeastAllocated";
  controller::ControllerManagerOptions controllers;
};

int runServer(const ServerFlags& flags) {
  log::setLevel(flags.log_level);
  auto event_ttl = parseDuration(flags.event_ttl);
  if (!event_ttl.isOk()) {
    std::cerr << "error: --event-ttl: " << event_ttl.status().message() << "\n";
    return 2;
  }
  blockStopSignals();  // every thread started below inherits the mask

  std::error_code ec;
  std::filesystem::create_directories(flags.data_dir, ec);
  if (ec) {
    std::cerr << "error: cannot create --data-dir " << flags.data_dir << ": " << ec.message()
              << "\n";
    return 1;
  }
  std::unique_ptr<store::EtcdProcess> etcd;
  std::vector<std::string> endpoints;
  if (flags.etcd_servers.empty()) {
    store::EtcdProcessOptions options;
    options.state_dir = flags.data_dir;
    options.client_port = flags.etcd_port;
    auto started = store::EtcdProcess::start(options);
    if (!started.isOk()) {
      std::cerr << "error: starting etcd: " << started.status().toString() << "\n";
      return 1;
    }
    etcd = std::move(started).value();
    endpoints.push_back(etcd->clientEndpoint());
    log::info("server: etcd running at {} (pid {})", etcd->clientEndpoint(), etcd->pid());
  } else {
    std::string rest = flags.etcd_servers;
    size_t pos;
    while ((pos = rest.find(',')) != std::string::npos) {
      endpoints.push_back(rest.substr(0, pos));
      rest = rest.substr(pos + 1);
    }
    if (!rest.empty()) endpoints.push_back(rest);
  }
  auto store = store::EtcdStore::connect(endpoints);
  if (!store.isOk()) {
    std::cerr << "error: connecting to etcd: " << store.status().toString() << "\n";
    return 1;
  }
  apiserver::ApiServerOptions options;
  options.http.bind_address = flags.bind_address;
  options.http.port = static_cast<uint16_t>(flags.port);
  options.http.max_in_flight = static_cast<size_t>(flags.max_in_flight);
  options.service_cluster_ip_range = flags.service_cluster_ip_range;
  options.service_node_port_range = flags.service_node_port_range;
  options.compaction_interval = std::chrono::seconds(flags.compaction_interval_seconds);
  options.event_ttl = std::chrono::duration_cast<std::chrono::seconds>(*event_ttl);
  options.watch_cache.history_capacity = flags.watch_cache_size;
  options.admission = flags.admission;
  apiserver::ApiServer server(options, **store);
  Status s = server.start();
  if (!s.isOk()) {
    std::cerr << "error: starting the apiserver: " << s.toString() << "\n";
    return 1;
  }
  // Components talk to the apiserver through the API, even inside one process.
  std::unique_ptr<client::RestClient> scheduler_client;
  std::unique_ptr<scheduler::ElectedScheduler> sched;
  std::unique_ptr<client::RestClient> manager_client;
  std::unique_ptr<controller::ControllerManager> manager;
  if (flags.with_scheduler) {
    auto policy = scheduler::parsePolicy(flags.scheduler_policy);
    if (!policy.isOk()) {
      std::cerr << "error: --scheduler-policy: " << policy.status().message() << "\n";
      return 1;
    }
    client::ClientConfig config;
    std::string host = flags.bind_address == "0.0.0.0" ? "127.0.0.1" : flags.bind_address;
    config.server = "http://" + host + ":" + std::to_string(server.port());
    config.user_agent = "minik8s-scheduler";
    auto connected = client::RestClient::connect(config);
    config.user_agent = "minik8s-controller-manager";
    auto manager_connected = client::RestClient::connect(config);
    if (!manager_connected.isOk()) {
      std::cerr << "error: controller manager client: " << manager_connected.status().toString()
                << "\n";
      return 1;
    }
    manager_client = std::move(manager_connected).value();
    if (flags.run_controller_manager) {
      manager = std::make_unique<controller::ControllerManager>(*manager_client, flags.controllers);
      if (Status started = manager->start(); !started.isOk()) {
        std::cerr << "error: " << started.message() << "\n";
        return 2;
      }
    }
    if (!connected.isOk()) {
      std::cerr << "error: scheduler client: " << connected.status().toString() << "\n";
      return 1;
    }
    scheduler_client = std::move(connected).value();
    scheduler::SchedulerOptions options;
    options.policy = *policy;
    // The scheduler follows the controller manager's --leader-elect* flags (its own Lease).
    client::LeaderElectionConfig election = flags.controllers.leader_election;
    election.lease_name = "";
    election.identity = "";
    if (flags.run_scheduler) {
      sched = std::make_unique<scheduler::ElectedScheduler>(
          *scheduler_client, options, flags.controllers.leader_elect, election);
      if (Status started = sched->start(); !started.isOk()) {
        std::cerr << "error: starting the scheduler: " << started.toString() << "\n";
        return 1;
      }
    }
  }
  int sig = waitForStopSignal();
  log::info("server: signal {} received, stopping", sig);
  {
    // Requests in flight get kDrainTimeout to finish; then their etcd calls are cancelled,
    // so that a hung etcd cannot hold the shutdown past its grace period.
    std::jthread drain_deadline([&store](std::stop_token stop) {
      std::mutex mu;
      std::condition_variable_any cv;
      std::unique_lock lock(mu);
      if (cv.wait_for(lock, stop, kDrainTimeout, [] { return false; })) return;
      if (stop.stop_requested()) return;
      log::warn("server: requests still waiting for etcd after {} ms; cancelling them",
                kDrainTimeout.count());
      (*store)->shutdown();
    });
    if (sched) sched->stop();  // reverse start order
    if (manager) manager->stop();
    server.stop();
  }
  log::info("server: stopped");
  return 0;
}

}  // namespace

void addServerCommand(CLI::App& app, const std::string& name, const std::string& description) {
  auto flags = std::make_shared<ServerFlags>();
  flags->with_scheduler = name == "server";
  CLI::App* cmd = app.add_subcommand(name, description);
  cmd->add_option("--bind-address", flags->bind_address, "address to listen on")
      ->capture_default_str();
  cmd->add_option("--port", flags->port, "HTTP port (plain HTTP until TLS arrives)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  cmd->add_option("--data-dir", flags->data_dir, "state directory (managed etcd data lives here)")
      ->capture_default_str();
  cmd->add_option("--etcd-servers", flags->etcd_servers,
                  "comma-separated etcd endpoints; empty: start a managed etcd");
  cmd->add_option("--etcd-port", flags->etcd_port, "client port of the managed etcd (0: any free)");
  cmd->add_option("--service-cluster-ip-range", flags->service_cluster_ip_range)
      ->capture_default_str();
  cmd->add_option("--service-node-port-range", flags->service_node_port_range)
      ->capture_default_str();
  cmd->add_option("--etcd-compaction-interval", flags->compaction_interval_seconds,
                  "seconds between etcd compactions (0: never)")
      ->capture_default_str();
  cmd->add_option("--event-ttl", flags->event_ttl,
                  "how long an Event is kept after its last write (e.g. 1h, 30m; 0: forever)")
      ->capture_default_str();
  cmd->add_option("--watch-cache-size", flags->watch_cache_size, "events kept per resource")
      ->capture_default_str();
  cmd->add_option("--max-requests-inflight", flags->max_in_flight)->capture_default_str();
  cmd->add_option("--default-not-ready-toleration-seconds",
                  flags->admission.default_not_ready_toleration_seconds,
                  "tolerationSeconds of the not-ready:NoExecute toleration every pod gets")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--default-unreachable-toleration-seconds",
                  flags->admission.default_unreachable_toleration_seconds,
                  "tolerationSeconds of the unreachable:NoExecute toleration every pod gets")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  if (flags->with_scheduler) {
    cmd->add_option("--scheduler-policy", flags->scheduler_policy,
                    "RoundRobin, Random, LeastAllocated or BalancedAllocation")
        ->capture_default_str();
    cmd->add_option("--run-controller-manager", flags->run_controller_manager,
                    "run the controller manager in this process (false: run `minik8s "
                    "controller-manager` separately)")
        ->capture_default_str();
    cmd->add_option("--run-scheduler", flags->run_scheduler,
                    "run the scheduler in this process (false: run `minik8s scheduler` "
                    "separately)")
        ->capture_default_str();
    addControllerManagerFlags(cmd, flags->controllers);
  }
  cmd->add_option("--log-level", flags->log_level, "debug, info, warn, error")
      ->capture_default_str();
  cmd->callback([flags] { std::exit(runServer(*flags)); });
}

}  // namespace minik8s::cmd
