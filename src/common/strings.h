// Small string helpers that several modules need, with one home each.
#pragma once

#include <string_view>

namespace minik8s {

// ASCII case-insensitive equality (HTTP header names and tokens, Kubernetes' enum values).
bool iequals(std::string_view a, std::string_view b);
// Whether `needle` occurs in `haystack`, ASCII case-insensitively ("keep-alive, Upgrade").
bool icontains(std::string_view haystack, std::string_view needle);

}  // namespace minik8s
