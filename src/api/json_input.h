// Untrusted JSON input: parsing with limits, so that a request body cannot make a
// component recurse or allocate without bound (deep nesting overflows the stack of every
// recursive walk — serializing, patching, YAML emitting — long before memory runs out).
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string_view>

#include "common/status.h"

namespace minik8s::api {

// Deepest nesting of arrays/objects accepted in a request (Kubernetes objects need < 20).
inline constexpr int kMaxJsonDepth = 256;
// Most JSON values one YAML document may expand to (aliases can multiply a small input).
inline constexpr size_t kMaxYamlValues = 1'000'000;

// Parses `text` as JSON; kBadRequest when it is malformed or nested deeper than
// kMaxJsonDepth.
Result<nlohmann::json> parseJson(std::string_view text);

}  // namespace minik8s::api
