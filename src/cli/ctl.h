// `minik8s ctl` / `mkctl`: the original project's CLI commands (create, get, get all,
// update, delete) with their exact messages, plus apply, describe, get -w, scale and bash
// completion, all as a client of the apiserver. Flags and errors follow kubectl.
#pragma once

#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "client/transport.h"

namespace minik8s::cli {

struct CtlIo {
  std::ostream& out;
  std::ostream& err;
  std::istream& in;
};

// The name the CLI was run by. It chooses `get`'s default output: kubectl's tables for
// `minik8s ctl`, the original project's for `mkctl` (its users' scripts read them).
enum class Invocation { kMinik8sCtl, kMkctl };

// Runs one command line (without the program name, e.g. {"get", "pods", "-A"}) and returns
// the process exit code: 0 on success, 1 on any error (one line on `err`).
// `transport` replaces the connection the flags and kubeconfig describe (tests).
int runCtl(const std::vector<std::string>& args, CtlIo io,
           std::shared_ptr<client::HttpTransport> transport = nullptr,
           Invocation invocation = Invocation::kMinik8sCtl);

// The bash completion script for `minik8s`, `minik8s ctl` and `mkctl`.
std::string bashCompletion();

}  // namespace minik8s::cli
