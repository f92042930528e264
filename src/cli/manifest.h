// Manifests given with -f: a file, a directory (its *.yaml, *.yml and *.json files, sorted)
// or "-" (stdin); each file may hold several YAML documents, and a `kind: List` stands for
// its items. Errors carry kubectl's one-line wording ("error: the path ... does not exist").
#pragma once

#include <istream>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace minik8s::cli {

struct Manifest {
  nlohmann::json object;
  std::string source;  // the file it came from ("STDIN" for -)
};

// Pure: the objects of one file's text (empty documents skipped, Lists expanded).
Result<std::vector<Manifest>> parseManifestText(std::string_view text, const std::string& source);

// Reads `path` (file, directory or "-" from `in`).
Result<std::vector<Manifest>> readManifests(const std::string& path, std::istream& in);

}  // namespace minik8s::cli
