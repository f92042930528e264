// The Kubernetes Status object built from a Status (status_response.h).
#include "apiserver/status_response.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace minik8s::apiserver {
namespace {

using nlohmann::json;

std::string headerOf(const HttpResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

TEST(StatusResponse, ARetryAfterGoesInTheDetailsAndTheHeader) {
  Status refused(Code::kTooManyRequests, "slow down",
                 {FieldError{.field = "", .reason = "DisruptionBudget", .message = "m"}});
  HttpResponse r = statusResponse(refused, {.retry_after_seconds = 10});
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(headerOf(r, "Retry-After"), "10");
  json body = json::parse(r.body);
  EXPECT_EQ(body["details"]["retryAfterSeconds"], 10);
  EXPECT_EQ(body["reason"], "TooManyRequests");
  EXPECT_EQ(body["details"]["causes"][0]["reason"], "DisruptionBudget");
}

TEST(StatusResponse, NoRetryAfterUnlessAsked) {
  HttpResponse r = statusResponse(notFound("pods \"x\" not found"), {.name = "x", .kind = "pods"});
  EXPECT_EQ(headerOf(r, "Retry-After"), "");
  json body = json::parse(r.body);
  EXPECT_FALSE(body["details"].contains("retryAfterSeconds"));
  EXPECT_EQ(body["details"]["name"], "x");
  EXPECT_EQ(statusResponse(Status::ok(), {.retry_after_seconds = 3}).body.find("retry"),
            std::string::npos);
}

}  // namespace
}  // namespace minik8s::apiserver
