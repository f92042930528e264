// The garbage collector over the fake client and prefilled caches.
#include "controller/garbage_collector.h"

#include <gtest/gtest.h>

#include "api/custom_resource.h"
#include "client/fake_client.h"
#include "controller/fixtures.h"
#include "testing/crd_fixtures.h"

namespace minik8s::controller {
namespace garbage_collector_test {

using nlohmann::json;
using testing::decoded;
using testing::podJson;
using testing::replicaSetJson;

const api::ResourceInfo& podsResource() { return *api::findResource("", "v1", "pods"); }
const api::ResourceInfo& setsResource() { return *api::findResource("apps", "v1", "replicasets"); }
const api::ResourceInfo& deploymentsResource() {
  return *api::findResource("apps", "v1", "deployments");
}

class GarbageCollectorTest : public ::testing::Test {
 protected:
  GarbageCollectorTest() {
    pods_.addIndex(kOwnerUidIndex, [](const api::Pod& p) { return ownerUidsOf(p.metadata); });
    sets_.addIndex(kOwnerUidIndex, [](const api::ReplicaSet& r) { return ownerUidsOf(r.metadata); });
    deployments_.addIndex(kOwnerUidIndex,
                          [](const api::Deployment& d) { return ownerUidsOf(d.metadata); });
    gc_.track(podsResource(), pods_);
    gc_.track(setsResource(), sets_);
    gc_.track(deploymentsResource(), deployments_);
  }
  void addPod(const json& pod) {
    client_.add(podsResource(), pod);
    pods_.add(decoded<api::Pod>(*client_.object(podsResource(), "default", pod["metadata"]["name"].get<std::string>())));
  }
  void addSet(const json& rs, bool in_cache = true) {
    client_.add(setsResource(), rs);
    if (in_cache) sets_.add(decoded<api::ReplicaSet>(*client_.object(setsResource(), "default", rs["metadata"]["name"].get<std::string>())));
  }
  std::vector<client::Action> writes() const { return client_.writes(); }

  FakeClock clock_;
  client::FakeClient client_{clock_};
  client::ObjectCache<api::Pod> pods_;
  client::ObjectCache<api::ReplicaSet> sets_;
  client::ObjectCache<api::Deployment> deployments_;
  GarbageCollector gc_{client_, clock_};
};

TEST_F(GarbageCollectorTest, DeletesAPodWhoseReplicaSetIsGone) {
  addPod(podJson("orphaned", "rs-uid"));
  client_.clearActions();
  ASSERT_TRUE(gc_.sync("pods/default/orphaned").isOk());
  auto w = writes();
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].summary(), "delete pods");
  EXPECT_EQ(w[0].name, "orphaned");
  EXPECT_EQ(w[0].object["preconditions"]["uid"], "uid-orphaned");
  EXPECT_EQ(w[0].object["propagationPolicy"], "Background");
  EXPECT_FALSE(client_.object(podsResource(), "default", "orphaned"));
}

TEST_F(GarbageCollectorTest, KeepsAPodWhoseOwnerExistsEvenIfTheCacheLags) {
  addSet(replicaSetJson("web", 1, "rs-uid"));
  addPod(podJson("owned", "rs-uid"));
  addSet(replicaSetJson("web2", 1, "rs2-uid"), /*in_cache=*/false);
  json lagging = podJson("lagging", "rs2-uid");
  lagging["metadata"]["ownerReferences"][0]["name"] = "web2";
  addPod(lagging);
  client_.clearActions();
  ASSERT_TRUE(gc_.sync("pods/default/owned").isOk());
  ASSERT_TRUE(gc_.sync("pods/default/lagging").isOk());
  EXPECT_TRUE(writes().empty());
}

TEST_F(GarbageCollectorTest, AnOwnerRecreatedUnderTheSameNameIsNotTheOwner) {
  addSet(replicaSetJson("web", 1, "new-uid"));
  addPod(podJson("stale", "old-uid"));
  client_.clearActions();
  ASSERT_TRUE(gc_.sync("pods/default/stale").isOk());
  ASSERT_EQ(writes().size(), 1u);
  EXPECT_EQ(writes()[0].summary(), "delete pods");
}

TEST_F(GarbageCollectorTest, DropsOnlyTheReferencesToOwnersThatAreGone) {
  addSet(replicaSetJson("web", 1, "rs-uid"));
  json pod = podJson("shared", "rs-uid");
  pod["metadata"]["ownerReferences"].push_back(
      {{"apiVersion", "apps/v1"}, {"kind", "ReplicaSet"}, {"name", "gone"}, {"uid", "gone-uid"}});
  addPod(pod);
  client_.clearActions();
  ASSERT_TRUE(gc_.sync("pods/default/shared").isOk());
  ASSERT_EQ(writes().size(), 1u);
  EXPECT_EQ(writes()[0].summary(), "patch pods");
  auto stored = client_.object(podsResource(), "default", "shared");
  ASSERT_TRUE(stored);
  ASSERT_EQ((*stored)["metadata"]["ownerReferences"].size(), 1u);
  EXPECT_EQ((*stored)["metadata"]["ownerReferences"][0]["uid"], "rs-uid");
}

TEST_F(GarbageCollectorTest, NeverDeletesOnAnOwnerKindItCannotLookUp) {
  json pod = podJson("custom", "");
  pod["metadata"]["ownerReferences"] = {
      {{"apiVersion", "example.com/v1"}, {"kind", "Widget"}, {"name", "w"}, {"uid", "w-uid"}}};
  addPod(pod);
  client_.clearActions();
  ASSERT_TRUE(gc_.sync("pods/default/custom").isOk());
  EXPECT_TRUE(writes().empty());
}

TEST_F(GarbageCollectorTest, AnOwnerOfACustomKindIsLookedUpThroughItsCrd) {
  const api::ResourceInfo& crds =
      *api::findResource("apiextensions.k8s.io", "v1", "customresourcedefinitions");
  client_.add(crds, minik8s::testing::widgetCrd());
  api::ResourceInfo widgets = api::customResourcesOf(minik8s::testing::widgetCrd()).front();
  client_.add(widgets, {{"apiVersion", "example.com/v1"},
                        {"kind", "Widget"},
                        {"metadata", {{"name", "w"}, {"namespace", "default"}, {"uid", "w-uid"}}}});
  for (const char* name : {"kept", "orphaned"}) {
    json pod = podJson(name, "");
    pod["metadata"]["ownerReferences"] = {{{"apiVersion", "example.com/v1"},
                                           {"kind", "Widget"},
                                           {"name", std::string(name) == "kept" ? "w" : "gone"},
                                           {"uid", std::string(name) == "kept" ? "w-uid" : "g-uid"}}};
    addPod(pod);
  }
  client_.clearActions();
  ASSERT_TRUE(gc_.sync("pods/default/kept").isOk());
  EXPECT_TRUE(writes().empty());
  ASSERT_TRUE(gc_.sync("pods/default/orphaned").isOk());
  ASSERT_EQ(writes().size(), 1u);
  EXPECT_EQ(writes()[0].summary(), "delete pods");
  EXPECT_EQ(writes()[0].name, "orphaned");
}

TEST_F(GarbageCollectorTest, ADeletedOwnerQueuesItsDependentsAndAFailedLookupRetries) {
  addSet(replicaSetJson("web", 1, "rs-uid"));
  addPod(podJson("a", "rs-uid"));
  addPod(podJson("b", "rs-uid"));
  addPod(podJson("other", "other-uid"));
  api::ObjectMeta owner;
  owner.uid = "rs-uid";
  gc_.onDeleted(owner);
  std::set<std::string> queued;
  while (auto key = gc_.queue().tryGet()) queued.insert(*key);
  EXPECT_EQ(queued, (std::set<std::string>{"pods/default/a", "pods/default/b"}));

  sets_.put("default/web", "", nullptr);
  client_.failNext("get", "replicasets", Status(Code::kUnavailable, "apiserver down"));
  EXPECT_EQ(gc_.sync("pods/default/a").code(), Code::kUnavailable);  // retried later, not deleted
  EXPECT_TRUE(client_.object(podsResource(), "default", "a"));
}

TEST_F(GarbageCollectorTest, ReplicaSetsOfAGoneDeploymentAreCollected) {
  json rs = replicaSetJson("web-abc", 1, "rs-uid");
  rs["metadata"]["ownerReferences"] = {{{"apiVersion", "apps/v1"}, {"kind", "Deployment"},
                                        {"name", "web"}, {"uid", "d-uid"}, {"controller", true}}};
  addSet(rs);
  client_.clearActions();
  ASSERT_TRUE(gc_.sync("replicasets.apps/default/web-abc").isOk());
  ASSERT_EQ(writes().size(), 1u);
  EXPECT_EQ(writes()[0].summary(), "delete replicasets");
}

TEST_F(GarbageCollectorTest, ActsOnTheLiveObjectNotALaggingCache) {
  // The orphaning patch removed the Deployment from the ReplicaSet's owners, then the
  // Deployment went; the cache still shows the old owner reference (the e2e's orphan
  // deletion lost its ReplicaSet this way once). The live object decides: it stays.
  json live = replicaSetJson("web-abc", 1, "rs-uid");
  addSet(live, /*in_cache=*/false);
  json cached = *client_.object(setsResource(), "default", "web-abc");
  cached["metadata"]["ownerReferences"] = {{{"apiVersion", "apps/v1"}, {"kind", "Deployment"},
                                            {"name", "web"}, {"uid", "d-uid"}, {"controller", true}}};
  sets_.add(decoded<api::ReplicaSet>(cached));
  client_.clearActions();
  ASSERT_TRUE(gc_.sync("replicasets.apps/default/web-abc").isOk());
  EXPECT_TRUE(writes().empty());
  EXPECT_TRUE(client_.object(setsResource(), "default", "web-abc"));
}

// A ReplicaSet "web" (uid rs-uid) being deleted with `finalizer`, as the apiserver leaves it.
json deletingSet(const std::string& finalizer) {
  json rs = replicaSetJson("web", 1, "rs-uid");
  rs["metadata"]["deletionTimestamp"] = "2026-01-01T00:01:00Z";
  rs["metadata"]["deletionGracePeriodSeconds"] = 0;
  rs["metadata"]["finalizers"] = {finalizer};
  return rs;
}

TEST_F(GarbageCollectorTest, OrphanDeletionReleasesTheDependentsThenTheFinalizer) {
  addSet(deletingSet("orphan"));
  addPod(podJson("a", "rs-uid"));
  json shared = podJson("b", "rs-uid");
  shared["metadata"]["ownerReferences"].push_back(
      {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"name", "cm"}, {"uid", "cm-uid"}});
  addPod(shared);
  client_.clearActions();
  ASSERT_TRUE(gc_.sync("replicasets.apps/default/web").isOk());
  auto w = writes();
  ASSERT_EQ(w.size(), 3u);
  EXPECT_EQ(w[2].summary(), "patch replicasets");  // the finalizer goes last
  auto a = client_.object(podsResource(), "default", "a");
  ASSERT_TRUE(a);
  EXPECT_TRUE((*a)["metadata"]["ownerReferences"].empty());
  auto b = client_.object(podsResource(), "default", "b");
  ASSERT_TRUE(b);
  ASSERT_EQ((*b)["metadata"]["ownerReferences"].size(), 1u);
  EXPECT_EQ((*b)["metadata"]["ownerReferences"][0]["uid"], "cm-uid");
  // The fake deletes an object whose last finalizer went, as the apiserver does.
  EXPECT_FALSE(client_.object(setsResource(), "default", "web"));
}

TEST_F(GarbageCollectorTest, ForegroundDeletionWaitsForBlockingDependents) {
  addSet(deletingSet("foregroundDeletion"));
  addPod(podJson("a", "rs-uid"));  // blockOwnerDeletion: true (the fixture's reference)
  client_.clearActions();
  ASSERT_TRUE(gc_.sync("replicasets.apps/default/web").isOk());
  EXPECT_TRUE(writes().empty());  // the owner stays while its pod exists
  EXPECT_EQ(gc_.queue().tryGet(), "pods/default/a");
  // The pod's owner waits for it, and the pod has no dependents: deleted in the background.
  ASSERT_TRUE(gc_.sync("pods/default/a").isOk());
  ASSERT_EQ(writes().size(), 1u);
  EXPECT_EQ(writes()[0].summary(), "delete pods");
  EXPECT_EQ(writes()[0].object["propagationPolicy"], "Background");
  // Gone from the cache: the owner's finalizer goes and the owner with it.
  pods_.put("default/a", "", nullptr);
  client_.clearActions();
  ASSERT_TRUE(gc_.sync("replicasets.apps/default/web").isOk());
  ASSERT_EQ(writes().size(), 1u);
  EXPECT_EQ(writes()[0].summary(), "patch replicasets");
  EXPECT_FALSE(client_.object(setsResource(), "default", "web"));
}

TEST_F(GarbageCollectorTest, ADependentWithDependentsOfItsOwnGoesInTheForeground) {
  json d = {{"apiVersion", "apps/v1"}, {"kind", "Deployment"},
            {"metadata", {{"name", "web"}, {"namespace", "default"}, {"uid", "d-uid"},
                          {"deletionTimestamp", "2026-01-01T00:01:00Z"},
                          {"finalizers", {"foregroundDeletion"}}}},
            {"spec", {{"selector", {{"matchLabels", {{"app", "web"}}}}},
                      {"template", {{"metadata", {{"labels", {{"app", "web"}}}}},
                                    {"spec", {{"containers", {{{"name", "c"}, {"image", "i"}}}}}}}}}}};
  client_.add(deploymentsResource(), d);
  deployments_.add(decoded<api::Deployment>(*client_.object(deploymentsResource(), "default", "web")));
  json rs = replicaSetJson("web", 1, "rs-uid");
  rs["metadata"]["ownerReferences"] = {{{"apiVersion", "apps/v1"}, {"kind", "Deployment"},
                                        {"name", "web"}, {"uid", "d-uid"}, {"controller", true},
                                        {"blockOwnerDeletion", true}}};
  addSet(rs);
  addPod(podJson("a", "rs-uid"));
  client_.clearActions();
  ASSERT_TRUE(gc_.sync("replicasets.apps/default/web").isOk());
  ASSERT_EQ(writes().size(), 1u);
  EXPECT_EQ(writes()[0].summary(), "delete replicasets");
  EXPECT_EQ(writes()[0].object["propagationPolicy"], "Foreground");
}

TEST(DecideForDependent, FollowsKubernetesAttemptToDeleteItem) {
  api::OwnerReference a{.api_version = "v1", .kind = "K", .name = "a", .uid = "ua"};
  api::OwnerReference b{.api_version = "v1", .kind = "K", .name = "b", .uid = "ub"};
  using S = OwnerState;
  auto keep = decideForDependent({a, b}, {S::kPresent, S::kPresent}, {}, false);
  EXPECT_EQ(keep.action, DependentDecision::kKeep);
  EXPECT_EQ(decideForDependent({}, {}, {}, false).action, DependentDecision::kKeep);
  auto drop = decideForDependent({a, b}, {S::kPresent, S::kWaitingForDependentsDeletion}, {}, false);
  EXPECT_EQ(drop.action, DependentDecision::kDropReferences);
  EXPECT_EQ(drop.drop_uids, std::vector<std::string>{"ub"});
  auto bg = decideForDependent({a}, {S::kGone}, {}, true);
  EXPECT_EQ(bg.action, DependentDecision::kDelete);
  EXPECT_EQ(bg.propagation, "Background");
  EXPECT_EQ(decideForDependent({a}, {S::kWaitingForDependentsDeletion}, {}, false).propagation,
            "Background");
  EXPECT_EQ(decideForDependent({a}, {S::kWaitingForDependentsDeletion}, {}, true).propagation,
            "Foreground");
  EXPECT_EQ(decideForDependent({a}, {S::kGone}, {"orphan"}, true).propagation, "Orphan");
  EXPECT_EQ(decideForDependent({a}, {S::kGone}, {"foregroundDeletion"}, false).propagation,
            "Foreground");
}

}  // namespace garbage_collector_test
}  // namespace minik8s::controller
