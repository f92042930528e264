#include "common/log.h"

namespace minik8s::log {

void setLevel(std::string_view level) {
  auto parsed = spdlog::level::from_str(std::string(level));
  if (parsed == spdlog::level::off && level != "off") return;
  spdlog::set_level(parsed);
}

}  // namespace minik8s::log
