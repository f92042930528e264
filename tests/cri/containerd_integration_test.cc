// Integration: a dedicated containerd (ContainerdProcess) with the stock images, pods run
// through CriRuntime, the stock apps answering on their pod IPs, and a teardown that leaves
// nothing behind (runtime-recipe §8). Needs root, containerd, runc and the CNI plugins.
#include <gtest/gtest.h>
#include <unistd.h>

#include <sys/wait.h>

#include <csignal>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "cri/cri_runtime.h"
#include "image/builder.h"
#include "image/command.h"
#include "image/loader.h"
#include "node/containerd_cleanup.h"
#include "node/containerd_process.h"
#include "node/registry_config.h"
#include "common/spawn.h"
#include "testing/containerd_node.h"

namespace minik8s::cri {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double msSince(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

using Env = testing::TestNode;

Env* env = nullptr;
std::string skip_reason;

class ContainerdIntegration : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    skip_reason = Env::missingPrerequisite({"/usr/bin/curl"});
    if (!skip_reason.empty()) return;
    env = new Env;
    Status started = env->start({"cri", "mkt", 250, {}});
    ASSERT_TRUE(started.isOk()) << started.toString();
  }

  static void TearDownTestSuite() {
    if (env == nullptr) return;
    node::ContainerdPaths paths = node::containerdPaths(env->base);
    auto report = env->teardown();
    EXPECT_TRUE(report.problems.empty());
    EXPECT_EQ(report.shims_killed, 0) << "shims outlived their pods";

    // Nothing left behind.
    EXPECT_TRUE(node::findShimPids(paths.socket).empty());
    EXPECT_TRUE(node::mountsUnder(env->base).empty());
    EXPECT_TRUE(node::cgroupDirsOf(env->cgroup_root).empty());
    EXPECT_FALSE(node::linkExists(env->bridge));
    EXPECT_FALSE(fs::exists(env->base));
    auto nat = image::runCommand({"iptables-save", "-t", "nat"});
    if (nat.isOk() && nat->exit_code == 0) {
      EXPECT_EQ(nat->out.find(env->network), std::string::npos) << "CNI rules left behind";
    }
    delete env;
    env = nullptr;
  }

  void SetUp() override {
    if (!skip_reason.empty()) GTEST_SKIP() << skip_reason;
    ASSERT_NE(env, nullptr);
    ASSERT_TRUE(env->rt != nullptr);
  }

  PodSandboxConfig sandbox(const std::string& name) {
    PodSandboxConfig c;
    c.metadata = {name, "uid-" + name, "default", 0};
    c.hostname = name;
    c.log_directory = env->work_dir + "/logs/" + name;
    fs::create_directories(c.log_directory);
    c.labels = {{"minik8s.io/test", "cri"}};
    c.cgroup_parent = env->cgroup_root + "/pod" + c.metadata.uid;
    return c;
  }

  // Runs a one-container pod; returns {sandbox id, container id, pod IP}.
  struct Pod {
    std::string sandbox, container, ip;
    PodSandboxConfig config;
  };
  Pod runPod(const std::string& name, ContainerConfig c) {
    Pod pod;
    pod.config = sandbox(name);
    auto t0 = Clock::now();
    auto sb = env->rt->runPodSandbox(pod.config);
    EXPECT_TRUE(sb.isOk()) << sb.status().toString();
    if (!sb.isOk()) return pod;
    double t_sandbox = msSince(t0);
    pod.sandbox = *sb;
    auto st = env->rt->podSandboxStatus(pod.sandbox);
    EXPECT_TRUE(st.isOk());
    if (st.isOk()) pod.ip = st->ip;
    c.log_path = c.metadata.name + "/0.log";
    t0 = Clock::now();
    auto id = env->rt->createContainer(pod.sandbox, c, pod.config);
    EXPECT_TRUE(id.isOk()) << id.status().toString();
    if (!id.isOk()) return pod;
    double t_create = msSince(t0);
    pod.container = *id;
    t0 = Clock::now();
    Status s = env->rt->startContainer(pod.container);
    EXPECT_TRUE(s.isOk()) << s.toString();
    std::printf("[measure] %s: RunPodSandbox %.0f ms, CreateContainer %.0f ms, "
                "StartContainer %.0f ms, IP %s\n",
                name.c_str(), t_sandbox, t_create, msSince(t0), pod.ip.c_str());
    return pod;
  }

  void removePod(const Pod& pod) {
    auto t0 = Clock::now();
    if (!pod.container.empty()) {
      EXPECT_TRUE(env->rt->stopContainer(pod.container, std::chrono::seconds(2)).isOk());
      EXPECT_TRUE(env->rt->removeContainer(pod.container).isOk());
    }
    EXPECT_TRUE(env->rt->stopPodSandbox(pod.sandbox).isOk());
    EXPECT_TRUE(env->rt->removePodSandbox(pod.sandbox).isOk());
    std::printf("[measure] teardown %s: %.0f ms\n", pod.config.metadata.name.c_str(), msSince(t0));
  }

  // curl -m 3 until the body contains `want` or 15 s pass; returns the last body.
  std::string fetchUntil(const std::string& url, const std::string& want,
                         const std::vector<std::string>& extra = {}) {
    auto deadline = Clock::now() + std::chrono::seconds(15);
    std::string body;
    while (Clock::now() < deadline) {
      std::vector<std::string> argv = {"curl", "-s", "-m", "3"};
      argv.insert(argv.end(), extra.begin(), extra.end());
      argv.push_back(url);
      auto r = image::runCommand(argv);
      if (r.isOk() && r->exit_code == 0) {
        body = r->out;
        if (body.find(want) != std::string::npos) return body;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return body;
  }

  ContainerConfig container(const std::string& name, const std::string& image) {
    ContainerConfig c;
    c.metadata = {name, 0};
    c.image = image;
    c.namespace_options.pid = NamespaceMode::kContainer;
    return c;
  }
};

TEST_F(ContainerdIntegration, VersionAndStatusAreReady) {
  auto v = env->rt->version();
  ASSERT_TRUE(v.isOk()) << v.status().toString();
  EXPECT_EQ(v->runtime_name, "containerd");
  EXPECT_EQ(v->runtime_api_version, "v1");
  auto conds = env->rt->status();
  ASSERT_TRUE(conds.isOk());
  for (const char* type : {"RuntimeReady", "NetworkReady"}) {
    auto it = std::find_if(conds->begin(), conds->end(),
                           [&](const RuntimeCondition& c) { return c.type == type; });
    ASSERT_NE(it, conds->end()) << type;
    EXPECT_TRUE(it->status) << type << ": " << it->message;
  }
}

TEST_F(ContainerdIntegration, ListImagesShowsTheStockNamesNormalised) {
  auto images = env->rt->listImages();
  ASSERT_TRUE(images.isOk()) << images.status().toString();
  std::vector<std::string> tags;
  for (const auto& i : *images) tags.insert(tags.end(), i.repo_tags.begin(), i.repo_tags.end());
  for (const auto& s : image::stockImages()) {
    for (const auto& n : s.names) {
      EXPECT_NE(std::find(tags.begin(), tags.end(), n), tags.end()) << n;
    }
  }
  auto bb = env->rt->imageStatus("docker.io/library/busybox:1.36.1");
  ASSERT_TRUE(bb.isOk());
  auto latest = env->rt->imageStatus("docker.io/library/busybox:latest");
  ASSERT_TRUE(latest.isOk());
  EXPECT_EQ(bb->id, latest->id) << "two tags of one image";
  EXPECT_EQ(env->rt->imageStatus("docker.io/library/nope:1").status().code(), Code::kNotFound);
}

TEST_F(ContainerdIntegration, AbsentImageFailsCreateContainerWithNotFound) {
  auto cfg = sandbox("absent");
  auto sb = env->rt->runPodSandbox(cfg);
  ASSERT_TRUE(sb.isOk()) << sb.status().toString();
  auto c = env->rt->createContainer(*sb, container("c", "docker.io/library/nope:1"), cfg);
  EXPECT_EQ(c.status().code(), Code::kNotFound) << c.status().toString();
  EXPECT_EQ(env->rt->runPodSandbox(cfg).status().code(), Code::kAlreadyExists);
  EXPECT_TRUE(env->rt->stopPodSandbox(*sb).isOk());
  EXPECT_TRUE(env->rt->removePodSandbox(*sb).isOk());
  EXPECT_EQ(env->rt->podSandboxStatus(*sb).status().code(), Code::kNotFound);
}

TEST_F(ContainerdIntegration, BusyboxHttpdAnswersOnThePodIp) {
  std::string www = env->work_dir + "/www";
  fs::create_directories(www);
  std::ofstream(www + "/index.html") << "hello from minik8s\n";
  auto c = container("httpd", "docker.io/library/busybox:1.36.1");
  c.command = {"/usr/sbin/httpd"};
  c.args = {"-f", "-p", "80", "-h", "/www"};
  c.envs = {{"GREETING", "hi"}};
  c.mounts = {{"/www", www, true, MountPropagation::kPrivate}};
  c.resources.memory_limit_in_bytes = 64 << 20;
  c.labels = {{"app", "httpd"}};
  auto pod = runPod("httpd", c);
  ASSERT_FALSE(pod.ip.empty());
  EXPECT_EQ(fetchUntil("http://" + pod.ip + "/", "hello from minik8s"), "hello from minik8s\n");

  auto cs = env->rt->containerStatus(pod.container);
  ASSERT_TRUE(cs.isOk());
  EXPECT_EQ(cs->state, ContainerState::kRunning);
  EXPECT_EQ(cs->labels.at("app"), "httpd");
  auto t0 = Clock::now();
  auto ex = env->rt->execSync(pod.container, {"/bin/sh", "-c", "echo $GREETING; hostname; exit 7"},
                              std::chrono::seconds(5));
  ASSERT_TRUE(ex.isOk()) << ex.status().toString();
  std::printf("[measure] ExecSync: %.0f ms\n", msSince(t0));
  EXPECT_EQ(ex->stdout_data, "hi\nhttpd\n");
  EXPECT_EQ(ex->exit_code, 7);
  ContainerFilter f;
  f.pod_sandbox_id = pod.sandbox;
  auto list = env->rt->listContainers(f);
  ASSERT_TRUE(list.isOk());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].id, pod.container);
  auto stats = env->rt->containerStats(pod.container);
  ASSERT_TRUE(stats.isOk()) << stats.status().toString();
  EXPECT_TRUE(stats->cpu_usage_core_nano_seconds.has_value());
  removePod(pod);
}

TEST_F(ContainerdIntegration, StockAppsAnswerWithTheirText) {
  struct App {
    std::string name, image;
    std::vector<std::pair<std::string, std::string>> env;
    std::string path;
    std::vector<std::string> want;
    std::vector<std::string> curl_extra;
    int port;
  };
  std::vector<App> apps = {
      {"greeting", "greeting-app", {{"NAME", "Bob"}}, "/", {"Nice to meet you, Bob!"}, {}, 5000},
      {"greeting-q", "docker.io/library/greeting-app:latest", {}, "/?name=Alice",
       {"Nice to meet you, Alice!"}, {}, 5000},
      {"greeting-5001", "docker.io/library/greeting-app:5001", {{"NAME", "Eve"}}, "/",
       {"Nice to meet you, Eve!"}, {}, 5001},
      {"welcome", "docker.io/library/welcome-app:latest", {{"VERSION", "2"}}, "/",
       {"<title>My Website</title>", "Welcome to My website version 2"}, {}, 80},
      {"myip", "docker.io/library/myip:latest", {}, "/", {"Hostname: myip\n", "IP Address: "},
       {}, 5000},
      {"stress", "docker.io/library/flask-stress-app:latest", {}, "/setload?cpu=0.1&memory=1M&duration=1",
       {"load started"}, {"-X", "POST"}, 5000},
      {"nginx", "docker.io/library/nginx:latest", {}, "/", {"Welcome to nginx!"}, {}, 80},
  };
  for (const auto& app : apps) {
    SCOPED_TRACE(app.name);
    auto c = container(app.name, app.image);
    if (c.image.find('/') == std::string::npos) c.image = "docker.io/library/" + app.image + ":latest";
    c.envs = app.env;
    auto pod = runPod(app.name, c);
    ASSERT_FALSE(pod.ip.empty());
    std::string url = "http://" + pod.ip + ":" + std::to_string(app.port) + app.path;
    std::string body = fetchUntil(url, app.want.front(), app.curl_extra);
    for (const auto& w : app.want) EXPECT_NE(body.find(w), std::string::npos) << w << " in " << body;
    if (app.name == "myip") {
      EXPECT_NE(body.find("IP Address: " + pod.ip), std::string::npos) << body;
    }
    if (app.name == "stress") {
      std::string params = fetchUntil("http://" + pod.ip + ":5000/getparams", "1M");
      EXPECT_NE(params.find("\"memory\": \"1M\""), std::string::npos) << params;
      EXPECT_NE(params.find("\"cpu\": \"0.1\""), std::string::npos) << params;
    }
    removePod(pod);
  }
}

// A real registry on loopback (Debian's docker-registry) fed by skopeo from the stock OCI
// archive: pulled from directly, and as the mirror of another name through the hosts.toml
// that the agent writes from its registry config.
TEST_F(ContainerdIntegration, PullsFromALoopbackRegistryDirectlyAndAsAMirror) {
  for (const char* tool : {"/usr/bin/docker-registry", "/usr/bin/skopeo"}) {
    ASSERT_EQ(::access(tool, X_OK), 0) << tool << " is missing (scripts/setup.sh installs it)";
  }
  const std::string dir = env->base + "-registry";
  fs::create_directories(dir);
  int port = 0;
  {
    auto picked = image::runCommand(
        {"python3", "-c",
         "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])"});
    ASSERT_TRUE(picked.isOk());
    port = std::stoi(picked->out);
  }
  const std::string host = "127.0.0.1:" + std::to_string(port);
  {
    std::ofstream config(dir + "/config.yml");
    config << "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: "
           << dir << "/data\nhttp:\n  addr: " << host << "\n";
  }
  auto registry = spawnProcess({"/usr/bin/docker-registry", "serve", dir + "/config.yml"},
                               dir + "/registry.log", SpawnMode::kAttached);
  ASSERT_TRUE(registry.isOk()) << registry.status().toString();
  struct Cleanup {
    pid_t pid;
    std::string dir;
    ~Cleanup() {
      ::kill(pid, SIGTERM);
      ::waitpid(pid, nullptr, 0);
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } cleanup{*registry, dir};
  ASSERT_FALSE(fetchUntil("http://" + host + "/v2/", "{}").empty()) << "the registry did not start";

  const std::string image = host + "/mirror/busybox:1.36.1";
  auto pushed = image::runCommand({"skopeo", "copy", "--quiet", "--dest-tls-verify=false",
                                   "oci-archive:" + env->images_dir + "/busybox.tar:1.36.1",
                                   "docker://" + image});
  ASSERT_TRUE(pushed.isOk()) << pushed.status().toString();

  PodSandboxConfig sandbox;
  sandbox.metadata = {"puller", "default", "uid-puller", 0};
  // containerd speaks plain HTTP to a loopback registry by itself.
  auto direct = env->rt->pullImage(image, {}, sandbox);
  ASSERT_TRUE(direct.isOk()) << direct.status().toString();
  EXPECT_TRUE(direct->starts_with("sha256:")) << *direct;
  EXPECT_TRUE(env->rt->removeImage(image).isOk());

  // A mirror from the node's registry config: a registry name that answers nowhere
  // (a loopback port nobody listens on) is pulled from the mirror's endpoint instead.
  int unused = 0;
  {
    auto picked = image::runCommand(
        {"python3", "-c",
         "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])"});
    ASSERT_TRUE(picked.isOk());
    unused = std::stoi(picked->out);
  }
  const std::string mirrored = "127.0.0.1:" + std::to_string(unused) + "/mirror/busybox:1.36.1";
  EXPECT_FALSE(env->rt->pullImage(mirrored, {}, sandbox).isOk());
  node::RegistryConfig config;
  config.mirrors["127.0.0.1:" + std::to_string(unused)] = {"http://" + host};
  ASSERT_TRUE(
      node::writeRegistryHosts(config, node::containerdPaths(env->base).registry_hosts_dir).isOk());
  auto ref = env->rt->pullImage(mirrored, {}, sandbox);
  ASSERT_TRUE(ref.isOk()) << ref.status().toString();
  auto status = env->rt->imageStatus(mirrored);
  ASSERT_TRUE(status.isOk()) << status.status().toString();
  EXPECT_GT(status->size, 0u);
  EXPECT_TRUE(env->rt->removeImage(mirrored).isOk());

  auto missing = env->rt->pullImage(host + "/mirror/nosuch:1", {}, sandbox);
  ASSERT_FALSE(missing.isOk());
  EXPECT_NE(missing.status().message().find("not found"), std::string::npos)
      << missing.status().toString();
}

TEST_F(ContainerdIntegration, TheClientReconnectsByItselfAfterContainerdIsKilled) {
  // The supervisor restarts containerd; nothing but the client's own calls may bring its
  // channel back (before the connection keeper, fail-fast calls never drove the
  // reconnect and every call failed with kUnavailable until the kubelet restarted).
  ASSERT_TRUE(env->rt->version().isOk());
  pid_t pid = env->containerd->pid();
  ASSERT_GT(pid, 0);
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  auto deadline = Clock::now() + std::chrono::seconds(20);
  Result<VersionInfo> v = unavailable("not tried");
  bool failed_while_down = false;
  while (Clock::now() < deadline) {
    v = env->rt->version();
    if (v.isOk() && env->containerd->pid() != pid && env->containerd->pid() != 0) break;
    if (!v.isOk()) failed_while_down = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(v.isOk()) << v.status().toString();
  EXPECT_TRUE(failed_while_down);
  EXPECT_NE(env->containerd->pid(), pid);
  EXPECT_TRUE(env->rt->listImages().isOk());
}

}  // namespace
}  // namespace minik8s::cri
