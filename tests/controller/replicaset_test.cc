// ReplicaSetController with the fake client and prefilled caches, Kubernetes-style:
// fill the listers, call sync(key), assert the recorded actions.
#include "controller/replicaset.h"

#include <gtest/gtest.h>

#include "client/fake_client.h"
#include "controller/fixtures.h"

namespace minik8s::controller {
namespace replicaset_test {

using nlohmann::json;
using testing::decoded;
using testing::podJson;
using testing::replicaSetJson;
using namespace std::chrono_literals;

class ReplicaSetControllerTest : public ::testing::Test {
 protected:
  ReplicaSetControllerTest() : client_(clock_), controller_(client_, sets_, pods_, {}, clock_) {}

  // Each object goes to the fake server, and its stored copy (with the server's
  // resourceVersion) to the cache, as an informer would show it.
  void addSet(const json& rs) {
    const auto& resource = *api::findResource("apps", "v1", "replicasets");
    client_.add(resource, rs);
    sets_.add(decoded<api::ReplicaSet>(*client_.object(resource, "default", rs["metadata"]["name"].get<std::string>())));
  }
  void addPod(const json& pod) {
    const auto& resource = *api::findResource("", "v1", "pods");
    client_.add(resource, pod);
    pods_.add(decoded<api::Pod>(*client_.object(resource, "default", pod["metadata"]["name"].get<std::string>())));
  }
  // The recorded writes, as "verb resource[/sub]", events left out.
  std::vector<std::string> writes() const {
    std::vector<std::string> out;
    for (const auto& a : client_.writes()) {
      if (a.resource != "events") out.push_back(a.summary());
    }
    return out;
  }
  std::vector<client::Action> writesOf(const std::string& summary) const {
    std::vector<client::Action> out;
    for (const auto& a : client_.writes()) {
      if (a.summary() == summary) out.push_back(a);
    }
    return out;
  }
  json statusWritten() const {
    auto updates = writesOf("update replicasets/status");
    EXPECT_FALSE(updates.empty());
    return updates.empty() ? json() : updates.back().object["status"];
  }
  std::vector<std::string> eventReasons() const {
    std::vector<std::string> out;
    for (const auto& a : client_.writes()) {
      if (a.resource == "events" && a.verb == "create") out.push_back(a.object.value("reason", ""));
    }
    return out;
  }

  FakeClock clock_;
  client::FakeClient client_;
  client::ObjectCache<api::ReplicaSet> sets_;
  client::ObjectCache<api::Pod> pods_;
  ReplicaSetController controller_;
};

TEST_F(ReplicaSetControllerTest, CreatesTheMissingPodsFromTheTemplateWithAControllerRef) {
  addSet(replicaSetJson("web", 3));
  client_.clearActions();

  { Status synced = controller_.sync("default/web"); ASSERT_TRUE(synced.isOk()) << synced.toString(); }

  auto creates = writesOf("create pods");
  ASSERT_EQ(creates.size(), 3u);
  for (const auto& c : creates) {
    const json& meta = c.object["metadata"];
    EXPECT_EQ(meta["generateName"], "web-");
    EXPECT_EQ(meta["labels"], json({{"app", "web"}, {"tier", "front"}}));
    ASSERT_EQ(meta["ownerReferences"].size(), 1u);
    EXPECT_EQ(meta["ownerReferences"][0]["kind"], "ReplicaSet");
    EXPECT_EQ(meta["ownerReferences"][0]["uid"], "rs-uid");
    EXPECT_EQ(meta["ownerReferences"][0]["controller"], true);
    EXPECT_EQ(meta["ownerReferences"][0]["blockOwnerDeletion"], true);
    EXPECT_EQ(c.object["spec"]["containers"][0]["image"], "myip:latest");
  }
  EXPECT_EQ(statusWritten()["observedGeneration"], 2);
  EXPECT_EQ(eventReasons(), std::vector<std::string>(3, "SuccessfulCreate"));
}

TEST_F(ReplicaSetControllerTest, DoesNotCreateAgainUntilItsCreatesAreObserved) {
  addSet(replicaSetJson("web", 2));
  { Status synced = controller_.sync("default/web"); ASSERT_TRUE(synced.isOk()) << synced.toString(); }
  ASSERT_EQ(writesOf("create pods").size(), 2u);
  client_.clearActions();

  // The informer has not shown the new pods yet: a second sync must not create more.
  { Status synced = controller_.sync("default/web"); ASSERT_TRUE(synced.isOk()) << synced.toString(); }
  EXPECT_TRUE(writesOf("create pods").empty());

  // The informer shows them: expectations are met and nothing is missing.
  for (const auto& pod : client_.objects(*api::findResource("", "v1", "pods"))) {
    auto typed = std::make_shared<const api::Pod>(decoded<api::Pod>(pod));
    pods_.add(*typed);
    controller_.onPodAdded(typed);
  }
  EXPECT_TRUE(controller_.expectations().satisfied("default/web"));
  client_.clearActions();
  { Status synced = controller_.sync("default/web"); ASSERT_TRUE(synced.isOk()) << synced.toString(); }
  EXPECT_TRUE(writesOf("create pods").empty());
  EXPECT_TRUE(writesOf("delete pods").empty());
}

TEST_F(ReplicaSetControllerTest, ExpectationsExpireSoALostEventDoesNotStallIt) {
  addSet(replicaSetJson("web", 1));
  { Status synced = controller_.sync("default/web"); ASSERT_TRUE(synced.isOk()) << synced.toString(); }
  client_.clearActions();
  clock_.advance(5min + 1s);
  { Status synced = controller_.sync("default/web"); ASSERT_TRUE(synced.isOk()) << synced.toString(); }
  EXPECT_EQ(writesOf("create pods").size(), 1u);
}

TEST_F(ReplicaSetControllerTest, DeletesSurplusPodsInKubernetesOrder) {
  addSet(replicaSetJson("web", 2));
  addPod(podJson("ready-old", "rs-uid", "node1", "Running", true, "2026-01-01T00:00:00Z"));
  addPod(podJson("unscheduled", "rs-uid"));
  addPod(podJson("ready-new", "rs-uid", "node1", "Running", true, "2026-01-01T00:05:00Z"));
  addPod(podJson("pending", "rs-uid", "node1", "Pending"));
  client_.clearActions();

  { Status synced = controller_.sync("default/web"); ASSERT_TRUE(synced.isOk()) << synced.toString(); }

  std::vector<std::string> deleted;
  for (const auto& a : writesOf("delete pods")) deleted.push_back(a.name);
  std::sort(deleted.begin(), deleted.end());
  EXPECT_EQ(deleted, (std::vector<std::string>{"pending", "unscheduled"}));
  for (const auto& a : writesOf("delete pods")) {
    EXPECT_EQ(a.object["preconditions"]["uid"], "uid-" + a.name);
  }
  EXPECT_FALSE(controller_.expectations().satisfied("default/web"));
  controller_.onPodDeleted(std::make_shared<const api::Pod>(decoded<api::Pod>(podJson("pending", "rs-uid"))));
  controller_.onPodDeleted(std::make_shared<const api::Pod>(decoded<api::Pod>(podJson("unscheduled", "rs-uid"))));
  EXPECT_TRUE(controller_.expectations().satisfied("default/web"));
}

TEST_F(ReplicaSetControllerTest, NewerReadyPodsGoBeforeOlderOnes) {
  addSet(replicaSetJson("web", 1));
  addPod(podJson("old", "rs-uid", "node1", "Running", true, "2026-01-01T00:00:00Z"));
  addPod(podJson("new", "rs-uid", "node1", "Running", true, "2026-01-01T00:09:00Z"));
  client_.clearActions();
  { Status synced = controller_.sync("default/web"); ASSERT_TRUE(synced.isOk()) << synced.toString(); }
  auto deletes = writesOf("delete pods");
  ASSERT_EQ(deletes.size(), 1u);
  EXPECT_EQ(deletes[0].name, "new");
}

TEST_F(ReplicaSetControllerTest, AdoptsMatchingOrphansAndReleasesPodsItNoLongerSelects) {
  addSet(replicaSetJson("web", 2));
  addPod(podJson("orphan", ""));
  json relabelled = podJson("relabelled", "rs-uid");
  relabelled["metadata"]["labels"] = {{"app", "other"}};
  addPod(relabelled);
  json foreign = podJson("foreign", "other-uid");
  addPod(foreign);
  client_.clearActions();

  { Status synced = controller_.sync("default/web"); ASSERT_TRUE(synced.isOk()) << synced.toString(); }

  auto patches = writesOf("patch pods");
  ASSERT_EQ(patches.size(), 2u);
  std::map<std::string, json> by_name;
  for (const auto& p : patches) by_name[p.name] = p.object;
  ASSERT_TRUE(by_name.count("orphan"));
  ASSERT_TRUE(by_name.count("relabelled"));
  EXPECT_EQ(by_name["orphan"][0], json({{"op", "test"}, {"path", "/metadata/uid"}, {"value", "uid-orphan"}}));
  EXPECT_EQ(by_name["orphan"][2]["value"][0]["uid"], "rs-uid");
  EXPECT_EQ(by_name["relabelled"][2]["value"], json::array());
  // The adopted orphan counts; the released and foreign pods do not: one pod is missing.
  EXPECT_EQ(writesOf("create pods").size(), 1u);
  auto stored = client_.object(*api::findResource("", "v1", "pods"), "default", "orphan");
  ASSERT_TRUE(stored);
  EXPECT_EQ((*stored)["metadata"]["ownerReferences"][0]["name"], "web");
}

TEST_F(ReplicaSetControllerTest, ReportsReadyAndAvailableReplicasWithMinReadySeconds) {
  json rs = replicaSetJson("web", 3);
  rs["spec"]["minReadySeconds"] = 30;
  addSet(rs);
  addPod(podJson("a", "rs-uid", "node1", "Running", true));   // ready since 00:00:10
  addPod(podJson("b", "rs-uid", "node1", "Running", false));
  json c = podJson("c", "rs-uid", "node1", "Running", true);
  c["metadata"]["labels"].erase("tier");  // selected, but not fully labelled
  addPod(c);
  clock_.advance(std::chrono::seconds(10 + 20));  // 00:00:30 + FakeClock's start
  // FakeClock starts at 2026-01-01T00:00:00Z; now is 00:00:30: ready for 20 s < 30 s.
  { Status synced = controller_.sync("default/web"); ASSERT_TRUE(synced.isOk()) << synced.toString(); }
  json status = statusWritten();
  EXPECT_EQ(status["replicas"], 3);
  EXPECT_EQ(status["readyReplicas"], 2);
  EXPECT_EQ(status.value("availableReplicas", 0), 0);
  EXPECT_EQ(status["fullyLabeledReplicas"], 2);
  EXPECT_EQ(status["observedGeneration"], 2);

  clock_.advance(15s);  // 00:00:45: ready for 35 s
  client_.clearActions();
  sets_.add(decoded<api::ReplicaSet>(*client_.object(*api::findResource("apps", "v1", "replicasets"), "default", "web")));
  { Status synced = controller_.sync("default/web"); ASSERT_TRUE(synced.isOk()) << synced.toString(); }
  EXPECT_EQ(statusWritten()["availableReplicas"], 2);
}

TEST_F(ReplicaSetControllerTest, FailingCreatesStopAfterTheFirstBatchAndSetReplicaFailure) {
  addSet(replicaSetJson("web", 10));
  client_.failNext("create", "pods", Status(Code::kForbidden, "exceeded quota"), 100);
  client_.clearActions();

  Status s = controller_.sync("default/web");
  EXPECT_FALSE(s.isOk());
  EXPECT_EQ(writesOf("create pods").size(), 1u);  // slow start: one try, not ten
  json status = statusWritten();
  ASSERT_EQ(status["conditions"].size(), 1u);
  EXPECT_EQ(status["conditions"][0]["type"], "ReplicaFailure");
  EXPECT_EQ(status["conditions"][0]["reason"], "FailedCreate");
  EXPECT_EQ(status["conditions"][0]["message"], "exceeded quota");
  EXPECT_EQ(eventReasons(), std::vector<std::string>{"FailedCreate"});
  // The failed and skipped creates will never be observed: the next sync may act.
  EXPECT_TRUE(controller_.expectations().satisfied("default/web"));
}

TEST_F(ReplicaSetControllerTest, AReplicaSetBeingDeletedCreatesNothing) {
  json rs = replicaSetJson("web", 3);
  rs["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z";
  rs["metadata"]["finalizers"] = {"foregroundDeletion"};
  addSet(rs);
  addPod(podJson("orphan", ""));
  client_.clearActions();
  { Status synced = controller_.sync("default/web"); ASSERT_TRUE(synced.isOk()) << synced.toString(); }
  EXPECT_TRUE(writesOf("create pods").empty());
  EXPECT_TRUE(writesOf("patch pods").empty());
}

TEST_F(ReplicaSetControllerTest, AGoneReplicaSetIsForgotten) {
  EXPECT_TRUE(controller_.sync("default/missing").isOk());
  EXPECT_TRUE(writes().empty());
}

TEST_F(ReplicaSetControllerTest, FinishedAndTerminatingPodsDoNotCount) {
  addSet(replicaSetJson("web", 2));
  addPod(podJson("done", "rs-uid", "node1", "Succeeded"));
  json leaving = podJson("leaving", "rs-uid", "node1", "Running", true);
  leaving["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z";
  addPod(leaving);
  addPod(podJson("running", "rs-uid", "node1", "Running", true));
  client_.clearActions();
  { Status synced = controller_.sync("default/web"); ASSERT_TRUE(synced.isOk()) << synced.toString(); }
  EXPECT_EQ(writesOf("create pods").size(), 1u);
  EXPECT_EQ(statusWritten()["replicas"], 1);
}

TEST_F(ReplicaSetControllerTest, PodEventsWakeTheOwnerOrTheSetsThatMayAdopt) {
  addSet(replicaSetJson("web", 1));
  auto owned = std::make_shared<const api::Pod>(decoded<api::Pod>(podJson("p", "rs-uid")));
  controller_.onPodAdded(owned);
  EXPECT_EQ(controller_.queue().tryGet(), "default/web");
  controller_.queue().done("default/web");
  auto foreign = std::make_shared<const api::Pod>(decoded<api::Pod>(podJson("f", "nobody")));
  controller_.onPodAdded(foreign);
  EXPECT_EQ(controller_.queue().tryGet(), std::nullopt);
  auto orphan = std::make_shared<const api::Pod>(decoded<api::Pod>(podJson("o", "")));
  controller_.onPodAdded(orphan);
  EXPECT_EQ(controller_.queue().tryGet(), "default/web");
}

}  // namespace replicaset_test
}  // namespace minik8s::controller
