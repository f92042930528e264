#include "node/local_cluster.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "api/defaults.h"
#include "api/validation.h"
#include "api/yaml.h"
#include "common/ipv4.h"

namespace minik8s::node {

namespace {

using nlohmann::json;

// Whether `args` names `flag` ("--f" or "--f=...").
bool flagGiven(const std::vector<std::string>& args, const std::string& flag) {
  for (const auto& a : args) {
    if (a == flag || a.rfind(flag + "=", 0) == 0) return true;
  }
  return false;
}

// With more than one node, the pod network across nodes (the agent's VXLAN controller)
// and the cluster CIDR it masquerades traffic leaving; unless the extra flags name them.
void addPodNetworkFlags(std::vector<std::string>& argv, const LocalClusterState& state) {
  if (state.nodeCount() <= 1) return;
  if (!flagGiven(state.agent_args, "--network-backend")) {
    argv.insert(argv.end(), {"--network-backend", "vxlan"});
  }
  if (flagGiven(state.agent_args, "--proxy-cluster-cidr")) return;
  const auto& server = state.server_args;
  for (size_t i = 0; i < server.size(); ++i) {
    if (server[i] == "--cluster-cidr" && i + 1 < server.size()) {
      argv.insert(argv.end(), {"--proxy-cluster-cidr", server[i + 1]});
    } else if (server[i].rfind("--cluster-cidr=", 0) == 0) {
      argv.insert(argv.end(), {"--proxy-cluster-cidr", server[i].substr(15)});
    }
  }
}

// A stable short name from `text` (FNV-1a, 32 bits, hex).
std::string shortHash(const std::string& text) {
  uint32_t h = 2166136261u;
  for (unsigned char c : text) {
    h ^= c;
    h *= 16777619u;
  }
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", h);
  return buf;
}

// Replaces the entry named `name` of the list `key` (creating both when missing).
void upsertNamed(json& config, const std::string& key, const std::string& name,
                 const std::string& field, const json& value) {
  if (!config.contains(key) || !config[key].is_array()) config[key] = json::array();
  json entry = {{"name", name}, {field, value}};
  for (auto& e : config[key]) {
    if (e.is_object() && e.value("name", "") == name) {
      e = entry;
      return;
    }
  }
  config[key].push_back(entry);
}

}  // namespace

LocalClusterPaths localClusterPaths(const std::string& data_dir) {
  std::string d = data_dir;
  while (d.size() > 1 && d.back() == '/') d.pop_back();
  LocalClusterPaths p;
  p.data_dir = d;
  p.server_dir = d + "/server";
  p.node_dir = d + "/node";
  p.images_dir = d + "/images";
  p.logs_dir = d + "/logs";
  p.run_dir = d + "/run";
  p.server_log = p.logs_dir + "/server.log";
  p.agent_log = p.logs_dir + "/agent.log";
  p.server_pid = p.run_dir + "/server.pid";
  p.agent_pid = p.run_dir + "/agent.pid";
  p.state_file = p.run_dir + "/cluster.json";
  p.pki_dir = p.server_dir + "/pki";
  p.agent_kubeconfig = p.node_dir + "/kubeconfig";
  p.kubelet_cert = p.node_dir + "/kubelet.crt";
  p.kubelet_key = p.node_dir + "/kubelet.key";
  p.containerd = containerdPaths(p.node_dir + "/containerd");
  return p;
}

nlohmann::json stateToJson(const LocalClusterState& s) {
  json configs = json::array();
  for (const auto& c : s.node_configs) configs.push_back(nodeConfigToJson(c));
  return json{{"port", s.port},
              {"nodeName", s.node_name},
              {"cgroupRoot", s.cgroup_root},
              {"bridge", s.bridge},
              {"agentArgs", s.agent_args},
              {"serverArgs", s.server_args},
              {"tls", s.tls},
              {"nodes", s.nodes},
              {"underlayBridge", s.underlay_bridge},
              {"underlaySubnet", s.underlay_subnet},
              {"nodeConfigs", configs}};
}

Result<LocalClusterState> stateFromJson(const nlohmann::json& j) {
  if (!j.is_object()) return invalid("cluster state: not a JSON object");
  LocalClusterState s;
  try {
    s.port = j.value("port", s.port);
    s.node_name = j.value("nodeName", s.node_name);
    s.cgroup_root = j.value("cgroupRoot", s.cgroup_root);
    s.bridge = j.value("bridge", s.bridge);
    s.agent_args = j.value("agentArgs", s.agent_args);
    s.server_args = j.value("serverArgs", s.server_args);
    s.tls = j.value("tls", false);
    s.nodes = j.value("nodes", 1);
    s.underlay_bridge = j.value("underlayBridge", s.underlay_bridge);
    s.underlay_subnet = j.value("underlaySubnet", s.underlay_subnet);
    for (const auto& c : j.value("nodeConfigs", json::array())) {
      ASSIGN_OR_RETURN(auto config, nodeConfigFromJson(c));
      s.node_configs.push_back(std::move(config));
    }
  } catch (const json::exception& e) {
    return invalid(std::string("cluster state: ") + e.what());
  }
  if (s.port <= 0 || s.port > 65535) return invalid("cluster state: bad port");
  if (s.nodes < 1) return invalid("cluster state: bad node count");
  return s;
}

std::vector<std::string> serverArgv(const std::string& binary, const LocalClusterPaths& paths,
                                    const LocalClusterState& state) {
  std::vector<std::string> argv = {
      binary, "server", "--port", std::to_string(state.port), "--data-dir", paths.server_dir};
  if (state.tls) argv.push_back("--tls");
  if (state.nodeCount() > 1) argv.insert(argv.end(), {"--bind-address", apiHost(state)});
  argv.insert(argv.end(), state.server_args.begin(), state.server_args.end());
  return argv;
}

std::vector<std::string> agentArgv(const std::string& binary, const LocalClusterPaths& paths,
                                   const LocalClusterState& state) {
  std::vector<std::string> argv = {binary, "agent"};
  if (state.tls) {
    argv.insert(argv.end(), {"--kubeconfig", paths.agent_kubeconfig});
  } else {
    argv.insert(argv.end(), {"--server", clusterServerUrl(state)});
  }
  argv.insert(argv.end(), {"--node-name", state.node_name, "--data-dir", paths.node_dir});
  if (state.nodeCount() > 1 && !flagGiven(state.agent_args, "--node-ip")) {
    argv.insert(argv.end(), {"--node-ip", apiHost(state)});
  }
  if (state.cgroup_root != LocalClusterState{}.cgroup_root) {
    argv.push_back("--cgroup-root");
    argv.push_back(state.cgroup_root);
  }
  if (state.bridge != LocalClusterState{}.bridge) {
    argv.push_back("--cni-bridge");
    argv.push_back(state.bridge);
  }
  // The cluster DNS, on the node, behind kube-system/kube-dns at Kubernetes' usual
  // address; unless the extra flags say otherwise.
  auto given = [&](const std::string& flag) { return flagGiven(state.agent_args, flag); };
  if (!given("--run-dns")) argv.push_back("--run-dns=true");
  if (!given("--cluster-dns")) argv.push_back(std::string("--cluster-dns=") + kClusterDnsAddress);
  // Dns hostnames resolve on the node through /etc/hosts (`down` removes the block).
  if (!given("--manage-hosts")) argv.push_back("--manage-hosts=/etc/hosts");
  addPodNetworkFlags(argv, state);
  if (state.tls) {
    argv.insert(argv.end(), {"--tls-cert-file", paths.kubelet_cert, "--tls-private-key-file",
                             paths.kubelet_key, "--client-ca-file", paths.pki_dir + "/ca.crt"});
  }
  argv.insert(argv.end(), state.agent_args.begin(), state.agent_args.end());
  return argv;
}

std::vector<std::string> serverIdentity(const LocalClusterPaths& paths) {
  return {"--data-dir", paths.server_dir};
}

std::vector<std::string> agentIdentity(const LocalClusterPaths& paths) {
  return {"--data-dir", paths.node_dir};
}

std::string localServerUrl(int port, bool tls) {
  return (tls ? "https://127.0.0.1:" : "http://127.0.0.1:") + std::to_string(port);
}

std::string apiHost(const LocalClusterState& state) {
  if (state.nodeCount() <= 1) return "127.0.0.1";
  auto subnet = minik8s::parseIpv4Cidr(state.underlay_subnet);
  return subnet.isOk() ? subnet->gateway() : "127.0.0.1";
}

std::string clusterServerUrl(const LocalClusterState& state) {
  return (state.tls ? "https://" : "http://") + apiHost(state) + ":" + std::to_string(state.port);
}

Result<MultiNodeLayout> multiNodeLayout(const LocalClusterPaths& paths,
                                        const LocalClusterState& state) {
  if (state.nodes < 1) {
    return invalid("--nodes: want at least 1, not " + std::to_string(state.nodes));
  }
  MultiNodeLayout layout;
  LocalNode first;
  first.name = state.node_name;
  first.cgroup_root = state.cgroup_root;
  first.cni_bridge = state.bridge;
  first.data_dir = paths.node_dir;
  first.agent_log = paths.agent_log;
  first.agent_pid = paths.agent_pid;
  first.containerd = paths.containerd;
  if (state.nodeCount() == 1) {
    layout.nodes.push_back(first);
    return layout;
  }
  if (!state.tls) return invalid("--nodes: more than one node needs --tls");
  if (state.underlay_bridge.empty() || state.underlay_bridge.size() > 15) {
    return invalid("--node-bridge: want 1 to 15 characters, not \"" + state.underlay_bridge + "\"");
  }
  auto subnet = minik8s::parseIpv4Cidr(state.underlay_subnet, 8, 29);
  if (!subnet.isOk()) return invalid("--node-subnet: " + subnet.status().message());
  // .1 is the bridge's, the last the broadcast address.
  if (static_cast<uint64_t>(state.nodes) > subnet->size() - 2) {
    return invalid("--nodes: " + std::to_string(state.nodes) + " nodes do not fit in " +
                   subnet->toString());
  }
  const std::string prefix = "/" + std::to_string(subnet->prefix);
  layout.bridge = state.underlay_bridge;
  layout.gateway = subnet->gateway();
  layout.gateway_cidr = layout.gateway + prefix;
  first.node_ip = layout.gateway;
  first.address_cidr = layout.gateway_cidr;
  layout.nodes.push_back(first);
  std::string bridge_base = state.bridge;
  while (!bridge_base.empty() && std::isdigit(static_cast<unsigned char>(bridge_base.back()))) {
    bridge_base.pop_back();
  }
  auto add = [&](int k, const std::string& name, const std::string& node_ip) {
    LocalNode n;
    const std::string kth = std::to_string(k);
    n.index = k;
    n.name = name;
    n.netns = "minik8s-" + n.name;
    n.host_veth = "mk8s" + shortHash(paths.data_dir + "/" + n.netns);
    n.node_ip = node_ip;
    n.address_cidr = n.node_ip + prefix;
    n.cgroup_root = state.cgroup_root + "-" + kth;
    n.cni_bridge = bridge_base.substr(0, 15 - kth.size()) + kth;
    n.data_dir = paths.data_dir + "/nodes/" + n.name;
    n.agent_log = paths.logs_dir + "/agent-" + n.name + ".log";
    n.agent_pid = paths.run_dir + "/agent-" + n.name + ".pid";
    n.containerd = containerdPaths(n.data_dir + "/containerd");
    layout.nodes.push_back(n);
    return &layout.nodes.back();
  };
  for (int k = 2; k <= state.nodes; ++k) {
    add(k, state.node_name + "-" + std::to_string(k),
        formatIpv4(subnet->network + static_cast<uint32_t>(k)));
  }
  for (size_t i = 0; i < state.node_configs.size(); ++i) {
    const NodeConfigFile& config = state.node_configs[i];
    const std::string what = "node config \"" + config.name + "\": ";
    if (auto errors = api::isDns1123Subdomain(config.name); !errors.empty()) {
      return invalid(what + "metadata.name: " + errors.front());
    }
    for (const auto& n : layout.nodes) {
      if (n.name == config.name) return invalid(what + "a node of that name is already there");
    }
    if (config.ip.empty()) return invalid(what + "spec.ip is required");
    auto ip = minik8s::parseIpv4Cidr(config.ip + "/32");
    if (!ip.isOk()) return invalid(what + "spec.ip " + config.ip + " is not an IPv4 address");
    if (!subnet->contains(*ip)) {
      return invalid(what + "spec.ip " + config.ip + " is not in --node-subnet " +
                     subnet->toString());
    }
    const uint32_t host = ip->network - subnet->network;
    if (host == 0 || host == subnet->size() - 1) {
      return invalid(what + "spec.ip " + config.ip + " is the " +
                     (host == 0 ? "network" : "broadcast") + " address of " + subnet->toString());
    }
    for (const auto& n : layout.nodes) {
      if (n.node_ip == config.ip) {
        return invalid(what + "spec.ip " + config.ip + " is taken by " +
                       (n.index == 1 ? "the bridge and node " : "node ") + n.name);
      }
    }
    LocalNode* n = add(state.nodes + 1 + static_cast<int>(i), config.name, config.ip);
    n->manifest = config;
    n->node_config_file = n->data_dir + "/node.yaml";
  }
  return layout;
}

Result<LocalClusterState> addNodeConfigs(const LocalClusterPaths& paths, LocalClusterState state,
                                         const std::vector<NodeConfigFile>& configs) {
  for (NodeConfigFile config : configs) {
    auto same = std::find_if(state.node_configs.begin(), state.node_configs.end(),
                             [&](const auto& c) { return c.name == config.name; });
    if (same != state.node_configs.end()) {
      if (same->labels == config.labels && (config.ip.empty() || config.ip == same->ip)) continue;
      return invalid("node config \"" + config.name + "\": the cluster has that node with " +
                     "spec.ip " + same->ip + " and other labels or address; `minik8s down` " +
                     "first to change it");
    }
    if (config.ip.empty()) {  // the first address no node has
      ASSIGN_OR_RETURN(auto layout, multiNodeLayout(paths, state));
      auto subnet = minik8s::parseIpv4Cidr(state.underlay_subnet);
      if (!subnet.isOk()) return invalid("--node-subnet: " + subnet.status().message());
      for (uint32_t h = 2; h + 1 < subnet->size() && config.ip.empty(); ++h) {
        std::string candidate = formatIpv4(subnet->network + h);
        if (std::none_of(layout.nodes.begin(), layout.nodes.end(),
                         [&](const auto& n) { return n.node_ip == candidate; })) {
          config.ip = candidate;
        }
      }
      if (config.ip.empty()) {
        return invalid("node config \"" + config.name + "\": no free address is left in " +
                       subnet->toString());
      }
    }
    state.node_configs.push_back(std::move(config));
    RETURN_IF_ERROR(multiNodeLayout(paths, state).status());
  }
  return state;
}

std::vector<std::string> joinAgentArgv(const std::string& binary, const LocalNode& node,
                                       const LocalClusterState& state,
                                       const std::string& token_file,
                                       const std::string& ca_cert_hash,
                                       const std::string& nsenter) {
  std::vector<std::string> argv;
  if (!node.netns.empty()) argv = {nsenter, "--net=/run/netns/" + node.netns, "--"};
  argv.insert(argv.end(), {binary, "agent", "--server", clusterServerUrl(state), "--token-file", token_file,
                           "--discovery-token-ca-cert-hash", ca_cert_hash, "--node-name",
                           node.name});
  const auto& extra = state.agent_args;
  if (!flagGiven(extra, "--node-ip")) argv.insert(argv.end(), {"--node-ip", node.node_ip});
  argv.insert(argv.end(), {"--data-dir", node.data_dir, "--cgroup-root", node.cgroup_root,
                           "--cni-bridge", node.cni_bridge});
  if (!flagGiven(extra, "--run-dns")) argv.push_back("--run-dns=true");
  if (!flagGiven(extra, "--cluster-dns")) {
    argv.push_back(std::string("--cluster-dns=") + kClusterDnsAddress);
  }
  if (!node.node_config_file.empty()) {
    argv.insert(argv.end(), {"--node-config", node.node_config_file});
  }
  addPodNetworkFlags(argv, state);
  argv.insert(argv.end(), extra.begin(), extra.end());
  return argv;
}

std::vector<std::string> agentIdentity(const LocalNode& node) {
  return {"--data-dir", node.data_dir};
}

Result<std::string> mergeKubeconfig(const std::string& existing, const std::string& server_url,
                                    const KubeconfigCredentials& credentials,
                                    const std::string& name) {
  json config = json::object();
  if (existing.find_first_not_of(" \t\r\n") != std::string::npos) {
    auto parsed = api::parseYaml(existing);
    if (!parsed.isOk()) return invalid("kubeconfig: " + parsed.status().message());
    if (parsed->is_null()) {
      // only comments
    } else if (!parsed->is_object()) {
      return invalid("kubeconfig: not a mapping");
    } else {
      config = std::move(parsed).value();
    }
  }
  for (const char* key : {"clusters", "contexts", "users"}) {
    if (config.contains(key) && !config[key].is_array() && !config[key].is_null()) {
      return invalid(std::string("kubeconfig: ") + key + " is not a list");
    }
  }
  if (!config.contains("apiVersion")) config["apiVersion"] = "v1";
  if (!config.contains("kind")) config["kind"] = "Config";
  json cluster = {{"server", server_url}};
  if (!credentials.ca_pem.empty()) {
    cluster["certificate-authority-data"] = api::base64Encode(credentials.ca_pem);
  }
  json user = json::object();
  if (!credentials.client_cert_pem.empty()) {
    user["client-certificate-data"] = api::base64Encode(credentials.client_cert_pem);
  }
  if (!credentials.client_key_pem.empty()) {
    user["client-key-data"] = api::base64Encode(credentials.client_key_pem);
  }
  upsertNamed(config, "clusters", name, "cluster", cluster);
  upsertNamed(config, "contexts", name, "context", json{{"cluster", name}, {"user", name}});
  upsertNamed(config, "users", name, "user", user);
  config["current-context"] = name;
  return api::toYaml(config);
}

std::optional<int64_t> parseRfc3339Seconds(const std::string& text) {
  int y, mo, d, h, mi, sec;
  int consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec,
                  &consumed) != 6 ||
      consumed != 19) {
    return std::nullopt;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  size_t pos = 19;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) ++pos;
  }
  int64_t offset = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z') && pos + 1 == text.size()) {
    // UTC
  } else if (pos + 6 == text.size() && (text[pos] == '+' || text[pos] == '-') &&
             text[pos + 3] == ':') {
    int oh = 0, om = 0;
    if (std::sscanf(text.c_str() + pos + 1, "%2d:%2d", &oh, &om) != 2) return std::nullopt;
    offset = (text[pos] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
  } else {
    return std::nullopt;
  }
  // Days from the civil date (proleptic Gregorian), as in Howard Hinnant's algorithm.
  y -= mo <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const int64_t days = era * 146097 + doe - 719468;
  return days * 86400 + h * 3600 + mi * 60 + sec - offset;
}

bool nodeIsReady(const nlohmann::json& node, std::string* why, int64_t not_before) {
  if (why) *why = "no Ready condition yet";
  if (!node.is_object() || !node.contains("status") || !node["status"].is_object()) return false;
  const json& status = node["status"];
  if (!status.contains("conditions") || !status["conditions"].is_array()) return false;
  for (const auto& c : status["conditions"]) {
    if (!c.is_object() || c.value("type", "") != "Ready") continue;
    if (c.value("status", "") == "True") {
      if (not_before <= 0) return true;
      std::string beat = c.contains("lastHeartbeatTime") && c["lastHeartbeatTime"].is_string()
                             ? c["lastHeartbeatTime"].get<std::string>()
                             : "";
      auto at = parseRfc3339Seconds(beat);
      if (at && *at >= not_before) return true;
      if (why) *why = "Ready, but from before this start (last heartbeat " + beat + ")";
      return false;
    }
    if (why) {
      *why = "Ready=" + c.value("status", "?");
      std::string reason = c.value("reason", ""), message = c.value("message", "");
      if (!reason.empty()) *why += " (" + reason + (message.empty() ? "" : ": " + message) + ")";
    }
    return false;
  }
  return false;
}

std::string lastLines(const std::string& text, size_t lines) {
  if (lines == 0) return "";
  size_t end = text.size();
  while (end > 0 && text[end - 1] == '\n') --end;
  size_t pos = end;
  size_t seen = 0;
  while (pos > 0) {
    if (text[pos - 1] == '\n' && ++seen == lines) break;
    --pos;
  }
  return text.substr(pos, end - pos);
}

}  // namespace minik8s::node
