// apiserver end-to-end benchmarks (bench/README.md has the results):
//   1. pod creates over HTTP with 16 concurrent clients vs raw etcd puts, 16 in flight
//   2. LIST of 10,000 pods from the watch cache (resourceVersion=0), JSON and Table
//   3. watch fan-out: 1,000 watchers of pods, 1,000 updates, write-to-delivery delay
//   4. apiserver RSS idle and holding 10,000 pods
// Starts its own etcd and `minik8s apiserver` child on free loopback ports, prints the
// numbers and appends them as one JSON line to the results file (the second argument).
//
//   apiserver_bench <path to minik8s> [results file] [--creates-only]
//                   [--create-body=json|protobuf|both]
//
// --creates-only stops after (1), for quick before/after comparisons of the create path.
// --create-body replaces (1) with creates of the seed pod (bench_pods.h) whose bodies are
// JSON, protobuf (application/vnd.kubernetes.protobuf, encoded before the timing), or both
// in alternating order within each round, each against the raw etcd puts of the same round
// (the pod's JSON as the value), and stops there. Responses are JSON in every mode.
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "api/protobuf_body.h"
#include "bench_pods.h"
#include "run_info.h"
#include "common/clock.h"
#include "store/etcd_fixture.h"
#include "testing/http_client.h"

using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;
using minik8s::bench::cpuMs;
using minik8s::testing::HttpConnection;
using minik8s::testing::HttpResult;

namespace {

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

long rssKb(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

std::string podJson(const std::string& name) {
  return json({{"apiVersion", "v1"},
               {"kind", "Pod"},
               {"metadata", {{"name", name}, {"namespace", "default"}, {"labels", {{"app", "bench"}}}}},
               {"spec",
                {{"containers", json::array({{{"name", "c"},
                                              {"image", "busybox"},
                                              {"command", {"sleep", "3600"}},
                                              {"resources", {{"requests", {{"cpu", "10m"}, {"memory", "16Mi"}}}}}}})}}}})
      .dump();
}

bool request(HttpConnection& c, const std::string& method, const std::string& target,
             const std::string& body, HttpResult* out,
             std::map<std::string, std::string> headers = {}) {
  if (!c.sendRequest(method, target, body, headers)) return false;
  return c.readResponse(out, std::chrono::seconds(30));
}

constexpr int kClients = 16;           // HTTP clients, and raw puts in flight
constexpr int kRounds = 5;             // interleaved raw/API rounds
constexpr int kPerClientPerRound = 100;

// Operations that failed in the whole run: a run with errors is marked and exits non-zero.
std::atomic<int> g_errors{0};

// N threads, each with one keep-alive connection, create `per_thread` pods.
double createPods(uint16_t port, int threads, int per_thread, const std::string& prefix) {
  auto start = SteadyClock::now();
  std::vector<std::thread> ts;
  std::atomic<int> errors{0};
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&, t] {
      HttpConnection c(port);
      for (int i = 0; i < per_thread; ++i) {
        HttpResult r;
        std::string name = prefix + std::to_string(t) + "-" + std::to_string(i);
        if (!request(c, "POST", "/api/v1/namespaces/default/pods", podJson(name), &r) || r.status != 201) {
          ++errors;
        }
      }
    });
  }
  for (auto& t : ts) t.join();
  double secs = std::chrono::duration<double>(SteadyClock::now() - start).count();
  if (errors) std::cerr << "create errors: " << errors << "\n";
  g_errors += errors;
  return threads * per_thread / secs;
}

// N threads (one per entry of `bodies`), each with one keep-alive connection, POST their
// prepared bodies with `content_type`; creates per second.
double postBodies(uint16_t port, const std::vector<std::vector<std::string>>& bodies,
                  const std::string& content_type) {
  auto start = SteadyClock::now();
  std::vector<std::thread> ts;
  std::atomic<int> errors{0}, sent{0};
  for (const auto& mine : bodies) {
    ts.emplace_back([&] {
      HttpConnection c(port);
      for (const auto& body : mine) {
        HttpResult r;
        ++sent;
        if (!request(c, "POST", "/api/v1/namespaces/default/pods", body, &r,
                     {{"Content-Type", content_type}, {"Accept", "application/json"}}) ||
            r.status != 201) {
          if (errors++ == 0) std::cerr << "create failed: " << r.status << " " << r.body << "\n";
        }
      }
    });
  }
  for (auto& t : ts) t.join();
  double secs = std::chrono::duration<double>(SteadyClock::now() - start).count();
  if (errors) std::cerr << "create errors: " << errors << "\n";
  g_errors += errors;
  return sent / secs;
}

// The seed pod's create bodies for `threads` clients, `per_thread` each, named
// <prefix><thread>-<i>, as JSON or protobuf.
std::vector<std::vector<std::string>> seedBodies(int threads, int per_thread,
                                                 const std::string& prefix, bool protobuf) {
  std::vector<std::vector<std::string>> bodies(threads);
  for (int t = 0; t < threads; ++t) {
    for (int i = 0; i < per_thread; ++i) {
      json pod = minik8s::bench::seedPod(prefix + std::to_string(t) + "-" + std::to_string(i));
      if (!protobuf) {
        bodies[t].push_back(pod.dump());
        continue;
      }
      auto encoded = minik8s::api::encodeProtobufBody(pod);
      if (!encoded.isOk()) {
        std::cerr << "encodeProtobufBody: " << encoded.status().toString() << "\n";
        std::exit(1);
      }
      bodies[t].push_back(std::move(encoded).value());
    }
  }
  return bodies;
}

double etcdPuts(minik8s::store::Store& store, int threads, int per_thread,
                const std::string& prefix, std::string value = podJson("raw")) {
  auto start = SteadyClock::now();
  std::vector<std::thread> ts;
  std::atomic<int> errors{0};
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        auto key = "/bench/raw/" + prefix + std::to_string(t) + "-" + std::to_string(i);
        if (!store.create(key, value).isOk()) ++errors;
      }
    });
  }
  for (auto& t : ts) t.join();
  if (errors) std::cerr << "raw put errors: " << errors << "\n";
  g_errors += errors;
  return threads * per_thread / std::chrono::duration<double>(SteadyClock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args;
  bool creates_only = false;
  std::string create_body;  // "", "json", "protobuf" or "both"
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--creates-only") {
      creates_only = true;
    } else if (arg.rfind("--create-body=", 0) == 0) {
      create_body = arg.substr(14);
      if (create_body != "json" && create_body != "protobuf" && create_body != "both") {
        std::cerr << "--create-body must be json, protobuf or both\n";
        return 2;
      }
    } else {
      args.emplace_back(argv[i]);
    }
  }
  if (args.empty()) {
    std::cerr << "usage: apiserver_bench <minik8s binary> [results file] [--creates-only] "
                 "[--create-body=json|protobuf|both]\n";
    return 2;
  }
  const std::string& binary = args[0];
  std::string results_path = args.size() > 1 ? args[1] : "bench/results.jsonl";
  auto etcd = minik8s::store::testing::EtcdFixture::start();
  if (!etcd.isOk()) {
    std::cerr << etcd.status().toString() << "\n";
    return 1;
  }
  auto store = (*etcd)->connect();
  if (!store.isOk()) return 1;
  int port = *minik8s::store::pickFreePort();
  pid_t server = fork();
  if (server == 0) {
    execl(binary.c_str(), binary.c_str(), "apiserver", "--etcd-servers", (*etcd)->endpoint().c_str(), "--port",
          std::to_string(port).c_str(), "--log-level", "warn", "--etcd-compaction-interval", "0",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  auto ready_deadline = SteadyClock::now() + std::chrono::seconds(20);
  while (minik8s::testing::httpCall(static_cast<uint16_t>(port), "GET", "/readyz").status != 200) {
    if (SteadyClock::now() > ready_deadline) {
      std::cerr << "apiserver did not become ready\n";
      kill(server, SIGKILL);
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  auto p = static_cast<uint16_t>(port);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  json results;
  // Stops the apiserver and appends the results (every run, errors or not).
  auto finish = [&] {
    kill(server, SIGTERM);
    waitpid(server, nullptr, 0);
    results["load_after"] = minik8s::bench::loadAverage();
    results["errors"] = g_errors.load();
    std::ofstream out(results_path, std::ios::app);
    out << results.dump() << "\n";
    std::cout << "results appended to " << results_path << "\n";
    if (g_errors > 0) std::cerr << g_errors << " operations failed: the run is marked with errors\n";
    return g_errors > 0 ? 1 : 0;
  };
  results = minik8s::bench::runInfo();
  if (!results["quiet"].get<bool>()) {
    std::cerr << "warning: load average " << results["load_before"]
              << " >= 1 before the run; the numbers are marked quiet=false\n";
  }
  results["date"] = minik8s::formatRfc3339(minik8s::Clock::real().now());
  results["http_clients"] = kClients;
  results["apiserver_workers"] = 32;
  results["rss_idle_kb"] = rssKb(server);
  std::cout << "apiserver RSS idle: " << rssKb(server) / 1024.0 << " MB\n";

  if (!create_body.empty()) {
    // 1'. seed-pod creates with JSON and/or protobuf bodies vs raw puts of the pod's JSON.
    // With both, each round runs the raw puts, then the two encodings in an order that
    // alternates between rounds.
    std::vector<std::string> kinds;
    if (create_body != "protobuf") kinds.push_back("json");
    if (create_body != "json") kinds.push_back("protobuf");
    const std::string raw_value = minik8s::bench::seedPod("raw").dump();
    results["create_body"] = create_body;
    results["pod_body"] = "seed";
    results["body_bytes_json"] = raw_value.size();
    results["body_bytes_protobuf"] =
        minik8s::api::encodeProtobufBody(minik8s::bench::seedPod("raw")).value().size();
    std::vector<double> raws;
    std::map<std::string, std::vector<double>> rates, ratios;
    std::map<std::string, double> cpu_ms;
    std::vector<double> pb_vs_json;
    for (int round = 0; round < kRounds; ++round) {
      const std::string tag = "r" + std::to_string(round) + "-";
      double raw = etcdPuts(**store, kClients, kPerClientPerRound, tag, raw_value);
      raws.push_back(raw);
      std::cout << "round " << round + 1 << ": etcd puts " << raw << "/s";
      std::vector<std::string> order = kinds;
      if (round % 2 == 1) std::reverse(order.begin(), order.end());
      std::map<std::string, double> rate;
      for (const auto& kind : order) {
        bool pb = kind == "protobuf";
        auto bodies = seedBodies(kClients, kPerClientPerRound, (pb ? "cp" : "cj") + tag, pb);
        double cpu_before = cpuMs(server);
        rate[kind] = postBodies(p, bodies,
                                pb ? "application/vnd.kubernetes.protobuf" : "application/json");
        cpu_ms[kind] += cpuMs(server) - cpu_before;
        rates[kind].push_back(rate[kind]);
        ratios[kind].push_back(rate[kind] / raw);
        std::cout << ", " << kind << " creates " << rate[kind] << "/s (ratio " << rate[kind] / raw
                  << ")";
      }
      if (rate.size() == 2) {
        pb_vs_json.push_back(rate["protobuf"] / rate["json"]);
        std::cout << ", protobuf/json " << pb_vs_json.back();
      }
      std::cout << "\n";
    }
    results["rounds"] = kRounds;
    results["etcd_puts_per_s"] = percentile(raws, 0.5);
    const int per_kind = kRounds * kClients * kPerClientPerRound;
    for (const auto& kind : kinds) {
      results[kind + "_creates_per_s"] = percentile(rates[kind], 0.5);
      results[kind + "_create_ratio"] = percentile(ratios[kind], 0.5);
      results[kind + "_create_ratios"] = ratios[kind];
      results[kind + "_apiserver_cpu_us_per_create"] = cpu_ms[kind] * 1000 / per_kind;
      std::cout << kind << ": median ratio to raw puts " << percentile(ratios[kind], 0.5)
                << ", apiserver CPU per create " << cpu_ms[kind] * 1000 / per_kind << " us\n";
    }
    if (!pb_vs_json.empty()) {
      results["protobuf_vs_json_ratio"] = percentile(pb_vs_json, 0.5);
      results["protobuf_vs_json_ratios"] = pb_vs_json;
      std::cout << "protobuf/json creates per second, median of " << kRounds
                << " rounds: " << percentile(pb_vs_json, 0.5) << "\n";
    }
    results["creates_only"] = true;
    return finish();
  }

  // 1. creates vs raw puts: kRounds rounds that alternate a burst of raw etcd puts (the
  // baseline) and a burst of API creates, so both see the same machine; the median ratio
  // is the result.
  std::vector<double> raws, creates, ratios;
  double cpu_ms = 0;
  for (int round = 0; round < kRounds; ++round) {
    const std::string tag = "r" + std::to_string(round) + "-";
    double raw = etcdPuts(**store, kClients, kPerClientPerRound, tag);
    double cpu_before = cpuMs(server);
    double created = createPods(p, kClients, kPerClientPerRound, "c" + tag);
    cpu_ms += cpuMs(server) - cpu_before;
    raws.push_back(raw);
    creates.push_back(created);
    ratios.push_back(created / raw);
    std::cout << "round " << round + 1 << ": etcd puts " << raw << "/s, pod creates " << created
              << "/s, ratio " << created / raw << "\n";
  }
  const int created_total = kRounds * kClients * kPerClientPerRound;
  double cpu_per_create = cpu_ms / created_total;
  std::cout << "median ratio of " << kRounds << " interleaved rounds: " << percentile(ratios, 0.5)
            << "\napiserver CPU per create: " << cpu_per_create * 1000 << " us\n";
  results["rounds"] = kRounds;
  results["etcd_puts_per_s"] = percentile(raws, 0.5);
  results["pod_creates_per_s"] = percentile(creates, 0.5);
  results["create_ratio"] = percentile(ratios, 0.5);
  results["create_ratios"] = ratios;
  results["apiserver_cpu_us_per_create"] = cpu_per_create * 1000;
  if (creates_only) {
    results["creates_only"] = true;
    return finish();
  }

  // Fill up to 10,000 pods.
  createPods(p, kClients, (10000 - created_total) / kClients, "f");
  std::this_thread::sleep_for(std::chrono::seconds(1));
  results["rss_10k_pods_kb"] = rssKb(server);
  std::cout << "apiserver RSS with 10,000 pods: " << rssKb(server) / 1024.0 << " MB\n";

  // 2. LIST from the cache.
  for (bool table : {false, true}) {
    HttpConnection c(p);
    std::vector<double> ms;
    size_t items = 0, bytes = 0;
    for (int i = 0; i < 20; ++i) {
      HttpResult r;
      std::map<std::string, std::string> h;
      if (table) h["Accept"] = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json";
      auto s = SteadyClock::now();
      request(c, "GET", "/api/v1/namespaces/default/pods?resourceVersion=0", "", &r, h);
      ms.push_back(std::chrono::duration<double, std::milli>(SteadyClock::now() - s).count());
      bytes = r.body.size();
      if (i == 0) items = json::parse(r.body)[table ? "rows" : "items"].size();
    }
    std::string kind = table ? "table" : "json";
    std::cout << "LIST " << items << " pods as " << kind << " (" << bytes / 1024 << " KiB): p50 "
              << percentile(ms, 0.5) << " ms, p99 " << percentile(ms, 0.99) << " ms\n";
    results["list_" + kind + "_items"] = items;
    results["list_" + kind + "_p50_ms"] = percentile(ms, 0.5);
    results["list_" + kind + "_p99_ms"] = percentile(ms, 0.99);
  }

  // 3. watch fan-out: 1,000 watchers on one namespace, 1,000 updates of one pod.
  {
    constexpr int kWatchers = 1000, kUpdates = 1000;
    HttpResult created;
    HttpConnection writer(p);
    request(writer, "POST", "/api/v1/namespaces/default/pods", podJson("fanout"), &created);
    std::string rv = json::parse(created.body)["metadata"]["resourceVersion"];
    std::vector<std::unique_ptr<HttpConnection>> watchers;
    for (int i = 0; i < kWatchers; ++i) {
      auto c = std::make_unique<HttpConnection>(p);
      c->sendRequest("GET", "/api/v1/namespaces/default/pods?watch=true&fieldSelector=metadata.name%3Dfanout&resourceVersion=" + rv, "", {});
      HttpResult head;
      c->readHead(&head, std::chrono::seconds(10));
      watchers.push_back(std::move(c));
    }
    // Send times in ns since `origin`, written before each PATCH, read by the readers.
    auto origin = SteadyClock::now();
    std::vector<std::atomic<int64_t>> sent(kUpdates + 1);
    std::mutex mu;
    std::vector<double> delays;
    // Readers: a few threads, each polling its slice of the watchers at once.
    std::vector<std::thread> readers;
    constexpr int kReaders = 4;
    for (int r = 0; r < kReaders; ++r) {
      readers.emplace_back([&, r] {
        std::vector<double> local;
        std::vector<HttpConnection*> mine;
        for (int i = r; i < kWatchers; i += kReaders) mine.push_back(watchers[i].get());
        size_t expected = mine.size() * kUpdates;
        std::vector<pollfd> fds;
        for (auto* c : mine) fds.push_back(pollfd{c->fd(), POLLIN, 0});
        auto deadline = SteadyClock::now() + std::chrono::seconds(120);
        while (local.size() < expected && SteadyClock::now() < deadline) {
          if (::poll(fds.data(), fds.size(), 1000) <= 0) continue;
          auto at = SteadyClock::now();
          for (size_t i = 0; i < fds.size(); ++i) {
            if (!(fds[i].revents & POLLIN)) continue;
            mine[i]->readAvailable();
            while (auto line = mine[i]->bufferedLine()) {
              auto pos = line->find("\"seq\":\"");
              if (pos == std::string::npos) continue;
              int seq = std::atoi(line->c_str() + pos + 7);
              if (seq < 1 || seq > kUpdates) continue;
              auto sent_at = origin + std::chrono::nanoseconds(sent[seq].load());
              local.push_back(std::chrono::duration<double, std::milli>(at - sent_at).count());
            }
          }
        }
        std::lock_guard lock(mu);
        delays.insert(delays.end(), local.begin(), local.end());
      });
    }
    auto start = SteadyClock::now();
    for (int u = 1; u <= kUpdates; ++u) {
      HttpResult r;
      sent[u] = std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyClock::now() - origin).count();
      request(writer, "PATCH", "/api/v1/namespaces/default/pods/fanout",
              json({{"metadata", {{"labels", {{"seq", std::to_string(u)}}}}}}).dump(), &r,
              {{"Content-Type", "application/merge-patch+json"}});
    }
    double write_secs = std::chrono::duration<double>(SteadyClock::now() - start).count();
    for (auto& t : readers) t.join();
    std::cout << "watch fan-out: " << kWatchers << " watchers x " << kUpdates << " updates ("
              << kUpdates / write_secs << " updates/s): " << delays.size()
              << " deliveries, delay p50 " << percentile(delays, 0.5) << " ms, p99 "
              << percentile(delays, 0.99) << " ms\n";
    results["fanout_deliveries"] = delays.size();
    results["fanout_p50_ms"] = percentile(delays, 0.5);
    results["fanout_p99_ms"] = percentile(delays, 0.99);
  }
  results["rss_end_kb"] = rssKb(server);
  return finish();
}
