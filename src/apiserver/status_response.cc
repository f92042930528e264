#include "apiserver/status_response.h"

#include <nlohmann/json.hpp>

namespace minik8s::apiserver {

std::string statusJson(const Status& status, const StatusDetails& details) {
  nlohmann::json out = {{"kind", "Status"}, {"apiVersion", "v1"}, {"metadata", nlohmann::json::object()}};
  if (status.isOk()) {
    out["status"] = "Success";
    out["code"] = 200;
    return out.dump();
  }
  out["status"] = "Failure";
  out["message"] = status.message();
  out["reason"] = std::string(codeName(status.code()));
  nlohmann::json d = nlohmann::json::object();
  if (!details.name.empty()) d["name"] = details.name;
  if (!details.group.empty()) d["group"] = details.group;
  if (!details.kind.empty()) d["kind"] = details.kind;
  if (!status.causes().empty()) {
    nlohmann::json causes = nlohmann::json::array();
    for (const auto& c : status.causes()) {
      causes.push_back({{"reason", c.reason}, {"message", c.message}, {"field", c.field}});
    }
    d["causes"] = std::move(causes);
  }
  if (details.retry_after_seconds > 0) d["retryAfterSeconds"] = details.retry_after_seconds;
  if (!d.empty()) out["details"] = std::move(d);
  out["code"] = httpStatusOf(status.code());
  return out.dump();
}

HttpResponse statusResponse(const Status& status, const StatusDetails& details) {
  HttpResponse r;
  r.status = httpStatusOf(status.code());
  r.headers.emplace_back("Content-Type", "application/json");
  if (!status.isOk() && details.retry_after_seconds > 0) {
    r.headers.emplace_back("Retry-After", std::to_string(details.retry_after_seconds));
  }
  r.body = statusJson(status, details);
  return r;
}

HandlerResult statusResult(const Status& status, const StatusDetails& details) {
  HandlerResult r;
  r.response = statusResponse(status, details);
  return r;
}

}  // namespace minik8s::apiserver
