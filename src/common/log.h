// Logging: a thin layer over spdlog so that no module includes spdlog directly and the
// level is set once per process (`--v`/`--log-level`).
#pragma once

#include <spdlog/spdlog.h>

namespace minik8s::log {

// "debug", "info", "warn", "error"; unknown names keep the current level.
void setLevel(std::string_view level);

using spdlog::debug;
using spdlog::error;
using spdlog::info;
using spdlog::warn;

}  // namespace minik8s::log
