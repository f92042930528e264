// Printing for `minik8s ctl`: server-side Tables in kubectl's layout, objects as YAML or
// JSON, `-o name`, and the messages and error lines the original project printed. Pure
// functions (time is passed in); thread-safe.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "api/scheme.h"
#include "common/clock.h"
#include "common/status.h"

namespace minik8s::cli {

// kTable: kubectl's table; kOriginal: the original project's (original.h).
enum class OutputFormat { kTable, kWide, kYaml, kJson, kName, kOriginal };

// "" → `when_empty`, "wide", "yaml", "json", "name", "original"; kBadRequest with kubectl's
// message otherwise.
Result<OutputFormat> parseOutputFormat(std::string_view text,
                                       OutputFormat when_empty = OutputFormat::kTable);

struct TablePrintOptions {
  bool wide = false;            // include priority > 0 columns
  bool with_namespace = false;  // a NAMESPACE column first (-A), from rows[].object
  bool no_headers = false;
  std::string name_prefix;  // "pod/" in `get all`
  // Priority > 0 columns shown even without `wide` (matched case-insensitively by name).
  std::vector<std::string> extra_columns;
};

// The original project's extra columns for `get <kind>`: pods also show IP and NODE
// (kubectl shows them only with -o wide). Empty for other kinds.
std::vector<std::string> originalExtraColumns(const api::ResourceInfo& resource);

// A map from each row's "namespace/name" (rows[].object's namespace, the first cell) to its
// cell in column `column` (by name, case-insensitive), e.g. the ENDPOINTS of Endpoints.
std::map<std::string, std::string> cellsByName(const nlohmann::json& table,
                                               std::string_view column);

// Inserts a string column `name` into `table` before the column `before` (appended when
// there is none); each row's cell is values["namespace/name"], or `missing`.
void insertColumn(nlohmann::json& table, std::string_view name, std::string_view before,
                  const std::map<std::string, std::string>& values, std::string_view missing);

// The cells of a Table (header first unless no_headers) as strings: column names upper-cased,
// nil cells "<none>", numbers and booleans as text.
std::vector<std::vector<std::string>> tableCells(const nlohmann::json& table,
                                                 const TablePrintOptions& options);

// Lines aligned like kubectl's tabwriter (minimum width 6, padding 3, the last column
// unpadded, empty cells at the end of a row left out), each ending in "\n". `widths`
// receives the column widths used (may be null); a non-empty `min_widths` keeps later rows
// (watch) aligned with earlier ones.
std::string alignColumns(const std::vector<std::vector<std::string>>& rows,
                         std::vector<size_t>* widths = nullptr,
                         const std::vector<size_t>& min_widths = {});

// tableCells + alignColumns. "" for a Table without rows.
std::string printTable(const nlohmann::json& table, const TablePrintOptions& options);

// A NAME/AGE Table built from a List (for a server that does not answer with a Table).
nlohmann::json fallbackTable(const nlohmann::json& list, Clock::WallTime now);

// The object in full: YAML (kubectl's layout) or JSON indented by 4, ending in "\n".
// Without metadata.managedFields (its own and its items'), as kubectl prints by default
// (--show-managed-fields=false).
std::string formatObject(const nlohmann::json& object, OutputFormat format);

// kubectl's `-o yaml|json` of several objects: {"apiVersion":"v1","kind":"List","items":[..]}.
nlohmann::json listObject(const std::vector<nlohmann::json>& items);

// "pod/greet-pod"
std::string nameLine(const api::ResourceInfo& resource, const nlohmann::json& object);

// "No resources found in default namespace." / "No resources found" (all namespaces or a
// cluster-scoped kind).
std::string noResourcesMessage(std::string_view ns, bool all_namespaces, bool namespaced);

// The original's messages: "Pod created: greet-pod".
std::string actionMessage(std::string_view kind, std::string_view verb, std::string_view name);

// A server error as kubectl prints it:
//   Error from server (NotFound): pods "x" not found
//   The Pod "x" is invalid: spec.containers[0].image: Required value
//   The Pod "x" is invalid:
//   * spec.a: ...
//   * spec.b: ...
// Connection failures are printed as they are (one line naming the server).
std::string formatServerError(const Status& status);

}  // namespace minik8s::cli
