// Durations as flags are written: Go's form ("1h30m", "1.5s", "500ms", "2m0s", units ns,
// us/µs, ms, s, m, h, any number of them in a row) or a plain number of seconds ("90").
#pragma once

#include <chrono>
#include <string_view>

#include "common/status.h"

namespace minik8s {

// kInvalid for anything else (negative, empty, unknown unit, bad number). Rounded to ms.
Result<std::chrono::milliseconds> parseDuration(std::string_view text);

}  // namespace minik8s
