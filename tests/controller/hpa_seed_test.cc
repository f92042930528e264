// SeedHpaController (the original's Hpa) with the fake client, prefilled caches and a fake
// clock: the ReplicaSet from the template pod, one replica per interval to both bounds,
// utilization of limits when no request is set, and deletion back to the original pod.
#include "controller/hpa_seed.h"

#include <gtest/gtest.h>

#include "client/fake_client.h"
#include "controller/fixtures.h"
#include "controller/hpa.h"

namespace minik8s::controller {
namespace hpa_seed_test {

using nlohmann::json;
using testing::decoded;
using namespace std::chrono_literals;

// hpa.yaml of the seed manifests, with the template pod named as podhpa.yaml names it.
json seedHpa(const std::string& template_name = "pod-hpa") {
  return {{"apiVersion", "v1"},
          {"kind", "Hpa"},
          {"metadata", {{"name", "test-hpa"}, {"namespace", "default"}}},
          {"spec",
           {{"minReplicas", 2},
            {"maxReplicas", 5},
            {"scaleTargetRef", {{"kind", "Pod"}, {"metadata", {{"name", template_name}}}}},
            {"interval", 15},
            {"selector", {{"matchLabels", {{"app", "hpa"}}}}},
            {"metrics", {{"cpuPercent", 60}, {"memPercent", 40}}}}}};
}

// podhpa.yaml, running and long ready; `name` for the replicas.
json seedPod(const std::string& name, bool with_requests = true) {
  json pod = {{"apiVersion", "v1"},
              {"kind", "Pod"},
              {"metadata",
               {{"name", name},
                {"namespace", "default"},
                {"labels", {{"app", "hpa"}}},
                {"creationTimestamp",
                 name == "pod-hpa" ? "2026-01-01T00:00:00Z" : "2026-01-01T00:30:00Z"}}},
              {"spec",
               {{"nodeName", "node-1"},
                {"containers",
                 {{{"name", "autoscaling"},
                   {"image", "flask-stress-app"},
                   {"resources", {{"limits", {{"memory", "100Mi"}, {"cpu", "100m"}}}}}}}}}},
              {"status",
               {{"phase", "Running"},
                {"startTime", "2026-01-01T00:00:00Z"},
                {"conditions",
                 {{{"type", "Ready"},
                   {"status", "True"},
                   {"lastTransitionTime", "2026-01-01T00:00:10Z"}}}}}}};
  if (with_requests) {
    pod["spec"]["containers"][0]["resources"]["requests"] = {{"memory", "50Mi"}, {"cpu", "50m"}};
  }
  return pod;
}

class SeedHpaControllerTest : public ::testing::Test {
 protected:
  SeedHpaControllerTest() : client_(clock_), controller_(client_, hpas_, pods_, {}, clock_) {
    clock_.advance(1h);
  }

  void addHpa(const json& hpa) {
    client_.add(*hpas_resource_, hpa);
    refreshHpa();
  }
  void refreshHpa() {
    auto stored = client_.object(*hpas_resource_, "default", "test-hpa");
    if (stored) {
      hpas_.add(decoded<api::Hpa>(*stored));
    } else {
      hpas_.put("default/test-hpa", "", nullptr);
    }
  }
  void addPod(const json& pod) {
    client_.add(*pods_resource_, pod);
    pods_.add(decoded<api::Pod>(
        *client_.object(*pods_resource_, "default", pod["metadata"]["name"].get<std::string>())));
  }
  void setUsage(const std::string& pod, const std::string& cpu, const std::string& memory) {
    client_.add(podMetricsResource(),
                {{"metadata", {{"name", pod}, {"namespace", "default"}}},
                 {"timestamp", formatRfc3339(clock_.now() - 5s)},
                 {"window", "10s"},
                 {"containers",
                  {{{"name", "autoscaling"}, {"usage", {{"cpu", cpu}, {"memory", memory}}}}}}});
  }
  void sync() {
    Status s = controller_.sync("default/test-hpa");
    EXPECT_TRUE(s.isOk()) << s.toString();
    refreshHpa();
  }
  json replicaSet() const {
    auto rs = client_.object(*replicasets_, "default", "test-hpa");
    return rs ? *rs : json();
  }
  int replicas() const { return replicaSet()["spec"]["replicas"].get<int>(); }
  // The pods a ReplicaSet with `n` replicas has: the original and web-1.. as replicas.
  void podsFor(int n, const std::string& cpu, const std::string& memory = "10Mi") {
    for (int i = n; i < 10; ++i) {  // the ReplicaSet deleted those beyond n
      std::string name = "pod-hpa-" + std::to_string(i);
      if (client_.object(*pods_resource_, "default", name)) {
        ASSERT_TRUE(client_.remove(*pods_resource_, "default", name).isOk());
        pods_.put("default/" + name, "", nullptr);
      }
    }
    for (int i = 0; i < n; ++i) {
      std::string name = i == 0 ? "pod-hpa" : "pod-hpa-" + std::to_string(i);
      if (!client_.object(*pods_resource_, "default", name)) addPod(seedPod(name));
      setUsage(name, cpu, memory);
    }
  }
  void setRsStatus(int n) {
    json rs = replicaSet();
    rs["status"] = {{"replicas", n}};
    ASSERT_TRUE(client_.update(*replicasets_, "default", rs, "status").isOk());
  }
  // hpas has no status subresource: status goes with a PUT of the Hpa.
  json lastStatusWritten() const {
    json status;
    for (const auto& a : client_.writes()) {
      if (a.summary() == "update hpas") status = a.object["status"];
    }
    return status;
  }
  std::vector<std::string> writes() const {
    std::vector<std::string> out;
    for (const auto& a : client_.writes()) {
      if (a.resource != "events") out.push_back(a.summary());
    }
    return out;
  }

  FakeClock clock_;
  client::FakeClient client_;
  client::ObjectCache<api::Hpa> hpas_;
  client::ObjectCache<api::Pod> pods_;
  SeedHpaController controller_;
  const api::ResourceInfo* hpas_resource_ = api::findResource("", "v1", "hpas");
  const api::ResourceInfo* replicasets_ = api::findResource("apps", "v1", "replicasets");
  const api::ResourceInfo* pods_resource_ = api::findResource("", "v1", "pods");
};

TEST_F(SeedHpaControllerTest, OwnsAReplicaSetMadeFromTheTemplatePod) {
  addPod(seedPod("pod-hpa"));
  addHpa(seedHpa());
  sync();  // the finalizer first
  EXPECT_EQ(writes(), std::vector<std::string>{"patch hpas"});
  sync();
  json rs = replicaSet();
  ASSERT_FALSE(rs.is_null());
  EXPECT_EQ(rs["spec"]["replicas"], 1);  // the original pod, adopted
  EXPECT_EQ(rs["spec"]["selector"], json({{"matchLabels", {{"app", "hpa"}}}}));
  EXPECT_EQ(rs["spec"]["template"]["metadata"]["labels"]["app"], "hpa");
  EXPECT_FALSE(rs["spec"]["template"]["spec"].contains("nodeName"));
  EXPECT_EQ(rs["spec"]["template"]["spec"]["containers"][0]["image"], "flask-stress-app");
  EXPECT_EQ(rs["metadata"]["ownerReferences"][0]["kind"], "Hpa");
  EXPECT_EQ(rs["metadata"]["ownerReferences"][0]["controller"], true);
}

TEST_F(SeedHpaControllerTest, TheManifestsAsWrittenUseTheOldestPodOfTheSelector) {
  addPod(seedPod("pod-hpa"));
  addHpa(seedHpa("test-pod"));  // hpa.yaml names a pod that podhpa.yaml does not create
  sync();
  sync();
  ASSERT_FALSE(replicaSet().is_null());
  EXPECT_EQ(replicaSet()["spec"]["template"]["spec"]["containers"][0]["name"], "autoscaling");
}

TEST_F(SeedHpaControllerTest, MovesOneReplicaPerIntervalToBothBounds) {
  addPod(seedPod("pod-hpa"));
  addHpa(seedHpa());
  sync();
  sync();
  std::vector<int> timeline;
  auto step = [&](const std::string& cpu, std::chrono::seconds after) {
    clock_.advance(after);
    podsFor(replicas(), cpu);
    setRsStatus(replicas());
    sync();
    timeline.push_back(replicas());
  };
  step("0", 15s);  // no load: up to minReplicas
  step("0", 15s);
  step("100m", 15s);  // 200% of the 50m request against 60%: far beyond max
  step("100m", 5s);   // within the interval: no move
  step("100m", 10s);
  step("100m", 15s);
  step("100m", 15s);
  step("0", 15s);  // the load ends
  step("0", 15s);
  step("0", 15s);
  step("0", 15s);
  EXPECT_EQ(timeline, (std::vector<int>{2, 2, 3, 3, 4, 5, 5, 4, 3, 2, 2}));
  json status = lastStatusWritten();
  EXPECT_EQ(status["currentCPUPercent"], 0);
  EXPECT_EQ(status["currentMemPercent"], 20);
  EXPECT_EQ(status["currentReplicas"], 2);
}

// The resync one interval after a step comes a few milliseconds early or late on the wall
// clock; early, it stepped only an interval later (e2e: 3 -> 4 after 30 s).
TEST_F(SeedHpaControllerTest, StepsAtASyncJustUnderAnIntervalAfterTheLastStep) {
  addPod(seedPod("pod-hpa"));
  addHpa(seedHpa());
  sync();
  sync();
  std::vector<int> timeline;
  auto step = [&](const std::string& cpu, std::chrono::milliseconds after) {
    clock_.advance(after);
    podsFor(replicas(), cpu);
    setRsStatus(replicas());
    sync();
    timeline.push_back(replicas());
  };
  step("0", 15s);            // up to minReplicas
  step("100m", 15s);         // 2 -> 3
  step("100m", 15s - 10ms);  // 3 -> 4
  step("100m", 15s - 10ms);  // 4 -> 5
  step("0", 15s);            // 5 -> 4
  step("0", 15s - 10ms);     // 4 -> 3
  EXPECT_EQ(timeline, (std::vector<int>{2, 3, 4, 5, 4, 3}));
}

TEST_F(SeedHpaControllerTest, MemoryAloneScalesUp) {
  addPod(seedPod("pod-hpa"));
  addHpa(seedHpa());
  sync();
  sync();
  ASSERT_TRUE(client_
                  .patch(*replicasets_, "default", "test-hpa", client::PatchType::kMerge,
                         R"({"spec":{"replicas":2}})")
                  .isOk());
  podsFor(2, "1m", "45Mi");  // cpu idle, memory at 90% of 50Mi against 40%
  clock_.advance(15s);
  sync();
  EXPECT_EQ(replicas(), 3);
}

TEST_F(SeedHpaControllerTest, LimitsStandForMissingRequests) {
  api::Pod pod = decoded<api::Pod>(seedPod("p", false));
  api::Pod seen = withRequestsFromLimits(pod);
  EXPECT_EQ(seen.spec.containers[0].resources.requests.at("cpu").milliValue(), 100);
  EXPECT_EQ(seen.spec.containers[0].resources.requests.at("memory"),
            *api::Quantity::parse("100Mi"));
  api::Pod with = withRequestsFromLimits(decoded<api::Pod>(seedPod("q")));
  EXPECT_EQ(with.spec.containers[0].resources.requests.at("cpu").milliValue(), 50);
}

TEST_F(SeedHpaControllerTest, DeletingTheHpaLeavesTheOriginalPodAlone) {
  addPod(seedPod("pod-hpa"));
  addHpa(seedHpa());
  sync();
  sync();
  podsFor(3, "0");
  client_.clearActions();
  // Held by the finalizer.
  ASSERT_TRUE(client_.remove(*hpas_resource_, "default", "test-hpa").isOk());
  refreshHpa();
  sync();
  std::vector<std::string> want = {"delete hpas", "delete replicasets", "delete pods",
                                   "delete pods"};
  EXPECT_EQ(writes(), want);
  EXPECT_TRUE(client_.object(*pods_resource_, "default", "pod-hpa").has_value());
  EXPECT_FALSE(client_.object(*pods_resource_, "default", "pod-hpa-1").has_value());
  EXPECT_FALSE(client_.object(*pods_resource_, "default", "pod-hpa-2").has_value());
  // The ReplicaSet waits for the garbage collector (orphan finalizer); so does the Hpa.
  ASSERT_TRUE(client_.object(*hpas_resource_, "default", "test-hpa").has_value());
  json rs = replicaSet();
  rs["metadata"]["finalizers"] = json::array();
  // The collector orphaned the pods and removed its finalizer.
  ASSERT_TRUE(client_.update(*replicasets_, "default", rs).isOk());
  pods_.put("default/pod-hpa-1", "", nullptr);
  pods_.put("default/pod-hpa-2", "", nullptr);
  sync();
  EXPECT_FALSE(client_.object(*hpas_resource_, "default", "test-hpa").has_value());
  EXPECT_TRUE(client_.object(*pods_resource_, "default", "pod-hpa").has_value());
}

}  // namespace hpa_seed_test
}  // namespace minik8s::controller
