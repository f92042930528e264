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

// "PEM" stand-ins: resolution copies bytes and never parses them.
constexpr char kCaPem[] = "CA PEM\n";
constexpr char kCertPem[] = "CERT PEM\n";
constexpr char kKeyPem[] = "KEY PEM\n";
// base64 of the above.
constexpr char kCaData[] = "Q0EgUEVNCg==";
constexpr char kCertData[] = "Q0VSVCBQRU0K";
constexpr char kKeyData[] = "S0VZIFBFTQo=";

// A kubeconfig with one context whose cluster and user carry `cluster` and `user` fields.
std::string secureKubeconfig(const std::string& cluster, const std::string& user) {
  return "clusters:\n- name: c\n  cluster:\n    server: https://10.0.0.1:6443\n" + cluster +
         "contexts:\n- name: x\n  context: {cluster: c, user: u}\ncurrent-context: x\n"
         "users:\n- name: u\n  user:\n" +
         user;
}

TEST(ResolveConfig, TlsAndTokenDefaultToNothing) {
  Files files;
  files.content["/k"] = kTwoContexts;
  auto config = resolveConfig({.kubeconfig = "/k"}, files.reader());
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  EXPECT_EQ(config->tls.ca_pem, "");
  EXPECT_EQ(config->tls.client_cert_pem, "");
  EXPECT_EQ(config->tls.client_key_pem, "");
  EXPECT_FALSE(config->tls.insecure_skip_verify);
  EXPECT_EQ(config->tls.server_name, "");
  EXPECT_EQ(config->bearer_token, "");
}

TEST(ResolveConfig, DataFieldsAreBase64DecodedAndMultiLineDataIsAccepted) {
  Files files;
  files.content["/k"] = secureKubeconfig(
      std::string("    certificate-authority-data: ") + kCaData +
          "\n    tls-server-name: api.internal\n",
      std::string("    client-certificate-data: ") + kCertData +
          "\n    client-key-data: |\n      S0VZIFBF\n      TQo=\n    token: abc\n");
  auto config = resolveConfig({.kubeconfig = "/k"}, files.reader());
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  EXPECT_EQ(config->server, "https://10.0.0.1:6443");
  EXPECT_EQ(config->tls.ca_pem, kCaPem);
  EXPECT_EQ(config->tls.client_cert_pem, kCertPem);
  EXPECT_EQ(config->tls.client_key_pem, kKeyPem);
  EXPECT_EQ(config->tls.server_name, "api.internal");
  EXPECT_EQ(config->bearer_token, "abc");
  EXPECT_EQ(files.read, std::vector<std::string>{"/k"});
}

TEST(ResolveConfig, FileFieldsAreReadRelativeToTheKubeconfigsDirectory) {
  Files files;
  files.content["/home/me/.kube/config"] =
      secureKubeconfig("    certificate-authority: pki/ca.crt\n",
                       "    client-certificate: /etc/pki/me.crt\n    client-key: me.key\n"
                       "    tokenFile: ../token\n");
  files.content["/home/me/.kube/pki/ca.crt"] = kCaPem;
  files.content["/etc/pki/me.crt"] = kCertPem;
  files.content["/home/me/.kube/me.key"] = kKeyPem;
  files.content["/home/me/.kube/../token"] = "  secret-token\n";
  auto config = resolveConfig({.home = "/home/me"}, files.reader());
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  EXPECT_EQ(config->tls.ca_pem, kCaPem);
  EXPECT_EQ(config->tls.client_cert_pem, kCertPem);
  EXPECT_EQ(config->tls.client_key_pem, kKeyPem);
  EXPECT_EQ(config->bearer_token, "secret-token");
}

TEST(ResolveConfig, ADataFieldWinsOverItsFileFieldWhichIsThenNotRead) {
  Files files;
  files.content["/k"] = secureKubeconfig(
      std::string("    certificate-authority: /missing/ca.crt\n") +
          "    certificate-authority-data: " + kCaData + "\n",
      std::string("    client-certificate: /missing/me.crt\n    client-certificate-data: ") +
          kCertData + "\n    client-key: /missing/me.key\n    client-key-data: " + kKeyData + "\n");
  auto config = resolveConfig({.kubeconfig = "/k"}, files.reader());
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  EXPECT_EQ(config->tls.ca_pem, kCaPem);
  EXPECT_EQ(config->tls.client_cert_pem, kCertPem);
  EXPECT_EQ(config->tls.client_key_pem, kKeyPem);
  EXPECT_EQ(files.read, std::vector<std::string>{"/k"});
}

TEST(ResolveConfig, TokenWinsOverTokenFile) {
  Files files;
  files.content["/k"] = secureKubeconfig("", "    token: inline\n    tokenFile: /missing\n");
  auto config = resolveConfig({.kubeconfig = "/k"}, files.reader());
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  EXPECT_EQ(config->bearer_token, "inline");
  EXPECT_EQ(files.read, std::vector<std::string>{"/k"});
}

TEST(ResolveConfig, AnEmptyTokenFileIsAnError) {
  Files files;
  files.content["/k"] = secureKubeconfig("", "    tokenFile: /t\n");
  files.content["/t"] = "\n";
  auto config = resolveConfig({.kubeconfig = "/k"}, files.reader());
  ASSERT_FALSE(config.isOk());
  EXPECT_NE(config.status().message().find("empty token"), std::string::npos);
}

TEST(ResolveConfig, BadBase64IsAnErrorNamingTheFieldAndTheFile) {
  Files files;
  files.content["/k"] = secureKubeconfig("", "    client-key-data: not*base64\n");
  auto config = resolveConfig({.kubeconfig = "/k"}, files.reader());
  ASSERT_FALSE(config.isOk());
  EXPECT_EQ(config.status().code(), Code::kBadRequest);
  EXPECT_NE(config.status().message().find("client-key-data"), std::string::npos);
  EXPECT_NE(config.status().message().find("/k"), std::string::npos);
  EXPECT_NE(config.status().message().find("base64"), std::string::npos);
}

TEST(ResolveConfig, AnUnreadableFileIsAnErrorNamingTheFieldAndThePath) {
  struct Case {
    std::string cluster, user, field, path;
  };
  for (const Case& c : std::vector<Case>{
           {"    certificate-authority: ca.crt\n", "", "certificate-authority", "/d/ca.crt"},
           {"", "    client-certificate: me.crt\n", "client-certificate", "/d/me.crt"},
           {"", "    client-key: me.key\n", "client-key", "/d/me.key"},
           {"", "    tokenFile: token\n", "tokenFile", "/d/token"},
       }) {
    Files files;
    files.content["/d/k"] = secureKubeconfig(c.cluster, c.user);
    auto config = resolveConfig({.kubeconfig = "/d/k"}, files.reader());
    ASSERT_FALSE(config.isOk()) << c.field;
    EXPECT_NE(config.status().message().find(c.field), std::string::npos)
        << config.status().message();
    EXPECT_NE(config.status().message().find(c.path), std::string::npos)
        << config.status().message();
  }
}

TEST(ResolveConfig, InsecureSkipTlsVerifyIsReadAndCannotBeCombinedWithACa) {
  Files files;
  files.content["/k"] = secureKubeconfig("    insecure-skip-tls-verify: true\n", "");
  auto config = resolveConfig({.kubeconfig = "/k"}, files.reader());
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  EXPECT_TRUE(config->tls.insecure_skip_verify);

  files.content["/k"] = secureKubeconfig(
      std::string("    insecure-skip-tls-verify: true\n    certificate-authority-data: ") +
          kCaData + "\n",
      "");
  auto both = resolveConfig({.kubeconfig = "/k"}, files.reader());
  ASSERT_FALSE(both.isOk());
  EXPECT_NE(both.status().message().find("insecure"), std::string::npos);

  files.content["/k"] = secureKubeconfig("    insecure-skip-tls-verify: maybe\n", "");
  auto bad = resolveConfig({.kubeconfig = "/k"}, files.reader());
  ASSERT_FALSE(bad.isOk());
  EXPECT_NE(bad.status().message().find("insecure-skip-tls-verify"), std::string::npos);
}

TEST(ResolveConfig, FlagsReplaceTheKubeconfigsCaCertificateKeyAndToken) {
  Files files;
  files.content["/k"] =
      secureKubeconfig(std::string("    certificate-authority-data: ") + kCaData + "\n",
                       std::string("    client-certificate-data: ") + kCertData +
                           "\n    client-key-data: " + kKeyData + "\n    token: from-kubeconfig\n");
  files.content["ca.crt"] = "FLAG CA";
  files.content["me.crt"] = "FLAG CERT";
  files.content["me.key"] = "FLAG KEY";
  auto config = resolveConfig({.kubeconfig = "/k",
                               .certificate_authority = "ca.crt",
                               .client_certificate = "me.crt",
                               .client_key = "me.key",
                               .token = "from-flag"},
                              files.reader());
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  EXPECT_EQ(config->tls.ca_pem, "FLAG CA");  // flag paths are relative to the working dir
  EXPECT_EQ(config->tls.client_cert_pem, "FLAG CERT");
  EXPECT_EQ(config->tls.client_key_pem, "FLAG KEY");
  EXPECT_EQ(config->bearer_token, "from-flag");
}

TEST(ResolveConfig, InsecureFlagDropsTheKubeconfigsCa) {
  Files files;
  files.content["/k"] =
      secureKubeconfig(std::string("    certificate-authority-data: ") + kCaData + "\n", "");
  auto config =
      resolveConfig({.kubeconfig = "/k", .insecure_skip_tls_verify = true}, files.reader());
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  EXPECT_TRUE(config->tls.insecure_skip_verify);
  EXPECT_EQ(config->tls.ca_pem, "");
}

TEST(ResolveConfig, CaFlagClearsTheKubeconfigsInsecureSetting) {
  Files files;
  files.content["/k"] = secureKubeconfig("    insecure-skip-tls-verify: true\n", "");
  files.content["/ca"] = kCaPem;
  auto config = resolveConfig({.kubeconfig = "/k", .certificate_authority = "/ca"}, files.reader());
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  EXPECT_FALSE(config->tls.insecure_skip_verify);
  EXPECT_EQ(config->tls.ca_pem, kCaPem);
}

TEST(ResolveConfig, ServerFlagDropsTheKubeconfigsTlsServerNameUnlessOneIsGiven) {
  Files files;
  files.content["/k"] = secureKubeconfig("    tls-server-name: api.internal\n", "");
  auto server = resolveConfig({.server = "https://1.2.3.4", .kubeconfig = "/k"}, files.reader());
  ASSERT_TRUE(server.isOk()) << server.status().toString();
  EXPECT_EQ(server->tls.server_name, "");
  auto both = resolveConfig(
      {.server = "https://1.2.3.4", .kubeconfig = "/k", .tls_server_name = "other.internal"},
      files.reader());
  ASSERT_TRUE(both.isOk());
  EXPECT_EQ(both->tls.server_name, "other.internal");
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

TEST(ParseServerUrl, AcceptsHttpsWithPort443ByDefault) {
  auto a = parseServerUrl("https://127.0.0.1:6443");
  ASSERT_TRUE(a.isOk());
  EXPECT_TRUE(a->tls);
  EXPECT_EQ(a->hostPort(), "127.0.0.1:6443");
  auto b = parseServerUrl("https://api.example/prefix");
  ASSERT_TRUE(b.isOk());
  EXPECT_TRUE(b->tls);
  EXPECT_EQ(b->port, 443);
  EXPECT_EQ(b->path_prefix, "/prefix");
  EXPECT_FALSE(parseServerUrl("http://127.0.0.1:6443")->tls);
  EXPECT_FALSE(parseServerUrl("127.0.0.1:6443")->tls);
}

TEST(ParseServerUrl, RejectsOtherSchemesAndBadPorts) {
  EXPECT_FALSE(parseServerUrl("ftp://127.0.0.1:6443").isOk());
  EXPECT_FALSE(parseServerUrl("https://h:0").isOk());
  EXPECT_FALSE(parseServerUrl("http://h:99999").isOk());
  EXPECT_FALSE(parseServerUrl("http://h:abc").isOk());
  EXPECT_FALSE(parseServerUrl("http://:80").isOk());
}

}  // namespace config_test
}  // namespace minik8s::client
