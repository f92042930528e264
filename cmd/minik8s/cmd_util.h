// Small helpers the subcommands share.
#pragma once

#include <chrono>
#include <string>

namespace minik8s::cmd {

// Prints "error: MESSAGE" on stderr; returns 1 (the exit code).
int reportError(const std::string& message);

// This machine's host name in lower case ("localhost" when unknown): the default node name.
std::string hostName();

double secondsSince(std::chrono::steady_clock::time_point t0);

}  // namespace minik8s::cmd
