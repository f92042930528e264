// Informer and Reflector against a real apiserver on port 0 and a real etcd.
#include "client/informer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "apiserver/apiserver.h"
#include "store/etcd_fixture.h"

namespace minik8s::client {
namespace informer_test {

using nlohmann::json;
using namespace std::chrono_literals;

template <typename F>
bool eventually(F&& f, std::chrono::milliseconds deadline = 10s) {
  auto end = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < end) {
    if (f()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return f();
}

class InformerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto etcd = store::testing::EtcdFixture::start();
    ASSERT_TRUE(etcd.isOk()) << etcd.status().toString();
    etcd_ = std::move(etcd).value();
  }

  void startServer(apiserver::ApiServerOptions options = {}) {
    auto store = etcd_->connect();
    ASSERT_TRUE(store.isOk()) << store.status().toString();
    store_ = std::move(store).value();
    options.http.port = 0;
    options.compaction_interval = std::chrono::seconds(0);
    server_ = std::make_unique<apiserver::ApiServer>(options, *store_);
    ASSERT_TRUE(server_->start().isOk());
    ClientConfig config;
    config.server = "http://127.0.0.1:" + std::to_string(server_->port());
    auto client = RestClient::connect(config);
    ASSERT_TRUE(client.isOk());
    client_ = std::move(client).value();
  }

  json configMap(const std::string& name, const std::string& value) {
    return {{"apiVersion", "v1"},
            {"kind", "ConfigMap"},
            {"metadata", {{"name", name}, {"labels", {{"group", value}}}}},
            {"data", {{"v", value}}}};
  }

  const api::ResourceInfo& configMaps() { return *api::findResource("", "v1", "configmaps"); }

  std::unique_ptr<store::testing::EtcdFixture> etcd_;
  std::unique_ptr<store::EtcdStore> store_;
  std::unique_ptr<apiserver::ApiServer> server_;
  std::unique_ptr<RestClient> client_;
};

TEST_F(InformerTest, ListsThenFollowsAddsUpdatesAndDeletes) {
  startServer();
  ASSERT_TRUE(client_->create(configMaps(), "default", configMap("before", "a")).isOk());
  Informer<json> informer(*client_, configMaps(), {.ns = "default"});
  std::atomic<int> adds{0}, updates{0}, deletes{0};
  informer.addHandler({.on_add = [&](const auto&) { ++adds; },
                       .on_update = [&](const auto&, const auto&) { ++updates; },
                       .on_delete = [&](const auto&) { ++deletes; }});
  informer.addIndex("group", [](const json& o) {
    return std::vector<std::string>{o["metadata"]["labels"].value("group", "")};
  });
  informer.start();
  ASSERT_TRUE(informer.waitForSync(10s));
  ASSERT_NE(informer.get("default/before"), nullptr);
  EXPECT_EQ(adds.load(), 1);

  ASSERT_TRUE(client_->create(configMaps(), "default", configMap("after", "b")).isOk());
  ASSERT_TRUE(eventually([&] { return informer.get("default/after") != nullptr; }));
  EXPECT_EQ(informer.byIndex("group", "b").size(), 1u);

  json changed = configMap("after", "c");
  ASSERT_TRUE(client_->update(configMaps(), "default", changed).isOk());
  ASSERT_TRUE(eventually([&] { return informer.byIndex("group", "c").size() == 1; }));
  EXPECT_TRUE(informer.byIndex("group", "b").empty());
  EXPECT_EQ((*informer.get("default/after"))["data"]["v"], "c");
  // Handlers run just after the store changed: wait for them, then count exactly.
  EXPECT_TRUE(eventually([&] { return updates.load() >= 1; }));
  EXPECT_EQ(updates.load(), 1);

  ASSERT_TRUE(client_->remove(configMaps(), "default", "before").isOk());
  ASSERT_TRUE(eventually([&] { return informer.get("default/before") == nullptr; }));
  EXPECT_TRUE(eventually([&] { return deletes.load() >= 1; }));
  EXPECT_EQ(deletes.load(), 1);
  EXPECT_EQ(informer.list().size(), 1u);
  EXPECT_EQ(informer.listCount(), 1);
}

TEST_F(InformerTest, DecodesIntoTypedObjects) {
  startServer();
  ASSERT_TRUE(client_->create(configMaps(), "default", configMap("typed", "x")).isOk());
  Informer<api::ConfigMap> informer(*client_, configMaps());
  informer.start();
  ASSERT_TRUE(informer.waitForSync(10s));
  auto cm = informer.get("default/typed");
  ASSERT_NE(cm, nullptr);
  EXPECT_EQ(cm->data.at("v"), "x");
}

TEST_F(InformerTest, RelistsWhenTheServerGoesAwayAndCatchesUp) {
  startServer();
  Informer<json> informer(*client_, configMaps(),
                          {.ns = "default", .initial_backoff = 20ms, .max_backoff = 200ms});
  informer.start();
  ASSERT_TRUE(informer.waitForSync(10s));
  uint16_t port = server_->port();
  server_->stop();
  // A change made while the informer cannot see it.
  {
    auto store = etcd_->connect();
    ASSERT_TRUE(store.isOk());
    apiserver::ApiServerOptions options;
    options.http.port = port;
    options.compaction_interval = std::chrono::seconds(0);
    server_ = std::make_unique<apiserver::ApiServer>(options, **store);
    ASSERT_TRUE(server_->start().isOk()) << "port " << port << " taken";
    ASSERT_TRUE(client_->create(configMaps(), "default", configMap("while-away", "w")).isOk());
    ASSERT_TRUE(eventually([&] { return informer.get("default/while-away") != nullptr; }));
    EXPECT_GE(informer.listCount(), 1);
    informer.stop();
    server_->stop();
  }
}

TEST_F(InformerTest, ConvergesAfterABurstOfWritesWithATinyWatchCache) {
  apiserver::ApiServerOptions options;
  options.watch_cache.history_capacity = 2;
  options.watch_cache.history_min_age = std::chrono::seconds(0);
  options.watch_cache.history_hard_limit = 2;
  startServer(options);
  Informer<json> informer(*client_, configMaps(), {.ns = "default", .initial_backoff = 20ms});
  informer.start();
  ASSERT_TRUE(informer.waitForSync(10s));
  // Many writes in a burst; whether the watch keeps up or is answered 410 and relists,
  // the cache must converge to the final state.
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE(
        client_->create(configMaps(), "default", configMap("cm" + std::to_string(i), "g")).isOk());
  }
  ASSERT_TRUE(eventually([&] { return informer.list().size() == 30; }));
}

TEST_F(InformerTest, RelistsWhenTheWatchIsAnsweredGone) {
  // A one-event watch cache sends old revisions to etcd, where they are compacted: 410.
  apiserver::ApiServerOptions options;
  options.watch_cache.history_capacity = 1;
  options.watch_cache.history_min_age = std::chrono::seconds(0);
  options.watch_cache.history_hard_limit = 1;
  startServer(options);
  ASSERT_TRUE(client_->create(configMaps(), "default", configMap("first", "a")).isOk());
  // The first add handler runs between the LIST and the WATCH: hold it there while the
  // history the watch would need is written and compacted away.
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  std::atomic<bool> holding{false};
  Informer<json> informer(*client_, configMaps(), {.ns = "default", .initial_backoff = 20ms});
  informer.addHandler({.on_add =
                           [&](const auto& obj) {
                             if ((*obj)["metadata"]["name"] != "first" || holding.exchange(true))
                               return;
                             std::unique_lock lock(mu);
                             cv.wait(lock, [&] { return release; });
                           },
                       .on_update = nullptr,
                       .on_delete = nullptr});
  informer.start();
  ASSERT_TRUE(eventually([&] { return holding.load(); }));
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(
        client_->create(configMaps(), "default", configMap("later" + std::to_string(i), "b"))
            .isOk());
  }
  auto listed = client_->list(configMaps(), "default");
  ASSERT_TRUE(listed.isOk());
  int64_t rev = std::stoll((*listed)["metadata"].value("resourceVersion", "0"));
  ASSERT_TRUE(store_->compact(rev).isOk());
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  ASSERT_TRUE(eventually([&] { return informer.list().size() == 6; }));
  EXPECT_GE(informer.listCount(), 2);
}

}  // namespace informer_test
}  // namespace minik8s::client
