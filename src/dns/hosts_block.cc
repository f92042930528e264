#include "dns/hosts_block.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <set>

#include "api/scheme.h"
#include "common/files.h"
#include "common/log.h"
#include "dns/informer_events.h"
#include "dns/records.h"

namespace minik8s::dns {
namespace {

bool validHostsName(const std::string& host) {
  if (host.empty() || host.size() > 253 || host.front() == '.' || host.back() == '.') return false;
  return std::all_of(host.begin(), host.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
  });
}

}  // namespace

std::vector<HostsEntry> hostsEntries(
    const std::vector<std::shared_ptr<const api::Dns>>& dnses,
    const std::vector<std::shared_ptr<const api::Service>>& services) {
  std::string ip;
  for (const auto& svc : services) {
    if (svc->metadata.namespace_ == kIngressServiceNamespace &&
        svc->metadata.name == kIngressServiceName && svc->spec.cluster_ip != "None")
      ip = svc->spec.cluster_ip;
  }
  if (ip.empty()) return {};
  std::set<std::string> hosts;
  for (const auto& dns : dnses) {
    if (!dns->metadata.deletion_timestamp.empty()) continue;
    std::string host = dns->spec.hostname;
    std::transform(host.begin(), host.end(), host.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (validHostsName(host)) hosts.insert(host);
  }
  std::vector<HostsEntry> out;
  for (const auto& h : hosts) out.push_back({ip, h});
  return out;
}

std::string withHostsBlock(std::string_view hosts, const std::vector<HostsEntry>& entries) {
  std::string out;
  // Lines from a BEGIN marker on: dropped at its END, kept when another BEGIN or the end of
  // the file comes first (a marker without its END is not ours to trust: the lines after
  // it are the user's).
  std::optional<std::string> block;
  size_t start = 0;
  while (start < hosts.size()) {
    size_t end = hosts.find('\n', start);
    std::string_view line =
        hosts.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    start = end == std::string_view::npos ? hosts.size() : end + 1;
    if (block) {
      if (line == kHostsBlockEnd) {
        block.reset();
      } else if (line == kHostsBlockBegin) {  // the one before had no END: keep it
        out += *block;
        block.emplace(line).push_back('\n');
      } else {
        block->append(line).push_back('\n');
      }
      continue;
    }
    if (line == kHostsBlockBegin) {
      block.emplace(line).push_back('\n');
      continue;
    }
    out.append(line);
    out.push_back('\n');
  }
  if (block) out += *block;
  if (entries.empty()) return out;
  out += std::string(kHostsBlockBegin) + "\n";
  for (const auto& e : entries) out += e.ip + " " + e.host + "\n";
  out += std::string(kHostsBlockEnd) + "\n";
  return out;
}

Status writeHostsBlock(const std::string& path, const std::vector<HostsEntry>& entries) {
  std::string current;  // a missing file is written afresh
  if (auto text = readFile(path); text.isOk()) {
    current = std::move(text).value();
  } else if (text.status().code() != Code::kNotFound) {
    return text.status();
  } else if (entries.empty()) {
    return Status::ok();
  }
  std::string next = withHostsBlock(current, entries);
  if (next == current) return Status::ok();
  // In place, not by rename: /etc/hosts is often a bind mount.
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << next;
  out.flush();
  if (!out) return internalError("writing " + path + ": " + std::strerror(errno));
  log::info("hosts: {} now has {} minik8s line(s)", path, entries.size());
  return Status::ok();
}

HostsBlockWriter::HostsBlockWriter(client::SharedInformerFactory& informers, std::string path)
    : services_(informers.informerFor<api::Service>(*api::findResource("", "v1", "services"))),
      dnses_(informers.informerFor<api::Dns>(*api::findResource("", "v1", "dnses"))),
      path_(std::move(path)) {
  onAnyEvent(services_, [this] { markStale(); });
  onAnyEvent(dnses_, [this] { markStale(); });
}

void HostsBlockWriter::markStale() {
  {
    std::lock_guard lock(mu_);
    stale_ = true;
  }
  cv_.notify_one();
}

void HostsBlockWriter::start() {
  thread_ = std::jthread([this](std::stop_token stop) {
    while (true) {
      {
        std::unique_lock lock(mu_);
        // Also every 2 s: an event that came before the informers had synced is not lost.
        cv_.wait_for(lock, stop, std::chrono::seconds(2), [&] { return stale_; });
        if (stop.stop_requested()) return;
        stale_ = false;
      }
      syncNow();
    }
  });
}

void HostsBlockWriter::stop(bool remove_block) {
  if (thread_.joinable()) {
    thread_.request_stop();
    thread_.join();
  }
  if (remove_block) {
    Status s = removeHostsBlock(path_);
    if (!s.isOk()) log::warn("hosts: {}", s.toString());
  }
}

void HostsBlockWriter::syncNow() {
  // Before the first lists arrive the caches are empty: a block written then would drop
  // lines that still hold.
  if (!services_.hasSynced() || !dnses_.hasSynced()) return;
  Status s = writeHostsBlock(path_, hostsEntries(dnses_.list(), services_.list()));
  if (!s.isOk()) log::warn("hosts: {}", s.toString());
}

}  // namespace minik8s::dns
