// Null-safe reads of nested JSON fields for the CLI's printers and commands: a missing or
// mistyped field reads as null or "".
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace minik8s::cli {

// object[key]; null when `object` is not an object or has no such key.
inline const nlohmann::json& field(const nlohmann::json& object, const char* key) {
  static const nlohmann::json kNull;
  if (!object.is_object()) return kNull;
  auto it = object.find(key);
  return it == object.end() ? kNull : *it;
}

// object[a][b] when it is a string, else "".
inline std::string stringAt(const nlohmann::json& object, const char* a, const char* b) {
  const nlohmann::json& v = field(field(object, a), b);
  return v.is_string() ? v.get<std::string>() : "";
}

}  // namespace minik8s::cli
