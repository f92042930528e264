#include "apiserver/health.h"

#include <gtest/gtest.h>

namespace minik8s::apiserver {
namespace health_test {

HttpRequest get(const std::string& path, std::multimap<std::string, std::string> query = {}) {
  HttpRequest r;
  r.method = "GET";
  r.path = path;
  r.query = std::move(query);
  return r;
}

std::vector<HealthCheck> checks(bool etcd_ok) {
  return {{"ping", [] { return Status::ok(); }},
          {"etcd",
           [etcd_ok] { return etcd_ok ? Status::ok() : unavailable("etcd: connection refused"); }}};
}

TEST(ServeHealth, AllPassingIsAPlainOk) {
  auto r = serveHealth("readyz", checks(true), get("/readyz"));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "ok");
}

TEST(ServeHealth, VerboseListsEveryCheck) {
  auto r = serveHealth("readyz", checks(true), get("/readyz", {{"verbose", ""}}));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "[+]ping ok\n[+]etcd ok\nreadyz check passed\n");
}

TEST(ServeHealth, AFailingCheckIs503AndNamesItsReason) {
  auto r = serveHealth("readyz", checks(false), get("/readyz"));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->body, "[+]ping ok\n[-]etcd failed: etcd: connection refused\nreadyz check failed\n");
}

TEST(ServeHealth, ExcludedChecksDoNotRun) {
  auto r = serveHealth("readyz", checks(false), get("/readyz", {{"exclude", "etcd"}}));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
}

TEST(ServeHealth, OneCheckByPathAndUnknownChecksAre404) {
  EXPECT_EQ(serveHealth("readyz", checks(true), get("/readyz/etcd"))->status, 200);
  EXPECT_EQ(serveHealth("readyz", checks(false), get("/readyz/etcd"))->status, 503);
  EXPECT_EQ(serveHealth("readyz", checks(true), get("/readyz/nope"))->status, 404);
}

TEST(ServeHealth, OtherPathsAreNotServed) {
  EXPECT_FALSE(serveHealth("readyz", checks(true), get("/readyzz")).has_value());
  EXPECT_FALSE(serveHealth("livez", checks(true), get("/readyz")).has_value());
}

}  // namespace health_test
}  // namespace minik8s::apiserver
