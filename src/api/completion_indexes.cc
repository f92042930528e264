#include "api/completion_indexes.h"

#include <algorithm>
#include <set>

namespace minik8s::api {

namespace {

// A non-negative decimal of at most 9 digits.
bool parseIndex(const std::string& s, int32_t* out) {
  if (s.empty() || s.size() > 9) return false;
  int32_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

// The parts of `text` between commas.
std::vector<std::string> parts(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    out.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

// "a" or "a-b" as [lo, hi]; false when it is neither.
bool parseRange(const std::string& part, int32_t* lo, int32_t* hi) {
  size_t dash = part.find('-');
  if (dash == std::string::npos) {
    if (!parseIndex(part, lo)) return false;
    *hi = *lo;
    return true;
  }
  return parseIndex(part.substr(0, dash), lo) && parseIndex(part.substr(dash + 1), hi);
}

}  // namespace

std::string formatCompletionIndexes(const std::vector<int32_t>& sorted) {
  std::string out;
  for (size_t i = 0; i < sorted.size();) {
    size_t j = i;
    while (j + 1 < sorted.size() && sorted[j + 1] == sorted[j] + 1) ++j;
    if (!out.empty()) out += ",";
    out += std::to_string(sorted[i]);
    if (j > i) out += "-" + std::to_string(sorted[j]);
    i = j + 1;
  }
  return out;
}

std::vector<int32_t> parseCompletionIndexes(const std::string& text, int32_t completions) {
  std::set<int32_t> out;
  if (text.empty()) return {};
  for (const auto& part : parts(text)) {
    int32_t lo = 0, hi = 0;
    if (!parseRange(part, &lo, &hi)) continue;
    for (int32_t i = lo; i <= hi && i < completions; ++i) out.insert(i);
  }
  return {out.begin(), out.end()};
}

bool completionIndexesWellFormed(const std::string& text, int32_t completions) {
  if (text.empty()) return false;
  int64_t previous = -1;
  for (const auto& part : parts(text)) {
    int32_t lo = 0, hi = 0;
    if (!parseRange(part, &lo, &hi)) return false;
    if (part.find('-') != std::string::npos && lo >= hi) return false;
    if (lo <= previous || hi >= completions) return false;
    previous = hi;
  }
  return true;
}

}  // namespace minik8s::api
