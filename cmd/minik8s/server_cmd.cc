#include "cmd/minik8s/server_cmd.h"

#include <condition_variable>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <thread>

#include "apiserver/apiserver.h"
#include "apiserver/kubelet_client.h"
#include "client/rest_client.h"
#include "cmd/minik8s/controller_manager_cmd.h"
#include "cmd/minik8s/signals.h"
#include "common/duration.h"
#include "common/files.h"
#include "common/ipv4.h"
#include "common/log.h"
#include "controller/manager.h"
#include "node/cluster_info.h"
#include "node/local_cluster.h"
#include "pki/pki.h"
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
  // HTTPS with the cluster CA, every request authenticated and authorized. Without it the
  // API is plain HTTP with no authentication, which is refused off loopback.
  bool tls = false;
  std::string pki_dir;  // default: <data-dir>/pki
  std::vector<std::string> tls_sans;
  std::string token_auth_file;
  // How the apiserver reaches kubelets (kube-apiserver's flags). With --tls the certificate
  // and key default to the PKI's apiserver-kubelet-client pair; the kubelets' serving
  // certificates are verified only with a CA.
  std::string kubelet_client_certificate;
  std::string kubelet_client_key;
  std::string kubelet_certificate_authority;
};

bool isLoopback(const std::string& address) {
  return address == "localhost" || address == "::1" || address.rfind("127.", 0) == 0;
}

struct ServerSecurity {
  pki::ClusterPki pki;
  std::string admin_kubeconfig;  // written into the PKI directory
};

// The cluster CA and the serving certificate (names and addresses: the loopback ones, the
// bind address, the `kubernetes` Service's ClusterIP and --tls-san), the admin kubeconfig,
// and the HTTPS and authentication options of the apiserver.
Result<ServerSecurity> setUpSecurity(const ServerFlags& flags,
                                     apiserver::ApiServerOptions& options) {
  pki::ClusterPkiOptions pki_options;
  auto service_range = parseIpv4Cidr(flags.service_cluster_ip_range);
  if (!service_range.isOk())
    return invalid("--service-cluster-ip-range: " + service_range.status().message());
  pki_options.apiserver_ips.push_back(service_range->gateway());
  if (flags.bind_address != "0.0.0.0" && !isLoopback(flags.bind_address)) {
    pki_options.apiserver_ips.push_back(flags.bind_address);
  }
  for (const auto& san : flags.tls_sans) {
    bool is_ip = parseIpv4Cidr(san + "/32").isOk() || san.find(':') != std::string::npos;
    (is_ip ? pki_options.apiserver_ips : pki_options.apiserver_dns_names).push_back(san);
  }
  std::string dir = flags.pki_dir.empty() ? flags.data_dir + "/pki" : flags.pki_dir;
  ServerSecurity security;
  ASSIGN_OR_RETURN(security.pki, pki::ensureClusterPki(dir, pki_options));

  options.http.tls = http::TlsServerOptions{};
  options.http.tls->cert_pem = security.pki.apiserver.cert_pem;
  options.http.tls->key_pem = security.pki.apiserver.key_pem;
  options.http.tls->client_ca_pem = security.pki.ca.cert_pem;
  options.security.enabled = true;
  if (!flags.token_auth_file.empty()) {
    auto text = readFile(flags.token_auth_file);
    if (!text.isOk()) return invalid("--token-auth-file: " + text.status().message());
    auto tokens = apiserver::parseTokenAuthFile(*text);
    if (!tokens.isOk()) return invalid("--token-auth-file: " + tokens.status().message());
    options.security.static_tokens = std::move(*tokens);
  }
  std::string host = flags.bind_address == "0.0.0.0" ? "127.0.0.1" : flags.bind_address;
  security.admin_kubeconfig = dir + "/admin.kubeconfig";
  ASSIGN_OR_RETURN(std::string yaml,
                   node::mergeKubeconfig("", "https://" + host + ":" + std::to_string(flags.port),
                                         {security.pki.ca.cert_pem, security.pki.admin.cert_pem,
                                          security.pki.admin.key_pem}));
  std::string tmp = security.admin_kubeconfig + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << yaml;
    if (!out.flush()) return internalError("writing " + tmp);
  }
  std::filesystem::permissions(
      tmp, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  std::error_code ec;
  std::filesystem::rename(tmp, security.admin_kubeconfig, ec);
  if (ec) return internalError("writing " + security.admin_kubeconfig + ": " + ec.message());
  return security;
}

// How a component inside this process reaches the apiserver: over loopback, and with TLS
// as the holder of its own client certificate (CN = `user`), issued here from the CA.
Result<client::ClientConfig> inProcessClientConfig(const ServerFlags& flags, uint16_t port,
                                                   const ServerSecurity* security,
                                                   const std::string& user,
                                                   const std::string& agent) {
  client::ClientConfig config;
  std::string host = flags.bind_address == "0.0.0.0" ? "127.0.0.1" : flags.bind_address;
  config.server = (security ? "https://" : "http://") + host + ":" + std::to_string(port);
  config.user_agent = agent;
  if (security) {
    pki::CertificateSpec spec;
    spec.subject.common_name = user;
    spec.client_auth = true;
    ASSIGN_OR_RETURN(auto cert, pki::issueCertificate(security->pki.ca, spec));
    config.tls.ca_pem = security->pki.ca.cert_pem;
    config.tls.client_cert_pem = cert.cert_pem;
    config.tls.client_key_pem = cert.key_pem;
  }
  return config;
}

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
  if (!flags.tls && !isLoopback(flags.bind_address)) {
    std::cerr << "error: plain HTTP without authentication is served only on loopback; use --tls "
                 "to serve --bind-address "
              << flags.bind_address << "\n";
    return 2;
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
  std::optional<ServerSecurity> security;
  if (flags.tls) {
    auto secured = setUpSecurity(flags, options);
    if (!secured.isOk()) {
      std::cerr << "error: setting up TLS: " << secured.status().toString() << "\n";
      return 1;
    }
    security = std::move(*secured);
    log::info("server: cluster CA and certificates in {}; admin kubeconfig {}", security->pki.dir,
              security->admin_kubeconfig);
  }
  {  // the kubelet client (pods/log, pods/exec, metrics)
    Status unread;
    auto read = [&unread](const char* flag, const std::string& path) -> std::string {
      if (path.empty()) return "";  // the kubelet client then names what is missing
      auto text = readFile(path);
      if (!text.isOk() && unread.isOk()) {
        unread = invalid(std::string(flag) + ": " + text.status().message());
      }
      return text.isOk() ? std::move(text).value() : "";
    };
    std::optional<apiserver::KubeletClientConfig>& kubelet_client = options.kubelet_client;
    if (!flags.kubelet_client_certificate.empty() || !flags.kubelet_client_key.empty()) {
      kubelet_client = apiserver::KubeletClientConfig{
          read("--kubelet-client-certificate", flags.kubelet_client_certificate),
          read("--kubelet-client-key", flags.kubelet_client_key), ""};
    } else if (security) {
      kubelet_client = apiserver::KubeletClientConfig{security->pki.kubelet_client.cert_pem,
                                                      security->pki.kubelet_client.key_pem, ""};
    }
    if (kubelet_client && !flags.kubelet_certificate_authority.empty()) {
      kubelet_client->ca_pem =
          read("--kubelet-certificate-authority", flags.kubelet_certificate_authority);
    }
    if (!unread.isOk()) {
      std::cerr << "error: kubelet client: " << unread.toString() << "\n";
      return 1;
    }
  }
  apiserver::ApiServer server(options, **store);
  Status s = server.start();
  if (!s.isOk()) {
    std::cerr << "error: starting the apiserver: " << s.toString() << "\n";
    return 1;
  }
  if (security) {  // token discovery for nodes that join (node/cluster_info.h)
    std::string host = flags.bind_address == "0.0.0.0" ? "127.0.0.1" : flags.bind_address;
    std::string advertised = flags.bind_address == "0.0.0.0" && !flags.tls_sans.empty()
                                 ? flags.tls_sans.front() : host;
    client::ClientConfig admin;
    admin.server = "https://" + host + ":" + std::to_string(server.port());
    admin.tls = {security->pki.ca.cert_pem, security->pki.admin.cert_pem, security->pki.admin.key_pem};
    node::ClusterInfo info{"https://" + advertised + ":" + std::to_string(server.port()),
                           security->pki.ca.cert_pem};
    if (Status published = node::publishClusterInfo(admin, info); !published.isOk()) {
      log::warn("server: publishing kube-public/cluster-info: {}", published.toString());
    }
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
    const ServerSecurity* secured = security ? &*security : nullptr;
    auto scheduler_config = inProcessClientConfig(flags, server.port(), secured,
                                                  "system:kube-scheduler", "minik8s-scheduler");
    auto manager_config =
        inProcessClientConfig(flags, server.port(), secured, "system:kube-controller-manager",
                              "minik8s-controller-manager");
    if (!scheduler_config.isOk() || !manager_config.isOk()) {
      std::cerr << "error: client certificates for the scheduler and controller manager: "
                << (scheduler_config.isOk() ? manager_config : scheduler_config).status().toString()
                << "\n";
      return 1;
    }
    auto connected = client::RestClient::connect(*scheduler_config);
    auto manager_connected = client::RestClient::connect(*manager_config);
    if (!manager_connected.isOk()) {
      std::cerr << "error: controller manager client: " << manager_connected.status().toString()
                << "\n";
      return 1;
    }
    manager_client = std::move(manager_connected).value();
    if (flags.run_controller_manager) {
      controller::ControllerManagerOptions manager_options = flags.controllers;
      if (security) manager_options.csr_signing.ca = security->pki.ca;  // csrsigning's CA
      manager = std::make_unique<controller::ControllerManager>(*manager_client, manager_options);
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
  cmd->add_option("--port", flags->port, "API port (HTTPS with --tls, else plain HTTP on loopback)")
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
  cmd->add_flag("--tls", flags->tls,
                "serve HTTPS with certificates of the cluster CA (created in --pki-dir) and "
                "authenticate every request (x509 client certificates, bearer tokens); writes "
                "admin.kubeconfig there");
  cmd->add_option("--pki-dir", flags->pki_dir,
                  "cluster CA and certificates (default: <data-dir>/pki)");
  cmd->add_option("--tls-san", flags->tls_sans,
                  "an extra name or address in the serving certificate (repeatable)");
  cmd->add_option("--kubelet-client-certificate", flags->kubelet_client_certificate,
                  "client certificate to kubelets (default with --tls: "
                  "<pki-dir>/apiserver-kubelet-client.crt)");
  cmd->add_option("--kubelet-client-key", flags->kubelet_client_key,
                  "the key of --kubelet-client-certificate");
  cmd->add_option("--kubelet-certificate-authority", flags->kubelet_certificate_authority,
                  "verify kubelets' serving certificates against this CA (default: not verified)");
  cmd->add_option("--token-auth-file", flags->token_auth_file,
                  "static bearer tokens, one per line: token,user,uid[,\"group1,group2\"]");
  cmd->add_option("--log-level", flags->log_level, "debug, info, warn, error")
      ->capture_default_str();
  cmd->callback([flags] { std::exit(runServer(*flags)); });
}

}  // namespace minik8s::cmd
