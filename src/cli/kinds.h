// Kind words of the command line ("pod", "pods", "po", "deploy", "hpa", ...) resolved to API
// resources, and the rule that a manifest's kind must match the command's. Pure functions
// over a resource table (api::allResources() in production); thread-safe.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "api/scheme.h"
#include "common/status.h"

namespace minik8s::cli {

// Every resource `word` names, in table order, matched case-insensitively against the
// plural, singular, short names, lower-case kind and "plural.group". Several resources can
// match: "hpa" names both the seed `Hpa` (v1) and autoscaling/v2 HorizontalPodAutoscaler.
// The original's "dnss" names dnses.
// Empty when the word names nothing.
std::vector<const api::ResourceInfo*> resolveKind(std::string_view word,
                                                  const std::vector<api::ResourceInfo>& resources);

// resolveKind, or the error kubectl gives for an unknown word:
// `error: the server doesn't have a resource type "foo"`.
Result<std::vector<const api::ResourceInfo*>> resolveKindOrError(
    std::string_view word, const std::vector<api::ResourceInfo>& resources);

// The resource of a manifest object from its apiVersion and kind (kind alone when
// apiVersion is absent). `source` names the file in errors.
Result<const api::ResourceInfo*> resourceOfObject(const nlohmann::json& object,
                                                  const std::vector<api::ResourceInfo>& resources,
                                                  std::string_view source);

// The resource of `object` when it is one that `word` names; otherwise
// `error: the kind in FILE is Service, not pod`.
Result<const api::ResourceInfo*> matchCommandKind(std::string_view word,
                                                  const nlohmann::json& object,
                                                  const std::vector<api::ResourceInfo>& resources,
                                                  std::string_view source);

// The resources `get all` shows, in order: everything in the "all" category plus the
// kinds the original project forgot (endpoints, dnses) and the seed hpas.
std::vector<const api::ResourceInfo*> getAllResources(
    const std::vector<api::ResourceInfo>& resources);

// "pod", "service", "deployment.apps", "horizontalpodautoscaler.autoscaling": the prefix of
// `-o name` and of `get all` rows.
std::string kindPrefix(const api::ResourceInfo& resource);

}  // namespace minik8s::cli
