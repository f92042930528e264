#include "cmd/minik8s/hollow_cmd.h"

#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "client/config.h"
#include "cmd/minik8s/cmd_util.h"
#include "cmd/minik8s/signals.h"
#include "common/duration.h"
#include "common/log.h"
#include "kubelet/hollow_node.h"

namespace minik8s::cmd {
namespace {

struct HollowFlags {
  int count = 1;
  int first_index = 0;
  std::string server;
  std::string kubeconfig;
  std::string context;
  std::string name_prefix = "hollow-";
  std::string node_status_update_frequency = "10s";
  std::string tmp_dir;
  int workers = 2;
  std::string log_level = "info";
};

int runHollowNodes(const HollowFlags& flags) {
  log::setLevel(flags.log_level);
  blockStopSignals();
  if (flags.count < 1) return reportError("--count: want at least 1");
  auto heartbeat = parseDuration(flags.node_status_update_frequency);
  if (!heartbeat.isOk() || heartbeat->count() <= 0) {
    return reportError("--node-status-update-frequency: want a positive duration such as 10s");
  }
  client::ConfigSources sources;
  sources.server = flags.server;
  sources.kubeconfig = flags.kubeconfig;
  sources.context = flags.context;
  auto config = client::loadConfig(sources);
  if (!config.isOk()) return reportError(config.status().message());

  // The only files hollow nodes write (sandbox log directories) go to a private temp dir,
  // removed on exit.
  std::string parent = flags.tmp_dir;
  if (parent.empty()) parent = std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp";
  std::string tmpl = parent + "/minik8s-hollow-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) return reportError("creating a directory under " + parent);
  const std::string dir = tmpl;
  auto remove_dir = [&dir] {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  };

  kubelet::HollowNodesOptions options;
  options.count = flags.count;
  options.first_index = flags.first_index;
  options.name_prefix = flags.name_prefix;
  options.data_dir = dir;
  options.heartbeat_period = *heartbeat;
  options.workers = flags.workers;
  int rc = 0;
  {
    kubelet::HollowNodes nodes(*config, options);
    if (Status s = nodes.start(); !s.isOk()) {
      rc = reportError(s.toString());
    } else {
      int sig = waitForStopSignal();
      log::info("hollow-nodes: signal {} received, stopping", sig);
    }
  }  // stopped
  remove_dir();
  return rc;
}

}  // namespace

void addHollowNodesCommand(CLI::App& app) {
  auto flags = std::make_shared<HollowFlags>();
  CLI::App* cmd =
      app.add_subcommand("hollow-nodes",
                         "N fake nodes in one process (kubemark): real kubelets over an in-memory "
                         "runtime; they register, heartbeat and report pods Running, run nothing");
  cmd->add_option("--count", flags->count, "number of nodes")->capture_default_str();
  cmd->add_option("-s,--server", flags->server, "apiserver URL (overrides the kubeconfig)");
  cmd->add_option("--kubeconfig", flags->kubeconfig, "kubeconfig file");
  cmd->add_option("--context", flags->context, "kubeconfig context");
  cmd->add_option("--name-prefix", flags->name_prefix, "node i is <prefix><i>")
      ->capture_default_str();
  cmd->add_option("--first-index", flags->first_index,
                  "index of the first node (a second process takes other names and pod CIDRs)")
      ->capture_default_str();
  cmd->add_option("--node-status-update-frequency", flags->node_status_update_frequency,
                  "how often each node posts its status and renews its Lease")
      ->capture_default_str();
  cmd->add_option("--workers", flags->workers, "pod sync workers per node")->capture_default_str();
  cmd->add_option("--tmp-dir", flags->tmp_dir,
                  "where the private temp dir goes (default $TMPDIR or /tmp)");
  cmd->add_option("--log-level", flags->log_level, "debug, info, warn, error")
      ->capture_default_str();
  cmd->callback([flags] { std::exit(runHollowNodes(*flags)); });
}

}  // namespace minik8s::cmd
