// `minik8s image ...`: build, load and list container images offline.
#pragma once

#include <CLI/CLI.hpp>

namespace minik8s::cmd {

// Adds `image build-stock|build|load|ls` to `app`.
void addImageCommand(CLI::App& app);

}  // namespace minik8s::cmd
