#include "api/yaml.h"

#include <yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>
#include <optional>
#include <vector>
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

// ---- parsing (libyaml events -> json) ----

Status errorAt(size_t line, size_t column, const std::string& problem) {
  return badRequest("yaml: line " + std::to_string(line + 1) + ", column " +
                    std::to_string(column + 1) + ": " + problem);
}

Status parserError(const yaml_parser_t& parser) {
  std::string problem = parser.problem ? parser.problem : "invalid YAML";
  if (parser.context) problem = std::string(parser.context) + ": " + problem;
  return errorAt(parser.problem_mark.line, parser.problem_mark.column, problem);
}

// How many values `v` holds, counting no further than `limit`.
size_t countValues(const json& v, size_t limit) {
  size_t n = 0;
  std::vector<const json*> todo{&v};
  while (!todo.empty() && n <= limit) {
    const json* cur = todo.back();
    todo.pop_back();
    ++n;
    if (cur->is_structured()) {
      for (const auto& child : *cur) todo.push_back(&child);
    }
  }
  return n;
}

// A scalar event's value: plain scalars are typed (YAML 1.2 core schema), quoted and block
// scalars stay strings, explicit standard tags are honoured.
Result<json> scalarValue(const yaml_event_t& event) {
  const auto& sc = event.data.scalar;
  std::string text(reinterpret_cast<const char*>(sc.value), sc.length);
  std::string tag = sc.tag ? reinterpret_cast<const char*>(sc.tag) : "";
  if (tag.empty()) {
    if (sc.style == YAML_PLAIN_SCALAR_STYLE) return plainScalar(text);
    return json(text);
  }
  if (tag == "!" || tag == "tag:yaml.org,2002:str") return json(text);
  if (tag == "tag:yaml.org,2002:int" || tag == "tag:yaml.org,2002:float" ||
      tag == "tag:yaml.org,2002:bool" || tag == "tag:yaml.org,2002:null") {
    json v = plainScalar(text);
    if (v.is_string()) {
      return errorAt(event.start_mark.line, event.start_mark.column,
                     "cannot read \"" + text + "\" as " + tag.substr(18));
    }
    return v;
  }
  return json(text);  // unknown local tags: keep the text
}

// Builds the documents of one stream from parser events. Owns the anchors of the current
// document and the stack of open collections.
class DocumentBuilder {
 public:
  Status onEvent(const yaml_event_t& event) {
    switch (event.type) {
      case YAML_DOCUMENT_START_EVENT:
        root_.reset();
        anchors_.clear();
        return Status::ok();
      case YAML_DOCUMENT_END_EVENT:
        if (root_ && !root_->is_null()) docs_.push_back(std::move(*root_));
        root_.reset();
        return Status::ok();
      case YAML_SCALAR_EVENT: {
        if (expectingKey()) {
          std::string key(reinterpret_cast<const char*>(event.data.scalar.value),
                          event.data.scalar.length);
          stack_.back().key = std::move(key);
          return charge(1, event);
        }
        ASSIGN_OR_RETURN(json v, scalarValue(event));
        return add(std::move(v), anchorOf(event.data.scalar.anchor), 1, event);
      }
      case YAML_SEQUENCE_START_EVENT:
      case YAML_MAPPING_START_EVENT: {
        if (expectingKey()) {
          return errorAt(event.start_mark.line, event.start_mark.column,
                         "mapping keys must be scalars");
        }
        if (stack_.size() >= static_cast<size_t>(kMaxJsonDepth)) {
          return errorAt(event.start_mark.line, event.start_mark.column,
                         "nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
        }
        bool is_map = event.type == YAML_MAPPING_START_EVENT;
        const yaml_char_t* anchor = is_map ? event.data.mapping_start.anchor
                                           : event.data.sequence_start.anchor;
        stack_.push_back(Frame{is_map ? json::object() : json::array(), is_map, std::nullopt,
                               anchorOf(anchor)});
        return charge(1, event);
      }
      case YAML_SEQUENCE_END_EVENT:
      case YAML_MAPPING_END_EVENT: {
        Frame done = std::move(stack_.back());
        stack_.pop_back();
        return add(std::move(done.value), done.anchor, 0, event);
      }
      case YAML_ALIAS_EVENT: {
        std::string name = reinterpret_cast<const char*>(event.data.alias.anchor);
        auto it = anchors_.find(name);
        if (it == anchors_.end()) {
          return errorAt(event.start_mark.line, event.start_mark.column,
                         "unknown anchor \"" + name + "\"");
        }
        if (expectingKey()) {
          if (!it->second.is_string()) {
            return errorAt(event.start_mark.line, event.start_mark.column,
                           "mapping keys must be scalars");
          }
          stack_.back().key = it->second.get<std::string>();
          return charge(1, event);
        }
        json copy = it->second;
        return add(std::move(copy), "", countValues(it->second, budget_ + 1), event);
      }
      default:
        return Status::ok();
    }
  }

  std::vector<json> takeDocuments() { return std::move(docs_); }

 private:
  struct Frame {
    json value;
    bool is_map;
    std::optional<std::string> key;  // maps: the key waiting for its value
    std::string anchor;
  };

  static std::string anchorOf(const yaml_char_t* anchor) {
    return anchor ? reinterpret_cast<const char*>(anchor) : "";
  }

  bool expectingKey() const {
    return !stack_.empty() && stack_.back().is_map && !stack_.back().key;
  }

  Status charge(size_t values, const yaml_event_t& event) {
    if (values > budget_) {
      return errorAt(event.start_mark.line, event.start_mark.column,
                     "the document expands to more than " + std::to_string(kMaxYamlValues) +
                         " values (alias bomb?)");
    }
    budget_ -= values;
    return Status::ok();
  }

  Status add(json value, const std::string& anchor, size_t values, const yaml_event_t& event) {
    RETURN_IF_ERROR(charge(values, event));
    if (!anchor.empty()) anchors_[anchor] = value;
    if (stack_.empty()) {
      root_ = std::move(value);
      return Status::ok();
    }
    Frame& top = stack_.back();
    if (top.is_map) {
      top.value[*top.key] = std::move(value);
      top.key.reset();
    } else {
      top.value.push_back(std::move(value));
    }
    return Status::ok();
  }

  std::vector<Frame> stack_;
  std::map<std::string, json> anchors_;
  std::optional<json> root_;
  std::vector<json> docs_;
  size_t budget_ = kMaxYamlValues;
};

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

}  // namespace

Result<std::vector<nlohmann::json>> parseYamlStream(std::string_view text) {
  yaml_parser_t parser;
  if (!yaml_parser_initialize(&parser)) return internalError("yaml: out of memory");
  yaml_parser_set_input_string(&parser, reinterpret_cast<const unsigned char*>(text.data()),
                               text.size());
  DocumentBuilder builder;
  Status status;
  for (bool done = false; !done && status.isOk();) {
    yaml_event_t event;
    if (!yaml_parser_parse(&parser, &event)) {
      status = parserError(parser);
      break;
    }
    done = event.type == YAML_STREAM_END_EVENT;
    status = builder.onEvent(event);
    yaml_event_delete(&event);
  }
  yaml_parser_delete(&parser);
  if (!status.isOk()) return status;
  return builder.takeDocuments();
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
