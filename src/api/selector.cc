#include "api/selector.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "api/chars.h"

namespace minik8s::api {

using nlohmann::json;

namespace {

// [A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?, at most 63 characters.
std::string checkNamePart(std::string_view s) {
  if (s.empty()) return "name part must be non-empty";
  if (s.size() > 63) return "name part must be no more than 63 characters";
  bool inner_ok = std::all_of(
      s.begin(), s.end(), [](char c) { return isAsciiAlnum(c) || c == '-' || c == '_' || c == '.'; });
  if (!inner_ok || !isAsciiAlnum(s.front()) || !isAsciiAlnum(s.back())) {
    return "name part must consist of alphanumeric characters, '-', '_' or '.', and must start "
           "and end with an alphanumeric character";
  }
  return "";
}

// A lower-case RFC 1123 subdomain.
std::string checkDnsSubdomain(std::string_view s) {
  if (s.empty()) return "prefix part must be non-empty";
  if (s.size() > 253) return "prefix part must be no more than 253 characters";
  size_t start = 0;
  while (start <= s.size()) {
    size_t dot = s.find('.', start);
    std::string_view label = s.substr(start, dot == std::string_view::npos ? s.npos : dot - start);
    bool ok = !label.empty() && std::isalnum(static_cast<unsigned char>(label.front())) &&
              std::isalnum(static_cast<unsigned char>(label.back())) &&
              std::all_of(label.begin(), label.end(), [](char c) {
                return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
              });
    if (!ok) {
      return "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
             "characters, '-' or '.', and must start and end with an alphanumeric character";
    }
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return "";
}

// Validates and canonicalises one requirement.
Status finishRequirement(LabelRequirement& r) {
  if (std::string why = checkLabelKey(r.key); !why.empty()) {
    return badRequest("unable to parse requirement: invalid label key \"" + r.key + "\": " + why);
  }
  switch (r.op) {
    case SelectorOperator::kEquals:
    case SelectorOperator::kNotEquals:
      if (r.values.size() != 1) {
        return badRequest(
            "unable to parse requirement: exact-match compatibility requires one "
            "single value");
      }
      break;
    case SelectorOperator::kIn:
    case SelectorOperator::kNotIn:
      if (r.values.empty()) {
        return badRequest(
            "unable to parse requirement: for 'in', 'notin' operators, values set "
            "can't be empty");
      }
      break;
    case SelectorOperator::kExists:
    case SelectorOperator::kDoesNotExist:
      if (!r.values.empty()) {
        return badRequest(
            "unable to parse requirement: values set must be empty for exists and "
            "does not exist");
      }
      break;
  }
  for (const std::string& v : r.values) {
    if (std::string why = checkLabelValue(v); !why.empty()) {
      return badRequest("unable to parse requirement: invalid label value \"" + v + "\": " + why);
    }
  }
  std::sort(r.values.begin(), r.values.end());
  r.values.erase(std::unique(r.values.begin(), r.values.end()), r.values.end());
  return Status::ok();
}

// Tokens of the label selector query language.
enum class Tok { kEnd, kIdent, kComma, kEq, kDoubleEq, kNotEq, kBang, kOpen, kClose, kOther };

struct Token {
  Tok kind;
  std::string text;
};

bool isSpecial(char c) {
  return std::isspace(static_cast<unsigned char>(c)) || c == ',' || c == '=' || c == '!' ||
         c == '(' || c == ')' || c == '<' || c == '>';
}

class Lexer {
 public:
  explicit Lexer(std::string_view s) : s_(s) {}

  Token next() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
    if (pos_ >= s_.size()) return {Tok::kEnd, ""};
    char c = s_[pos_];
    auto take = [&](Tok t, size_t n) {
      Token tok{t, std::string(s_.substr(pos_, n))};
      pos_ += n;
      return tok;
    };
    switch (c) {
      case ',': return take(Tok::kComma, 1);
      case '(': return take(Tok::kOpen, 1);
      case ')': return take(Tok::kClose, 1);
      case '=':
        return pos_ + 1 < s_.size() && s_[pos_ + 1] == '=' ? take(Tok::kDoubleEq, 2)
                                                           : take(Tok::kEq, 1);
      case '!':
        return pos_ + 1 < s_.size() && s_[pos_ + 1] == '=' ? take(Tok::kNotEq, 2)
                                                           : take(Tok::kBang, 1);
      case '<':
      case '>': return take(Tok::kOther, 1);
      default: break;
    }
    size_t end = pos_;
    while (end < s_.size() && !isSpecial(s_[end])) ++end;
    return take(Tok::kIdent, end - pos_);
  }

  Token peek() {
    size_t saved = pos_;
    Token t = next();
    pos_ = saved;
    return t;
  }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

std::string describe(const Token& t) {
  return t.kind == Tok::kEnd ? std::string("end of string") : "'" + t.text + "'";
}

Status parseError(const Token& found, std::string_view expected) {
  return badRequest("unable to parse requirement: found " + describe(found) +
                    ", expected: " + std::string(expected));
}

// values := "(" [value ("," value)*] ")"
Status parseValueSet(Lexer& lex, std::vector<std::string>* out) {
  Token open = lex.next();
  if (open.kind != Tok::kOpen) return parseError(open, "'('");
  Token t = lex.next();
  if (t.kind == Tok::kClose) return Status::ok();
  while (true) {
    if (t.kind == Tok::kIdent) {
      out->push_back(t.text);
      t = lex.next();
    } else if (t.kind == Tok::kComma || t.kind == Tok::kClose) {
      out->push_back("");  // an empty value between separators
    } else {
      return parseError(t, "',', ')' or identifier");
    }
    if (t.kind == Tok::kClose) return Status::ok();
    if (t.kind != Tok::kComma) return parseError(t, "',' or ')'");
    t = lex.next();
  }
}

Result<LabelRequirement> parseRequirement(Lexer& lex) {
  LabelRequirement r;
  Token t = lex.next();
  if (t.kind == Tok::kBang) {
    Token key = lex.next();
    if (key.kind != Tok::kIdent) return parseError(key, "identifier");
    r.key = key.text;
    r.op = SelectorOperator::kDoesNotExist;
    RETURN_IF_ERROR(finishRequirement(r));
    return r;
  }
  if (t.kind != Tok::kIdent) return parseError(t, "'!' or identifier");
  r.key = t.text;
  Token op = lex.peek();
  if (op.kind == Tok::kEnd || op.kind == Tok::kComma) {
    r.op = SelectorOperator::kExists;
    RETURN_IF_ERROR(finishRequirement(r));
    return r;
  }
  lex.next();
  if (op.kind == Tok::kEq || op.kind == Tok::kDoubleEq || op.kind == Tok::kNotEq) {
    r.op = op.kind == Tok::kNotEq ? SelectorOperator::kNotEquals : SelectorOperator::kEquals;
    Token value = lex.peek();
    if (value.kind == Tok::kIdent) {
      lex.next();
      r.values.push_back(value.text);
    } else if (value.kind == Tok::kEnd || value.kind == Tok::kComma) {
      r.values.push_back("");  // `a=` selects an empty value
    } else {
      return parseError(value, "identifier");
    }
  } else if (op.kind == Tok::kIdent && (op.text == "in" || op.text == "notin")) {
    r.op = op.text == "in" ? SelectorOperator::kIn : SelectorOperator::kNotIn;
    RETURN_IF_ERROR(parseValueSet(lex, &r.values));
  } else {
    return parseError(op, "'=', '!=', '==', 'in', 'notin'");
  }
  RETURN_IF_ERROR(finishRequirement(r));
  return r;
}

std::map<std::string, std::string> labelsOf(const json& object) {
  std::map<std::string, std::string> labels;
  if (!object.is_object()) return labels;
  auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) return labels;
  auto l = meta->find("labels");
  if (l == meta->end() || !l->is_object()) return labels;
  for (auto it = l->begin(); it != l->end(); ++it) {
    if (it.value().is_string()) labels[it.key()] = it.value().get<std::string>();
  }
  return labels;
}

}  // namespace

std::string checkLabelKey(std::string_view key) {
  size_t slash = key.find('/');
  if (slash == std::string_view::npos) return checkNamePart(key);
  if (key.find('/', slash + 1) != std::string_view::npos) {
    return "a qualified name must consist of an optional DNS subdomain prefix and a name, "
           "separated by '/'";
  }
  if (std::string why = checkDnsSubdomain(key.substr(0, slash)); !why.empty()) return why;
  return checkNamePart(key.substr(slash + 1));
}

std::string checkLabelValue(std::string_view value) {
  if (value.empty()) return "";
  std::string why = checkNamePart(value);
  if (why.empty()) return "";
  return value.size() > 63 ? "must be no more than 63 characters"
                           : "a valid label must be an empty string or consist of alphanumeric "
                             "characters, '-', '_' or '.', and must start and end with an "
                             "alphanumeric character";
}

bool LabelRequirement::matches(const std::map<std::string, std::string>& labels) const {
  auto it = labels.find(key);
  bool has = it != labels.end();
  auto in_values = [&] {
    return has && std::binary_search(values.begin(), values.end(), it->second);
  };
  switch (op) {
    case SelectorOperator::kEquals:
    case SelectorOperator::kIn: return in_values();
    case SelectorOperator::kNotEquals:
    case SelectorOperator::kNotIn: return !in_values();
    case SelectorOperator::kExists: return has;
    case SelectorOperator::kDoesNotExist: return !has;
  }
  return false;
}

std::string LabelRequirement::toString() const {
  auto joined = [&] {
    std::string s;
    for (const std::string& v : values) s += (s.empty() ? "" : ",") + v;
    return s;
  };
  switch (op) {
    case SelectorOperator::kEquals: return key + "=" + joined();
    case SelectorOperator::kNotEquals: return key + "!=" + joined();
    case SelectorOperator::kIn: return key + " in (" + joined() + ")";
    case SelectorOperator::kNotIn: return key + " notin (" + joined() + ")";
    case SelectorOperator::kExists: return key;
    case SelectorOperator::kDoesNotExist: return "!" + key;
  }
  return key;
}

LabelSelector LabelSelector::nothing() {
  LabelSelector s;
  s.nothing_ = true;
  return s;
}

void LabelSelector::add(LabelRequirement requirement) {
  // Stable by key, so that toString() is canonical but equal keys keep their order.
  auto pos = std::upper_bound(
      requirements_.begin(), requirements_.end(), requirement,
      [](const LabelRequirement& a, const LabelRequirement& b) { return a.key < b.key; });
  requirements_.insert(pos, std::move(requirement));
}

Result<LabelSelector> LabelSelector::parse(std::string_view query) {
  LabelSelector selector;
  Lexer lex(query);
  if (lex.peek().kind == Tok::kEnd) return selector;
  while (true) {
    ASSIGN_OR_RETURN(LabelRequirement r, parseRequirement(lex));
    selector.add(std::move(r));
    Token t = lex.next();
    if (t.kind == Tok::kEnd) return selector;
    if (t.kind != Tok::kComma) return parseError(t, "',' or end of string");
  }
}

Result<LabelSelector> LabelSelector::fromJson(const json& selector) {
  if (selector.is_null()) return nothing();
  if (!selector.is_object()) return badRequest("label selector: expected an object");
  LabelSelector result;
  if (auto ml = selector.find("matchLabels"); ml != selector.end() && !ml->is_null()) {
    if (!ml->is_object()) return badRequest("label selector: matchLabels must be an object");
    for (auto it = ml->begin(); it != ml->end(); ++it) {
      if (!it.value().is_string()) {
        return badRequest("label selector: matchLabels." + it.key() + " must be a string");
      }
      LabelRequirement r{it.key(), SelectorOperator::kEquals, {it.value().get<std::string>()}};
      RETURN_IF_ERROR(finishRequirement(r));
      result.add(std::move(r));
    }
  }
  if (auto me = selector.find("matchExpressions"); me != selector.end() && !me->is_null()) {
    if (!me->is_array()) return badRequest("label selector: matchExpressions must be a list");
    for (const json& e : *me) {
      if (!e.is_object() || !e.contains("key") || !e["key"].is_string() ||
          !e.contains("operator") || !e["operator"].is_string()) {
        return badRequest("label selector: each matchExpression needs a string key and operator");
      }
      LabelRequirement r;
      r.key = e["key"].get<std::string>();
      std::string op = e["operator"].get<std::string>();
      if (op == "In") {
        r.op = SelectorOperator::kIn;
      } else if (op == "NotIn") {
        r.op = SelectorOperator::kNotIn;
      } else if (op == "Exists") {
        r.op = SelectorOperator::kExists;
      } else if (op == "DoesNotExist") {
        r.op = SelectorOperator::kDoesNotExist;
      } else {
        return badRequest("\"" + op + "\" is not a valid label selector operator");
      }
      if (auto vals = e.find("values"); vals != e.end() && !vals->is_null()) {
        if (!vals->is_array()) return badRequest("label selector: values must be a list");
        for (const json& v : *vals) {
          if (!v.is_string()) return badRequest("label selector: values must be strings");
          r.values.push_back(v.get<std::string>());
        }
      }
      RETURN_IF_ERROR(finishRequirement(r));
      result.add(std::move(r));
    }
  }
  return result;
}

Result<LabelSelector> LabelSelector::fromMap(const json& map) {
  if (map.is_null()) return nothing();
  if (!map.is_object()) return badRequest("selector: expected a map of labels");
  LabelSelector result;
  for (auto it = map.begin(); it != map.end(); ++it) {
    if (!it.value().is_string()) return badRequest("selector." + it.key() + " must be a string");
    LabelRequirement r{it.key(), SelectorOperator::kEquals, {it.value().get<std::string>()}};
    RETURN_IF_ERROR(finishRequirement(r));
    result.add(std::move(r));
  }
  return result;
}

bool LabelSelector::matches(const std::map<std::string, std::string>& labels) const {
  if (nothing_) return false;
  return std::all_of(requirements_.begin(), requirements_.end(),
                     [&](const LabelRequirement& r) { return r.matches(labels); });
}

bool LabelSelector::matchesObject(const json& object) const {
  if (nothing_) return false;
  if (requirements_.empty()) return true;
  return matches(labelsOf(object));
}

std::string LabelSelector::toString() const {
  std::string s;
  for (const LabelRequirement& r : requirements_) s += (s.empty() ? "" : ",") + r.toString();
  return s;
}

// ---------------------------------------------------------------------------------------
// Field selectors

namespace {

// Splits on unescaped `sep`, keeping escapes in the pieces.
std::vector<std::string> splitUnescaped(std::string_view s, char sep) {
  std::vector<std::string> out(1);
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      out.back() += s[i];
      out.back() += s[++i];
    } else if (s[i] == sep) {
      out.emplace_back();
    } else {
      out.back() += s[i];
    }
  }
  return out;
}

std::string unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) ++i;
    out += s[i];
  }
  return out;
}

std::string escapeValue(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\\' || c == ',' || c == '=') out += '\\';
    out += c;
  }
  return out;
}

// Position of the first unescaped occurrence of `op`, or npos.
size_t findUnescaped(std::string_view s, std::string_view op) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
      continue;
    }
    if (s.substr(i, op.size()) == op) return i;
  }
  return std::string_view::npos;
}

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

}  // namespace

Result<FieldSelector> FieldSelector::parse(std::string_view query) {
  FieldSelector selector;
  if (trim(query).empty()) return selector;
  for (const std::string& term : splitUnescaped(query, ',')) {
    std::string t = trim(term);
    if (t.empty()) continue;
    FieldRequirement r;
    size_t pos;
    size_t op_len;
    // Operators in the order Kubernetes tries them.
    if ((pos = findUnescaped(t, "!=")) != std::string::npos) {
      r.negated = true;
      op_len = 2;
    } else if ((pos = findUnescaped(t, "==")) != std::string::npos) {
      op_len = 2;
    } else if ((pos = findUnescaped(t, "=")) != std::string::npos) {
      op_len = 1;
    } else {
      return badRequest("invalid selector: '" + std::string(query) + "'; can't understand '" + t +
                        "'");
    }
    r.field = trim(t.substr(0, pos));
    r.value = unescape(trim(t.substr(pos + op_len)));
    if (r.field.empty()) {
      return badRequest("invalid selector: '" + std::string(query) + "'; empty field in '" + t +
                        "'");
    }
    selector.requirements_.push_back(std::move(r));
  }
  return selector;
}

Result<FieldSelector> FieldSelector::parse(std::string_view query, const ResourceInfo& resource) {
  ASSIGN_OR_RETURN(FieldSelector selector, parse(query));
  std::vector<std::string> fields = supportedFields(resource.plural);
  for (const FieldRequirement& r : selector.requirements_) {
    if (std::find(fields.begin(), fields.end(), r.field) == fields.end()) {
      return badRequest("field label not supported: " + r.field);
    }
  }
  return selector;
}

std::vector<std::string> FieldSelector::supportedFields(std::string_view plural) {
  std::vector<std::string> fields = {"metadata.name", "metadata.namespace"};
  auto add = [&](std::initializer_list<const char*> more) {
    fields.insert(fields.end(), more.begin(), more.end());
  };
  if (plural == "pods") {
    add({"spec.nodeName", "spec.schedulerName", "spec.restartPolicy", "spec.serviceAccountName",
         "status.phase", "status.podIP", "status.nominatedNodeName"});
  } else if (plural == "events") {
    add({"involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
         "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
         "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type"});
  } else if (plural == "nodes") {
    add({"spec.unschedulable"});
  } else if (plural == "secrets") {
    add({"type"});
  } else if (plural == "namespaces") {
    add({"status.phase"});
  } else if (plural == "replicasets") {
    add({"status.replicas"});
  } else if (plural == "certificatesigningrequests") {
    add({"spec.signerName"});  // kube-apiserver's CSR field label (signers list their requests)
  }
  return fields;
}

std::string fieldValue(const json& object, std::string_view field) {
  std::string path = field == "source" ? "source.component" : std::string(field);
  const json* cur = &object;
  size_t start = 0;
  while (true) {
    if (!cur->is_object()) return "";
    size_t dot = path.find('.', start);
    std::string key =
        path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    auto it = cur->find(key);
    if (it == cur->end()) {
      // Kubernetes formats absent booleans (spec.unschedulable) as "false".
      return field == "spec.unschedulable" ? "false" : "";
    }
    cur = &*it;
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  if (cur->is_string()) return cur->get<std::string>();
  if (cur->is_boolean()) return cur->get<bool>() ? "true" : "false";
  if (cur->is_number()) return cur->dump();
  return "";
}

bool FieldSelector::matches(const json& object) const {
  return std::all_of(requirements_.begin(), requirements_.end(), [&](const FieldRequirement& r) {
    return (fieldValue(object, r.field) == r.value) != r.negated;
  });
}

std::optional<std::string> FieldSelector::requiredValue(std::string_view field) const {
  for (const FieldRequirement& r : requirements_) {
    if (!r.negated && r.field == field) return r.value;
  }
  return std::nullopt;
}

std::string FieldSelector::toString() const {
  std::string s;
  for (const FieldRequirement& r : requirements_) {
    s += (s.empty() ? "" : ",") + r.field + (r.negated ? "!=" : "=") + escapeValue(r.value);
  }
  return s;
}

}  // namespace minik8s::api
