// Small helpers the subcommands share.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "client/rest_client.h"
#include "common/status.h"

namespace minik8s::cmd {

// Prints "error: MESSAGE" on stderr; returns 1 (the exit code).
int reportError(const std::string& message);

// This machine's host name in lower case ("localhost" when unknown): the default node name.
std::string hostName();

double secondsSince(std::chrono::steady_clock::time_point t0);

// A REST client for a component: --server, else --kubeconfig/--context (client/config.h).
Result<std::unique_ptr<client::RestClient>> connectComponent(const std::string& server,
                                                             const std::string& kubeconfig,
                                                             const std::string& context,
                                                             const std::string& user_agent);

}  // namespace minik8s::cmd
