#include "api/json_input.h"

#include <nlohmann/json.hpp>

namespace minik8s::api {

namespace {
struct TooDeep {};
}  // namespace

Result<nlohmann::json> parseJson(std::string_view text) {
  auto limit_depth = [](int depth, nlohmann::json::parse_event_t event, nlohmann::json&) {
    if (depth > kMaxJsonDepth && (event == nlohmann::json::parse_event_t::object_start ||
                                  event == nlohmann::json::parse_event_t::array_start)) {
      throw TooDeep{};
    }
    return true;
  };
  try {
    return nlohmann::json::parse(text, limit_depth);
  } catch (const TooDeep&) {
    return badRequest("the body is nested deeper than " + std::to_string(kMaxJsonDepth) +
                      " levels");
  } catch (const nlohmann::json::exception& e) {
    return badRequest(std::string("invalid JSON: ") + e.what());
  }
}

}  // namespace minik8s::api
