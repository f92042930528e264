// What the controller loop's ready listener costs on the work queue's hot path
// (bench/README.md has the results). One producer adds 200,000 distinct keys while two
// workers take them (get → a trivial sync → forget → done); the time runs from the first
// add to the last done. Two setups, in alternating rounds of one run:
//   baseline  two hand-written worker threads on a WorkQueue with no listener
//   loop      a ControllerLoop with up to two workers, which listens to every add()
// Prints the medians and their ratio and appends one JSON line to the results file.
//
//   work_queue_bench [results file] [--rounds 5] [--keys 200000]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "client/controller_loop.h"
#include "client/work_queue.h"
#include "common/clock.h"
#include "run_info.h"

namespace {

using minik8s::Clock;
using minik8s::Status;
using minik8s::client::ControllerLoop;
using minik8s::client::WorkQueue;
using SteadyClock = std::chrono::steady_clock;

constexpr int kWorkers = 2;

void waitUntil(const std::atomic<size_t>& synced, size_t want) {
  while (synced.load() < want) std::this_thread::yield();
}

// Seconds from the first add to the last key's done, with hand-written workers.
double baselineRound(const std::vector<std::string>& keys) {
  WorkQueue queue(Clock::real());
  std::atomic<size_t> synced{0};
  std::vector<std::jthread> workers;
  for (int i = 0; i < kWorkers; ++i) {
    workers.emplace_back([&](std::stop_token stop) {
      while (auto key = queue.get(stop)) {
        synced.fetch_add(1);
        queue.forget(*key);
        queue.done(*key);
      }
    });
  }
  auto start = SteadyClock::now();
  for (const auto& key : keys) queue.add(key);
  waitUntil(synced, keys.size());
  double seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
  queue.shutDown();
  return seconds;
}

// The same through a ControllerLoop (its listener runs on every add).
double loopRound(const std::vector<std::string>& keys) {
  WorkQueue queue(Clock::real());
  std::atomic<size_t> synced{0};
  ControllerLoop loop("bench", queue, [&](const std::string&) {
    synced.fetch_add(1);
    return Status::ok();
  });
  if (!loop.run(kWorkers, {}).isOk()) std::abort();
  auto start = SteadyClock::now();
  for (const auto& key : keys) queue.add(key);
  waitUntil(synced, keys.size());
  double seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
  loop.stop();
  return seconds;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  std::string results_path = "bench/results.jsonl";
  int rounds = 5;
  size_t key_count = 200000;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--rounds" && i + 1 < argc) {
      rounds = std::max(1, std::atoi(argv[++i]));
    } else if (arg == "--keys" && i + 1 < argc) {
      key_count = static_cast<size_t>(std::max(1, std::atoi(argv[++i])));
    } else {
      results_path = arg;
    }
  }
  nlohmann::json record = minik8s::bench::runInfo();
  std::vector<std::string> keys;
  keys.reserve(key_count);
  for (size_t i = 0; i < key_count; ++i) keys.push_back("default/object-" + std::to_string(i));

  std::vector<double> baseline, loop;
  for (int r = 0; r < rounds; ++r) {  // alternating, so both see the same machine
    baseline.push_back(baselineRound(keys));
    loop.push_back(loopRound(keys));
  }
  auto per_key_ns = [&](double seconds) { return seconds * 1e9 / static_cast<double>(key_count); };
  double b = median(baseline), l = median(loop);
  std::printf("keys %zu, workers %d, rounds %d\n", key_count, kWorkers, rounds);
  std::printf("baseline (no listener): median %.3f s, %.0f ns/key\n", b, per_key_ns(b));
  std::printf("controller loop:        median %.3f s, %.0f ns/key\n", l, per_key_ns(l));
  std::printf("loop / baseline time:   %.2f\n", l / b);

  record["bench"] = "work_queue";
  record["keys"] = key_count;
  record["workers"] = kWorkers;
  record["rounds"] = rounds;
  record["baseline_seconds"] = baseline;
  record["loop_seconds"] = loop;
  record["baseline_ns_per_key_median"] = per_key_ns(b);
  record["loop_ns_per_key_median"] = per_key_ns(l);
  record["loop_over_baseline"] = l / b;
  record["errors"] = 0;
  record["load_after"] = minik8s::bench::loadAverage();
  std::ofstream(results_path, std::ios::app) << record.dump() << "\n";
  return 0;
}
