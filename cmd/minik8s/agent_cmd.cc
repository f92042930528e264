#include "cmd/minik8s/agent_cmd.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "client/config.h"
#include "client/rest_client.h"
#include "cmd/minik8s/cmd_util.h"
#include "cmd/minik8s/proxy_cmd.h"
#include "cmd/minik8s/signals.h"
#include "common/duration.h"
#include "common/log.h"
#include "common/ipv4.h"
#include "controller/node_ipam.h"
#include "cri/cri_runtime.h"
#include "dns/cluster_records.h"
#include "dns/forward.h"
#include "dns/hosts_block.h"
#include "dns/node_dns_publication.h"
#include "dns/server.h"
#include "kubelet/kubelet.h"
#include "kubelet_server/kubelet_server.h"
#include "network/netlink_dataplane.h"
#include "network/overlay.h"
#include "network/pod_masquerade.h"
#include "network/pod_network_controller.h"
#include "node/containerd_process.h"
#include "node/node_config.h"
#include "node/cert_rotation.h"
#include "node/tls_bootstrap.h"
#include "node/registry_config.h"
#include "proxy/iptables.h"
#include "proxy/proxier.h"

namespace minik8s::cmd {
namespace {

struct AgentFlags {
  std::string server;
  std::string kubeconfig;
  std::string context;
  std::string node_name;
  std::string data_dir = "/var/lib/minik8s/node";
  std::string runtime_endpoint;
  std::string pod_cidr;  // "": the podCIDR the control plane gives the Node
  std::string node_ip = "127.0.0.1";
  int kubelet_port = 10250;
  std::string cgroup_root = "minik8s";
  std::string cni_bridge = "mk8s0";
  // The cross-node pod network (src/network): "none" (one node; the CNI bridge masquerades),
  // "vxlan" or "host-gw" (flannel's backends; our own masquerade rule, the bridge's is off).
  std::string network_backend = "none";
  std::string registry_config = "/etc/minik8s/registries.yaml";
  std::string log_level = "info";
  std::string node_status_update_frequency = "10s";
  std::string housekeeping_interval = "10s";
  std::vector<std::string> cluster_dns;  // "": ClusterFirst pods fall back to Default
  std::string cluster_domain = "cluster.local";
  std::string resolv_conf = "/etc/resolv.conf";
  bool run_proxy = true;
  ProxyFlags proxy;
  bool run_dns = false;
  std::vector<std::string> dns_upstreams;  // empty: the nameservers of --resolv-conf
  std::string manage_hosts;  // a hosts file to keep the Dns hostnames in ("": none)
  // Joining (kubeadm join's flags) and the original's node file (node/tls_bootstrap.h,
  // node/node_config.h).
  std::string token;
  std::string token_file;  // --token-file: the token, kept out of the command line
  std::vector<std::string> ca_cert_hashes;
  bool unsafe_skip_ca_verification = false;
  bool bootstrap_only = false;
  bool rotate_certificates = true;  // a joined node renews its client certificate
  std::string node_config;
  std::map<std::string, std::string> node_labels;  // from --node-config
  const CLI::Option* node_name_option = nullptr;
  const CLI::Option* node_ip_option = nullptr;
  // The kubelet endpoint's HTTPS (kubelet's flags); no client CA: plain HTTP.
  std::string tls_cert_file;
  std::string tls_private_key_file;
  std::string client_ca_file;
  std::string cluster_ca_pem;  // set by a join: the kubelet endpoint's client CA by default
};

// The node's registry config (k3s's registries.yaml format); a missing file is an empty one.
Result<node::RegistryConfig> loadRegistryConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) return node::RegistryConfig{};
  std::stringstream text;
  text << in.rdbuf();
  auto parsed = node::parseRegistryConfig(text.str());
  if (!parsed.isOk()) return parsed.status().withContext(path);
  return parsed;
}

// The podCIDR the control plane's node IPAM gives `node_name`: registers a bare Node when
// there is none (the kubelet fills it in later) and waits for spec.podCIDR.
Result<std::string> awaitPodCidr(client::Client& client, const std::string& node_name,
                                 std::chrono::seconds timeout) {
  const auto& nodes = *api::findResource("", "v1", "nodes");
  nlohmann::json bare = {{"apiVersion", "v1"},
                         {"kind", "Node"},
                         {"metadata", {{"name", node_name}, {"labels", {{"kubernetes.io/hostname", node_name}}}}}};
  auto deadline = std::chrono::steady_clock::now() + timeout;
  bool logged = false;
  while (true) {
    auto node = client.get(nodes, "", node_name);
    if (node.isOk()) {
      std::string cidr = node->value("spec", nlohmann::json::object()).value("podCIDR", "");
      if (!cidr.empty()) return cidr;
    } else if (node.status().code() == Code::kNotFound) {
      auto created = client.create(nodes, "", bare);
      if (!created.isOk() && created.status().code() != Code::kAlreadyExists) return created.status();
    } else if (std::chrono::steady_clock::now() > deadline) {
      return node.status();
    }
    if (std::chrono::steady_clock::now() > deadline) {
      return unavailable("node " + node_name + " got no podCIDR within " +
                         std::to_string(timeout.count()) +
                         " s: is the controller manager's nodeipam controller running? (or pass --pod-cidr)");
    }
    if (!logged) log::info("agent: waiting for node {} to get its podCIDR", node_name);
    logged = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

std::string readText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// What the agent runs beside its kubelet for Services, on one client and one set of
// shared informers (as a separate kube-proxy and a node-local DNS cache would have):
// - the service proxy (iptables);
// - the cluster DNS, node-local: it answers on the pod bridge's gateway address, which
//   this node's pods reach through the kube-dns Service. (As pods of a Deployment it
//   needs an apiserver that pods can reach, with credentials: the multi-node issue.)
class NodeServices {
 public:
  static Result<std::unique_ptr<NodeServices>> start(const AgentFlags& flags,
                                                     const std::string& node_name,
                                                     const std::string& pod_cidr) {
    ASSIGN_OR_RETURN(auto client, connectComponent(flags.server, flags.kubeconfig, flags.context,
                                                   "minik8s-proxy"));
    auto node = std::unique_ptr<NodeServices>(new NodeServices(std::move(client)));
    if (flags.run_proxy) {
      ProxyFlags proxy_flags = flags.proxy;
      // kube-proxy's --detect-local-mode=NodeCIDR: traffic from this node's pods is local.
      if (proxy_flags.cluster_cidr.empty()) proxy_flags.cluster_cidr = pod_cidr;
      ASSIGN_OR_RETURN(auto options, proxierOptions(proxy_flags, "proxy-", node_name));
      node->proxier_ = std::make_unique<proxy::Proxier>(node->informers_, node->iptables_, options);
      if (!flags.proxy.metrics_bind_address.empty()) {
        ASSIGN_OR_RETURN(
            node->proxy_metrics_,
            startProxyMetricsServer(flags.proxy.metrics_bind_address, node->proxier_->metrics()));
      }
    }
    std::string dns_address;
    if (flags.run_dns) {
      if (flags.cluster_dns.empty()) return invalid("--run-dns needs --cluster-dns (the kube-dns Service's IP)");
      ASSIGN_OR_RETURN(Ipv4Cidr cidr, parseIpv4Cidr(pod_cidr));
      dns_address = cidr.gateway();
      dns::DnsServerOptions options;
      options.listen = dns_address + ":53";
      options.freebind = true;
      std::vector<std::string> upstreams = flags.dns_upstreams;
      if (upstreams.empty()) upstreams = dns::resolvConfNameservers(readText(flags.resolv_conf));
      for (const auto& text : upstreams) {
        ASSIGN_OR_RETURN(auto upstream, dns::parseUpstream(text));
        options.upstreams.push_back(upstream);
      }
      node->dns_ = std::make_unique<dns::DnsServer>(options);
      node->records_ = std::make_unique<dns::ClusterRecords>(
          node->informers_, flags.cluster_domain, dns::kDefaultTtl,
          [server = node->dns_.get()](auto records) { server->setRecords(std::move(records)); });
    }
    if (!flags.manage_hosts.empty()) {
      node->hosts_ = std::make_unique<dns::HostsBlockWriter>(node->informers_, flags.manage_hosts);
    }
    if (node->records_) node->records_->start();
    if (node->hosts_) node->hosts_->start();
    node->informers_.start();
    if (node->proxier_) {
      node->proxier_->start();
      log::info("agent: service proxy running (balance {}, service range {})",
                flags.proxy.balance, flags.proxy.service_cluster_ip_range);
    }
    if (node->dns_) {
      // As CoreDNS does: wait a little for the first lists, so that a restart does not
      // answer NXDOMAIN for names that exist.
      node->informers_.waitForCacheSync(std::chrono::seconds(5));
      node->records_->rebuildNow();
      RETURN_IF_ERROR(node->dns_->start());
      RETURN_IF_ERROR(dns::publishNodeDns(
          *node->client_, {node_name, flags.cluster_dns.front(), dns_address}));
      log::info("agent: cluster DNS for {} on {}:53 (Service kube-system/kube-dns at {})",
                flags.cluster_domain, dns_address, flags.cluster_dns.front());
    }
    return node;
  }
  // The proxy's rules stay in place: traffic keeps flowing until the next proxy reconciles.
  ~NodeServices() {
    if (dns_) dns_->stop();
    if (records_) records_->stop();
    if (hosts_) hosts_->stop();  // the block stays, as the rules do; `down` removes it
    if (proxy_metrics_) proxy_metrics_->stop();
    if (proxier_) proxier_->stop();
    informers_.stop();
  }

 private:
  explicit NodeServices(std::unique_ptr<client::RestClient> client)
      : client_(std::move(client)), informers_(*client_) {}

  std::unique_ptr<client::RestClient> client_;
  client::SharedInformerFactory informers_;
  proxy::ExecIptables iptables_;
  std::unique_ptr<proxy::Proxier> proxier_;
  std::unique_ptr<http::HttpServer> proxy_metrics_;  // --proxy-metrics-bind-address
  std::unique_ptr<dns::DnsServer> dns_;
  std::unique_ptr<dns::ClusterRecords> records_;
  std::unique_ptr<dns::HostsBlockWriter> hosts_;
};

// --node-config and --token: the flags the agent then runs with (the node's name, address
// and labels from the file; the kubeconfig the TLS bootstrap wrote, used as --kubeconfig).
Result<AgentFlags> joinFlags(const AgentFlags& given, const std::string& data_dir) {
  AgentFlags flags = given;
  if (!flags.node_config.empty()) {
    std::ifstream in(flags.node_config);
    if (!in) return invalid("--node-config: cannot read " + flags.node_config);
    std::stringstream text;
    text << in.rdbuf();
    auto config = node::parseNodeConfig(text.str());
    if (!config.isOk()) return config.status().withContext(flags.node_config);
    auto given_value = [](const CLI::Option* option, const std::string& value) {
      return option && option->count() > 0 ? std::optional<std::string>(value) : std::nullopt;
    };
    ASSIGN_OR_RETURN(auto identity, node::resolveNodeIdentity(
                                        *config, given_value(flags.node_name_option, flags.node_name),
                                        given_value(flags.node_ip_option, flags.node_ip)));
    flags.node_name = identity.name;
    if (!identity.ip.empty()) flags.node_ip = identity.ip;
    flags.node_labels = config->labels;
  }
  if (!flags.token_file.empty()) {
    if (!flags.token.empty()) return invalid("pass --token or --token-file, not both");
    ASSIGN_OR_RETURN(flags.token, node::readBootstrapTokenFile(flags.token_file));
  }
  if (flags.token.empty()) {
    if (flags.bootstrap_only) return invalid("--bootstrap-only needs --token or --token-file");
    return flags;
  }
  if (!flags.kubeconfig.empty()) {
    return invalid("--token writes <data-dir>/kubeconfig: do not pass --kubeconfig too");
  }
  node::JoinOptions join;
  join.discovery.server = flags.server;
  join.discovery.ca_pins = flags.ca_cert_hashes;
  join.discovery.unsafe_skip_ca_verification = flags.unsafe_skip_ca_verification;
  join.token = flags.token;
  join.data_dir = data_dir;
  join.bootstrap.node_name = flags.node_name.empty() ? hostName() : flags.node_name;
  ASSIGN_OR_RETURN(flags.kubeconfig, node::joinCluster(join));
  ASSIGN_OR_RETURN(auto credentials, node::readNodeKubeconfig(flags.kubeconfig));
  if (credentials) flags.cluster_ca_pem = credentials->ca_pem;
  flags.node_name = join.bootstrap.node_name;
  flags.server.clear();  // the kubeconfig's: the same URL
  return flags;
}

// --network-backend and the cluster CIDR its masquerade rule keeps pod traffic inside.
struct NetworkSetup {
  std::optional<network::Backend> backend;  // nullopt: "none"
  std::string cluster_cidr;
};

Result<NetworkSetup> networkSetup(const AgentFlags& flags) {
  NetworkSetup setup;
  if (flags.network_backend == "none") return setup;
  auto backend = network::parseBackend(flags.network_backend);
  if (!backend.isOk()) {
    return invalid("--network-backend: " + flags.network_backend + ": want none, vxlan or host-gw");
  }
  setup.backend = *backend;
  // The pod range: --proxy-cluster-cidr, else the controller manager's default.
  setup.cluster_cidr = flags.proxy.cluster_cidr.empty() ? controller::NodeIpamOptions{}.cluster_cidr
                                                        : flags.proxy.cluster_cidr;
  if (auto cidr = parseIpv4Cidr(setup.cluster_cidr); !cidr.isOk()) {
    return invalid("--proxy-cluster-cidr: " + cidr.status().message());
  }
  return setup;
}

// With a pod network, this node's podCIDR must lie in the cluster CIDR: the masquerade rule
// keeps traffic to the cluster CIDR unmasqueraded.
Status checkPodCidr(const NetworkSetup& setup, const std::string& pod_cidr) {
  if (!setup.backend) return Status::ok();
  ASSIGN_OR_RETURN(Ipv4Cidr cluster, parseIpv4Cidr(setup.cluster_cidr));
  ASSIGN_OR_RETURN(Ipv4Cidr pods, parseIpv4Cidr(pod_cidr));
  if (!cluster.contains(pods)) {
    return invalid("--network-backend: podCIDR " + pod_cidr + " is outside the cluster CIDR " +
                   setup.cluster_cidr + " (--proxy-cluster-cidr)");
  }
  return Status::ok();
}

// The pods' MTU with a cross-node backend (the CNI bridge's "mtu"): network::podMtu of the
// device holding the node IP, in this process's network namespace (the node's); VXLAN:
// underlay − 50, the MTU the reconciler gives minik8s.1. 0 (the kernel's default) without.
Result<int> podMtu(const NetworkSetup& setup, const std::string& node_ip) {
  if (!setup.backend) return 0;
  ASSIGN_OR_RETURN(auto dataplane, network::NetlinkDataplane::open());
  auto mtu = network::findPodMtu(*dataplane, *setup.backend, node_ip);
  if (!mtu.isOk()) return mtu.status().withContext("--network-backend: the pods' MTU");
  return mtu;
}

// The cross-node pod network (--network-backend, src/network): the Node informer and the
// overlay reconciler on one worker, in this process's network namespace (the node's), the
// masquerade rule for pod traffic leaving the cluster CIDR and the FORWARD accepts for it.
// On stop the routes, the VXLAN device and the rules stay (pods keep talking across an agent
// restart, as with flannel); `minik8s down` removes them (network::teardownPodNetwork).
class NodePodNetwork {
 public:
  static Result<std::unique_ptr<NodePodNetwork>> start(client::Client& client,
                                                       const NetworkSetup& setup,
                                                       const std::string& node_name,
                                                       const std::string& node_ip,
                                                       const std::string& pod_cidr) {
    RETURN_IF_ERROR(checkPodCidr(setup, pod_cidr));
    ASSIGN_OR_RETURN(auto dataplane, network::NetlinkDataplane::open());
    auto net = std::unique_ptr<NodePodNetwork>(
        new NodePodNetwork(client, std::move(dataplane), *setup.backend));
    network::PodNetworkOptions options;
    options.node_name = node_name;
    options.node_ip = node_ip;
    options.pod_cidr = pod_cidr;
    // Masquerade for traffic leaving the cluster CIDR, and FORWARD accepts for the cluster
    // CIDR (a host whose FORWARD policy is DROP, e.g. with Docker, would drop pod traffic).
    options.ensure_iptables = [iptables = &net->iptables_,
                               rules = network::PodMasquerade{pod_cidr, setup.cluster_cidr}] {
      Status first = network::ensurePodMasquerade(*iptables, rules);
      Status forward = network::ensurePodForward(*iptables, rules.cluster_cidr);
      return first.isOk() ? forward : first;
    };
    net->controller_ = network::PodNetworkController::create(client, net->informers_,
                                                             net->reconciler_, options);
    net->informers_.start();
    RETURN_IF_ERROR(net->controller_->run());
    log::info(
        "agent: pod network {} for {} (cluster {}, forwarded, masquerading traffic leaving it)",
        network::backendName(*setup.backend), pod_cidr, setup.cluster_cidr);
    return net;
  }
  ~NodePodNetwork() {
    informers_.stop();  // no handler calls into the controller after this
    controller_.reset();
  }

 private:
  NodePodNetwork(client::Client& client, std::unique_ptr<network::NetlinkDataplane> dataplane,
                 network::Backend backend)
      : informers_(client),
        dataplane_(std::move(dataplane)),
        reconciler_(dataplane_.get(), backend) {}

  client::SharedInformerFactory informers_;
  std::unique_ptr<network::NetlinkDataplane> dataplane_;
  network::OverlayReconciler reconciler_;
  proxy::ExecIptables iptables_;
  std::unique_ptr<network::PodNetworkController> controller_;
};

int runAgent(const AgentFlags& given) {
  log::setLevel(given.log_level);
  blockStopSignals();
  std::error_code ec;
  std::filesystem::create_directories(given.data_dir, ec);
  if (ec) return reportError("creating " + given.data_dir + ": " + ec.message());
  std::string data_dir = std::filesystem::absolute(given.data_dir).string();
  auto joined = joinFlags(given, data_dir);
  if (!joined.isOk()) return reportError(joined.status().message());
  if (given.bootstrap_only) {
    std::cout << joined->kubeconfig << "\n";
    return 0;
  }
  const AgentFlags& flags = *joined;
  auto network = networkSetup(flags);
  if (!network.isOk()) return reportError(network.status().message());

  auto client = connectComponent(flags.server, flags.kubeconfig, flags.context, "minik8s-kubelet");
  if (!client.isOk()) return reportError(client.status().message());

  std::string node_name = flags.node_name.empty() ? hostName() : flags.node_name;
  if (Status s = node::applyNodeLabels(**client, node_name, flags.node_labels); !s.isOk()) {
    return reportError("--node-config labels: " + s.toString());
  }
  std::string pod_cidr = flags.pod_cidr;
  if (pod_cidr.empty()) {
    auto assigned = awaitPodCidr(**client, node_name, std::chrono::seconds(60));
    if (!assigned.isOk()) return reportError(assigned.status().message());
    pod_cidr = *assigned;
    log::info("agent: node {} has podCIDR {}", node_name, pod_cidr);
  }
  if (Status s = checkPodCidr(*network, pod_cidr); !s.isOk()) return reportError(s.message());

  auto registries = loadRegistryConfig(flags.registry_config);
  if (!registries.isOk()) return reportError("--registry-config: " + registries.status().message());

  // The container runtime: ours (supervised, adopted after a restart) or the given one.
  std::unique_ptr<node::ContainerdProcess> containerd;
  std::string endpoint = flags.runtime_endpoint;
  if (endpoint.empty()) {
    node::ContainerdProcessOptions options;
    options.base_dir = data_dir + "/containerd";
    node::CniOptions cni;
    cni.pod_cidr = pod_cidr;
    cni.bridge = flags.cni_bridge;
    // Across nodes pods keep their source address; only traffic leaving the cluster CIDR is
    // masqueraded, by the pod network's own rule.
    cni.ip_masq = !network->backend.has_value();
    // Room for the encapsulation: the pods' packets fit the VXLAN device unfragmented.
    auto mtu = podMtu(*network, flags.node_ip);
    if (!mtu.isOk()) return reportError(mtu.status().message());
    cni.mtu = *mtu;
    if (cni.mtu != 0) log::info("agent: pod MTU {} ({})", cni.mtu, flags.network_backend);
    options.cni = cni;
    // containerd reads <base>/certs.d/<host>/hosts.toml at every pull.
    if (Status s = node::writeRegistryHosts(
            *registries, node::containerdPaths(options.base_dir).registry_hosts_dir);
        !s.isOk()) {
      return reportError("writing the registry hosts: " + s.toString());
    }
    auto started = node::ContainerdProcess::start(options);
    if (!started.isOk()) return reportError("starting containerd: " + started.status().toString());
    containerd = std::move(*started);
    endpoint = containerd->endpoint();
    log::info("agent: containerd {} at {} (pid {})", containerd->adopted() ? "adopted" : "started",
              endpoint, containerd->pid());
  }
  auto runtime = cri::CriRuntime::connect(endpoint);
  if (Status s = runtime->waitReady(std::chrono::seconds(20)); !s.isOk()) {
    return reportError("container runtime at " + endpoint + ": " + s.toString());
  }

  // The HTTP endpoint first: the Node advertises its port.
  kubelet::KubeletServerOptions server_options;
  server_options.bind_address = flags.node_ip;
  server_options.port = static_cast<uint16_t>(flags.kubelet_port);
  server_options.node_name = node_name;
  auto housekeeping = parseDuration(flags.housekeeping_interval);
  if (!housekeeping.isOk() || housekeeping->count() <= 0) {
    return reportError("--housekeeping-interval: want a positive duration such as 10s");
  }
  server_options.stats_interval = *housekeeping;
  // HTTPS for the API server only: with --client-ca-file, or on a joined node with the
  // cluster's CA (the API server always reaches a kubelet over TLS when it serves TLS).
  auto read = [](const std::string& path) -> std::optional<std::string> {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  };
  std::string client_ca_pem = flags.cluster_ca_pem;
  if (!flags.client_ca_file.empty()) {
    auto ca = read(flags.client_ca_file);
    if (!ca) return reportError("--client-ca-file: cannot read " + flags.client_ca_file);
    client_ca_pem = *ca;
  }
  if (!client_ca_pem.empty()) {
    server_options.client_ca_pem = client_ca_pem;
    if (!flags.tls_cert_file.empty()) {
      auto cert = read(flags.tls_cert_file);
      auto key = read(flags.tls_private_key_file);
      if (!cert || !key) return reportError("--tls-cert-file/--tls-private-key-file: cannot read");
      server_options.tls_cert_pem = *cert;
      server_options.tls_key_pem = *key;
    } else {  // as the kubelet: a self-signed certificate for the node, kept in the data dir
      auto self = kubelet::ensureSelfSignedServingCertificate(data_dir + "/pki", node_name,
                                                              {flags.node_ip});
      if (!self.isOk()) return reportError("kubelet serving certificate: " + self.status().toString());
      server_options.tls_cert_pem = self->cert_pem;
      server_options.tls_key_pem = self->key_pem;
    }
  }
  kubelet::KubeletServer server(*runtime, server_options);
  if (Status s = server.start(); !s.isOk()) {
    return reportError("kubelet endpoint on " + flags.node_ip + ":" + std::to_string(flags.kubelet_port) +
                ": " + s.toString());
  }

  kubelet::KubeletOptions options;
  options.node.node_name = node_name;
  options.node.node_ip = flags.node_ip;
  options.node.kubelet_port = server.port();
  options.node.pod_cidr = pod_cidr;
  options.dns.servers = flags.cluster_dns;
  options.dns.domain = flags.cluster_domain;
  options.resolv_conf = flags.resolv_conf;
  auto heartbeat = parseDuration(flags.node_status_update_frequency);
  if (!heartbeat.isOk() || heartbeat->count() <= 0) {
    return reportError("--node-status-update-frequency: want a positive duration such as 10s");
  }
  options.heartbeat_period = *heartbeat;
  options.paths.data_dir = data_dir;
  options.paths.cgroup_root = flags.cgroup_root;
  options.registries = node::configuredRegistries(*registries);
  kubelet::Kubelet kubelet(**client, *runtime, options);
  if (Status s = kubelet.start(); !s.isOk()) return reportError("kubelet: " + s.toString());
  std::unique_ptr<NodePodNetwork> pod_network;
  if (network->backend) {
    auto started = NodePodNetwork::start(**client, *network, node_name, flags.node_ip, pod_cidr);
    if (!started.isOk()) return reportError("pod network: " + started.status().toString());
    pod_network = std::move(*started);
  }
  std::unique_ptr<NodeServices> node_services;
  if (flags.run_proxy || flags.run_dns || !flags.manage_hosts.empty()) {
    auto started = NodeServices::start(flags, node_name, pod_cidr);
    if (!started.isOk()) return reportError("services: " + started.status().toString());
    node_services = std::move(*started);
  }

  // A joined node renews its client certificate before it expires (node/cert_rotation.h).
  std::unique_ptr<node::CertificateRotator> rotator;
  if (flags.rotate_certificates && (!given.token.empty() || !given.token_file.empty())) {
    node::CertificateRotatorOptions rotation;
    rotation.kubeconfig = flags.kubeconfig;
    rotation.bootstrap.node_name = node_name;
    rotation.on_rotated = [path = flags.kubeconfig](const node::NodeCredentials&) {
      // The running clients keep the certificate they were built with (client::RestClient
      // has no way to swap it yet); the renewed one serves the next start without a token.
      log::info("agent: the renewed client certificate is in {}", path);
    };
    rotator = std::make_unique<node::CertificateRotator>(std::move(rotation));
    if (Status s = rotator->start(); !s.isOk()) {
      log::warn("agent: client certificate rotation not started: {}", s.toString());
      rotator.reset();
    }
  }

  int sig = waitForStopSignal();
  log::info("agent: signal {} received, stopping (pods keep running, service rules stay)", sig);
  rotator.reset();
  node_services.reset();
  pod_network.reset();  // routes, device and masquerade rule stay
  kubelet.stop();
  server.stop();
  if (containerd) containerd->stop();
  return 0;
}

void addAgentCommand(CLI::App& app, const std::string& name, const std::string& description) {
  auto flags = std::make_shared<AgentFlags>();
  CLI::App* cmd = app.add_subcommand(name, description);
  cmd->add_option("-s,--server", flags->server, "apiserver URL (overrides the kubeconfig)");
  cmd->add_option("--kubeconfig", flags->kubeconfig, "kubeconfig file");
  cmd->add_option("--context", flags->context, "kubeconfig context");
  cmd->add_option("--node-name", flags->node_name, "the Node this agent owns (default: host name)");
  cmd->add_option("--data-dir", flags->data_dir, "the node's state directory")->capture_default_str();
  cmd->add_option("--container-runtime-endpoint", flags->runtime_endpoint,
                  "an existing containerd CRI socket (default: start our own under --data-dir)");
  cmd->add_option("--pod-cidr", flags->pod_cidr,
                  "the node's pod CIDR (default: the one the control plane assigns from its "
                  "--cluster-cidr)");
  cmd->add_option("--node-ip", flags->node_ip, "the node's InternalIP")->capture_default_str();
  cmd->add_option("--network-backend", flags->network_backend,
                  "the pod network between nodes: none (one node), vxlan or host-gw (flannel's "
                  "backends; pods keep their address across nodes, traffic leaving "
                  "--proxy-cluster-cidr is masqueraded)")
      ->capture_default_str();
  cmd->add_option("--kubelet-port", flags->kubelet_port, "kubelet HTTP port (0: any free)")
      ->capture_default_str();
  cmd->add_option("--cgroup-root", flags->cgroup_root, "pods live in /<root>/pod<uid>")
      ->capture_default_str();
  cmd->add_option("--cni-bridge", flags->cni_bridge, "the node's CNI bridge interface")
      ->capture_default_str();
  cmd->add_option("--registry-config", flags->registry_config,
                  "registry mirrors and plain-HTTP registries (k3s registries.yaml format); "
                  "nodes pull only from loopback registries and those named here")
      ->capture_default_str();
  cmd->add_option("--node-status-update-frequency", flags->node_status_update_frequency,
                  "how often the kubelet posts its node status and renews its Lease")
      ->capture_default_str();
  cmd->add_option("--housekeeping-interval", flags->housekeeping_interval,
                  "how often the kubelet samples container usage (the metrics' window, which "
                  "kubectl top and the autoscalers read)")
      ->capture_default_str();
  cmd->add_option("--cluster-dns", flags->cluster_dns,
                  "DNS server addresses for ClusterFirst pods (comma-separated; none: they "
                  "fall back to the Default policy)")
      ->delimiter(',');
  cmd->add_option("--cluster-domain", flags->cluster_domain,
                  "the cluster's DNS domain, searched by ClusterFirst pods")
      ->capture_default_str();
  cmd->add_option("--resolv-conf", flags->resolv_conf,
                  "the resolver configuration pods with the Default policy get (\"\": none)")
      ->capture_default_str();
  cmd->add_option("--run-proxy", flags->run_proxy,
                  "run the service proxy (iptables) beside the kubelet")
      ->capture_default_str();
  addProxyFlags(*cmd, flags->proxy, "proxy-");
  cmd->add_option("--run-dns", flags->run_dns,
                  "serve the cluster DNS on this node (on its pod bridge's gateway address, "
                  "behind the kube-dns Service at the first --cluster-dns address)")
      ->capture_default_str();
  cmd->add_option("--dns-upstream", flags->dns_upstreams,
                  "where the cluster DNS forwards other names, address[:port] (default: the "
                  "nameservers of --resolv-conf)")
      ->delimiter(',');
  cmd->add_option("--manage-hosts", flags->manage_hosts,
                  "keep each Dns hostname, with the nginx add-on's ClusterIP, in a block "
                  "(# BEGIN minik8s ... # END minik8s) of this hosts file, e.g. /etc/hosts");
  cmd->add_option("--tls-cert-file", flags->tls_cert_file,
                  "kubelet endpoint serving certificate (default with --client-ca-file: "
                  "self-signed, in --data-dir/pki)");
  cmd->add_option("--tls-private-key-file", flags->tls_private_key_file,
                  "the key of --tls-cert-file");
  cmd->add_option("--client-ca-file", flags->client_ca_file,
                  "serve the kubelet endpoint over HTTPS to clients certified by this CA "
                  "(only the API server is authorized; default on a node joined with --token: "
                  "the cluster CA)");
  // Joining a cluster (kubeadm join's flags; docs/node.md).
  cmd->add_option("--token", flags->token,
                  "join with this bootstrap token: token discovery of the CA at --server, then "
                  "a client certificate through a CertificateSigningRequest, kept in "
                  "<data-dir>/kubeconfig");
  cmd->add_option("--token-file", flags->token_file,
                  "as --token, the token read from this file (mode 0600 or stricter; keeps the "
                  "token out of the command line, which every user of the machine can read)");
  cmd->add_option("--discovery-token-ca-cert-hash", flags->ca_cert_hashes,
                  "the cluster CA's public key pin, sha256:<hex> (repeatable; `minik8s token "
                  "create --print-join-command` prints it)");
  cmd->add_flag("--discovery-token-unsafe-skip-ca-verification",
                flags->unsafe_skip_ca_verification,
                "join without checking the CA against a pin (whoever answers at --server is "
                "trusted)");
  cmd->add_flag("--rotate-certificates", flags->rotate_certificates,
                "on a node joined with --token/--token-file, renew the client certificate "
                "through a CertificateSigningRequest at 70-90% of its lifetime (kubelet's flag)")
      ->capture_default_str();
  cmd->add_flag("--bootstrap-only", flags->bootstrap_only,
                "with --token or --token-file: write <data-dir>/kubeconfig, print its path and exit");
  cmd->add_option("--node-config", flags->node_config,
                  "a Node manifest (the original's node.yaml): metadata.name, metadata.labels "
                  "and spec.ip (the InternalIP) for this node");
  flags->node_name_option = cmd->get_option("--node-name");
  flags->node_ip_option = cmd->get_option("--node-ip");
  cmd->add_option("--log-level", flags->log_level, "debug, info, warn, error")->capture_default_str();
  cmd->callback([flags] { std::exit(runAgent(*flags)); });
}

}  // namespace

void addAgentCommands(CLI::App& app) {
  addAgentCommand(app, "agent",
                  "the node agent: kubelet (and its containerd) and the service proxy for one node");
  addAgentCommand(app, "kubelet", "the kubelet alone (same flags as agent)");
}

}  // namespace minik8s::cmd
