// DeploymentController with the fake client and prefilled caches.
#include "controller/deployment.h"

#include <gtest/gtest.h>

#include "client/fake_client.h"
#include "controller/deployment_util.h"
#include "controller/fixtures.h"

namespace minik8s::controller {
namespace deployment_test {

using nlohmann::json;
using testing::decoded;
using namespace std::chrono_literals;

const api::ResourceInfo& deploymentsResource() { return *api::findResource("apps", "v1", "deployments"); }
const api::ResourceInfo& setsResource() { return *api::findResource("apps", "v1", "replicasets"); }

json podTemplate(const std::string& image) {
  return {{"metadata", {{"labels", {{"app", "web"}}}}},
          {"spec", {{"containers", {{{"name", "c"}, {"image", image}}}}}}};
}

json deploymentJson(int replicas, const std::string& image, const std::string& strategy = "RollingUpdate") {
  json d = {{"apiVersion", "apps/v1"},
            {"kind", "Deployment"},
            {"metadata",
             {{"name", "web"},
              {"namespace", "default"},
              {"uid", "d-uid"},
              {"generation", 1},
              {"resourceVersion", "3"},
              {"creationTimestamp", "2026-01-01T00:00:00Z"}}},
            {"spec",
             {{"replicas", replicas},
              {"selector", {{"matchLabels", {{"app", "web"}}}}},
              {"template", podTemplate(image)},
              {"strategy", {{"type", strategy}}},
              {"revisionHistoryLimit", 10},
              {"progressDeadlineSeconds", 600}}}};
  if (strategy == "RollingUpdate")
    d["spec"]["strategy"]["rollingUpdate"] = {{"maxSurge", "25%"}, {"maxUnavailable", "25%"}};
  return d;
}

// A ReplicaSet of the Deployment for `image`, as the controller would have made it.
json setJson(const std::string& image, int replicas, int available, int revision,
             const std::string& created = "2026-01-01T00:00:00Z", int desired_annotation = -1) {
  api::PodTemplateSpec t = decoded<api::PodTemplateSpec>(podTemplate(image));
  std::string hash = podTemplateHash(t, std::nullopt);
  json tmpl = podTemplate(image);
  tmpl["metadata"]["labels"][kPodTemplateHashLabel] = hash;
  json rs = {{"apiVersion", "apps/v1"},
             {"kind", "ReplicaSet"},
             {"metadata",
              {{"name", "web-" + hash},
               {"namespace", "default"},
               {"uid", "rs-" + image},
               {"resourceVersion", "4"},
               {"creationTimestamp", created},
               {"labels", tmpl["metadata"]["labels"]},
               {"annotations", {{kRevisionAnnotation, std::to_string(revision)}}},
               {"ownerReferences",
                {{{"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"name", "web"},
                  {"uid", "d-uid"}, {"controller", true}, {"blockOwnerDeletion", true}}}}}},
             {"spec",
              {{"replicas", replicas},
               {"selector", {{"matchLabels", {{"app", "web"}, {kPodTemplateHashLabel, hash}}}}},
               {"template", tmpl}}},
             {"status",
              {{"replicas", replicas}, {"readyReplicas", available}, {"availableReplicas", available}}}};
  if (desired_annotation >= 0) {
    rs["metadata"]["annotations"][kDesiredReplicasAnnotation] = std::to_string(desired_annotation);
  }
  return rs;
}

class DeploymentControllerTest : public ::testing::Test {
 protected:
  DeploymentControllerTest() : client_(clock_), controller_(client_, deployments_, sets_, pods_, clock_) {}

  // Each object goes to the fake server, and its stored copy (with the server's
  // resourceVersion) to the cache, as an informer would show it.
  void addDeployment(const json& d) {
    client_.add(deploymentsResource(), d);
    deployments_.add(decoded<api::Deployment>(*client_.object(deploymentsResource(), "default", "web")));
  }
  // The ReplicaSet, and in the pod cache as many ready pods as its status says are
  // available (the rest of spec.replicas not ready), replacing its earlier pods.
  void addSet(const json& rs) {
    client_.add(setsResource(), rs);
    const std::string name = rs["metadata"]["name"];
    const std::string uid = rs["metadata"]["uid"];
    sets_.add(decoded<api::ReplicaSet>(*client_.object(setsResource(), "default", name)));
    for (const auto& key : pods_.keys()) {
      if (key.rfind("default/" + name + "-p", 0) == 0) pods_.put(key, "", nullptr);
    }
    const int replicas = rs["spec"]["replicas"];
    const int available = rs["status"].value("availableReplicas", 0);
    for (int i = 0; i < replicas; ++i) {
      pods_.add(decoded<api::Pod>(testing::podJson(name + "-p" + std::to_string(i), uid, "n1", "Running",
                                                   i < available)));
    }
  }
  // What the informers would show after the controller's writes.
  void syncCaches() {
    for (const auto& d : client_.objects(deploymentsResource())) deployments_.add(decoded<api::Deployment>(d));
    for (const auto& rs : client_.objects(setsResource())) sets_.add(decoded<api::ReplicaSet>(rs));
  }
  std::vector<client::Action> writesOf(const std::string& summary) const {
    std::vector<client::Action> out;
    for (const auto& a : client_.writes()) {
      if (a.summary() == summary) out.push_back(a);
    }
    return out;
  }
  // replicas by ReplicaSet name after the sync's updates.
  std::map<std::string, int> scaledTo() const {
    std::map<std::string, int> out;
    for (const auto& a : writesOf("update replicasets")) out[a.name] = a.object["spec"]["replicas"];
    return out;
  }
  json lastStatus() const {
    auto updates = writesOf("update deployments/status");
    EXPECT_FALSE(updates.empty());
    return updates.empty() ? json() : updates.back().object["status"];
  }
  std::vector<std::string> eventMessages() const {
    std::vector<std::string> out;
    for (const auto& a : client_.writes()) {
      if (a.resource == "events" && a.verb == "create") out.push_back(a.object.value("message", ""));
    }
    return out;
  }

  FakeClock clock_;
  client::FakeClient client_;
  client::ObjectCache<api::Deployment> deployments_;
  client::ObjectCache<api::ReplicaSet> sets_;
  client::ObjectCache<api::Pod> pods_;
  DeploymentController controller_;
};

TEST_F(DeploymentControllerTest, ANewDeploymentGetsAReplicaSetWithTheTemplateHash) {
  addDeployment(deploymentJson(3, "myip:1"));
  client_.clearActions();
  { Status synced = controller_.sync("default/web"); ASSERT_TRUE(synced.isOk()) << synced.toString(); }

  auto creates = writesOf("create replicasets");
  ASSERT_EQ(creates.size(), 1u);
  const json& rs = creates[0].object;
  const std::string hash = rs["metadata"]["labels"][kPodTemplateHashLabel];
  EXPECT_FALSE(hash.empty());
  EXPECT_EQ(rs["metadata"]["name"], "web-" + hash);
  EXPECT_EQ(rs["spec"]["replicas"], 3);  // 25% surge of 3 rounds up to 1: all 3 fit
  EXPECT_EQ(rs["spec"]["selector"]["matchLabels"][kPodTemplateHashLabel], hash);
  EXPECT_EQ(rs["spec"]["template"]["metadata"]["labels"][kPodTemplateHashLabel], hash);
  EXPECT_EQ(rs["metadata"]["annotations"][kRevisionAnnotation], "1");
  EXPECT_EQ(rs["metadata"]["annotations"][kDesiredReplicasAnnotation], "3");
  EXPECT_EQ(rs["metadata"]["annotations"][kMaxReplicasAnnotation], "4");
  EXPECT_EQ(rs["metadata"]["ownerReferences"][0]["kind"], "Deployment");
  EXPECT_EQ(rs["metadata"]["ownerReferences"][0]["uid"], "d-uid");
  // The Deployment records its revision; status says a new ReplicaSet was created.
  auto revision = writesOf("patch deployments");
  ASSERT_EQ(revision.size(), 1u);
  EXPECT_EQ(revision[0].object["metadata"]["annotations"][kRevisionAnnotation], "1");
  json status = lastStatus();
  EXPECT_EQ(status["observedGeneration"], 1);
  bool created = false;
  for (const auto& c : status["conditions"]) {
    if (c["type"] == "Progressing") {
      EXPECT_EQ(c["reason"], "NewReplicaSetCreated");
      created = true;
    }
  }
  EXPECT_TRUE(created);
  EXPECT_EQ(eventMessages(), std::vector<std::string>{"Scaled up replica set web-" + hash + " from 0 to 3"});
}

TEST_F(DeploymentControllerTest, AReplicaSetsReplicaFailureIsCopiedToTheDeploymentStatus) {
  // As in a namespace being deleted: the ReplicaSet's pod creates are refused.
  addDeployment(deploymentJson(3, "myip:1"));
  json rs = setJson("myip:1", 3, 0, 1);
  const std::string message =
      "pods \"web-abcde\" is forbidden: unable to create new content in namespace default "
      "because it is being terminated";
  rs["status"]["conditions"] = {{{"type", "ReplicaFailure"},
                                 {"status", "True"},
                                 {"reason", "FailedCreate"},
                                 {"message", message}}};
  addSet(rs);
  client_.clearActions();
  { Status synced = controller_.sync("default/web"); ASSERT_TRUE(synced.isOk()) << synced.toString(); }
  auto updates = writesOf("update deployments/status");
  ASSERT_EQ(updates.size(), 1u);
  bool found = false;
  for (const auto& c : updates[0].object["status"]["conditions"]) {
    if (c["type"] != "ReplicaFailure") continue;
    found = true;
    EXPECT_EQ(c["status"], "True");
    EXPECT_EQ(c["reason"], "FailedCreate");
    EXPECT_EQ(c["message"], message);
  }
  EXPECT_TRUE(found);
}

TEST_F(DeploymentControllerTest, ARollingUpdateSurgesThenScalesOldDownWithinMaxUnavailable) {
  // 4 replicas: surge 1, unavailable 1.
  addDeployment(deploymentJson(4, "myip:2"));
  json old = setJson("myip:1", 4, 4, 1);
  const std::string old_name = old["metadata"]["name"];
  addSet(old);
  client_.clearActions();
  { Status synced = controller_.sync("default/web"); ASSERT_TRUE(synced.isOk()) << synced.toString(); }
  // The new ReplicaSet gets the one surge replica, and one old replica may go at once
  // (4 available - 3 minimum), as Kubernetes does in the same sync.
  auto creates = writesOf("create replicasets");
  ASSERT_EQ(creates.size(), 1u);
  EXPECT_EQ(creates[0].object["spec"]["replicas"], 1);
  EXPECT_EQ(creates[0].object["metadata"]["annotations"][kRevisionAnnotation], "2");
  EXPECT_EQ(scaledTo(), (std::map<std::string, int>{{old_name, 3}}));

  // Old at 3 (all available), new at 1 (none yet): room for one more new replica.
  syncCaches();
  json fresh = setJson("myip:2", 1, 0, 2, "2026-01-01T00:10:00Z", 4);
  const std::string new_name = fresh["metadata"]["name"];
  addSet(fresh);
  addSet(setJson("myip:1", 3, 3, 1, "2026-01-01T00:00:00Z", 4));
  client_.clearActions();
  { Status synced = controller_.sync("default/web"); ASSERT_TRUE(synced.isOk()) << synced.toString(); }
  EXPECT_EQ(scaledTo(), (std::map<std::string, int>{{new_name, 2}}));

  // Old 3 + new 2 = 4 + surge, and the new ones are not available: nothing may move.
  syncCaches();
  addSet(setJson("myip:2", 2, 0, 2, "2026-01-01T00:10:00Z", 4));
  client_.clearActions();
  { Status synced = controller_.sync("default/web"); ASSERT_TRUE(synced.isOk()) << synced.toString(); }
  EXPECT_TRUE(scaledTo().empty());

  // Both new ones available: two old replicas may go (5 available - 3 minimum).
  syncCaches();
  addSet(setJson("myip:2", 2, 2, 2, "2026-01-01T00:10:00Z", 4));
  client_.clearActions();
  { Status synced = controller_.sync("default/web"); ASSERT_TRUE(synced.isOk()) << synced.toString(); }
  EXPECT_EQ(scaledTo(), (std::map<std::string, int>{{old_name, 1}}));
}

TEST_F(DeploymentControllerTest, ScaleDownCountsPodsNotTheLaggingReplicaSetStatus) {
  addDeployment(deploymentJson(4, "myip:2"));
  // The old ReplicaSet was just scaled 4 → 3; its status still says 4 available.
  json old = setJson("myip:1", 3, 3, 1, "2026-01-01T00:00:00Z", 4);
  old["status"]["replicas"] = 4;
  old["status"]["availableReplicas"] = 4;
  const std::string old_name = old["metadata"]["name"];
  addSet(old);  // 3 ready pods in the cache
  addSet(setJson("myip:2", 2, 2, 2, "2026-01-01T00:10:00Z", 4));
  client_.clearActions();
  { Status synced = controller_.sync("default/web"); ASSERT_TRUE(synced.isOk()) << synced.toString(); }
  // 3 + 2 available pods, 3 must stay: 2 old ones may go (status would have said 3).
  EXPECT_EQ(scaledTo(), (std::map<std::string, int>{{old_name, 1}}));
}

TEST_F(DeploymentControllerTest, UnhealthyOldReplicasGoFirst) {
  addDeployment(deploymentJson(4, "myip:2"));
  json old = setJson("myip:1", 4, 2, 1);  // 2 of 4 not available
  addSet(old);
  json fresh = setJson("myip:2", 1, 1, 2, "2026-01-01T00:10:00Z");
  addSet(fresh);
  client_.clearActions();
  { Status synced = controller_.sync("default/web"); ASSERT_TRUE(synced.isOk()) << synced.toString(); }
  // Budget: 5 total - 3 min available - 0 new unavailable = 2, spent on the 2 unhealthy.
  EXPECT_EQ(scaledTo(), (std::map<std::string, int>{{old["metadata"]["name"], 2}}));
}

TEST_F(DeploymentControllerTest, RecreateScalesOldToZeroAndWaitsForItsPods) {
  addDeployment(deploymentJson(3, "myip:2", "Recreate"));
  json old = setJson("myip:1", 3, 3, 1);
  addSet(old);
  client_.clearActions();
  { Status synced = controller_.sync("default/web"); ASSERT_TRUE(synced.isOk()) << synced.toString(); }
  EXPECT_EQ(scaledTo(), (std::map<std::string, int>{{old["metadata"]["name"], 0}}));
  EXPECT_TRUE(writesOf("create replicasets").empty());

  // Scaled to 0 but a pod still runs: no new ReplicaSet yet.
  syncCaches();
  json zero = setJson("myip:1", 0, 0, 1);
  addSet(zero);
  json pod = testing::podJson("old-pod", "rs-myip:1", "node1", "Running", true);
  pod["metadata"]["ownerReferences"][0]["name"] = zero["metadata"]["name"];
  pods_.add(decoded<api::Pod>(pod));
  client_.clearActions();
  { Status synced = controller_.sync("default/web"); ASSERT_TRUE(synced.isOk()) << synced.toString(); }
  EXPECT_TRUE(writesOf("create replicasets").empty());

  pods_.put("default/old-pod", "", nullptr);
  syncCaches();
  client_.clearActions();
  { Status synced = controller_.sync("default/web"); ASSERT_TRUE(synced.isOk()) << synced.toString(); }
  auto creates = writesOf("create replicasets");
  ASSERT_EQ(creates.size(), 1u);
  EXPECT_EQ(creates[0].object["spec"]["replicas"], 3);
}

TEST_F(DeploymentControllerTest, ScalingWithoutATemplateChangeResizesTheOnlyReplicaSet) {
  json d = deploymentJson(5, "myip:1");
  d["metadata"]["annotations"] = {{kRevisionAnnotation, "1"}};
  addDeployment(d);
  json rs = setJson("myip:1", 3, 3, 1, "2026-01-01T00:00:00Z", 3);
  addSet(rs);
  client_.clearActions();
  { Status synced = controller_.sync("default/web"); ASSERT_TRUE(synced.isOk()) << synced.toString(); }
  EXPECT_EQ(scaledTo(), (std::map<std::string, int>{{rs["metadata"]["name"], 5}}));
  EXPECT_TRUE(writesOf("create replicasets").empty());
  auto updates = writesOf("update replicasets");
  EXPECT_EQ(updates[0].object["metadata"]["annotations"][kDesiredReplicasAnnotation], "5");
}

TEST_F(DeploymentControllerTest, ACompleteRolloutReportsAvailableAndTrimsHistory) {
  json d = deploymentJson(2, "myip:3");
  d["spec"]["revisionHistoryLimit"] = 1;
  d["metadata"]["annotations"] = {{kRevisionAnnotation, "3"}};
  addDeployment(d);
  addSet(setJson("myip:1", 0, 0, 1, "2026-01-01T00:00:00Z"));
  addSet(setJson("myip:2", 0, 0, 2, "2026-01-01T00:01:00Z"));
  addSet(setJson("myip:3", 2, 2, 3, "2026-01-01T00:02:00Z", 2));
  client_.clearActions();
  { Status synced = controller_.sync("default/web"); ASSERT_TRUE(synced.isOk()) << synced.toString(); }
  auto deletes = writesOf("delete replicasets");
  ASSERT_EQ(deletes.size(), 1u);  // revision 1 goes, revision 2 stays (limit 1)
  EXPECT_EQ(deletes[0].object["preconditions"]["uid"], "rs-myip:1");
  json status = lastStatus();
  EXPECT_EQ(status["replicas"], 2);
  EXPECT_EQ(status["updatedReplicas"], 2);
  EXPECT_EQ(status["availableReplicas"], 2);
  std::map<std::string, std::string> reasons;
  for (const auto& c : status["conditions"]) reasons[c["type"]] = c["reason"];
  EXPECT_EQ(reasons["Available"], "MinimumReplicasAvailable");
  EXPECT_EQ(reasons["Progressing"], "NewReplicaSetAvailable");
}

TEST_F(DeploymentControllerTest, RollingBackReusesTheOldReplicaSetWithANewRevision) {
  // The template is myip:1 again (kubectl rollout undo): the revision-1 ReplicaSet is new.
  addDeployment(deploymentJson(2, "myip:1"));
  json first = setJson("myip:1", 0, 0, 1);
  addSet(first);
  addSet(setJson("myip:2", 2, 2, 2, "2026-01-01T00:01:00Z", 2));
  client_.clearActions();
  { Status synced = controller_.sync("default/web"); ASSERT_TRUE(synced.isOk()) << synced.toString(); }
  EXPECT_TRUE(writesOf("create replicasets").empty());
  auto updates = writesOf("update replicasets");
  ASSERT_FALSE(updates.empty());
  EXPECT_EQ(updates[0].name, first["metadata"]["name"]);
  EXPECT_EQ(updates[0].object["metadata"]["annotations"][kRevisionAnnotation], "3");
}

TEST_F(DeploymentControllerTest, NoProgressForTheDeadlineEndsInProgressDeadlineExceeded) {
  json d = deploymentJson(2, "myip:2");
  d["spec"]["progressDeadlineSeconds"] = 60;
  d["status"] = {{"observedGeneration", 1}, {"replicas", 3}, {"updatedReplicas", 1},
                 {"availableReplicas", 2}, {"readyReplicas", 2},
                 {"conditions", {{{"type", "Progressing"}, {"status", "True"},
                                  {"reason", "ReplicaSetUpdated"},
                                  {"lastUpdateTime", "2026-01-01T00:00:00Z"},
                                  {"lastTransitionTime", "2026-01-01T00:00:00Z"}}}}};
  addDeployment(d);
  addSet(setJson("myip:1", 2, 2, 1, "2026-01-01T00:00:00Z", 2));
  addSet(setJson("myip:2", 1, 0, 2, "2026-01-01T00:01:00Z", 2));
  clock_.advance(61s);
  client_.clearActions();
  { Status synced = controller_.sync("default/web"); ASSERT_TRUE(synced.isOk()) << synced.toString(); }
  json status = lastStatus();
  bool exceeded = false;
  for (const auto& c : status["conditions"]) {
    if (c["type"] == "Progressing") {
      EXPECT_EQ(c["status"], "False");
      EXPECT_EQ(c["reason"], "ProgressDeadlineExceeded");
      exceeded = true;
    }
  }
  EXPECT_TRUE(exceeded);
}

TEST_F(DeploymentControllerTest, AdoptsMatchingOrphanReplicaSets) {
  addDeployment(deploymentJson(1, "myip:1"));
  json orphan = setJson("myip:1", 1, 1, 1);
  orphan["metadata"].erase("ownerReferences");
  addSet(orphan);
  client_.clearActions();
  { Status synced = controller_.sync("default/web"); ASSERT_TRUE(synced.isOk()) << synced.toString(); }
  auto patches = writesOf("patch replicasets");
  ASSERT_EQ(patches.size(), 1u);
  EXPECT_EQ(patches[0].object[2]["value"][0]["uid"], "d-uid");
  EXPECT_TRUE(writesOf("create replicasets").empty());
}

TEST(DeploymentUtil, SurgeUnavailableAndNewReplicas) {
  auto d = decoded<api::Deployment>(deploymentJson(10, "x"));
  EXPECT_EQ(maxSurge(d), 3);        // 2.5 rounds up
  EXPECT_EQ(maxUnavailable(d), 2);  // 2.5 rounds down
  auto zero = deploymentJson(3, "x");
  zero["spec"]["strategy"]["rollingUpdate"] = {{"maxSurge", 0}, {"maxUnavailable", 0}};
  EXPECT_EQ(maxUnavailable(decoded<api::Deployment>(zero)), 1);  // the fencepost
  auto recreate = decoded<api::Deployment>(deploymentJson(3, "x", "Recreate"));
  EXPECT_EQ(maxSurge(recreate), 0);
  EXPECT_EQ(newReplicaSetReplicas(recreate, {}, 0), 3);
  std::vector<api::ReplicaSet> all = {decoded<api::ReplicaSet>(setJson("a", 10, 10, 1))};
  EXPECT_EQ(newReplicaSetReplicas(d, all, 0), 3);
  EXPECT_NE(podTemplateHash(d.spec.template_, std::nullopt), podTemplateHash(d.spec.template_, 1));
  EXPECT_EQ(podTemplateHash(d.spec.template_, std::nullopt).find_first_of("aeiou"), std::string::npos);
}

}  // namespace deployment_test
}  // namespace minik8s::controller
