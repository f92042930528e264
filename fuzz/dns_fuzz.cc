// libFuzzer target over the DNS server's packet path: answer() on a fixed cluster zone over
// UDP and TCP, with and without the ReplyCache (which must change nothing), the UDP truncation, the SERVFAIL reply, and the forward cache storing the
// input as an upstream reply and serving it back. Any input must give a reply, a forward
// or a drop, never a crash, hang or sanitizer report.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "dns/answer.h"
#include "dns/forward.h"
#include "dns/records.h"

namespace {

using namespace minik8s;

std::shared_ptr<const dns::Records> zone() {
  dns::RecordInputs in;
  api::Service web;
  web.metadata = {.name = "web", .namespace_ = "default"};
  web.spec.cluster_ip = "10.96.0.20";
  web.spec.ports = {{.name = "http", .protocol = "TCP", .port = 80}};
  api::Service pg;
  pg.metadata = {.name = "pg", .namespace_ = "default"};
  pg.spec.cluster_ip = "None";
  api::EndpointSlice slice;
  slice.metadata = {.name = "pg-1", .namespace_ = "default"};
  slice.metadata.labels[api::kLabelServiceName] = "pg";
  slice.address_type = "IPv4";
  for (int i = 1; i <= 40; ++i) {
    api::Endpoint ep;
    ep.addresses = {"10.244.0." + std::to_string(i)};
    if (i == 1) ep.hostname = "pg-0";
    slice.endpoints.push_back(ep);
  }
  slice.ports = {{.name = "sql", .protocol = "TCP", .port = 5432}};
  in.services = {std::make_shared<const api::Service>(web), std::make_shared<const api::Service>(pg)};
  in.slices = {std::make_shared<const api::EndpointSlice>(slice)};
  return dns::buildRecords(in, "cluster.local", 5);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto records = zone();
  static dns::ForwardCache cache(64);
  static dns::ReplyCache replies(64);
  std::span<const uint8_t> packet(data, size);
  for (auto transport : {dns::Transport::kUdp, dns::Transport::kTcp}) {
    dns::Reply reply = dns::answer(packet, *records, transport);
    dns::Reply cached = dns::answer(packet, *records, transport, &replies);
    if (cached.wire != reply.wire) __builtin_trap();  // a hit is byte for byte the built reply
    if (reply.action == dns::Reply::Action::kSend && reply.wire.empty()) __builtin_trap();
    if (transport == dns::Transport::kUdp && reply.wire.size() > 4096) __builtin_trap();
    if (reply.action == dns::Reply::Action::kForward) {
      auto now = std::chrono::steady_clock::now();
      const std::string key = dns::ForwardCache::key(reply.qname, reply.qtype, reply.qclass);
      cache.put(key, packet, now);  // the input as its own upstream reply
      (void)cache.get(key, packet, now);
    }
  }
  (void)dns::truncateForUdp(std::vector<uint8_t>(packet.begin(), packet.end()), 512);
  (void)dns::errorReply(packet, 2);
  return 0;
}
