#include "common/duration.h"

#include <array>
#include <charconv>
#include <cmath>
#include <string>
#include <utility>

namespace minik8s {
namespace {

// Milliseconds per unit; longer suffixes first so that "ms" is not read as "m".
constexpr std::array<std::pair<std::string_view, double>, 7> kUnits = {{
    {"ns", 1e-6},
    {"us", 1e-3},
    {"\xC2\xB5s", 1e-3},  // µs
    {"ms", 1},
    {"s", 1e3},
    {"m", 60e3},
    {"h", 3600e3},
}};

bool isNumberChar(char c) { return (c >= '0' && c <= '9') || c == '.'; }

Status badDuration(std::string_view text) {
  return invalid("bad duration \"" + std::string(text) + "\" (want e.g. 60s, 500ms, 2m, 1h30m)");
}

}  // namespace

Result<std::chrono::milliseconds> parseDuration(std::string_view text) {
  double total_ms = 0;
  std::string_view rest = text;
  bool plain_seconds = !text.empty() && text.find_first_not_of("0123456789.") == text.npos;
  while (!rest.empty()) {
    size_t digits = 0;
    while (digits < rest.size() && isNumberChar(rest[digits])) ++digits;
    double value = 0;
    auto [end, ec] = std::from_chars(rest.data(), rest.data() + digits, value);
    if (digits == 0 || ec != std::errc() || end != rest.data() + digits) return badDuration(text);
    rest.remove_prefix(digits);
    double scale = plain_seconds ? 1e3 : -1;
    for (const auto& [suffix, ms] : kUnits) {
      if (rest.substr(0, suffix.size()) == suffix) {
        scale = ms;
        rest.remove_prefix(suffix.size());
        break;
      }
    }
    if (scale < 0) return badDuration(text);
    total_ms += value * scale;
  }
  if (text.empty() || !std::isfinite(total_ms) || total_ms > 1e15) return badDuration(text);
  return std::chrono::milliseconds(std::llround(total_ms));
}

}  // namespace minik8s
