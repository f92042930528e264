#include "api/protobuf_body.h"

#include <google/protobuf/descriptor.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "api/chars.h"
#include "api/defaults.h"
#include "api/scheme.h"
#include "common/clock.h"

namespace minik8s::api {
namespace protobuf_body_test {

using nlohmann::json;

// The body kubectl 1.32 posted for `kubectl autoscale deployment simple-deployment
// --cpu-percent=50 --min=1 --max=4` (from its -v=9 log).
const std::string kAutoscaleBody(
      "\x6b\x38\x73\x00\x0a\x29\x0a\x0e\x61\x75\x74\x6f\x73\x63\x61\x6c"
      "\x69\x6e\x67\x2f\x76\x31\x12\x17\x48\x6f\x72\x69\x7a\x6f\x6e\x74"
      "\x61\x6c\x50\x6f\x64\x41\x75\x74\x6f\x73\x63\x61\x6c\x65\x72\x12"
      "\x5b\x0a\x21\x0a\x11\x73\x69\x6d\x70\x6c\x65\x2d\x64\x65\x70\x6c"
      "\x6f\x79\x6d\x65\x6e\x74\x12\x00\x1a\x00\x22\x00\x2a\x00\x32\x00"
      "\x38\x00\x42\x00\x12\x30\x0a\x28\x0a\x0a\x44\x65\x70\x6c\x6f\x79"
      "\x6d\x65\x6e\x74\x12\x11\x73\x69\x6d\x70\x6c\x65\x2d\x64\x65\x70"
      "\x6c\x6f\x79\x6d\x65\x6e\x74\x1a\x07\x61\x70\x70\x73\x2f\x76\x31"
      "\x10\x01\x18\x04\x20\x32\x1a\x04\x18\x00\x20\x00\x1a\x00\x22\x00",
    144);

TEST(ProtobufBody, DecodesKubectlAutoscalesHpa) {
  auto hpa = decodeProtobufBody(kAutoscaleBody);
  ASSERT_TRUE(hpa.isOk()) << hpa.status().message();
  EXPECT_EQ(*hpa, json::parse(R"({"apiVersion":"autoscaling/v1","kind":"HorizontalPodAutoscaler",
      "metadata":{"name":"simple-deployment","generation":0},
      "spec":{"scaleTargetRef":{"kind":"Deployment","name":"simple-deployment",
              "apiVersion":"apps/v1"},
              "minReplicas":1,"maxReplicas":4,"targetCPUUtilizationPercentage":50},
      "status":{"currentReplicas":0,"desiredReplicas":0}})"));
}

// `kubectl create namespace x`, byte for byte as wire-facts.md §1 measured it: every
// non-pointer field is written, "" included; an empty Time stands for none.
TEST(ProtobufBody, DecodesKubectlCreatesNamespace) {
  const std::string body(
      "k8s\0"
      "\x0a\x0f\x0a\x02v1\x12\x09Namespace"
      "\x12\x19"
      "\x0a\x11\x0a\x01x\x12\x00\x1a\x00\x22\x00\x2a\x00\x32\x00\x38\x00\x42\x00"
      "\x12\x00\x1a\x02\x0a\x00"
      "\x1a\x00\x22\x00",
      4 + 17 + 2 + 25 + 4);
  auto ns = decodeProtobufBody(body);
  ASSERT_TRUE(ns.isOk()) << ns.status().message();
  EXPECT_EQ(*ns, json::parse(R"({"apiVersion":"v1","kind":"Namespace",
      "metadata":{"name":"x","generation":0},"spec":{},"status":{}})"));
}

// The map entries of wire-facts.md §1 (data a=b), and a Secret's bytes as base64.
TEST(ProtobufBody, MapsAndBytes) {
  json secret = {{"apiVersion", "v1"}, {"kind", "Secret"},
                 {"metadata", {{"name", "s"}, {"labels", {{"owner", "helm"}, {"name", "g1"}}}}},
                 {"data", {{"a", base64Encode("b")}, {"release", base64Encode("\x1f\x8b\x08")}}},
                 {"type", "helm.sh/release.v1"}};
  auto body = encodeProtobufBody(secret);
  ASSERT_TRUE(body.isOk()) << body.status().message();
  EXPECT_NE(body->find(std::string("\x0a\x01" "a\x12\x01" "b")), std::string::npos);
  auto back = decodeProtobufBody(*body);
  ASSERT_TRUE(back.isOk()) << back.status().message();
  EXPECT_EQ(*back, secret);
}

TEST(ProtobufBody, SpecialTypesHaveTheirJsonForms) {
  json deployment = json::parse(R"({"apiVersion":"apps/v1","kind":"Deployment",
      "metadata":{"name":"web","creationTimestamp":"2026-12-07T06:00:00Z",
                  "managedFields":[{"manager":"kubectl","operation":"Update",
                                    "fieldsType":"FieldsV1","fieldsV1":{"f:spec":{}}}]},
      "spec":{"replicas":0,"selector":{"matchLabels":{"app":"web"}},
              "strategy":{"type":"RollingUpdate",
                          "rollingUpdate":{"maxSurge":"25%","maxUnavailable":1}},
              "template":{"metadata":{"labels":{"app":"web"}},
                          "spec":{"containers":[{"name":"nginx","image":"nginx",
                              "resources":{"limits":{"cpu":"500m","memory":"1Gi"}},
                              "ports":[{"containerPort":80}]}]}}}})");
  auto body = encodeProtobufBody(deployment);
  ASSERT_TRUE(body.isOk()) << body.status().message();
  auto back = decodeProtobufBody(*body);
  ASSERT_TRUE(back.isOk()) << back.status().message();
  EXPECT_EQ(*back, deployment);  // replicas 0 survives: it was on the wire
}

// Go's `json:",inline"` members: a volume's source, a probe's handler, a selector's name.
TEST(ProtobufBody, InlinedMembersSitBesideTheirOwnersFields) {
  json pod = json::parse(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},
      "spec":{"volumes":[{"name":"cfg","configMap":{"name":"settings","defaultMode":420}}],
              "containers":[{"name":"c","image":"busybox",
                  "env":[{"name":"A","valueFrom":{"configMapKeyRef":{"name":"settings","key":"a"}}}],
                  "readinessProbe":{"httpGet":{"path":"/","port":"http"},"periodSeconds":2}}]}})");
  auto body = encodeProtobufBody(pod);
  ASSERT_TRUE(body.isOk()) << body.status().message();
  auto back = decodeProtobufBody(*body);
  ASSERT_TRUE(back.isOk()) << back.status().message();
  EXPECT_EQ(*back, pod);
}

// The body kubectl drain and helm uninstall send (wire-facts.md section 6), and one with
// options: a kind without metadata round-trips too.
TEST(ProtobufBody, DeleteOptions) {
  const std::string body("k8s\0\x0a\x13\x0a\x02v1\x12\x0d" "DeleteOptions\x12\x00\x1a\x00\x22\x00", 31);
  auto decoded = decodeProtobufBody(body);
  ASSERT_TRUE(decoded.isOk()) << decoded.status().message();
  EXPECT_EQ(*decoded, json::parse(R"({"apiVersion":"v1","kind":"DeleteOptions"})"));
  json options = json::parse(R"({"apiVersion":"v1","kind":"DeleteOptions","gracePeriodSeconds":0,
      "propagationPolicy":"Foreground","preconditions":{"uid":"u1"},"dryRun":["All"]})");
  auto encoded = encodeProtobufBody(options);
  ASSERT_TRUE(encoded.isOk()) << encoded.status().message();
  auto back = decodeProtobufBody(*encoded);
  ASSERT_TRUE(back.isOk()) << back.status().message();
  EXPECT_EQ(*back, options);
}

TEST(ProtobufBody, FieldsOurMessagesDoNotKnowAreRefusedNotDropped) {
  // ConfigMap{metadata{name "c"}, field 99 = "x"}
  std::string raw("\x0a\x03\x0a\x01" "c" "\x9a\x06\x01x", 9);
  std::string body = std::string("k8s\0\x0a\x0f\x0a\x02v1\x12\x09" "ConfigMap\x12", 4 + 18) +
                     static_cast<char>(raw.size()) + raw;
  auto decoded = decodeProtobufBody(body);
  ASSERT_FALSE(decoded.isOk());
  EXPECT_EQ(decoded.status().code(), Code::kBadRequest);
  EXPECT_THAT(decoded.status().message(), testing::HasSubstr("field 99 of ConfigMap"));
  json unknown_field = {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"flavour", "x"}};
  EXPECT_EQ(encodeProtobufBody(unknown_field).status().code(), Code::kBadRequest);
}

TEST(ProtobufBody, OtherKindsAreUnsupportedMediaType) {
  // runtime.Unknown{typeMeta{v1, Flunder}, raw{}}
  std::string body("k8s\0\x0a\x0d\x0a\x02v1\x12\x07" "Flunder\x12\x00", 4 + 17);
  auto decoded = decodeProtobufBody(body);
  ASSERT_FALSE(decoded.isOk());
  EXPECT_EQ(decoded.status().code(), Code::kUnsupportedMediaType);
  EXPECT_NE(decoded.status().message().find("protobuf"), std::string::npos);
}

TEST(ProtobufBody, TruncatedOrUnprefixedBodiesAreBadRequests) {
  EXPECT_EQ(decodeProtobufBody("{}").status().code(), Code::kBadRequest);
  for (size_t n : {5, 10, 40, 60, 100, 130}) {
    auto decoded = decodeProtobufBody(std::string_view(kAutoscaleBody).substr(0, n));
    EXPECT_FALSE(decoded.isOk()) << n;
  }
  std::string bad_wire = std::string("k8s\0", 4) + "\x0f";  // field 1, wire type 7
  EXPECT_EQ(decodeProtobufBody(bad_wire).status().code(), Code::kBadRequest);
}

TEST(ProtobufBody, AStringThatIsNotUtf8IsABadRequest) {
  // The same body with the name's first six bytes replaced by invalid UTF-8 (what the fuzzer
  // found: the decoded JSON could not be written, and the server answered 500).
  std::string body = kAutoscaleBody;
  const size_t name_at = body.find("simple-deployment");
  ASSERT_NE(name_at, std::string::npos);
  body.replace(name_at, 6, "\xff\xfe\xc0\xaf\xed\xa0", 6);
  auto decoded = decodeProtobufBody(body);
  ASSERT_FALSE(decoded.isOk());
  EXPECT_EQ(decoded.status().code(), Code::kBadRequest);
  EXPECT_THAT(decoded.status().message(), testing::HasSubstr("invalid UTF-8"));
}

TEST(Utf8, AcceptsWellFormedAndRefusesOverlongSurrogatesAndTruncated) {
  EXPECT_TRUE(isValidUtf8(""));
  EXPECT_TRUE(isValidUtf8("plain ascii"));
  EXPECT_TRUE(isValidUtf8("\xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf"));
  EXPECT_FALSE(isValidUtf8("\xff"));
  EXPECT_FALSE(isValidUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(isValidUtf8("\xe0\x80\xaf"));      // overlong, 3 bytes
  EXPECT_FALSE(isValidUtf8("\xed\xa0\x80"));      // a surrogate
  EXPECT_FALSE(isValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(isValidUtf8("\xe2\x82"));          // truncated
  EXPECT_FALSE(isValidUtf8("a\x80" "b"));         // a lone continuation byte
}

// Random objects of every served Kubernetes kind, from its message's own descriptor: JSON ->
// protobuf -> JSON gives the same object, and the bytes are stable.
class RandomObject {
 public:
  explicit RandomObject(uint32_t seed) : rng_(seed) {}

  json of(const google::protobuf::Descriptor* d, int depth) {
    json out = json::object();
    for (int i = 0; i < d->field_count(); ++i) {
      const google::protobuf::FieldDescriptor* f = d->field(i);
      if (!chance(depth == 0 ? 90 : 60 / depth)) continue;  // objects stay small
      if (f->is_map()) {
        json& map = out[f->json_name()];
        for (int n = 1 + pick(2); n > 0; --n) {
          map[word()] = value(f->message_type()->map_value(), depth + 1);
        }
      } else if (f->is_repeated()) {
        json& list = out[f->json_name()];
        for (int n = 1 + pick(2); n > 0; --n) list.push_back(value(f, depth + 1));
      } else if (f->json_name() == ",inline") {  // its fields sit beside the owner's
        json inlined = of(f->message_type(), depth + 1);
        for (auto& [key, v] : inlined.items()) out[key] = v;
      } else {
        out[f->json_name()] = value(f, depth + 1);
      }
    }
    return out;
  }

 private:
  json value(const google::protobuf::FieldDescriptor* f, int depth) {
    using FD = google::protobuf::FieldDescriptor;
    switch (f->cpp_type()) {
      case FD::CPPTYPE_STRING:
        return f->type() == FD::TYPE_BYTES ? json(base64Encode(word() + "\x01\xff")) : json(word());
      case FD::CPPTYPE_BOOL: return chance(50);
      case FD::CPPTYPE_INT32: return static_cast<int32_t>(pick(200000)) - 100000;
      case FD::CPPTYPE_INT64: return static_cast<int64_t>(pick(1 << 30)) * 1000 - 7;
      default: break;
    }
    const std::string& type = f->message_type()->full_name();
    if (type.ends_with("meta.v1.Time")) {
      return formatRfc3339(Clock::WallTime(std::chrono::seconds(1700000000 + pick(1 << 28))));
    }
    if (type.ends_with("meta.v1.MicroTime")) {
      return formatRfc3339Micro(Clock::WallTime(std::chrono::microseconds(1700000000123456LL + pick(1 << 30))));
    }
    if (type.ends_with("intstr.IntOrString")) return chance(50) ? json(pick(65535)) : json(word());
    if (type.ends_with("resource.Quantity")) return std::to_string(1 + pick(999)) + "m";
    if (type.ends_with("runtime.RawExtension")) return json{{"apiVersion", "v1"}, {"kind", word()}};
    if (type.ends_with("meta.v1.FieldsV1")) return json{{"f:" + word(), json::object()}};
    if (type.ends_with("meta.v1.Duration")) return "1m30s";
    if (type.ends_with("certificates.v1.ExtraValue")) return json{word(), word()};
    if (depth > 6) return json::object();
    return of(f->message_type(), depth);
  }
  bool chance(int percent) { return pick(100) < percent; }
  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
  std::string word() {
    static const char* const kWords[] = {"a", "web", "kube-system", "app.kubernetes.io/name",
                                         "\xc3\xa9t\xc3\xa9", "x y", "10.96.0.10"};
    return kWords[pick(7)] + std::to_string(pick(10));
  }
  std::mt19937 rng_;
};

TEST(ProtobufBody, EveryServedKubernetesKindRoundTripsRandomObjects) {
  int kinds = 0;
  for (const ResourceInfo& resource : servedResources()) {
    std::string api_version =
        resource.group.empty() ? resource.version : resource.group + "/" + resource.version;
    const auto* message = protobufMessageOf(api_version, resource.kind);
    // The original's kinds, and CustomResourceDefinition (kept as JSON; kubectl and helm
    // send CRDs as JSON): JSON only.
    if (resource.kind == "Dns" || resource.kind == "Hpa" ||
        resource.kind == "CustomResourceDefinition") {
      EXPECT_EQ(message, nullptr);
      continue;
    }
    ASSERT_NE(message, nullptr) << api_version << " " << resource.kind;
    ++kinds;
    for (uint32_t seed = 1; seed <= 40; ++seed) {
      json object = RandomObject(seed).of(message, 0);
      object["apiVersion"] = api_version;
      object["kind"] = resource.kind;
      auto body = encodeProtobufBody(object);
      ASSERT_TRUE(body.isOk()) << resource.kind << " " << seed << ": " << body.status().message();
      auto back = decodeProtobufBody(*body);
      ASSERT_TRUE(back.isOk()) << resource.kind << " " << seed << ": " << back.status().message();
      ASSERT_EQ(*back, object) << resource.kind << " seed " << seed;
      auto again = encodeProtobufBody(*back);
      ASSERT_TRUE(again.isOk());
      EXPECT_EQ(*again, *body);
    }
  }
  EXPECT_GE(kinds, 18);
}

}  // namespace protobuf_body_test
}  // namespace minik8s::api
