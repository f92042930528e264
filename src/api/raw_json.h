// RawJson: an opaque JSON value carried through a typed struct unchanged (managedFields,
// affinity, securityContext, ...). Keeps nlohmann/json.hpp out of the types headers.
// A value type; copies share the immutable value, so it is cheap and thread-safe to copy.
#pragma once

#include <memory>
#include <nlohmann/json_fwd.hpp>

namespace minik8s::api {

class RawJson {
 public:
  RawJson() = default;
  explicit RawJson(const nlohmann::json& value);

  // Absent (or JSON null).
  bool isNull() const { return value_ == nullptr; }
  // REQUIRES: !isNull()
  const nlohmann::json& get() const { return *value_; }

  bool operator==(const RawJson& other) const;

 private:
  std::shared_ptr<const nlohmann::json> value_;
};

}  // namespace minik8s::api
