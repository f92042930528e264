// The kubelet against a real apiserver on port 0 and a real etcd, with an in-memory
// container runtime (FakeRuntime): registration and lease, pods bound to the node run,
// report status, restart by policy, are deleted gracefully and confirmed, and a new
// kubelet adopts what the runtime has without restarting it.
#include <gtest/gtest.h>

#include <functional>

#include <filesystem>
#include <thread>

#include "api/defaults.h"
#include "client/rest_client.h"
#include "cri/fake_runtime.h"
#include "kubelet/kubelet.h"
#include "kubelet/pod_config.h"
#include "testing/api_fixture.h"

namespace minik8s::kubelet {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using testing::eventually;

class KubeletTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto api = testing::ApiFixture::start();
    ASSERT_TRUE(api.isOk()) << api.status().toString();
    api_ = std::move(api).value();
    client_ = &api_->client();
    char tmpl[] = "/tmp/minik8s-kubelet-test-XXXXXX";
    data_dir_ = mkdtemp(tmpl);
    runtime_.addImage("docker.io/library/busybox:1.36.1");
  }

  void TearDown() override {
    if (kubelet_) kubelet_->stop();
    std::filesystem::remove_all(data_dir_);
  }

  void startKubelet(const std::function<void(KubeletOptions&)>& adjust = {}) {
    KubeletOptions options;
    options.node.node_name = "node-1";
    options.node.node_ip = "127.0.0.1";
    options.node.pod_cidr = "10.244.9.0/24";
    options.paths.data_dir = data_dir_;
    options.paths.cgroup_root = "minik8s-kubelet-test";
    options.manage_cgroups = false;
    options.relist_period = 100ms;
    options.heartbeat_period = 200ms;
    options.backoff.initial = 300ms;
    if (adjust) adjust(options);
    kubelet_ = std::make_unique<Kubelet>(*client_, runtime_, options);
    Status s = kubelet_->start();
    ASSERT_TRUE(s.isOk()) << s.toString();
  }

  const api::ResourceInfo& res(const char* plural) { return *api::findResource("", "v1", plural); }

  json pod(const std::string& name, const std::string& policy = "Always",
           const std::string& image = "busybox:1.36.1") {
    return {{"metadata", {{"name", name}}},
            {"spec",
             {{"nodeName", "node-1"},
              {"restartPolicy", policy},
              {"terminationGracePeriodSeconds", 1},
              {"containers", json::array({{{"name", "c"}, {"image", image}}})}}}};
  }

  json getPod(const std::string& name) {
    auto got = client_->get(res("pods"), "default", name);
    return got.isOk() ? *got : json();
  }

  std::string containerField(const std::string& name, const std::string& field) {
    json p = getPod(name);
    if (!p.is_object() || !p["status"].contains("containerStatuses")) return "";
    const json& cs = p["status"]["containerStatuses"][0];
    if (field == "restartCount") return std::to_string(cs.value("restartCount", 0));
    if (field == "waiting") return cs["state"].contains("waiting") ? cs["state"]["waiting"].value("reason", "") : "";
    if (field == "containerID") return cs.value("containerID", "");
    if (field == "running") return cs["state"].contains("running") ? "yes" : "";
    return "";
  }

  std::string phase(const std::string& name) {
    json p = getPod(name);
    return p.is_object() ? p["status"].value("phase", "") : "";
  }

  std::unique_ptr<testing::ApiFixture> api_;
  client::RestClient* client_ = nullptr;
  cri::FakeRuntime runtime_;
  std::unique_ptr<Kubelet> kubelet_;
  std::string data_dir_;
};

TEST_F(KubeletTest, RegistersAReadyNodeAndRenewsItsLease) {
  startKubelet();
  auto node = client_->get(res("nodes"), "", "node-1");
  ASSERT_TRUE(node.isOk()) << node.status().toString();
  EXPECT_EQ((*node)["metadata"]["labels"]["kubernetes.io/hostname"], "node-1");
  EXPECT_EQ((*node)["spec"]["podCIDR"], "10.244.9.0/24");
  EXPECT_EQ((*node)["status"]["capacity"]["pods"], "110");
  bool ready = false;
  for (const auto& c : (*node)["status"]["conditions"]) {
    if (c["type"] == "Ready") ready = c["status"] == "True";
  }
  EXPECT_TRUE(ready);
  const auto& leases = *api::findResource("coordination.k8s.io", "v1", "leases");
  auto first = client_->get(leases, "kube-node-lease", "node-1");
  ASSERT_TRUE(first.isOk()) << first.status().toString();
  std::string renewed = (*first)["spec"].value("renewTime", "");
  EXPECT_TRUE(eventually([&] {
    auto again = client_->get(leases, "kube-node-lease", "node-1");
    return again.isOk() && (*again)["spec"].value("renewTime", "") != renewed;
  }));
}

TEST_F(KubeletTest, RunsABoundPodAndReportsItsStatus) {
  startKubelet();
  ASSERT_TRUE(client_->create(res("pods"), "default", pod("web")).isOk());
  ASSERT_TRUE(eventually([&] { return phase("web") == "Running"; }));
  json p = getPod("web");
  EXPECT_EQ(p["status"]["hostIP"], "127.0.0.1");
  EXPECT_EQ(p["status"]["podIP"].get<std::string>().rfind("10.88.", 0), 0u);
  EXPECT_FALSE(p["status"].value("startTime", "").empty());
  EXPECT_EQ(p["status"]["containerStatuses"][0]["ready"], true);
  EXPECT_EQ(p["status"]["containerStatuses"][0]["containerID"].get<std::string>().rfind("containerd://", 0), 0u);
  EXPECT_EQ(p["status"]["qosClass"], "BestEffort");
}

TEST_F(KubeletTest, RestartsAnExitedContainerAndCountsIt) {
  startKubelet();
  ASSERT_TRUE(client_->create(res("pods"), "default", pod("crash")).isOk());
  ASSERT_TRUE(eventually([&] { return containerField("crash", "running") == "yes"; }));
  std::string id = containerField("crash", "containerID").substr(13);
  runtime_.exitContainer(id, 1);
  ASSERT_TRUE(eventually([&] { return containerField("crash", "restartCount") == "1"; }));
  EXPECT_TRUE(eventually([&] { return containerField("crash", "running") == "yes"; }));
  // The second exit waits out a back-off, shown as CrashLoopBackOff.
  std::string id2 = containerField("crash", "containerID").substr(13);
  runtime_.exitContainer(id2, 1);
  EXPECT_TRUE(eventually([&] { return containerField("crash", "waiting") == "CrashLoopBackOff"; }, 3s));
  EXPECT_TRUE(eventually([&] { return containerField("crash", "restartCount") == "2"; }));
  // Three starts are one Started event counted three times, as kubectl describe shows them.
  json started;
  EXPECT_TRUE(eventually([&] {
    auto events = client_->list(res("events"), "default",
                                {.field_selector = "involvedObject.name=crash,reason=Started"});
    if (!events.isOk() || (*events)["items"].size() != 1) return false;
    started = (*events)["items"][0];
    return started["count"] == 3;
  })) << started.dump();
}

TEST_F(KubeletTest, NeverRestartsUnderNeverAndTheFailedPodStaysFailed) {
  startKubelet();
  ASSERT_TRUE(client_->create(res("pods"), "default", pod("once", "Never")).isOk());
  ASSERT_TRUE(eventually([&] { return containerField("once", "running") == "yes"; }));
  runtime_.exitContainer(containerField("once", "containerID").substr(13), 3);
  ASSERT_TRUE(eventually([&] { return phase("once") == "Failed"; }));
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(containerField("once", "restartCount"), "0");
  EXPECT_EQ(getPod("once")["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"], 3);
  // The finished pod's sandbox is stopped; its IP stays in the status.
  EXPECT_TRUE(eventually([&] {
    auto sandboxes = runtime_.listPodSandbox({});
    return sandboxes.isOk() && sandboxes->size() == 1 &&
           sandboxes->front().state == cri::SandboxState::kNotReady;
  }));
  EXPECT_FALSE(getPod("once")["status"].value("podIP", "").empty());
}

TEST_F(KubeletTest, RunsTheInitContainerToSuccessBeforeTheApp) {
  startKubelet();
  json p = pod("staged");
  p["spec"]["initContainers"] = json::array({{{"name", "setup"}, {"image", "busybox:1.36.1"}}});
  ASSERT_TRUE(client_->create(res("pods"), "default", p).isOk());
  auto init_state = [&](const char* state) {
    json got = getPod("staged");
    if (!got.is_object() || !got["status"].contains("initContainerStatuses")) return false;
    return got["status"]["initContainerStatuses"][0]["state"].contains(state);
  };
  ASSERT_TRUE(eventually([&] { return init_state("running"); }));
  EXPECT_EQ(phase("staged"), "Pending");
  EXPECT_EQ(containerField("staged", "waiting"), "PodInitializing");
  auto containers = runtime_.listContainers({});
  ASSERT_TRUE(containers.isOk());
  EXPECT_EQ(containers->size(), 1u);  // only the init container
  std::string init_id = getPod("staged")["status"]["initContainerStatuses"][0]["containerID"]
                            .get<std::string>()
                            .substr(13);
  runtime_.exitContainer(init_id, 0);
  EXPECT_TRUE(eventually([&] { return phase("staged") == "Running"; }));
  EXPECT_TRUE(init_state("terminated"));
}

std::string waitingMessage(const json& pod) {
  const json& cs = pod["status"]["containerStatuses"][0];
  return cs["state"].contains("waiting") ? cs["state"]["waiting"].value("message", "") : "";
}

TEST_F(KubeletTest, AnImageFromAnUnconfiguredRegistryIsNeverLookedUpAndBacksOff) {
  startKubelet();  // a missing image is re-checked every 5 s
  ASSERT_TRUE(client_->create(res("pods"), "default", pod("ghost", "Always", "nosuch:1.0")).isOk());
  // ErrImagePull first (with a Warning event), then ImagePullBackOff until the back-off ends.
  ASSERT_TRUE(eventually([&] { return containerField("ghost", "waiting") == "ImagePullBackOff"; }));
  EXPECT_NE(waitingMessage(getPod("ghost")).find("Back-off pulling image \"nosuch:1.0\": ErrImagePull: "
                                                 "registry docker.io is not in this node's registry "
                                                 "config"),
            std::string::npos)
      << waitingMessage(getPod("ghost"));
  const auto& events = *api::findResource("", "v1", "events");
  EXPECT_TRUE(eventually([&] {
    auto list = client_->list(events, "default");
    if (!list.isOk()) return false;
    for (const auto& e : (*list)["items"]) {
      if (e["involvedObject"].value("name", "") == "ghost" && e.value("reason", "") == "Failed" &&
          e.value("message", "").starts_with("Failed to pull image \"nosuch:1.0\"")) {
        return true;
      }
    }
    return false;
  }));
  for (const auto& call : runtime_.calls()) EXPECT_NE(call, "pullImage");  // no network
  // Back-off: no new attempt within the first 10 s, however often the pod is synced.
  runtime_.clearCalls();
  std::this_thread::sleep_for(1s);
  int image_checks = 0;
  for (const auto& call : runtime_.calls()) image_checks += call == "imageStatus";
  EXPECT_LE(image_checks, 2);  // no hot loop
  EXPECT_EQ(containerField("ghost", "waiting"), "ImagePullBackOff");
}

TEST_F(KubeletTest, PullPolicyNeverWithoutTheImageIsErrImageNeverPull) {
  startKubelet();
  json p = pod("never", "Always", "nosuch:1.0");
  p["spec"]["containers"][0]["imagePullPolicy"] = "Never";
  ASSERT_TRUE(client_->create(res("pods"), "default", p).isOk());
  ASSERT_TRUE(eventually([&] { return containerField("never", "waiting") == "ErrImageNeverPull"; }));
  for (const auto& call : runtime_.calls()) EXPECT_NE(call, "pullImage");
}

TEST_F(KubeletTest, AnImageIsPulledFromALoopbackRegistryWithThePodsPullSecret) {
  runtime_.addRegistryImage("127.0.0.1:5000/app:1", cri::AuthConfig{"robot", "s3cret", "", ""});
  startKubelet([](KubeletOptions& o) {
    o.missing_image_retry = 300ms;
    o.pull_backoff.initial = 300ms;
  });
  // Without credentials the registry answers 401: ErrImagePull, then back-off.
  ASSERT_TRUE(
      client_->create(res("pods"), "default", pod("anon", "Always", "127.0.0.1:5000/app:1")).isOk());
  ASSERT_TRUE(eventually([&] {
    std::string w = containerField("anon", "waiting");
    return w == "ErrImagePull" || w == "ImagePullBackOff";
  }));
  EXPECT_TRUE(runtime_.lastPullAuth().empty());

  std::string config = R"({"auths":{"127.0.0.1:5000":{"username":"robot","password":"s3cret"}}})";
  std::string encoded = api::base64Encode(config);
  json secret = {{"metadata", {{"name", "regcred"}}},
                 {"type", "kubernetes.io/dockerconfigjson"},
                 {"data", {{".dockerconfigjson", encoded}}}};
  ASSERT_TRUE(client_->create(res("secrets"), "default", secret).isOk());
  json p = pod("pulled", "Always", "127.0.0.1:5000/app:1");
  p["spec"]["imagePullSecrets"] = json::array({{{"name", "regcred"}}});
  ASSERT_TRUE(client_->create(res("pods"), "default", p).isOk());
  ASSERT_TRUE(eventually([&] { return phase("pulled") == "Running"; }));
  // Not lastPullAuth(): "anon" keeps retrying without credentials (every 300 ms and more).
  EXPECT_EQ(runtime_.lastSuccessfulPullAuth().username, "robot");
  EXPECT_EQ(runtime_.lastSuccessfulPullAuth().password, "s3cret");
  const auto& events = *api::findResource("", "v1", "events");
  EXPECT_TRUE(eventually([&] {
    auto list = client_->list(events, "default");
    if (!list.isOk()) return false;
    bool pulling = false, pulled = false;
    for (const auto& e : (*list)["items"]) {
      if (e["involvedObject"].value("name", "") != "pulled") continue;
      pulling |= e.value("reason", "") == "Pulling";
      pulled |= e.value("reason", "") == "Pulled" &&
                e.value("message", "").starts_with("Successfully pulled image");
    }
    return pulling && pulled;
  }));
}

TEST_F(KubeletTest, GracefulDeletionStopsEverythingThenConfirms) {
  startKubelet();
  ASSERT_TRUE(client_->create(res("pods"), "default", pod("doomed")).isOk());
  ASSERT_TRUE(eventually([&] { return phase("doomed") == "Running"; }));
  ASSERT_TRUE(client_->remove(res("pods"), "default", "doomed").isOk());
  ASSERT_TRUE(eventually([&] { return !client_->get(res("pods"), "default", "doomed").isOk(); }));
  auto sandboxes = runtime_.listPodSandbox({});
  ASSERT_TRUE(sandboxes.isOk());
  EXPECT_TRUE(sandboxes->empty());
  auto containers = runtime_.listContainers({});
  ASSERT_TRUE(containers.isOk());
  EXPECT_TRUE(containers->empty());
}

TEST_F(KubeletTest, ANewKubeletAdoptsRunningContainersWithoutRestartingThem) {
  startKubelet();
  ASSERT_TRUE(client_->create(res("pods"), "default", pod("steady")).isOk());
  ASSERT_TRUE(eventually([&] { return containerField("steady", "running") == "yes"; }));
  std::string id = containerField("steady", "containerID");
  kubelet_->stop();
  kubelet_.reset();
  runtime_.clearCalls();
  startKubelet();
  std::this_thread::sleep_for(800ms);
  for (const auto& call : runtime_.calls()) {
    EXPECT_NE(call, "runPodSandbox");
    EXPECT_NE(call, "createContainer");
    EXPECT_NE(call, "stopContainer");
  }
  EXPECT_EQ(containerField("steady", "containerID"), id);
}

TEST_F(KubeletTest, RemovesPodsDeletedWhileItWasDown) {
  startKubelet();
  ASSERT_TRUE(client_->create(res("pods"), "default", pod("gone")).isOk());
  ASSERT_TRUE(eventually([&] { return phase("gone") == "Running"; }));
  kubelet_->stop();
  kubelet_.reset();
  client::DeleteOptions now;
  now.grace_period_seconds = 0;
  ASSERT_TRUE(client_->remove(res("pods"), "default", "gone", now).isOk());
  startKubelet();
  EXPECT_TRUE(eventually([&] {
    auto sandboxes = runtime_.listPodSandbox({});
    return sandboxes.isOk() && sandboxes->empty();
  }));
}

}  // namespace
}  // namespace minik8s::kubelet
