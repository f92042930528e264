#include "apiserver/event_leases.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "apiserver/apiserver.h"
#include "store/memory_store.h"
#include "testing/http_client.h"

namespace minik8s::apiserver {
namespace event_leases_test {

using nlohmann::json;
using namespace std::chrono_literals;

TEST(EventLeaseReuseWindow, ATwentiethOfTheTtlBetweenOneSecondAndAMinute) {
  EXPECT_EQ(eventLeaseReuseWindow(3600s), 60s);
  EXPECT_EQ(eventLeaseReuseWindow(600s), 30s);
  EXPECT_EQ(eventLeaseReuseWindow(10s), 1s);
  EXPECT_EQ(eventLeaseReuseWindow(0s), 1s);
}

TEST(EventLeases, OneLeasePerReuseWindow) {
  FakeClock clock;
  store::MemoryStore store(clock);
  EventLeases leases(store, clock, 600s);  // window 30 s
  auto first = leases.leaseForWrite();
  ASSERT_TRUE(first.isOk());
  EXPECT_NE(*first, 0);
  clock.advance(29s);
  EXPECT_EQ(*leases.leaseForWrite(), *first);
  clock.advance(1s);
  auto second = leases.leaseForWrite();
  ASSERT_TRUE(second.isOk());
  EXPECT_NE(*second, *first);
}

TEST(EventLeases, NoTtlMeansNoLease) {
  FakeClock clock;
  store::MemoryStore store(clock);
  EventLeases leases(store, clock, 0s);
  EXPECT_EQ(*leases.leaseForWrite(), 0);
}

class EventTtlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ApiServerOptions options;
    options.http.port = 0;
    options.compaction_interval = 0s;
    options.event_ttl = 600s;  // leases of 630 s
    server_ = std::make_unique<ApiServer>(options, store_, clock_);
    ASSERT_TRUE(server_->start().isOk());
  }
  void TearDown() override { server_->stop(); }
  testing::HttpResult call(const std::string& method, const std::string& target,
                           const std::string& body = "") {
    return testing::httpCall(server_->port(), method, target, body, {});
  }
  static std::string object(const std::string& kind, const std::string& name) {
    json o = {{"apiVersion", "v1"}, {"kind", kind}, {"metadata", {{"name", name}}}};
    if (kind == "Event") {
      o["involvedObject"] = {{"kind", "Pod"}, {"name", "web"}, {"namespace", "default"}};
      o["reason"] = "Started";
      o["count"] = 1;
    }
    return o.dump();
  }
  int status(const std::string& path) {
    store_.expireLeases();
    return call("GET", path).status;
  }

  FakeClock clock_;
  store::MemoryStore store_{clock_};
  std::unique_ptr<ApiServer> server_;
};

TEST_F(EventTtlTest, AnEventVanishesTtlAfterItsLastWriteAndOtherObjectsStay) {
  ASSERT_EQ(call("POST", "/api/v1/namespaces/default/events", object("Event", "e1")).status, 201);
  ASSERT_EQ(call("POST", "/api/v1/namespaces/default/configmaps", object("ConfigMap", "c1")).status,
            201);
  clock_.advance(599s);
  EXPECT_EQ(status("/api/v1/namespaces/default/events/e1"), 200);
  // A repeat (the count patch of an event recorder) renews it.
  auto patched =
      testing::httpCall(server_->port(), "PATCH", "/api/v1/namespaces/default/events/e1",
                        R"({"count":2})", {{"Content-Type", "application/merge-patch+json"}});
  ASSERT_EQ(patched.status, 200) << patched.body;
  clock_.advance(600s);
  EXPECT_EQ(status("/api/v1/namespaces/default/events/e1"), 200);
  clock_.advance(31s);
  EXPECT_EQ(status("/api/v1/namespaces/default/events/e1"), 404);
  EXPECT_EQ(status("/api/v1/namespaces/default/configmaps/c1"), 200);
}

}  // namespace event_leases_test
}  // namespace minik8s::apiserver
