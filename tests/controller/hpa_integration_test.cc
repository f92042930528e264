// Both autoscaler controllers against a real apiserver on port 0 and a real etcd, with
// informers: the writes they make (the target's /scale, HPA status, the seed Hpa's
// finalizer, ReplicaSet and status PUT) are accepted by the real server. There are no
// nodes, so metrics.k8s.io has no usage to give.
#include <gtest/gtest.h>

#include "client/informer.h"
#include "controller/hpa.h"
#include "controller/hpa_seed.h"
#include "testing/api_fixture.h"

namespace minik8s::controller {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using minik8s::testing::eventually;

class HpaIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto api = minik8s::testing::ApiFixture::start();
    ASSERT_TRUE(api.isOk()) << api.status().toString();
    api_ = std::move(api).value();
    client_ = &api_->client();
    informers_ = std::make_unique<client::SharedInformerFactory>(*client_);
  }
  void TearDown() override {
    if (hpa_) hpa_->stop();
    if (seed_) seed_->stop();
    if (informers_) informers_->stop();
  }

  const api::ResourceInfo& res(const char* group, const char* version, const char* plural) {
    return *api::findResource(group, version, plural);
  }
  void create(const api::ResourceInfo& r, const json& object) {
    auto created = client_->create(r, "default", object);
    ASSERT_TRUE(created.isOk()) << created.status().toString();
  }
  json get(const api::ResourceInfo& r, const std::string& name) {
    auto got = client_->get(r, "default", name);
    return got.isOk() ? *got : json();
  }
  static json conditionOf(const json& object, const std::string& type) {
    // An HPA the controller has not written yet has no status.
    json status = object.value("status", json::object());
    for (const auto& c : status.value("conditions", json::array())) {
      if (c.value("type", "") == type) return c;
    }
    return json();
  }

  json deployment(const std::string& name, int replicas) {
    return {{"apiVersion", "apps/v1"},
            {"kind", "Deployment"},
            {"metadata", {{"name", name}}},
            {"spec",
             {{"replicas", replicas},
              {"selector", {{"matchLabels", {{"app", name}}}}},
              {"template",
               {{"metadata", {{"labels", {{"app", name}}}}},
                {"spec", {{"containers", {{{"name", "c"}, {"image", "nginx"}}}}}}}}}}};
  }
  json hpa(const std::string& name, int max) {
    return {
        {"apiVersion", "autoscaling/v2"},
        {"kind", "HorizontalPodAutoscaler"},
        {"metadata", {{"name", name}}},
        {"spec",
         {{"scaleTargetRef", {{"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"name", name}}},
          {"maxReplicas", max}}}};
  }

  std::unique_ptr<minik8s::testing::ApiFixture> api_;
  client::RestClient* client_ = nullptr;
  std::unique_ptr<client::SharedInformerFactory> informers_;
  std::unique_ptr<HorizontalPodAutoscalerController> hpa_;
  std::unique_ptr<SeedHpaController> seed_;
};

TEST_F(HpaIntegrationTest, ScalesThroughScaleAndWritesStatus) {
  create(res("apps", "v1", "deployments"), deployment("big", 5));
  create(res("apps", "v1", "deployments"), deployment("small", 2));
  const auto& hpas = res("autoscaling", "v2", "horizontalpodautoscalers");
  create(hpas, hpa("big", 3));
  create(hpas, hpa("small", 4));
  hpa_ = std::make_unique<HorizontalPodAutoscalerController>(*client_, *informers_);
  informers_->start();
  ASSERT_TRUE(hpa_->run(2, 10s).isOk());

  // Above max: down to max through /scale, without metrics.
  EXPECT_TRUE(eventually(
      [&] { return get(res("apps", "v1", "deployments"), "big")["spec"]["replicas"] == 3; }));
  EXPECT_TRUE(eventually([&] {
    json h = get(hpas, "big");
    return h.value("status", json::object()).value("desiredReplicas", 0) == 3 &&
           conditionOf(h, "AbleToScale").value("reason", "") == "SucceededRescale";
  }));
  // Within bounds: the defaulted cpu metric has no usage to read; the scale stays.
  EXPECT_TRUE(eventually([&] {
    return conditionOf(get(hpas, "small"), "ScalingActive").value("reason", "") ==
           "FailedGetResourceMetric";
  })) << get(hpas, "small").dump();
  EXPECT_EQ(get(res("apps", "v1", "deployments"), "small")["spec"]["replicas"], 2);
  EXPECT_EQ(get(hpas, "small")["spec"]["metrics"][0]["resource"]["name"], "cpu");  // default
}

TEST_F(HpaIntegrationTest, SeedHpaOwnsAReplicaSetAndHoldsItsDeletion) {
  json pod = {{"apiVersion", "v1"},
              {"kind", "Pod"},
              {"metadata", {{"name", "pod-hpa"}, {"labels", {{"app", "hpa"}}}}},
              {"spec",
               {{"containers",
                 {{{"name", "autoscaling"},
                   {"image", "flask-stress-app"},
                   {"resources", {{"requests", {{"cpu", "50m"}, {"memory", "50Mi"}}}}}}}}}}};
  create(res("", "v1", "pods"), pod);
  json seed = {{"apiVersion", "v1"},
               {"kind", "Hpa"},
               {"metadata", {{"name", "test-hpa"}}},
               {"spec",
                {{"minReplicas", 2},
                 {"maxReplicas", 5},
                 {"scaleTargetRef", {{"kind", "Pod"}, {"metadata", {{"name", "test-pod"}}}}},
                 {"interval", 1},
                 {"selector", {{"matchLabels", {{"app", "hpa"}}}}},
                 {"metrics", {{"cpuPercent", 60}, {"memPercent", 40}}}}}};
  const auto& hpas = res("", "v1", "hpas");
  create(hpas, seed);
  seed_ = std::make_unique<SeedHpaController>(*client_, *informers_);
  informers_->start();
  ASSERT_TRUE(seed_->run(1, 10s).isOk());

  const auto& sets = res("apps", "v1", "replicasets");
  EXPECT_TRUE(eventually([&] { return !get(sets, "test-hpa").is_null(); }));
  json rs = get(sets, "test-hpa");
  EXPECT_EQ(rs["metadata"]["ownerReferences"][0]["kind"], "Hpa");
  EXPECT_EQ(rs["spec"]["template"]["spec"]["containers"][0]["image"], "flask-stress-app");
  EXPECT_EQ(get(hpas, "test-hpa")["metadata"]["finalizers"][0], kSeedHpaFinalizer);
  // No ReplicaSet controller runs here: the count stays below min, at 1, and the Hpa asks
  // for 2 each interval; its status is written with a PUT.
  EXPECT_TRUE(eventually([&] { return get(sets, "test-hpa")["spec"]["replicas"] == 2; }));
  EXPECT_TRUE(eventually([&] {
    return get(hpas, "test-hpa")["status"].contains("currentReplicas");
  })) << get(hpas, "test-hpa").dump();

  ASSERT_TRUE(client_->remove(hpas, "default", "test-hpa").isOk());
  // The ReplicaSet is deleted with the orphan finalizer; no garbage collector runs here, so
  // the Hpa waits, and the original pod stays.
  EXPECT_TRUE(
      eventually([&] { return get(sets, "test-hpa")["metadata"].contains("deletionTimestamp"); }));
  EXPECT_FALSE(get(hpas, "test-hpa").is_null());
  EXPECT_FALSE(get(res("", "v1", "pods"), "pod-hpa").is_null());
}

}  // namespace
}  // namespace minik8s::controller
