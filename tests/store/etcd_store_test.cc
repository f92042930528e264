// The Store contract against a real etcd (integration: starts /usr/bin/etcd).
#include "store/etcd_store.h"

#include <gtest/gtest.h>

#include <thread>

#include "store/etcd_fixture.h"
#include "store/store_contract.h"

namespace minik8s::store::testing {
namespace {

// One etcd for the whole binary; every contract test uses its own key prefix.
class SharedEtcd : public ::testing::Environment {
 public:
  void SetUp() override {
    auto f = EtcdFixture::start();
    ASSERT_TRUE(f.isOk()) << f.status().toString();
    fixture = std::move(*f);
  }
  void TearDown() override { fixture.reset(); }
  static inline std::unique_ptr<EtcdFixture> fixture;
};

[[maybe_unused]] auto* const kEnv = ::testing::AddGlobalTestEnvironment(new SharedEtcd);

class EtcdHarness : public StoreHarness {
 public:
  explicit EtcdHarness(std::unique_ptr<EtcdStore> store) : store_(std::move(store)) {}
  Store& store() override { return *store_; }
  void passTime(std::chrono::seconds d) override { std::this_thread::sleep_for(d); }

 private:
  std::unique_ptr<EtcdStore> store_;
};

std::unique_ptr<StoreHarness> makeEtcdHarness() {
  if (!SharedEtcd::fixture) return nullptr;
  auto store = SharedEtcd::fixture->connect();
  if (!store.isOk()) return nullptr;
  return std::make_unique<EtcdHarness>(std::move(*store));
}

INSTANTIATE_TEST_SUITE_P(Etcd, StoreContractTest,
                         ::testing::Values(HarnessFactory{"etcd", makeEtcdHarness}),
                         [](const auto& info) { return info.param.name; });

TEST(PrefixRangeEnd, IncrementsTheLastByteBelow0xff) {
  EXPECT_EQ(prefixRangeEnd("/registry/pods/"), "/registry/pods0");
  EXPECT_EQ(prefixRangeEnd("a\xff"), "b");
  EXPECT_EQ(prefixRangeEnd(std::string("\xff\xff")), std::string(1, '\0'));
}

TEST(EtcdStore, ConnectToADeadEndpointFailsWithUnavailable) {
  auto port = pickFreePort();
  ASSERT_TRUE(port.isOk());
  EtcdStoreOptions options;
  options.connect_timeout = std::chrono::milliseconds(600);
  auto start = std::chrono::steady_clock::now();
  auto store = EtcdStore::connect({"http://127.0.0.1:" + std::to_string(*port)}, options);
  EXPECT_EQ(store.status().code(), Code::kUnavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
}

TEST(EtcdStore, ConnectUsesTheFirstReachableEndpoint) {
  ASSERT_TRUE(SharedEtcd::fixture);
  auto port = pickFreePort();
  ASSERT_TRUE(port.isOk());
  auto store = EtcdStore::connect(
      {"http://127.0.0.1:" + std::to_string(*port), SharedEtcd::fixture->endpoint()});
  ASSERT_TRUE(store.isOk()) << store.status().toString();
  EXPECT_EQ((*store)->endpoint(), SharedEtcd::fixture->endpoint());
}

TEST(EtcdStore, HttpsEndpointsAreRejected) {
  EXPECT_EQ(EtcdStore::connect({"https://127.0.0.1:2379"}).status().code(), Code::kInvalid);
}

}  // namespace
}  // namespace minik8s::store::testing
