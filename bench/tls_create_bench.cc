// Pod-create throughput over HTTPS (with x509 authentication and authorization) against
// plain HTTP, in the same run (bench/README.md has the results). The multi-node issue's goal:
// creates over TLS >= 0.85 x creates over plain HTTP.
//
//   tls_create_bench <path to minik8s> [results file]
//
// Starts one etcd and two `minik8s apiserver` children on it, on free loopback ports: one
// with --tls (its cluster CA and admin certificate in a temp --pki-dir), one without. Then:
//   1. creates: kRounds rounds, each a burst of creates from kClients threads against each
//      server (the order alternates between rounds); each thread has its own
//      client::BeastTransport (one keep-alive connection, kept across rounds) with the same
//      client code for both, so the only difference is TLS + authentication. Per-round rates,
//      the median ratio TLS/plain, and each apiserver's CPU time per create (/proc/<pid>/stat
//      around its own bursts), as well as this process's (the clients').
//   2. connections: kConnections sequential GET /readyz, each on a fresh transport (a new
//      TCP connection, and a full TLS handshake with the client certificate), plain and TLS
//      interleaved, against the same number on one kept-alive connection: µs per request and
//      the apiserver's CPU per request.
// Prints the numbers and appends one JSON line to the results file (every run; a run with a
// failed operation is marked with its error count and exits non-zero). Kills only the
// processes it started, by PID, and removes its temp dir.
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "client/transport.h"
#include "common/clock.h"
#include "common/files.h"
#include "run_info.h"
#include "store/etcd_fixture.h"

using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;
using minik8s::bench::cpuMs;
namespace client = minik8s::client;

namespace {

constexpr int kClients = 16;  // create threads, one keep-alive connection each
constexpr int kRounds = 6;    // each round: one plain burst and one TLS burst
constexpr int kPerClientPerRound = 150;
constexpr int kWarmupPerClient = 10;
constexpr int kConnections = 200;  // sequential requests on fresh connections, per kind
constexpr double kGoal = 0.85;     // TLS / plain create rate

// Operations that failed in the whole run: a run with errors is marked and exits non-zero.
std::atomic<int> g_errors{0};

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// The PEM file's content; "" while the server has not written it.
std::string readPem(const std::string& path) {
  auto text = minik8s::readFile(path);
  return text.isOk() ? std::move(text).value() : "";
}

std::string podJson(const std::string& name) {
  return json({{"apiVersion", "v1"},
               {"kind", "Pod"},
               {"metadata",
                {{"name", name}, {"namespace", "default"}, {"labels", {{"app", "bench"}}}}},
               {"spec",
                {{"containers",
                  json::array(
                      {{{"name", "c"},
                        {"image", "busybox"},
                        {"command", {"sleep", "3600"}},
                        {"resources", {{"requests", {{"cpu", "10m"}, {"memory", "16Mi"}}}}}}})}}}})
      .dump();
}

// The processes and the temp dir this run created; the destructor stops the processes by
// PID (SIGTERM, then SIGKILL after 5 s) and removes the dir.
class Children {
 public:
  explicit Children(std::string dir) : dir_(std::move(dir)) {}
  ~Children() {
    for (pid_t pid : pids_) stop(pid);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  Children(const Children&) = delete;
  Children& operator=(const Children&) = delete;

  const std::string& dir() const { return dir_; }

  pid_t spawn(const std::vector<std::string>& argv) {
    pid_t pid = fork();
    if (pid == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // not left behind if this process dies
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
    if (pid > 0) pids_.push_back(pid);
    return pid;
  }

  static bool exited(pid_t pid) { return waitpid(pid, nullptr, WNOHANG) == pid; }

 private:
  static void stop(pid_t pid) {
    if (kill(pid, SIGTERM) != 0) {
      waitpid(pid, nullptr, WNOHANG);
      return;
    }
    auto deadline = SteadyClock::now() + std::chrono::seconds(5);
    while (SteadyClock::now() < deadline) {
      if (waitpid(pid, nullptr, WNOHANG) == pid) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }

  std::string dir_;
  std::vector<pid_t> pids_;
};

std::unique_ptr<client::BeastTransport> makeTransport(const client::ClientConfig& config) {
  auto transport = client::BeastTransport::create(config);
  if (!transport.isOk()) {
    std::cerr << "BeastTransport::create(" << config.server
              << "): " << transport.status().toString() << "\n";
    return nullptr;
  }
  return std::move(transport).value();
}

int getReadyz(client::HttpTransport& transport) {
  client::HttpRequest request;
  request.target = "/readyz";
  auto response = transport.roundTrip(request);
  return response.isOk() ? response->status : 0;
}

// One apiserver child and how to reach it.
struct Server {
  std::string kind;  // "plain" or "tls"
  pid_t pid = -1;
  client::ClientConfig config;
  std::vector<std::unique_ptr<client::BeastTransport>> transports;  // one per client thread
  std::vector<double> rates;
  double cpu_ms = 0;         // its own CPU during its bursts
  double other_cpu_ms = 0;   // the other server's CPU during its bursts
  double client_cpu_ms = 0;  // this process's CPU during its bursts
  int created = 0;
};

// Waits for /readyz = 200 (anonymous; for TLS the CA is read once the server wrote it).
bool waitReady(Server& server, const std::string& pki_dir) {
  auto deadline = SteadyClock::now() + std::chrono::seconds(30);
  while (SteadyClock::now() < deadline) {
    if (Children::exited(server.pid)) {
      std::cerr << server.kind << " apiserver exited before it was ready\n";
      return false;
    }
    client::ClientConfig probe = server.config;
    bool have_ca = true;
    if (server.kind == "tls") {
      probe.tls = {};
      probe.tls.ca_pem = readPem(pki_dir + "/ca.crt");
      have_ca = !probe.tls.ca_pem.empty();
    }
    if (have_ca) {
      probe.timeout = std::chrono::seconds(2);
      auto created = client::BeastTransport::create(probe);  // fails while ca.crt is partial
      if (created.isOk() && getReadyz(**created) == 200) return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::cerr << server.kind << " apiserver did not become ready in 30 s\n";
  return false;
}

// Each of the server's transports (one thread each) creates `per_thread` pods named
// <prefix><thread>-<i>; creates per second. Non-201 answers and transport failures count as
// errors.
double createBurst(Server& server, int per_thread, const std::string& prefix) {
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  auto start = SteadyClock::now();
  for (size_t t = 0; t < server.transports.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        client::HttpRequest request;
        request.method = "POST";
        request.target = "/api/v1/namespaces/default/pods";
        request.headers = {{"Content-Type", "application/json"}, {"Accept", "application/json"}};
        request.body = podJson(prefix + std::to_string(t) + "-" + std::to_string(i));
        auto response = server.transports[t]->roundTrip(request);
        if (!response.isOk() || response->status != 201) {
          if (errors++ == 0) {
            std::cerr << server.kind << " create failed: "
                      << (response.isOk() ? std::to_string(response->status) + " " + response->body
                                          : response.status().toString())
                      << "\n";
          }
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  double secs = std::chrono::duration<double>(SteadyClock::now() - start).count();
  if (errors) std::cerr << server.kind << " create errors: " << errors << "\n";
  g_errors += errors;
  return static_cast<double>(server.transports.size()) * per_thread / secs;
}

// The p-th quantile (0..1) of `v`, nearest rank.
double quantile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

// One timed GET /readyz: µs, and an error counted when it is not 200.
double timedReadyz(const Server& server, client::HttpTransport& transport) {
  auto start = SteadyClock::now();
  int status = getReadyz(transport);
  double us = std::chrono::duration<double, std::micro>(SteadyClock::now() - start).count();
  if (status != 200 && g_errors++ == 0) {
    std::cerr << server.kind << " GET /readyz: " << status << "\n";
  }
  return us;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: tls_create_bench <minik8s binary> [results file]\n";
    return 2;
  }
  const std::string binary = std::filesystem::absolute(argv[1]).string();
  const std::string results_path = argc > 2 ? argv[2] : "bench/results.jsonl";
  json results = minik8s::bench::runInfo();
  results["bench"] = "tls_create";
  results["date"] = minik8s::formatRfc3339(minik8s::Clock::real().now());
  if (!results["quiet"].get<bool>()) {
    std::cerr << "warning: load average " << results["load_before"]
              << " >= 1 before the run; the numbers are marked quiet=false\n";
  }

  std::string tmpl = (std::filesystem::temp_directory_path() / "minik8s-tlsbench-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) {
    std::cerr << "mkdtemp failed\n";
    return 1;
  }
  auto etcd = minik8s::store::testing::EtcdFixture::start();
  if (!etcd.isOk()) {
    std::error_code ec;
    std::filesystem::remove_all(tmpl, ec);
    std::cerr << etcd.status().toString() << "\n";
    return 1;
  }
  // Declared after the etcd fixture, so the apiservers stop before etcd does.
  Children children(tmpl);
  const std::string pki_dir = children.dir() + "/pki";

  Server plain, tls;
  plain.kind = "plain";
  tls.kind = "tls";
  for (Server* s : {&plain, &tls}) {
    auto port = minik8s::store::pickFreePort();
    if (!port.isOk()) {
      std::cerr << "pickFreePort: " << port.status().toString() << "\n";
      return 1;
    }
    bool is_tls = s == &tls;
    std::vector<std::string> argv = {binary,
                                     "apiserver",
                                     "--data-dir",
                                     children.dir() + "/" + s->kind,
                                     "--port",
                                     std::to_string(*port),
                                     "--etcd-servers",
                                     (*etcd)->endpoint(),
                                     "--etcd-compaction-interval",
                                     "0",
                                     "--log-level",
                                     "warn"};
    if (is_tls) {
      argv.insert(argv.begin() + 2, {"--tls", "--pki-dir", pki_dir});
    }
    s->pid = children.spawn(argv);
    if (s->pid < 0) {
      std::cerr << "fork failed\n";
      return 1;
    }
    s->config.server =
        std::string(is_tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(*port);
    s->config.user_agent = "tls_create_bench";
    // One after the other: two apiservers starting at once on a fresh etcd can both try to
    // create the `kubernetes` Service, and the second then exits ("10.96.0.1 is already
    // allocated").
    if (!waitReady(*s, pki_dir)) return 1;
  }
  tls.config.tls.ca_pem = readPem(pki_dir + "/ca.crt");
  tls.config.tls.client_cert_pem = readPem(pki_dir + "/admin.crt");
  tls.config.tls.client_key_pem = readPem(pki_dir + "/admin.key");
  for (Server* s : {&plain, &tls}) {
    for (int t = 0; t < kClients; ++t) {
      auto transport = makeTransport(s->config);
      if (transport == nullptr) return 1;
      s->transports.push_back(std::move(transport));
    }
  }

  // Stops the children (by the guard) and appends the results: every run, errors or not.
  auto finish = [&] {
    results["load_after"] = minik8s::bench::loadAverage();
    results["errors"] = g_errors.load();
    std::ofstream out(results_path, std::ios::app);
    out << results.dump() << "\n";
    std::cout << "results appended to " << results_path << "\n";
    if (g_errors > 0) {
      std::cerr << g_errors << " operations failed: the run is marked with errors\n";
    }
    return g_errors > 0 ? 1 : 0;
  };

  // 1. creates. A warm-up burst opens each thread's connection (the TLS handshakes) and
  // warms both servers; it is not counted.
  for (Server* s : {&plain, &tls}) createBurst(*s, kWarmupPerClient, "w" + s->kind + "-");
  std::vector<double> ratios;
  std::vector<std::string> firsts;
  for (int round = 0; round < kRounds; ++round) {
    std::vector<Server*> order = {&plain, &tls};
    if (round % 2 == 1) std::reverse(order.begin(), order.end());
    firsts.push_back(order[0]->kind);
    std::cout << "round " << round + 1 << ":";
    for (Server* s : order) {
      Server* other = s == &plain ? &tls : &plain;
      double cpu_before = cpuMs(s->pid);
      double other_before = cpuMs(other->pid);
      double client_before = cpuMs(getpid());
      double rate =
          createBurst(*s, kPerClientPerRound, s->kind + "-r" + std::to_string(round) + "-");
      s->cpu_ms += cpuMs(s->pid) - cpu_before;
      s->other_cpu_ms += cpuMs(other->pid) - other_before;
      s->client_cpu_ms += cpuMs(getpid()) - client_before;
      s->created += kClients * kPerClientPerRound;
      s->rates.push_back(rate);
      std::cout << " " << s->kind << " " << static_cast<int>(rate) << "/s";
    }
    ratios.push_back(tls.rates.back() / plain.rates.back());
    std::cout << ", tls/plain " << ratios.back() << "\n";
  }
  double ratio = median(ratios);
  std::cout << "median tls/plain of " << kRounds << " alternating rounds: " << ratio
            << " (goal >= " << kGoal << ": " << (ratio >= kGoal ? "met" : "not met") << ")\n";
  results["http_clients"] = kClients;
  results["rounds"] = kRounds;
  results["creates_per_client_per_round"] = kPerClientPerRound;
  results["first_each_round"] = firsts;
  results["tls_vs_plain_ratio"] = ratio;
  results["tls_vs_plain_ratios"] = ratios;
  results["goal_ratio"] = kGoal;
  results["goal_met"] = ratio >= kGoal;
  for (Server* s : {&plain, &tls}) {
    double cpu_us = s->cpu_ms * 1000 / s->created;
    double other_us = s->other_cpu_ms * 1000 / s->created;
    double client_us = s->client_cpu_ms * 1000 / s->created;
    std::cout << s->kind << ": median " << static_cast<int>(median(s->rates))
              << " creates/s; apiserver CPU per create " << cpu_us
              << " us (the other apiserver meanwhile: " << other_us
              << " us), client CPU per create " << client_us << " us\n";
    results[s->kind + "_creates_per_s"] = median(s->rates);
    results[s->kind + "_creates_per_s_rounds"] = s->rates;
    results[s->kind + "_apiserver_cpu_us_per_create"] = cpu_us;
    results[s->kind + "_other_apiserver_cpu_us_per_create"] = other_us;
    results[s->kind + "_client_cpu_us_per_create"] = client_us;
  }

  // 2. the cost of a new connection: kConnections GET /readyz on a fresh transport each
  // (its construction, which parses the PEMs, is not timed), then as many on one kept-alive
  // transport; plain and TLS interleaved (which goes first alternates). Each apiserver's CPU
  // is taken over the whole loop (it serves only its own kind), divided by the requests.
  for (bool fresh : {true, false}) {
    const std::string mode = fresh ? "new_connection" : "keepalive";
    std::map<std::string, std::vector<double>> us;
    std::map<std::string, std::unique_ptr<client::BeastTransport>> kept;
    std::map<std::string, double> cpu_before;
    for (Server* s : {&plain, &tls}) {
      if (!fresh) {
        kept[s->kind] = makeTransport(s->config);
        if (kept[s->kind] == nullptr) return finish() | 1;
        getReadyz(*kept[s->kind]);  // opens the connection
      }
      cpu_before[s->kind] = cpuMs(s->pid);
    }
    for (int i = 0; i < kConnections; ++i) {
      std::vector<Server*> order = {&plain, &tls};
      if (i % 2 == 1) std::reverse(order.begin(), order.end());
      for (Server* s : order) {
        if (!fresh) {
          us[s->kind].push_back(timedReadyz(*s, *kept[s->kind]));
          continue;
        }
        auto transport = makeTransport(s->config);
        if (transport == nullptr) return finish() | 1;
        us[s->kind].push_back(timedReadyz(*s, *transport));
      }
    }
    for (Server* s : {&plain, &tls}) {
      double cpu_us = (cpuMs(s->pid) - cpu_before[s->kind]) * 1000 / kConnections;
      const auto& v = us[s->kind];
      std::cout << s->kind << " GET /readyz, " << (fresh ? "new connection each" : "kept-alive")
                << ": median " << median(v) << " us (min " << quantile(v, 0) << ", p90 "
                << quantile(v, 0.9) << "), apiserver CPU " << cpu_us << " us per request\n";
      const std::string key = s->kind + "_" + mode;
      results[key + "_readyz_us"] = median(v);
      results[key + "_readyz_us_min"] = quantile(v, 0);
      results[key + "_readyz_us_p90"] = quantile(v, 0.9);
      results[key + "_apiserver_cpu_us"] = cpu_us;
    }
  }
  results["new_connections"] = kConnections;
  results["tls_handshake_extra_us"] = results["tls_new_connection_readyz_us"].get<double>() -
                                      results["plain_new_connection_readyz_us"].get<double>();
  std::cout << "a new TLS connection costs " << results["tls_handshake_extra_us"].get<double>()
            << " us more than a plain one (medians)\n";
  return finish();
}
