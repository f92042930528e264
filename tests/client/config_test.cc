#include "client/config.h"

#include <gtest/gtest.h>

#include <map>

namespace minik8s::client {
namespace config_test {

constexpr char kTwoContexts[] = R"(apiVersion: v1
kind: Config
clusters:
- name: local
  cluster: {server: "http://127.0.0.1:7000"}
- name: other
  cluster: {server: "http://10.0.0.1:8080"}
contexts:
- name: a
  context: {cluster: local, user: u}
- name: b
  context: {cluster: other, user: u, namespace: team}
current-context: a
users:
- name: u
  user: {}
)";

struct Files {
  std::map<std::string, std::string> content;
  std::vector<std::string> read;

  FileReader reader() {
    return [this](const std::string& path) -> Result<std::string> {
      read.push_back(path);
      auto it = content.find(path);
      if (it == content.end()) return notFound(path);
      return it->second;
    };
  }
};

TEST(ResolveConfig, WithNothingConfiguredUsesTheLocalDefaultServer) {
  Files files;
  auto config = resolveConfig({.home = "/home/me"}, files.reader());
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  EXPECT_EQ(config->server, "http://127.0.0.1:6443");
  EXPECT_EQ(config->default_namespace, "default");
  EXPECT_EQ(files.read, std::vector<std::string>{"/home/me/.kube/config"});
}

TEST(ResolveConfig, HomeKubeconfigCurrentContextGivesServer) {
  Files files;
  files.content["/home/me/.kube/config"] = kTwoContexts;
  auto config = resolveConfig({.home = "/home/me"}, files.reader());
  ASSERT_TRUE(config.isOk());
  EXPECT_EQ(config->server, "http://127.0.0.1:7000");
}

TEST(ResolveConfig, ContextFlagSelectsClusterAndNamespace) {
  Files files;
  files.content["/home/me/.kube/config"] = kTwoContexts;
  auto config = resolveConfig({.context = "b", .home = "/home/me"}, files.reader());
  ASSERT_TRUE(config.isOk());
  EXPECT_EQ(config->server, "http://10.0.0.1:8080");
  EXPECT_EQ(config->default_namespace, "team");
}

TEST(ResolveConfig, UnknownContextIsAnError) {
  Files files;
  files.content["/home/me/.kube/config"] = kTwoContexts;
  auto config = resolveConfig({.context = "zzz", .home = "/home/me"}, files.reader());
  ASSERT_FALSE(config.isOk());
  EXPECT_NE(config.status().message().find("zzz"), std::string::npos);
}

TEST(ResolveConfig, KubeconfigEnvTakesTheFirstExistingFileBeforeHome) {
  Files files;
  files.content["/b"] = kTwoContexts;
  files.content["/home/me/.kube/config"] = "clusters: []";
  auto config = resolveConfig({.kubeconfig_env = "/a:/b", .home = "/home/me"}, files.reader());
  ASSERT_TRUE(config.isOk());
  EXPECT_EQ(config->server, "http://127.0.0.1:7000");
  EXPECT_EQ(files.read, (std::vector<std::string>{"/a", "/b"}));
}

TEST(ResolveConfig, KubeconfigFlagWinsOverEnvAndMustExist) {
  Files files;
  files.content["/env"] = kTwoContexts;
  auto missing = resolveConfig({.kubeconfig = "/flag", .kubeconfig_env = "/env"}, files.reader());
  ASSERT_FALSE(missing.isOk());
  EXPECT_NE(missing.status().message().find("/flag"), std::string::npos);
  files.content["/flag"] =
      "clusters: [{name: c, cluster: {server: 'http://h:1'}}]\n"
      "contexts: [{name: x, context: {cluster: c}}]\ncurrent-context: x\n";
  auto config = resolveConfig({.kubeconfig = "/flag", .kubeconfig_env = "/env"}, files.reader());
  ASSERT_TRUE(config.isOk());
  EXPECT_EQ(config->server, "http://h:1");
}

TEST(ResolveConfig, ServerFlagOverridesTheKubeconfigButKeepsItsNamespace) {
  Files files;
  files.content["/k"] = kTwoContexts;
  auto config = resolveConfig({.server = "http://1.2.3.4:5", .kubeconfig = "/k", .context = "b"},
                              files.reader());
  ASSERT_TRUE(config.isOk());
  EXPECT_EQ(config->server, "http://1.2.3.4:5");
  EXPECT_EQ(config->default_namespace, "team");
}

TEST(ResolveConfig, BrokenYamlIsAnErrorNamingTheFile) {
  Files files;
  files.content["/k"] = "clusters: [unclosed";
  auto config = resolveConfig({.kubeconfig = "/k"}, files.reader());
  ASSERT_FALSE(config.isOk());
  EXPECT_NE(config.status().message().find("/k"), std::string::npos);
}

TEST(ParseServerUrl, AcceptsHttpUrlsWithAndWithoutPortAndPrefix) {
  auto a = parseServerUrl("http://127.0.0.1:6443");
  ASSERT_TRUE(a.isOk());
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 6443);
  EXPECT_EQ(a->path_prefix, "");
  auto b = parseServerUrl("http://localhost/prefix/");
  ASSERT_TRUE(b.isOk());
  EXPECT_EQ(b->port, 80);
  EXPECT_EQ(b->path_prefix, "/prefix");
  auto c = parseServerUrl("10.0.0.1:8080");
  ASSERT_TRUE(c.isOk());
  EXPECT_EQ(c->hostPort(), "10.0.0.1:8080");
}

TEST(ParseServerUrl, RejectsHttpsAndBadPorts) {
  EXPECT_FALSE(parseServerUrl("https://127.0.0.1:6443").isOk());
  EXPECT_FALSE(parseServerUrl("http://h:99999").isOk());
  EXPECT_FALSE(parseServerUrl("http://h:abc").isOk());
  EXPECT_FALSE(parseServerUrl("http://:80").isOk());
}

}  // namespace config_test
}  // namespace minik8s::client
