// The pure parts of `minik8s up/down`: paths, command lines, state, durations, the
// kubeconfig merge and Node readiness.
#include "node/local_cluster.h"

#include <algorithm>
#include <gtest/gtest.h>

#include "api/yaml.h"

namespace minik8s::node {
namespace local_cluster_test {

using nlohmann::json;

TEST(LocalClusterPaths, EverythingLivesUnderTheDataDir) {
  auto p = localClusterPaths("/var/lib/minik8s/");
  EXPECT_EQ(p.data_dir, "/var/lib/minik8s");
  EXPECT_EQ(p.server_dir, "/var/lib/minik8s/server");
  EXPECT_EQ(p.node_dir, "/var/lib/minik8s/node");
  EXPECT_EQ(p.images_dir, "/var/lib/minik8s/images");
  EXPECT_EQ(p.server_log, "/var/lib/minik8s/logs/server.log");
  EXPECT_EQ(p.agent_log, "/var/lib/minik8s/logs/agent.log");
  EXPECT_EQ(p.server_pid, "/var/lib/minik8s/run/server.pid");
  EXPECT_EQ(p.agent_pid, "/var/lib/minik8s/run/agent.pid");
  EXPECT_EQ(p.state_file, "/var/lib/minik8s/run/cluster.json");
  EXPECT_EQ(p.containerd.base_dir, "/var/lib/minik8s/node/containerd");
  EXPECT_EQ(p.containerd.socket, "/var/lib/minik8s/node/containerd/containerd.sock");
}

TEST(LocalClusterArgv, ServerAndAgentCommandLines) {
  auto p = localClusterPaths("/d");
  LocalClusterState s;
  s.port = 7000;
  s.node_name = "n1";
  s.tls = false;
  EXPECT_EQ(serverArgv("/bin/minik8s", p, s),
            (std::vector<std::string>{"/bin/minik8s", "server", "--port", "7000", "--data-dir",
                                      "/d/server"}));
  EXPECT_EQ(
      agentArgv("/bin/minik8s", p, s),
      (std::vector<std::string>{"/bin/minik8s", "agent", "--server", "http://127.0.0.1:7000",
                                "--node-name", "n1", "--data-dir", "/d/node", "--run-dns=true",
                                "--cluster-dns=10.96.0.10", "--manage-hosts=/etc/hosts"}));
  s.cgroup_root = "minik8s-e2e";
  s.bridge = "mke2e0";
  s.agent_args = {"--kubelet-port", "0"};
  auto argv = agentArgv("/bin/minik8s", p, s);
  EXPECT_EQ(std::vector<std::string>(argv.begin() + 8, argv.end()),
            (std::vector<std::string>{"--cgroup-root", "minik8s-e2e", "--cni-bridge", "mke2e0",
                                      "--run-dns=true", "--cluster-dns=10.96.0.10",
                                      "--manage-hosts=/etc/hosts", "--kubelet-port", "0"}));
  // Extra flags that name the DNS flags replace them (the agent refuses a flag twice).
  s.agent_args = {"--run-dns=false", "--cluster-dns", "10.0.0.53", "--manage-hosts="};
  argv = agentArgv("/bin/minik8s", p, s);
  EXPECT_EQ(std::vector<std::string>(argv.begin() + 12, argv.end()), s.agent_args);
  EXPECT_EQ(serverIdentity(p), (std::vector<std::string>{"--data-dir", "/d/server"}));
  EXPECT_EQ(agentIdentity(p), (std::vector<std::string>{"--data-dir", "/d/node"}));
}

TEST(LocalClusterArgv, WithTlsTheAgentConnectsThroughItsNodeKubeconfig) {
  auto p = localClusterPaths("/d");
  EXPECT_EQ(p.pki_dir, "/d/server/pki");
  EXPECT_EQ(p.agent_kubeconfig, "/d/node/kubeconfig");
  LocalClusterState s;
  s.port = 7000;
  s.node_name = "n1";
  EXPECT_TRUE(s.tls);
  EXPECT_EQ(serverArgv("/bin/minik8s", p, s),
            (std::vector<std::string>{"/bin/minik8s", "server", "--port", "7000", "--data-dir",
                                      "/d/server", "--tls"}));
  auto argv = agentArgv("/bin/minik8s", p, s);
  EXPECT_EQ(std::vector<std::string>(argv.begin(), argv.begin() + 8),
            (std::vector<std::string>{"/bin/minik8s", "agent", "--kubeconfig", "/d/node/kubeconfig",
                                      "--node-name", "n1", "--data-dir", "/d/node"}));
  // The kubelet endpoint serves HTTPS to the API server only.
  std::vector<std::string> tls_flags = {"--tls-cert-file", "/d/node/kubelet.crt",
                                        "--tls-private-key-file", "/d/node/kubelet.key",
                                        "--client-ca-file", "/d/server/pki/ca.crt"};
  EXPECT_NE(std::search(argv.begin(), argv.end(), tls_flags.begin(), tls_flags.end()), argv.end());
  s.tls = false;
  argv = agentArgv("/bin/minik8s", p, s);
  EXPECT_EQ(std::find(argv.begin(), argv.end(), "--client-ca-file"), argv.end());
  EXPECT_EQ(localServerUrl(7000, true), "https://127.0.0.1:7000");
}

TEST(LocalClusterState, RoundTripsThroughJson) {
  LocalClusterState s;
  s.port = 16443;
  s.node_name = "box";
  s.cgroup_root = "mk";
  s.bridge = "mk8s0";
  s.agent_args = {"--pod-cidr", "10.250.0.0/24"};
  auto back = stateFromJson(stateToJson(s));
  ASSERT_TRUE(back.isOk()) << back.status().toString();
  EXPECT_EQ(*back, s);
  EXPECT_FALSE(stateFromJson(json::array()).isOk());
  EXPECT_FALSE(stateFromJson(json{{"port", "x"}}).isOk());
  EXPECT_FALSE(stateFromJson(json{{"port", 0}}).isOk());
  auto defaults = stateFromJson(json::object());
  ASSERT_TRUE(defaults.isOk());
  EXPECT_EQ(defaults->cgroup_root, "minik8s");
  // A cluster started before TLS keeps serving plain HTTP until `down`.
  EXPECT_FALSE(defaults->tls);
  s.tls = false;
  EXPECT_EQ(*stateFromJson(stateToJson(s)), s);
}

TEST(MergeKubeconfig, CredentialsGoInInline) {
  KubeconfigCredentials credentials{"CA PEM", "CERT PEM", "KEY PEM"};
  auto text = mergeKubeconfig("", "https://127.0.0.1:6443", credentials, "node");
  ASSERT_TRUE(text.isOk()) << text.status().toString();
  json j = *api::parseYaml(*text);
  EXPECT_EQ(j["current-context"], "node");
  EXPECT_EQ(j["clusters"][0]["cluster"]["certificate-authority-data"], "Q0EgUEVN");
  EXPECT_EQ(j["users"][0]["name"], "node");
  EXPECT_EQ(j["users"][0]["user"]["client-certificate-data"], "Q0VSVCBQRU0=");
  EXPECT_EQ(j["users"][0]["user"]["client-key-data"], "S0VZIFBFTQ==");
}

json mergedJson(const std::string& existing, const std::string& url) {
  auto text = mergeKubeconfig(existing, url);
  EXPECT_TRUE(text.isOk()) << text.status().toString();
  if (!text.isOk()) return nullptr;
  auto j = api::parseYaml(*text);
  EXPECT_TRUE(j.isOk());
  return j.isOk() ? *j : json();
}

TEST(MergeKubeconfig, FreshFileHasOneClusterContextAndUserNamedMinik8s) {
  json j = mergedJson("", "http://127.0.0.1:6443");
  EXPECT_EQ(j["apiVersion"], "v1");
  EXPECT_EQ(j["kind"], "Config");
  EXPECT_EQ(j["current-context"], "minik8s");
  ASSERT_EQ(j["clusters"].size(), 1u);
  EXPECT_EQ(j["clusters"][0]["name"], "minik8s");
  EXPECT_EQ(j["clusters"][0]["cluster"]["server"], "http://127.0.0.1:6443");
  EXPECT_EQ(j["contexts"][0]["context"]["cluster"], "minik8s");
  EXPECT_EQ(j["contexts"][0]["context"]["user"], "minik8s");
  EXPECT_EQ(j["users"][0]["name"], "minik8s");
}

TEST(MergeKubeconfig, KeepsOtherContextsAndReplacesOurs) {
  const char* existing = R"(apiVersion: v1
kind: Config
clusters:
- name: prod
  cluster:
    server: https://prod.example:6443
    certificate-authority-data: QUJD
- name: minik8s
  cluster:
    server: http://127.0.0.1:1111
contexts:
- name: prod
  context:
    cluster: prod
    user: admin
    namespace: web
- name: minik8s
  context:
    cluster: minik8s
    user: minik8s
current-context: prod
users:
- name: admin
  user:
    token: secret
preferences: {}
)";
  json j = mergedJson(existing, "http://127.0.0.1:2222");
  EXPECT_EQ(j["current-context"], "minik8s");
  ASSERT_EQ(j["clusters"].size(), 2u);
  EXPECT_EQ(j["clusters"][0]["cluster"]["server"], "https://prod.example:6443");
  EXPECT_EQ(j["clusters"][0]["cluster"]["certificate-authority-data"], "QUJD");
  EXPECT_EQ(j["clusters"][1]["cluster"]["server"], "http://127.0.0.1:2222");
  ASSERT_EQ(j["contexts"].size(), 2u);
  EXPECT_EQ(j["contexts"][0]["context"]["namespace"], "web");
  ASSERT_EQ(j["users"].size(), 2u);
  EXPECT_EQ(j["users"][0]["user"]["token"], "secret");
  EXPECT_TRUE(j.contains("preferences"));
}

TEST(MergeKubeconfig, CommentsOnlyIsEmptyAndGarbageIsRejected) {
  json j = mergedJson("# nothing here\n", "http://127.0.0.1:1");
  EXPECT_EQ(j["current-context"], "minik8s");
  EXPECT_FALSE(mergeKubeconfig("- a\n- b\n", "http://x").isOk());
  EXPECT_FALSE(mergeKubeconfig("clusters: 5\n", "http://x").isOk());
  EXPECT_FALSE(mergeKubeconfig("a: [\n", "http://x").isOk());
}

TEST(NodeIsReady, ReadsTheReadyCondition) {
  std::string why;
  EXPECT_FALSE(nodeIsReady(json::object(), &why));
  EXPECT_EQ(why, "no Ready condition yet");
  json node = {{"status",
                {{"conditions",
                  {{{"type", "MemoryPressure"}, {"status", "False"}},
                   {{"type", "Ready"},
                    {"status", "False"},
                    {"reason", "KubeletNotReady"},
                    {"message", "runtime down"}}}}}}};
  EXPECT_FALSE(nodeIsReady(node, &why));
  EXPECT_EQ(why, "Ready=False (KubeletNotReady: runtime down)");
  node["status"]["conditions"][1]["status"] = "True";
  EXPECT_TRUE(nodeIsReady(node, &why));
}

TEST(NodeIsReady, CanRequireAHeartbeatSinceAGivenTime) {
  json node = {{"status",
                {{"conditions",
                  {{{"type", "Ready"},
                    {"status", "True"},
                    {"lastHeartbeatTime", "2026-11-27T10:36:55Z"}}}}}}};
  const int64_t beat = *parseRfc3339Seconds("2026-11-27T10:36:55Z");
  std::string why;
  EXPECT_TRUE(nodeIsReady(node, &why, 0));
  EXPECT_TRUE(nodeIsReady(node, &why, beat));
  EXPECT_FALSE(nodeIsReady(node, &why, beat + 1));
  EXPECT_EQ(why, "Ready, but from before this start (last heartbeat 2026-11-27T10:36:55Z)");
  node["status"]["conditions"][0].erase("lastHeartbeatTime");
  EXPECT_FALSE(nodeIsReady(node, &why, beat));
}

TEST(ParseRfc3339Seconds, UtcFractionsAndOffsets) {
  EXPECT_EQ(parseRfc3339Seconds("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parseRfc3339Seconds("2000-03-01T00:00:00Z"), 951868800);
  EXPECT_EQ(parseRfc3339Seconds("2026-11-27T10:36:55Z"), 1795775815);
  EXPECT_EQ(parseRfc3339Seconds("2026-11-27T10:36:55.123456Z"), 1795775815);
  EXPECT_EQ(parseRfc3339Seconds("2026-11-27T11:36:55+01:00"), 1795775815);
  EXPECT_EQ(parseRfc3339Seconds("2026-11-27T09:36:55-01:00"), 1795775815);
  EXPECT_EQ(parseRfc3339Seconds(""), std::nullopt);
  EXPECT_EQ(parseRfc3339Seconds("2026-11-27 10:36:55Z"), std::nullopt);
  EXPECT_EQ(parseRfc3339Seconds("2026-13-27T10:36:55Z"), std::nullopt);
  EXPECT_EQ(parseRfc3339Seconds("2026-11-27T10:36:55"), std::nullopt);
  EXPECT_EQ(parseRfc3339Seconds("2026-11-27T10:36:55Zjunk"), std::nullopt);
}

TEST(LastLines, KeepsTheTail) {
  EXPECT_EQ(lastLines("a\nb\nc\n", 2), "b\nc");
  EXPECT_EQ(lastLines("a\nb\nc", 5), "a\nb\nc");
  EXPECT_EQ(lastLines("", 3), "");
  EXPECT_EQ(lastLines("x\n", 0), "");
}

}  // namespace local_cluster_test
}  // namespace minik8s::node
