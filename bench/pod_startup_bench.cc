// Pod startup and agent memory on a real node (bench/README.md has the results):
//   1. pod startup through the API: create → Running and Ready, as seen through a WATCH,
//      for N busybox pods created one after another (each waited for), then N at once
//      (8 threads); p50/p90/p99/max of each; the pods are deleted (grace 0) between the
//      phases and waited for until they are gone from the API and from the runtime
//   2. raw CRI on the same containerd, same run: pod cgroup + RunPodSandbox +
//      PodSandboxStatus + CreateContainer + StartContainer for M sandboxes one after
//      another (configs from the kubelet's own makeSandboxConfig / makeContainerConfig)
//   3. the ratio p50(API)/p50(raw) of the sequential case (goal ≤ 1.5) and its p99 (≤ 1 s)
//   4. RSS of the agent idle and with N pods running (and of the server, for reference)
// Runs against a cluster started by `minik8s up` (bench/pod_startup_bench.sh does that in
// a private directory), prints a table and appends one JSON line per metric group to the
// results file.
//
//   pod_startup_bench --data-dir D --server http://127.0.0.1:P --cgroup-root R
//                     [--results bench/results.jsonl] [--pods 50] [--raw 20] [--threads 8]
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "api/codec.h"
#include "api/scheme.h"
#include "api/types_core.h"
#include "client/config.h"
#include "client/rest_client.h"
#include "common/clock.h"
#include "cri/cri_runtime.h"
#include "kubelet/pod_cgroups.h"
#include "kubelet/pod_config.h"

using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;
using TimePoint = SteadyClock::time_point;
namespace fs = std::filesystem;
using namespace minik8s;

namespace {

constexpr char kImage[] = "busybox:1.36.1";
constexpr char kLabel[] = "bench";
constexpr char kLabelValue[] = "pod-startup";

double ms(TimePoint from, TimePoint to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

long rssKb(const std::string& pid_file) {
  std::ifstream in(pid_file);
  long pid = 0;
  if (!(in >> pid) || pid <= 0) return -1;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

json podJson(const std::string& name) {
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata", {{"name", name}, {"namespace", "default"}, {"labels", {{kLabel, kLabelValue}}}}},
          {"spec",
           {{"terminationGracePeriodSeconds", 0},
            {"containers", json::array({{{"name", "c"},
                                         {"image", kImage},
                                         {"command", {"sleep", "3600"}}}})}}}};
}

const api::ResourceInfo& podsResource() {
  static const api::ResourceInfo* r = api::findResource("", "v1", "pods");
  return *r;
}

// What the watch saw of each pod, by name: when (steady clock, at delivery) it was first
// seen scheduled, Running and Ready, and whether it is gone.
class PodTracker {
 public:
  explicit PodTracker(client::RestClient& client) : client_(client) {}
  ~PodTracker() { stop(); }

  Status start() {
    client::ListOptions lo;
    lo.label_selector = std::string(kLabel) + "=" + kLabelValue;
    auto list = client_.list(podsResource(), "default", lo);
    if (!list.isOk()) return list.status();
    rv_ = (*list)["metadata"].value("resourceVersion", "");
    for (const auto& item : (*list)["items"]) observe("ADDED", item);
    thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
    return Status();
  }
  void stop() {
    if (thread_.joinable()) {
      thread_.request_stop();
      thread_.join();
    }
  }

  struct Seen {
    std::optional<TimePoint> scheduled, running, ready;
    bool gone = false;
    bool present = false;
  };

  // Waits until `pred(seen)` holds for every name in `names`, or the deadline passes.
  template <typename Pred>
  bool waitAll(const std::vector<std::string>& names, std::chrono::seconds timeout, Pred pred) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] {
      for (const auto& n : names) {
        auto it = seen_.find(n);
        if (it == seen_.end() ? !pred(Seen{}) : !pred(it->second)) return false;
      }
      return true;
    });
  }
  Seen get(const std::string& name) {
    std::lock_guard lock(mu_);
    auto it = seen_.find(name);
    return it == seen_.end() ? Seen{} : it->second;
  }
  void forget(const std::vector<std::string>& names) {
    std::lock_guard lock(mu_);
    for (const auto& n : names) seen_.erase(n);
  }
  int restarts() const { return restarts_; }

 private:
  void observe(const std::string& type, const json& pod) {
    auto now = SteadyClock::now();
    std::string name = pod["metadata"].value("name", "");
    std::lock_guard lock(mu_);
    Seen& s = seen_[name];
    if (type == "DELETED") {
      s.gone = true;
      s.present = false;
    } else {
      s.present = true;
      s.gone = false;
      const json& status = pod.contains("status") ? pod["status"] : json::object();
      if (status.value("phase", "") == "Running" && !s.running) s.running = now;
      if (status.contains("conditions")) {
        for (const auto& c : status["conditions"]) {
          if (c.value("status", "") != "True") continue;
          std::string t = c.value("type", "");
          if (t == "Ready" && !s.ready) s.ready = now;
          if (t == "PodScheduled" && !s.scheduled) s.scheduled = now;
        }
      }
      if (!s.scheduled && !pod["spec"].value("nodeName", "").empty()) s.scheduled = now;
    }
    cv_.notify_all();
  }

  void run(std::stop_token stop) {
    while (!stop.stop_requested()) {
      client::ListOptions lo;
      lo.label_selector = std::string(kLabel) + "=" + kLabelValue;
      lo.resource_version = rv_;
      Status s = client_.watch(
          podsResource(), "default", lo,
          [&](const client::WatchEvent& e) {
            if (e.type == "ERROR") return false;
            if (e.object.contains("metadata")) {
              rv_ = e.object["metadata"].value("resourceVersion", rv_);
            }
            if (e.type != "BOOKMARK") observe(e.type, e.object);
            return !stop.stop_requested();
          },
          stop);
      if (stop.stop_requested()) return;
      ++restarts_;
      if (!s.isOk()) {
        std::cerr << "watch ended: " << s.toString() << "\n";
        if (s.code() == Code::kGone) rv_ = "";
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
  }

  client::RestClient& client_;
  std::string rv_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Seen> seen_;
  std::jthread thread_;
  std::atomic<int> restarts_{0};
};

struct Dist {
  std::vector<double> v;
  json toJson() const {
    return {{"n", v.size()},
            {"p50_ms", percentile(v, 0.5)},
            {"p90_ms", percentile(v, 0.9)},
            {"p99_ms", percentile(v, 0.99)},
            {"max_ms", v.empty() ? 0.0 : *std::max_element(v.begin(), v.end())}};
  }
};

void printRow(const std::string& what, const Dist& d) {
  std::printf("  %-34s %4zu  %8.1f %8.1f %8.1f %8.1f\n", what.c_str(), d.v.size(),
              percentile(d.v, 0.5), percentile(d.v, 0.9), percentile(d.v, 0.99),
              d.v.empty() ? 0.0 : *std::max_element(d.v.begin(), d.v.end()));
}

struct ApiPhase {
  Dist scheduled, running, ready, create_call;
  int failed = 0;
  double wall_s = 0;
};

// Sandboxes in the runtime carrying the bench label (the kubelet copies pod labels).
int benchSandboxes(cri::CriRuntime& rt) {
  cri::PodSandboxFilter f;
  f.label_selector[kLabel] = kLabelValue;
  auto list = rt.listPodSandbox(f);
  return list.isOk() ? static_cast<int>(list->size()) : -1;
}

// Deletes the pods with grace 0 and waits until they are gone from the API (watch) and
// the kubelet has removed their sandboxes.
bool deleteAndWait(client::RestClient& client, cri::CriRuntime& rt, PodTracker& tracker,
                   const std::vector<std::string>& names, double* api_ms, double* runtime_ms) {
  auto t0 = SteadyClock::now();
  client::DeleteOptions del;
  del.grace_period_seconds = 0;
  for (const auto& n : names) {
    auto r = client.remove(podsResource(), "default", n, del);
    if (!r.isOk() && r.status().code() != Code::kNotFound) {
      std::cerr << "delete " << n << ": " << r.status().toString() << "\n";
    }
  }
  bool ok = tracker.waitAll(names, std::chrono::seconds(120),
                            [](const PodTracker::Seen& s) { return !s.present; });
  *api_ms = ms(t0, SteadyClock::now());
  auto deadline = SteadyClock::now() + std::chrono::seconds(120);
  while (benchSandboxes(rt) != 0 && SteadyClock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  *runtime_ms = ms(t0, SteadyClock::now());
  tracker.forget(names);
  return ok && benchSandboxes(rt) == 0;
}

ApiPhase runApiPhase(client::RestClient& client, PodTracker& tracker,
                     const std::vector<std::string>& names, int threads) {
  ApiPhase phase;
  std::vector<TimePoint> created(names.size());
  std::vector<double> call_ms(names.size(), -1);
  std::atomic<int> failed{0};
  auto createOne = [&](size_t i) {
    created[i] = SteadyClock::now();
    auto r = client.create(podsResource(), "default", podJson(names[i]));
    call_ms[i] = ms(created[i], SteadyClock::now());
    if (!r.isOk()) {
      std::cerr << "create " << names[i] << ": " << r.status().toString() << "\n";
      ++failed;
    }
  };
  auto ready = [](const PodTracker::Seen& s) { return s.ready.has_value() && s.running.has_value(); };
  auto t0 = SteadyClock::now();
  if (threads <= 1) {
    for (size_t i = 0; i < names.size(); ++i) {
      createOne(i);
      if (!tracker.waitAll({names[i]}, std::chrono::seconds(120), ready)) {
        std::cerr << names[i] << " did not become Ready in 120 s\n";
      }
    }
  } else {
    std::atomic<size_t> next{0};
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; ++t) {
      ts.emplace_back([&] {
        for (size_t i; (i = next++) < names.size();) createOne(i);
      });
    }
    for (auto& t : ts) t.join();
    if (!tracker.waitAll(names, std::chrono::seconds(300), ready)) {
      std::cerr << "not every pod became Ready in 300 s\n";
    }
  }
  phase.wall_s = ms(t0, SteadyClock::now()) / 1000;
  for (size_t i = 0; i < names.size(); ++i) {
    auto s = tracker.get(names[i]);
    if (call_ms[i] >= 0) phase.create_call.v.push_back(call_ms[i]);
    if (!s.ready || !s.running) {
      ++failed;
      continue;
    }
    if (s.scheduled) phase.scheduled.v.push_back(ms(created[i], *s.scheduled));
    phase.running.v.push_back(ms(created[i], *s.running));
    phase.ready.v.push_back(ms(created[i], *s.ready));
  }
  phase.failed = failed;
  return phase;
}

struct RawPhase {
  Dist pod, sandbox, create, start, teardown;
  int failed = 0;
};

// The kubelet's own steps for one new pod, straight to the runtime: pod cgroup, log dir,
// RunPodSandbox, PodSandboxStatus (the IP), CreateContainer, StartContainer.
RawPhase runRawPhase(cri::CriRuntime& rt, const std::string& data_dir,
                     const std::string& cgroup_root, int count) {
  RawPhase phase;
  kubelet::NodePaths paths{data_dir + "/bench-raw", cgroup_root};
  struct Made {
    std::string uid, sandbox, container, log_dir;
  };
  std::vector<Made> made;
  for (int i = 0; i < count; ++i) {
    json j = podJson("raw-" + std::to_string(i));
    j["metadata"]["uid"] = "bench-raw-" + std::to_string(::getpid()) + "-" + std::to_string(i);
    auto pod = api::decode<api::Pod>(j);
    if (!pod.isOk()) {
      std::cerr << "raw pod: " << pod.status().toString() << "\n";
      ++phase.failed;
      continue;
    }
    // Without the pod-uid label: the kubelet removes labelled sandboxes of pods that are
    // not bound to it (the bench's are not in the API).
    auto t0 = SteadyClock::now();
    cri::PodSandboxConfig sc = kubelet::makeSandboxConfig(*pod, paths, 0);
    sc.labels.erase(kubelet::kPodUidLabel);
    Made m{pod->metadata.uid, "", "", sc.log_directory};
    (void)kubelet::ensurePodCgroup(paths.podCgroup(m.uid), kubelet::podCgroupLimits(*pod));
    std::error_code ec;
    fs::create_directories(sc.log_directory, ec);
    auto sandbox = rt.runPodSandbox(sc);
    auto t1 = SteadyClock::now();
    if (!sandbox.isOk()) {
      std::cerr << "RunPodSandbox: " << sandbox.status().toString() << "\n";
      ++phase.failed;
      made.push_back(m);
      continue;
    }
    m.sandbox = *sandbox;
    auto status = rt.podSandboxStatus(m.sandbox);
    kubelet::PodIdentity identity{"bench", "", status.isOk() ? status->ip : ""};
    auto cc = kubelet::makeContainerConfig(*pod, pod->spec.containers[0], 0, {}, identity,
                                           [](const std::string&, const std::string&) {
                                             return std::optional<kubelet::ObjectData>();
                                           });
    if (!cc.isOk()) {
      std::cerr << "container config: " << cc.status().toString() << "\n";
      ++phase.failed;
      made.push_back(m);
      continue;
    }
    cc->labels.erase(kubelet::kPodUidLabel);
    auto t2 = SteadyClock::now();
    auto container = rt.createContainer(m.sandbox, *cc, sc);
    auto t3 = SteadyClock::now();
    if (!container.isOk()) {
      std::cerr << "CreateContainer: " << container.status().toString() << "\n";
      ++phase.failed;
      made.push_back(m);
      continue;
    }
    m.container = *container;
    Status started = rt.startContainer(m.container);
    auto t4 = SteadyClock::now();
    made.push_back(m);
    if (!started.isOk()) {
      std::cerr << "StartContainer: " << started.toString() << "\n";
      ++phase.failed;
      continue;
    }
    phase.pod.v.push_back(ms(t0, t4));
    phase.sandbox.v.push_back(ms(t0, t1));
    phase.create.v.push_back(ms(t2, t3));
    phase.start.v.push_back(ms(t3, t4));
  }
  for (const auto& m : made) {
    auto t0 = SteadyClock::now();
    if (!m.container.empty()) {
      (void)rt.stopContainer(m.container, std::chrono::seconds(0));
      (void)rt.removeContainer(m.container);
    }
    if (!m.sandbox.empty()) {
      if (Status s = rt.stopPodSandbox(m.sandbox); !s.isOk()) {
        std::cerr << "StopPodSandbox: " << s.toString() << "\n";
      }
      if (Status s = rt.removePodSandbox(m.sandbox); !s.isOk()) {
        std::cerr << "RemovePodSandbox: " << s.toString() << "\n";
      }
    }
    (void)kubelet::removePodCgroup(paths.podCgroup(m.uid));
    std::error_code ec;
    fs::remove_all(m.log_dir, ec);
    phase.teardown.v.push_back(ms(t0, SteadyClock::now()));
  }
  std::error_code ec;
  fs::remove_all(paths.data_dir, ec);
  return phase;
}

std::string flag(int argc, char** argv, const std::string& name, const std::string& def) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (argv[i] == "--" + name) return argv[i + 1];
  }
  return def;
}

}  // namespace

int main(int argc, char** argv) {
  std::string data_dir = flag(argc, argv, "data-dir", "");
  std::string server = flag(argc, argv, "server", "");
  std::string cgroup_root = flag(argc, argv, "cgroup-root", "");
  std::string results_path = flag(argc, argv, "results", "bench/results.jsonl");
  int pods = std::stoi(flag(argc, argv, "pods", "50"));
  int raw_count = std::stoi(flag(argc, argv, "raw", "20"));
  int threads = std::stoi(flag(argc, argv, "threads", "8"));
  if (data_dir.empty() || server.empty() || cgroup_root.empty()) {
    std::cerr << "usage: pod_startup_bench --data-dir D --server http://127.0.0.1:P "
                 "--cgroup-root R [--results F] [--pods 50] [--raw 20] [--threads 8]\n";
    return 2;
  }
  std::string agent_pid = data_dir + "/run/agent.pid";
  std::string server_pid = data_dir + "/run/server.pid";
  std::string socket = data_dir + "/node/containerd/containerd.sock";

  client::ClientConfig cfg;
  cfg.server = server;
  auto client = client::RestClient::connect(cfg);
  if (!client.isOk()) {
    std::cerr << client.status().toString() << "\n";
    return 1;
  }
  auto rt = cri::CriRuntime::connect(socket);
  if (Status s = rt->waitReady(std::chrono::seconds(10)); !s.isOk()) {
    std::cerr << "containerd at " << socket << ": " << s.toString() << "\n";
    return 1;
  }
  PodTracker tracker(**client);
  if (Status s = tracker.start(); !s.isOk()) {
    std::cerr << "watch: " << s.toString() << "\n";
    return 1;
  }
  std::string date = formatRfc3339(Clock::real().now());
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  unsigned cores = std::thread::hardware_concurrency();

  // Idle: let the node settle after `up` first.
  std::this_thread::sleep_for(std::chrono::seconds(3));
  long agent_idle = rssKb(agent_pid), server_idle = rssKb(server_pid);

  auto names = [&](const std::string& prefix) {
    std::vector<std::string> v;
    for (int i = 0; i < pods; ++i) v.push_back(prefix + std::to_string(i));
    return v;
  };
  std::vector<std::string> seq_names = names("seq-"), conc_names = names("conc-");

  std::fprintf(stderr, "sequential: %d pods, one after another...\n", pods);
  ApiPhase seq = runApiPhase(**client, tracker, seq_names, 1);
  std::this_thread::sleep_for(std::chrono::seconds(3));
  long agent_50_seq = rssKb(agent_pid), server_50 = rssKb(server_pid);
  double del1_api = 0, del1_rt = 0, del2_api = 0, del2_rt = 0;
  bool gone1 = deleteAndWait(**client, *rt, tracker, seq_names, &del1_api, &del1_rt);

  std::fprintf(stderr, "concurrent: %d pods from %d threads...\n", pods, threads);
  ApiPhase conc = runApiPhase(**client, tracker, conc_names, threads);
  std::this_thread::sleep_for(std::chrono::seconds(3));
  long agent_50_conc = rssKb(agent_pid);
  bool gone2 = deleteAndWait(**client, *rt, tracker, conc_names, &del2_api, &del2_rt);
  std::this_thread::sleep_for(std::chrono::seconds(2));
  long agent_after = rssKb(agent_pid);

  std::fprintf(stderr, "raw CRI: %d pods, one after another...\n", raw_count);
  RawPhase raw = runRawPhase(*rt, data_dir, cgroup_root, raw_count);
  tracker.stop();

  double ratio = percentile(raw.pod.v, 0.5) > 0
                     ? percentile(seq.ready.v, 0.5) / percentile(raw.pod.v, 0.5)
                     : 0;
  double seq_p99 = percentile(seq.ready.v, 0.99);

  std::printf("\npod startup, ms from the create call (watch delivery for the API)\n");
  std::printf("  %-34s %4s  %8s %8s %8s %8s\n", "", "n", "p50", "p90", "p99", "max");
  printRow("API sequential: scheduled", seq.scheduled);
  printRow("API sequential: Running", seq.running);
  printRow("API sequential: Ready", seq.ready);
  printRow("API sequential: POST call", seq.create_call);
  printRow("API 8 threads: scheduled", conc.scheduled);
  printRow("API 8 threads: Running", conc.running);
  printRow("API 8 threads: Ready", conc.ready);
  printRow("API 8 threads: POST call", conc.create_call);
  printRow("raw CRI: whole pod", raw.pod);
  printRow("raw CRI: cgroup+RunPodSandbox", raw.sandbox);
  printRow("raw CRI: CreateContainer", raw.create);
  printRow("raw CRI: StartContainer", raw.start);
  printRow("raw CRI: teardown", raw.teardown);
  std::printf("  failed: sequential %d, concurrent %d, raw %d; watch restarts %d\n", seq.failed,
              conc.failed, raw.failed, tracker.restarts());
  std::printf("  concurrent: all %d Ready after %.1f s; deletes gone from API/runtime: "
              "%.1f/%.1f s and %.1f/%.1f s%s\n",
              pods, conc.wall_s, del1_api / 1000, del1_rt / 1000, del2_api / 1000,
              del2_rt / 1000, gone1 && gone2 ? "" : " (NOT all gone)");
  std::printf("\n  p50(API sequential Ready) / p50(raw) = %.2f  (goal <= 1.5: %s)\n", ratio,
              ratio <= 1.5 ? "met" : "not met");
  std::printf("  p99(API sequential Ready) = %.0f ms  (goal <= 1000 ms: %s)\n", seq_p99,
              seq_p99 <= 1000 ? "met" : "not met");
  std::printf("\nRSS (MB)            agent   server\n");
  std::printf("  idle            %7.1f  %7.1f\n", agent_idle / 1024.0, server_idle / 1024.0);
  std::printf("  %d pods (seq)   %7.1f  %7.1f\n", pods, agent_50_seq / 1024.0, server_50 / 1024.0);
  std::printf("  %d pods (conc)  %7.1f\n", pods, agent_50_conc / 1024.0);
  std::printf("  after deletes   %7.1f\n", agent_after / 1024.0);

  json base = {{"bench", "pod_startup"}, {"date", date}, {"host", host}, {"cores", cores}};
  std::vector<json> lines;
  {
    json j = base;
    j["group"] = "api_sequential";
    j["pods"] = pods;
    j["ready"] = seq.ready.toJson();
    j["running"] = seq.running.toJson();
    j["scheduled"] = seq.scheduled.toJson();
    j["post_call"] = seq.create_call.toJson();
    j["failed"] = seq.failed;
    lines.push_back(j);
  }
  {
    json j = base;
    j["group"] = "api_concurrent";
    j["pods"] = pods;
    j["threads"] = threads;
    j["ready"] = conc.ready.toJson();
    j["running"] = conc.running.toJson();
    j["scheduled"] = conc.scheduled.toJson();
    j["post_call"] = conc.create_call.toJson();
    j["all_ready_s"] = conc.wall_s;
    j["failed"] = conc.failed;
    lines.push_back(j);
  }
  {
    json j = base;
    j["group"] = "raw_cri";
    j["pods"] = raw_count;
    j["pod"] = raw.pod.toJson();
    j["sandbox"] = raw.sandbox.toJson();
    j["create_container"] = raw.create.toJson();
    j["start_container"] = raw.start.toJson();
    j["teardown"] = raw.teardown.toJson();
    j["failed"] = raw.failed;
    lines.push_back(j);
  }
  {
    json j = base;
    j["group"] = "startup_goals";
    j["ratio_p50_api_seq_over_raw"] = ratio;
    j["ratio_goal"] = 1.5;
    j["api_seq_ready_p99_ms"] = seq_p99;
    j["p99_goal_ms"] = 1000;
    lines.push_back(j);
  }
  {
    json j = base;
    j["group"] = "rss";
    j["agent_idle_kb"] = agent_idle;
    j["agent_pods_seq_kb"] = agent_50_seq;
    j["agent_pods_conc_kb"] = agent_50_conc;
    j["agent_after_delete_kb"] = agent_after;
    j["server_idle_kb"] = server_idle;
    j["server_pods_kb"] = server_50;
    j["pods"] = pods;
    lines.push_back(j);
  }
  std::ofstream out(results_path, std::ios::app);
  for (const auto& j : lines) out << j.dump() << "\n";
  std::printf("\nresults appended to %s\n", results_path.c_str());
  bool ok = seq.failed == 0 && conc.failed == 0 && raw.failed == 0 && gone1 && gone2;
  return ok ? 0 : 1;
}
