// Controller benchmarks on hollow nodes (bench/README.md has the results):
//   rs        a ReplicaSet scaled 0 → 1,000 on 100 hollow nodes: time until 1,000 pods
//             exist and until all are Running, next to the baseline of the same run:
//             1,000 pods created straight through the API (16 clients), scheduled by the
//             same scheduler and run by the same hollow nodes
//   rolling   a rolling update of a 300-replica Deployment (25% surge and unavailable):
//             total time, and the fewest Ready pods of the Deployment a watch saw
//             (bound: 225) and the most pods at once (bound: 375)
//   scheduler scheduler throughput with 1,000 and 5,000 plain Ready Node objects (created
//             through the API; no kubelets), `minik8s scheduler` in its own process:
//             1,000 pods created while it runs, then a backlog of 1,000 pending pods it
//             starts on; pods bound per second between the first and last bind
//   failure   node failure with short flags: one hollow node of 11 (its own process) is
//             killed; stop → Ready=Unknown and stop → its pods' replacements Running
//   rss       controller-manager RSS idle and while holding 10,000 pods
// Each scenario starts its own `minik8s server --run-controller-manager=false` (managed
// etcd, private --data-dir in a temp dir, free loopback port), `minik8s controller-manager`
// and `minik8s hollow-nodes` as child processes, stops them by PID and removes the temp
// dir. Prints its numbers and appends one JSON line per scenario to the results file.
//
//   controller_bench <minik8s binary> [results file] [--only rs,rolling,...]
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "api/scheme.h"
#include "client/rest_client.h"
#include "common/clock.h"
#include "run_info.h"
#include "store/etcd_process.h"

using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;
using TimePoint = SteadyClock::time_point;
using namespace std::chrono_literals;
using namespace minik8s;

namespace {

std::atomic<int> g_errors{0};

double secondsSince(TimePoint start, TimePoint t) {
  return std::chrono::duration<double>(t - start).count();
}

const api::ResourceInfo& res(const char* group, const char* plural) {
  return *api::findResource(group, "v1", plural);
}
const api::ResourceInfo& pods() {
  return res("", "pods");
}
const api::ResourceInfo& nodes() {
  return res("", "nodes");
}

long statusField(pid_t pid, const std::string& key) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(key + ":", 0) == 0) return std::stol(line.substr(key.size() + 1));
  }
  return -1;
}
long rssKb(pid_t pid) {
  return statusField(pid, "VmRSS");
}
long threadsOf(pid_t pid) {
  return statusField(pid, "Threads");
}

// ---------------------------------------------------------------------------------------
// Processes: children we start, stopped by PID.

pid_t spawn(const std::vector<std::string>& args, const std::string& log_path) {
  pid_t pid = fork();
  if (pid == 0) {
    int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

void stopProcess(pid_t pid, int sig = SIGTERM) {
  if (pid <= 0) return;
  kill(pid, sig);
  for (int i = 0; i < 300; ++i) {
    if (waitpid(pid, nullptr, WNOHANG) == pid) return;
    std::this_thread::sleep_for(50ms);
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
}

// One control plane (server + controller manager) and its hollow nodes, in a temp dir.
class Cluster {
 public:
  Cluster(std::string binary, std::vector<std::string> server_args, bool controller_manager,
          std::vector<std::string> cm_args)
      : binary_(std::move(binary)) {
    char tmpl[] = "/tmp/minik8s-controller-bench-XXXXXX";
    dir_ = mkdtemp(tmpl);
    port_ = *store::pickFreePort();
    std::vector<std::string> args = {binary_,
                                     "server",
                                     "--data-dir",
                                     dir_ + "/server",
                                     "--port",
                                     std::to_string(port_),
                                     "--run-controller-manager=false",
                                     "--log-level",
                                     "warn"};
    args.insert(args.end(), server_args.begin(), server_args.end());
    server_ = spawn(args, dir_ + "/server.log");
    client::ClientConfig config;
    config.server = url();
    config_ = config;
    client_ = std::move(client::RestClient::connect(config).value());
    if (!waitReady()) {
      std::cerr << "server did not become ready; log: " << dir_ << "/server.log\n";
      ++g_errors;
      return;
    }
    if (controller_manager) {
      std::vector<std::string> cm = {binary_, "controller-manager", "--server",
                                     url(),   "--log-level",        "warn"};
      cm.insert(cm.end(), cm_args.begin(), cm_args.end());
      cm_ = spawn(cm, dir_ + "/controller-manager.log");
    }
    ok_ = true;
  }
  ~Cluster() {
    for (auto it = children_.rbegin(); it != children_.rend(); ++it) stopProcess(*it);
    stopProcess(cm_);
    stopProcess(server_);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  bool ok() const { return ok_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  client::RestClient& client() { return *client_; }
  const client::ClientConfig& config() const { return config_; }
  pid_t controllerManager() const { return cm_; }

  // Starts another process (logging to `log_name` in the cluster's directory); stopped by
  // stopExtra() or with the cluster.
  pid_t spawnExtra(const std::vector<std::string>& args, const std::string& log_name) {
    pid_t pid = spawn(args, dir_ + "/" + log_name);
    children_.push_back(pid);
    return pid;
  }
  void stopExtra(pid_t pid) {
    stopProcess(pid);
    children_.erase(std::remove(children_.begin(), children_.end(), pid), children_.end());
  }

  // Starts `count` hollow nodes in their own process; returns its PID.
  pid_t startHollow(int count, int first_index, const std::string& frequency) {
    std::string tag = "hollow-" + std::to_string(first_index);
    pid_t pid =
        spawn({binary_, "hollow-nodes", "--count", std::to_string(count), "--first-index",
               std::to_string(first_index), "--server", url(), "--node-status-update-frequency",
               frequency, "--tmp-dir", dir_, "--log-level", "warn"},
              dir_ + "/" + tag + ".log");
    children_.push_back(pid);
    return pid;
  }
  // Kills a hollow-nodes process (SIGKILL: its heartbeats stop at once).
  void killHollow(pid_t pid) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    children_.erase(std::remove(children_.begin(), children_.end(), pid), children_.end());
  }

  // Waits until `count` nodes are Ready.
  bool waitNodesReady(size_t count, std::chrono::seconds timeout) {
    auto deadline = SteadyClock::now() + timeout;
    while (SteadyClock::now() < deadline) {
      client::ListOptions o;
      o.resource_version = "0";
      auto list = client_->list(nodes(), "", o);
      if (list.isOk()) {
        size_t ready = 0;
        for (const auto& n : (*list)["items"]) {
          for (const auto& c : n["status"].value("conditions", json::array())) {
            if (c.value("type", "") == "Ready" && c.value("status", "") == "True") ++ready;
          }
        }
        if (ready >= count) return true;
      }
      std::this_thread::sleep_for(200ms);
    }
    return false;
  }

  void createNamespace(const std::string& name) {
    json ns = {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", name}}}};
    auto created = client_->create(res("", "namespaces"), "", ns);
    if (!created.isOk() && created.status().code() != Code::kAlreadyExists) ++g_errors;
  }

 private:
  bool waitReady() {
    auto deadline = SteadyClock::now() + 30s;
    while (SteadyClock::now() < deadline) {
      if (client_->get(res("", "namespaces"), "", "default").isOk()) return true;
      std::this_thread::sleep_for(100ms);
    }
    return false;
  }

  std::string binary_;
  std::string dir_;
  int port_ = 0;
  pid_t server_ = -1, cm_ = -1;
  std::vector<pid_t> children_;
  client::ClientConfig config_;
  std::unique_ptr<client::RestClient> client_;
  bool ok_ = false;
};

// ---------------------------------------------------------------------------------------
// Pod tracking through a watch: when each pod was first seen, bound, Running, Ready.

bool podReady(const json& pod) {
  for (const auto& c : pod["status"].value("conditions", json::array())) {
    if (c.value("type", "") == "Ready") return c.value("status", "") == "True";
  }
  return false;
}

class PodTracker {
 public:
  struct Times {
    std::optional<TimePoint> seen, bound, running;
    bool ready = false, terminating = false, gone = false;
    std::string node;
  };

  PodTracker(client::RestClient& client, std::string ns, std::string selector = "")
      : client_(client), ns_(std::move(ns)), selector_(std::move(selector)) {
    client::ListOptions o;
    o.label_selector = selector_;
    auto list = client_.list(pods(), ns_, o);
    if (!list.isOk()) {
      ++g_errors;
      return;
    }
    std::string rv = (*list)["metadata"].value("resourceVersion", "");
    for (const auto& p : (*list)["items"]) observe("ADDED", p);
    thread_ = std::jthread([this, rv](std::stop_token stop) {
      std::string from = rv;
      while (!stop.stop_requested()) {
        client::ListOptions w;
        w.label_selector = selector_;
        w.resource_version = from;
        w.timeout_seconds = 600;
        Status s = client_.watch(
            pods(), ns_, w,
            [&](const client::WatchEvent& e) {
              if (e.type == "ERROR" || e.type == "BOOKMARK") return e.type != "ERROR";
              from = e.object["metadata"].value("resourceVersion", from);
              observe(e.type, e.object);
              return true;
            },
            stop);
        if (!s.isOk() && !stop.stop_requested()) {
          std::cerr << "pod watch: " << s.toString() << "\n";
          ++g_errors;
          return;
        }
      }
    });
  }
  ~PodTracker() { thread_.request_stop(); }

  // Called for every event; `check` runs under the lock after each (rolling update bounds).
  void onEvent(std::function<void(const PodTracker&)> check) {
    std::lock_guard lock(mu_);
    check_ = std::move(check);
  }

  template <typename F>
  auto with(F&& f) const {
    std::lock_guard lock(mu_);
    return f(pods_);
  }
  size_t count(const std::function<bool(const Times&)>& pred) const {
    std::lock_guard lock(mu_);
    size_t n = 0;
    for (const auto& [uid, t] : pods_) n += pred(t) ? 1 : 0;
    return n;
  }
  // Waits until pred holds for the tracked pods; the time it first held, or nullopt.
  std::optional<TimePoint> waitUntil(
      const std::function<bool(const std::map<std::string, Times>&)>& pred,
      std::chrono::seconds timeout) {
    std::unique_lock lock(mu_);
    if (cv_.wait_for(lock, timeout, [&] { return pred(pods_); })) return SteadyClock::now();
    return std::nullopt;
  }
  const std::map<std::string, Times>& podsLocked() const { return pods_; }

 private:
  void observe(const std::string& type, const json& pod) {
    auto now = SteadyClock::now();
    std::string uid = pod["metadata"].value("uid", "");
    {
      std::lock_guard lock(mu_);
      Times& t = pods_[uid];
      if (!t.seen) t.seen = now;
      std::string node = pod["spec"].value("nodeName", "");
      if (!node.empty() && !t.bound) t.bound = now;
      t.node = node;
      if (pod["status"].value("phase", "") == "Running" && !t.running) t.running = now;
      t.ready = podReady(pod);
      t.terminating = pod["metadata"].contains("deletionTimestamp");
      if (type == "DELETED") t.gone = true;
      if (check_) check_(*this);
    }
    cv_.notify_all();
  }

  client::RestClient& client_;
  std::string ns_, selector_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Times> pods_;  // by uid
  std::function<void(const PodTracker&)> check_;
  std::jthread thread_;
};

size_t liveRunning(const std::map<std::string, PodTracker::Times>& pods) {
  size_t n = 0;
  for (const auto& [uid, t] : pods) n += (!t.gone && !t.terminating && t.running) ? 1 : 0;
  return n;
}
size_t present(const std::map<std::string, PodTracker::Times>& pods) {
  size_t n = 0;
  for (const auto& [uid, t] : pods) n += t.gone ? 0 : 1;
  return n;
}

json podTemplate(const std::string& app, const std::string& cpu) {
  return {{"metadata", {{"labels", {{"app", app}}}}},
          {"spec",
           {{"terminationGracePeriodSeconds", 0},
            {"containers", json::array({{{"name", "c"},
                                         {"image", "busybox:1.36.1"},
                                         {"command", {"sleep", "3600"}},
                                         {"resources", {{"requests", {{"cpu", cpu}}}}}}})}}}};
}

json podObject(const std::string& name, const std::string& app, const std::string& cpu) {
  json pod = podTemplate(app, cpu);
  pod["apiVersion"] = "v1";
  pod["kind"] = "Pod";
  pod["metadata"]["name"] = name;
  return pod;
}

// Creates pods name-0..name-(n-1) from `threads` clients; returns failures.
int createPods(const client::ClientConfig& config, const std::string& ns, int n, int threads,
               const std::function<json(int)>& make) {
  std::atomic<int> next{0}, errors{0};
  std::vector<std::jthread> ts;
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&] {
      auto c = std::move(client::RestClient::connect(config).value());
      for (int i = next++; i < n; i = next++) {
        auto created = c->create(pods(), ns, make(i));
        if (!created.isOk()) {
          if (errors++ < 3) std::cerr << "create: " << created.status().toString() << "\n";
        }
      }
    });
  }
  ts.clear();
  g_errors += errors;
  return errors;
}

// Deletes every pod of `ns` (grace 0) and waits until the API has none left.
void deleteAllPods(Cluster& cluster, const std::string& ns) {
  auto list = cluster.client().list(pods(), ns);
  if (!list.isOk()) return;
  std::vector<std::string> names;
  for (const auto& p : (*list)["items"]) names.push_back(p["metadata"]["name"]);
  std::atomic<size_t> next{0};
  {
    std::vector<std::jthread> ts;
    for (int t = 0; t < 16; ++t) {
      ts.emplace_back([&] {
        auto c = std::move(client::RestClient::connect(cluster.config()).value());
        client::DeleteOptions o;
        o.grace_period_seconds = 0;
        for (size_t i = next++; i < names.size(); i = next++)
          (void)c->remove(pods(), ns, names[i], o);
      });
    }
  }
  auto deadline = SteadyClock::now() + 60s;
  while (SteadyClock::now() < deadline) {
    auto again = cluster.client().list(pods(), ns);
    if (again.isOk() && (*again)["items"].empty()) return;
    std::this_thread::sleep_for(200ms);
  }
  std::cerr << "pods of " << ns << " still there after 60 s\n";
  ++g_errors;
}

double percentileOf(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1,
                    static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5))];
}

// Phases of the pods a tracker saw, relative to `start`: p50 of bound and running.
json phaseStats(const PodTracker& tracker, TimePoint start) {
  std::vector<double> bound, running, bind_to_run;
  tracker.with([&](const auto& ps) {
    for (const auto& [uid, t] : ps) {
      if (t.bound) bound.push_back(secondsSince(start, *t.bound));
      if (t.running) running.push_back(secondsSince(start, *t.running));
      if (t.bound && t.running) bind_to_run.push_back(secondsSince(*t.bound, *t.running));
    }
    return 0;
  });
  return {{"last_bound_s", bound.empty() ? 0 : *std::max_element(bound.begin(), bound.end())},
          {"bound_to_running_p50_s", percentileOf(bind_to_run, 0.5)},
          {"bound_to_running_p99_s", percentileOf(bind_to_run, 0.99)}};
}

json finishLine(json line) {
  line["load_after"] = bench::loadAverage();
  line["date"] = formatRfc3339(Clock::real().now());
  return line;
}

// ---------------------------------------------------------------------------------------
// rs: ReplicaSet 0 → 1,000 vs 1,000 direct creates, on 100 hollow nodes.

json benchReplicaSet(const std::string& binary, int rounds) {
  json line = bench::runInfo();
  line["bench"] = "controller";
  line["scenario"] = "rs_scale_1000";
  constexpr int kNodes = 100, kPods = 1000;
  Cluster cluster(binary, {}, true, {});
  if (!cluster.ok()) return finishLine(line);
  pid_t hollow = cluster.startHollow(kNodes, 0, "10s");
  if (!cluster.waitNodesReady(kNodes, 120s)) {
    std::cerr << "hollow nodes not Ready\n";
    ++g_errors;
    return finishLine(line);
  }
  line["hollow_nodes"] = kNodes;
  line["hollow_rss_idle_kb"] = rssKb(hollow);
  line["hollow_threads"] = threadsOf(hollow);
  std::cout << "100 hollow nodes: RSS " << rssKb(hollow) / 1024.0 << " MB, " << threadsOf(hollow)
            << " threads\n";
  cluster.createNamespace("direct");
  cluster.createNamespace("rs");
  const json rs_object = {{"apiVersion", "apps/v1"},
                          {"kind", "ReplicaSet"},
                          {"metadata", {{"name", "scale"}}},
                          {"spec",
                           {{"replicas", 0},
                            {"selector", {{"matchLabels", {{"app", "scale"}}}}},
                            {"template", podTemplate("scale", "10m")}}}};
  if (!cluster.client().create(res("apps", "replicasets"), "rs", rs_object).isOk()) ++g_errors;
  std::this_thread::sleep_for(1s);

  json direct_rounds = json::array(), rs_rounds = json::array();
  std::vector<double> exist_ratio, running_ratio;
  for (int round = 0; round < rounds; ++round) {
    // Baseline: the same 1,000 pods straight through the API (16 clients).
    json d;
    {
      PodTracker tracker(cluster.client(), "direct");
      auto start = SteadyClock::now();
      createPods(cluster.config(), "direct", kPods, 16,
                 [](int i) { return podObject("direct-" + std::to_string(i), "direct", "10m"); });
      auto exist = tracker.waitUntil([&](const auto& ps) { return present(ps) >= kPods; }, 120s);
      auto running =
          tracker.waitUntil([&](const auto& ps) { return liveRunning(ps) >= kPods; }, 300s);
      if (!exist || !running) ++g_errors;
      d = phaseStats(tracker, start);
      d["exist_s"] = exist ? secondsSince(start, *exist) : -1;
      d["running_s"] = running ? secondsSince(start, *running) : -1;
    }
    std::cout << "round " << round + 1 << " direct creates: 1,000 exist after " << d["exist_s"]
              << " s, all Running after " << d["running_s"] << " s (last bound "
              << d["last_bound_s"] << " s)\n";
    line["hollow_rss_1000_pods_kb"] = rssKb(hollow);
    deleteAllPods(cluster, "direct");

    // The ReplicaSet, scaled 0 → 1,000.
    json r;
    {
      PodTracker tracker(cluster.client(), "rs");
      auto start = SteadyClock::now();
      auto scaled =
          cluster.client().patch(res("apps", "replicasets"), "rs", "scale",
                                 client::PatchType::kMerge, R"({"spec":{"replicas":1000}})");
      if (!scaled.isOk()) ++g_errors;
      auto exist = tracker.waitUntil([&](const auto& ps) { return present(ps) >= kPods; }, 120s);
      auto running =
          tracker.waitUntil([&](const auto& ps) { return liveRunning(ps) >= kPods; }, 300s);
      if (!exist || !running) ++g_errors;
      r = phaseStats(tracker, start);
      r["exist_s"] = exist ? secondsSince(start, *exist) : -1;
      r["running_s"] = running ? secondsSince(start, *running) : -1;
    }
    std::cout << "round " << round + 1 << " ReplicaSet 0 → 1,000: 1,000 exist after "
              << r["exist_s"] << " s, all Running after " << r["running_s"] << " s (last bound "
              << r["last_bound_s"] << " s)\n";
    double er = r["exist_s"].get<double>() / d["exist_s"].get<double>();
    double rr = r["running_s"].get<double>() / d["running_s"].get<double>();
    exist_ratio.push_back(er);
    running_ratio.push_back(rr);
    std::cout << "  ratio ReplicaSet / direct: exist " << er << "x, Running " << rr
              << "x (goal <= 1.3x)\n";
    direct_rounds.push_back(d);
    rs_rounds.push_back(r);
    // Back to 0 for the next round.
    (void)cluster.client().patch(res("apps", "replicasets"), "rs", "scale",
                                 client::PatchType::kMerge, R"({"spec":{"replicas":0}})");
    auto deadline = SteadyClock::now() + 120s;
    while (SteadyClock::now() < deadline) {
      auto left = cluster.client().list(pods(), "rs");
      if (left.isOk() && (*left)["items"].empty()) break;
      std::this_thread::sleep_for(200ms);
    }
  }
  line["direct"] = direct_rounds;
  line["replicaset"] = rs_rounds;
  line["exist_ratio"] = percentileOf(exist_ratio, 0.5);
  line["running_ratio"] = percentileOf(running_ratio, 0.5);
  line["controller_manager_rss_kb"] = rssKb(cluster.controllerManager());
  return finishLine(line);
}

// ---------------------------------------------------------------------------------------
// rolling: a Deployment of 300, 25% surge and unavailable, template changed once.

json benchRolling(const std::string& binary) {
  json line = bench::runInfo();
  line["bench"] = "controller";
  line["scenario"] = "rolling_update_300";
  constexpr int kNodes = 100, kReplicas = 300, kSurge = 75, kUnavailable = 75;
  Cluster cluster(binary, {}, true, {});
  if (!cluster.ok()) return finishLine(line);
  cluster.startHollow(kNodes, 0, "10s");
  if (!cluster.waitNodesReady(kNodes, 120s)) {
    ++g_errors;
    return finishLine(line);
  }
  cluster.createNamespace("rolling");
  const auto& deployments = res("apps", "deployments");
  json dep = {{"apiVersion", "apps/v1"},
              {"kind", "Deployment"},
              {"metadata", {{"name", "web"}}},
              {"spec",
               {{"replicas", kReplicas},
                {"selector", {{"matchLabels", {{"app", "web"}}}}},
                {"strategy",
                 {{"type", "RollingUpdate"},
                  {"rollingUpdate", {{"maxSurge", "25%"}, {"maxUnavailable", "25%"}}}}},
                {"template", podTemplate("web", "10m")}}}};
  PodTracker tracker(cluster.client(), "rolling", "app=web");
  auto created_at = SteadyClock::now();
  if (!cluster.client().create(deployments, "rolling", dep).isOk()) ++g_errors;
  auto available = [&](int64_t min_generation) {
    auto got = cluster.client().get(deployments, "rolling", "web");
    if (!got.isOk()) return false;
    const json& st = (*got)["status"];
    int64_t generation = (*got)["metadata"].value("generation", int64_t{0});
    return generation >= min_generation &&
           st.value("observedGeneration", int64_t{0}) >= generation &&
           st.value("updatedReplicas", 0) == kReplicas && st.value("replicas", 0) == kReplicas &&
           st.value("availableReplicas", 0) == kReplicas;
  };
  auto deadline = SteadyClock::now() + 300s;
  while (!available(1) && SteadyClock::now() < deadline) std::this_thread::sleep_for(100ms);
  if (!available(1)) {
    std::cerr << "deployment never became available\n";
    ++g_errors;
    return finishLine(line);
  }
  double initial = secondsSince(created_at, SteadyClock::now());
  // Wait until the watch shows all 300 Ready, then record bounds from the update on.
  tracker.waitUntil(
      [&](const auto& ps) {
        size_t ready = 0;
        for (const auto& [uid, t] : ps) ready += (!t.gone && !t.terminating && t.ready) ? 1 : 0;
        return ready >= kReplicas;
      },
      60s);
  std::atomic<size_t> min_ready{kReplicas}, max_pods{0};
  tracker.onEvent([&](const PodTracker& t) {
    size_t ready = 0, total = 0;
    for (const auto& [uid, p] : t.podsLocked()) {
      if (p.gone) continue;
      if (!p.terminating) ++total;
      if (!p.terminating && p.ready) ++ready;
    }
    min_ready = std::min(min_ready.load(), ready);
    max_pods = std::max(max_pods.load(), total);
  });
  auto start = SteadyClock::now();
  auto patched = cluster.client().patch(
      deployments, "rolling", "web", client::PatchType::kMerge,
      R"({"spec":{"template":{"metadata":{"annotations":{"bench/rev":"2"}}}}})");
  if (!patched.isOk()) ++g_errors;
  int64_t generation = patched.isOk() ? (*patched)["metadata"].value("generation", int64_t{2}) : 2;
  deadline = SteadyClock::now() + 600s;
  while (!available(generation) && SteadyClock::now() < deadline) std::this_thread::sleep_for(50ms);
  double total = secondsSince(start, SteadyClock::now());
  // Old pods gone too (the update is complete when only new pods are left).
  auto old_gone = tracker.waitUntil([&](const auto& ps) { return present(ps) == kReplicas; }, 120s);
  double all_old_gone = old_gone ? secondsSince(start, *old_gone) : -1;
  tracker.onEvent({});
  bool ok = available(generation);
  if (!ok) ++g_errors;
  std::cout << "Deployment of 300: available after " << initial << " s; rolling update (25%/25%) "
            << "complete after " << total << " s (old pods gone after " << all_old_gone
            << " s); fewest Ready pods seen " << min_ready << " (bound " << kReplicas - kUnavailable
            << "), most pods " << max_pods << " (bound " << kReplicas + kSurge << ")\n";
  line["replicas"] = kReplicas;
  line["initial_available_s"] = initial;
  line["rollout_s"] = total;
  line["old_pods_gone_s"] = all_old_gone;
  line["min_ready"] = min_ready.load();
  line["min_ready_bound"] = kReplicas - kUnavailable;
  line["max_pods"] = max_pods.load();
  line["max_pods_bound"] = kReplicas + kSurge;
  line["availability_kept"] = min_ready.load() >= static_cast<size_t>(kReplicas - kUnavailable);
  return finishLine(line);
}

// ---------------------------------------------------------------------------------------
// scheduler: plain Ready nodes, 5,000 pods, pods bound per second.

json readyNode(const std::string& name) {
  return {{"apiVersion", "v1"},
          {"kind", "Node"},
          {"metadata", {{"name", name}, {"labels", {{"kubernetes.io/hostname", name}}}}},
          {"spec", json::object()}};
}

// First and last bind among the pods a tracker saw.
std::pair<TimePoint, TimePoint> bindWindow(const PodTracker& tracker) {
  TimePoint first = SteadyClock::time_point::max(), last{};
  tracker.with([&](const auto& ps) {
    for (const auto& [uid, t] : ps) {
      if (!t.bound) continue;
      first = std::min(first, *t.bound);
      last = std::max(last, *t.bound);
    }
    return 0;
  });
  return {first, last};
}

size_t boundCount(const PodTracker& tracker) {
  return tracker.count([](const auto& t) { return t.bound.has_value(); });
}

bool allBound(PodTracker& tracker, size_t pods) {
  return tracker
      .waitUntil(
          [&](const auto& ps) {
            size_t n = 0;
            for (const auto& [uid, t] : ps) n += t.bound ? 1 : 0;
            return n >= pods;
          },
          240s)
      .has_value();
}

json benchScheduler(const std::string& binary, int node_count) {
  json line = bench::runInfo();
  line["bench"] = "controller";
  line["scenario"] = "scheduler_throughput";
  line["nodes"] = node_count;
  line["node_kind"] = "plain Ready Node objects created through the API (no kubelets)";
  line["scheduler"] = "`minik8s scheduler --leader-elect=false` in its own process";
  constexpr int kPods = 1000;
  // No controller manager (nodes never heartbeat) and no scheduler in the server: the
  // scheduler runs as its own process, so that it can start on a backlog.
  Cluster cluster(binary, {"--run-scheduler=false"}, false, {});
  if (!cluster.ok()) return finishLine(line);
  const std::string now = formatRfc3339(Clock::real().now());
  json status = {{"status",
                  {{"capacity", {{"cpu", "32"}, {"memory", "128Gi"}, {"pods", "110"}}},
                   {"allocatable", {{"cpu", "32"}, {"memory", "128Gi"}, {"pods", "110"}}},
                   {"conditions", json::array({{{"type", "Ready"},
                                                {"status", "True"},
                                                {"reason", "KubeletReady"},
                                                {"lastHeartbeatTime", now},
                                                {"lastTransitionTime", now}}})}}}};
  const std::string status_body = status.dump();
  {
    std::atomic<int> next{0};
    std::vector<std::jthread> ts;
    for (int t = 0; t < 16; ++t) {
      ts.emplace_back([&] {
        auto c = std::move(client::RestClient::connect(cluster.config()).value());
        client::PatchOptions o;
        o.subresource = "status";
        for (int i = next++; i < node_count; i = next++) {
          std::string name = "node-" + std::to_string(i);
          if (!c->create(nodes(), "", readyNode(name)).isOk() ||
              !c->patch(nodes(), "", name, client::PatchType::kMerge, status_body, o).isOk()) {
            ++g_errors;
          }
        }
      });
    }
  }
  if (!cluster.waitNodesReady(node_count, 60s)) ++g_errors;
  const std::vector<std::string> scheduler_args = {
      binary, "scheduler", "--server", cluster.url(), "--leader-elect=false", "--log-level", "warn"};

  // 1. Pods created (16 clients) while the scheduler runs: creates and binds share the
  //    apiserver, so this is bounded by the create rate.
  pid_t scheduler = cluster.spawnExtra(scheduler_args, "scheduler-1.log");
  std::this_thread::sleep_for(2s);  // the scheduler's informers list the nodes
  cluster.createNamespace("sched");
  PodTracker tracker(cluster.client(), "sched");
  auto start = SteadyClock::now();
  createPods(cluster.config(), "sched", kPods, 16,
             [](int i) { return podObject("p-" + std::to_string(i), "sched", "10m"); });
  auto created = SteadyClock::now();
  bool bound = allBound(tracker, kPods);
  size_t bound_count = boundCount(tracker);
  auto [first_bind, last_bind] = bindWindow(tracker);
  double create_s = secondsSince(start, created);
  double window = bound_count > 1 ? secondsSince(first_bind, last_bind) : 0;
  double overall = static_cast<double>(bound_count) / secondsSince(start, last_bind);
  double bind_rate = window > 0 ? static_cast<double>(bound_count - 1) / window : 0;
  std::cout << "scheduler, " << node_count << " nodes, " << kPods << " pods created while it runs: created in "
            << create_s << " s (" << kPods / create_s << "/s), " << bound_count << " bound after "
            << secondsSince(start, last_bind) << " s" << (bound ? "" : " (240 s budget)") << ": "
            << overall << " pods/s from the first create; " << bind_rate
            << " pods/s between the first and last bind\n";
  line["pods"] = kPods;
  line["create_s"] = create_s;
  line["creates_per_s"] = kPods / create_s;
  line["bound"] = bound_count;
  line["pods_per_s_from_first_create"] = overall;
  line["pods_per_s_bind_window"] = bind_rate;
  cluster.stopExtra(scheduler);

  // 2. A backlog: 1,000 pending pods, then the scheduler starts. Pods bound per second
  //    between its first and last bind: the scheduler's own throughput, bindings included.
  cluster.createNamespace("backlog");
  PodTracker backlog(cluster.client(), "backlog");
  createPods(cluster.config(), "backlog", kPods, 16,
             [](int i) { return podObject("b-" + std::to_string(i), "backlog", "10m"); });
  auto started = SteadyClock::now();
  scheduler = cluster.spawnExtra(scheduler_args, "scheduler-2.log");
  bool backlog_bound = allBound(backlog, kPods);
  size_t backlog_count = boundCount(backlog);
  auto [backlog_first, backlog_last] = bindWindow(backlog);
  double backlog_window = backlog_count > 1 ? secondsSince(backlog_first, backlog_last) : 0;
  double backlog_rate =
      backlog_window > 0 ? static_cast<double>(backlog_count - 1) / backlog_window : 0;
  std::cout << "scheduler, " << node_count << " nodes, a backlog of " << kPods
            << " pending pods: first bind " << secondsSince(started, backlog_first)
            << " s after the scheduler started, " << backlog_count << " bound"
            << (backlog_bound ? "" : " (240 s budget)") << ": " << backlog_rate
            << " pods/s between the first and last bind (goal >= 5,000; kube-scheduler's "
               "published floor 680 at 5,000 nodes)\n";
  line["backlog_bound"] = backlog_count;
  line["backlog_first_bind_after_start_s"] = secondsSince(started, backlog_first);
  line["backlog_pods_per_s_bind_window"] = backlog_rate;
  cluster.stopExtra(scheduler);
  return finishLine(line);
}

// ---------------------------------------------------------------------------------------
// failure: one hollow node killed; stop → Unknown, stop → replacements Running.

json benchNodeFailure(const std::string& binary) {
  json line = bench::runInfo();
  line["bench"] = "controller";
  line["scenario"] = "node_failure";
  line["flags"] =
      "controller-manager --node-monitor-grace-period 4s --node-monitor-period 1s; "
      "server --default-unreachable-toleration-seconds=2; hollow nodes "
      "--node-status-update-frequency 1s";
  constexpr int kNodes = 10, kReplicas = 44;  // 11 nodes, 4 pods each
  Cluster cluster(binary, {"--default-unreachable-toleration-seconds=2"}, true,
                  {"--node-monitor-grace-period", "4s", "--node-monitor-period", "1s"});
  if (!cluster.ok()) return finishLine(line);
  cluster.startHollow(kNodes, 0, "1s");
  pid_t victim = cluster.startHollow(1, kNodes, "1s");
  const std::string victim_name = "hollow-" + std::to_string(kNodes);
  if (!cluster.waitNodesReady(kNodes + 1, 60s)) {
    ++g_errors;
    return finishLine(line);
  }
  cluster.createNamespace("fail");
  json rs = {{"apiVersion", "apps/v1"},
             {"kind", "ReplicaSet"},
             {"metadata", {{"name", "fail"}}},
             {"spec",
              {{"replicas", kReplicas},
               {"selector", {{"matchLabels", {{"app", "fail"}}}}},
               {"template", podTemplate("fail", "100m")}}}};
  PodTracker tracker(cluster.client(), "fail");
  if (!cluster.client().create(res("apps", "replicasets"), "fail", rs).isOk()) ++g_errors;
  if (!tracker.waitUntil([&](const auto& ps) { return liveRunning(ps) >= kReplicas; }, 120s)) {
    std::cerr << "pods not Running\n";
    ++g_errors;
    return finishLine(line);
  }
  size_t on_victim = tracker.count([&](const auto& t) { return !t.gone && t.node == victim_name; });
  std::this_thread::sleep_for(2s);
  auto stop = SteadyClock::now();
  cluster.killHollow(victim);
  // stop → Ready=Unknown (polled every 50 ms).
  std::optional<TimePoint> unknown;
  auto deadline = stop + 120s;
  while (SteadyClock::now() < deadline) {
    auto node = cluster.client().get(nodes(), "", victim_name);
    if (node.isOk()) {
      for (const auto& c : (*node)["status"].value("conditions", json::array())) {
        if (c.value("type", "") == "Ready" && c.value("status", "") == "Unknown")
          unknown = SteadyClock::now();
      }
    }
    if (unknown) break;
    std::this_thread::sleep_for(50ms);
  }
  // stop → replacements Running: kReplicas live pods Running on the other nodes.
  auto replaced = tracker.waitUntil(
      [&](const auto& ps) {
        size_t n = 0;
        for (const auto& [uid, t] : ps) {
          n += (!t.gone && !t.terminating && t.running && t.node != victim_name) ? 1 : 0;
        }
        return n >= kReplicas;
      },
      120s);
  if (!unknown || !replaced) ++g_errors;
  double to_unknown = unknown ? secondsSince(stop, *unknown) : -1;
  double to_replaced = replaced ? secondsSince(stop, *replaced) : -1;
  std::cout << "node failure (" << on_victim << " of " << kReplicas << " pods on " << victim_name
            << "): stop → Ready=Unknown " << to_unknown << " s, stop → replacements Running "
            << to_replaced << " s (goal <= 20 s)\n";
  line["pods_on_failed_node"] = on_victim;
  line["replicas"] = kReplicas;
  line["stop_to_unknown_s"] = to_unknown;
  line["stop_to_replacements_running_s"] = to_replaced;
  return finishLine(line);
}

// ---------------------------------------------------------------------------------------
// rss: controller-manager RSS idle and holding 10,000 pods.

json benchControllerManagerRss(const std::string& binary) {
  json line = bench::runInfo();
  line["bench"] = "controller";
  line["scenario"] = "controller_manager_rss";
  Cluster cluster(binary, {}, true, {});
  if (!cluster.ok()) return finishLine(line);
  std::this_thread::sleep_for(5s);  // leader election, informers synced
  long idle = rssKb(cluster.controllerManager());
  cluster.createNamespace("rss");
  createPods(cluster.config(), "rss", 10000, 16,
             [](int i) { return podObject("p-" + std::to_string(i), "rss", "10m"); });
  std::this_thread::sleep_for(5s);  // the informers have them
  long full = rssKb(cluster.controllerManager());
  std::cout << "controller-manager RSS: idle " << idle / 1024.0 << " MB (goal <= 20 MB), holding "
            << "10,000 pods " << full / 1024.0 << " MB (goal <= 100 MB)\n";
  line["rss_idle_kb"] = idle;
  line["rss_10k_pods_kb"] = full;
  line["controller_manager_threads"] = threadsOf(cluster.controllerManager());
  return finishLine(line);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args;
  std::set<std::string> only;
  int rounds = 2;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--only" && i + 1 < argc) {
      std::stringstream list(argv[++i]);
      for (std::string s; std::getline(list, s, ',');) only.insert(s);
    } else if (a == "--rounds" && i + 1 < argc) {
      rounds = std::stoi(argv[++i]);
    } else {
      args.push_back(a);
    }
  }
  if (args.empty()) {
    std::cerr << "usage: controller_bench <minik8s binary> [results file] [--only "
                 "rs,rolling,scheduler,failure,rss] [--rounds 2]\n";
    return 2;
  }
  // A private copy: the shared build dir may relink the binary while the bench runs.
  char bin_tmpl[] = "/tmp/minik8s-controller-bench-bin-XXXXXX";
  if (mkdtemp(bin_tmpl) == nullptr) {
    std::cerr << "mkdtemp failed\n";
    return 1;
  }
  const std::string bin_dir = bin_tmpl;
  const std::string binary = bin_dir + "/minik8s";
  std::error_code copy_error;
  std::filesystem::copy_file(args[0], binary, copy_error);
  if (copy_error) {
    std::cerr << "copying " << args[0] << ": " << copy_error.message() << "\n";
    std::filesystem::remove_all(bin_dir, copy_error);
    return 1;
  }
  const std::string results = args.size() > 1 ? args[1] : "bench/results.jsonl";
  signal(SIGPIPE, SIG_IGN);
  auto want = [&](const std::string& s) { return only.empty() || only.count(s) > 0; };
  int errors_before = 0;
  auto record = [&](json line) {
    line["errors"] = g_errors.load() - errors_before;
    errors_before = g_errors.load();
    if (!line.value("quiet", false)) {
      std::cerr << "note: load average " << line["load_before"]
                << " >= 1 before this scenario; it is marked quiet=false\n";
    }
    std::ofstream out(results, std::ios::app);
    out << line.dump() << "\n";
  };
  if (want("rs")) record(benchReplicaSet(binary, rounds));
  if (want("rolling")) record(benchRolling(binary));
  if (want("scheduler")) {
    record(benchScheduler(binary, 1000));
    record(benchScheduler(binary, 5000));
  }
  if (want("failure")) record(benchNodeFailure(binary));
  if (want("rss")) record(benchControllerManagerRss(binary));
  std::error_code ec;
  std::filesystem::remove_all(bin_dir, ec);
  std::cout << "results appended to " << results << "\n";
  if (g_errors > 0) std::cerr << g_errors << " operations failed: the run is marked with errors\n";
  return g_errors > 0 ? 1 : 0;
}
