#include "cmd/minik8s/ctl_cmd.h"

#include <csignal>
#include <iostream>
#include <string>
#include <vector>

#include "cli/ctl.h"

namespace minik8s::cmd {

namespace {

int runWithStdio(const std::vector<std::string>& args,
                 cli::Invocation invocation = cli::Invocation::kMinik8sCtl) {
  std::signal(SIGPIPE, SIG_IGN);  // `mkctl get pods | head` must not kill us mid-write
  cli::CtlIo io{std::cout, std::cerr, std::cin};
  int rc = cli::runCtl(args, io, nullptr, invocation);
  std::cout.flush();
  return rc;
}

}  // namespace

bool addCtlCommands(CLI::App& app, int argc, char** argv, int* exit_code) {
  std::string self = argc > 0 ? argv[0] : "";
  if (auto slash = self.rfind('/'); slash != std::string::npos) self = self.substr(slash + 1);
  if (self == "mkctl") {
    *exit_code =
        runWithStdio(std::vector<std::string>(argv + 1, argv + argc), cli::Invocation::kMkctl);
    return true;
  }
  auto* ctl = app.add_subcommand("ctl",
                                 "the minik8s CLI (also installed as mkctl): create, get, "
                                 "delete, update, apply, describe, scale");
  ctl->prefix_command();  // everything after `ctl` belongs to the CLI's own parser
  ctl->set_help_flag();   // including --help
  ctl->callback([ctl] {
    int rc = runWithStdio(ctl->remaining());
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
  auto* completion = app.add_subcommand("completion", "print a shell completion script (bash)");
  completion->prefix_command();
  completion->callback([completion] {
    std::vector<std::string> args = {"completion"};
    for (auto& a : completion->remaining()) args.push_back(a);
    if (args.size() == 1) args.push_back("bash");
    int rc = runWithStdio(args);
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
  return false;
}

}  // namespace minik8s::cmd
