// The garbage collector over the fake client and prefilled caches.
#include "controller/garbage_collector.h"

#include <gtest/gtest.h>

#include "client/fake_client.h"
#include "controller/fixtures.h"

namespace minik8s::controller {
namespace {

using nlohmann::json;
using testing::decoded;
using testing::podJson;
using testing::replicaSetJson;

const api::ResourceInfo& podsResource() { return *api::findResource("", "v1", "pods"); }
const api::ResourceInfo& setsResource() { return *api::findResource("apps", "v1", "replicasets"); }

class GarbageCollectorTest : public ::testing::Test {
 protected:
  GarbageCollectorTest() {
    pods_.addIndex(kOwnerUidIndex, [](const api::Pod& p) { return ownerUidsOf(p.metadata); });
    sets_.addIndex(kOwnerUidIndex, [](const api::ReplicaSet& r) { return ownerUidsOf(r.metadata); });
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
  GarbageCollector gc_{client_, pods_, sets_, deployments_, clock_};
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

TEST_F(GarbageCollectorTest, ADeletedOwnerQueuesItsDependentsAndAFailedLookupRetries) {
  addSet(replicaSetJson("web", 1, "rs-uid"));
  addPod(podJson("a", "rs-uid"));
  addPod(podJson("b", "rs-uid"));
  addPod(podJson("other", "other-uid"));
  api::ObjectMeta owner;
  owner.uid = "rs-uid";
  gc_.onOwnerDeleted(owner);
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
  ASSERT_TRUE(gc_.sync("replicasets/default/web-abc").isOk());
  ASSERT_EQ(writes().size(), 1u);
  EXPECT_EQ(writes()[0].summary(), "delete replicasets");
}

}  // namespace
}  // namespace minik8s::controller
