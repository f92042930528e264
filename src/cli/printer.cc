#include "cli/printer.h"

#include <algorithm>
#include <cctype>

#include "api/yaml.h"
#include "cli/json_fields.h"
#include "cli/kinds.h"
#include "client/transport.h"
#include "common/strings.h"

namespace minik8s::cli {

using nlohmann::json;

namespace {

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string cellText(const json& cell) {
  if (cell.is_null()) return "<none>";
  if (cell.is_string()) return cell.get<std::string>();
  if (cell.is_boolean()) return cell.get<bool>() ? "true" : "false";
  if (cell.is_number()) return cell.dump();
  return cell.dump();
}

}  // namespace

Result<OutputFormat> parseOutputFormat(std::string_view text, OutputFormat when_empty) {
  if (text.empty()) return when_empty;
  if (text == "wide") return OutputFormat::kWide;
  if (text == "yaml") return OutputFormat::kYaml;
  if (text == "json") return OutputFormat::kJson;
  if (text == "name") return OutputFormat::kName;
  if (text == "original") return OutputFormat::kOriginal;
  return badRequest("error: unable to match a printer suitable for the output format \"" +
                    std::string(text) + "\", allowed formats are: json,name,original,wide,yaml");
}

namespace {

// Index of the column called `name`; -1 when absent.
int columnIndex(const json& table, std::string_view name) {
  const json& columns = field(table, "columnDefinitions");
  if (!columns.is_array()) return -1;
  for (size_t i = 0; i < columns.size(); ++i) {
    const json& n = field(columns[i], "name");
    if (n.is_string() && iequals(n.get<std::string>(), name)) return static_cast<int>(i);
  }
  return -1;
}

// "namespace/name" of a row (its first cell and rows[].object.metadata.namespace).
std::string rowKey(const json& row) {
  const json& cells = field(row, "cells");
  std::string name = cells.is_array() && !cells.empty() ? cellText(cells[0]) : "";
  return stringAt(field(row, "object"), "metadata", "namespace") + "/" + name;
}

}  // namespace

std::vector<std::string> originalExtraColumns(const api::ResourceInfo& resource) {
  if (resource.group.empty() && resource.plural == "pods") return {"IP", "Node"};
  return {};
}

std::map<std::string, std::string> cellsByName(const json& table, std::string_view column) {
  std::map<std::string, std::string> out;
  int index = columnIndex(table, column);
  const json& rows = field(table, "rows");
  if (index < 0 || !rows.is_array()) return out;
  for (const auto& row : rows) {
    const json& cells = field(row, "cells");
    if (!cells.is_array() || cells.size() <= static_cast<size_t>(index)) continue;
    out[rowKey(row)] = cellText(cells[static_cast<size_t>(index)]);
  }
  return out;
}

void insertColumn(json& table, std::string_view name, std::string_view before,
                  const std::map<std::string, std::string>& values, std::string_view missing) {
  if (!table.is_object()) return;
  if (!table.contains("columnDefinitions") || !table["columnDefinitions"].is_array()) {
    table["columnDefinitions"] = json::array();
  }
  int at = columnIndex(table, before);
  size_t pos = at < 0 ? table["columnDefinitions"].size() : static_cast<size_t>(at);
  json& columns = table["columnDefinitions"];
  columns.insert(columns.begin() + static_cast<std::ptrdiff_t>(pos),
                 json{{"name", name}, {"type", "string"}, {"format", ""}, {"priority", 0}});
  if (!table.contains("rows") || !table["rows"].is_array()) return;
  for (auto& row : table["rows"]) {
    if (!row.is_object() || !row.contains("cells") || !row["cells"].is_array()) continue;
    json& cells = row["cells"];
    auto it = values.find(rowKey(row));
    json value = it == values.end() ? std::string(missing) : it->second;
    if (pos <= cells.size()) cells.insert(cells.begin() + static_cast<std::ptrdiff_t>(pos), value);
  }
}

std::vector<std::vector<std::string>> tableCells(const json& table,
                                                 const TablePrintOptions& options) {
  std::vector<std::vector<std::string>> out;
  const json& columns = field(table, "columnDefinitions");
  std::vector<size_t> shown;
  std::vector<std::string> header;
  if (options.with_namespace) header.push_back("NAMESPACE");
  if (columns.is_array()) {
    for (size_t i = 0; i < columns.size(); ++i) {
      const json& priority = field(columns[i], "priority");
      const json& name = field(columns[i], "name");
      bool extra = false;
      for (const auto& e : options.extra_columns) {
        extra = extra || (name.is_string() && iequals(name.get<std::string>(), e));
      }
      if (!options.wide && !extra && priority.is_number() && priority.get<int64_t>() > 0) continue;
      shown.push_back(i);
      header.push_back(upper(name.is_string() ? name.get<std::string>() : ""));
    }
  }
  if (!options.no_headers) out.push_back(header);
  const json& rows = field(table, "rows");
  if (!rows.is_array()) return out;
  for (const auto& row : rows) {
    std::vector<std::string> line;
    if (options.with_namespace)
      line.push_back(stringAt(field(row, "object"), "metadata", "namespace"));
    const json& cells = field(row, "cells");
    for (size_t i : shown) {
      std::string text = cells.is_array() && i < cells.size() ? cellText(cells[i]) : "";
      if (i == 0 && !options.name_prefix.empty()) text = options.name_prefix + text;
      line.push_back(std::move(text));
    }
    out.push_back(std::move(line));
  }
  return out;
}

std::string alignColumns(const std::vector<std::vector<std::string>>& rows,
                         std::vector<size_t>* widths, const std::vector<size_t>& min_widths) {
  constexpr size_t kMinWidth = 6;
  constexpr size_t kPadding = 3;
  std::vector<size_t> w = min_widths;
  for (const auto& row : rows) {
    if (row.size() > w.size()) w.resize(row.size(), 0);
    for (size_t i = 0; i + 1 < row.size(); ++i) {
      w[i] = std::max({w[i], row[i].size() + kPadding, kMinWidth});
    }
  }
  std::string out;
  for (const auto& row : rows) {
    // Empty trailing cells (the original's empty Endpoints) leave no trailing blanks.
    size_t cells = row.size();
    while (cells > 0 && row[cells - 1].empty()) --cells;
    std::string line;
    for (size_t i = 0; i < cells; ++i) {
      line += row[i];
      if (i + 1 < cells) line.append(w[i] - row[i].size(), ' ');
    }
    out += line + "\n";
  }
  if (widths != nullptr) *widths = w;
  return out;
}

std::string printTable(const json& table, const TablePrintOptions& options) {
  const json& rows = field(table, "rows");
  if (!rows.is_array() || rows.empty()) return "";
  return alignColumns(tableCells(table, options));
}

json fallbackTable(const json& list, Clock::WallTime now) {
  json table = {
      {"kind", "Table"},
      {"apiVersion", "meta.k8s.io/v1"},
      {"columnDefinitions", json::array({{{"name", "Name"}, {"type", "string"}, {"priority", 0}},
                                         {{"name", "Age"}, {"type", "string"}, {"priority", 0}}})},
      {"rows", json::array()}};
  const json& items = field(list, "items");
  if (!items.is_array()) return table;
  for (const auto& item : items) {
    std::string age = "<unknown>";
    Clock::WallTime created;
    if (parseRfc3339(stringAt(item, "metadata", "creationTimestamp"), &created)) {
      auto d = std::chrono::duration_cast<std::chrono::seconds>(now - created);
      age = humanDuration(std::max(d, std::chrono::seconds(0)));
    }
    json partial = {{"metadata",
                     {{"name", stringAt(item, "metadata", "name")},
                      {"namespace", stringAt(item, "metadata", "namespace")}}}};
    table["rows"].push_back(
        {{"cells", {stringAt(item, "metadata", "name"), age}}, {"object", partial}});
  }
  return table;
}

namespace {

// metadata.managedFields is the server's bookkeeping; kubectl leaves it out unless asked.
json withoutManagedFields(json object) {
  auto strip = [](json& o) {
    if (!o.is_object()) return;
    auto md = o.find("metadata");
    if (md != o.end() && md->is_object()) md->erase("managedFields");
  };
  strip(object);
  if (auto items = object.find("items"); object.is_object() && items != object.end() &&
                                         items->is_array()) {
    for (auto& item : *items) strip(item);
  }
  return object;
}

}  // namespace

std::string formatObject(const json& object, OutputFormat format) {
  json shown = withoutManagedFields(object);
  if (format == OutputFormat::kJson) return shown.dump(4) + "\n";
  return api::toYaml(shown);
}

json listObject(const std::vector<json>& items) {
  return {{"apiVersion", "v1"},
          {"items", items},
          {"kind", "List"},
          {"metadata", {{"resourceVersion", ""}}}};
}

std::string nameLine(const api::ResourceInfo& resource, const json& object) {
  return kindPrefix(resource) + "/" + stringAt(object, "metadata", "name");
}

std::string noResourcesMessage(std::string_view ns, bool all_namespaces, bool namespaced) {
  if (all_namespaces || !namespaced) return "No resources found";
  return "No resources found in " + std::string(ns) + " namespace.";
}

std::string actionMessage(std::string_view kind, std::string_view verb, std::string_view name) {
  return std::string(kind) + " " + std::string(verb) + ": " + std::string(name);
}

std::string formatServerError(const Status& status) {
  if (client::isConnectionError(status)) return status.message();
  const std::string& message = status.message();
  if (status.code() == Code::kInvalid) {
    size_t at = message.find(" is invalid");
    if (at != std::string::npos) {
      std::string prefix = "The " + message.substr(0, at) + " is invalid: ";
      const auto& causes = status.causes();
      if (causes.empty()) return "The " + message;
      auto causeText = [](const FieldError& c) {
        return c.field.empty() ? c.message : c.field + ": " + c.message;
      };
      if (causes.size() == 1) return prefix + causeText(causes[0]);
      std::string out = prefix;
      for (const auto& c : causes) out += "\n* " + causeText(c);
      return out;
    }
  }
  return "Error from server (" + std::string(codeName(status.code())) + "): " + message;
}

}  // namespace minik8s::cli
