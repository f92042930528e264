#include "cli/update.h"

#include <algorithm>

#include "cli/json_fields.h"
#include "cli/kinds.h"

namespace minik8s::cli {

using nlohmann::json;

namespace {

bool isPod(const api::ResourceInfo& r) {
  return r.group.empty() && r.kind == "Pod";
}

}  // namespace

json objectForUpdate(const api::ResourceInfo& resource, const json& manifest, const json& current) {
  json object = manifest;
  if (!object.is_object()) return object;
  if (!object.contains("metadata") || !object["metadata"].is_object()) {
    object["metadata"] = json::object();
  }
  if (stringAt(object, "metadata", "resourceVersion").empty()) {
    object["metadata"]["resourceVersion"] = stringAt(current, "metadata", "resourceVersion");
  }
  const json& current_spec = field(current, "spec");
  if (!current_spec.is_object()) return object;
  if (!object.contains("spec") || !object["spec"].is_object()) return object;
  json& spec = object["spec"];
  if (resource.group.empty() && resource.kind == "Service") {
    for (const char* allocated : {"clusterIP", "clusterIPs"}) {
      if (!spec.contains(allocated) && current_spec.contains(allocated)) {
        spec[allocated] = current_spec[allocated];
      }
    }
  }
  if (isPod(resource) && stringAt(object, "spec", "nodeName").empty() &&
      !stringAt(current, "spec", "nodeName").empty()) {
    spec["nodeName"] = current_spec["nodeName"];
  }
  // The apiserver added tolerations at create (DefaultTolerationSeconds), and a pod's
  // tolerations may grow but never shrink: keep those the manifest does not list.
  if (isPod(resource) && current_spec.contains("tolerations") && current_spec["tolerations"].is_array()) {
    json tolerations = spec.contains("tolerations") && spec["tolerations"].is_array()
                           ? spec["tolerations"]
                           : json::array();
    for (const auto& t : current_spec["tolerations"]) {
      if (std::find(tolerations.begin(), tolerations.end(), t) == tolerations.end()) {
        tolerations.push_back(t);
      }
    }
    spec["tolerations"] = std::move(tolerations);
  }
  return object;
}

bool changesNodeName(const json& object, const json& current) {
  std::string wanted = stringAt(object, "spec", "nodeName");
  return !wanted.empty() && wanted != stringAt(current, "spec", "nodeName");
}

bool isForbiddenPodUpdate(const Status& status) {
  if (status.code() != Code::kInvalid || status.causes().empty()) return false;
  for (const auto& cause : status.causes()) {
    bool forbidden = cause.field == "spec" && cause.reason == "FieldValueForbidden" &&
                     cause.message.find("pod updates may not change fields") != std::string::npos;
    if (!forbidden) return false;
  }
  return true;
}

std::chrono::milliseconds replaceTimeout(const json& pod) {
  int64_t grace = 30;
  const json& deleting = field(field(pod, "metadata"), "deletionGracePeriodSeconds");
  const json& spec_grace = field(field(pod, "spec"), "terminationGracePeriodSeconds");
  if (deleting.is_number_integer()) {
    grace = deleting.get<int64_t>();
  } else if (spec_grace.is_number_integer()) {
    grace = spec_grace.get<int64_t>();
  }
  return std::chrono::seconds(std::max<int64_t>(grace, 0) + 30);
}

Status waitUntilGone(const std::function<Result<bool>()>& present, const std::string& what,
                     std::chrono::milliseconds timeout, const WaitSeams& seams,
                     std::chrono::milliseconds interval) {
  const Clock::Instant deadline = seams.clock.monotonic() + timeout;
  while (true) {
    ASSIGN_OR_RETURN(bool there, present());
    if (!there) return Status::ok();
    if (seams.clock.monotonic() >= deadline) {
      return deadlineExceeded("error: timed out waiting for " + what + " to be deleted");
    }
    seams.sleep(interval);
  }
}

std::string replacedMessage(const api::ResourceInfo& resource, const std::string& name) {
  return kindPrefix(resource) + "/" + name + " replaced (its spec cannot change in place)";
}

}  // namespace minik8s::cli
