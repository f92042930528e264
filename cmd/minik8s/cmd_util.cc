#include "cmd/minik8s/cmd_util.h"

#include <unistd.h>

#include <cctype>
#include <iostream>

namespace minik8s::cmd {

int reportError(const std::string& message) {
  std::cerr << "error: " << message << "\n";
  return 1;
}

std::string hostName() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "localhost";
  std::string name(buf);
  for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

double secondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace minik8s::cmd
