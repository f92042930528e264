#include "proxy/proxier.h"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "api/scheme.h"
#include "common/log.h"

namespace minik8s::proxy {
namespace {

// Addresses of the endpoints some chain of this port uses.
std::set<std::string> usedEndpointIps(const ServicePortInfo& sp, const std::string& node_name) {
  CategorizedEndpoints eps = categorizeEndpoints(sp.endpoints, node_name);
  std::set<std::string> out;
  for (const auto& ep : eps.cluster) out.insert(ep.ip);
  for (const auto& ep : eps.local) out.insert(ep.ip);
  return out;
}

std::string key(const ServicePortInfo& sp) {
  return sp.servicePortName() + "/" + sp.protocol;
}

// The value after `flag` in a rule ("-d 10.96.0.5/32" → "10.96.0.5/32"), or "".
std::string flagValue(const std::string& rule, const std::string& flag) {
  std::istringstream in(rule);
  std::string word, prev;
  while (in >> word) {
    if (prev == flag) return word;
    prev = word;
  }
  return "";
}

}  // namespace

std::chrono::nanoseconds nextSyncDelay(Clock::Instant now, std::optional<Clock::Instant> last_sync,
                                       bool dirty, std::chrono::nanoseconds min_period,
                                       std::chrono::nanoseconds period) {
  if (!last_sync) return std::chrono::nanoseconds(0);
  auto elapsed = now - *last_sync;
  auto wait = (dirty ? min_period : period) - elapsed;
  return std::max(std::chrono::nanoseconds(0),
                  std::chrono::duration_cast<std::chrono::nanoseconds>(wait));
}

std::vector<std::vector<std::string>> staleUdpConntrack(const std::vector<ServicePortInfo>& before,
                                                        const std::vector<ServicePortInfo>& after,
                                                        const std::string& node_name) {
  std::map<std::string, const ServicePortInfo*> after_by_key, before_by_key;
  std::set<std::string> after_ips;
  for (const auto& sp : after) {
    after_by_key[key(sp)] = &sp;
    if (sp.protocol == "UDP") after_ips.insert(sp.cluster_ip);
  }
  for (const auto& sp : before) before_by_key[key(sp)] = &sp;

  std::vector<std::vector<std::string>> out;
  std::set<std::vector<std::string>> seen;
  auto add = [&](std::vector<std::string> args) {
    if (seen.insert(args).second) out.push_back(std::move(args));
  };
  for (const auto& old : before) {
    if (old.protocol != "UDP") continue;
    auto it = after_by_key.find(key(old));
    if (it == after_by_key.end() || it->second->cluster_ip != old.cluster_ip) {
      if (!after_ips.count(old.cluster_ip)) add({"-p", "udp", "--orig-dst", old.cluster_ip});
      continue;
    }
    std::set<std::string> now_used = usedEndpointIps(*it->second, node_name);
    for (const auto& ip : usedEndpointIps(old, node_name)) {
      if (now_used.count(ip)) continue;
      add({"-p", "udp", "--orig-dst", old.cluster_ip, "--dst-nat", ip});
      for (const auto& ext : old.external_ips)
        add({"-p", "udp", "--orig-dst", ext, "--dst-nat", ip});
      if (old.node_port > 0)
        add({"-p", "udp", "--orig-port-dst", std::to_string(old.node_port), "--dst-nat", ip});
    }
  }
  for (const auto& sp : after) {
    if (sp.protocol != "UDP" || usedEndpointIps(sp, node_name).empty()) continue;
    auto it = before_by_key.find(key(sp));
    if (it != before_by_key.end() && !usedEndpointIps(*it->second, node_name).empty()) continue;
    add({"-p", "udp", "--orig-dst", sp.cluster_ip, "--orig-port-dst", std::to_string(sp.port)});
    if (sp.node_port > 0) add({"-p", "udp", "--orig-port-dst", std::to_string(sp.node_port)});
  }
  return out;
}

std::vector<std::vector<std::string>> conntrackOfRules(const IptablesState& state,
                                                       const std::string& protocol) {
  std::vector<std::vector<std::string>> out;
  std::set<std::vector<std::string>> seen;
  auto add = [&](std::vector<std::string> args) {
    if (seen.insert(args).second) out.push_back(std::move(args));
  };
  for (const auto& [table, rules] : state.rules) {
    for (const auto& rule : rules) {
      const std::string p = flagValue(rule, "-p");
      if (p.empty() || (!protocol.empty() && p != protocol)) continue;
      std::string chain = flagValue(rule, "-A");
      if (chain == "KUBE-SERVICES" || (chain == "KUBE-EXTERNAL-SERVICES" &&
                                       rule.find("--dst-type LOCAL") == std::string::npos)) {
        std::string dst = flagValue(rule, "-d");
        if (dst.empty()) continue;
        add({"-p", p, "--orig-dst", dst.substr(0, dst.find('/'))});
      } else if (chain == "KUBE-NODEPORTS" || chain == "KUBE-EXTERNAL-SERVICES") {
        std::string port = flagValue(rule, "--dport");
        if (!port.empty()) add({"-p", p, "--orig-port-dst", port});
      }
    }
  }
  return out;
}

Proxier::Proxier(const ServiceCache& services, const SliceCache& slices, Iptables& iptables,
                 ProxierOptions options, Clock& clock)
    : services_(services),
      slices_(slices),
      iptables_(iptables),
      options_(std::move(options)),
      clock_(clock),
      start_time_(clock.now()) {}

Proxier::Proxier(client::SharedInformerFactory& informers, Iptables& iptables,
                 ProxierOptions options, Clock& clock)
    : Proxier(informers.informerFor<api::Service>(*api::findResource("", "v1", "services")).cache(),
              informers
                  .informerFor<api::EndpointSlice>(
                      *api::findResource("discovery.k8s.io", "v1", "endpointslices"))
                  .cache(),
              iptables, std::move(options), clock) {
  auto& services = informers.informerFor<api::Service>(*api::findResource("", "v1", "services"));
  auto& slices = informers.informerFor<api::EndpointSlice>(
      *api::findResource("discovery.k8s.io", "v1", "endpointslices"));
  services.addHandler({
      .on_add = [this](const auto&) { requestSync(); },
      .on_update = [this](const auto&, const auto&) { requestSync(); },
      .on_delete = [this](const auto&) { requestSync(); },
  });
  slices.addHandler({
      .on_add = [this](const auto& slice) { onSliceChanged(nullptr, *slice); },
      .on_update = [this](const auto& old_slice,
                          const auto& slice) { onSliceChanged(old_slice.get(), *slice); },
      .on_delete = [this](const auto&) { requestSync(); },
  });
  informers_ = {&services, &slices};
}

Proxier::~Proxier() {
  stop();
}

void Proxier::requestSync() {
  std::lock_guard lock(mu_);
  dirty_ = true;
  wake_.request_stop();
}

void Proxier::onSliceChanged(const api::EndpointSlice* old_slice, const api::EndpointSlice& slice) {
  std::optional<Clock::WallTime> t = sliceTriggerTime(slice, start_time_);
  if (t && old_slice) {
    auto before = old_slice->metadata.annotations.find(api::kAnnotationLastChangeTriggerTime);
    auto now = slice.metadata.annotations.find(api::kAnnotationLastChangeTriggerTime);
    if (before != old_slice->metadata.annotations.end() && before->second == now->second)
      t.reset();  // not a new change (a resync, or an update of something else)
  }
  std::lock_guard lock(mu_);
  if (t) pending_triggers_.emplace_back(slice.metadata.namespace_ + "/" + slice.metadata.name, *t);
  dirty_ = true;
  wake_.request_stop();
}

int64_t Proxier::restores() const {
  std::lock_guard lock(mu_);
  return restores_;
}

int64_t Proxier::syncAttempts() const {
  std::lock_guard lock(mu_);
  return attempts_;
}

Status Proxier::sync(bool full) {
  std::lock_guard sync_lock(sync_mu_);
  std::vector<std::pair<std::string, Clock::WallTime>> triggers;
  {
    std::lock_guard lock(mu_);
    ++attempts_;
    // Taken before the caches are read: every change noted so far is in what this sync reads.
    triggers.swap(pending_triggers_);
  }
  Status s = applyRules(full);
  if (!s.isOk()) {
    std::lock_guard lock(mu_);
    pending_triggers_.insert(pending_triggers_.begin(), triggers.begin(), triggers.end());
    return s;
  }
  Clock::WallTime now = clock_.now();
  for (const auto& [slice, t] : triggers) {
    // A trigger time ahead of this clock (skew between nodes) counts as zero.
    double seconds = std::max(0.0, std::chrono::duration<double>(now - t).count());
    metrics_.observeNetworkProgramming(seconds);
    log::debug("proxy: network programming latency of {}: {:.3f} ms", slice, seconds * 1000);
  }
  return Status::ok();
}

Status Proxier::applyRules(bool full) {
  auto start = std::chrono::steady_clock::now();
  std::vector<ServicePortInfo> ports = buildServicePorts(services_.list(), slices_.list());
  // A partial sync with the same services and endpoints as the last applied one has nothing
  // to do: the periodic full sync re-asserts the rules (and repairs outside changes).
  if (!full && synced_once_ && ports == last_ports_) return Status::ok();
  ASSIGN_OR_RETURN(std::string filter, iptables_.save("filter"));
  ASSIGN_OR_RETURN(std::string nat, iptables_.save("nat"));
  IptablesState existing = parseIptablesSave(filter + nat);
  ChainContents written;
  std::string text = renderIptables(ports, options_.render, existing,
                                    full || !synced_once_ ? nullptr : &last_chains_, &written);
  RETURN_IF_ERROR(iptables_.restore(text));
  metrics_.observeSync(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  log::debug("proxy: {} sync: {} service ports, {} rules written in {} ms",
             full ? "full" : "partial", ports.size(), countRules(text),
             std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::steady_clock::now() - start)
                 .count());
  if (synced_once_) {
    for (const auto& args : staleUdpConntrack(last_ports_, ports, options_.render.node_name)) {
      Status s = iptables_.deleteConntrack(args);
      if (!s.isOk()) log::warn("proxy: {}", s.toString());
    }
  }
  synced_once_ = true;
  last_ports_ = std::move(ports);
  last_chains_ = std::move(written);
  std::lock_guard lock(mu_);
  ++restores_;  // counted once the sync's conntrack deletions are done too
  return Status::ok();
}

void Proxier::start() {
  if (thread_.joinable()) return;
  thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
}

void Proxier::stop() {
  if (thread_.joinable()) {
    thread_.request_stop();
    thread_.join();
  }
}

void Proxier::run(std::stop_token stop) {
  for (auto* informer : informers_) {
    while (!informer->waitForSync(std::chrono::seconds(1), stop)) {
      if (stop.stop_requested()) return;
    }
  }
  if (options_.render.localhost_node_ports) {
    // As kube-proxy: DNAT from 127.0.0.1 to a pod needs the kernel to route "martian" sources.
    Status s = iptables_.setSysctl("net.ipv4.conf.all.route_localnet", "1");
    if (!s.isOk()) log::warn("proxy: localhost NodePorts will not work: {}", s.toString());
  }
  while (!stop.stop_requested()) {
    std::stop_source wake;
    std::chrono::nanoseconds delay;
    bool full = false;
    Clock::Instant now = clock_.monotonic();
    {
      std::lock_guard lock(mu_);
      delay =
          nextSyncDelay(now, last_sync_, dirty_, options_.min_sync_period, options_.sync_period);
      if (delay.count() == 0) {
        full = !last_sync_ || now - *last_sync_ >= options_.sync_period;
        dirty_ = false;
        last_sync_ = now;
      } else {
        wake_ = wake;
      }
    }
    if (delay.count() == 0) {
      Status s = sync(full);
      if (!s.isOk()) {
        log::warn("proxy: sync failed, retrying: {}", s.toString());
        std::lock_guard lock(mu_);
        dirty_ = true;
      }
      continue;
    }
    std::stop_callback forward(stop, [wake]() mutable { wake.request_stop(); });
    clock_.sleepFor(delay, wake.get_token());
  }
}

Status cleanupIptables(Iptables& iptables) {
  ASSIGN_OR_RETURN(std::string filter, iptables.save("filter"));
  ASSIGN_OR_RETURN(std::string nat, iptables.save("nat"));
  IptablesState existing = parseIptablesSave(filter + nat);
  std::string text = renderCleanup(existing);
  if (!text.empty()) RETURN_IF_ERROR(iptables.restore(text));
  for (const auto& args : conntrackOfRules(existing, "")) {
    RETURN_IF_ERROR(iptables.deleteConntrack(args));
  }
  return Status::ok();
}

}  // namespace minik8s::proxy
