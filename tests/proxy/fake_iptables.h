// FakeIptables: records every call of the proxy's Iptables seam; save() returns what a test
// set (by default the empty tables of a fresh network namespace).
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "common/clock.h"
#include "proxy/iptables.h"

namespace minik8s::proxy::testing {

class FakeIptables : public Iptables {
 public:
  Result<std::string> save(const std::string& table) override {
    std::lock_guard lock(mu_);
    ++saves;
    if (fail_save) return unavailable("iptables-save: fake failure");
    return table == "nat" ? nat : filter;
  }
  Status restore(const std::string& text) override {
    std::lock_guard lock(mu_);
    if (fail_restore) return unavailable("iptables-restore: fake failure");
    restores.push_back(text);
    if (clock) restore_times.push_back(clock->monotonic());
    return Status::ok();
  }
  Status deleteConntrack(const std::vector<std::string>& args) override {
    std::lock_guard lock(mu_);
    conntrack.push_back(args);
    return Status::ok();
  }
  Status setSysctl(const std::string& name, const std::string& value) override {
    std::lock_guard lock(mu_);
    sysctls.push_back(name + "=" + value);
    return Status::ok();
  }
  size_t restoreCount() const {
    std::lock_guard lock(mu_);
    return restores.size();
  }

  std::string filter =
      "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n";
  std::string nat =
      "*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
      ":POSTROUTING ACCEPT [0:0]\nCOMMIT\n";
  bool fail_save = false;
  bool fail_restore = false;
  int saves = 0;
  std::vector<std::string> restores;
  const Clock* clock = nullptr;  // when set, restore_times records when each restore ran
  std::vector<Clock::Instant> restore_times;
  std::vector<std::vector<std::string>> conntrack;
  std::vector<std::string> sysctls;

 private:
  mutable std::mutex mu_;
};

}  // namespace minik8s::proxy::testing
