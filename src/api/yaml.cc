#include "api/yaml.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <nlohmann/json.hpp>

#include "api/json_input.h"

namespace minik8s::api {
namespace {

using nlohmann::json;

bool isNullWord(std::string_view s) {
  return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
}
bool isTrueWord(std::string_view s) {
  return s == "true" || s == "True" || s == "TRUE";
}
bool isFalseWord(std::string_view s) {
  return s == "false" || s == "False" || s == "FALSE";
}

bool allDigits(std::string_view s, int base) {
  if (s.empty()) return false;
  for (char c : s) {
    bool ok = base == 16 ? std::isxdigit(static_cast<unsigned char>(c)) != 0
                         : (c >= '0' && c < static_cast<char>('0' + base));
    if (!ok) return false;
  }
  return true;
}

// An integer in YAML 1.2 core syntax: [-+]?[0-9]+, 0o[0-7]+, 0x[0-9a-fA-F]+.
bool parseInt(std::string_view s, int64_t* out) {
  std::string_view digits = s;
  bool neg = false;
  int base = 10;
  if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'o')) {
    base = digits[1] == 'x' ? 16 : 8;
    digits.remove_prefix(2);
  } else if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) {
    neg = digits[0] == '-';
    digits.remove_prefix(1);
  }
  if (!allDigits(digits, base)) return false;
  uint64_t value = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value, base);
  if (ec != std::errc() || ptr != digits.data() + digits.size()) return false;
  if (neg ? value > uint64_t(INT64_MAX) + 1 : value > uint64_t(INT64_MAX)) return false;
  *out = neg ? static_cast<int64_t>(0 - value) : static_cast<int64_t>(value);
  return true;
}

// A float: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
bool isFloat(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  size_t int_digits = 0, frac_digits = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++int_digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++frac_digits;
  }
  if (int_digits + frac_digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    size_t exp_digits = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++exp_digits;
    if (exp_digits == 0) return false;
  }
  return i == s.size();
}

json plainScalar(const std::string& s) {
  if (isNullWord(s)) return nullptr;
  if (isTrueWord(s)) return true;
  if (isFalseWord(s)) return false;
  int64_t i = 0;
  if (parseInt(s, &i)) return i;
  if (isFloat(s)) {
    try {
      double d = std::stod(s);
      if (std::isfinite(d)) return d;
    } catch (const std::exception&) {
    }
  }
  return s;  // .inf, .nan and everything else stay strings
}

Status errorAt(const YAML::Mark& mark, const std::string& problem) {
  if (mark.is_null()) return badRequest("yaml: " + problem);
  return badRequest("yaml: line " + std::to_string(mark.line + 1) + ", column " +
                    std::to_string(mark.column + 1) + ": " + problem);
}

// Converts one YAML node; `budget` counts the values still allowed (aliases can expand a
// small document into an enormous one) and `depth` the nesting.
Result<json> toJsonValue(const YAML::Node& node, size_t& budget, int depth) {
  if (budget == 0) {
    return errorAt(node.Mark(), "the document expands to more than " +
                                    std::to_string(kMaxYamlValues) + " values (alias bomb?)");
  }
  --budget;
  if (depth > kMaxJsonDepth) {
    return errorAt(node.Mark(), "nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  }
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null: return json(nullptr);
    case YAML::NodeType::Scalar: {
      const std::string& tag = node.Tag();
      const std::string& text = node.Scalar();
      if (tag == "!" || tag == "tag:yaml.org,2002:str") return json(text);
      if (tag == "?") return plainScalar(text);
      if (tag == "tag:yaml.org,2002:int" || tag == "tag:yaml.org,2002:float" ||
          tag == "tag:yaml.org,2002:bool" || tag == "tag:yaml.org,2002:null") {
        json v = plainScalar(text);
        if (v.is_string())
          return errorAt(node.Mark(), "cannot read \"" + text + "\" as " + tag.substr(18));
        return v;
      }
      return json(text);  // unknown local tags: keep the text
    }
    case YAML::NodeType::Sequence: {
      json out = json::array();
      for (const YAML::Node& item : node) {
        ASSIGN_OR_RETURN(json v, toJsonValue(item, budget, depth + 1));
        out.push_back(std::move(v));
      }
      return out;
    }
    case YAML::NodeType::Map: {
      json out = json::object();
      for (const auto& item : node) {
        if (!item.first.IsScalar())
          return errorAt(item.first.Mark(), "mapping keys must be scalars");
        ASSIGN_OR_RETURN(json v, toJsonValue(item.second, budget, depth + 1));
        out[item.first.Scalar()] = std::move(v);
      }
      return out;
    }
  }
  return json(nullptr);
}

// ---- emitting ----

bool needsQuotes(const std::string& s) {
  if (s.empty()) return true;
  json resolved = plainScalar(s);
  if (!resolved.is_string()) return true;
  // YAML 1.1 booleans that other readers (kubectl's go-yaml) would take as bools.
  static const char* const kYaml11Words[] = {"y",  "Y",  "yes", "Yes", "YES", "n",   "N",   "no",
                                             "No", "NO", "on",  "On",  "ON",  "off", "Off", "OFF"};
  for (const char* w : kYaml11Words) {
    if (s == w) return true;
  }
  if (s == ".inf" || s == "-.inf" || s == ".nan" || s == ".Inf" || s == ".NaN") return true;
  static constexpr std::string_view kIndicators = "-?:,[]{}#&*!|>'\"%@`";
  if (kIndicators.find(s.front()) != std::string_view::npos) return true;
  if (s.front() == ' ' || s.back() == ' ' || s.back() == ':') return true;
  if (s.find(": ") != std::string::npos || s.find(" #") != std::string::npos) return true;
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

std::string scalarText(const json& v) {
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    if (!needsQuotes(s)) return s;
    bool has_control = false;
    for (unsigned char c : s) has_control |= c < 0x20 || c == 0x7f;
    if (has_control) return v.dump();  // JSON strings are valid YAML double-quoted scalars
    std::string out = "'";
    for (char c : s) {
      out += c;
      if (c == '\'') out += '\'';
    }
    return out + "'";
  }
  if (v.is_null()) return "null";
  return v.dump();
}

bool isBlock(const json& v) {
  return (v.is_object() || v.is_array()) && !v.empty();
}

void emit(const json& v, size_t indent, std::string& out);

void emitSequenceItem(const json& item, size_t indent, std::string& out) {
  if (!isBlock(item)) {
    out += std::string(indent, ' ') + "- " +
           (item.is_object()  ? "{}"
            : item.is_array() ? "[]"
                              : scalarText(item)) +
           "\n";
    return;
  }
  // Render the item two columns in, then put "- " over the first line's indentation.
  size_t start = out.size();
  emit(item, indent + 2, out);
  out.replace(start + indent, 2, "- ");
}

void emit(const json& v, size_t indent, std::string& out) {
  std::string pad(indent, ' ');
  if (v.is_array()) {
    for (const json& item : v) emitSequenceItem(item, indent, out);
    return;
  }
  if (!v.is_object()) {
    out += pad + scalarText(v) + "\n";
    return;
  }
  for (const auto& item : v.items()) {
    const json& value = item.value();
    std::string k = scalarText(json(item.key()));
    if (!isBlock(value)) {
      std::string text = value.is_object() ? "{}" : value.is_array() ? "[]" : scalarText(value);
      out += pad + k + ": " + text + "\n";
    } else if (value.is_array()) {
      out += pad + k + ":\n";
      emit(value, indent, out);
    } else {
      out += pad + k + ":\n";
      emit(value, indent + 2, out);
    }
  }
}

// 0-based lines that start with a document marker ("---" or "...").
std::vector<int> documentMarkerLines(std::string_view text) {
  std::vector<int> lines;
  int line = 0;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    std::string_view l =
        text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if ((l.substr(0, 3) == "---" || l.substr(0, 3) == "...") &&
        (l.size() == 3 || l[3] == ' ' || l[3] == '\t' || l[3] == '\r')) {
      lines.push_back(line);
    }
    if (end == std::string_view::npos) break;
    start = end + 1;
    ++line;
  }
  return lines;
}

// yaml-cpp starts a new document when content follows a finished top-level node without a
// "---" ("- a\nb: c"); YAML calls that an error, so do we, rather than split silently.
Status checkDocumentsAreSeparated(std::string_view text, const std::vector<YAML::Node>& docs) {
  std::vector<int> markers = documentMarkerLines(text);
  int previous = -1;
  for (const YAML::Node& doc : docs) {
    const YAML::Mark mark = doc.Mark();
    if (mark.is_null() || doc.IsNull()) continue;
    if (previous >= 0) {
      bool separated = std::any_of(markers.begin(), markers.end(),
                                   [&](int m) { return m >= previous && m <= mark.line; });
      if (!separated) return errorAt(mark, "unexpected content after the end of a document");
    }
    previous = mark.line;
  }
  return Status::ok();
}

}  // namespace

Result<std::vector<nlohmann::json>> parseYamlStream(std::string_view text) {
  try {
    std::vector<YAML::Node> docs = YAML::LoadAll(std::string(text));
    RETURN_IF_ERROR(checkDocumentsAreSeparated(text, docs));
    std::vector<json> out;
    for (const YAML::Node& doc : docs) {
      size_t budget = kMaxYamlValues;
      ASSIGN_OR_RETURN(json v, toJsonValue(doc, budget, 0));
      if (!v.is_null()) out.push_back(std::move(v));
    }
    return out;
  } catch (const YAML::Exception& e) {
    return errorAt(e.mark, e.msg);
  } catch (const std::exception& e) {
    return badRequest(std::string("yaml: ") + e.what());
  }
}

Result<nlohmann::json> parseYaml(std::string_view text) {
  ASSIGN_OR_RETURN(std::vector<json> docs, parseYamlStream(text));
  if (docs.empty()) return json(nullptr);
  if (docs.size() > 1) {
    return badRequest("yaml: expected a single document, got " + std::to_string(docs.size()));
  }
  return std::move(docs.front());
}

std::string toYaml(const nlohmann::json& value) {
  std::string out;
  if (!isBlock(value)) {
    return (value.is_object()  ? std::string("{}")
            : value.is_array() ? std::string("[]")
                               : scalarText(value)) +
           "\n";
  }
  emit(value, 0, out);
  return out;
}
}  // namespace minik8s::api
