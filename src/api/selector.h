// Label and field selectors: the `labelSelector` / `fieldSelector` query parameters and
// the LabelSelector objects of Deployments, ReplicaSets and Services. Pure value types;
// immutable after construction, so safe to share between threads.
#pragma once

#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/scheme.h"
#include "common/status.h"

namespace minik8s::api {

enum class SelectorOperator { kEquals, kNotEquals, kIn, kNotIn, kExists, kDoesNotExist };

// One term of a label selector: `key=value`, `key in (a,b)`, `!key`, ...
struct LabelRequirement {
  std::string key;
  SelectorOperator op = SelectorOperator::kExists;
  std::vector<std::string> values;  // sorted, deduplicated; one value for = and !=

  bool matches(const std::map<std::string, std::string>& labels) const;
  // Canonical query form: "a=b", "a!=b", "a in (x,y)", "a notin (x)", "a", "!a".
  std::string toString() const;

  bool operator==(const LabelRequirement&) const = default;
};

// A conjunction of label requirements.
//
// Empty-selector semantics (as Kubernetes): a selector with no requirements matches
// everything (the query "" and the object `{}`); the selector built from a JSON `null`
// (an absent LabelSelector) matches nothing.
class LabelSelector {
 public:
  LabelSelector() = default;  // matches everything

  static LabelSelector everything() { return LabelSelector(); }
  static LabelSelector nothing();

  // Query-string syntax: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`,
  // comma-separated. kBadRequest "unable to parse requirement: ..." on bad syntax or
  // invalid label keys/values.
  static Result<LabelSelector> parse(std::string_view query);

  // A metav1.LabelSelector object: {"matchLabels":{..},"matchExpressions":[{key,operator,
  // values}]}. `null` matches nothing, `{}` matches everything. kBadRequest when malformed.
  static Result<LabelSelector> fromJson(const nlohmann::json& selector);

  // A plain map selector (Service spec.selector). `null` matches nothing, `{}` everything.
  static Result<LabelSelector> fromMap(const nlohmann::json& map);

  bool matches(const std::map<std::string, std::string>& labels) const;
  // Matches `object`'s metadata.labels (absent labels = no labels). Never throws.
  bool matchesObject(const nlohmann::json& object) const;

  bool matchesEverything() const { return !nothing_ && requirements_.empty(); }
  bool matchesNothing() const { return nothing_; }
  const std::vector<LabelRequirement>& requirements() const { return requirements_; }

  // Canonical query form, requirements sorted by key: "app=demo,tier in (a,b)".
  // "" for both everything() and nothing().
  std::string toString() const;

 private:
  void add(LabelRequirement requirement);

  std::vector<LabelRequirement> requirements_;
  bool nothing_ = false;
};

// Label key and value syntax (Kubernetes' IsQualifiedName / IsValidLabelValue).
// Return an explanation, or "" when valid.
std::string checkLabelKey(std::string_view key);
std::string checkLabelValue(std::string_view value);

// One term of a field selector.
struct FieldRequirement {
  std::string field;
  bool negated = false;  // `!=`
  std::string value;

  bool operator==(const FieldRequirement&) const = default;
};

// A conjunction of `field=value` / `field==value` / `field!=value` terms over the fields a
// resource makes addressable (see supportedFields()).
class FieldSelector {
 public:
  FieldSelector() = default;  // matches everything

  // Syntax only: kBadRequest "invalid selector: ..." when a term has no operator.
  // `\,`, `\=` and `\\` escape those characters inside values.
  static Result<FieldSelector> parse(std::string_view query);
  // Syntax plus fields: kBadRequest "field label not supported: <field>" for a field that
  // `resource` does not support.
  static Result<FieldSelector> parse(std::string_view query, const ResourceInfo& resource);

  // Fields addressable on the resource with this plural ("pods", "events", ...).
  static std::vector<std::string> supportedFields(std::string_view plural);

  // Absent fields compare as ""; booleans as "true"/"false". Never throws.
  bool matches(const nlohmann::json& object) const;

  bool empty() const { return requirements_.empty(); }
  const std::vector<FieldRequirement>& requirements() const { return requirements_; }
  // The value an `=` term demands of `field` (e.g. metadata.name for a get-by-name watch).
  std::optional<std::string> requiredValue(std::string_view field) const;
  std::string toString() const;

 private:
  std::vector<FieldRequirement> requirements_;
};

// The string value of a selectable field of `object` ("" when absent). Field names are
// those of supportedFields(); `source` reads source.component of Events.
std::string fieldValue(const nlohmann::json& object, std::string_view field);

}  // namespace minik8s::api
