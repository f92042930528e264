// meta/v1 types shared by every kind: ObjectMeta, ListMeta, OwnerReference, LabelSelector
// objects and conditions. Plain aggregates; JSON keys are Kubernetes' (see codec.h).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api/raw_json.h"

namespace minik8s::api {

using StringMap = std::map<std::string, std::string>;

struct OwnerReference {
  std::string api_version;  // required
  std::string kind;         // required
  std::string name;         // required
  std::string uid;          // required
  std::optional<bool> controller;
  std::optional<bool> block_owner_deletion;
};

struct ObjectMeta {
  std::string name;
  std::string generate_name;
  std::string namespace_;
  std::string self_link;
  std::string uid;
  std::string resource_version;
  int64_t generation = 0;
  std::string creation_timestamp;  // RFC 3339, "2024-01-02T03:04:05Z"
  std::string deletion_timestamp;
  std::optional<int64_t> deletion_grace_period_seconds;
  StringMap labels;
  StringMap annotations;
  std::vector<OwnerReference> owner_references;
  std::vector<std::string> finalizers;
  RawJson managed_fields;
};

struct ListMeta {
  std::string resource_version;
  std::string continue_;
  std::optional<int64_t> remaining_item_count;
  std::string self_link;
};

struct LabelSelectorRequirement {
  std::string key;
  std::string op;  // "operator": In, NotIn, Exists, DoesNotExist
  std::vector<std::string> values;
};

// metav1.LabelSelector as an object (the matcher is api::LabelSelector in selector.h).
struct LabelSelectorSpec {
  StringMap match_labels;
  std::vector<LabelSelectorRequirement> match_expressions;
};

// The union of the condition shapes of Pod, Node, Deployment, ReplicaSet, HPA, Namespace.
struct Condition {
  std::string type;    // required
  std::string status;  // required: "True", "False", "Unknown"
  std::string last_probe_time;
  std::string last_heartbeat_time;
  std::string last_update_time;
  std::string last_transition_time;
  std::string reason;
  std::string message;
};

}  // namespace minik8s::api
