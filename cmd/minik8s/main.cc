// minik8s: the one binary. Subcommands are wired here; their logic lives in src/.
#include <CLI/CLI.hpp>

#include "cmd/minik8s/agent_cmd.h"
#include "cmd/minik8s/controller_manager_cmd.h"
#include "cmd/minik8s/ctl_cmd.h"
#include "cmd/minik8s/dns_cmd.h"
#include "cmd/minik8s/hollow_cmd.h"
#include "cmd/minik8s/image_cmd.h"
#include "cmd/minik8s/proxy_cmd.h"
#include "cmd/minik8s/scheduler_cmd.h"
#include "cmd/minik8s/server_cmd.h"
#include "cmd/minik8s/token_cmd.h"
#include "cmd/minik8s/up_cmd.h"

int main(int argc, char** argv) {
  CLI::App app{"minik8s: a small Kubernetes-compatible container orchestrator"};
  app.require_subcommand(1);
  minik8s::cmd::addServerCommand(app, "server",
                                 "control plane: apiserver, scheduler and controller manager, "
                                 "with a managed etcd unless --etcd-servers is given");
  minik8s::cmd::addServerCommand(app, "apiserver", "the API server alone");
  minik8s::cmd::addImageCommand(app);
  minik8s::cmd::addSchedulerCommand(app);
  minik8s::cmd::addControllerManagerCommand(app);
  minik8s::cmd::addUpDownCommands(app);
  minik8s::cmd::addAgentCommands(app);
  minik8s::cmd::addHollowNodesCommand(app);
  minik8s::cmd::addProxyCommand(app);
  minik8s::cmd::addDnsCommand(app);
  minik8s::cmd::addTokenCommands(app);
  if (int rc = 0; minik8s::cmd::addCtlCommands(app, argc, argv, &rc)) return rc;
  CLI11_PARSE(app, argc, argv);
  return 0;
}
