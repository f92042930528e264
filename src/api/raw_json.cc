#include "api/raw_json.h"

#include <nlohmann/json.hpp>

namespace minik8s::api {

RawJson::RawJson(const nlohmann::json& value) {
  if (!value.is_null()) value_ = std::make_shared<const nlohmann::json>(value);
}

bool RawJson::operator==(const RawJson& other) const {
  if (isNull() || other.isNull()) return isNull() == other.isNull();
  return *value_ == *other.value_;
}

}  // namespace minik8s::api
