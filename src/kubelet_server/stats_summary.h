// The kubelet's /stats/summary document (Kubernetes stats/v1alpha1 Summary, the parts
// metrics consumers read) built from two samples of cumulative counters (pure), and the
// readers of the node's own counters in /proc.
//
// CPU rates are computed here from `usage_core_nano_seconds` deltas between samples:
// containerd's own usage_nano_cores depends on whichever stats call came before it
// (runtime-recipe §5) and is not used.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace minik8s::kubelet {

struct NodeSample {
  int64_t time_ns = 0;
  std::optional<uint64_t> cpu_usage_core_nano_seconds;  // all CPUs, busy time
  std::optional<uint64_t> memory_total_bytes;
  std::optional<uint64_t> memory_available_bytes;
  std::optional<uint64_t> memory_free_bytes;
};

struct ContainerSample {
  std::string id;  // CRI container id (the key between samples)
  std::string name;
  int64_t start_time_ns = 0;
  int64_t time_ns = 0;  // of the CPU counter
  std::optional<uint64_t> cpu_usage_core_nano_seconds;
  std::optional<uint64_t> memory_working_set_bytes;
  std::optional<uint64_t> memory_usage_bytes;
  std::optional<uint64_t> memory_rss_bytes;
  std::optional<uint64_t> memory_available_bytes;
};

struct PodSample {
  std::string name;
  std::string namespace_;
  std::string uid;
  int64_t start_time_ns = 0;
  std::vector<ContainerSample> containers;  // running ones
};

struct StatsSample {
  NodeSample node;
  std::vector<PodSample> pods;
};

// Nanocores between two readings of a cumulative nanosecond counter; nullopt when there
// is no usable earlier reading (none, time did not advance, the counter went back: a
// restarted container).
std::optional<uint64_t> cpuRateNanoCores(std::optional<uint64_t> previous_usage,
                                         int64_t previous_time_ns, std::optional<uint64_t> usage,
                                         int64_t time_ns);

// The Summary: {"node":{nodeName,startTime,cpu:{time,usageNanoCores,usageCoreNanoSeconds},
// memory:{time,availableBytes,usageBytes,workingSetBytes}}, "pods":[{podRef:{name,namespace,
// uid},startTime,containers:[{name,startTime,cpu,memory}],cpu,memory}]}. usageNanoCores is
// absent where `previous` has no reading of the same counter (node, or container id).
// Pod cpu/memory are the sums over its containers.
nlohmann::json buildStatsSummary(const std::string& node_name, int64_t node_start_ns,
                                 const StatsSample& current, const StatsSample* previous);

// /proc/stat: the first "cpu" line's busy time (user+nice+system+irq+softirq+steal) in
// nanoseconds, with `ticks_per_second` USER_HZ.
std::optional<uint64_t> parseProcStatCpu(std::string_view proc_stat, long ticks_per_second);
// /proc/meminfo: MemTotal, MemAvailable, MemFree into `node` (bytes).
void parseProcMeminfo(std::string_view meminfo, NodeSample* node);
// The node's counters now, from /proc.
NodeSample readNodeSample(int64_t now_ns);
// Boot time (Unix ns) from /proc/stat "btime"; 0 when unknown.
int64_t readBootTimeNs();

// "2024-05-01T10:00:00Z" (seconds, UTC), as metav1.Time.
std::string formatMetaTime(int64_t time_ns);

}  // namespace minik8s::kubelet
