#include "cmd/minik8s/up_cmd.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "api/scheme.h"
#include "client/rest_client.h"
#include "cmd/minik8s/cmd_util.h"
#include "common/clock.h"
#include "common/duration.h"
#include "common/files.h"
#include "common/log.h"
#include "cri/cri_runtime.h"
#include "dns/hosts_block.h"
#include "image/builder.h"
#include "image/loader.h"
#include "network/pod_network_controller.h"
#include "node/containerd_cleanup.h"
#include "node/containerd_process.h"
#include "node/detached_process.h"
#include "node/local_cluster.h"
#include "node/node_config.h"
#include "node/node_namespace.h"
#include "pki/bootstrap_token.h"
#include "pki/ca_hash.h"
#include "pki/pki.h"
#include "proxy/iptables.h"
#include "proxy/proxier.h"

namespace minik8s::cmd {

namespace {

namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;

struct UpFlags {
  std::string data_dir = node::kDefaultLocalDataDir;
  int port = 6443;
  std::string node_name;
  std::string kubeconfig;
  std::string images_dir;
  std::vector<std::string> stock_images;  // --stock-images: file stems; empty: all
  std::string timeout = "60s";
  std::string cgroup_root = "minik8s";
  std::string cni_bridge = "mk8s0";
  std::vector<std::string> agent_args;
  std::vector<std::string> server_args;
  int nodes = 1;
  std::string node_bridge = node::LocalClusterState{}.underlay_bridge;
  std::string node_subnet = node::LocalClusterState{}.underlay_subnet;
  std::vector<std::string> node_configs;  // --node-config: more nodes from manifests
  bool port_given = false;
  bool nodes_given = false;
  bool tls = true;
};

// An error of `up`/`down`: one line, then the tail of the log that explains it.
int failWithLogTail(const std::string& message, const std::string& log_path = "") {
  std::cerr << "error: " << message << "\n";
  if (!log_path.empty()) {
    std::string tail = node::lastLines(node::fileTail(log_path, 16384), 20);
    if (!tail.empty()) {
      std::cerr << "--- last lines of " << log_path << ":\n" << tail << "\n";
    }
  }
  return 1;
}

std::string selfExe() {
  std::error_code ec;
  fs::path p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? "/usr/local/bin/minik8s" : p.string();
}

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// writeFileAtomically (common/files.h), creating the file's directory first.
Status writeFileInDir(const std::string& path, const std::string& content, mode_t mode) {
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  return writeFileAtomically(path, content, mode);
}

// The kubeconfig `up` writes: --kubeconfig, else the first file of $KUBECONFIG, else
// ~/.kube/config (where kubectl looks).
std::string kubeconfigPath(const std::string& flag) {
  if (!flag.empty()) return flag;
  if (const char* env = std::getenv("KUBECONFIG"); env != nullptr && *env != '\0') {
    std::string list = env;
    return list.substr(0, list.find(':'));
  }
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr && *home != '\0' ? home : "/root") + "/.kube/config";
}

// Merges our context into the kubeconfig; a file that does not parse is kept as
// <file>.before-minik8s and replaced.
Status writeKubeconfig(const std::string& path, const std::string& server,
                       const node::KubeconfigCredentials& credentials) {
  std::string existing = fs::exists(path) ? readFile(path) : "";
  auto merged = node::mergeKubeconfig(existing, server, credentials);
  if (!merged.isOk()) {
    std::error_code ec;
    fs::copy_file(path, path + ".before-minik8s", fs::copy_options::overwrite_existing, ec);
    std::cout << "minik8s: " << path << " could not be merged (" << merged.status().message()
              << "); it is saved as " << path << ".before-minik8s\n";
    merged = node::mergeKubeconfig("", server, credentials);
    if (!merged.isOk()) return merged.status();
  }
  return writeFileInDir(path, *merged, 0600);
}

std::unique_ptr<client::RestClient> apiClient(const node::LocalClusterState& state,
                                              const node::KubeconfigCredentials& admin,
                                              milliseconds timeout) {
  client::ClientConfig config;
  config.server = node::clusterServerUrl(state);
  config.timeout = timeout;
  config.user_agent = "minik8s-up";
  config.tls.ca_pem = admin.ca_pem;
  config.tls.client_cert_pem = admin.client_cert_pem;
  config.tls.client_key_pem = admin.client_key_pem;
  auto c = client::RestClient::connect(config);
  return c.isOk() ? std::move(c).value() : nullptr;
}

// The admin's credentials from the server's PKI directory, once the server has made them.
std::optional<node::KubeconfigCredentials> adminCredentials(const node::LocalClusterPaths& paths) {
  const std::string dir = paths.pki_dir + "/";
  for (const char* file : {pki::kCaCertFile, pki::kAdminCertFile, pki::kAdminKeyFile}) {
    if (!fs::exists(dir + file)) return std::nullopt;
  }
  return node::KubeconfigCredentials{readFile(dir + pki::kCaCertFile),
                                     readFile(dir + pki::kAdminCertFile),
                                     readFile(dir + pki::kAdminKeyFile)};
}

// The agent's kubeconfig: a client certificate for system:node:<name> in system:nodes,
// issued by the cluster CA (what TLS bootstrapping gives a node that joins from elsewhere).
Status writeAgentKubeconfig(const node::LocalClusterPaths& paths,
                            const node::LocalClusterState& state) {
  const std::string dir = paths.pki_dir + "/";
  pki::CertificateAndKey ca{readFile(dir + pki::kCaCertFile), readFile(dir + pki::kCaKeyFile)};
  pki::CertificateSpec spec;
  spec.subject = {"system:node:" + state.node_name, {"system:nodes"}};
  spec.client_auth = true;
  ASSIGN_OR_RETURN(auto cert, pki::issueCertificate(ca, spec));
  ASSIGN_OR_RETURN(std::string kubeconfig,
                   node::mergeKubeconfig("", node::clusterServerUrl(state),
                                         {ca.cert_pem, cert.cert_pem, cert.key_pem}));
  return writeFileInDir(paths.agent_kubeconfig, kubeconfig, 0600);
}

// The kubelet endpoint's serving certificate from the cluster CA, for the node's name,
// 127.0.0.1 and its --node-ip (the address the API server dials).
Status writeKubeletServingCertificate(const node::LocalClusterPaths& paths,
                                      const node::LocalClusterState& state,
                                      const std::vector<std::string>& agent_argv) {
  const std::string dir = paths.pki_dir + "/";
  pki::CertificateAndKey ca{readFile(dir + pki::kCaCertFile), readFile(dir + pki::kCaKeyFile)};
  pki::CertificateSpec spec;
  spec.subject = {"system:node:" + state.node_name, {"system:nodes"}};
  spec.dns_names = {state.node_name};
  spec.ip_addresses = {"127.0.0.1"};
  for (size_t i = 0; i < agent_argv.size(); ++i) {
    const std::string& a = agent_argv[i];
    std::string ip;
    if (a == "--node-ip" && i + 1 < agent_argv.size()) ip = agent_argv[i + 1];
    if (a.rfind("--node-ip=", 0) == 0) ip = a.substr(10);
    if (!ip.empty() && ip != "127.0.0.1") spec.ip_addresses.push_back(ip);
  }
  spec.server_auth = true;
  ASSIGN_OR_RETURN(auto cert, pki::issueCertificate(ca, spec));
  RETURN_IF_ERROR(writeFileInDir(paths.kubelet_key, cert.key_pem, 0600));
  return writeFileInDir(paths.kubelet_cert, cert.cert_pem, 0644);
}

// Starts one component unless it already runs; returns its PID.
Result<pid_t> ensureRunning(const std::string& what, const std::string& pid_file,
                            const std::vector<std::string>& identity,
                            const std::vector<std::string>& argv, const std::string& log_path) {
  if (auto pid = node::livePidFromFile(pid_file, identity)) {
    std::cout << "minik8s: " << what << " is already running (pid " << *pid << ")\n";
    return *pid;
  }
  {
    std::ofstream log(log_path, std::ios::app);
    log << "---- minik8s up: starting " << what << "\n";
  }
  ASSIGN_OR_RETURN(pid_t pid, node::spawnDetached(argv, log_path));
  RETURN_IF_ERROR(node::writePidFile(pid_file, pid));
  std::cout << "minik8s: started " << what << " (pid " << pid << ", log " << log_path << ")\n";
  return pid;
}

// Loads the stock images the node's containerd does not have yet, building their archives
// first when missing (a rebuild of unchanged archives only compares digests).
Status loadStockImages(const std::string& socket, const std::string& images_dir,
                       const std::vector<std::string>& only, const std::string& node_name,
                       std::mutex& build_mu) {
  auto rt = cri::CriRuntime::connect(socket);
  ASSIGN_OR_RETURN(auto images, rt->listImages());
  std::set<std::string> have;
  for (const auto& img : images) have.insert(img.repo_tags.begin(), img.repo_tags.end());
  std::vector<std::string> missing;  // file stems
  for (const auto& s : image::stockImages()) {
    const std::string stem = fs::path(s.file).stem().string();
    if (!only.empty() && std::find(only.begin(), only.end(), stem) == only.end()) continue;
    for (const auto& n : s.names) {
      if (!have.count(n)) {
        missing.push_back(fs::path(s.file).stem().string());
        break;
      }
    }
  }
  if (missing.empty()) return Status::ok();
  auto t0 = SteadyClock::now();
  std::vector<image::BuiltArchive> built;
  {
    std::lock_guard lock(build_mu);
    ASSIGN_OR_RETURN(built, image::buildStockImages(images_dir, missing));
  }
  for (const auto& a : built) RETURN_IF_ERROR(image::importArchive(socket, a.path));
  std::printf("minik8s: loaded %zu stock images into the containerd of node %s in %.1fs\n",
              built.size(), node_name.c_str(), secondsSince(t0));
  return Status::ok();
}

// A bootstrap token for the extra nodes to join with, as `token create` stores it (an hour;
// an agent that restarts later reuses the kubeconfig it got), and the CA pin of the join
// command.
Result<std::pair<std::string, std::string>> joinCredentials(client::RestClient& client,
                                                            const std::string& ca_pem) {
  pki::BootstrapToken token = pki::generateBootstrapToken();
  pki::BootstrapTokenSecretOptions options;
  options.ttl = std::chrono::hours(1);
  options.description = "minik8s up --nodes: the extra nodes join with it";
  ASSIGN_OR_RETURN(std::string hash, pki::caCertHash(ca_pem));
  const api::ResourceInfo* secrets = api::resolveResource("secrets");
  ASSIGN_OR_RETURN(auto created,
                   client.create(*secrets, "kube-system",
                                 pki::bootstrapTokenSecret(token, options, Clock::real().now())));
  (void)created;
  return std::make_pair(token.str(), hash);
}

// The underlay of a multi-node cluster: the bridge and every extra node's namespace.
Status ensureUnderlay(const node::MultiNodeLayout& layout) {
  if (layout.bridge.empty()) return Status::ok();
  RETURN_IF_ERROR(node::ensureUnderlayBridge(layout.bridge, layout.gateway_cidr));
  for (const auto& n : layout.nodes) {
    if (n.netns.empty()) continue;
    RETURN_IF_ERROR(node::ensureNodeNamespace(
        {n.netns, layout.bridge, n.host_veth, n.address_cidr, layout.gateway})
                        .withContext("node " + n.name));
  }
  return Status::ok();
}

int runUp(const UpFlags& flags) {
  auto t0 = SteadyClock::now();
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // progress lines as they happen, also in a pipe
  log::setLevel("warn");
  if (::geteuid() != 0) return failWithLogTail("minik8s up must run as root (it runs containerd)");
  auto timeout = parseDuration(flags.timeout);
  if (!timeout.isOk()) return failWithLogTail("--timeout: " + timeout.status().message());
  const auto deadline = t0 + *timeout;
  const node::LocalClusterPaths paths = node::localClusterPaths(flags.data_dir);
  for (const auto& dir : {paths.data_dir, paths.logs_dir, paths.run_dir}) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return failWithLogTail("cannot create " + dir + ": " + ec.message());
  }

  std::vector<node::NodeConfigFile> manifests;
  for (const auto& file : flags.node_configs) {
    if (!fs::is_regular_file(file)) return failWithLogTail("--node-config: cannot read " + file);
    auto config = node::parseNodeConfig(readFile(file));
    if (!config.isOk()) return failWithLogTail(file + ": " + config.status().message());
    manifests.push_back(*config);
  }

  node::LocalClusterState state;
  state.port = flags.port;
  state.node_name = flags.node_name.empty() ? hostName() : flags.node_name;
  state.cgroup_root = flags.cgroup_root;
  state.bridge = flags.cni_bridge;
  state.agent_args = flags.agent_args;
  state.server_args = flags.server_args;
  state.tls = flags.tls;
  state.nodes = flags.nodes;
  state.underlay_bridge = flags.node_bridge;
  state.underlay_subnet = flags.node_subnet;
  // A running cluster keeps what it was started with, and takes the nodes of --node-config.
  if (node::livePidFromFile(paths.server_pid, node::serverIdentity(paths)) &&
      fs::exists(paths.state_file)) {
    auto j = nlohmann::json::parse(readFile(paths.state_file), nullptr, false);
    if (auto running = node::stateFromJson(j); running.isOk()) {
      if (flags.port_given && running->port != flags.port) {
        std::cout << "minik8s: the running cluster uses port " << running->port
                  << "; `minik8s down` first to change it\n";
      }
      if (flags.nodes_given && running->nodes != flags.nodes) {
        std::cout << "minik8s: the running cluster has " << running->nodes
                  << " node(s); `minik8s down` first to change it\n";
      }
      if (running->nodeCount() == 1 && !manifests.empty()) {
        return failWithLogTail(
            "the running cluster has one node and its API server listens on 127.0.0.1 only; "
            "`minik8s down` first, then start it with --nodes 2 or more, or with --node-config");
      }
      state = *running;
    }
  }
  if (auto added = node::addNodeConfigs(paths, state, manifests); added.isOk()) {
    state = *added;
  } else {
    return failWithLogTail(added.status().message());
  }
  auto layout = node::multiNodeLayout(paths, state);
  if (!layout.isOk()) return failWithLogTail(layout.status().message());
  if (Status s =
          writeFileInDir(paths.state_file, node::stateToJson(state).dump(2) + "\n", 0644);
      !s.isOk()) {
    return failWithLogTail(s.toString());
  }
  const std::string exe = selfExe();

  // 0. The underlay (multi-node): the server binds the bridge's address.
  if (Status s = ensureUnderlay(*layout); !s.isOk()) {
    return failWithLogTail("the nodes' network: " + s.toString());
  }

  // 1. The control plane.
  auto server_pid = ensureRunning("server", paths.server_pid, node::serverIdentity(paths),
                                  node::serverArgv(exe, paths, state), paths.server_log);
  if (!server_pid.isOk())
    return failWithLogTail("starting the server: " + server_pid.status().toString());
  // With TLS the client needs the CA and the admin's certificate, which the server makes
  // at start-up.
  node::KubeconfigCredentials admin;
  std::unique_ptr<client::RestClient> client;
  const std::string server_url = node::clusterServerUrl(state);
  for (;;) {
    if (!client && state.tls) {
      if (auto made = adminCredentials(paths)) admin = *made;
    }
    if (!client && (!state.tls || !admin.ca_pem.empty())) {
      client = apiClient(state, admin, milliseconds(2000));
      if (!client) return failWithLogTail("bad server address or credentials for " + server_url);
    }
    if (client && client->raw("GET", "/readyz").isOk()) break;
    if (!node::processAlive(*server_pid)) {
      return failWithLogTail(
          "the server exited during start-up (is port " + std::to_string(state.port) + " in use?)",
          paths.server_log);
    }
    if (SteadyClock::now() >= deadline) {
      return failWithLogTail(
          "the apiserver did not answer /readyz at " + server_url + " within " + flags.timeout,
          paths.server_log);
    }
    std::this_thread::sleep_for(milliseconds(50));
  }

  // 2. The nodes' agents. A Node left Ready by an agent that has since stopped still reads
  // Ready: when we start an agent, only a status it posts from now on counts. Node 1 gets
  // its certificates from `up` (it shares the server's machine); the others join with a
  // bootstrap token as a remote machine does.
  struct Started {
    const node::LocalNode* node;
    pid_t pid;
    int64_t ready_not_before;
  };
  std::vector<Started> started;
  std::optional<std::pair<std::string, std::string>> join;  // token file, CA hash
  const int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  for (const auto& n : layout->nodes) {
    const auto identity = node::agentIdentity(n);
    const bool was_running = node::livePidFromFile(n.agent_pid, identity).has_value();
    std::vector<std::string> argv;
    if (n.index == 1) {
      argv = node::agentArgv(exe, paths, state);
      if (state.tls && (!was_running || !fs::exists(paths.agent_kubeconfig) ||
                        !fs::exists(paths.kubelet_cert))) {
        if (Status s = writeAgentKubeconfig(paths, state); !s.isOk()) {
          return failWithLogTail("the node's certificate: " + s.toString());
        }
        if (Status s = writeKubeletServingCertificate(paths, state, argv); !s.isOk()) {
          return failWithLogTail("the kubelet's serving certificate: " + s.toString());
        }
      }
    } else if (!was_running) {
      if (n.manifest) {  // the agent registers the node from its manifest (--node-config)
        if (Status s =
                writeFileInDir(n.node_config_file, node::renderNodeConfig(*n.manifest), 0644);
            !s.isOk()) {
          return failWithLogTail("the manifest of node " + n.name + ": " + s.toString());
        }
      }
      if (!join) {
        auto made = joinCredentials(*client, admin.ca_pem);
        if (!made.isOk()) return failWithLogTail("a join token: " + made.status().toString());
        // The agents read the token from a 0600 file: a command line is public (/proc).
        const std::string token_file = paths.run_dir + "/join-token";
        if (Status s = writeFileInDir(token_file, made->first + "\n", 0600); !s.isOk()) {
          return failWithLogTail("the join token file: " + s.toString());
        }
        join = std::make_pair(token_file, made->second);
      }
      argv = node::joinAgentArgv(exe, n, state, join->first, join->second);
    }
    const std::string what = n.index == 1 ? "agent" : "agent of node " + n.name;
    auto pid = ensureRunning(what, n.agent_pid, identity, argv, n.agent_log);
    if (!pid.isOk()) {
      return failWithLogTail("starting the " + what + ": " + pid.status().toString());
    }
    started.push_back({&n, *pid, was_running ? 0 : now_s});
  }

  // 3. Images, once each node's containerd answers; the nodes in parallel (an import is
  // mostly waiting on the disk).
  std::string images_dir = flags.images_dir.empty() ? paths.images_dir : flags.images_dir;
  std::vector<std::string> stock_images = flags.stock_images;
  if (!stock_images.empty()) stock_images.push_back("pause");  // every pod's sandbox
  struct Failure {
    std::string message;
    std::string log;
  };
  std::vector<std::optional<Failure>> failures(started.size());
  std::mutex build_mu;  // one build of the archives at a time; the imports overlap
  {
    std::vector<std::jthread> loaders;
    for (size_t i = 0; i < started.size(); ++i) {
      loaders.emplace_back([&, i] {
        const node::LocalNode& n = *started[i].node;
        auto rt = cri::CriRuntime::connect(n.containerd.socket);
        for (;;) {
          if (rt->waitReady(milliseconds(100)).isOk()) break;
          if (!node::processAlive(started[i].pid)) {
            failures[i] = {"the agent of node " + n.name + " exited during start-up", n.agent_log};
            return;
          }
          if (SteadyClock::now() >= deadline) {
            failures[i] = {"the containerd of node " + n.name + " did not answer at " +
                               n.containerd.socket + " within " + flags.timeout,
                           n.agent_log};
            return;
          }
        }
        if (Status s = loadStockImages(n.containerd.socket, images_dir, stock_images, n.name,
                                           build_mu);
            !s.isOk()) {
          // The agent stops its containerd when it exits: its log says why.
          bool agent_exited = !node::processAlive(started[i].pid);
          failures[i] = {"loading the stock images into node " + n.name + ": " + s.toString() +
                             (agent_exited ? " (the agent of node " + n.name + " has exited)" : ""),
                         agent_exited ? n.agent_log : n.containerd.log_file};
        }
      });
    }
  }
  for (const auto& f : failures) {
    if (f) return failWithLogTail(f->message, f->log);
  }

  // 4. kubectl.
  const std::string kubeconfig = kubeconfigPath(flags.kubeconfig);
  if (Status s = writeKubeconfig(kubeconfig, server_url, admin); !s.isOk()) {
    return failWithLogTail("writing the kubeconfig: " + s.toString());
  }

  // 5. The Node objects, Ready.
  const api::ResourceInfo* nodes = api::resolveResource("nodes");
  for (const auto& st : started) {
    const node::LocalNode& n = *st.node;
    std::string why = "not registered yet";
    for (;;) {
      auto obj = client->get(*nodes, "", n.name);
      if (obj.isOk() && node::nodeIsReady(*obj, &why, st.ready_not_before)) break;
      if (!obj.isOk() && obj.status().code() != Code::kNotFound) why = obj.status().message();
      if (!node::processAlive(st.pid)) {
        return failWithLogTail("the agent of node " + n.name + " exited", n.agent_log);
      }
      if (SteadyClock::now() >= deadline) {
        return failWithLogTail(
            "node " + n.name + " is not Ready after " + flags.timeout + ": " + why, n.agent_log);
      }
      std::this_thread::sleep_for(milliseconds(50));
    }
  }

  if (layout->nodes.size() == 1) {
    std::printf(
        "minik8s is up in %.1fs: node %s is Ready (server pid %d, agent pid %d, data in %s)\n",
        secondsSince(t0), state.node_name.c_str(), *server_pid, started[0].pid,
        paths.data_dir.c_str());
  } else {
    std::string names;
    for (const auto& n : layout->nodes) names += (names.empty() ? "" : ", ") + n.name;
    std::printf("minik8s is up in %.1fs: %zu nodes are Ready (%s; server pid %d, data in %s)\n",
                secondsSince(t0), layout->nodes.size(), names.c_str(), *server_pid,
                paths.data_dir.c_str());
  }
  std::printf(
      "kubectl uses context \"minik8s\" (%s) from %s:\n"
      "  kubectl get nodes\n"
      "  kubectl run hello --image=busybox -- sleep 3600\n"
      "  kubectl get pods -o wide\n"
      "Logs: %s  Stop with: minik8s down%s\n",
      server_url.c_str(), kubeconfig.c_str(), paths.logs_dir.c_str(),
      paths.data_dir == node::kDefaultLocalDataDir ? ""
                                                   : (" --data-dir " + paths.data_dir).c_str());
  return 0;
}

// Stops one component by its pid file; returns whether it was running.
bool stopComponent(const std::string& what, const std::string& pid_file,
                   const std::vector<std::string>& identity, milliseconds grace) {
  auto pid = node::livePidFromFile(pid_file, identity);
  std::error_code ec;
  if (!pid) {
    fs::remove(pid_file, ec);
    return false;
  }
  auto t0 = SteadyClock::now();
  bool gone = node::terminateProcess(*pid, grace);
  std::printf("minik8s: %s (pid %d) %s in %.1fs\n", what.c_str(), *pid,
              gone ? "stopped" : "did not stop", secondsSince(t0));
  fs::remove(pid_file, ec);
  return true;
}

// A node's pods, shims, mounts, cgroups and CNI bridge: every sandbox is removed through a
// containerd of the node's own (the agent's if it still runs, else a short-lived one in
// the node's namespace), then what they left on the host is undone. Returns whether there
// was anything.
bool cleanupNodeRuntime(const node::LocalNode& n) {
  const node::ContainerdPaths& cd = n.containerd;
  if (!fs::exists(cd.config_file)) return false;
  bool did_something = false;
  const std::string netns_path = n.netns.empty() ? "" : node::netnsPath(n.netns);
  const bool netns_there = n.netns.empty() || node::netnsExists(n.netns);
  bool running = node::runningContainerd(cd).has_value();
  bool shims = !node::findShimPids(cd.socket).empty();
  if (running || shims) {
    did_something = true;
    node::ContainerdProcessOptions options;
    options.base_dir = cd.base_dir;
    options.restart_on_exit = false;
    options.netns_path = netns_path;
    auto proc = netns_there ? node::ContainerdProcess::start(options)
                            : Result<std::unique_ptr<node::ContainerdProcess>>(
                                  unavailable("its network namespace is gone"));
    if (proc.isOk()) {
      auto rt = cri::CriRuntime::connect(cd.socket);
      auto removed = node::removeAllPodSandboxes(*rt);
      if (removed.isOk()) {
        std::printf("minik8s: removed %d pod sandbox(es) of node %s\n", *removed, n.name.c_str());
      } else {
        std::cerr << "minik8s: removing pod sandboxes of node " << n.name << ": "
                  << removed.status().toString() << "\n";
      }
      (*proc)->stop();
    } else {
      std::cerr << "minik8s: cannot start the containerd of node " << n.name
                << " to remove its pods: " << proc.status().toString() << "\n";
      node::stopRunningContainerd(cd, milliseconds(10000));
    }
  }
  node::NodeCleanupOptions co;
  co.cgroup_parent = "/" + n.cgroup_root;
  co.bridge = netns_there ? n.cni_bridge : "";  // else it went with its namespace
  co.netns_path = netns_path;
  co.remove_base_dir = false;  // keep the images for the next `up`
  co.unused_hostport_chains = n.netns.empty();  // a namespace's rules go with it
  node::NodeCleanupReport report = node::cleanupContainerdNode(cd, co);
  did_something |= report.shims_killed > 0 || report.unmounted > 0 || report.bridge_deleted ||
                   report.iptables_rules_removed > 0;
  for (const auto& p : report.problems) std::cerr << "minik8s: could not undo: " << p << "\n";
  return did_something;
}

int runDown(const std::string& data_dir) {
  auto t0 = SteadyClock::now();
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  log::setLevel("warn");
  if (::geteuid() != 0) return failWithLogTail("minik8s down must run as root");
  const node::LocalClusterPaths paths = node::localClusterPaths(data_dir);
  node::LocalClusterState state;
  if (fs::exists(paths.state_file)) {
    auto j = nlohmann::json::parse(readFile(paths.state_file), nullptr, false);
    if (auto s = node::stateFromJson(j); s.isOk()) state = *s;
  }
  auto layout = node::multiNodeLayout(paths, state);
  if (!layout.isOk()) {  // a state file edited by hand: at least node 1
    node::LocalClusterState one = state;
    one.nodes = 1;
    layout = node::multiNodeLayout(paths, one);
  }
  bool did_something = false;
  // The agents first, the extra nodes' then node 1's (on SIGTERM an agent stops its
  // containerd; pods keep running), then the server (and its etcd). Nothing is deleted
  // from etcd.
  for (auto n = layout->nodes.rbegin(); n != layout->nodes.rend(); ++n) {
    did_something |= stopComponent(n->index == 1 ? "agent" : "agent of node " + n->name,
                                   n->agent_pid, node::agentIdentity(*n), milliseconds(30000));
  }
  did_something |=
      stopComponent("server", paths.server_pid, node::serverIdentity(paths), milliseconds(20000));

  // The agent's service proxy left its rules in place (so that traffic survives a
  // restart); down removes them, with their UDP conntrack entries. (The extra nodes'
  // rules live in their namespaces and go with them.)
  proxy::ExecIptables iptables;
  if (Status s = proxy::cleanupIptables(iptables); !s.isOk()) {
    std::cerr << "minik8s: removing the service rules: " << s.toString() << "\n";
  }
  // Node 1's pod network (agent --network-backend vxlan|host-gw): its VXLAN device
  // minik8s.1, routes (proto 181) and MINIK8S-POD-MASQ chain stay when the agent stops, so
  // that pods keep talking across a restart; down removes them from the host's namespace.
  // (The extra nodes' go with their namespaces.) Ok when there is none.
  if (Status s = network::teardownPodNetwork(iptables); !s.isOk()) {
    std::cerr << "minik8s: removing the pod network: " << s.toString() << "\n";
  }

  // The agent's block of Dns hostnames in /etc/hosts.
  if (Status s = dns::removeHostsBlock("/etc/hosts"); !s.isOk()) {
    std::cerr << "minik8s: removing the hosts block: " << s.toString() << "\n";
  }

  // The pods of every node. Every node keeps its containerd's images for the next `up`
  // (an import takes tens of seconds); an extra node's other state goes (it joins afresh).
  for (const auto& n : layout->nodes) did_something |= cleanupNodeRuntime(n);
  // Anything else mounted under the data dir (pod volumes).
  for (const auto& m : node::mountsUnder(paths.data_dir)) {
    if (::umount2(m.c_str(), MNT_DETACH) == 0) did_something = true;
  }
  // The underlay: the nodes' namespaces (their links, routes and rules go with them), the
  // veths, the bridge, the nodes' state but their images.
  for (const auto& n : layout->nodes) {
    if (n.netns.empty()) continue;
    if (node::netnsExists(n.netns) || fs::exists("/sys/class/net/" + n.host_veth)) {
      did_something = true;
    }
    if (Status s = node::deleteNodeNamespace(n.netns, n.host_veth); !s.isOk()) {
      std::cerr << "minik8s: removing the namespace of node " << n.name << ": " << s.toString()
                << "\n";
    }
    std::error_code ec;
    std::vector<fs::path> state_files;
    for (const auto& entry : fs::directory_iterator(n.data_dir, ec)) {
      if (entry.path() != n.containerd.base_dir) state_files.push_back(entry.path());
    }
    for (const auto& path : state_files) {
      fs::remove_all(path, ec);
      if (ec) std::cerr << "minik8s: removing " << path << ": " << ec.message() << "\n";
    }
  }
  if (!layout->bridge.empty()) {
    if (fs::exists("/sys/class/net/" + layout->bridge)) did_something = true;
    if (Status s = node::deleteHostLink(layout->bridge); !s.isOk()) {
      std::cerr << "minik8s: removing the bridge " << layout->bridge << ": " << s.toString()
                << "\n";
    }
  }
  if (!did_something) {
    std::printf("minik8s: nothing is running under %s\n", paths.data_dir.c_str());
    return 0;
  }
  std::printf("minik8s is down in %.1fs (the cluster's objects are kept in %s)\n", secondsSince(t0),
              paths.server_dir.c_str());
  return 0;
}

}  // namespace

void addUpDownCommands(CLI::App& app) {
  auto flags = std::make_shared<UpFlags>();
  CLI::App* up = app.add_subcommand(
      "up", "start a whole local cluster (server + agent with its containerd) in the background");
  up->add_option("--data-dir", flags->data_dir, "all state, logs and pid files")
      ->capture_default_str();
  auto* port = up->add_option("--port", flags->port, "apiserver port on 127.0.0.1")
                   ->check(CLI::Range(1, 65535))
                   ->capture_default_str();
  up->add_option("--node-name", flags->node_name, "the node's name (default: host name)");
  up->add_option("--kubeconfig", flags->kubeconfig,
                 "kubeconfig to write the \"minik8s\" context into (default: $KUBECONFIG or "
                 "~/.kube/config)");
  up->add_option("--images-dir", flags->images_dir,
                 "where the stock image archives are built (default: DATA_DIR/images)");
  std::vector<std::string> stock_stems;
  for (const auto& s : image::stockImages()) {
    stock_stems.push_back(fs::path(s.file).stem().string());
  }
  up->add_option("--stock-images", flags->stock_images,
                 "load only these stock images into the nodes (pause always; default: all)")
      ->delimiter(',')
      ->check(CLI::IsMember(stock_stems));
  up->add_option("--timeout", flags->timeout, "give up after this long (e.g. 60s, 2m)")
      ->capture_default_str();
  up->add_option("--tls", flags->tls,
                 "serve the API over HTTPS with the cluster CA and authenticate every request "
                 "(false: plain HTTP on loopback, no authentication)")
      ->capture_default_str();
  up->add_option("--cgroup-root", flags->cgroup_root, "the agent's pod cgroup root")
      ->capture_default_str();
  up->add_option("--cni-bridge", flags->cni_bridge, "the node's CNI bridge")->capture_default_str();
  up->add_option("--agent-arg", flags->agent_args,
                 "an extra flag for the agent, e.g. --agent-arg=--kubelet-port=0 (repeatable)");
  up->add_option("--server-arg", flags->server_args,
                 "an extra flag for the server, e.g. --server-arg=--controllers=-deployment "
                 "(repeatable)");
  auto* nodes = up->add_option("--nodes", flags->nodes,
                               "how many nodes: node 1 on this host, each other in a network "
                               "namespace of its own on the bridge --node-bridge, joined with "
                               "a bootstrap token (like kind)")
                    ->check(CLI::Range(1, 250))
                    ->capture_default_str();
  up->add_option("--node-bridge", flags->node_bridge, "the nodes' bridge (with --nodes > 1)")
      ->capture_default_str();
  up->add_option("--node-subnet", flags->node_subnet,
                 "the nodes' addresses (with --nodes > 1): the bridge has the first, node k "
                 "the k-th; the API server listens on the bridge's")
      ->capture_default_str();
  up->add_option("--node-config", flags->node_configs,
                 "a node from a manifest in the original's node.yaml format (metadata.name, "
                 "labels, spec.ip: a free address of --node-subnet), in a namespace of its own "
                 "like nodes 2..N; also on a running cluster, which then gains it (repeatable)");
  up->callback([flags, port, nodes] {
    flags->port_given = port->count() > 0;
    flags->nodes_given = nodes->count() > 0;
    std::exit(runUp(*flags));
  });

  auto down_dir = std::make_shared<std::string>(node::kDefaultLocalDataDir);
  CLI::App* down = app.add_subcommand(
      "down", "stop the local cluster and remove its pods from the host (objects stay in etcd)");
  down->add_option("--data-dir", *down_dir, "the data dir `up` used")->capture_default_str();
  down->callback([down_dir] { std::exit(runDown(*down_dir)); });
}

}  // namespace minik8s::cmd
