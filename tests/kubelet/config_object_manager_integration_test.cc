// The ConfigObjectManager as a joined node runs it: a real apiserver with authentication,
// the kubelet's client acting as system:node:n1 under the Node authorizer. Its single-object
// watches are allowed (no Forbidden), see an update, and a cluster-wide list is refused.
#include "kubelet/config_object_manager.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <thread>

#include "api/codec.h"
#include "api/scheme.h"
#include "apiserver/apiserver.h"
#include "client/rest_client.h"
#include "store/etcd_fixture.h"
#include "testing/api_fixture.h"

namespace minik8s::kubelet {
namespace config_object_manager_integration_test {

using nlohmann::json;
using namespace std::chrono_literals;

const api::ResourceInfo& res(const char* plural) { return *api::findResource("", "v1", plural); }

class NodeConfigObjectsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto etcd = store::testing::EtcdFixture::start();
    ASSERT_TRUE(etcd.isOk()) << etcd.status().toString();
    etcd_ = std::move(etcd).value();
    auto store = etcd_->connect();
    ASSERT_TRUE(store.isOk()) << store.status().toString();
    store_ = std::move(store).value();
    apiserver::ApiServerOptions options;
    options.http.port = 0;
    options.compaction_interval = 0s;
    options.security.enabled = true;
    options.security.static_tokens = {
        {"admin-token", {"admin", "1", {"system:masters"}}},
        {"node-token", {"system:node:n1", "7", {"system:nodes"}}},
    };
    server_ = std::make_unique<apiserver::ApiServer>(options, *store_);
    Status s = server_->start();
    ASSERT_TRUE(s.isOk()) << s.toString();
    admin_ = connect("admin-token");
    node_ = connect("node-token");
    ASSERT_TRUE(admin_ && node_);
  }
  void TearDown() override {
    if (server_) server_->stop();
  }

  std::unique_ptr<client::RestClient> connect(const std::string& token) {
    client::ClientConfig config;
    config.server = "http://127.0.0.1:" + std::to_string(server_->port());
    config.bearer_token = token;
    auto client = client::RestClient::connect(config);
    EXPECT_TRUE(client.isOk()) << client.status().toString();
    return client.isOk() ? std::move(client).value() : nullptr;
  }

  void create(const char* plural, json object) {
    auto created = admin_->create(res(plural), "default", object);
    ASSERT_TRUE(created.isOk()) << plural << ": " << created.status().toString();
  }

  std::unique_ptr<store::testing::EtcdFixture> etcd_;
  std::unique_ptr<store::EtcdStore> store_;
  std::unique_ptr<apiserver::ApiServer> server_;
  std::unique_ptr<client::RestClient> admin_;
  std::unique_ptr<client::RestClient> node_;
};

TEST_F(NodeConfigObjectsTest, ANodeWatchesTheObjectsOfItsPodsByNameAndSeesUpdates) {
  // A pod keeps its nodeName only when the Node exists.
  auto node = admin_->create(res("nodes"), "", {{"apiVersion", "v1"},
                                                {"kind", "Node"},
                                                {"metadata", {{"name", "n1"}}}});
  ASSERT_TRUE(node.isOk()) << node.status().toString();
  create("configmaps", {{"apiVersion", "v1"},
                        {"kind", "ConfigMap"},
                        {"metadata", {{"name", "settings"}}},
                        {"data", {{"mode", "fast"}}}});
  create("configmaps", {{"apiVersion", "v1"},
                        {"kind", "ConfigMap"},
                        {"metadata", {{"name", "unrelated"}}},
                        {"data", {{"x", "y"}}}});
  create("secrets", {{"apiVersion", "v1"},
                     {"kind", "Secret"},
                     {"metadata", {{"name", "token"}}},
                     {"data", {{"key", "czNjcjN0"}}}});  // "s3cr3t"
  json pod = {{"apiVersion", "v1"},
              {"kind", "Pod"},
              {"metadata", {{"name", "user"}}},
              {"spec",
               {{"nodeName", "n1"},
                {"volumes", {{{"name", "cfg"}, {"configMap", {{"name", "settings"}}}}}},
                {"containers",
                 {{{"name", "c"},
                   {"image", "busybox"},
                   {"env",
                    {{{"name", "KEY"},
                      {"valueFrom",
                       {{"secretKeyRef", {{"name", "token"}, {"key", "key"}}}}}}}}}}}}}};
  auto created = admin_->create(res("pods"), "default", pod);
  ASSERT_TRUE(created.isOk()) << created.status().toString();
  auto decoded = api::decode<api::Pod>(*created);
  ASSERT_TRUE(decoded.isOk()) << decoded.status().toString();
  ASSERT_EQ(decoded->spec.node_name, "n1");

  // What the Node authorizer says to the node's own requests.
  client::ListOptions named;
  named.field_selector = "metadata.name=settings";
  // The authorizer reads pods from the watch cache, which follows the create closely.
  EXPECT_TRUE(testing::eventually([&] {
    return node_->list(res("configmaps"), "default", named).isOk();
  })) << node_->list(res("configmaps"), "default", named).status().toString();
  EXPECT_EQ(node_->list(res("configmaps"), "", client::ListOptions{}).status().code(),
            Code::kForbidden);
  EXPECT_EQ(node_->list(res("secrets"), "default", client::ListOptions{}).status().code(),
            Code::kForbidden);
  client::ListOptions other;
  other.field_selector = "metadata.name=unrelated";
  EXPECT_EQ(node_->list(res("configmaps"), "default", other).status().code(), Code::kForbidden);
  auto one = node_->list(res("configmaps"), "default", named);
  ASSERT_TRUE(one.isOk());
  ASSERT_EQ((*one)["items"].size(), 1u) << "the field selector is honoured: " << one->dump();
  EXPECT_EQ((*one)["items"][0]["metadata"]["name"], "settings");

  client::InformerOptions timing;
  timing.initial_backoff = 20ms;
  ConfigObjectManager manager(*node_, /*watch=*/true, timing);
  std::atomic<int> changes{0};
  manager.setChangeHandler([&](const std::string& uid) {
    if (uid == decoded->metadata.uid) ++changes;
  });
  manager.registerPod(*decoded);
  const ConfigObjectRef settings{"default", "configmap", "settings"};
  const ConfigObjectRef token{"default", "secret", "token"};
  ASSERT_TRUE(manager.waitForSync(settings, 10s)) << "the named watch was refused?";
  ASSERT_TRUE(manager.waitForSync(token, 10s));
  EXPECT_EQ(manager.get("default", "configmap", "settings")->data["mode"], "fast");
  EXPECT_EQ(manager.get("default", "secret", "token")->data["key"], "s3cr3t");

  auto stored = admin_->get(res("configmaps"), "default", "settings");
  ASSERT_TRUE(stored.isOk());
  json updated = *stored;
  updated["data"]["mode"] = "slow";
  ASSERT_TRUE(admin_->update(res("configmaps"), "default", updated, "").isOk());
  EXPECT_TRUE(testing::eventually([&] {
    auto got = manager.get("default", "configmap", "settings");
    return got && got->data["mode"] == "slow";
  }));
  EXPECT_TRUE(testing::eventually([&] { return changes.load() >= 1; }));

  manager.unregisterPod(decoded->metadata.uid);
  EXPECT_TRUE(manager.watched().empty());
}

}  // namespace config_object_manager_integration_test
}  // namespace minik8s::kubelet
