// Node selection of a pod (pure): spec.nodeSelector and the required node affinity's
// nodeSelectorTerms (matchExpressions In/NotIn/Exists/DoesNotExist/Gt/Lt on labels,
// matchFields on metadata.name). Shared by the scheduler and the DaemonSet controller.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include "api/types_core.h"

namespace minik8s::api {

// One nodeSelectorTerm (JSON as in the API) against a node; an empty term matches nothing.
bool nodeMatchesTerm(const nlohmann::json& term, const Node& node);
// The node's labels match spec.nodeSelector and one of the required terms, if any.
bool podFitsNodeSelectorAndAffinity(const PodSpec& pod, const Node& node);

}  // namespace minik8s::api
