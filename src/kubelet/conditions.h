// Conditions the kubelet reports (pod and node): one builder, so that lastTransitionTime
// moves only when the status of a condition changes.
#pragma once

#include <string>
#include <vector>

#include "api/types_meta.h"

namespace minik8s::kubelet {

// A condition of `type` with status True/False; its lastTransitionTime is the one in
// `previous` when that had the same status, else `now`.
inline api::Condition makeCondition(const std::vector<api::Condition>& previous,
                                    const std::string& type, bool value,
                                    const std::string& reason, const std::string& message,
                                    const std::string& now) {
  api::Condition c;
  c.type = type;
  c.status = value ? "True" : "False";
  c.reason = reason;
  c.message = message;
  c.last_transition_time = now;
  for (const auto& p : previous) {
    if (p.type == type && p.status == c.status && !p.last_transition_time.empty()) {
      c.last_transition_time = p.last_transition_time;
    }
  }
  return c;
}

}  // namespace minik8s::kubelet
