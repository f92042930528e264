#include "kubelet_server/stats_summary.h"

#include <unistd.h>

#include <map>
#include <sstream>

#include "common/files.h"
#include "kubelet_server/cri_log.h"

namespace minik8s::kubelet {

using nlohmann::json;

namespace {

// The file's content; "" when it cannot be read (the stats are then left out).
std::string readProcFile(const char* path) {
  auto text = readFile(path);
  return text.isOk() ? std::move(text).value() : "";
}

json cpuJson(int64_t time_ns, std::optional<uint64_t> usage, std::optional<uint64_t> rate) {
  json cpu = {{"time", formatMetaTime(time_ns)}};
  if (rate) cpu["usageNanoCores"] = *rate;
  if (usage) cpu["usageCoreNanoSeconds"] = *usage;
  return cpu;
}

json containerMemoryJson(const ContainerSample& c) {
  json m = {{"time", formatMetaTime(c.time_ns)}};
  if (c.memory_available_bytes) m["availableBytes"] = *c.memory_available_bytes;
  if (c.memory_usage_bytes) m["usageBytes"] = *c.memory_usage_bytes;
  if (c.memory_working_set_bytes) m["workingSetBytes"] = *c.memory_working_set_bytes;
  if (c.memory_rss_bytes) m["rssBytes"] = *c.memory_rss_bytes;
  return m;
}

}  // namespace

std::string formatMetaTime(int64_t time_ns) {
  int64_t secs = time_ns / kNanosPerSecond;
  if (time_ns % kNanosPerSecond < 0) --secs;
  std::string t = formatLogTimestamp(secs * kNanosPerSecond);  // "...:05.000000000Z"
  return t.substr(0, t.find('.')) + "Z";
}

std::optional<uint64_t> cpuRateNanoCores(std::optional<uint64_t> previous_usage,
                                         int64_t previous_time_ns, std::optional<uint64_t> usage,
                                         int64_t time_ns) {
  if (!previous_usage || !usage) return std::nullopt;
  if (time_ns <= previous_time_ns || *usage < *previous_usage) return std::nullopt;
  long double delta = static_cast<long double>(*usage - *previous_usage);
  long double window = static_cast<long double>(time_ns - previous_time_ns);
  return static_cast<uint64_t>(delta * kNanosPerSecond / window + 0.5L);
}

json buildStatsSummary(const std::string& node_name, int64_t node_start_ns,
                       const StatsSample& current, const StatsSample* previous) {
  const NodeSample& n = current.node;
  json node = {{"nodeName", node_name}, {"startTime", formatMetaTime(node_start_ns)}};
  std::optional<uint64_t> node_rate;
  if (previous) {
    node_rate = cpuRateNanoCores(previous->node.cpu_usage_core_nano_seconds, previous->node.time_ns,
                                 n.cpu_usage_core_nano_seconds, n.time_ns);
  }
  node["cpu"] = cpuJson(n.time_ns, n.cpu_usage_core_nano_seconds, node_rate);
  json memory = {{"time", formatMetaTime(n.time_ns)}};
  if (n.memory_available_bytes) memory["availableBytes"] = *n.memory_available_bytes;
  if (n.memory_total_bytes && n.memory_free_bytes &&
      *n.memory_total_bytes >= *n.memory_free_bytes) {
    memory["usageBytes"] = *n.memory_total_bytes - *n.memory_free_bytes;
  }
  if (n.memory_total_bytes && n.memory_available_bytes &&
      *n.memory_total_bytes >= *n.memory_available_bytes) {
    memory["workingSetBytes"] = *n.memory_total_bytes - *n.memory_available_bytes;
  }
  node["memory"] = std::move(memory);

  std::map<std::string, const ContainerSample*> before;
  if (previous) {
    for (const auto& p : previous->pods) {
      for (const auto& c : p.containers) before[c.id] = &c;
    }
  }
  json pods = json::array();
  for (const auto& p : current.pods) {
    json containers = json::array();
    uint64_t pod_rate = 0, pod_usage = 0, pod_ws = 0, pod_mem_usage = 0;
    bool have_rate = false, have_usage = false, have_ws = false, have_mem_usage = false;
    int64_t pod_time = n.time_ns;
    for (const auto& c : p.containers) {
      std::optional<uint64_t> rate;
      if (auto it = before.find(c.id); it != before.end()) {
        rate = cpuRateNanoCores(it->second->cpu_usage_core_nano_seconds, it->second->time_ns,
                                c.cpu_usage_core_nano_seconds, c.time_ns);
      }
      if (rate) {
        pod_rate += *rate;
        have_rate = true;
      }
      if (c.cpu_usage_core_nano_seconds) {
        pod_usage += *c.cpu_usage_core_nano_seconds;
        have_usage = true;
      }
      if (c.memory_working_set_bytes) {
        pod_ws += *c.memory_working_set_bytes;
        have_ws = true;
      }
      if (c.memory_usage_bytes) {
        pod_mem_usage += *c.memory_usage_bytes;
        have_mem_usage = true;
      }
      if (c.time_ns > 0) pod_time = c.time_ns;
      containers.push_back({{"name", c.name},
                            {"startTime", formatMetaTime(c.start_time_ns)},
                            {"cpu", cpuJson(c.time_ns, c.cpu_usage_core_nano_seconds, rate)},
                            {"memory", containerMemoryJson(c)}});
    }
    json pod = {{"podRef", {{"name", p.name}, {"namespace", p.namespace_}, {"uid", p.uid}}},
                {"startTime", formatMetaTime(p.start_time_ns)},
                {"containers", std::move(containers)}};
    pod["cpu"] = cpuJson(pod_time, have_usage ? std::optional<uint64_t>(pod_usage) : std::nullopt,
                         have_rate ? std::optional<uint64_t>(pod_rate) : std::nullopt);
    json pod_memory = {{"time", formatMetaTime(pod_time)}};
    if (have_ws) pod_memory["workingSetBytes"] = pod_ws;
    if (have_mem_usage) pod_memory["usageBytes"] = pod_mem_usage;
    pod["memory"] = std::move(pod_memory);
    pods.push_back(std::move(pod));
  }
  return {{"node", std::move(node)}, {"pods", std::move(pods)}};
}

std::optional<uint64_t> parseProcStatCpu(std::string_view proc_stat, long ticks_per_second) {
  if (ticks_per_second <= 0) return std::nullopt;
  std::istringstream in{std::string(proc_stat.substr(0, proc_stat.find('\n')))};
  std::string label;
  in >> label;
  if (label != "cpu") return std::nullopt;
  uint64_t v[8] = {0, 0, 0, 0, 0, 0, 0, 0};  // user nice system idle iowait irq softirq steal
  int read = 0;
  for (auto& x : v) {
    if (!(in >> x)) break;
    ++read;
  }
  if (read < 4) return std::nullopt;
  uint64_t busy_ticks = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
  return busy_ticks *
         (static_cast<uint64_t>(kNanosPerSecond) / static_cast<uint64_t>(ticks_per_second));
}

void parseProcMeminfo(std::string_view meminfo, NodeSample* node) {
  std::istringstream in{std::string(meminfo)};
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string key, unit;
    uint64_t value = 0;
    if (!(fields >> key >> value)) continue;
    fields >> unit;
    uint64_t bytes = unit == "kB" ? value * 1024 : value;
    if (key == "MemTotal:") node->memory_total_bytes = bytes;
    if (key == "MemAvailable:") node->memory_available_bytes = bytes;
    if (key == "MemFree:") node->memory_free_bytes = bytes;
  }
}

NodeSample readNodeSample(int64_t now_ns) {
  NodeSample n;
  n.time_ns = now_ns;
  n.cpu_usage_core_nano_seconds =
      parseProcStatCpu(readProcFile("/proc/stat"), ::sysconf(_SC_CLK_TCK));
  parseProcMeminfo(readProcFile("/proc/meminfo"), &n);
  return n;
}

int64_t readBootTimeNs() {
  std::istringstream in(readProcFile("/proc/stat"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("btime ", 0) == 0) {
      try {
        return std::stoll(line.substr(6)) * kNanosPerSecond;
      } catch (...) {
        return 0;
      }
    }
  }
  return 0;
}

}  // namespace minik8s::kubelet
