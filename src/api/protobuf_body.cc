#include "api/protobuf_body.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/message.h>
#include <google/protobuf/unknown_field_set.h>

#include <chrono>
#include <climits>
#include <cmath>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "api/chars.h"
#include "api/defaults.h"
#include "common/clock.h"
#include "common/duration.h"

namespace minik8s::embedded {
std::string_view kK8sDescriptorSet();  // proto/k8s, embedded by proto/CMakeLists.txt
}  // namespace minik8s::embedded

namespace minik8s::api {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;
using nlohmann::json;

constexpr std::string_view kMagic("k8s\0", 4);
constexpr std::string_view kMeta = "k8s.io.apimachinery.pkg.apis.meta.v1";

// libprotobuf's log, minus its complaint about a string field that is not UTF-8: such a
// body is answered with a 400 (decodeProtobufBody), so a client cannot flood the log.
void logProtobuf(google::protobuf::LogLevel level, const char* file, int line,
                 const std::string& message) {
  if (message.find("invalid UTF-8") != std::string::npos) return;
  static const char* const kLevels[] = {"INFO", "WARNING", "ERROR", "FATAL"};
  std::fprintf(stderr, "[libprotobuf %s %s:%d] %s\n", kLevels[level], file, line, message.c_str());
}

// The messages of proto/k8s, built once from the embedded descriptor set.
class Messages {
 public:
  Messages() : factory_(&pool_) {
    google::protobuf::SetLogHandler(&logProtobuf);
    google::protobuf::FileDescriptorSet set;
    std::string_view bytes = embedded::kK8sDescriptorSet();
    if (!set.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) std::abort();
    for (const auto& file : set.file()) {  // --include_imports: dependencies come first
      if (pool_.BuildFile(file) == nullptr) std::abort();
    }
  }

  // The message of apiVersion/kind: k8s.io.api.<first label of the group>.<version>.<kind>,
  // or meta.k8s.io/v1's (DeleteOptions and Status are sent as "v1").
  const Descriptor* find(std::string_view api_version, std::string_view kind) const {
    if (kind.empty() || api_version.empty()) return nullptr;
    auto slash = api_version.find('/');
    std::string group, version;
    if (slash == std::string_view::npos) {
      group = "core";
      version = std::string(api_version);
    } else {
      group = std::string(api_version.substr(0, std::min(slash, api_version.find('.'))));
      version = std::string(api_version.substr(slash + 1));
    }
    std::string name = "k8s.io.api." + group + "." + version + "." + std::string(kind);
    if (group == "meta") name = std::string(kMeta) + "." + std::string(kind);
    if (const Descriptor* d = pool_.FindMessageTypeByName(name)) return d;
    if (version == "v1") return pool_.FindMessageTypeByName(std::string(kMeta) + "." + std::string(kind));
    return nullptr;
  }
  const Descriptor* byName(const std::string& full_name) const {
    return pool_.FindMessageTypeByName(full_name);
  }
  std::unique_ptr<Message> make(const Descriptor* d) const {
    return std::unique_ptr<Message>(factory_.GetPrototype(d)->New());
  }

 private:
  google::protobuf::DescriptorPool pool_;
  mutable google::protobuf::DynamicMessageFactory factory_;  // GetPrototype is thread-safe
};

const Messages& messages() {
  static const Messages instance;
  return instance;
}

// The messages whose JSON is not an object of their fields.
// kStringList: a message wrapping one `repeated string items = 1` whose JSON is the list
// (certificates/v1 ExtraValue, a Go []string).
enum class Special { kNone, kTime, kMicroTime, kDuration, kIntOrString, kQuantity, kRawExtension, kFieldsV1, kStringList };

Special specialOf(const Descriptor* d) {
  const std::string& n = d->full_name();
  if (n == "k8s.io.apimachinery.pkg.apis.meta.v1.Time") return Special::kTime;
  if (n == "k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime") return Special::kMicroTime;
  if (n == "k8s.io.apimachinery.pkg.apis.meta.v1.Duration") return Special::kDuration;
  if (n == "k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1") return Special::kFieldsV1;
  if (n == "k8s.io.apimachinery.pkg.util.intstr.IntOrString") return Special::kIntOrString;
  if (n == "k8s.io.apimachinery.pkg.api.resource.Quantity") return Special::kQuantity;
  if (n == "k8s.io.apimachinery.pkg.runtime.RawExtension") return Special::kRawExtension;
  if (n == "k8s.io.api.certificates.v1.ExtraValue") return Special::kStringList;
  return Special::kNone;
}

// A field whose message's fields JSON writes beside its owner's (Go's `json:",inline"`):
// Volume.volumeSource, Probe.handler, IngressRule.ingressRuleValue, ... (proto/k8s marks
// them with this json_name).
bool isInlined(const FieldDescriptor* f) { return f->json_name() == ",inline"; }

std::string where(const FieldDescriptor* f) {
  return f->containing_type()->name() + "." + f->json_name();
}

// Go's time.Duration.String() for whole milliseconds and up ("1h2m3.5s", "250ms", "0s").
std::string formatGoDuration(int64_t ns) {
  if (ns == 0) return "0s";
  std::string sign = ns < 0 ? "-" : "";
  uint64_t u = ns < 0 ? -static_cast<uint64_t>(ns) : static_cast<uint64_t>(ns);
  auto fraction = [](uint64_t value, uint64_t unit) {
    std::string s = std::to_string(value / unit);
    if (uint64_t rest = value % unit) {
      std::string digits = std::to_string(unit + rest).substr(1);
      while (!digits.empty() && digits.back() == '0') digits.pop_back();
      s += "." + digits;
    }
    return s;
  };
  if (u < 1000) return sign + std::to_string(u) + "ns";
  if (u < 1000000) return sign + fraction(u, 1000) + "us";
  if (u < 1000000000) return sign + fraction(u, 1000000) + "ms";
  uint64_t hours = u / 3600000000000ULL, minutes = u / 60000000000ULL % 60;
  std::string s = fraction(u % 60000000000ULL, 1000000000) + "s";
  if (hours > 0) return sign + std::to_string(hours) + "h" + std::to_string(minutes) + "m" + s;
  if (minutes > 0) return sign + std::to_string(minutes) + "m" + s;
  return sign + s;
}

// ---- protobuf -> JSON ----

Result<json> messageToJson(const Message& m);
Result<json> decodeEnvelope(std::string_view body);

Result<std::string> utf8(std::string value, const FieldDescriptor* f) {
  if (!isValidUtf8(value)) return badRequest("invalid UTF-8 in protobuf field " + where(f));
  return value;
}

// A special message as its JSON; null when it stands for an unset value.
Result<json> specialToJson(const Message& m, Special kind) {
  const Reflection* r = m.GetReflection();
  const Descriptor* d = m.GetDescriptor();
  auto field = [&](int number) { return d->FindFieldByNumber(number); };
  auto has = [&](int number) { return r->HasField(m, field(number)); };
  switch (kind) {
    case Special::kTime:
    case Special::kMicroTime: {
      if (!has(1) && !has(2)) return json(nullptr);
      int64_t seconds = r->GetInt64(m, field(1));
      int32_t nanos = r->GetInt32(m, field(2));
      if (nanos < 0 || nanos > 999999999) return badRequest("invalid nanos in a protobuf time");
      Clock::WallTime t{std::chrono::duration_cast<Clock::WallTime::duration>(
          std::chrono::seconds(seconds) + std::chrono::nanoseconds(nanos))};
      return json(kind == Special::kTime ? formatRfc3339(t) : formatRfc3339Micro(t));
    }
    case Special::kDuration:
      return json(formatGoDuration(r->GetInt64(m, field(1))));
    case Special::kIntOrString:
      if (r->GetInt64(m, field(1)) == 1) {
        ASSIGN_OR_RETURN(std::string s, utf8(r->GetString(m, field(3)), field(3)));
        return json(std::move(s));
      }
      return json(r->GetInt32(m, field(2)));
    case Special::kQuantity: {
      ASSIGN_OR_RETURN(std::string s, utf8(r->GetString(m, field(1)), field(1)));
      if (s.empty()) return json(nullptr);
      return json(std::move(s));
    }
    case Special::kRawExtension:
    case Special::kFieldsV1: {
      std::string raw = r->GetString(m, field(1));
      if (raw.empty()) return json(nullptr);
      if (raw.substr(0, kMagic.size()) == kMagic) return decodeEnvelope(raw);
      json value = json::parse(raw, nullptr, false);
      if (value.is_discarded()) {
        return badRequest("an embedded object in " + d->name() + " is neither JSON nor protobuf");
      }
      return value;
    }
    case Special::kStringList: {
      json list = json::array();
      for (int i = 0; i < r->FieldSize(m, field(1)); ++i) {
        ASSIGN_OR_RETURN(std::string s, utf8(r->GetRepeatedString(m, field(1), i), field(1)));
        list.push_back(std::move(s));
      }
      return list;
    }
    case Special::kNone:
      break;
  }
  return messageToJson(m);
}

// One value of field `f` (the i-th when repeated, -1 when singular).
Result<json> valueToJson(const Message& m, const FieldDescriptor* f, int i) {
  const Reflection* r = m.GetReflection();
  bool rep = i >= 0;
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string s = rep ? r->GetRepeatedString(m, f, i) : r->GetString(m, f);
      if (f->type() == FieldDescriptor::TYPE_BYTES) return json(base64Encode(s));
      ASSIGN_OR_RETURN(s, utf8(std::move(s), f));
      return json(std::move(s));
    }
    case FieldDescriptor::CPPTYPE_INT32: return json(rep ? r->GetRepeatedInt32(m, f, i) : r->GetInt32(m, f));
    case FieldDescriptor::CPPTYPE_INT64: return json(rep ? r->GetRepeatedInt64(m, f, i) : r->GetInt64(m, f));
    case FieldDescriptor::CPPTYPE_UINT32: return json(rep ? r->GetRepeatedUInt32(m, f, i) : r->GetUInt32(m, f));
    case FieldDescriptor::CPPTYPE_UINT64: return json(rep ? r->GetRepeatedUInt64(m, f, i) : r->GetUInt64(m, f));
    case FieldDescriptor::CPPTYPE_BOOL: return json(rep ? r->GetRepeatedBool(m, f, i) : r->GetBool(m, f));
    case FieldDescriptor::CPPTYPE_DOUBLE:
    case FieldDescriptor::CPPTYPE_FLOAT: {
      double v = f->cpp_type() == FieldDescriptor::CPPTYPE_DOUBLE
                     ? (rep ? r->GetRepeatedDouble(m, f, i) : r->GetDouble(m, f))
                     : (rep ? r->GetRepeatedFloat(m, f, i) : r->GetFloat(m, f));
      if (!std::isfinite(v)) return badRequest("a non-finite number in protobuf field " + where(f));
      return json(v);
    }
    case FieldDescriptor::CPPTYPE_ENUM:
      return json(rep ? r->GetRepeatedEnumValue(m, f, i) : r->GetEnumValue(m, f));
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      const Message& sub = rep ? r->GetRepeatedMessage(m, f, i) : r->GetMessage(m, f);
      return specialToJson(sub, specialOf(f->message_type()));
    }
  }
  return internalError("unhandled protobuf field type in " + where(f));
}

Result<json> messageToJson(const Message& m) {
  const Reflection* r = m.GetReflection();
  const auto& unknown = r->GetUnknownFields(m);
  if (unknown.field_count() > 0) {
    return badRequest("protobuf field " + std::to_string(unknown.field(0).number()) + " of " +
                      m.GetDescriptor()->name() + " is not known to minik8s");
  }
  json out = json::object();
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(m, &fields);
  for (const FieldDescriptor* f : fields) {
    if (f->is_map()) {
      json& map = out[f->json_name()];
      map = json::object();
      for (int i = 0; i < r->FieldSize(m, f); ++i) {
        const Message& entry = r->GetRepeatedMessage(m, f, i);
        const FieldDescriptor* key_field = f->message_type()->map_key();
        ASSIGN_OR_RETURN(std::string key,
                         utf8(entry.GetReflection()->GetString(entry, key_field), key_field));
        ASSIGN_OR_RETURN(map[key], valueToJson(entry, f->message_type()->map_value(), -1));
      }
    } else if (f->is_repeated()) {
      json& list = out[f->json_name()];
      list = json::array();
      for (int i = 0; i < r->FieldSize(m, f); ++i) {
        ASSIGN_OR_RETURN(list.emplace_back(), valueToJson(m, f, i));
      }
    } else if (isInlined(f)) {
      ASSIGN_OR_RETURN(json inlined, valueToJson(m, f, -1));
      for (auto& [key, value] : inlined.items()) out[key] = std::move(value);
    } else {
      ASSIGN_OR_RETURN(json value, valueToJson(m, f, -1));
      if (value.is_null() || (value.is_string() && value.get_ref<const std::string&>().empty() &&
                              f->type() == FieldDescriptor::TYPE_STRING)) {
        continue;  // an unset time or quantity; "" (Go writes every non-pointer string)
      }
      out[f->json_name()] = std::move(value);
    }
  }
  return out;
}

// "k8s\0" + runtime.Unknown -> the object's JSON.
Result<json> decodeEnvelope(std::string_view body) {
  if (body.substr(0, kMagic.size()) != kMagic) {
    return badRequest("a protobuf body must start with the k8s\\0 prefix");
  }
  const Messages& all = messages();
  auto unknown = all.make(all.byName("k8s.io.apimachinery.pkg.runtime.Unknown"));
  body.remove_prefix(kMagic.size());
  if (!unknown->ParsePartialFromArray(body.data(), static_cast<int>(body.size()))) {
    return badRequest("malformed protobuf in the envelope");
  }
  const Reflection* r = unknown->GetReflection();
  const Descriptor* ud = unknown->GetDescriptor();
  const Message& type_meta = r->GetMessage(*unknown, ud->FindFieldByName("typeMeta"));
  const Reflection* tr = type_meta.GetReflection();
  const Descriptor* td = type_meta.GetDescriptor();
  std::string api_version = tr->GetString(type_meta, td->FindFieldByName("apiVersion"));
  std::string kind = tr->GetString(type_meta, td->FindFieldByName("kind"));
  if (!isValidUtf8(api_version) || !isValidUtf8(kind)) {
    return badRequest("invalid UTF-8 in the protobuf envelope's typeMeta");
  }
  std::string encoding = r->GetString(*unknown, ud->FindFieldByName("contentEncoding"));
  if (!encoding.empty()) {
    return Status(Code::kUnsupportedMediaType,
                  "protobuf content encoding \"" + encoding + "\" is not supported");
  }
  const Descriptor* d = all.find(api_version, kind);
  if (d == nullptr) {
    return Status(Code::kUnsupportedMediaType,
                  "the body of the request was in an unknown format (application/"
                  "vnd.kubernetes.protobuf, " +
                      (api_version.empty() ? std::string("?") : api_version) + " " + kind +
                      "): minik8s has no protobuf message for this kind - accepted media types "
                      "include: application/json, application/yaml");
  }
  auto object = all.make(d);
  std::string raw = r->GetString(*unknown, ud->FindFieldByName("raw"));
  // Partial: Kubernetes' messages have no required fields, so the initialization walk
  // ParseFromString adds is pure cost (bench/README.md, "protobuf bodies").
  if (!object->ParsePartialFromString(raw)) return badRequest("malformed protobuf in " + kind);
  ASSIGN_OR_RETURN(json out, messageToJson(*object));
  out["apiVersion"] = api_version;
  out["kind"] = kind;
  return out;
}

// ---- JSON -> protobuf ----

// `top`: the envelope's object, whose apiVersion and kind the envelope carries.
Status jsonToMessage(const json& in, Message* m, bool top = false);

Status typeError(const FieldDescriptor* f, const char* wanted) {
  return badRequest(std::string("field ") + where(f) + " must be " + wanted);
}

Status jsonToSpecial(const json& in, Message* m, Special kind, const FieldDescriptor* f) {
  const Reflection* r = m->GetReflection();
  const Descriptor* d = m->GetDescriptor();
  auto field = [&](int number) { return d->FindFieldByNumber(number); };
  switch (kind) {
    case Special::kTime:
    case Special::kMicroTime: {
      Clock::WallTime t;
      if (!in.is_string() || !parseRfc3339(in.get_ref<const std::string&>(), &t)) {
        return typeError(f, "an RFC 3339 time");
      }
      auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
      int64_t seconds = ns / 1000000000, nanos = ns % 1000000000;
      if (nanos < 0) { seconds -= 1; nanos += 1000000000; }
      r->SetInt64(m, field(1), seconds);
      r->SetInt32(m, field(2), static_cast<int32_t>(nanos));
      return Status::ok();
    }
    case Special::kDuration: {
      if (!in.is_string()) return typeError(f, "a duration string");
      ASSIGN_OR_RETURN(auto ms, parseDuration(in.get_ref<const std::string&>()));
      r->SetInt64(m, field(1), static_cast<int64_t>(ms.count()) * 1000000);
      return Status::ok();
    }
    case Special::kIntOrString:
      if (in.is_string()) {
        r->SetInt64(m, field(1), 1);
        r->SetString(m, field(3), in.get<std::string>());
      } else if (in.is_number_integer()) {
        r->SetInt64(m, field(1), 0);
        r->SetInt32(m, field(2), in.get<int32_t>());
      } else {
        return typeError(f, "an integer or a string");
      }
      return Status::ok();
    case Special::kQuantity:
      if (!in.is_string() && !in.is_number()) return typeError(f, "a quantity");
      r->SetString(m, field(1), in.is_string() ? in.get<std::string>() : in.dump());
      return Status::ok();
    case Special::kRawExtension:
    case Special::kFieldsV1:
      r->SetString(m, field(1), in.dump());
      return Status::ok();
    case Special::kStringList:
      if (!in.is_array()) return typeError(f, "a list of strings");
      for (const json& item : in) {
        if (!item.is_string()) return typeError(f, "a list of strings");
        r->AddString(m, field(1), item.get<std::string>());
      }
      return Status::ok();
    case Special::kNone:
      break;
  }
  if (!in.is_object()) return typeError(f, "an object");
  return jsonToMessage(in, m);
}

// Sets (or, repeated, adds) one value of `f` from `in`.
Status setValue(const json& in, Message* m, const FieldDescriptor* f) {
  const Reflection* r = m->GetReflection();
  bool rep = f->is_repeated();
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING: {
      if (!in.is_string()) return typeError(f, "a string");
      std::string s = in.get<std::string>();
      if (f->type() == FieldDescriptor::TYPE_BYTES) {
        std::string bytes;
        if (!base64Decode(s, &bytes)) return typeError(f, "base64");
        s = std::move(bytes);
      }
      rep ? r->AddString(m, f, std::move(s)) : r->SetString(m, f, std::move(s));
      return Status::ok();
    }
    case FieldDescriptor::CPPTYPE_BOOL:
      if (!in.is_boolean()) return typeError(f, "a boolean");
      rep ? r->AddBool(m, f, in.get<bool>()) : r->SetBool(m, f, in.get<bool>());
      return Status::ok();
    case FieldDescriptor::CPPTYPE_INT32:
    case FieldDescriptor::CPPTYPE_INT64:
    case FieldDescriptor::CPPTYPE_UINT32:
    case FieldDescriptor::CPPTYPE_UINT64:
    case FieldDescriptor::CPPTYPE_ENUM: {
      if (!in.is_number_integer()) return typeError(f, "an integer");
      bool wide = f->cpp_type() == FieldDescriptor::CPPTYPE_INT64 ||
                  f->cpp_type() == FieldDescriptor::CPPTYPE_UINT64;
      if (!wide && (in.is_number_unsigned() ? in.get<uint64_t>() > INT32_MAX
                                             : in.get<int64_t>() < INT32_MIN ||
                                                   in.get<int64_t>() > INT32_MAX)) {
        return typeError(f, "a 32-bit integer");
      }
      switch (f->cpp_type()) {
        case FieldDescriptor::CPPTYPE_INT32:
          rep ? r->AddInt32(m, f, in.get<int32_t>()) : r->SetInt32(m, f, in.get<int32_t>());
          break;
        case FieldDescriptor::CPPTYPE_INT64:
          rep ? r->AddInt64(m, f, in.get<int64_t>()) : r->SetInt64(m, f, in.get<int64_t>());
          break;
        case FieldDescriptor::CPPTYPE_UINT32:
          rep ? r->AddUInt32(m, f, in.get<uint32_t>()) : r->SetUInt32(m, f, in.get<uint32_t>());
          break;
        case FieldDescriptor::CPPTYPE_UINT64:
          rep ? r->AddUInt64(m, f, in.get<uint64_t>()) : r->SetUInt64(m, f, in.get<uint64_t>());
          break;
        default:
          rep ? r->AddEnumValue(m, f, in.get<int>()) : r->SetEnumValue(m, f, in.get<int>());
      }
      return Status::ok();
    }
    case FieldDescriptor::CPPTYPE_DOUBLE:
    case FieldDescriptor::CPPTYPE_FLOAT:
      if (!in.is_number()) return typeError(f, "a number");
      if (f->cpp_type() == FieldDescriptor::CPPTYPE_DOUBLE) {
        rep ? r->AddDouble(m, f, in.get<double>()) : r->SetDouble(m, f, in.get<double>());
      } else {
        rep ? r->AddFloat(m, f, in.get<float>()) : r->SetFloat(m, f, in.get<float>());
      }
      return Status::ok();
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      Message* sub = rep ? r->AddMessage(m, f) : r->MutableMessage(m, f);
      return jsonToSpecial(in, sub, specialOf(f->message_type()), f);
    }
  }
  return internalError("unhandled protobuf field type in " + where(f));
}

const FieldDescriptor* fieldByJsonName(const Descriptor* d, const std::string& name) {
  if (const FieldDescriptor* f = d->FindFieldByName(name); f && f->json_name() == name) return f;
  for (int i = 0; i < d->field_count(); ++i) {
    if (d->field(i)->json_name() == name) return d->field(i);
  }
  return nullptr;
}

// The inlined field of `d` whose message takes the JSON key `name`, if any.
const FieldDescriptor* inlinedFieldTaking(const Descriptor* d, const std::string& name) {
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (!isInlined(f)) continue;
    if (fieldByJsonName(f->message_type(), name) != nullptr ||
        inlinedFieldTaking(f->message_type(), name) != nullptr) {
      return f;
    }
  }
  return nullptr;
}

Status jsonToMessage(const json& in, Message* m, bool top) {
  const Descriptor* d = m->GetDescriptor();
  // A list's items carry their own apiVersion and kind in JSON, not in protobuf.
  bool is_object_root = top || d->FindFieldByName("metadata") != nullptr;
  for (const auto& [key, value] : in.items()) {
    if (value.is_null()) continue;
    const FieldDescriptor* f = fieldByJsonName(d, key);
    if (f == nullptr) {
      if (const FieldDescriptor* inlined = inlinedFieldTaking(d, key)) {
        Message* sub = m->GetReflection()->MutableMessage(m, inlined);
        json one = json::object();
        one[key] = value;
        RETURN_IF_ERROR(jsonToMessage(one, sub));
        continue;
      }
      if (is_object_root && (key == "apiVersion" || key == "kind")) continue;  // in the envelope
      return badRequest("field " + d->name() + "." + key + " has no protobuf field in minik8s");
    }
    if (f->is_map()) {
      if (!value.is_object()) return typeError(f, "an object");
      for (const auto& [map_key, map_value] : value.items()) {
        if (map_value.is_null()) continue;
        Message* entry = m->GetReflection()->AddMessage(m, f);
        entry->GetReflection()->SetString(entry, f->message_type()->map_key(), map_key);
        RETURN_IF_ERROR(setValue(map_value, entry, f->message_type()->map_value()));
      }
    } else if (f->is_repeated()) {
      if (!value.is_array()) return typeError(f, "an array");
      for (const json& item : value) RETURN_IF_ERROR(setValue(item, m, f));
    } else {
      RETURN_IF_ERROR(setValue(value, m, f));
    }
  }
  return Status::ok();
}

}  // namespace

Result<json> decodeProtobufBody(std::string_view body) {
  ASSIGN_OR_RETURN(json object, decodeEnvelope(body));
  return object;
}

Result<std::string> encodeProtobufBody(const json& object) {
  if (!object.is_object()) return badRequest("only an object has a protobuf encoding");
  std::string api_version = object.value("apiVersion", "");
  std::string kind = object.value("kind", "");
  const Messages& all = messages();
  const Descriptor* d = all.find(api_version, kind);
  if (d == nullptr) {
    return Status(Code::kUnsupportedMediaType,
                  "minik8s has no protobuf message for " + api_version + " " + kind);
  }
  auto message = all.make(d);
  RETURN_IF_ERROR(jsonToMessage(object, message.get(), /*top=*/true));
  auto unknown = all.make(all.byName("k8s.io.apimachinery.pkg.runtime.Unknown"));
  const Reflection* r = unknown->GetReflection();
  const Descriptor* ud = unknown->GetDescriptor();
  Message* type_meta = r->MutableMessage(unknown.get(), ud->FindFieldByName("typeMeta"));
  const Descriptor* td = type_meta->GetDescriptor();
  type_meta->GetReflection()->SetString(type_meta, td->FindFieldByName("apiVersion"), api_version);
  type_meta->GetReflection()->SetString(type_meta, td->FindFieldByName("kind"), kind);
  r->SetString(unknown.get(), ud->FindFieldByName("raw"), message->SerializePartialAsString());
  r->SetString(unknown.get(), ud->FindFieldByName("contentEncoding"), "");
  r->SetString(unknown.get(), ud->FindFieldByName("contentType"), "");
  return std::string(kMagic) + unknown->SerializePartialAsString();
}

const Descriptor* protobufMessageOf(std::string_view api_version, std::string_view kind) {
  return messages().find(api_version, kind);
}

}  // namespace minik8s::api
