#include "kubelet/config_object_manager.h"

#include <gtest/gtest.h>

#include "api/scheme.h"
#include "client/fake_client.h"

namespace minik8s::kubelet {
namespace config_object_manager_test {

using nlohmann::json;
using namespace std::chrono_literals;

const api::ResourceInfo& res(const char* plural) { return *api::findResource("", "v1", plural); }

class ConfigObjectManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    client_.add(res("configmaps"),
                {{"apiVersion", "v1"},
                 {"kind", "ConfigMap"},
                 {"metadata", {{"name", "settings"}, {"namespace", "default"}}},
                 {"data", {{"mode", "fast"}}},
                 {"binaryData", {{"blob", "eHk="}}}});  // "xy"
    client_.add(res("secrets"), {{"apiVersion", "v1"},
                                 {"kind", "Secret"},
                                 {"metadata", {{"name", "token"}, {"namespace", "default"}}},
                                 {"data", {{"key", "czNjcjN0"}}}});  // "s3cr3t"
  }

  int gets() {
    int n = 0;
    for (const auto& a : client_.actions()) n += a.verb == "get";
    return n;
  }

  client::FakeClient client_;
  ConfigObjectManager manager_{client_};
};

TEST_F(ConfigObjectManagerTest, ReadsWhatTheInformersHaveWithoutAGet) {
  manager_.start();
  ASSERT_TRUE(manager_.waitForSync(5s));
  client_.clearActions();
  auto settings = manager_.get("default", "configmap", "settings");
  ASSERT_TRUE(settings.has_value());
  EXPECT_EQ(settings->data["mode"], "fast");
  EXPECT_EQ(settings->data["blob"], "xy");
  auto token = manager_.get("default", "secret", "token");
  ASSERT_TRUE(token.has_value());
  EXPECT_EQ(token->data["key"], "s3cr3t");
  EXPECT_EQ(gets(), 0);
}

TEST_F(ConfigObjectManagerTest, AnObjectTheInformerDoesNotHaveIsReadWithAGet) {
  manager_.start();
  ASSERT_TRUE(manager_.waitForSync(5s));
  client_.clearActions();
  EXPECT_FALSE(manager_.get("default", "configmap", "missing").has_value());
  EXPECT_FALSE(manager_.get("other", "secret", "token").has_value());
  EXPECT_EQ(gets(), 2);
}

TEST_F(ConfigObjectManagerTest, BeforeTheInformersListedEveryReadIsAGet) {
  auto token = manager_.get("default", "secret", "token");  // not started
  ASSERT_TRUE(token.has_value());
  EXPECT_EQ(token->data["key"], "s3cr3t");
  EXPECT_EQ(gets(), 1);
}

}  // namespace config_object_manager_test
}  // namespace minik8s::kubelet
