#include "node/local_cluster.h"

#include <charconv>
#include <cmath>

#include "api/yaml.h"

namespace minik8s::node {

namespace {

using nlohmann::json;

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
  p.containerd = containerdPaths(p.node_dir + "/containerd");
  return p;
}

nlohmann::json stateToJson(const LocalClusterState& s) {
  return json{{"port", s.port},
              {"nodeName", s.node_name},
              {"cgroupRoot", s.cgroup_root},
              {"bridge", s.bridge},
              {"agentArgs", s.agent_args}};
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
  } catch (const json::exception& e) {
    return invalid(std::string("cluster state: ") + e.what());
  }
  if (s.port <= 0 || s.port > 65535) return invalid("cluster state: bad port");
  return s;
}

std::vector<std::string> serverArgv(const std::string& binary, const LocalClusterPaths& paths,
                                    const LocalClusterState& state) {
  return {binary, "server", "--port", std::to_string(state.port), "--data-dir", paths.server_dir};
}

std::vector<std::string> agentArgv(const std::string& binary, const LocalClusterPaths& paths,
                                   const LocalClusterState& state) {
  std::vector<std::string> argv = {
      binary,        "agent",         "--server",   localServerUrl(state.port),
      "--node-name", state.node_name, "--data-dir", paths.node_dir};
  if (state.cgroup_root != LocalClusterState{}.cgroup_root) {
    argv.push_back("--cgroup-root");
    argv.push_back(state.cgroup_root);
  }
  if (state.bridge != LocalClusterState{}.bridge) {
    argv.push_back("--cni-bridge");
    argv.push_back(state.bridge);
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

std::string localServerUrl(int port) {
  return "http://127.0.0.1:" + std::to_string(port);
}

Result<std::chrono::milliseconds> parseDuration(const std::string& text) {
  std::string number = text;
  double scale_ms = 1000;
  auto strip = [&](const std::string& suffix, double scale) {
    if (number.size() > suffix.size() &&
        number.compare(number.size() - suffix.size(), suffix.size(), suffix) == 0) {
      number.resize(number.size() - suffix.size());
      scale_ms = scale;
      return true;
    }
    return false;
  };
  strip("ms", 1) || strip("s", 1000) || strip("m", 60000) || strip("h", 3600000);
  double value = 0;
  auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (number.empty() || ec != std::errc() || end != number.data() + number.size() ||
      !std::isfinite(value) || value < 0) {
    return invalid("bad duration \"" + text + "\" (want e.g. 60s, 500ms, 2m)");
  }
  return std::chrono::milliseconds(static_cast<int64_t>(std::llround(value * scale_ms)));
}

Result<std::string> mergeKubeconfig(const std::string& existing, const std::string& server_url) {
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
  const std::string name = kLocalClusterName;
  upsertNamed(config, "clusters", name, "cluster", json{{"server", server_url}});
  upsertNamed(config, "contexts", name, "context", json{{"cluster", name}, {"user", name}});
  upsertNamed(config, "users", name, "user", json::object());
  config["current-context"] = name;
  return api::toYaml(config);
}

bool nodeIsReady(const nlohmann::json& node, std::string* why) {
  if (why) *why = "no Ready condition yet";
  if (!node.is_object() || !node.contains("status") || !node["status"].is_object()) return false;
  const json& status = node["status"];
  if (!status.contains("conditions") || !status["conditions"].is_array()) return false;
  for (const auto& c : status["conditions"]) {
    if (!c.is_object() || c.value("type", "") != "Ready") continue;
    if (c.value("status", "") == "True") return true;
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
