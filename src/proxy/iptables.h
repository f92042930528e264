// Iptables: the proxy's one seam to the host's packet filter. ExecIptables runs Debian's
// binaries (iptables-save, iptables-restore, conntrack, sysctl), optionally behind a
// command prefix such as {"ip", "netns", "exec", "NS"} so that tests program a network
// namespace of their own. Tests of the syncer use a fake. Thread-compatible; ExecIptables
// keeps no state beyond its prefix and may be shared.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "common/status.h"

namespace minik8s::proxy {

class Iptables {
 public:
  virtual ~Iptables() = default;
  // `iptables-save -t TABLE`.
  virtual Result<std::string> save(const std::string& table) = 0;
  // `iptables-restore --noflush` with `text` on stdin: one atomic transaction.
  virtual Status restore(const std::string& text) = 0;
  // `conntrack -D ARGS`; ok when entries were deleted or none matched.
  virtual Status deleteConntrack(const std::vector<std::string>& args) = 0;
  // `sysctl -w NAME=VALUE` ("net.ipv4.conf.all.route_localnet", "1").
  virtual Status setSysctl(const std::string& name, const std::string& value) = 0;
};

// The result of a finished child process.
struct CommandResult {
  int exit_code = -1;  // 128 + signal when killed
  std::string out;
  std::string err;
};
// Runs argv (PATH lookup for argv[0]) with `input` on stdin, collecting stdout and stderr;
// kills it after `timeout`. Errors only when it cannot be started or timed out.
Result<CommandResult> runCommand(const std::vector<std::string>& argv, const std::string& input,
                                 std::chrono::milliseconds timeout = std::chrono::seconds(60));

class ExecIptables : public Iptables {
 public:
  explicit ExecIptables(std::vector<std::string> prefix = {}) : prefix_(std::move(prefix)) {}
  Result<std::string> save(const std::string& table) override;
  Status restore(const std::string& text) override;
  Status deleteConntrack(const std::vector<std::string>& args) override;
  Status setSysctl(const std::string& name, const std::string& value) override;

 private:
  Result<CommandResult> run(std::vector<std::string> argv, const std::string& input = "");
  const std::vector<std::string> prefix_;
};

}  // namespace minik8s::proxy
