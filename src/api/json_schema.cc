#include "api/json_schema.h"

#include <algorithm>
#include <cmath>
#include <regex>
#include <set>

namespace minik8s::api {
namespace {

using nlohmann::json;

// Deeper schemas or values are not followed (json_input.h limits bodies to 256 levels).
constexpr int kMaxDepth = 300;
// std::regex backtracks recursively; longer strings are not matched against `pattern`.
constexpr size_t kMaxPatternInput = 4096;

const json& member(const json& object, const char* key) {
  static const json kNull;
  if (!object.is_object()) return kNull;
  auto it = object.find(key);
  return it == object.end() ? kNull : *it;
}

bool flag(const json& schema, const char* key) {
  const json& v = member(schema, key);
  return v.is_boolean() && v.get<bool>();
}

std::string typeOf(const json& schema) {
  const json& t = member(schema, "type");
  return t.is_string() ? t.get<std::string>() : "";
}

std::string child(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

std::string index(const std::string& path, size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

std::string body(const std::string& path) {
  return path.empty() ? "body" : path + " in body";
}

// A JSON value's type as Go's JSON decoding names it in Kubernetes' messages.
std::string schemaTypeName(const json& v) {
  switch (v.type()) {
    case json::value_t::null: return "null";
    case json::value_t::boolean: return "boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return "integer";
    case json::value_t::number_float: return "number";
    case json::value_t::string: return "string";
    case json::value_t::array: return "array";
    default: return "object";
  }
}

std::string shown(const json& v) {
  if (v.is_string()) return v.dump();
  std::string s = v.dump();
  if (s.size() > 80) s = s.substr(0, 77) + "...";
  return s;
}

bool isIntegral(const json& v) {
  if (v.is_number_integer()) return true;
  if (!v.is_number_float()) return false;
  double d = v.get<double>();
  return std::isfinite(d) && std::floor(d) == d;
}

bool typeMatches(const std::string& type, const json& v) {
  if (type == "object") return v.is_object();
  if (type == "array") return v.is_array();
  if (type == "string") return v.is_string();
  if (type == "boolean") return v.is_boolean();
  if (type == "integer") return isIntegral(v);
  if (type == "number") return v.is_number();
  return true;  // "" or unknown: validateStructuralSchema refuses unknown types
}

FieldError invalidValue(const std::string& path, const json& value, const std::string& detail) {
  return {path, "FieldValueInvalid", "Invalid value: " + shown(value) + ": " + detail};
}

std::string numberText(const json& v) {
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (std::isfinite(d) && std::floor(d) == d && std::fabs(d) < 1e15) {
      return std::to_string(static_cast<int64_t>(d));
    }
  }
  return v.dump();
}

// --- structural schema -----------------------------------------------------------------

const std::set<std::string>& allowedTypes() {
  static const std::set<std::string> kTypes = {"object",  "array",  "string",
                                               "integer", "number", "boolean"};
  return kTypes;
}

void checkStructural(const json& schema, const std::string& path, bool root, bool in_logic,
                     int depth, std::vector<FieldError>& errors) {
  if (depth > kMaxDepth) {
    errors.push_back({path, "FieldValueInvalid", "Invalid value: the schema is nested too deeply"});
    return;
  }
  if (!schema.is_object()) {
    errors.push_back({path, "FieldValueInvalid",
                      "Invalid value: " + shown(schema) + ": must be a schema object"});
    return;
  }
  if (schema.contains("$ref")) {
    errors.push_back(
        {child(path, "$ref"), "FieldValueForbidden", "Forbidden: $ref is not supported"});
  }
  const json& type = member(schema, "type");
  bool int_or_string = flag(schema, "x-kubernetes-int-or-string");
  bool preserve = flag(schema, "x-kubernetes-preserve-unknown-fields");
  if (!type.is_null() && !type.is_string()) {
    errors.push_back({child(path, "type"), "FieldValueInvalid",
                      "Invalid value: " + shown(type) + ": must be a string"});
  } else if (type.is_string() && allowedTypes().count(type.get<std::string>()) == 0) {
    errors.push_back({child(path, "type"), "FieldValueNotSupported",
                      "Unsupported value: " + shown(type) +
                          ": supported values: \"array\", \"boolean\", \"integer\", \"number\", "
                          "\"object\", \"string\""});
  } else if (type.is_null() && !in_logic && !int_or_string && !preserve) {
    errors.push_back({child(path, "type"), "FieldValueRequired",
                      "Required value: must not be empty for specified " +
                          std::string(root ? "root" : "object") + " fields"});
  }
  if (root && type.is_string() && type != "object") {
    errors.push_back({child(path, "type"), "FieldValueInvalid",
                      "Invalid value: " + shown(type) + ": must be object at the root"});
  }
  if (int_or_string && type.is_string()) {
    errors.push_back({child(path, "type"), "FieldValueInvalid",
                      "Invalid value: " + shown(type) +
                          ": must be empty if x-kubernetes-int-or-string is true"});
  }
  const json& properties = member(schema, "properties");
  const json& additional = member(schema, "additionalProperties");
  if (!properties.is_null()) {
    if (!properties.is_object()) {
      errors.push_back({child(path, "properties"), "FieldValueInvalid",
                        "Invalid value: " + shown(properties) + ": must be an object"});
    } else {
      for (auto it = properties.begin(); it != properties.end(); ++it) {
        if (root && it.key() == "metadata" && it.value().is_object()) {
          // Only name and generateName may be restricted (and type object).
          const json& meta_props = member(it.value(), "properties");
          if (meta_props.is_object()) {
            for (auto m = meta_props.begin(); m != meta_props.end(); ++m) {
              if (m.key() != "name" && m.key() != "generateName") {
                errors.push_back({child(path, "properties[metadata].properties[" + m.key() + "]"),
                                  "FieldValueForbidden", "Forbidden: must not be specified"});
              }
            }
          }
        }
        checkStructural(it.value(), path + ".properties[" + it.key() + "]", false, in_logic,
                        depth + 1, errors);
      }
    }
  }
  if (!additional.is_null()) {
    if (!properties.is_null()) {
      errors.push_back({child(path, "additionalProperties"), "FieldValueForbidden",
                        "Forbidden: additionalProperties and properties are mutual exclusive"});
    }
    if (additional.is_object()) {
      checkStructural(additional, child(path, "additionalProperties"), false, in_logic, depth + 1,
                      errors);
    } else if (additional.is_boolean() && !additional.get<bool>()) {
      errors.push_back({child(path, "additionalProperties"), "FieldValueForbidden",
                        "Forbidden: must not be false"});
    } else if (!additional.is_boolean()) {
      errors.push_back({child(path, "additionalProperties"), "FieldValueInvalid",
                        "Invalid value: " + shown(additional) + ": must be a schema or a boolean"});
    }
  }
  const json& items = member(schema, "items");
  if (!items.is_null()) {
    if (!items.is_object()) {
      errors.push_back({child(path, "items"), "FieldValueForbidden",
                        "Forbidden: items must be a schema object and not an array"});
    } else {
      checkStructural(items, child(path, "items"), false, in_logic, depth + 1, errors);
    }
  } else if (type == "array" && !in_logic) {
    errors.push_back(
        {child(path, "items"), "FieldValueRequired", "Required value: must be specified"});
  }
  for (const char* logic : {"allOf", "anyOf", "oneOf"}) {
    const json& list = member(schema, logic);
    if (list.is_null()) continue;
    if (!list.is_array()) {
      errors.push_back({child(path, logic), "FieldValueInvalid",
                        "Invalid value: " + shown(list) + ": must be an array"});
      continue;
    }
    for (size_t i = 0; i < list.size(); ++i) {
      checkStructural(list[i], index(child(path, logic), i), false, true, depth + 1, errors);
    }
  }
  if (const json& n = member(schema, "not"); !n.is_null()) {
    checkStructural(n, child(path, "not"), false, true, depth + 1, errors);
  }
  const json& required = member(schema, "required");
  if (!required.is_null()) {
    bool ok = required.is_array() && std::all_of(required.begin(), required.end(),
                                                 [](const json& r) { return r.is_string(); });
    if (!ok) {
      errors.push_back({child(path, "required"), "FieldValueInvalid",
                        "Invalid value: " + shown(required) + ": must be a list of strings"});
    }
  }
  const json& e = member(schema, "enum");
  if (!e.is_null() && !e.is_array()) {
    errors.push_back({child(path, "enum"), "FieldValueInvalid",
                      "Invalid value: " + shown(e) + ": must be an array"});
  }
  for (const char* number : {"minimum", "maximum", "multipleOf"}) {
    const json& v = member(schema, number);
    if (!v.is_null() && !v.is_number()) {
      errors.push_back({child(path, number), "FieldValueInvalid",
                        "Invalid value: " + shown(v) + ": must be a number"});
    }
  }
  for (const char* count :
       {"minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties"}) {
    const json& v = member(schema, count);
    if (!v.is_null() && !(v.is_number_integer() && v.get<int64_t>() >= 0)) {
      errors.push_back({child(path, count), "FieldValueInvalid",
                        "Invalid value: " + shown(v) + ": must be a non-negative integer"});
    }
  }
  const json& pattern = member(schema, "pattern");
  if (!pattern.is_null()) {
    bool ok = pattern.is_string();
    if (ok) {
      try {
        std::regex re(pattern.get<std::string>(), std::regex::ECMAScript);
      } catch (const std::exception&) {
        ok = false;
      }
    }
    if (!ok) {
      errors.push_back(
          {child(path, "pattern"), "FieldValueInvalid",
           "Invalid value: " + shown(pattern) + ": must be a valid regular expression"});
    }
  }
  if (const json& d = member(schema, "default"); !d.is_null() && !in_logic) {
    if (root) {
      errors.push_back({child(path, "default"), "FieldValueForbidden",
                        "Forbidden: must not be specified at the root"});
    } else {
      for (FieldError& err : validateAgainstSchema(schema, d, child(path, "default"))) {
        errors.push_back(std::move(err));
      }
    }
  }
}

// --- pruning and defaulting ---------------------------------------------------------------

void prune(const json& schema, json& value, std::vector<std::string>* pruned,
           const std::string& path, int depth) {
  if (depth > kMaxDepth || !schema.is_object()) return;
  if (value.is_object()) {
    const json& properties = member(schema, "properties");
    const json& additional = member(schema, "additionalProperties");
    bool preserve = flag(schema, "x-kubernetes-preserve-unknown-fields");
    if (additional.is_object()) {
      for (auto it = value.begin(); it != value.end(); ++it) {
        prune(additional, it.value(), pruned, child(path, it.key()), depth + 1);
      }
      return;
    }
    // A schema without properties keeps nothing unless it preserves unknown fields.
    bool keep_all = preserve || (additional.is_boolean() && additional.get<bool>());
    std::vector<std::string> unknown;
    for (auto it = value.begin(); it != value.end(); ++it) {
      const json& sub = member(properties, it.key().c_str());
      if (sub.is_null() && !(properties.is_object() && properties.contains(it.key()))) {
        if (!keep_all) unknown.push_back(it.key());
        continue;
      }
      prune(sub, it.value(), pruned, child(path, it.key()), depth + 1);
    }
    for (const std::string& key : unknown) {
      value.erase(key);
      if (pruned) pruned->push_back(child(path, key));
    }
    return;
  }
  if (value.is_array()) {
    const json& items = member(schema, "items");
    if (!items.is_object()) return;
    for (size_t i = 0; i < value.size(); ++i) {
      prune(items, value[i], pruned, index(path, i), depth + 1);
    }
  }
}

void defaults(const json& schema, json& value, int depth) {
  if (depth > kMaxDepth || !schema.is_object()) return;
  if (value.is_object()) {
    const json& properties = member(schema, "properties");
    if (properties.is_object()) {
      for (auto it = properties.begin(); it != properties.end(); ++it) {
        const json& d = member(it.value(), "default");
        if (d.is_null()) continue;
        auto present = value.find(it.key());
        if (present == value.end() || (present->is_null() && !flag(it.value(), "nullable"))) {
          value[it.key()] = d;
        }
      }
      for (auto it = properties.begin(); it != properties.end(); ++it) {
        auto present = value.find(it.key());
        if (present != value.end()) defaults(it.value(), *present, depth + 1);
      }
    }
    const json& additional = member(schema, "additionalProperties");
    if (additional.is_object()) {
      for (auto it = value.begin(); it != value.end(); ++it) defaults(additional, *it, depth + 1);
    }
    return;
  }
  if (value.is_array()) {
    const json& items = member(schema, "items");
    if (!items.is_object()) return;
    for (json& item : value) defaults(items, item, depth + 1);
  }
}

// --- validation -----------------------------------------------------------------------------

void check(const json& schema, const json& value, const std::string& path, int depth,
           std::vector<FieldError>& errors) {
  if (depth > kMaxDepth || !schema.is_object()) return;
  std::string type = typeOf(schema);
  if (value.is_null()) {
    if (flag(schema, "nullable") ||
        (type.empty() && flag(schema, "x-kubernetes-preserve-unknown-fields"))) {
      return;
    }
    if (!type.empty() || flag(schema, "x-kubernetes-int-or-string")) {
      errors.push_back(invalidValue(path, "null",
                                    body(path) + " must be of type " +
                                        (type.empty() ? std::string("integer,string") : type) +
                                        ": \"null\""));
      return;
    }
  }
  if (flag(schema, "x-kubernetes-int-or-string")) {
    if (!isIntegral(value) && !value.is_string() && !value.is_null()) {
      errors.push_back(invalidValue(
          path, schemaTypeName(value),
          body(path) + " must be of type integer,string: \"" + schemaTypeName(value) + "\""));
      return;
    }
  } else if (!type.empty() && !typeMatches(type, value)) {
    errors.push_back(invalidValue(
        path, schemaTypeName(value),
        body(path) + " must be of type " + type + ": \"" + schemaTypeName(value) + "\""));
    return;
  }
  if (const json& e = member(schema, "enum"); e.is_array() && !e.empty()) {
    if (std::find(e.begin(), e.end(), value) == e.end()) {
      std::string supported;
      for (size_t i = 0; i < e.size(); ++i) supported += (i ? ", " : "") + shown(e[i]);
      errors.push_back({path, "FieldValueNotSupported",
                        "Unsupported value: " + shown(value) + ": supported values: " + supported});
    }
  }
  if (value.is_number()) {
    double v = value.get<double>();
    const json& min = member(schema, "minimum");
    const json& max = member(schema, "maximum");
    if (min.is_number()) {
      bool exclusive = flag(schema, "exclusiveMinimum");
      double m = min.get<double>();
      if (exclusive ? v <= m : v < m) {
        errors.push_back(invalidValue(path, value,
                                      body(path) + " should be greater than " +
                                          (exclusive ? "" : "or equal to ") + numberText(min)));
      }
    }
    if (max.is_number()) {
      bool exclusive = flag(schema, "exclusiveMaximum");
      double m = max.get<double>();
      if (exclusive ? v >= m : v > m) {
        errors.push_back(invalidValue(path, value,
                                      body(path) + " should be less than " +
                                          (exclusive ? "" : "or equal to ") + numberText(max)));
      }
    }
    const json& multiple = member(schema, "multipleOf");
    if (multiple.is_number() && multiple.get<double>() > 0) {
      double q = v / multiple.get<double>();
      if (std::floor(q) != q) {
        errors.push_back(invalidValue(
            path, value, body(path) + " should be a multiple of " + numberText(multiple)));
      }
    }
  }
  if (value.is_string()) {
    const std::string& s = value.get_ref<const std::string&>();
    // Kubernetes counts characters (runes), not bytes.
    size_t chars = 0;
    for (unsigned char c : s) chars += (c & 0xC0) != 0x80;
    const json& min_len = member(schema, "minLength");
    const json& max_len = member(schema, "maxLength");
    if (max_len.is_number_integer() && static_cast<int64_t>(chars) > max_len.get<int64_t>()) {
      errors.push_back(
          {path, "FieldValueTooLong",
           "Too long: may not be more than " + std::to_string(max_len.get<int64_t>()) + " bytes"});
    }
    if (min_len.is_number_integer() && static_cast<int64_t>(chars) < min_len.get<int64_t>()) {
      errors.push_back(invalidValue(path, value,
                                    body(path) + " should be at least " +
                                        std::to_string(min_len.get<int64_t>()) + " chars long"));
    }
    const json& pattern = member(schema, "pattern");
    if (pattern.is_string() && s.size() <= kMaxPatternInput) {
      try {
        std::regex re(pattern.get<std::string>(), std::regex::ECMAScript);
        if (!std::regex_search(s, re)) {
          errors.push_back(invalidValue(
              path, value, body(path) + " should match '" + pattern.get<std::string>() + "'"));
        }
      } catch (const std::exception&) {
        // An invalid pattern is the CRD's error (validateStructuralSchema).
      }
    }
  }
  if (value.is_array()) {
    const json& min_items = member(schema, "minItems");
    const json& max_items = member(schema, "maxItems");
    if (max_items.is_number_integer() &&
        static_cast<int64_t>(value.size()) > max_items.get<int64_t>()) {
      errors.push_back({path, "FieldValueTooMany",
                        "Too many: " + std::to_string(value.size()) + ": must have at most " +
                            std::to_string(max_items.get<int64_t>()) + " items"});
    }
    if (min_items.is_number_integer() &&
        static_cast<int64_t>(value.size()) < min_items.get<int64_t>()) {
      errors.push_back(invalidValue(path, static_cast<int64_t>(value.size()),
                                    body(path) + " should have at least " +
                                        std::to_string(min_items.get<int64_t>()) + " items"));
    }
    if (flag(schema, "uniqueItems")) {
      for (size_t i = 0; i < value.size(); ++i) {
        for (size_t j = 0; j < i; ++j) {
          if (value[i] == value[j]) {
            errors.push_back(
                {index(path, i), "FieldValueDuplicate", "Duplicate value: " + shown(value[i])});
            j = i;
          }
        }
      }
    }
    const json& items = member(schema, "items");
    if (items.is_object()) {
      for (size_t i = 0; i < value.size(); ++i) {
        check(items, value[i], index(path, i), depth + 1, errors);
      }
    }
  }
  if (value.is_object()) {
    const json& required = member(schema, "required");
    if (required.is_array()) {
      for (const json& r : required) {
        if (r.is_string() && !value.contains(r.get<std::string>())) {
          errors.push_back(
              {child(path, r.get<std::string>()), "FieldValueRequired", "Required value"});
        }
      }
    }
    const json& properties = member(schema, "properties");
    const json& additional = member(schema, "additionalProperties");
    for (auto it = value.begin(); it != value.end(); ++it) {
      const json& sub = member(properties, it.key().c_str());
      if (sub.is_object()) {
        check(sub, it.value(), child(path, it.key()), depth + 1, errors);
      } else if (additional.is_object()) {
        check(additional, it.value(), child(path, it.key()), depth + 1, errors);
      }
    }
    for (const char* bound : {"minProperties", "maxProperties"}) {
      const json& b = member(schema, bound);
      if (!b.is_number_integer()) continue;
      int64_t n = static_cast<int64_t>(value.size()), limit = b.get<int64_t>();
      bool is_min = bound[1] == 'i';
      if (is_min ? n < limit : n > limit) {
        errors.push_back(invalidValue(path, n,
                                      body(path) + " should have " +
                                          (is_min ? "at least " : "at most ") +
                                          std::to_string(limit) + " properties"));
      }
    }
  }
  if (const json& all = member(schema, "allOf"); all.is_array()) {
    for (const json& s : all) check(s, value, path, depth + 1, errors);
  }
  if (const json& any = member(schema, "anyOf"); any.is_array() && !any.empty()) {
    bool matched = false;
    for (const json& s : any) {
      std::vector<FieldError> sub;
      check(s, value, path, depth + 1, sub);
      if (sub.empty()) {
        matched = true;
        break;
      }
    }
    if (!matched) {
      errors.push_back(
          invalidValue(path, value, body(path) + " must validate at least one schema (anyOf)"));
    }
  }
  if (const json& one = member(schema, "oneOf"); one.is_array() && !one.empty()) {
    int matched = 0;
    for (const json& s : one) {
      std::vector<FieldError> sub;
      check(s, value, path, depth + 1, sub);
      if (sub.empty()) ++matched;
    }
    if (matched != 1) {
      errors.push_back(
          invalidValue(path, value, body(path) + " must validate one and only one schema (oneOf)"));
    }
  }
  if (const json& n = member(schema, "not"); n.is_object()) {
    std::vector<FieldError> sub;
    check(n, value, path, depth + 1, sub);
    if (sub.empty()) {
      errors.push_back(
          invalidValue(path, value, body(path) + " must not validate the schema (not)"));
    }
  }
}

}  // namespace

std::vector<FieldError> validateStructuralSchema(const json& schema, const std::string& path,
                                                 bool root) {
  std::vector<FieldError> errors;
  try {
    checkStructural(schema, path, root, false, 0, errors);
  } catch (const std::exception& e) {
    errors.push_back({path, "InternalError", std::string("Internal error: ") + e.what()});
  }
  return errors;
}

void pruneUnknownFields(const json& schema, json& value, std::vector<std::string>* pruned,
                        const std::string& path) {
  try {
    prune(schema, value, pruned, path, 0);
  } catch (const std::exception&) {
  }
}

void applySchemaDefaults(const json& schema, json& value) {
  try {
    defaults(schema, value, 0);
  } catch (const std::exception&) {
  }
}

std::vector<FieldError> validateAgainstSchema(const json& schema, const json& value,
                                              const std::string& path) {
  std::vector<FieldError> errors;
  try {
    check(schema, value, path, 0, errors);
  } catch (const std::exception& e) {
    errors.push_back({path, "InternalError", std::string("Internal error: ") + e.what()});
  }
  return errors;
}

}  // namespace minik8s::api
