#include "kubelet_server/stats_summary.h"

#include <gtest/gtest.h>

namespace minik8s::kubelet {
namespace stats_summary_test {

using nlohmann::json;
constexpr int64_t kSec = 1'000'000'000;
constexpr int64_t kT0 = 1714557600LL * kSec;  // 2024-05-01T10:00:00Z

TEST(CpuRate, NanoCoresFromCounterDeltas) {
  // Half a core over 10 s.
  EXPECT_EQ(cpuRateNanoCores(1'000'000'000ULL, kT0, 6'000'000'000ULL, kT0 + 10 * kSec),
            500'000'000u);
  EXPECT_EQ(cpuRateNanoCores(0ULL, kT0, 2'000'000'000ULL, kT0 + kSec), 2'000'000'000u);
  EXPECT_FALSE(cpuRateNanoCores(std::nullopt, kT0, 5ULL, kT0 + kSec));
  EXPECT_FALSE(cpuRateNanoCores(5ULL, kT0, std::nullopt, kT0 + kSec));
  EXPECT_FALSE(cpuRateNanoCores(5ULL, kT0, 10ULL, kT0)) << "no time passed";
  EXPECT_FALSE(cpuRateNanoCores(10ULL, kT0, 5ULL, kT0 + kSec)) << "counter went back";
}

StatsSample sample(int64_t t, uint64_t node_cpu, uint64_t c1_cpu, uint64_t c2_cpu) {
  StatsSample s;
  s.node.time_ns = t;
  s.node.cpu_usage_core_nano_seconds = node_cpu;
  s.node.memory_total_bytes = 8ULL << 30;
  s.node.memory_available_bytes = 6ULL << 30;
  s.node.memory_free_bytes = 4ULL << 30;
  PodSample p;
  p.name = "web";
  p.namespace_ = "default";
  p.uid = "u1";
  p.start_time_ns = kT0 - 100 * kSec;
  ContainerSample a;
  a.id = "c1";
  a.name = "app";
  a.start_time_ns = kT0 - 90 * kSec;
  a.time_ns = t;
  a.cpu_usage_core_nano_seconds = c1_cpu;
  a.memory_working_set_bytes = 10 << 20;
  a.memory_usage_bytes = 12 << 20;
  ContainerSample b = a;
  b.id = "c2";
  b.name = "side";
  b.cpu_usage_core_nano_seconds = c2_cpu;
  b.memory_working_set_bytes = 2 << 20;
  p.containers = {a, b};
  s.pods = {p};
  return s;
}

TEST(BuildStatsSummary, FirstSampleHasNoRates) {
  auto s = sample(kT0, 100 * kSec, kSec, kSec);
  json j = buildStatsSummary("n1", kT0 - 1000 * kSec, s, nullptr);
  EXPECT_EQ(j["node"]["nodeName"], "n1");
  EXPECT_EQ(j["node"]["startTime"], "2024-05-01T09:43:20Z");
  EXPECT_FALSE(j["node"]["cpu"].contains("usageNanoCores"));
  EXPECT_EQ(j["node"]["cpu"]["usageCoreNanoSeconds"], 100 * kSec);
  EXPECT_EQ(j["node"]["cpu"]["time"], "2024-05-01T10:00:00Z");
  EXPECT_EQ(j["node"]["memory"]["availableBytes"], 6ULL << 30);
  EXPECT_EQ(j["node"]["memory"]["workingSetBytes"], 2ULL << 30);
  EXPECT_EQ(j["node"]["memory"]["usageBytes"], 4ULL << 30);
  ASSERT_EQ(j["pods"].size(), 1u);
  EXPECT_FALSE(j["pods"][0]["containers"][0]["cpu"].contains("usageNanoCores"));
  EXPECT_FALSE(j["pods"][0]["cpu"].contains("usageNanoCores"));
}

TEST(BuildStatsSummary, RatesBetweenSamplesAndPodSums) {
  auto before = sample(kT0, 100 * kSec, kSec, kSec);
  auto now = sample(kT0 + 10 * kSec, 115 * kSec, 6 * kSec, kSec + kSec / 10);
  json j = buildStatsSummary("n1", kT0, now, &before);
  EXPECT_EQ(j["node"]["cpu"]["usageNanoCores"], 1'500'000'000u);  // 15 s busy in 10 s
  const json& pod = j["pods"][0];
  EXPECT_EQ(pod["podRef"], json({{"name", "web"}, {"namespace", "default"}, {"uid", "u1"}}));
  EXPECT_EQ(pod["startTime"], "2024-05-01T09:58:20Z");
  ASSERT_EQ(pod["containers"].size(), 2u);
  EXPECT_EQ(pod["containers"][0]["name"], "app");
  EXPECT_EQ(pod["containers"][0]["cpu"]["usageNanoCores"], 500'000'000u);
  EXPECT_EQ(pod["containers"][0]["memory"]["workingSetBytes"], 10 << 20);
  EXPECT_EQ(pod["containers"][1]["cpu"]["usageNanoCores"], 10'000'000u);
  EXPECT_EQ(pod["cpu"]["usageNanoCores"], 510'000'000u);
  EXPECT_EQ(pod["memory"]["workingSetBytes"], 12 << 20);
}

TEST(BuildStatsSummary, ANewContainerIdHasNoRateYet) {
  auto before = sample(kT0, 100 * kSec, kSec, kSec);
  auto now = sample(kT0 + 10 * kSec, 110 * kSec, 2 * kSec, 2 * kSec);
  now.pods[0].containers[1].id = "restarted";
  json j = buildStatsSummary("n1", kT0, now, &before);
  EXPECT_EQ(j["pods"][0]["containers"][0]["cpu"]["usageNanoCores"], 100'000'000u);
  EXPECT_FALSE(j["pods"][0]["containers"][1]["cpu"].contains("usageNanoCores"));
  EXPECT_EQ(j["pods"][0]["cpu"]["usageNanoCores"], 100'000'000u);
}

TEST(ProcParsers, StatAndMeminfo) {
  std::string stat =
      "cpu  100 20 30 1000 50 5 5 10 0 0\ncpu0 50 10 15 500 25 2 3 5 0 0\nbtime 1714557600\n";
  // busy = user+nice+system+irq+softirq+steal = 100+20+30+5+5+10 = 170 ticks of 10 ms.
  EXPECT_EQ(parseProcStatCpu(stat, 100), 1'700'000'000u);
  EXPECT_FALSE(parseProcStatCpu("intr 1 2 3\n", 100));
  EXPECT_FALSE(parseProcStatCpu(stat, 0));
  NodeSample n;
  parseProcMeminfo(
      "MemTotal:       16000000 kB\nMemFree:         1000000 kB\n"
      "MemAvailable:    8000000 kB\nBuffers: 5 kB\n",
      &n);
  EXPECT_EQ(n.memory_total_bytes, 16000000ULL * 1024);
  EXPECT_EQ(n.memory_free_bytes, 1000000ULL * 1024);
  EXPECT_EQ(n.memory_available_bytes, 8000000ULL * 1024);
}

TEST(ProcParsers, ThisMachine) {
  auto n = readNodeSample(kT0);
  EXPECT_TRUE(n.cpu_usage_core_nano_seconds.has_value());
  EXPECT_TRUE(n.memory_total_bytes.has_value());
  EXPECT_TRUE(n.memory_available_bytes.has_value());
  EXPECT_GT(readBootTimeNs(), 0);
}

TEST(FormatMetaTime, Seconds) {
  EXPECT_EQ(formatMetaTime(kT0 + 999'999'999), "2024-05-01T10:00:00Z");
  EXPECT_EQ(formatMetaTime(0), "1970-01-01T00:00:00Z");
}

}  // namespace stats_summary_test
}  // namespace minik8s::kubelet
