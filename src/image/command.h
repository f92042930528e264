// Running a helper program (dpkg, apt-get, ldd, gcc, ctr) and capturing its output.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace minik8s::image {

struct CommandResult {
  int exit_code = -1;  // 128+N when killed by signal N
  std::string out;
  std::string err;
};

// Runs argv[0] (looked up in PATH when it has no '/') in `cwd` (empty: ours), stdin from
// /dev/null. Fails only when the program cannot be started; look at exit_code.
Result<CommandResult> runCommand(const std::vector<std::string>& argv,
                                 const std::string& cwd = "");

// runCommand, and kInternal with the command's stderr when it exits non-zero.
Result<std::string> runChecked(const std::vector<std::string>& argv,
                               const std::string& cwd = "");

}  // namespace minik8s::image
