#include "cmd/minik8s/cmd_util.h"

#include <unistd.h>

#include <cctype>
#include <iostream>

#include "client/config.h"

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

Result<std::unique_ptr<client::RestClient>> connectComponent(const std::string& server,
                                                             const std::string& kubeconfig,
                                                             const std::string& context,
                                                             const std::string& user_agent) {
  client::ConfigSources sources;
  sources.server = server;
  sources.kubeconfig = kubeconfig;
  sources.context = context;
  ASSIGN_OR_RETURN(client::ClientConfig config, client::loadConfig(sources));
  config.user_agent = user_agent;
  return client::RestClient::connect(config);
}

}  // namespace minik8s::cmd
