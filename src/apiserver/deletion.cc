#include "apiserver/deletion.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace minik8s::apiserver {

using nlohmann::json;

Result<Propagation> propagationOf(const json& delete_options) {
  const json* policy = nullptr;
  const json* orphan = nullptr;
  if (delete_options.contains("propagationPolicy") && !delete_options["propagationPolicy"].is_null())
    policy = &delete_options["propagationPolicy"];
  if (delete_options.contains("orphanDependents") && !delete_options["orphanDependents"].is_null())
    orphan = &delete_options["orphanDependents"];
  if (policy && orphan) {
    return Status(Code::kInvalid, "orphanDependents and deletionPropagation cannot be both set");
  }
  if (orphan) {
    if (!orphan->is_boolean()) return Status(Code::kBadRequest, "orphanDependents must be a boolean");
    return orphan->get<bool>() ? Propagation::kOrphan : Propagation::kBackground;
  }
  if (!policy) return Propagation::kUnset;
  std::string name = policy->is_string() ? policy->get<std::string>() : policy->dump();
  if (name == "Orphan") return Propagation::kOrphan;
  if (name == "Background") return Propagation::kBackground;
  if (name == "Foreground") return Propagation::kForeground;
  return Status(Code::kInvalid, "DeleteOptions.propagationPolicy: Unsupported value: \"" + name +
                                    "\": supported values: \"Foreground\", \"Background\", "
                                    "\"Orphan\"");
}

std::optional<std::vector<std::string>> finalizersForDeletion(
    const std::vector<std::string>& current, Propagation policy) {
  auto has = [&](const char* f) { return std::find(current.begin(), current.end(), f) != current.end(); };
  bool orphan = policy == Propagation::kOrphan || (policy == Propagation::kUnset && has(kOrphanFinalizer));
  bool foreground =
      policy == Propagation::kForeground || (policy == Propagation::kUnset && has(kForegroundFinalizer));
  std::vector<std::string> next;
  for (const auto& f : current) {
    if (f != kOrphanFinalizer && f != kForegroundFinalizer) next.push_back(f);
  }
  if (orphan) next.push_back(kOrphanFinalizer);
  if (foreground) next.push_back(kForegroundFinalizer);
  std::vector<std::string> a = current, b = next;
  std::sort(a.begin(), a.end());
  a.erase(std::unique(a.begin(), a.end()), a.end());
  std::sort(b.begin(), b.end());
  if (a == b) return std::nullopt;
  return next;
}

RepeatedDelete repeatedDelete(std::optional<int64_t> current_grace,
                              std::optional<int64_t> requested_grace) {
  if (!current_grace || *current_grace == 0) return RepeatedDelete::kFinish;
  if (requested_grace && *requested_grace < *current_grace) return RepeatedDelete::kShorten;
  return RepeatedDelete::kPending;
}

}  // namespace minik8s::apiserver
