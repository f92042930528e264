// NamespaceController with the fake client, a prefilled cache and the fake clock; the
// conditions as a table of Kubernetes' reasons and messages.
#include "controller/namespace.h"

#include <gtest/gtest.h>

#include "client/fake_client.h"
#include "controller/fixtures.h"

namespace minik8s::controller {
namespace namespace_test {

using nlohmann::json;
using testing::decoded;
using namespace std::chrono_literals;

const api::ResourceInfo& res(const std::string& group, const std::string& plural) {
  return *api::findResource(group, "v1", plural);
}

json namespaceJson(const std::string& name, bool deleting) {
  json ns = {{"apiVersion", "v1"},
             {"kind", "Namespace"},
             {"metadata", {{"name", name}}},
             {"spec", {{"finalizers", {"kubernetes"}}}},
             {"status", {{"phase", deleting ? "Terminating" : "Active"}}}};
  if (deleting) ns["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z";
  return ns;
}

json inNamespace(json object, const std::string& ns) {
  object["metadata"]["namespace"] = ns;
  object["metadata"].erase("resourceVersion");
  return object;
}

const api::Condition* conditionOf(const std::vector<api::Condition>& conditions,
                                  const std::string& type) {
  for (const auto& c : conditions) {
    if (c.type == type) return &c;
  }
  return nullptr;
}

// ---- the conditions ----

TEST(NamespaceConditions, AnEmptyPassSetsAllFiveToFalseWithKubernetesOkReasons) {
  std::vector<api::Condition> conditions;
  EXPECT_TRUE(updateNamespaceConditions(conditions, {}, "2026-01-01T00:00:01Z"));
  ASSERT_EQ(conditions.size(), 5u);
  struct Row {
    const char* type;
    const char* reason;
    const char* message;
  };
  for (const Row& row : std::vector<Row>{
           {"NamespaceDeletionDiscoveryFailure", "ResourcesDiscovered",
            "All resources successfully discovered"},
           {"NamespaceDeletionGroupVersionParsingFailure", "ParsedGroupVersions",
            "All legacy kube types successfully parsed"},
           {"NamespaceDeletionContentFailure", "ContentDeleted",
            "All content successfully deleted, may be waiting on finalization"},
           {"NamespaceContentRemaining", "ContentRemoved", "All content successfully removed"},
           {"NamespaceFinalizersRemaining", "ContentHasNoFinalizers",
            "All content-preserving finalizers finished"}}) {
    const api::Condition* c = conditionOf(conditions, row.type);
    ASSERT_NE(c, nullptr) << row.type;
    EXPECT_EQ(c->status, "False") << row.type;
    EXPECT_EQ(c->reason, row.reason) << row.type;
    EXPECT_EQ(c->message, row.message) << row.type;
    EXPECT_EQ(c->last_transition_time, "2026-01-01T00:00:01Z");
  }
  EXPECT_FALSE(updateNamespaceConditions(conditions, {}, "2026-01-01T00:00:09Z"));
}

TEST(NamespaceConditions, RemainingContentAndFinalizersAreCountedSortedAndTransitionOnce) {
  std::vector<api::Condition> conditions;
  updateNamespaceConditions(conditions, {}, "2026-01-01T00:00:01Z");
  NamespaceContentTotals totals;
  totals.remaining_by_resource = {{"pods.", 2}, {"configmaps.", 1}, {"jobs.batch", 0}};
  totals.remaining_by_finalizer = {{"example.com/hold", 1}};
  EXPECT_TRUE(updateNamespaceConditions(conditions, totals, "2026-01-01T00:00:02Z"));
  const api::Condition* content = conditionOf(conditions, "NamespaceContentRemaining");
  EXPECT_EQ(content->status, "True");
  EXPECT_EQ(content->reason, "SomeResourcesRemain");
  EXPECT_EQ(content->message,
            "Some resources are remaining: configmaps. has 1 resource instances, pods. has 2 "
            "resource instances");
  EXPECT_EQ(content->last_transition_time, "2026-01-01T00:00:02Z");
  const api::Condition* finalizers = conditionOf(conditions, "NamespaceFinalizersRemaining");
  EXPECT_EQ(finalizers->reason, "SomeFinalizersRemain");
  EXPECT_EQ(finalizers->message,
            "Some content in the namespace has finalizers remaining: example.com/hold in 1 "
            "resource instances");
  // A new count changes the message but not the transition time.
  totals.remaining_by_resource["pods."] = 1;
  EXPECT_TRUE(updateNamespaceConditions(conditions, totals, "2026-01-01T00:00:03Z"));
  content = conditionOf(conditions, "NamespaceContentRemaining");
  EXPECT_EQ(content->last_transition_time, "2026-01-01T00:00:02Z");
  EXPECT_NE(content->message.find("pods. has 1 resource instances"), std::string::npos);
  // Failed deletes are one condition listing every error, sorted.
  NamespaceContentTotals failed;
  failed.delete_errors = {"b failed", "a failed"};
  EXPECT_TRUE(updateNamespaceConditions(conditions, failed, "2026-01-01T00:00:04Z"));
  const api::Condition* failure = conditionOf(conditions, "NamespaceDeletionContentFailure");
  EXPECT_EQ(failure->status, "True");
  EXPECT_EQ(failure->reason, "ContentDeletionFailed");
  EXPECT_EQ(failure->message,
            "Failed to delete all resource types, 2 remaining: a failed, b failed");
  EXPECT_EQ(conditionOf(conditions, "NamespaceContentRemaining")->status, "False");
  EXPECT_EQ(conditionOf(conditions, "NamespaceContentRemaining")->last_transition_time,
            "2026-01-01T00:00:04Z");
}

TEST(NamespaceResources, EveryNamespacedResourceWithDeleteAndNoClusterScopedOne) {
  auto resources = deletableNamespacedResources();
  std::set<std::string> names;
  for (const auto* r : resources) {
    EXPECT_TRUE(r->namespaced) << r->plural;
    names.insert(r->plural);
  }
  for (const char* plural : {"pods", "configmaps", "secrets", "services", "endpoints", "events",
                             "deployments", "replicasets", "jobs", "leases", "endpointslices"}) {
    EXPECT_TRUE(names.count(plural)) << plural;
  }
  EXPECT_FALSE(names.count("nodes"));
  EXPECT_FALSE(names.count("namespaces"));
}

// ---- the controller ----

class NamespaceControllerTest : public ::testing::Test {
 protected:
  NamespaceControllerTest() : client_(clock_), controller_(client_, namespaces_, {}, clock_) {}

  const api::ResourceInfo& nsResource() { return res("", "namespaces"); }
  void addNamespace(const json& ns) {
    client_.add(nsResource(), ns);
    namespaces_.add(decoded<api::Namespace>(
        *client_.object(nsResource(), "", ns["metadata"]["name"].get<std::string>())));
  }
  json stored() { return *client_.object(nsResource(), "", "doomed"); }
  std::vector<std::string> writes() const {
    std::vector<std::string> out;
    for (const auto& a : client_.writes()) out.push_back(a.summary() + " " + a.ns + "/" + a.name);
    return out;
  }
  // The condition as the namespace has it, or as the last status update wrote it once the
  // namespace is gone.
  std::string conditionMessage(const std::string& type) {
    json ns;
    if (auto now = client_.object(nsResource(), "", "doomed")) {
      ns = *now;
    } else {
      for (const auto& a : client_.writes()) {
        if (a.summary() == "update namespaces/status") ns = a.object;
      }
    }
    for (const auto& c : ns["status"].value("conditions", json::array())) {
      if (c["type"] == type) return c["status"].get<std::string>() + ": " + c.value("message", "");
    }
    return "";
  }

  FakeClock clock_;
  client::FakeClient client_;
  client::ObjectCache<api::Namespace> namespaces_;
  NamespaceController controller_;
};

TEST_F(NamespaceControllerTest, DeletesEveryObjectOfTheNamespaceThenRemovesItsFinalizer) {
  addNamespace(namespaceJson("doomed", true));
  addNamespace(namespaceJson("kept", false));
  client_.add(res("", "pods"), inNamespace(testing::podJson("p1", ""), "doomed"));
  client_.add(res("", "pods"), inNamespace(testing::podJson("p2", ""), "doomed"));
  client_.add(res("", "pods"), inNamespace(testing::podJson("other", ""), "kept"));
  client_.add(res("", "configmaps"), {{"metadata", {{"name", "cm"}, {"namespace", "doomed"}}}});
  client_.add(res("apps", "replicasets"), inNamespace(testing::replicaSetJson("web", 2), "doomed"));

  ASSERT_TRUE(controller_.sync("doomed").isOk());
  auto w = writes();
  std::vector<std::string> deletes;
  for (const auto& s : w) {
    if (s.rfind("delete ", 0) == 0) deletes.push_back(s);
  }
  EXPECT_EQ(deletes, (std::vector<std::string>{"delete pods doomed/p1", "delete pods doomed/p2",
                                               "delete configmaps doomed/cm",
                                               "delete replicasets doomed/web"}));
  for (const auto& a : client_.writes()) {
    if (a.verb == "delete") {
      EXPECT_EQ(a.object["propagationPolicy"], "Background");
    }
  }
  ASSERT_FALSE(w.empty());
  EXPECT_EQ(w[w.size() - 2], "update namespaces/status /doomed");  // the conditions
  EXPECT_EQ(w.back(), "update namespaces/finalize /doomed");
  EXPECT_EQ(client_.writes().back().object["spec"]["finalizers"], json::array());
  EXPECT_FALSE(client_.object(nsResource(), "", "doomed"));  // no finalizer holds it any more
  EXPECT_EQ(conditionMessage("NamespaceContentRemaining"),
            "False: All content successfully removed");
  EXPECT_TRUE(client_.object(res("", "pods"), "kept", "other"));
  EXPECT_EQ(controller_.queue().len(), 0u);
}

TEST_F(NamespaceControllerTest, DeletesTheObjectsOfNamespacedCustomResourcesToo) {
  json widgets = {
      {"apiVersion", "apiextensions.k8s.io/v1"},
      {"kind", "CustomResourceDefinition"},
      {"metadata", {{"name", "widgets.example.com"}}},
      {"spec",
       {{"group", "example.com"},
        {"scope", "Namespaced"},
        {"names", {{"plural", "widgets"}, {"kind", "Widget"}}},
        {"versions", json::array({{{"name", "v1"}, {"served", true}, {"storage", true}}})}}}};
  json clusters = widgets;
  clusters["metadata"]["name"] = "clusters.example.com";
  clusters["spec"]["scope"] = "Cluster";
  clusters["spec"]["names"] = {{"plural", "clusters"}, {"kind", "Cluster"}};
  const api::ResourceInfo& crds = res("apiextensions.k8s.io", "customresourcedefinitions");
  client_.add(crds, widgets);
  client_.add(crds, clusters);
  auto custom = namespacedCustomResources(*client_.list(crds, ""));
  ASSERT_EQ(custom.size(), 1u);  // not the cluster-scoped one
  EXPECT_EQ(custom[0].apiVersion() + " " + custom[0].plural, "example.com/v1 widgets");

  addNamespace(namespaceJson("doomed", true));
  client_.add(custom[0], {{"apiVersion", "example.com/v1"},
                          {"kind", "Widget"},
                          {"metadata", {{"name", "w"}, {"namespace", "doomed"}}}});
  ASSERT_TRUE(controller_.sync("doomed").isOk());
  std::vector<std::string> deletes;
  for (const auto& s : writes()) {
    if (s.rfind("delete ", 0) == 0) deletes.push_back(s);
  }
  EXPECT_EQ(deletes, (std::vector<std::string>{"delete widgets doomed/w"}));
  EXPECT_FALSE(client_.object(nsResource(), "", "doomed"));
}

TEST_F(NamespaceControllerTest, GracefulPodsKeepTheNamespaceAndRequeueAfterHalfTheirGracePeriod) {
  addNamespace(namespaceJson("doomed", true));
  json pod = inNamespace(testing::podJson("slow", "", "node-1", "Running"), "doomed");
  pod["spec"]["terminationGracePeriodSeconds"] = 30;
  pod["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:30Z";  // its kubelet is on it
  client_.add(res("", "pods"), pod);

  ASSERT_TRUE(controller_.sync("doomed").isOk());
  for (const auto& s : writes()) EXPECT_NE(s, "update namespaces/finalize /doomed");
  EXPECT_EQ(stored()["spec"]["finalizers"], json::array({"kubernetes"}));
  EXPECT_EQ(conditionMessage("NamespaceContentRemaining"),
            "True: Some resources are remaining: pods. has 1 resource instances");
  // 30 / 2 + 1 = 16 s.
  clock_.advance(15s);
  EXPECT_FALSE(controller_.queue().tryGet());
  clock_.advance(1s);
  auto key = controller_.queue().tryGet();
  ASSERT_TRUE(key);
  EXPECT_EQ(*key, "doomed");
  controller_.queue().done(*key);

  // The kubelet finished: the next pass releases the namespace.
  ASSERT_TRUE(client_.remove(res("", "pods"), "doomed", "slow").isOk());
  client_.clearActions();
  ASSERT_TRUE(controller_.sync("doomed").isOk());
  EXPECT_EQ(writes().back(), "update namespaces/finalize /doomed");
  EXPECT_EQ(conditionMessage("NamespaceContentRemaining"),
            "False: All content successfully removed");
}

TEST_F(NamespaceControllerTest, ObjectsHeldByFinalizersAreReportedAndWaitedFor) {
  addNamespace(namespaceJson("doomed", true));
  client_.add(
      res("", "configmaps"),
      {{"metadata",
        {{"name", "held"}, {"namespace", "doomed"}, {"finalizers", {"example.com/hold"}}}}});
  ASSERT_TRUE(controller_.sync("doomed").isOk());
  EXPECT_EQ(conditionMessage("NamespaceFinalizersRemaining"),
            "True: Some content in the namespace has finalizers remaining: example.com/hold in 1 "
            "resource instances");
  EXPECT_EQ(conditionMessage("NamespaceContentRemaining"),
            "True: Some resources are remaining: configmaps. has 1 resource instances");
  EXPECT_EQ(stored()["spec"]["finalizers"], json::array({"kubernetes"}));
  clock_.advance(7s);  // 15 / 2 + 1 = 8 s
  EXPECT_FALSE(controller_.queue().tryGet());
  clock_.advance(1s);
  EXPECT_TRUE(controller_.queue().tryGet());
}

TEST_F(NamespaceControllerTest, AFailedDeleteIsAConditionAndAnErrorForTheRateLimitedRetry) {
  addNamespace(namespaceJson("doomed", true));
  client_.add(res("", "configmaps"), {{"metadata", {{"name", "cm"}, {"namespace", "doomed"}}}});
  client_.failNext("delete", "configmaps",
                   Status(Code::kForbidden, "configmaps \"cm\" is forbidden"));
  Status s = controller_.sync("doomed");
  EXPECT_FALSE(s.isOk());
  EXPECT_EQ(
      conditionMessage("NamespaceDeletionContentFailure"),
      "True: Failed to delete all resource types, 1 remaining: configmaps \"cm\" is forbidden");
  EXPECT_EQ(stored()["spec"]["finalizers"], json::array({"kubernetes"}));
  // The retry succeeds and clears the condition.
  ASSERT_TRUE(controller_.sync("doomed").isOk());
  EXPECT_EQ(conditionMessage("NamespaceDeletionContentFailure"),
            "False: All content successfully deleted, may be waiting on finalization");
  EXPECT_FALSE(client_.object(nsResource(), "", "doomed"));
}

TEST_F(NamespaceControllerTest, ANamespaceNotBeingDeletedOrAlreadyFinalizedIsLeftAlone) {
  addNamespace(namespaceJson("live", false));
  client_.add(res("", "configmaps"), {{"metadata", {{"name", "cm"}, {"namespace", "live"}}}});
  ASSERT_TRUE(controller_.sync("live").isOk());
  json finalized = namespaceJson("doomed", true);
  finalized["spec"]["finalizers"] = json::array();
  finalized["metadata"]["finalizers"] = {"orphan"};  // held by the garbage collector
  addNamespace(finalized);
  client_.add(res("", "configmaps"), {{"metadata", {{"name", "cm"}, {"namespace", "doomed"}}}});
  ASSERT_TRUE(controller_.sync("doomed").isOk());
  ASSERT_TRUE(controller_.sync("gone").isOk());
  EXPECT_TRUE(writes().empty());
}

TEST_F(NamespaceControllerTest, AFinalizeThatLosesARaceIsRetriedOnTheFreshCopy) {
  addNamespace(namespaceJson("doomed", true));
  client_.failNext("update", "namespaces", Status(Code::kConflict, "the object has been modified"),
                   2);  // the conditions update and the first finalize
  ASSERT_TRUE(controller_.sync("doomed").isOk());
  EXPECT_FALSE(client_.object(nsResource(), "", "doomed"));
}

TEST_F(NamespaceControllerTest, EventsQueueOnlyNamespacesBeingDeletedAfterTheGracePeriod) {
  controller_.onNamespace(std::make_shared<const api::Namespace>(
      decoded<api::Namespace>(namespaceJson("live", false))));
  controller_.onNamespace(std::make_shared<const api::Namespace>(
      decoded<api::Namespace>(namespaceJson("doomed", true))));
  EXPECT_FALSE(controller_.queue().tryGet());
  clock_.advance(5s);
  auto key = controller_.queue().tryGet();
  ASSERT_TRUE(key);
  EXPECT_EQ(*key, "doomed");
  EXPECT_FALSE(controller_.queue().tryGet());
}

}  // namespace namespace_test
}  // namespace minik8s::controller
