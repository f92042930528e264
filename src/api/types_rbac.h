// rbac.authorization.k8s.io/v1 (Role, ClusterRole, RoleBinding, ClusterRoleBinding). Plain
// aggregates; codec.cc maps them to Kubernetes' JSON keys. Stored and validated only:
// nothing enforces them until requests are authenticated.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "api/types_meta.h"

namespace minik8s::api {

inline constexpr char kRbacGroup[] = "rbac.authorization.k8s.io";

// Subject kinds.
inline constexpr char kSubjectServiceAccount[] = "ServiceAccount";
inline constexpr char kSubjectUser[] = "User";
inline constexpr char kSubjectGroup[] = "Group";

struct PolicyRule {
  std::vector<std::string> verbs;  // required, at least one
  std::vector<std::string> api_groups;
  std::vector<std::string> resources;
  std::vector<std::string> resource_names;
  std::vector<std::string> non_resource_urls;  // ClusterRoles only; excludes the three above
};

struct AggregationRule {
  std::vector<LabelSelectorSpec> cluster_role_selectors;
};

struct Role {
  std::string api_version;
  std::string kind;
  ObjectMeta metadata;
  std::vector<PolicyRule> rules;
};

// Cluster-scoped.
struct ClusterRole {
  std::string api_version;
  std::string kind;
  ObjectMeta metadata;
  std::vector<PolicyRule> rules;
  std::optional<AggregationRule> aggregation_rule;
};

struct RoleRef {
  std::string api_group;  // rbac.authorization.k8s.io (default)
  std::string kind;       // Role or ClusterRole (ClusterRole only from a ClusterRoleBinding)
  std::string name;
};

struct Subject {
  std::string kind;       // ServiceAccount, User or Group
  std::string api_group;  // "" for ServiceAccount, else rbac.authorization.k8s.io (default)
  std::string name;
  std::string namespace_;  // a ServiceAccount's
};

// roleRef is immutable.
struct RoleBinding {
  std::string api_version;
  std::string kind;
  ObjectMeta metadata;
  std::vector<Subject> subjects;
  RoleRef role_ref;
};

// Cluster-scoped; roleRef is immutable.
struct ClusterRoleBinding {
  std::string api_version;
  std::string kind;
  ObjectMeta metadata;
  std::vector<Subject> subjects;
  RoleRef role_ref;
};

}  // namespace minik8s::api
