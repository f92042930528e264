// Encode and decode cost of one pod, JSON against Kubernetes' protobuf encoding (issue 12;
// bench/README.md has the results). Two pods (bench_pods.h): the seed pod as kubectl
// sends it on a create, and the same pod as stored once a kubelet wrote its status. For
// each: nlohmann's parse (api::parseJson, as the apiserver parses a body) and dump;
// decodeProtobufBody and encodeProtobufBody; and the whole decode the apiserver does on a
// create (the body parsed, then api::normalize: typed decode, defaults, re-encode) from
// either encoding. Google Benchmark, 5 repetitions in random interleaving, medians of CPU
// time; prints the table and appends one JSON line to the results file.
//
//   pod_codec_bench [results file] [--benchmark_... flags]
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "api/json_input.h"
#include "api/protobuf_body.h"
#include "api/scheme.h"
#include "bench_pods.h"
#include "common/clock.h"
#include "run_info.h"

namespace {

using nlohmann::json;

// One pod in both encodings.
struct Sample {
  std::string label;
  json object;
  std::string json_bytes;
  std::string protobuf_bytes;
};

const minik8s::api::ResourceInfo& podsResource() {
  return *minik8s::api::findResource("", "v1", "pods");
}

[[noreturn]] void die(const std::string& what) {
  std::cerr << "pod_codec_bench: " << what << "\n";
  std::exit(1);
}

Sample makeSample(std::string label, json object) {
  Sample s{std::move(label), std::move(object), "", ""};
  s.json_bytes = s.object.dump();
  auto pb = minik8s::api::encodeProtobufBody(s.object);
  if (!pb.isOk()) die("encode " + s.label + ": " + pb.status().toString());
  s.protobuf_bytes = std::move(pb).value();
  // The two encodings must carry the same object, or the comparison means nothing.
  auto back = minik8s::api::decodeProtobufBody(s.protobuf_bytes);
  if (!back.isOk()) die("decode " + s.label + ": " + back.status().toString());
  // Decoding drops empty strings (Go writes every non-pointer string; "" means unset), e.g.
  // a defaulted hostPath.type; the apiserver's normalize puts them back.
  json after = *back;
  if (*back != s.object) {
    std::cout << "note: protobuf round trip of " << s.label
              << " differs before normalize: " << json::diff(s.object, *back).dump() << "\n";
    if (auto st = minik8s::api::normalize(podsResource(), after, nullptr); !st.isOk()) {
      die("normalize " + s.label + ": " + st.toString());
    }
    json want = s.object;
    if (auto st = minik8s::api::normalize(podsResource(), want, nullptr); !st.isOk()) {
      die("normalize " + s.label + ": " + st.toString());
    }
    if (after != want) {
      die("protobuf round trip of " + s.label + " differs: " + json::diff(want, after).dump());
    }
  }
  return s;
}

const std::vector<Sample>& samples() {
  static const std::vector<Sample> all = [] {
    std::vector<Sample> v;
    v.push_back(makeSample("create", minik8s::bench::seedPod("greet-pod")));
    // As stored: normalized (defaults), stamped by the apiserver, with a kubelet's status.
    json stored = minik8s::bench::seedPod("greet-pod");
    if (auto s = minik8s::api::normalize(podsResource(), stored, nullptr); !s.isOk()) {
      die("normalize: " + s.toString());
    }
    stored["metadata"]["uid"] = "3f1c2b7a-8d4e-4c6b-9a1f-2e7d5c3b8a90";
    stored["metadata"]["creationTimestamp"] = "2026-12-07T06:00:00Z";
    stored["metadata"]["resourceVersion"] = "123456";
    stored["metadata"]["generation"] = 1;
    minik8s::bench::addRunningStatus(stored);
    if (auto s = minik8s::api::normalize(podsResource(), stored, nullptr); !s.isOk()) {
      die("normalize with status: " + s.toString());
    }
    v.push_back(makeSample("stored", std::move(stored)));
    return v;
  }();
  return all;
}

const Sample& sampleOf(const benchmark::State& state) {
  return samples()[static_cast<size_t>(state.range(0))];
}

void setLabel(benchmark::State& state, size_t bytes) {
  state.SetLabel(sampleOf(state).label);
  state.counters["bytes"] = static_cast<double>(bytes);
}

void BM_JsonParse(benchmark::State& state) {
  const Sample& s = sampleOf(state);
  for (auto _ : state) {
    auto parsed = minik8s::api::parseJson(s.json_bytes);
    if (!parsed.isOk()) state.SkipWithError("parse failed");
    benchmark::DoNotOptimize(parsed);
  }
  setLabel(state, s.json_bytes.size());
}

void BM_JsonDump(benchmark::State& state) {
  const Sample& s = sampleOf(state);
  for (auto _ : state) {
    std::string out = s.object.dump();
    benchmark::DoNotOptimize(out);
  }
  setLabel(state, s.json_bytes.size());
}

void BM_ProtobufDecode(benchmark::State& state) {
  const Sample& s = sampleOf(state);
  for (auto _ : state) {
    auto decoded = minik8s::api::decodeProtobufBody(s.protobuf_bytes);
    if (!decoded.isOk()) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(decoded);
  }
  setLabel(state, s.protobuf_bytes.size());
}

void BM_ProtobufEncode(benchmark::State& state) {
  const Sample& s = sampleOf(state);
  for (auto _ : state) {
    auto encoded = minik8s::api::encodeProtobufBody(s.object);
    if (!encoded.isOk()) state.SkipWithError("encode failed");
    benchmark::DoNotOptimize(encoded);
  }
  setLabel(state, s.protobuf_bytes.size());
}

// A copy of the decoded object: what BM_Normalize spends before normalizing.
void BM_JsonCopy(benchmark::State& state) {
  const Sample& s = sampleOf(state);
  for (auto _ : state) {
    json copy = s.object;
    benchmark::DoNotOptimize(copy);
  }
  setLabel(state, s.json_bytes.size());
}

// The typed decode after parsing (a copy of the object included; BM_JsonCopy is that copy).
void BM_Normalize(benchmark::State& state) {
  const Sample& s = sampleOf(state);
  for (auto _ : state) {
    json copy = s.object;
    if (!minik8s::api::normalize(podsResource(), copy, nullptr).isOk()) {
      state.SkipWithError("normalize failed");
    }
    benchmark::DoNotOptimize(copy);
  }
  setLabel(state, s.json_bytes.size());
}

// The apiserver's decode of a create body: bytes → JSON object → api::normalize.
void BM_CreateDecodeJson(benchmark::State& state) {
  const Sample& s = sampleOf(state);
  for (auto _ : state) {
    auto parsed = minik8s::api::parseJson(s.json_bytes);
    if (!parsed.isOk() || !minik8s::api::normalize(podsResource(), *parsed, nullptr).isOk()) {
      state.SkipWithError("decode failed");
    }
    benchmark::DoNotOptimize(parsed);
  }
  setLabel(state, s.json_bytes.size());
}

void BM_CreateDecodeProtobuf(benchmark::State& state) {
  const Sample& s = sampleOf(state);
  for (auto _ : state) {
    auto decoded = minik8s::api::decodeProtobufBody(s.protobuf_bytes);
    if (!decoded.isOk() || !minik8s::api::normalize(podsResource(), *decoded, nullptr).isOk()) {
      state.SkipWithError("decode failed");
    }
    benchmark::DoNotOptimize(decoded);
  }
  setLabel(state, s.protobuf_bytes.size());
}

#define POD_BENCHMARK(fn) BENCHMARK(fn)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond)
POD_BENCHMARK(BM_JsonParse);
POD_BENCHMARK(BM_JsonDump);
POD_BENCHMARK(BM_ProtobufDecode);
POD_BENCHMARK(BM_ProtobufEncode);
POD_BENCHMARK(BM_JsonCopy);
POD_BENCHMARK(BM_Normalize);
POD_BENCHMARK(BM_CreateDecodeJson);
POD_BENCHMARK(BM_CreateDecodeProtobuf);

// The console table, plus every median kept for the results line.
class Collector : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const auto& run : runs) {
      if (run.run_type != Run::RT_Aggregate || run.aggregate_name != "median") continue;
      std::string name = run.run_name.function_name.substr(3) + "/" +
                         samples()[std::stoul(run.run_name.args)].label;
      cpu_us_[name] = run.GetAdjustedCPUTime();
      real_us_[name] = run.GetAdjustedRealTime();
      if (run.error_occurred) ++errors_;
    }
    ConsoleReporter::ReportRuns(runs);
  }
  std::map<std::string, double> cpu_us_, real_us_;
  int errors_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  // Defaults (the command line may override them): 5 repetitions, randomly interleaved so
  // that every variant sees the same machine, medians only.
  std::vector<char*> args{argv[0]};
  static char reps[] = "--benchmark_repetitions=5";
  static char interleave[] = "--benchmark_enable_random_interleaving=true";
  static char aggregates[] = "--benchmark_report_aggregates_only=true";
  static char min_time[] = "--benchmark_min_time=0.2";
  for (char* flag : {reps, interleave, aggregates, min_time}) args.push_back(flag);
  std::string results_path = "bench/results.jsonl";
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]).rfind("--", 0) == 0) {
      args.push_back(argv[i]);
    } else {
      results_path = argv[i];
    }
  }
  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());
  if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 2;

  json results = minik8s::bench::runInfo();
  if (!results["quiet"].get<bool>()) {
    std::cerr << "warning: load average " << results["load_before"]
              << " >= 1 before the run; the numbers are marked quiet=false\n";
  }
  results["bench"] = "pod_codec";
  results["date"] = minik8s::formatRfc3339(minik8s::Clock::real().now());
  for (const auto& s : samples()) {
    results["bytes_json_" + s.label] = s.json_bytes.size();
    results["bytes_protobuf_" + s.label] = s.protobuf_bytes.size();
    std::cout << "pod " << s.label << ": " << s.json_bytes.size() << " bytes as JSON, "
              << s.protobuf_bytes.size() << " as protobuf\n";
  }
  Collector collector;
  benchmark::RunSpecifiedBenchmarks(&collector);
  benchmark::Shutdown();

  results["cpu_us_median"] = collector.cpu_us_;
  results["real_us_median"] = collector.real_us_;
  for (const auto& s : samples()) {
    auto ratio = [&](const std::string& a, const std::string& b) {
      auto x = collector.cpu_us_.find(a + "/" + s.label), y = collector.cpu_us_.find(b + "/" + s.label);
      if (x == collector.cpu_us_.end() || y == collector.cpu_us_.end() || y->second == 0) return;
      double r = x->second / y->second;
      results["ratio_" + a + "_vs_" + b + "_" + s.label] = r;
      std::cout << s.label << ": " << a << " / " << b << " = " << r << "\n";
    };
    ratio("ProtobufDecode", "JsonParse");
    ratio("ProtobufEncode", "JsonDump");
    ratio("CreateDecodeProtobuf", "CreateDecodeJson");
  }
  results["load_after"] = minik8s::bench::loadAverage();
  results["errors"] = collector.errors_;
  std::ofstream out(results_path, std::ios::app);
  out << results.dump() << "\n";
  std::cout << "results appended to " << results_path << "\n";
  return collector.errors_ > 0 ? 1 : 0;
}
