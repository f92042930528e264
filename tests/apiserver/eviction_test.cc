// pods/eviction's decisions over an in-memory EvictionStore.
#include "apiserver/eviction.h"

#include <gtest/gtest.h>

#include <map>

namespace minik8s::apiserver {
namespace eviction_test {

using nlohmann::json;

json pod(const std::string& name, const std::string& phase = "Running", bool ready = true) {
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata", {{"name", name}, {"namespace", "default"}, {"labels", {{"app", "web"}}}}},
          {"status",
           {{"phase", phase},
            {"conditions", {{{"type", "Ready"}, {"status", ready ? "True" : "False"}}}}}}};
}

json pdb(const std::string& name, int allowed, int current = 2, int desired = 2) {
  return {{"apiVersion", "policy/v1"},
          {"kind", "PodDisruptionBudget"},
          {"metadata", {{"name", name}, {"namespace", "default"}, {"generation", 1}}},
          {"spec", {{"minAvailable", desired}, {"selector", {{"matchLabels", {{"app", "web"}}}}}}},
          {"status",
           {{"observedGeneration", 1},
            {"disruptionsAllowed", allowed},
            {"currentHealthy", current},
            {"desiredHealthy", desired},
            {"expectedPods", current}}}};
}

// Pods and PDBs in maps; update_pdb_status retries on a (simulated) conflict as the
// RestHandler's guaranteedUpdate does.
class EvictionTest : public ::testing::Test {
 protected:
  EvictionTest() {
    store_.get_pod = [this](const std::string&, const std::string& name) -> Result<json> {
      auto it = pods_.find(name);
      if (it == pods_.end()) return notFound("pods \"" + name + "\" not found");
      return it->second;
    };
    store_.list_pdbs = [this](const std::string&) -> Result<std::vector<json>> {
      std::vector<json> out;
      for (const auto& [_, p] : pdbs_) out.push_back(p);
      return out;
    };
    store_.update_pdb_status = [this](const std::string&, const std::string& name,
                                      const std::function<Result<json>(const json&)>& mutate)
        -> Result<json> {
      for (int attempt = 0; attempt < 8; ++attempt) {
        json current = pdbs_.at(name);
        ASSIGN_OR_RETURN(json desired, mutate(current));
        if (before_write_) std::exchange(before_write_, nullptr)();  // a racing writer
        if (pdbs_.at(name) != current) continue;                        // conflict: retry
        pdbs_[name] = desired;
        ++pdb_writes_;
        return desired;
      }
      return conflict("too many conflicts");
    };
    store_.delete_pod = [this](const std::string&, const std::string& name,
                               const json& options) -> Result<json> {
      deleted_.push_back(name);
      last_options_ = options;
      pods_.erase(name);
      return json::object();
    };
  }
  Status evict(const std::string& name, const json& options = json::object()) {
    return evictPod(store_, "default", name, options, Clock::real().now()).status;
  }
  int retryAfterOf(const std::string& name) {
    return evictPod(store_, "default", name, json::object(), Clock::real().now())
        .retry_after_seconds;
  }

  std::map<std::string, json> pods_, pdbs_;
  std::vector<std::string> deleted_;
  json last_options_;
  int pdb_writes_ = 0;
  std::function<void()> before_write_;
  EvictionStore store_;
};

TEST_F(EvictionTest, APodWithoutABudgetIsDeletedWithTheEvictionsDeleteOptions) {
  pods_["p1"] = pod("p1");
  ASSERT_TRUE(evict("p1", {{"gracePeriodSeconds", 0}}).isOk());
  EXPECT_EQ(deleted_, std::vector<std::string>{"p1"});
  EXPECT_EQ(last_options_["gracePeriodSeconds"], 0);
}

TEST_F(EvictionTest, AMissingPodIsNotFound) {
  EXPECT_EQ(evict("nope").code(), Code::kNotFound);
}

TEST_F(EvictionTest, ABudgetWithADisruptionLeftIsSpentAndRecordsThePod) {
  pods_["p1"] = pod("p1");
  pdbs_["web"] = pdb("web", 1);
  ASSERT_TRUE(evict("p1").isOk());
  EXPECT_EQ(deleted_, std::vector<std::string>{"p1"});
  const json& status = pdbs_["web"]["status"];
  EXPECT_EQ(status["disruptionsAllowed"], 0);
  EXPECT_TRUE(status["disruptedPods"].contains("p1"));
  EXPECT_EQ(status["conditions"][0]["type"], "DisruptionAllowed");
  EXPECT_EQ(status["conditions"][0]["status"], "False");
  EXPECT_EQ(status["conditions"][0]["reason"], "InsufficientPods");
}

TEST_F(EvictionTest, AnExhaustedBudgetRefusesWith429AndADisruptionBudgetCause) {
  pods_["p1"] = pod("p1");
  pdbs_["web"] = pdb("web", 0, 2, 2);
  Status s = evict("p1");
  EXPECT_EQ(s.code(), Code::kTooManyRequests);
  EXPECT_EQ(s.message(), "Cannot evict pod as it would violate the pod's disruption budget.");
  ASSERT_EQ(s.causes().size(), 1u);
  EXPECT_EQ(s.causes()[0].reason, "DisruptionBudget");
  EXPECT_EQ(s.causes()[0].message, "The disruption budget web needs 2 healthy pods and has 2 currently");
  EXPECT_TRUE(deleted_.empty());
  EXPECT_EQ(retryAfterOf("p1"), 0);  // Kubernetes suggests no delay for an empty budget
}

TEST_F(EvictionTest, TwoEvictionsCannotBothSpendABudgetOfOne) {
  pods_["p1"] = pod("p1");
  pods_["p2"] = pod("p2");
  pdbs_["web"] = pdb("web", 1);
  // p2's eviction writes between p1's read and p1's write: p1's write conflicts, p1 re-reads
  // and finds nothing left.
  before_write_ = [this] { ASSERT_TRUE(evict("p2").isOk()); };
  Status s = evict("p1");
  EXPECT_EQ(s.code(), Code::kTooManyRequests);
  EXPECT_EQ(deleted_, std::vector<std::string>{"p2"});
  EXPECT_EQ(pdb_writes_, 1);
}

TEST_F(EvictionTest, ABudgetNotYetObservedIsRefused) {
  pods_["p1"] = pod("p1");
  pdbs_["web"] = pdb("web", 1);
  pdbs_["web"]["metadata"]["generation"] = 2;
  Status s = evict("p1");
  EXPECT_EQ(s.code(), Code::kTooManyRequests);
  EXPECT_EQ(s.causes().at(0).message, "The disruption budget web is still being processed by the server.");
  EXPECT_TRUE(isBudgetBeingProcessed(s));
  EXPECT_EQ(retryAfterOf("p1"), 10);  // come back once the controller has caught up
}

TEST_F(EvictionTest, ADryRunChecksTheBudgetAndWritesNothing) {
  pods_["p1"] = pod("p1");
  pdbs_["web"] = pdb("web", 1);
  const json dry = {{"dryRun", {"All"}}};
  EXPECT_TRUE(evict("p1", dry).isOk());
  EXPECT_EQ(pdb_writes_, 0);                        // the budget is not spent
  EXPECT_EQ(pdbs_["web"]["status"]["disruptionsAllowed"], 1);
  EXPECT_EQ(deleted_, std::vector<std::string>{"p1"});  // the store's delete gets the dry run
  EXPECT_EQ(last_options_, dry);
  pods_["p1"] = pod("p1");  // the fake store's delete removed it
  pdbs_["web"] = pdb("web", 0);
  deleted_.clear();
  EXPECT_EQ(evict("p1", dry).code(), Code::kTooManyRequests);  // still refused when empty
  EXPECT_TRUE(deleted_.empty());
}

TEST_F(EvictionTest, TwoBudgetsForOnePodAreAnInternalError) {
  pods_["p1"] = pod("p1");
  pdbs_["a"] = pdb("a", 1);
  pdbs_["b"] = pdb("b", 1);
  Status s = evict("p1");
  EXPECT_EQ(s.code(), Code::kInternal);
  EXPECT_EQ(s.message(), "This pod has more than one PodDisruptionBudget, which the eviction "
                         "subresource does not support.");
}

TEST_F(EvictionTest, PendingFinishedAndDeletingPodsIgnoreTheBudget) {
  pods_["pending"] = pod("pending", "Pending", false);
  pods_["done"] = pod("done", "Succeeded", false);
  pods_["going"] = pod("going");
  pods_["going"]["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z";
  pdbs_["web"] = pdb("web", 0);
  for (const char* name : {"pending", "done", "going"}) EXPECT_TRUE(evict(name).isOk()) << name;
  EXPECT_EQ(deleted_.size(), 3u);
  EXPECT_EQ(pdb_writes_, 0);
}

TEST_F(EvictionTest, AnUnreadyPodGoesFreeOnlyWhileTheBudgetIsHealthy) {
  pods_["sick"] = pod("sick", "Running", false);
  pdbs_["web"] = pdb("web", 0, 2, 2);  // healthy budget (2 of 2), nothing to spend
  ASSERT_TRUE(evict("sick").isOk());
  EXPECT_EQ(pdb_writes_, 0);

  pods_["sick"] = pod("sick", "Running", false);
  pdbs_["web"] = pdb("web", 0, 1, 2);  // unhealthy budget: IfHealthyBudget refuses
  EXPECT_EQ(evict("sick").code(), Code::kTooManyRequests);
  pdbs_["web"]["spec"]["unhealthyPodEvictionPolicy"] = "AlwaysAllow";
  EXPECT_TRUE(evict("sick").isOk());
}

TEST(EvictionDeleteOptions, TheBodyMustNameThePodOfTheUrl) {
  json body = {{"kind", "Eviction"},
               {"apiVersion", "policy/v1beta1"},
               {"metadata", {{"name", "p1"}, {"namespace", "default"}}},
               {"deleteOptions", {{"kind", "DeleteOptions"}, {"gracePeriodSeconds", 5}}}};
  auto options = evictionDeleteOptions(body, "default", "p1");
  ASSERT_TRUE(options.isOk());
  EXPECT_EQ(*options, (json{{"gracePeriodSeconds", 5}}));
  EXPECT_EQ(evictionDeleteOptions(body, "default", "p2").status().message(),
            "name in URL does not match name in Eviction object");
  body["apiVersion"] = "v1";
  EXPECT_EQ(evictionDeleteOptions(body, "default", "p1").status().code(), Code::kBadRequest);
  EXPECT_FALSE(isDryRun(*options));
  EXPECT_EQ(evictionSuccess().dump(),
            R"({"apiVersion":"v1","code":201,"kind":"Status","metadata":{},"status":"Success"})");
}

TEST(EvictionDeleteOptions, ADryRunComesFromTheQueryOrTheBodyAndTheyMustAgree) {
  json body = {{"kind", "Eviction"},
               {"apiVersion", "policy/v1"},
               {"metadata", {{"name", "p1"}}}};
  auto from_query = evictionDeleteOptions(body, "default", "p1", /*query_dry_run=*/true);
  ASSERT_TRUE(from_query.isOk());
  EXPECT_TRUE(isDryRun(*from_query));
  body["deleteOptions"] = {{"dryRun", {"All"}}};
  auto from_body = evictionDeleteOptions(body, "default", "p1");
  ASSERT_TRUE(from_body.isOk());
  EXPECT_TRUE(isDryRun(*from_body));
  EXPECT_TRUE(evictionDeleteOptions(body, "default", "p1", true).isOk());  // both say All
  body["deleteOptions"]["dryRun"] = {"Some"};
  EXPECT_EQ(evictionDeleteOptions(body, "default", "p1").status().code(), Code::kBadRequest);
  body["deleteOptions"]["dryRun"] = "All";  // not a list
  EXPECT_EQ(evictionDeleteOptions(body, "default", "p1").status().code(), Code::kBadRequest);
}

}  // namespace eviction_test
}  // namespace minik8s::apiserver
