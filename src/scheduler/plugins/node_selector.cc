#include "scheduler/plugins/node_selector.h"

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>

namespace minik8s::scheduler::plugins {

using nlohmann::json;

namespace {

bool parseInt(const std::string& s, int64_t* out) {
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

// One requirement against `fields` (labels or {"metadata.name": name}).
bool matchesRequirement(const json& req, const api::StringMap& fields) {
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
    if (!has || values.size() != 1 || !parseInt(it->second, &have) || !parseInt(values[0], &want)) {
      return false;
    }
    return op == "Gt" ? have > want : have < want;
  }
  return false;
}

}  // namespace

bool nodeMatchesTerm(const json& term, const api::Node& node) {
  if (!term.is_object()) return false;
  bool any = false;
  if (term.contains("matchExpressions") && term["matchExpressions"].is_array()) {
    for (const auto& req : term["matchExpressions"]) {
      any = true;
      if (!matchesRequirement(req, node.metadata.labels)) return false;
    }
  }
  if (term.contains("matchFields") && term["matchFields"].is_array()) {
    api::StringMap fields{{"metadata.name", node.metadata.name}};
    for (const auto& req : term["matchFields"]) {
      any = true;
      if (!matchesRequirement(req, fields)) return false;
    }
  }
  return any;  // an empty term matches nothing
}

std::vector<std::string> NodeSelector::filter(const api::Pod& pod, const NodeInfo& node) const {
  const auto& labels = node.node->metadata.labels;
  for (const auto& [key, value] : pod.spec.node_selector) {
    auto it = labels.find(key);
    if (it == labels.end() || it->second != value) return {kNodeSelectorReason};
  }
  if (pod.spec.affinity.isNull()) return {};
  const json& affinity = pod.spec.affinity.get();
  if (!affinity.is_object() || !affinity.contains("nodeAffinity")) return {};
  const json& na = affinity["nodeAffinity"];
  if (!na.is_object() || !na.contains("requiredDuringSchedulingIgnoredDuringExecution")) return {};
  const json& required = na["requiredDuringSchedulingIgnoredDuringExecution"];
  if (!required.is_object() || !required.contains("nodeSelectorTerms")) return {};
  const json& terms = required["nodeSelectorTerms"];
  if (!terms.is_array()) return {};
  for (const auto& term : terms) {
    if (nodeMatchesTerm(term, *node.node)) return {};
  }
  return {kNodeSelectorReason};
}

}  // namespace minik8s::scheduler::plugins
