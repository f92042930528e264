#include "apiserver/csr_strategy.h"

#include "api/types_certificates.h"

namespace minik8s::apiserver {
namespace {

using nlohmann::json;

bool isApproval(const json& condition) {
  if (!condition.is_object()) return false;
  std::string type = condition.value("type", "");
  return type == api::kCsrApproved || type == api::kCsrDenied;
}

json conditionsOf(const json& object) {
  auto status = object.find("status");
  if (status == object.end() || !status->is_object()) return json::array();
  auto conditions = status->find("conditions");
  if (conditions == status->end() || !conditions->is_array()) return json::array();
  return *conditions;
}

json& statusOf(json& object) {
  json& status = object["status"];
  if (!status.is_object()) status = json::object();
  return status;
}

// populateConditionTimestamps.
void stampConditions(json& desired, const json& current, Clock::WallTime now) {
  auto status = desired.find("status");
  if (status == desired.end() || !status->is_object()) return;
  auto conditions = status->find("conditions");
  if (conditions == status->end() || !conditions->is_array()) return;
  const json old = conditionsOf(current);
  const std::string stamp = formatRfc3339(now);
  for (json& c : *conditions) {
    if (!c.is_object()) continue;
    auto empty = [&](const char* key) {
      auto it = c.find(key);
      return it == c.end() || it->is_null() || (it->is_string() && it->get<std::string>().empty());
    };
    if (empty("lastUpdateTime")) c["lastUpdateTime"] = stamp;
    if (!empty("lastTransitionTime")) continue;
    std::string status_value = c.value("status", "");
    if (status_value.empty()) status_value = "True";  // the default normalize applies later
    c["lastTransitionTime"] = stamp;
    for (const json& o : old) {
      if (!o.is_object() || o.value("type", "") != c.value("type", "")) continue;
      std::string old_status = o.value("status", "True");
      std::string old_transition = o.value("lastTransitionTime", "");
      if (old_status == status_value && !old_transition.empty()) {
        c["lastTransitionTime"] = old_transition;
      }
      break;
    }
  }
}

}  // namespace

bool isCertificateSigningRequest(const std::string& group, const std::string& plural) {
  return group == api::kCertificatesGroup && plural == "certificatesigningrequests";
}

void prepareCsrForCreate(json& object, const UserInfo* user) {
  object.erase("status");  // users cannot create pre-approved requests
  if (user == nullptr) return;
  json& spec = object["spec"];
  if (!spec.is_object()) spec = json::object();
  spec["username"] = user->name;
  if (user->uid.empty()) {
    spec.erase("uid");
  } else {
    spec["uid"] = user->uid;
  }
  spec["groups"] = user->groups;
  spec.erase("extra");  // UserInfo carries no extra attributes
}

void prepareCsrForUpdate(json& desired, const json& current, const std::string& subresource,
                         Clock::WallTime now) {
  if (current.contains("spec")) {
    desired["spec"] = current["spec"];
  } else {
    desired.erase("spec");
  }
  if (subresource.empty()) {
    if (current.contains("status")) {
      desired["status"] = current["status"];
    } else {
      desired.erase("status");
    }
    return;
  }
  const json old_conditions = conditionsOf(current);
  const json asked = conditionsOf(desired);
  json conditions = json::array();
  if (subresource == "approval") {
    // The asked Approved/Denied conditions, then the stored others; the certificate stays.
    for (const json& c : asked) {
      if (isApproval(c)) conditions.push_back(c);
    }
    for (const json& c : old_conditions) {
      if (!isApproval(c)) conditions.push_back(c);
    }
    json status = current.value("status", json::object());
    if (!status.is_object()) status = json::object();
    status["conditions"] = conditions;
    desired["status"] = std::move(status);
  } else {
    // /status: the stored Approved/Denied conditions, then the asked others.
    for (const json& c : old_conditions) {
      if (isApproval(c)) conditions.push_back(c);
    }
    for (const json& c : asked) {
      if (!isApproval(c)) conditions.push_back(c);
    }
    statusOf(desired)["conditions"] = conditions;
  }
  if (statusOf(desired)["conditions"].empty()) desired["status"].erase("conditions");
  stampConditions(desired, current, now);
}

}  // namespace minik8s::apiserver
