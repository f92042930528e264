#include "apiserver/protobuf_response.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "api/protobuf_body.h"

namespace minik8s::apiserver {
namespace protobuf_response_test {

using nlohmann::json;

constexpr const char* kTypedClient = "application/vnd.kubernetes.protobuf,application/json";

HttpResponse jsonResponse(const json& body) {
  HttpResponse r;
  r.headers.emplace_back("Content-Type", "application/json");
  r.body = body.dump();
  return r;
}

std::string contentType(const HttpResponse& r) {
  for (const auto& [name, value] : r.headers) {
    if (name == "Content-Type") return value;
  }
  return "";
}

TEST(ProtobufResponse, OnlyAFirstProtobufRangeIsAPreference) {
  EXPECT_TRUE(prefersProtobuf(kTypedClient));
  EXPECT_TRUE(prefersProtobuf(" application/vnd.kubernetes.protobuf ;q=1, */*"));
  EXPECT_FALSE(prefersProtobuf("application/json, application/vnd.kubernetes.protobuf"));
  EXPECT_FALSE(prefersProtobuf("application/json;as=Table;v=v1;g=meta.k8s.io,application/json"));
  EXPECT_FALSE(prefersProtobuf(""));
}

TEST(ProtobufResponse, AnObjectAListAndAStatusAreAnsweredInProtobuf) {
  const json objects[] = {
      json::parse(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c",
                     "resourceVersion":"7","creationTimestamp":"2026-12-07T06:00:00Z"},"data":{"a":"b"}})"),
      json::parse(R"({"apiVersion":"v1","kind":"ConfigMapList","metadata":{"resourceVersion":"9"},
                     "items":[{"metadata":{"name":"c"},"data":{"a":"b"}}]})"),
      json::parse(R"({"apiVersion":"v1","kind":"Status","status":"Failure","code":404,
                     "reason":"NotFound","message":"configmaps \"x\" not found",
                     "details":{"name":"x","kind":"configmaps"},"metadata":{}})")};
  for (const json& object : objects) {
    HttpResponse r = jsonResponse(object);
    answerInProtobufIfPreferred(kTypedClient, r);
    EXPECT_EQ(contentType(r), "application/vnd.kubernetes.protobuf") << object["kind"];
    auto back = api::decodeProtobufBody(r.body);
    ASSERT_TRUE(back.isOk()) << back.status().message();
    EXPECT_EQ(*back, object);
  }
}

TEST(ProtobufResponse, WhatHasNoMessageStaysJson) {
  const json objects[] = {
      json::parse(R"({"apiVersion":"meta.k8s.io/v1","kind":"Table","rows":[]})"),
      json::parse(R"({"apiVersion":"v1","kind":"Dns","metadata":{"name":"d"}})"),
      json::parse(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"future":1})")};
  for (const json& object : objects) {
    HttpResponse r = jsonResponse(object);
    answerInProtobufIfPreferred(kTypedClient, r);
    EXPECT_EQ(contentType(r), "application/json");
    EXPECT_EQ(json::parse(r.body), object);
  }
  HttpResponse r = jsonResponse(objects[0]);
  answerInProtobufIfPreferred("application/json", r);
  EXPECT_EQ(contentType(r), "application/json");

  json big = json::parse(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"}})");
  big["data"]["a"] = std::string(kMaxProtobufAnswerJsonBytes, 'x');
  HttpResponse large = jsonResponse(big);
  answerInProtobufIfPreferred(kTypedClient, large);
  EXPECT_EQ(contentType(large), "application/json");
}

}  // namespace protobuf_response_test
}  // namespace minik8s::apiserver
