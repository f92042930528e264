#include "api/node_affinity.h"

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>

namespace minik8s::api {

using nlohmann::json;

namespace {

bool parseAffinityInt(const std::string& s, int64_t* out) {
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

// One requirement against `fields` (labels or {"metadata.name": name}).
bool matchesNodeRequirement(const json& req, const StringMap& fields) {
  if (!req.is_object()) return false;
  std::string key = req.value("key", "");
  std::string op = req.value("operator", "");
  std::vector<std::string> values;
  if (req.contains("values") && req["values"].is_array()) {
    for (const auto& v : req["values"]) {
      if (v.is_string()) values.push_back(v.get<std::string>());
    }
  }
  auto it = fields.find(key);
  bool has = it != fields.end();
  if (op == "In") return has && std::find(values.begin(), values.end(), it->second) != values.end();
  if (op == "NotIn")
    return !has || std::find(values.begin(), values.end(), it->second) == values.end();
  if (op == "Exists") return has;
  if (op == "DoesNotExist") return !has;
  if (op == "Gt" || op == "Lt") {
    int64_t have = 0, want = 0;
    if (!has || values.size() != 1 || !parseAffinityInt(it->second, &have) || !parseAffinityInt(values[0], &want)) {
      return false;
    }
    return op == "Gt" ? have > want : have < want;
  }
  return false;
}

}  // namespace

bool nodeMatchesTerm(const json& term, const Node& node) {
  if (!term.is_object()) return false;
  bool any = false;
  if (term.contains("matchExpressions") && term["matchExpressions"].is_array()) {
    for (const auto& req : term["matchExpressions"]) {
      any = true;
      if (!matchesNodeRequirement(req, node.metadata.labels)) return false;
    }
  }
  if (term.contains("matchFields") && term["matchFields"].is_array()) {
    StringMap fields{{"metadata.name", node.metadata.name}};
    for (const auto& req : term["matchFields"]) {
      any = true;
      if (!matchesNodeRequirement(req, fields)) return false;
    }
  }
  return any;  // an empty term matches nothing
}

bool podFitsNodeSelectorAndAffinity(const PodSpec& pod, const Node& node) {
  const auto& labels = node.metadata.labels;
  for (const auto& [key, value] : pod.node_selector) {
    auto it = labels.find(key);
    if (it == labels.end() || it->second != value) return false;
  }
  if (pod.affinity.isNull()) return true;
  const json& affinity = pod.affinity.get();
  if (!affinity.is_object() || !affinity.contains("nodeAffinity")) return true;
  const json& na = affinity["nodeAffinity"];
  if (!na.is_object() || !na.contains("requiredDuringSchedulingIgnoredDuringExecution")) return true;
  const json& required = na["requiredDuringSchedulingIgnoredDuringExecution"];
  if (!required.is_object() || !required.contains("nodeSelectorTerms")) return true;
  const json& terms = required["nodeSelectorTerms"];
  if (!terms.is_array()) return true;
  for (const auto& term : terms) {
    if (nodeMatchesTerm(term, node)) return true;
  }
  return false;
}

}  // namespace minik8s::api
