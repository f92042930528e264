#include "apiserver/eviction.h"

#include "api/selector.h"

namespace minik8s::apiserver {

using nlohmann::json;

namespace {

constexpr char kEvictionRefused[] = "Cannot evict pod as it would violate the pod's disruption budget.";
constexpr char kBeingProcessed[] = " is still being processed by the server.";
// Kubernetes' suggestion for a budget still being processed (createTooManyRequestsError).
constexpr int kBeingProcessedRetrySeconds = 10;
// Kubernetes' MaxDisruptedPodSize: evictions the disruption controller has not caught up with.
constexpr size_t kMaxDisruptedPods = 2000;

const json& fieldOr(const json& object, const char* key) {
  static const json kEmpty = json::object();
  if (!object.is_object()) return kEmpty;
  auto it = object.find(key);
  return it != object.end() && it->is_object() ? *it : kEmpty;
}

int64_t intOf(const json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
}

bool evictedPodIsReady(const json& pod) {
  const json& status = fieldOr(pod, "status");
  auto conditions = status.find("conditions");
  if (conditions == status.end() || !conditions->is_array()) return false;
  for (const auto& c : *conditions) {
    if (c.is_object() && c.value("type", "") == "Ready") return c.value("status", "") == "True";
  }
  return false;
}

// Kubernetes' canIgnorePDB: a finished, pending or already deleted pod needs no budget.
bool evictionIgnoresBudget(const json& pod) {
  std::string phase = fieldOr(pod, "status").value("phase", "");
  return phase == "Succeeded" || phase == "Failed" || phase == "Pending" ||
         fieldOr(pod, "metadata").contains("deletionTimestamp");
}

Status budgetRefused(const std::string& message) {
  return Status(Code::kTooManyRequests, kEvictionRefused,
                {FieldError{.field = "", .reason = "DisruptionBudget", .message = message}});
}

void setDisruptionAllowed(json& status, Clock::WallTime now) {
  const bool allowed = intOf(status, "disruptionsAllowed") > 0;
  json& conditions = status["conditions"];
  if (!conditions.is_array()) conditions = json::array();
  json* found = nullptr;
  for (auto& c : conditions) {
    if (c.is_object() && c.value("type", "") == "DisruptionAllowed") found = &c;
  }
  if (!found) {
    conditions.push_back({{"type", "DisruptionAllowed"}});
    found = &conditions.back();
  }
  std::string want = allowed ? "True" : "False";
  if (found->value("status", "") != want) {
    (*found)["lastTransitionTime"] = formatRfc3339(now);
  }
  (*found)["status"] = want;
  (*found)["reason"] = allowed ? "SufficientPods" : "InsufficientPods";
  (*found)["observedGeneration"] = intOf(status, "observedGeneration");
  if (!found->contains("message")) (*found)["message"] = "";
}

}  // namespace

Result<json> evictionDeleteOptions(const json& eviction, const std::string& ns,
                                   const std::string& name, bool query_dry_run) {
  std::string api_version = eviction.value("apiVersion", "");
  if (!api_version.empty() && api_version != "policy/v1" && api_version != "policy/v1beta1") {
    return badRequest("an eviction must be a policy/v1 Eviction, not " + api_version);
  }
  if (eviction.value("kind", "Eviction") != "Eviction") {
    return badRequest("the body of the request must be an Eviction, not " +
                      eviction.value("kind", ""));
  }
  const json& meta = fieldOr(eviction, "metadata");
  if (meta.value("name", "") != name) {
    return badRequest("name in URL does not match name in Eviction object");
  }
  if (std::string body_ns = meta.value("namespace", ""); !body_ns.empty() && body_ns != ns) {
    return badRequest("namespace in URL does not match namespace in Eviction object");
  }
  json options = fieldOr(eviction, "deleteOptions");
  options.erase("kind");
  options.erase("apiVersion");
  const json body_dry_run = options.value("dryRun", json::array());
  if (!body_dry_run.is_array() ||
      !(body_dry_run.empty() || body_dry_run == json::array({"All"}))) {
    return badRequest("deleteOptions.dryRun: Unsupported value: " + body_dry_run.dump() +
                      ": supported values: \"All\"");
  }
  // Both can only say "All" by now, so the query and the body always agree.
  if (query_dry_run) options["dryRun"] = json::array({"All"});
  return options;
}

bool isDryRun(const json& delete_options) {
  auto it = delete_options.find("dryRun");
  return it != delete_options.end() && it->is_array() && !it->empty();
}

bool isBudgetBeingProcessed(const Status& refusal) {
  if (refusal.code() != Code::kTooManyRequests) return false;
  for (const auto& cause : refusal.causes()) {
    if (cause.reason == "DisruptionBudget" && cause.message.ends_with(kBeingProcessed)) return true;
  }
  return false;
}

Result<json> spendDisruption(json pdb, const std::string& pod_name, Clock::WallTime now) {
  const std::string pdb_name = fieldOr(pdb, "metadata").value("name", "");
  json& status = pdb["status"];
  if (!status.is_object()) status = json::object();
  if (intOf(status, "observedGeneration") < intOf(fieldOr(pdb, "metadata"), "generation")) {
    return budgetRefused("The disruption budget " + pdb_name + kBeingProcessed);
  }
  const int64_t allowed = intOf(status, "disruptionsAllowed");
  if (allowed < 0) {
    return Status(Code::kForbidden, "poddisruptionbudgets.policy \"" + pdb_name +
                                        "\" is forbidden: pdb disruptions allowed is negative");
  }
  if (fieldOr(status, "disruptedPods").size() > kMaxDisruptedPods) {
    return Status(Code::kForbidden,
                  "poddisruptionbudgets.policy \"" + pdb_name +
                      "\" is forbidden: DisruptedPods map too big - too many evictions not "
                      "confirmed by PDB controller");
  }
  if (allowed == 0) {
    return budgetRefused("The disruption budget " + pdb_name + " needs " +
                         std::to_string(intOf(status, "desiredHealthy")) +
                         " healthy pods and has " +
                         std::to_string(intOf(status, "currentHealthy")) + " currently");
  }
  status["disruptionsAllowed"] = allowed - 1;
  if (allowed - 1 == 0) setDisruptionAllowed(status, now);
  if (!status.contains("disruptedPods") || !status["disruptedPods"].is_object()) {
    status["disruptedPods"] = json::object();
  }
  // The disruption controller leaves this pod out of currentHealthy until it is gone (or
  // for 2 minutes).
  status["disruptedPods"][pod_name] = formatRfc3339(now);
  return pdb;
}

EvictionOutcome evictPod(const EvictionStore& store, const std::string& ns,
                         const std::string& name, const json& delete_options,
                         Clock::WallTime now) {
  auto refused = [](Status status) {
    return EvictionOutcome{.status = status,
                           .retry_after_seconds =
                               isBudgetBeingProcessed(status) ? kBeingProcessedRetrySeconds : 0};
  };
  auto pod = store.get_pod(ns, name);
  if (!pod.isOk()) return refused(pod.status());
  auto deletePod = [&]() {
    return EvictionOutcome{.status = store.delete_pod(ns, name, delete_options).status()};
  };
  if (evictionIgnoresBudget(*pod)) return deletePod();

  auto pdbs = store.list_pdbs(ns);
  if (!pdbs.isOk()) return refused(pdbs.status());
  std::vector<const json*> covering;
  for (const auto& pdb : *pdbs) {
    auto selector = api::LabelSelector::fromJson(fieldOr(pdb, "spec").value("selector", json()));
    if (selector.isOk() && selector->matchesObject(*pod)) covering.push_back(&pdb);
  }
  if (covering.empty()) return deletePod();
  if (covering.size() > 1) {
    return refused(Status(Code::kInternal,
                          "This pod has more than one PodDisruptionBudget, which the eviction "
                          "subresource does not support."));
  }
  const json& pdb = *covering[0];
  const std::string pdb_name = fieldOr(pdb, "metadata").value("name", "");
  if (!evictedPodIsReady(*pod)) {
    const json& spec = fieldOr(pdb, "spec");
    const json& status = fieldOr(pdb, "status");
    if (spec.value("unhealthyPodEvictionPolicy", "") == "AlwaysAllow") return deletePod();
    // IfHealthyBudget: an unready pod goes without spending the budget while it is healthy.
    const int64_t desired = intOf(status, "desiredHealthy");
    if (desired > 0 && intOf(status, "currentHealthy") >= desired) return deletePod();
  }
  // A dry run checks the budget it listed and spends nothing (Kubernetes stops its
  // checkAndDecrement before the status write).
  auto spent = isDryRun(delete_options)
                   ? spendDisruption(pdb, name, now)
                   : store.update_pdb_status(ns, pdb_name, [&](const json& current) {
                       return spendDisruption(current, name, now);
                     });
  if (!spent.isOk()) return refused(spent.status());
  return deletePod();
}

json evictionSuccess() {
  return {{"kind", "Status"},
          {"apiVersion", "v1"},
          {"metadata", json::object()},
          {"status", "Success"},
          {"code", 201}};
}

}  // namespace minik8s::apiserver
