// DisruptionController with the fake client and prefilled caches, and its pure status
// computation.
#include "controller/disruption.h"

#include <gtest/gtest.h>

#include "client/fake_client.h"
#include "controller/fixtures.h"

namespace minik8s::controller {
namespace disruption_test {

using nlohmann::json;
using testing::decoded;
using testing::podJson;
using namespace std::chrono_literals;

json pdbJson(const json& spec) {
  json pdb = {{"apiVersion", "policy/v1"},
              {"kind", "PodDisruptionBudget"},
              {"metadata",
               {{"name", "web"}, {"namespace", "default"}, {"uid", "pdb-uid"}, {"generation", 3}}},
              {"spec", spec}};
  pdb["spec"]["selector"] = {{"matchLabels", {{"app", "web"}}}};
  return pdb;
}

class DisruptionTest : public ::testing::Test {
 protected:
  DisruptionTest()
      : client_(clock_), controller_(client_, pdbs_, pods_, sets_, deployments_, clock_) {}
  const api::ResourceInfo& pdbsResource() {
    return *api::findResource("policy", "v1", "poddisruptionbudgets");
  }
  void addPdb(const json& pdb) {
    client_.add(pdbsResource(), pdb);
    pdbs_.add(decoded<api::PodDisruptionBudget>(*client_.object(pdbsResource(), "default", "web")));
  }
  void addPod(const json& pod) { pods_.add(decoded<api::Pod>(pod)); }
  // `n` ready pods of ReplicaSet rs-uid and `unready` more that are not ready.
  void addPods(int n, int unready = 0, const std::string& owner = "rs-uid") {
    for (int i = 0; i < n + unready; ++i) {
      addPod(podJson("p" + std::to_string(i), owner, "n1", "Running", i < n));
    }
  }
  void addReplicaSet(int replicas) {
    sets_.add(decoded<api::ReplicaSet>(testing::replicaSetJson("web", replicas)));
  }
  json status() { return (*client_.object(pdbsResource(), "default", "web"))["status"]; }
  size_t statusWrites() const {
    size_t n = 0;
    for (const auto& a : client_.writes()) n += a.summary() == "update poddisruptionbudgets/status";
    return n;
  }
  // Syncs, then feeds the written PDB back into the cache as the informer would.
  void syncAndObserve() {
    ASSERT_TRUE(controller_.sync("default/web").isOk());
    pdbs_.add(decoded<api::PodDisruptionBudget>(*client_.object(pdbsResource(), "default", "web")));
  }

  FakeClock clock_;
  client::FakeClient client_;
  client::ObjectCache<api::PodDisruptionBudget> pdbs_;
  client::ObjectCache<api::Pod> pods_;
  client::ObjectCache<api::ReplicaSet> sets_;
  client::ObjectCache<api::Deployment> deployments_;
  DisruptionController controller_;
};

TEST_F(DisruptionTest, MinAvailableAsAnIntegerCountsTheMatchingPods) {
  addPdb(pdbJson({{"minAvailable", 2}}));
  addPods(3);
  addPod(podJson("other", "", "n1", "Running", true));  // app=web too: counted
  json unrelated = podJson("db", "", "n1", "Running", true);
  unrelated["metadata"]["labels"] = {{"app", "db"}};
  addPod(unrelated);
  syncAndObserve();
  json s = status();
  EXPECT_EQ(s["expectedPods"], 4);
  EXPECT_EQ(s["desiredHealthy"], 2);
  EXPECT_EQ(s["currentHealthy"], 4);
  EXPECT_EQ(s["disruptionsAllowed"], 2);
  EXPECT_EQ(s["observedGeneration"], 3);
  ASSERT_EQ(s["conditions"].size(), 1u);
  EXPECT_EQ(s["conditions"][0]["type"], "DisruptionAllowed");
  EXPECT_EQ(s["conditions"][0]["status"], "True");
  EXPECT_EQ(s["conditions"][0]["reason"], "SufficientPods");
  EXPECT_EQ(s["conditions"][0]["observedGeneration"], 3);
}

TEST_F(DisruptionTest, MinAvailableAsAPercentScalesOverTheControllersReplicas) {
  addPdb(pdbJson({{"minAvailable", "50%"}}));
  addReplicaSet(5);  // 5 wanted, 3 there and ready: 50% of 5 rounds up to 3
  addPods(3);
  syncAndObserve();
  json s = status();
  EXPECT_EQ(s["expectedPods"], 5);
  EXPECT_EQ(s["desiredHealthy"], 3);
  EXPECT_EQ(s["currentHealthy"], 3);
  EXPECT_EQ(s["disruptionsAllowed"], 0);
  EXPECT_EQ(s["conditions"][0]["status"], "False");
  EXPECT_EQ(s["conditions"][0]["reason"], "InsufficientPods");
}

TEST_F(DisruptionTest, MaxUnavailableAsAnIntegerAndAsAPercent) {
  addPdb(pdbJson({{"maxUnavailable", 1}}));
  addReplicaSet(4);
  addPods(4);
  syncAndObserve();
  EXPECT_EQ(status()["desiredHealthy"], 3);
  EXPECT_EQ(status()["disruptionsAllowed"], 1);

  json pct = pdbJson({{"maxUnavailable", "50%"}});
  pct["metadata"]["generation"] = 4;
  addPdb(pct);
  syncAndObserve();
  EXPECT_EQ(status()["expectedPods"], 4);
  EXPECT_EQ(status()["desiredHealthy"], 2);
  EXPECT_EQ(status()["disruptionsAllowed"], 2);
  EXPECT_EQ(status()["observedGeneration"], 4);
}

TEST_F(DisruptionTest, ADeploymentCountsOnceThroughItsReplicaSets) {
  json dep = json::parse(R"({"apiVersion":"apps/v1","kind":"Deployment",
    "metadata":{"name":"web","namespace":"default","uid":"dep-uid"},
    "spec":{"replicas":4,"selector":{"matchLabels":{"app":"web"}},
            "template":{"metadata":{"labels":{"app":"web"}},
                        "spec":{"containers":[{"name":"c","image":"x"}]}}}})");
  deployments_.add(decoded<api::Deployment>(dep));
  for (const std::string rs : {"old", "new"}) {
    json set = testing::replicaSetJson("web-" + rs, 2, rs + "-uid");
    set["metadata"]["ownerReferences"] = {{{"apiVersion", "apps/v1"}, {"kind", "Deployment"},
                                           {"name", "web"}, {"uid", "dep-uid"},
                                           {"controller", true}}};
    sets_.add(decoded<api::ReplicaSet>(set));
    for (int i = 0; i < 2; ++i) {
      json pod = podJson(rs + std::to_string(i), rs + "-uid", "n1", "Running", true);
      pod["metadata"]["ownerReferences"][0]["name"] = "web-" + rs;
      addPod(pod);
    }
  }
  addPdb(pdbJson({{"maxUnavailable", "25%"}}));
  syncAndObserve();
  EXPECT_EQ(status()["expectedPods"], 4);
  EXPECT_EQ(status()["desiredHealthy"], 3);
  EXPECT_EQ(status()["disruptionsAllowed"], 1);
}

TEST_F(DisruptionTest, APodWhoseControllerIsUnknownFailsSafe) {
  addPdb(pdbJson({{"maxUnavailable", 1}}));
  addPods(2);  // their ReplicaSet is not in the cache
  syncAndObserve();
  EXPECT_EQ(status()["disruptionsAllowed"], 0);
  EXPECT_EQ(status()["conditions"][0]["reason"], "SyncFailed");
  EXPECT_EQ(status()["conditions"][0]["message"], "found no controllers for pod \"p0\"");
}

TEST_F(DisruptionTest, NotReadyPodsAndPodsBeingDeletedAreNotHealthy) {
  addPdb(pdbJson({{"minAvailable", 2}}));
  addPods(3, 2);  // 3 ready, 2 not
  json deleting = podJson("p9", "rs-uid", "n1", "Running", true);
  deleting["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z";
  addPod(deleting);
  syncAndObserve();
  EXPECT_EQ(status()["expectedPods"], 6);
  EXPECT_EQ(status()["currentHealthy"], 3);
  EXPECT_EQ(status()["disruptionsAllowed"], 1);
}

TEST_F(DisruptionTest, ARecentlyEvictedPodIsNotHealthyUntilItsEntryExpires) {
  json pdb = pdbJson({{"minAvailable", 2}});
  pdb["status"]["disruptedPods"] = {{"p0", formatRfc3339(clock_.now())}};
  addPdb(pdb);
  addPods(3);
  syncAndObserve();
  EXPECT_EQ(status()["currentHealthy"], 2);
  EXPECT_EQ(status()["disruptionsAllowed"], 0);
  EXPECT_TRUE(status()["disruptedPods"].contains("p0"));
  clock_.advance(kDeletionTimeout + 1s);
  syncAndObserve();
  EXPECT_EQ(status()["currentHealthy"], 3);
  EXPECT_EQ(status()["disruptionsAllowed"], 1);
  EXPECT_FALSE(status().contains("disruptedPods") && status()["disruptedPods"].contains("p0"));
}

TEST_F(DisruptionTest, NoChangeMeansNoWrite) {
  addPdb(pdbJson({{"minAvailable", 1}}));
  addPods(2);
  syncAndObserve();
  EXPECT_EQ(statusWrites(), 1u);
  const std::string transition = status()["conditions"][0]["lastTransitionTime"];
  clock_.advance(10s);
  syncAndObserve();
  EXPECT_EQ(statusWrites(), 1u);
  EXPECT_EQ(status()["conditions"][0]["lastTransitionTime"], transition);
}

TEST_F(DisruptionTest, AStaleCacheConflictsInsteadOfOverwritingAnEviction) {
  addPdb(pdbJson({{"minAvailable", 1}}));
  addPods(2);
  json newer = *client_.object(pdbsResource(), "default", "web");
  newer["status"]["disruptionsAllowed"] = 0;
  client_.add(pdbsResource(), newer);  // an eviction wrote; the cache has not seen it
  Status s = controller_.sync("default/web");
  EXPECT_EQ(s.code(), Code::kConflict);
}

TEST(ComputePdbStatus, NoSelectorMatchesNothing) {
  json pdb = pdbJson({{"minAvailable", 1}});
  pdb["spec"].erase("selector");
  auto result = computePdbStatus(decoded<api::PodDisruptionBudget>(pdb), {},
                                 [](auto&, auto&) { return std::nullopt; }, Clock::real().now());
  EXPECT_EQ(result.status.expected_pods, 0);
  EXPECT_EQ(result.status.disruptions_allowed, 0);
  EXPECT_EQ(result.status.conditions.at(0).reason, "InsufficientPods");
}

}  // namespace disruption_test
}  // namespace minik8s::controller
