// The completion-index lists of Indexed Jobs ("1,3-5,7": status.completedIndexes,
// status.failedIndexes, successPolicy.rules[].succeededIndexes). Pure.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace minik8s::api {

// "1,3-5,7" for {1, 3, 4, 5, 7} (ascending input).
std::string formatCompletionIndexes(const std::vector<int32_t>& sorted_indexes);
// The indexes below `completions` that `text` lists, ascending; parts that are not an
// index or a range are skipped (as Kubernetes' controller reads a status it wrote).
std::vector<int32_t> parseCompletionIndexes(const std::string& text, int32_t completions);
// Whether `text` is a well-formed list for validation: comma-separated indexes and
// "a-b" ranges with a < b, all below `completions`, strictly ascending and not
// overlapping.
bool completionIndexesWellFormed(const std::string& text, int32_t completions);

}  // namespace minik8s::api
