// The HorizontalPodAutoscaler controller's cost per sync with 1,000 HPAs (issue 9).
//
// No apiserver and no nodes: the controller runs against the fake client (an in-memory
// object tracker) and prefilled caches, through its public interface, as its unit tests
// drive it. 1,000 Deployments with 3 pods each, one HPA per Deployment (cpu at 50%), and
// a fake metrics source: PodMetrics objects in the fake client, which the controller reads
// through the same client call as metrics.k8s.io. Each round syncs every HPA once (a full
// resync) and measures the process CPU time of the pass; rounds alternate a usage that
// asks for a scale-up (each sync writes /scale and the status) with one at the target
// (nothing to write after the first status write). The fake client's own work (copies of
// JSON in its tracker, recorded actions) is inside the measure: a real client's HTTP and
// JSON are not, so this is the controller's decision-and-bookkeeping cost, not the
// end-to-end cost. `--spread` (default) puts each HPA in its own namespace; `--one-ns`
// puts all in one namespace, where each sync lists the whole namespace's PodMetrics.
//
// Run: build/bench/hpa_bench [RESULTS] [--hpas N] [--rounds R] [--one-ns]
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "api/codec.h"
#include "api/scheme.h"
#include "run_info.h"
#include "client/fake_client.h"
#include "client/informer.h"
#include "common/clock.h"
#include "controller/hpa.h"

namespace minik8s::bench {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr int kPodsPerHpa = 3;

double cpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

long rssKb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

struct Names {
  std::string ns;
  std::string name;
};

Names namesOf(int i, bool one_ns) {
  std::string name = "web-" + std::to_string(i);
  return {one_ns ? "bench" : "ns-" + std::to_string(i), name};
}

json deploymentJson(const Names& n, int replicas) {
  return {{"apiVersion", "apps/v1"},
          {"kind", "Deployment"},
          {"metadata", {{"name", n.name}, {"namespace", n.ns}, {"uid", "d-" + n.ns + n.name}}},
          {"spec",
           {{"replicas", replicas},
            {"selector", {{"matchLabels", {{"app", n.name}}}}},
            {"template",
             {{"metadata", {{"labels", {{"app", n.name}}}}},
              {"spec", {{"containers", {{{"name", "c"}, {"image", "nginx"}}}}}}}}}},
          {"status", {{"replicas", replicas}}}};
}

json hpaJson(const Names& n) {
  return {{"apiVersion", "autoscaling/v2"},
          {"kind", "HorizontalPodAutoscaler"},
          {"metadata",
           {{"name", n.name}, {"namespace", n.ns}, {"uid", "h-" + n.ns + n.name},
            {"generation", 1}}},
          {"spec",
           {{"scaleTargetRef",
             {{"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"name", n.name}}},
            {"minReplicas", 1},
            {"maxReplicas", 10},
            {"metrics",
             {{{"type", "Resource"},
               {"resource",
                {{"name", "cpu"},
                 {"target", {{"type", "Utilization"}, {"averageUtilization", 50}}}}}}}}}}};
}

json podJson(const Names& n, int k) {
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata",
           {{"name", n.name + "-" + std::to_string(k)},
            {"namespace", n.ns},
            {"uid", "p-" + n.ns + n.name + std::to_string(k)},
            {"creationTimestamp", "2026-01-01T00:00:00Z"},
            {"labels", {{"app", n.name}}}}},
          {"spec",
           {{"nodeName", "node-1"},
            {"containers",
             {{{"name", "c"}, {"image", "nginx"},
               {"resources", {{"requests", {{"cpu", "500m"}}}}}}}}}},
          {"status",
           {{"phase", "Running"},
            {"startTime", "2026-01-01T00:00:00Z"},
            {"conditions",
             {{{"type", "Ready"}, {"status", "True"},
               {"lastTransitionTime", "2026-01-01T00:00:10Z"}}}}}}};
}

json podMetricsJson(const Names& n, int k, const std::string& cpu, Clock::WallTime now) {
  return {{"apiVersion", "metrics.k8s.io/v1beta1"},
          {"kind", "PodMetrics"},
          {"metadata", {{"name", n.name + "-" + std::to_string(k)}, {"namespace", n.ns}}},
          {"timestamp", formatRfc3339(now - 10s)},
          {"window", "30s"},
          {"containers", {{{"name", "c"}, {"usage", {{"cpu", cpu}, {"memory", "10Mi"}}}}}}};
}

template <typename T>
T decodeOrDie(const json& j) {
  auto r = api::decode<T>(j);
  if (!r.isOk()) {
    std::cerr << "decode: " << r.status().toString() << "\n";
    std::exit(2);
  }
  return std::move(r).value();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

int run(int argc, char** argv) {
  std::string results;
  int hpas = 1000;
  int rounds = 6;
  bool one_ns = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--hpas" && i + 1 < argc) {
      hpas = std::stoi(argv[++i]);
    } else if (a == "--rounds" && i + 1 < argc) {
      rounds = std::stoi(argv[++i]);
    } else if (a == "--one-ns") {
      one_ns = true;
    } else if (a == "--spread") {
      one_ns = false;
    } else {
      results = a;
    }
  }
  json record = runInfo();
  record["bench"] = "hpa";
  record["hpas"] = hpas;
  record["pods"] = hpas * kPodsPerHpa;
  record["layout"] = one_ns ? "one-namespace" : "namespace-per-hpa";
  record["metrics_source"] = "fake client PodMetrics";
  long rss_start = rssKb();

  FakeClock clock;
  clock.advance(std::chrono::hours(1));  // pods long past the cpu initialization period
  client::FakeClient fake(clock);
  client::ObjectCache<api::HorizontalPodAutoscaler> hpa_cache;
  client::ObjectCache<api::Pod> pod_cache;
  const api::ResourceInfo& hpa_res = *api::findResource("autoscaling", "v2", "horizontalpodautoscalers");
  const api::ResourceInfo& deploy_res = *api::findResource("apps", "v1", "deployments");
  const api::ResourceInfo& pod_res = *api::findResource("", "v1", "pods");
  std::vector<std::string> keys;
  for (int i = 0; i < hpas; ++i) {
    Names n = namesOf(i, one_ns);
    fake.add(deploy_res, deploymentJson(n, kPodsPerHpa));
    fake.add(hpa_res, hpaJson(n));
    hpa_cache.add(decodeOrDie<api::HorizontalPodAutoscaler>(*fake.object(hpa_res, n.ns, n.name)));
    for (int k = 0; k < kPodsPerHpa; ++k) {
      json pod = podJson(n, k);
      fake.add(pod_res, pod);
      pod_cache.add(decodeOrDie<api::Pod>(pod));
    }
    keys.push_back(n.ns + "/" + n.name);
  }
  auto setUsage = [&](const std::string& cpu) {
    for (int i = 0; i < hpas; ++i) {
      Names n = namesOf(i, one_ns);
      for (int k = 0; k < kPodsPerHpa; ++k) {
        fake.add(controller::podMetricsResource(), podMetricsJson(n, k, cpu, clock.now()));
      }
    }
  };
  setUsage("250m");
  long rss_filled = rssKb();

  controller::HorizontalPodAutoscalerController hpa_controller(fake, hpa_cache, pod_cache, {},
                                                               clock);
  int errors = 0;
  std::vector<double> scale_rounds_ms, steady_rounds_ms;
  size_t writes_scale = 0, writes_steady = 0;
  for (int round = 0; round < rounds; ++round) {
    bool scale = round % 2 == 0;
    // Scale rounds: 400m of 500m is 80% against 50%; steady rounds: exactly at the target.
    setUsage(scale ? "400m" : "250m");
    clock.advance(std::chrono::minutes(10));  // past every stabilization window
    fake.clearActions();
    double t0 = cpuSeconds();
    for (const std::string& key : keys) {
      Status s = hpa_controller.sync(key);
      if (!s.isOk()) {
        if (++errors <= 5) std::cerr << "sync " << key << ": " << s.toString() << "\n";
      }
    }
    double ms = (cpuSeconds() - t0) * 1000;
    size_t writes = fake.writes().size();
    (scale ? scale_rounds_ms : steady_rounds_ms).push_back(ms);
    (scale ? writes_scale : writes_steady) = writes;
    std::printf("round %d (%s): %.1f ms CPU for %d syncs, %.1f us/sync, %zu writes\n", round,
                scale ? "scale-up" : "at target", ms, hpas, ms * 1000 / hpas, writes);
    // The informer would show the written status and the new replica counts.
    for (int i = 0; i < hpas; ++i) {
      Names n = namesOf(i, one_ns);
      hpa_cache.add(
          decodeOrDie<api::HorizontalPodAutoscaler>(*fake.object(hpa_res, n.ns, n.name)));
      json d = *fake.object(deploy_res, n.ns, n.name);
      d["status"]["replicas"] = kPodsPerHpa;
      d["spec"]["replicas"] = kPodsPerHpa;
      fake.add(deploy_res, d);
    }
  }
  long rss_end = rssKb();
  record["resync_cpu_ms_scale_up_median"] = median(scale_rounds_ms);
  record["resync_cpu_ms_at_target_median"] = median(steady_rounds_ms);
  record["resync_cpu_ms_scale_up"] = scale_rounds_ms;
  record["resync_cpu_ms_at_target"] = steady_rounds_ms;
  record["cpu_us_per_sync_scale_up"] = median(scale_rounds_ms) * 1000 / hpas;
  record["cpu_us_per_sync_at_target"] = median(steady_rounds_ms) * 1000 / hpas;
  record["writes_per_resync_scale_up"] = writes_scale;
  record["writes_per_resync_at_target"] = writes_steady;
  record["rss_kb_start"] = rss_start;
  record["rss_kb_filled"] = rss_filled;
  record["rss_kb_end"] = rss_end;
  record["errors"] = errors;
  record["load_after"] = loadAverage();
  std::printf("%s\n", record.dump().c_str());
  if (!results.empty()) {
    std::ofstream out(results, std::ios::app);
    out << record.dump() << "\n";
  }
  return errors == 0 ? 0 : 1;
}

}  // namespace
}  // namespace minik8s::bench

int main(int argc, char** argv) { return minik8s::bench::run(argc, argv); }
