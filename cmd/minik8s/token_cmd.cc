#include "cmd/minik8s/token_cmd.h"

#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "api/scheme.h"
#include "cmd/minik8s/cmd_util.h"
#include "common/clock.h"
#include "common/duration.h"
#include "client/config.h"
#include "pki/bootstrap_token.h"
#include "pki/ca_hash.h"

namespace minik8s::cmd {

namespace {

struct TokenFlags {
  std::string server;
  std::string kubeconfig;
  std::string context;
  std::string ttl = "24h";
  std::string description;
  std::vector<std::string> groups;
  std::string token;  // delete: the token or its id
  bool print_join_command = false;
};

const api::ResourceInfo& secrets() {
  return *api::findResource("", "v1", "secrets");
}

Result<std::unique_ptr<client::RestClient>> connect(const TokenFlags& flags) {
  return connectComponent(flags.server, flags.kubeconfig, flags.context, "minik8s-token");
}

// kubeadm's `token create --print-join-command`: the agent command that joins this
// cluster, for the server and CA of the kubeconfig used here.
Result<std::string> joinCommand(const TokenFlags& flags, const std::string& token) {
  client::ConfigSources sources;
  sources.server = flags.server;
  sources.kubeconfig = flags.kubeconfig;
  sources.context = flags.context;
  ASSIGN_OR_RETURN(client::ClientConfig config, client::loadConfig(sources));
  if (config.tls.ca_pem.empty()) {
    return invalid("--print-join-command needs the cluster CA in the kubeconfig "
                   "(certificate-authority-data)");
  }
  ASSIGN_OR_RETURN(std::string hash, pki::caCertHash(config.tls.ca_pem));
  return "minik8s agent --server " + config.server + " --token " + token +
         " --discovery-token-ca-cert-hash " + hash;
}

int createToken(const TokenFlags& flags) {
  auto ttl = parseDuration(flags.ttl);
  if (!ttl.isOk()) return reportError("--ttl: " + ttl.status().message());
  pki::BootstrapTokenSecretOptions options;
  options.ttl = std::chrono::duration_cast<std::chrono::seconds>(*ttl);
  options.description = flags.description;
  for (const auto& group : flags.groups) {
    if (group.rfind("system:bootstrappers:", 0) != 0) {
      return reportError("--groups: " + group + " does not start with system:bootstrappers:");
    }
  }
  options.extra_groups = flags.groups;
  auto client = connect(flags);
  if (!client.isOk()) return reportError(client.status().toString());
  pki::BootstrapToken token = pki::generateBootstrapToken();
  std::string join;
  if (flags.print_join_command) {  // before the token exists: no token without its command
    auto command = joinCommand(flags, token.str());
    if (!command.isOk()) return reportError(command.status().message());
    join = *command;
  }
  auto created = (*client)->create(secrets(), "kube-system",
                                   pki::bootstrapTokenSecret(token, options, Clock::real().now()));
  if (!created.isOk()) return reportError("storing the token: " + created.status().toString());
  std::cout << (join.empty() ? token.str() : join) << "\n";
  return 0;
}

int listTokens(const TokenFlags& flags) {
  auto client = connect(flags);
  if (!client.isOk()) return reportError(client.status().toString());
  auto listed = (*client)->list(secrets(), "kube-system");
  if (!listed.isOk()) return reportError(listed.status().toString());
  const auto now = Clock::real().now();
  std::printf("%-24s %-8s %-21s %-30s %s\n", "TOKEN", "TTL", "EXPIRES", "USAGES", "DESCRIPTION");
  for (const auto& secret : listed->value("items", nlohmann::json::array())) {
    auto info = pki::bootstrapTokenInfo(secret);
    if (!info) continue;
    std::string ttl = "<forever>", expires = "<never>";
    if (info->expires) {
      auto left = std::chrono::duration_cast<std::chrono::seconds>(*info->expires - now);
      ttl = left.count() > 0 ? humanDuration(left) : "<invalid>";
      expires = formatRfc3339(*info->expires);
    }
    std::string usages;
    for (const auto& u : info->usages) usages += (usages.empty() ? "" : ",") + u;
    std::printf("%-24s %-8s %-21s %-30s %s\n", info->token.str().c_str(), ttl.c_str(),
                expires.c_str(), usages.c_str(), info->description.c_str());
  }
  return 0;
}

int deleteToken(const TokenFlags& flags) {
  std::string id = flags.token.substr(0, flags.token.find('.'));
  if (id.size() != 6) return reportError("want a token or its 6-character id, not " + flags.token);
  auto client = connect(flags);
  if (!client.isOk()) return reportError(client.status().toString());
  auto removed = (*client)->remove(secrets(), "kube-system", "bootstrap-token-" + id);
  if (!removed.isOk()) return reportError(removed.status().toString());
  std::cout << "bootstrap token \"" << id << "\" deleted\n";
  return 0;
}

void addConnectionFlags(CLI::App* cmd, TokenFlags* flags) {
  cmd->add_option("-s,--server", flags->server, "apiserver URL (overrides the kubeconfig)");
  cmd->add_option("--kubeconfig", flags->kubeconfig, "kubeconfig file (an administrator's)");
  cmd->add_option("--context", flags->context, "kubeconfig context");
}

}  // namespace

void addTokenCommands(CLI::App& app) {
  auto flags = std::make_shared<TokenFlags>();
  CLI::App* token = app.add_subcommand("token", "bootstrap tokens for nodes to join with");
  token->require_subcommand(1);
  CLI::App* create_cmd = token->add_subcommand("create", "create a token and print it");
  addConnectionFlags(create_cmd, flags.get());
  create_cmd->add_option("--ttl", flags->ttl, "how long it is valid (0: forever)")
      ->capture_default_str();
  create_cmd->add_option("--description", flags->description, "a note shown by `token list`");
  create_cmd->add_option("--groups", flags->groups,
                         "extra groups, each system:bootstrappers:<something>");
  create_cmd->add_flag("--print-join-command", flags->print_join_command,
                       "print the whole `minik8s agent --server ... --token ... "
                       "--discovery-token-ca-cert-hash ...` command, not only the token");
  create_cmd->callback([flags] { std::exit(createToken(*flags)); });
  CLI::App* list_cmd = token->add_subcommand("list", "list the tokens");
  addConnectionFlags(list_cmd, flags.get());
  list_cmd->callback([flags] { std::exit(listTokens(*flags)); });
  CLI::App* delete_cmd = token->add_subcommand("delete", "revoke a token (by token or id)");
  addConnectionFlags(delete_cmd, flags.get());
  delete_cmd->add_option("token", flags->token, "the token or its id")->required();
  delete_cmd->callback([flags] { std::exit(deleteToken(*flags)); });
}

}  // namespace minik8s::cmd
