#include "client/leader_election.h"

#include <unistd.h>

#include <cstdio>
#include <random>

#include "common/log.h"

namespace minik8s::client {

using nlohmann::json;

std::string defaultIdentity() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "unknown");
  std::random_device rd;
  char suffix[17];
  std::snprintf(suffix, sizeof suffix, "%08x%08x", rd(), rd());
  return std::string(host) + "_" + suffix;
}

std::optional<json> nextLeaseRecord(const std::optional<json>& current,
                                    const LeaderElectionConfig& config, bool expired,
                                    Clock::WallTime now) {
  const std::string now_text = formatRfc3339Micro(now);
  if (!current) {
    return json{{"apiVersion", "coordination.k8s.io/v1"},
                {"kind", "Lease"},
                {"metadata", {{"name", config.lease_name}, {"namespace", config.lease_namespace}}},
                {"spec",
                 {{"holderIdentity", config.identity},
                  {"leaseDurationSeconds", config.lease_duration.count()},
                  {"acquireTime", now_text},
                  {"renewTime", now_text},
                  {"leaseTransitions", 0}}}};
  }
  json lease = *current;
  json& spec = lease["spec"];
  if (!spec.is_object()) spec = json::object();
  const std::string holder = spec.value("holderIdentity", std::string());
  if (holder == config.identity) {  // ours: renew
    spec["renewTime"] = now_text;
    spec["leaseDurationSeconds"] = config.lease_duration.count();
    return lease;
  }
  if (!holder.empty() && !expired) return std::nullopt;
  spec["holderIdentity"] = config.identity;
  spec["leaseDurationSeconds"] = config.lease_duration.count();
  spec["acquireTime"] = now_text;
  spec["renewTime"] = now_text;
  spec["leaseTransitions"] = spec.value("leaseTransitions", 0) + 1;
  return lease;
}

LeaderElector::LeaderElector(Client& client, LeaderElectionConfig config, Clock& clock)
    : client_(client), config_(std::move(config)), clock_(clock) {}

const api::ResourceInfo& LeaderElector::leases() const {
  static const api::ResourceInfo* resource = api::findResource("coordination.k8s.io", "v1", "leases");
  return *resource;
}

bool LeaderElector::tryAcquireOrRenew() {
  auto got = client_.get(leases(), config_.lease_namespace, config_.lease_name);
  std::optional<json> current;
  if (got.isOk()) {
    current = std::move(got).value();
  } else if (got.status().code() != Code::kNotFound) {
    log::warn("leader election {}: reading the lease: {}", config_.lease_name,
              got.status().toString());
    return false;
  }
  bool expired = false;
  if (current) {
    const json& spec = (*current)["spec"];
    std::string record = spec.is_object() ? spec.value("holderIdentity", std::string()) + "|" +
                                                spec.value("renewTime", std::string())
                                          : std::string();
    int64_t duration = spec.is_object() ? spec.value("leaseDurationSeconds", int64_t{15}) : 15;
    std::lock_guard lock(mu_);
    observed_holder_ = spec.is_object() ? spec.value("holderIdentity", std::string()) : "";
    if (record != observed_record_) {
      observed_record_ = record;
      observed_at_ = clock_.monotonic();
    }
    expired = clock_.monotonic() >= observed_at_ + std::chrono::seconds(duration);
  }
  std::optional<json> next = nextLeaseRecord(current, config_, expired, clock_.now());
  if (!next) return false;
  auto written = current ? client_.update(leases(), config_.lease_namespace, *next)
                         : client_.create(leases(), config_.lease_namespace, *next);
  if (!written.isOk()) {
    if (written.status().code() != Code::kConflict && written.status().code() != Code::kAlreadyExists)
      log::warn("leader election {}: writing the lease: {}", config_.lease_name,
                written.status().toString());
    return false;
  }
  std::lock_guard lock(mu_);
  const json& spec = written.value()["spec"];
  observed_holder_ = spec.value("holderIdentity", std::string());
  observed_record_ = observed_holder_ + "|" + spec.value("renewTime", std::string());
  observed_at_ = clock_.monotonic();
  return true;
}

void LeaderElector::release() {
  auto got = client_.get(leases(), config_.lease_namespace, config_.lease_name);
  if (!got.isOk()) return;
  json lease = std::move(got).value();
  if (lease["spec"].value("holderIdentity", std::string()) != config_.identity) return;
  lease["spec"]["holderIdentity"] = "";
  lease["spec"]["leaseDurationSeconds"] = 1;
  lease["spec"]["renewTime"] = formatRfc3339Micro(clock_.now());
  auto written = client_.update(leases(), config_.lease_namespace, lease);
  if (!written.isOk()) {
    log::warn("leader election {}: releasing the lease: {}", config_.lease_name,
              written.status().toString());
  }
}

void LeaderElector::run(std::stop_token stop, const std::function<void()>& on_started,
                        const std::function<void()>& on_stopped) {
  while (!stop.stop_requested()) {
    // Campaign.
    while (!tryAcquireOrRenew()) {
      if (!clock_.sleepFor(config_.retry_period, stop)) return;
    }
    log::info("leader election {}: {} is now the leader", config_.lease_name, config_.identity);
    leading_ = true;
    on_started();
    // Lead: renew every retry period; give up when no renewal succeeded for the deadline.
    Clock::Instant last_renew = clock_.monotonic();
    while (clock_.sleepFor(config_.retry_period, stop)) {
      if (tryAcquireOrRenew()) {
        last_renew = clock_.monotonic();
        continue;
      }
      bool taken;
      {
        std::lock_guard lock(mu_);
        taken = !observed_holder_.empty() && observed_holder_ != config_.identity;
      }
      if (taken) {
        log::warn("leader election {}: the lease is now held by another candidate",
                  config_.lease_name);
        break;
      }
      if (clock_.monotonic() - last_renew >= config_.renew_deadline) {
        log::warn("leader election {}: lost the lease (no renewal for {}s)", config_.lease_name,
                  config_.renew_deadline.count());
        break;
      }
    }
    leading_ = false;
    on_stopped();
    if (stop.stop_requested()) {
      release();
      return;
    }
  }
}

LeaderElectedRunner::LeaderElectedRunner(Client& client, LeaderElectionConfig config,
                                         std::function<void()> on_started,
                                         std::function<void()> on_stopped, Clock& clock)
    : elector_(client, std::move(config), clock),
      on_started_(std::move(on_started)),
      on_stopped_(std::move(on_stopped)) {}

void LeaderElectedRunner::start() {
  thread_ = std::jthread([this](std::stop_token stop) { elector_.run(stop, on_started_, on_stopped_); });
}

void LeaderElectedRunner::stop() {
  if (thread_.joinable()) {
    thread_.request_stop();
    thread_.join();
  }
}

}  // namespace minik8s::client
