// minik8s: the one binary. Subcommands are wired here; their logic lives in src/.
#include <CLI/CLI.hpp>

#include <iostream>

#include "cmd/minik8s/image_cmd.h"

int main(int argc, char** argv) {
  CLI::App app{"minik8s: a small Kubernetes-compatible container orchestrator"};
  app.require_subcommand(1);
  minik8s::cmd::addImageCommand(app);
  CLI11_PARSE(app, argc, argv);
  return 0;
}
