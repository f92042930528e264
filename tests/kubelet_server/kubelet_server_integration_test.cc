// Integration: KubeletServer against a private containerd (ContainerdProcess) running real
// busybox containers labelled as the kubelet labels them (docs/kubelet.md): logs (with
// tailLines, timestamps, limitBytes, previous, and follow ending when the container
// exits), exec over a real WebSocket (v5 and v4, exit codes, stdout/stderr, stdin) and the
// stats summary. Then the whole path with the real kubectl: an ApiServer (in-memory store)
// proxying `kubectl logs`, `logs -f`, `exec` and `top` to this kubelet endpoint.
// Needs root, containerd, runc and the CNI plugins; the kubectl part needs a kubectl on the
// PATH (scripts/setup.sh installs one). A missing one is a skip, which fails scripts/test.sh.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "apiserver/apiserver.h"
#include "cri/cri_runtime.h"
#include "image/builder.h"
#include "image/command.h"
#include "image/loader.h"
#include "kubelet_server/kubelet_server.h"
#include "node/containerd_cleanup.h"
#include "node/containerd_process.h"
#include "store/memory_store.h"
#include "testing/containerd_node.h"
#include "testing/http_client.h"
#include "testing/ws_client.h"

namespace minik8s::kubelet {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr char kBusybox[] = "docker.io/library/busybox:1.36.1";

struct Env : testing::TestNode {
  std::unique_ptr<KubeletServer> server;
  std::unique_ptr<store::MemoryStore> store;
  std::unique_ptr<apiserver::ApiServer> api;
};

Env* env = nullptr;
std::string skip_reason;

// The kubectl the PATH finds, or "" when there is none.
std::string kubectlPath() {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path != nullptr ? path : "");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    std::string bin = (dir.empty() ? "." : dir) + "/kubectl";
    if (::access(bin.c_str(), X_OK) == 0) return bin;
  }
  return "";
}

template <typename Cond>
bool waitFor(Cond cond, std::chrono::milliseconds timeout = 20000ms) {
  auto deadline = Clock::now() + timeout;
  while (!cond()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(50ms);
  }
  return true;
}

class KubeletServerIntegration : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    skip_reason = Env::missingPrerequisite();
    if (!skip_reason.empty()) return;
    env = new Env;
    Status started = env->start({"kstest", "mks", 251, {"pause", "busybox"}});
    ASSERT_TRUE(started.isOk()) << started.toString();
    KubeletServerOptions ko;
    ko.bind_address = "127.0.0.1";
    ko.port = 0;
    ko.node_name = "ks-node";
    ko.stats_interval = 1000ms;
    ko.log_poll_interval = 50ms;
    ko.container_poll_interval = 200ms;
    env->server = std::make_unique<KubeletServer>(*env->rt, ko);
    Status s = env->server->start();
    ASSERT_TRUE(s.isOk()) << s.toString();
  }

  static void TearDownTestSuite() {
    if (env == nullptr) return;
    if (env->api) env->api->stop();
    if (env->server) env->server->stop();
    auto report = env->teardown();
    EXPECT_TRUE(report.problems.empty());
    EXPECT_TRUE(node::mountsUnder(env->base).empty());
    EXPECT_TRUE(node::cgroupDirsOf(env->cgroup_root).empty());
    delete env;
    env = nullptr;
  }

  void SetUp() override {
    if (!skip_reason.empty()) GTEST_SKIP() << skip_reason;
    ASSERT_NE(env, nullptr);
    ASSERT_TRUE(env->server != nullptr);
  }

  uint16_t port() const { return env->server->port(); }

  struct Pod {
    std::string name, ns, uid, sandbox;
    cri::PodSandboxConfig config;
  };

  // A sandbox labelled and logged as the kubelet does it (docs/kubelet.md).
  Pod runSandbox(const std::string& name, const std::string& ns = "default",
                 const std::string& uid = "") {
    Pod pod;
    pod.name = name;
    pod.ns = ns;
    pod.uid = uid.empty() ? "uid-" + name : uid;
    auto& c = pod.config;
    c.metadata = {name, pod.uid, ns, 0};
    c.hostname = name;
    c.log_directory = env->work_dir + "/logs/" + ns + "_" + name + "_" + pod.uid;
    fs::create_directories(c.log_directory);
    c.labels = {{"io.kubernetes.pod.name", name},
                {"io.kubernetes.pod.namespace", ns},
                {"io.kubernetes.pod.uid", pod.uid}};
    c.cgroup_parent = env->cgroup_root + "/pod" + pod.uid;
    auto sb = env->rt->runPodSandbox(c);
    EXPECT_TRUE(sb.isOk()) << sb.status().toString();
    if (sb.isOk()) pod.sandbox = *sb;
    return pod;
  }

  std::string runContainer(const Pod& pod, const std::string& name,
                           std::vector<std::string> command, uint32_t attempt = 0) {
    cri::ContainerConfig c;
    c.metadata = {name, attempt};
    c.image = kBusybox;
    c.command = std::move(command);
    c.namespace_options.pid = cri::NamespaceMode::kContainer;
    c.labels = {{"io.kubernetes.pod.name", pod.name},
                {"io.kubernetes.pod.namespace", pod.ns},
                {"io.kubernetes.pod.uid", pod.uid},
                {"io.kubernetes.container.name", name}};
    c.annotations = {{"io.kubernetes.container.restartCount", std::to_string(attempt)}};
    c.log_path = name + "/" + std::to_string(attempt) + ".log";
    auto id = env->rt->createContainer(pod.sandbox, c, pod.config);
    EXPECT_TRUE(id.isOk()) << id.status().toString();
    if (!id.isOk()) return "";
    Status s = env->rt->startContainer(*id);
    EXPECT_TRUE(s.isOk()) << s.toString();
    return *id;
  }

  bool waitExited(const std::string& id) {
    return waitFor([&] {
      auto st = env->rt->containerStatus(id);
      return st.isOk() && st->state == cri::ContainerState::kExited;
    });
  }

  void removePod(const Pod& pod) {
    EXPECT_TRUE(env->rt->stopPodSandbox(pod.sandbox).isOk());
    EXPECT_TRUE(env->rt->removePodSandbox(pod.sandbox).isOk());
  }

  testing::HttpResult get(const std::string& target) {
    return testing::httpCall(port(), "GET", target, "", {});
  }

  // An ApiServer whose Node "ks-node" points at this kubelet endpoint.
  uint16_t apiPort() {
    if (!env->api) {
      env->store = std::make_unique<store::MemoryStore>();
      apiserver::ApiServerOptions o;
      o.http.port = 0;
      o.compaction_interval = 0s;
      env->api = std::make_unique<apiserver::ApiServer>(o, *env->store);
      EXPECT_TRUE(env->api->start().isOk());
      json node = {{"apiVersion", "v1"}, {"kind", "Node"}, {"metadata", {{"name", "ks-node"}}}};
      auto r = apiCall("POST", "/api/v1/nodes", node.dump());
      EXPECT_EQ(r.status, 201) << r.body;
      node = json::parse(r.body);
      node["status"] = {
          {"addresses", json::array({{{"type", "InternalIP"}, {"address", "127.0.0.1"}}})},
          {"daemonEndpoints", {{"kubeletEndpoint", {{"Port", port()}}}}},
          {"allocatable", {{"cpu", "2"}, {"memory", "8Gi"}}},
          {"capacity", {{"cpu", "2"}, {"memory", "8Gi"}}},
          {"conditions", json::array({{{"type", "Ready"}, {"status", "True"}}})}};
      r = apiCall("PUT", "/api/v1/nodes/ks-node/status", node.dump());
      EXPECT_EQ(r.status, 200) << r.body;
    }
    return env->api->port();
  }

  testing::HttpResult apiCall(const std::string& method, const std::string& target,
                              const std::string& body = "") {
    return testing::httpCall(env->api->port(), method, target, body, {});
  }

  // The Pod object (container `container` running on ks-node), as its kubelet would report
  // it; returns its uid, for the sandbox's labels.
  std::string publishPod(const std::string& name, const std::string& container,
                         const std::string& ns = "default") {
    Pod pod;
    pod.name = name;
    pod.ns = ns;
    json object = {{"apiVersion", "v1"},
                   {"kind", "Pod"},
                   {"metadata", {{"name", pod.name}, {"namespace", pod.ns}}},
                   {"spec",
                    {{"nodeName", "ks-node"},
                     {"containers", json::array({{{"name", container}, {"image", kBusybox}}})}}}};
    auto r = apiCall("POST", "/api/v1/namespaces/" + pod.ns + "/pods", object.dump());
    EXPECT_EQ(r.status, 201) << r.body;
    object = json::parse(r.body, nullptr, false);
    if (!object.is_object()) return "";
    object["status"] = {
        {"phase", "Running"},
        {"containerStatuses",
         json::array({{{"name", container},
                       {"state", {{"running", {{"startedAt", "2024-05-01T10:00:00Z"}}}}},
                       {"ready", true},
                       {"restartCount", 0},
                       {"image", kBusybox},
                       {"imageID", ""}}})}};
    r = apiCall("PUT", "/api/v1/namespaces/" + pod.ns + "/pods/" + pod.name + "/status",
                object.dump());
    EXPECT_EQ(r.status, 200) << r.body;
    return object["metadata"].value("uid", "");
  }

  image::CommandResult kubectl(std::vector<std::string> args) {
    std::vector<std::string> argv = {
        kubectlPath(), "--server=http://127.0.0.1:" + std::to_string(apiPort()),
        "--cache-dir=" + env->work_dir + "/kubectl-cache", "--request-timeout=30s"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = image::runCommand(argv);
    EXPECT_TRUE(r.isOk()) << r.status().toString();
    return r.isOk() ? *r : image::CommandResult{};
  }
};

TEST_F(KubeletServerIntegration, Healthz) {
  auto r = get("/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "ok");
}

TEST_F(KubeletServerIntegration, LogsOfAnExitedContainer) {
  auto pod = runSandbox("logs");
  auto id =
      runContainer(pod, "c", {"/bin/sh", "-c", "echo one; echo two >&2; sleep 0.3; echo three"});
  ASSERT_TRUE(waitExited(id));
  auto r = get("/containerLogs/default/logs/c");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers["content-type"], "text/plain");
  // stdout and stderr are written by separate pipes: both are there, "three" last.
  EXPECT_NE(r.body.find("one\n"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("two\n"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("three\n"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.size(), std::string("one\ntwo\nthree\n").size());

  r = get("/containerLogs/default/logs/c?tailLines=1");
  EXPECT_EQ(r.body, "three\n");
  r = get("/containerLogs/default/logs/c?limitBytes=5&tailLines=2");
  EXPECT_EQ(r.body.size(), 5u);
  r = get("/containerLogs/default/logs/c?timestamps=true&tailLines=1");
  ASSERT_EQ(r.body.size(), std::string("2024-01-01T00:00:00.000000000Z three\n").size()) << r.body;
  EXPECT_EQ(r.body.substr(30), " three\n");
  EXPECT_EQ(r.body[29], 'Z');
  r = get("/containerLogs/default/logs/c?sinceSeconds=3600");
  EXPECT_NE(r.body.find("three"), std::string::npos);
  r = get("/containerLogs/default/logs/c?tailLines=-1");
  EXPECT_EQ(r.status, 400) << r.body;
  r = get("/containerLogs/default/logs/nosuch");
  EXPECT_EQ(r.status, 404) << r.body;
  r = get("/containerLogs/default/nosuchpod/c");
  EXPECT_EQ(r.status, 404) << r.body;

  // A second attempt: its log is the current one, the first is `previous`.
  auto id2 = runContainer(pod, "c", {"/bin/sh", "-c", "echo second attempt"}, 1);
  ASSERT_TRUE(waitExited(id2));
  r = get("/containerLogs/default/logs/c");
  EXPECT_EQ(r.body, "second attempt\n");
  r = get("/containerLogs/default/logs/c?previous=true&tailLines=1");
  EXPECT_EQ(r.body, "three\n");
  removePod(pod);
}

TEST_F(KubeletServerIntegration, FollowStreamsUntilTheContainerExits) {
  auto pod = runSandbox("follow");
  auto id = runContainer(
      pod, "c", {"/bin/sh", "-c", "echo first; sleep 1; echo second; sleep 1; echo third"});
  ASSERT_FALSE(id.empty());
  testing::HttpConnection conn(port());
  ASSERT_TRUE(conn.ok());
  ASSERT_TRUE(conn.sendRequest("GET", "/containerLogs/default/follow/c?follow=true", "", {}));
  testing::HttpResult head;
  ASSERT_TRUE(conn.readHead(&head, 5000ms));
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.headers["transfer-encoding"], "chunked");
  auto t0 = Clock::now();
  std::string body;
  bool ended = false;
  while (Clock::now() - t0 < 20s) {
    auto chunk = conn.readChunk(20000ms);
    if (!chunk) break;
    if (chunk->empty()) {
      ended = true;
      break;
    }
    body += *chunk;
  }
  EXPECT_TRUE(ended) << "the stream did not end after the container exited";
  EXPECT_EQ(body, "first\nsecond\nthird\n");
  EXPECT_GE(Clock::now() - t0, 1500ms) << "lines came as they were written";
  removePod(pod);
}

TEST_F(KubeletServerIntegration, ExecV5ReportsOutputAndExitCode) {
  auto pod = runSandbox("exec");
  auto id = runContainer(pod, "c", {"/bin/sleep", "3600"});
  ASSERT_TRUE(waitFor([&] {
    auto st = env->rt->containerStatus(id);
    return st.isOk() && st->state == cri::ContainerState::kRunning;
  }));
  auto o = testing::runExec(port(),
                            "/exec/default/exec/c?command=sh&command=-c&command=echo%20out%3B%20"
                            "echo%20err%20%3E%262%3B%20exit%203&stdout=true&stderr=true",
                            "v5.channel.k8s.io");
  ASSERT_EQ(o.http_status, 101) << o.error_body;
  EXPECT_EQ(o.protocol, "v5.channel.k8s.io");
  EXPECT_EQ(o.out, "out\n");
  EXPECT_EQ(o.err, "err\n");
  auto status = json::parse(o.status, nullptr, false);
  ASSERT_TRUE(status.is_object()) << o.status;
  EXPECT_EQ(status["status"], "Failure") << o.status;
  EXPECT_EQ(status["reason"], "NonZeroExitCode") << o.status;
  EXPECT_EQ(status["details"]["causes"][0]["reason"], "ExitCode") << o.status;
  EXPECT_EQ(status["details"]["causes"][0]["message"], "3") << o.status;
  EXPECT_TRUE(o.closed_cleanly);

  // v4 (the Python client), success.
  o = testing::runExec(port(), "/exec/default/exec/c?command=hostname&stdout=True&stderr=True",
                       "v4.channel.k8s.io");
  ASSERT_EQ(o.http_status, 101) << o.error_body;
  EXPECT_EQ(o.protocol, "v4.channel.k8s.io");
  EXPECT_EQ(o.out, "exec\n");
  EXPECT_EQ(json::parse(o.status, nullptr, false)["status"], "Success") << o.status;

  // stdin over v4 (the command ends by itself: v4 cannot end stdin alone).
  o = testing::runExec(port(),
                       "/exec/default/exec/c?command=head&command=-c&command=12&stdin=true"
                       "&stdout=true&stderr=true",
                       "v4.channel.k8s.io", "hello stdin\n");
  ASSERT_EQ(o.http_status, 101) << o.error_body;
  EXPECT_EQ(o.out, "hello stdin\n");
  EXPECT_FALSE(o.timed_out);
  // v5 with stdin: refused, so that kubectl uses SPDY (spliced to containerd).
  o = testing::runExec(port(),
                       "/exec/default/exec/c?command=cat&stdin=true&stdout=true&stderr=true",
                       "v5.channel.k8s.io", "hello stdin\n", true);
  EXPECT_EQ(o.http_status, 400) << o.error_body;

  // Refusals before the switch.
  auto r = testing::httpCall(port(), "GET", "/exec/default/exec/c?command=ls&stdout=true", "", {});
  EXPECT_EQ(r.status, 400) << r.body;
  o = testing::runExec(port(), "/exec/default/exec/c?command=ls&stdout=true",
                       "base64.channel.k8s.io");
  EXPECT_EQ(o.http_status, 400) << o.error_body;
  o = testing::runExec(port(), "/exec/default/exec/nosuch?command=ls&stdout=true",
                       "v5.channel.k8s.io");
  EXPECT_EQ(o.http_status, 404) << o.error_body;
  removePod(pod);
}

TEST_F(KubeletServerIntegration, StatsSummaryHasCpuRatesAndMemory) {
  auto pod = runSandbox("busy");
  auto id = runContainer(pod, "spin", {"/bin/sh", "-c", "while true; do :; done"});
  ASSERT_FALSE(id.empty());
  json container;
  json node;
  bool found = waitFor(
      [&] {
        auto r = get("/stats/summary");
        if (r.status != 200) return false;
        auto summary = json::parse(r.body, nullptr, false);
        if (!summary.is_object()) return false;
        node = summary["node"];
        for (const auto& p : summary["pods"]) {
          if (p["podRef"]["name"] != "busy") continue;
          for (const auto& c : p["containers"]) {
            if (c["name"] == "spin" && c["cpu"].contains("usageNanoCores")) {
              container = c;
              return true;
            }
          }
        }
        return false;
      },
      15000ms);
  ASSERT_TRUE(found) << "no CPU rate for the busy container";
  EXPECT_EQ(node["nodeName"], "ks-node");
  EXPECT_GT(node["cpu"]["usageNanoCores"].get<uint64_t>(), 0u);
  EXPECT_GT(node["memory"]["workingSetBytes"].get<uint64_t>(), 0u);
  EXPECT_GT(node["memory"]["availableBytes"].get<uint64_t>(), 0u);
  // A busy loop uses most of a core (at least a tenth, on a loaded machine).
  EXPECT_GT(container["cpu"]["usageNanoCores"].get<uint64_t>(), 100'000'000u) << container.dump();
  EXPECT_GT(container["memory"]["workingSetBytes"].get<uint64_t>(), 0u) << container.dump();
  removePod(pod);
}

TEST_F(KubeletServerIntegration, WebSocketExecThroughTheApiserver) {
  uint16_t api = apiPort();
  auto pod = runSandbox("via-api", "default", publishPod("via-api", "c"));
  auto id = runContainer(pod, "c", {"/bin/sleep", "3600"});
  ASSERT_FALSE(id.empty());
  auto o = testing::runExec(api,
                            "/api/v1/namespaces/default/pods/via-api/exec?command=sh&command=-c"
                            "&command=echo%20hi%3B%20exit%205&container=c&stdout=true&stderr=true",
                            "v5.channel.k8s.io");
  ASSERT_EQ(o.http_status, 101) << o.error_body;
  EXPECT_EQ(o.protocol, "v5.channel.k8s.io");
  EXPECT_EQ(o.out, "hi\n");
  EXPECT_EQ(json::parse(o.status, nullptr, false)["details"]["causes"][0]["message"], "5")
      << o.status;
  auto r = apiCall("GET", "/api/v1/namespaces/default/pods/via-api/log");
  EXPECT_EQ(r.status, 200);
  removePod(pod);
}

TEST_F(KubeletServerIntegration, RealKubectlLogsExecAndTop) {
  if (kubectlPath().empty())
    GTEST_SKIP() << "no kubectl on the PATH (scripts/setup.sh installs one)";
  apiPort();
  auto pod = runSandbox("kubectl", "default", publishPod("kubectl", "c"));
  auto id =
      runContainer(pod, "c", {"/bin/sh", "-c", "echo hello from kubectl; while true; do :; done"});
  ASSERT_FALSE(id.empty());

  image::CommandResult r;
  EXPECT_TRUE(waitFor([&] {
    r = kubectl({"logs", "kubectl"});
    return r.exit_code == 0 && !r.out.empty();
  })) << r.err;
  EXPECT_EQ(r.out, "hello from kubectl\n") << r.err;
  r = kubectl({"logs", "kubectl", "--tail=1", "--timestamps"});
  EXPECT_NE(r.out.find("Z hello from kubectl"), std::string::npos) << r.out << r.err;

  r = kubectl({"exec", "kubectl", "--", "sh", "-c", "echo out; echo err >&2; exit 3"});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_EQ(r.out, "out\n");
  EXPECT_NE(r.err.find("err\n"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("command terminated with exit code 3"), std::string::npos) << r.err;
  r = kubectl({"exec", "kubectl", "--", "hostname"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "kubectl\n");
  r = kubectl({"exec", "kubectl", "-c", "nosuch", "--", "true"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("container nosuch is not valid for pod kubectl"), std::string::npos)
      << r.err;
  r = kubectl({"logs", "nosuchpod"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("not found"), std::string::npos) << r.err;

  // top: the busy loop shows up once the sampler has two samples.
  bool shown = waitFor(
      [&] {
        r = kubectl({"top", "pod", "kubectl"});
        // A CPU rate needs two samples: until then the busy loop reads "0m".
        return r.exit_code == 0 && r.out.find("kubectl") != std::string::npos &&
               r.out.find(" 0m ") == std::string::npos;
      },
      20000ms);
  EXPECT_TRUE(shown) << r.out << r.err;
  std::printf("[kubectl top pod]\n%s", r.out.c_str());
  r = kubectl({"top", "node"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("ks-node"), std::string::npos) << r.out << r.err;
  std::printf("[kubectl top node]\n%s", r.out.c_str());
  removePod(pod);
}

TEST_F(KubeletServerIntegration, RealKubectlLogsFollowEndsWhenTheContainerExits) {
  if (kubectlPath().empty())
    GTEST_SKIP() << "no kubectl on the PATH (scripts/setup.sh installs one)";
  apiPort();
  auto pod = runSandbox("kfollow", "default", publishPod("kfollow", "c"));
  auto id = runContainer(pod, "c", {"/bin/sh", "-c", "echo one; sleep 2; echo two"});
  ASSERT_FALSE(id.empty());
  auto t0 = Clock::now();
  auto r = kubectl({"logs", "-f", "kfollow"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "one\ntwo\n") << r.err;
  EXPECT_GE(Clock::now() - t0, 1500ms);
  removePod(pod);
}

TEST_F(KubeletServerIntegration, PythonClientLogsAndExec) {
  auto probe = image::runCommand({"/usr/bin/python3", "-c", "import kubernetes.stream"});
  if (!probe.isOk() || probe->exit_code != 0) GTEST_SKIP() << "no python3-kubernetes";
  uint16_t api = apiPort();
  auto pod = runSandbox("py", "default", publishPod("py", "c"));
  auto id = runContainer(pod, "c", {"/bin/sh", "-c", "echo from python; sleep 3600"});
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(waitFor([&] {
    return apiCall("GET", "/api/v1/namespaces/default/pods/py/log").body == "from python\n";
  }));
  std::string script =
      "from kubernetes import client\n"
      "from kubernetes.stream import stream\n"
      "c = client.Configuration()\n"
      "c.host = 'http://127.0.0.1:" +
      std::to_string(api) +
      "'\n"
      "v1 = client.CoreV1Api(client.ApiClient(c))\n"
      "print(v1.read_namespaced_pod_log('py', 'default'), end='')\n"
      "print(stream(v1.connect_get_namespaced_pod_exec, 'py', 'default',\n"
      "             command=['sh', '-c', 'echo exec out; echo exec err >&2'],\n"
      "             stderr=True, stdin=False, stdout=True, tty=False), end='')\n";
  auto r = image::runCommand({"/usr/bin/python3", "-c", script});
  ASSERT_TRUE(r.isOk());
  EXPECT_EQ(r->exit_code, 0) << r->err;
  EXPECT_NE(r->out.find("from python\n"), std::string::npos) << r->out << r->err;
  EXPECT_NE(r->out.find("exec out\n"), std::string::npos) << r->out << r->err;
  EXPECT_NE(r->out.find("exec err\n"), std::string::npos) << r->out << r->err;
  removePod(pod);
}

}  // namespace
}  // namespace minik8s::kubelet
