// Throughput of HttpServer on loopback: keep-alive requests per second, and the time to
// fan one event out to thousands of open streams. Prints the numbers and appends them as
// one JSON line to the results file (argv[1], default bench/results.jsonl).
//
// Build by hand (one line):
//   g++ -std=c++20 -O2 -Isrc bench/http_server_bench.cc src/apiserver/http_server.cc
//   src/common/*.cc -lboost_system -lspdlog -lfmt -lpthread -o /tmp/http_server_bench
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "apiserver/http_server.h"
#include "common/log.h"

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;
using minik8s::apiserver::HandlerResult;
using minik8s::apiserver::HttpRequest;
using minik8s::apiserver::HttpServer;
using minik8s::apiserver::HttpServerOptions;
using minik8s::apiserver::ResponseStream;

constexpr int kClients = 16;
constexpr auto kRequestPhase = std::chrono::seconds(2);
constexpr int kStreams = 2000;
constexpr int kEvents = 10;

double seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace

int main(int argc, char** argv) {
  minik8s::log::setLevel("warn");
  std::string results = argc > 1 ? argv[1] : "bench/results.jsonl";
  std::mutex mu;
  std::vector<std::shared_ptr<ResponseStream>> streams;
  std::string body(512, 'x');  // about a small object's JSON

  HttpServerOptions options;
  options.port = 0;
  options.max_in_flight = 100000;
  auto server = HttpServer::create(options, [&](HttpRequest& r) {
    HandlerResult result;
    if (r.path == "/watch") {
      result.start_stream = [&](std::shared_ptr<ResponseStream> s) {
        std::lock_guard lock(mu);
        streams.push_back(std::move(s));
      };
    } else {
      result.response.body = body;
    }
    return result;
  });
  if (!server->start().isOk()) return 1;
  tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), server->port());

  // 1. Keep-alive GETs from kClients blocking clients.
  std::atomic<long> done{0};
  std::atomic<bool> running{true};
  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&] {
      net::io_context ioc;
      tcp::socket socket(ioc);
      socket.connect(endpoint);
      beast::flat_buffer buffer;
      http::request<http::empty_body> req(http::verb::get, "/api/v1/pods/x", 11);
      while (running) {
        http::write(socket, req);
        http::response<http::string_body> res;
        http::read(socket, buffer, res);
        ++done;
      }
    });
  }
  std::this_thread::sleep_for(kRequestPhase);  // a benchmark phase, not a wait for a condition
  running = false;
  for (auto& t : clients) t.join();
  double rps = static_cast<double>(done.load()) / seconds(kRequestPhase);

  // 2. One event to each of kStreams streams, kEvents times.
  net::io_context ioc;
  std::vector<tcp::socket> sockets;
  for (int i = 0; i < kStreams; ++i) {
    sockets.emplace_back(ioc).connect(endpoint);
    http::request<http::empty_body> req(http::verb::get, "/watch?watch=true", 11);
    http::write(sockets.back(), req);
  }
  while (server->openStreams() < static_cast<size_t>(kStreams)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::string event = "{\"type\":\"MODIFIED\",\"object\":" + std::string(300, 'x') + "}\n";
  auto began = Clock::now();
  for (int e = 0; e < kEvents; ++e) {
    std::lock_guard lock(mu);
    for (auto& s : streams) s->write(event);
  }
  // Each socket: a response head, then kEvents chunks; read until the last event arrived.
  for (auto& s : sockets) {
    std::string got;
    char tmp[65536];
    size_t events = 0;
    while (events < static_cast<size_t>(kEvents)) {
      size_t n = s.read_some(net::buffer(tmp));
      got.append(tmp, n);
      events = 0;
      for (size_t pos = got.find("MODIFIED"); pos != std::string::npos;
           pos = got.find("MODIFIED", pos + 1)) {
        ++events;
      }
    }
  }
  double fanout = seconds(Clock::now() - began);
  auto stop_began = Clock::now();
  server->stop();
  double stop_seconds = seconds(Clock::now() - stop_began);

  std::printf(
      "http_server: %d keep-alive clients: %.0f req/s (512 B bodies); %d streams x %d events "
      "(%zu B): %.3f s, %.0f events/s; stop with %d open streams: %.3f s\n",
      kClients, rps, kStreams, kEvents, event.size(), fanout, kStreams * kEvents / fanout, kStreams,
      stop_seconds);
  char line[512];
  std::snprintf(line, sizeof(line),
                "{\"bench\":\"http_server\",\"keepalive_clients\":%d,\"req_per_s\":%.0f,"
                "\"streams\":%d,\"events_per_stream\":%d,\"fanout_s\":%.3f,"
                "\"fanout_events_per_s\":%.0f,\"stop_with_streams_s\":%.3f}\n",
                kClients, rps, kStreams, kEvents, fanout, kStreams * kEvents / fanout,
                stop_seconds);
  std::ofstream(results, std::ios::app) << line;
  return 0;
}
