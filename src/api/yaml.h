// YAML <-> JSON for manifests and CLI output. Parsing uses libyaml's event parser (with
// limits on nesting and alias expansion; yaml-cpp 0.7 loops forever on some inputs, e.g. a
// document that is just ",") and types plain scalars as YAML 1.2's core schema does (ints, floats, true/false, null/~); quoted and
// block scalars stay strings ("10Mi", "5000" quoted). Never throws: parser errors
// become kBadRequest "yaml: line L, column C: <problem>" (1-based).
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace minik8s::api {

// One document. An empty input gives JSON null; more than one non-empty document is an
// error.
Result<nlohmann::json> parseYaml(std::string_view text);

// A stream of documents separated by `---`; empty documents are skipped.
Result<std::vector<nlohmann::json>> parseYamlStream(std::string_view text);

// Block-style YAML in kubectl's layout (object keys in the json's order, sequences under a
// key not indented, strings that would read as another type quoted). Ends with "\n".
std::string toYaml(const nlohmann::json& value);

}  // namespace minik8s::api
