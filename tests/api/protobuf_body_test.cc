#include "api/protobuf_body.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "api/chars.h"

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
      "metadata":{"name":"simple-deployment"},
      "spec":{"scaleTargetRef":{"kind":"Deployment","name":"simple-deployment",
              "apiVersion":"apps/v1"},
              "minReplicas":1,"maxReplicas":4,"targetCPUUtilizationPercentage":50}})"));
}

TEST(ProtobufBody, OtherKindsAreUnsupportedMediaType) {
  // runtime.Unknown{typeMeta{v1, ConfigMap}, raw{}}
  std::string body("k8s\0\x0a\x0f\x0a\x02v1\x12\x09" "ConfigMap\x12\x00", 4 + 19);
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

}  // namespace protobuf_body_test
}  // namespace minik8s::api
