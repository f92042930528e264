// What every benchmark records beside its numbers, so that a result can be judged later:
// the commit, the build type, and the machine's load before and after the run. A run that
// started on a busy machine (1-minute load >= 1) is marked `quiet: false`.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "common/files.h"

namespace minik8s::bench {

// The 1-minute load average (/proc/loadavg), -1 when unreadable.
inline double loadAverage() {
  std::ifstream in("/proc/loadavg");
  double load = -1;
  in >> load;
  return load;
}

// The checked-out commit of the source tree (short hash, "+dirty" with local changes).
inline std::string sourceCommit() {
  std::string cmd = std::string("git -C '") + MINIK8S_SOURCE_DIR +
                    "' describe --always --dirty=+dirty --abbrev=12 2>/dev/null";
  std::string out;
  if (FILE* p = ::popen(cmd.c_str(), "r")) {
    char buf[128];
    while (std::fgets(buf, sizeof buf, p)) out += buf;
    ::pclose(p);
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out.empty() ? "unknown" : out;
}

// CPU time (user + system) process `pid` has used so far, in ms (/proc/<pid>/stat).
inline double cpuMs(pid_t pid) {
  auto read = readFile("/proc/" + std::to_string(pid) + "/stat");
  if (!read.isOk()) return 0;  // the process is gone
  const std::string& text = *read;
  // Fields after the command name (which may hold spaces) start at state, field 3.
  std::istringstream rest(text.substr(text.rfind(')') + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return 1000.0 * static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// Call at the start of a run; fill in "load_after" with loadAverage() at its end.
inline nlohmann::json runInfo() {
  double load = loadAverage();
  return {{"commit", sourceCommit()},
          {"build_type", MINIK8S_BUILD_TYPE},
          {"load_before", load},
          {"quiet", load >= 0 && load < 1.0}};
}

}  // namespace minik8s::bench
