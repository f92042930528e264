// Conversion of a Status into the Kubernetes `Status` object clients parse
// (kubectl-protocol.md §6). The one place where Status meets HTTP.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>

#include "apiserver/http_server.h"
#include "common/status.h"

namespace minik8s::apiserver {

struct StatusDetails {
  std::string name;   // object name, when the error is about one object
  std::string group;  // "apps"
  std::string kind;   // "pods" for NotFound/AlreadyExists/Conflict, "Pod" for Invalid
  // details.retryAfterSeconds and the Retry-After header, when > 0 (a 429 that suggests
  // when to come back).
  int retry_after_seconds = 0;
};

// {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":...,
//  "reason":...,"details":{...,"causes":[...]},"code":N}
std::string statusJson(const Status& status, const StatusDetails& details = {});
HttpResponse statusResponse(const Status& status, const StatusDetails& details = {});
// A handler's answer that is only that Status.
HandlerResult statusResult(const Status& status, const StatusDetails& details = {});

}  // namespace minik8s::apiserver
