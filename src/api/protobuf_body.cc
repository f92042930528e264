#include "api/protobuf_body.h"

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "api/chars.h"

namespace minik8s::api {
namespace {

using nlohmann::json;

constexpr std::string_view kMagic("k8s\0", 4);

// One protobuf field: its number, and a varint value or the bytes of a length-delimited one.
struct Field {
  uint32_t number = 0;
  uint32_t wire_type = 0;
  uint64_t varint = 0;
  std::string_view bytes;
};

// Reads the fields of one message, in order; fixed32/64 fields are skipped.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}

  // False at the end; kBadRequest-worthy input sets failed().
  bool next(Field& field) {
    if (pos_ >= data_.size() || failed_) return false;
    uint64_t key = 0;
    if (!varint(key)) return false;
    field = Field{};
    field.number = static_cast<uint32_t>(key >> 3);
    field.wire_type = static_cast<uint32_t>(key & 7);
    switch (field.wire_type) {
      case 0:
        return varint(field.varint);
      case 1:
        return skip(8);
      case 2: {
        uint64_t length = 0;
        if (!varint(length) || length > data_.size() - pos_) return fail();
        field.bytes = data_.substr(pos_, length);
        pos_ += length;
        return true;
      }
      case 5:
        return skip(4);
      default:
        return fail();
    }
  }
  bool failed() const { return failed_; }

 private:
  bool varint(uint64_t& out) {
    out = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= data_.size()) return fail();
      auto byte = static_cast<uint8_t>(data_[pos_++]);
      out |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return true;
    }
    return fail();
  }
  bool skip(size_t n) {
    if (n > data_.size() - pos_) return fail();
    pos_ += n;
    return true;
  }
  bool fail() {
    failed_ = true;
    return false;
  }

  std::string_view data_;
  size_t pos_ = 0;
  bool failed_ = false;
};

using FieldFn = std::function<Status(const Field&)>;

// Calls `fn` for each field of `message`.
Status forEachField(std::string_view message, const char* what, const FieldFn& fn) {
  Reader reader(message);
  Field field;
  while (reader.next(field)) RETURN_IF_ERROR(fn(field));
  if (reader.failed()) return badRequest(std::string("malformed protobuf in ") + what);
  return Status::ok();
}

int32_t asInt32(const Field& f) { return static_cast<int32_t>(static_cast<int64_t>(f.varint)); }
// A string field. Protobuf strings are UTF-8, and a JSON string can hold nothing else.
Result<std::string> asString(const Field& f) {
  if (!isValidUtf8(f.bytes)) {
    return badRequest("invalid UTF-8 in protobuf string field " + std::to_string(f.number));
  }
  return std::string(f.bytes);
}

Status setString(json& target, const Field& f) {
  ASSIGN_OR_RETURN(std::string value, asString(f));
  target = std::move(value);
  return Status::ok();
}

// A map<string,string> entry: key 1, value 2.
Status mapEntry(const Field& f, json& map) {
  std::string key, value;
  RETURN_IF_ERROR(forEachField(f.bytes, "a map entry", [&](const Field& e) {
    if (e.number == 1) { ASSIGN_OR_RETURN(key, asString(e)); }
    if (e.number == 2) { ASSIGN_OR_RETURN(value, asString(e)); }
    return Status::ok();
  }));
  map[key] = value;
  return Status::ok();
}

// k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta: what a create carries.
Result<json> objectMeta(std::string_view bytes) {
  json md = json::object();
  RETURN_IF_ERROR(forEachField(bytes, "metadata", [&](const Field& f) -> Status {
    switch (f.number) {
      case 1: if (!f.bytes.empty()) return setString(md["name"], f); break;
      case 2: if (!f.bytes.empty()) return setString(md["generateName"], f); break;
      case 3: if (!f.bytes.empty()) return setString(md["namespace"], f); break;
      case 6: if (!f.bytes.empty()) return setString(md["resourceVersion"], f); break;
      case 11: return mapEntry(f, md["labels"]);
      case 12: return mapEntry(f, md["annotations"]);
      case 14: return setString(md["finalizers"].emplace_back(), f);
      default: break;
    }
    return Status::ok();
  }));
  return md;
}

// k8s.io.api.autoscaling.v1.HorizontalPodAutoscaler.
Result<json> hpaV1(std::string_view bytes) {
  json hpa = {{"apiVersion", "autoscaling/v1"}, {"kind", "HorizontalPodAutoscaler"}};
  RETURN_IF_ERROR(forEachField(bytes, "HorizontalPodAutoscaler", [&](const Field& f) -> Status {
    if (f.number == 1) {
      ASSIGN_OR_RETURN(hpa["metadata"], objectMeta(f.bytes));
    } else if (f.number == 2) {
      json& spec = hpa["spec"];
      spec = json::object();
      return forEachField(f.bytes, "spec", [&](const Field& s) -> Status {
        switch (s.number) {
          case 1: {
            json& ref = spec["scaleTargetRef"];
            ref = json::object();
            return forEachField(s.bytes, "spec.scaleTargetRef", [&](const Field& r) {
              if (r.number == 1) return setString(ref["kind"], r);
              if (r.number == 2) return setString(ref["name"], r);
              if (r.number == 3 && !r.bytes.empty()) return setString(ref["apiVersion"], r);
              return Status::ok();
            });
          }
          case 2: spec["minReplicas"] = asInt32(s); break;
          case 3: spec["maxReplicas"] = asInt32(s); break;
          case 4: spec["targetCPUUtilizationPercentage"] = asInt32(s); break;
          default: break;
        }
        return Status::ok();
      });
    }
    return Status::ok();
  }));
  return hpa;
}

}  // namespace

Result<json> decodeProtobufBody(std::string_view body) {
  if (body.substr(0, kMagic.size()) != kMagic) {
    return badRequest("a protobuf body must start with the k8s\\0 prefix");
  }
  std::string api_version, kind;
  std::string_view raw;
  RETURN_IF_ERROR(forEachField(body.substr(kMagic.size()), "the envelope", [&](const Field& f) {
    if (f.number == 1) {
      return forEachField(f.bytes, "typeMeta", [&](const Field& t) {
        if (t.number == 1) { ASSIGN_OR_RETURN(api_version, asString(t)); }
        if (t.number == 2) { ASSIGN_OR_RETURN(kind, asString(t)); }
        return Status::ok();
      });
    }
    if (f.number == 2) raw = f.bytes;
    return Status::ok();
  }));
  if (api_version == "autoscaling/v1" && kind == "HorizontalPodAutoscaler") return hpaV1(raw);
  return Status(Code::kUnsupportedMediaType,
                "the body of the request was in an unknown format (application/"
                "vnd.kubernetes.protobuf, " +
                    (api_version.empty() ? std::string("?") : api_version) + " " + kind +
                    "): minik8s decodes protobuf bodies only of autoscaling/v1 "
                    "HorizontalPodAutoscaler - accepted media types include: "
                    "application/json, application/yaml; use kubectl create -f or apply -f");
}

}  // namespace minik8s::api
