#include "kubelet/config_object_manager.h"

#include <gtest/gtest.h>

#include <thread>

#include "api/codec.h"
#include "api/scheme.h"
#include "client/fake_client.h"

namespace minik8s::kubelet {
namespace config_object_manager_test {

using nlohmann::json;
using namespace std::chrono_literals;

const api::ResourceInfo& res(const char* plural) { return *api::findResource("", "v1", plural); }

// A FakeClient that also remembers the selectors of every list and watch.
class RecordingClient : public client::FakeClient {
 public:
  struct Read {
    std::string verb, resource, ns, field_selector;
  };
  using FakeClient::list;
  using FakeClient::watch;
  Result<json> list(const api::ResourceInfo& resource, std::string_view ns,
                    const client::ListOptions& options) override {
    remember("list", resource, ns, options);
    return FakeClient::list(resource, ns, options);
  }
  Status watch(const api::ResourceInfo& resource, std::string_view ns,
               const client::ListOptions& options,
               const std::function<bool(const client::WatchEvent&)>& on_event,
               std::stop_token stop) override {
    remember("watch", resource, ns, options);
    return FakeClient::watch(resource, ns, options, on_event, stop);
  }
  std::vector<Read> reads() const {
    std::lock_guard lock(mu_);
    return reads_;
  }

 private:
  void remember(const char* verb, const api::ResourceInfo& resource, std::string_view ns,
                const client::ListOptions& options) {
    std::lock_guard lock(mu_);
    reads_.push_back({verb, resource.plural, std::string(ns), options.field_selector});
  }
  mutable std::mutex mu_;
  std::vector<Read> reads_;
};

api::Pod pod(const std::string& uid, json spec) {
  json object = {{"apiVersion", "v1"},
                 {"kind", "Pod"},
                 {"metadata", {{"name", "pod-" + uid}, {"namespace", "default"}, {"uid", uid}}},
                 {"spec", std::move(spec)}};
  auto decoded = api::decode<api::Pod>(object);
  EXPECT_TRUE(decoded.isOk()) << decoded.status().toString();
  return decoded.isOk() ? *decoded : api::Pod{};
}

// Uses ConfigMap `settings` as a volume and through envFrom, Secret `token` through env.
api::Pod userOfBoth(const std::string& uid) {
  return pod(uid,
             {{"volumes", {{{"name", "cfg"}, {"configMap", {{"name", "settings"}}}}}},
              {"containers",
               {{{"name", "c"},
                 {"image", "busybox"},
                 {"env",
                  {{{"name", "KEY"},
                    {"valueFrom", {{"secretKeyRef", {{"name", "token"}, {"key", "key"}}}}}}}},
                 {"envFrom", {{{"configMapRef", {{"name", "settings"}}}}}}}}}});
}

api::Pod userOfSettings(const std::string& uid) {
  return pod(uid, {{"volumes", {{{"name", "cfg"}, {"configMap", {{"name", "settings"}}}}}},
                   {"containers", {{{"name", "c"}, {"image", "busybox"}}}}});
}

const ConfigObjectRef kSettings{"default", "configmap", "settings"};
const ConfigObjectRef kToken{"default", "secret", "token"};

class ConfigObjectManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    client_.add(res("configmaps"),
                {{"apiVersion", "v1"},
                 {"kind", "ConfigMap"},
                 {"metadata", {{"name", "settings"}, {"namespace", "default"}}},
                 {"data", {{"mode", "fast"}}},
                 {"binaryData", {{"blob", "eHk="}}}});  // "xy"
    client_.add(res("configmaps"), {{"apiVersion", "v1"},
                                    {"kind", "ConfigMap"},
                                    {"metadata", {{"name", "unrelated"}, {"namespace", "default"}}},
                                    {"data", {{"x", "y"}}}});
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

  RecordingClient client_;
  ConfigObjectManager manager_{client_};
};

TEST_F(ConfigObjectManagerTest, ARegisteredPodGetsOneNamedWatchPerObjectItUses) {
  manager_.registerPod(userOfBoth("a"));
  EXPECT_EQ(manager_.watched(), (std::vector<ConfigObjectRef>{kSettings, kToken}));
  ASSERT_TRUE(manager_.waitForSync(kSettings, 5s));
  ASSERT_TRUE(manager_.waitForSync(kToken, 5s));
  auto reads = client_.reads();
  ASSERT_GE(reads.size(), 2u);
  for (const auto& read : reads) {
    EXPECT_EQ(read.ns, "default") << read.verb << " " << read.resource;
    if (read.resource == "configmaps") {
      EXPECT_EQ(read.field_selector, "metadata.name=settings") << read.verb;
    } else {
      EXPECT_EQ(read.resource, "secrets");
      EXPECT_EQ(read.field_selector, "metadata.name=token") << read.verb;
    }
  }
}

TEST_F(ConfigObjectManagerTest, ReadsWhatTheWatchesHaveWithoutAGet) {
  manager_.registerPod(userOfBoth("a"));
  ASSERT_TRUE(manager_.waitForSync(kSettings, 5s));
  ASSERT_TRUE(manager_.waitForSync(kToken, 5s));
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

TEST_F(ConfigObjectManagerTest, AnObjectWithoutASyncedWatchIsReadWithAGet) {
  auto token = manager_.get("default", "secret", "token");  // nothing registered
  ASSERT_TRUE(token.has_value());
  EXPECT_EQ(token->data["key"], "s3cr3t");
  EXPECT_FALSE(manager_.get("default", "configmap", "missing").has_value());
  EXPECT_FALSE(manager_.get("other", "secret", "token").has_value());
  EXPECT_EQ(gets(), 3);
  EXPECT_TRUE(client_.reads().empty());
}

TEST_F(ConfigObjectManagerTest, TheLastPodToReleaseAnObjectStopsItsWatch) {
  manager_.registerPod(userOfBoth("a"));
  manager_.registerPod(userOfSettings("b"));
  manager_.registerPod(userOfSettings("b"));  // again: no second reference
  EXPECT_EQ(manager_.watched().size(), 2u);
  manager_.unregisterPod("a");
  EXPECT_EQ(manager_.watched(), std::vector<ConfigObjectRef>{kSettings});
  manager_.unregisterPod("b");
  EXPECT_TRUE(manager_.watched().empty());
  manager_.unregisterPod("b");  // nothing left: no effect
  // No watch follows once released: a later read is a GET.
  client_.clearActions();
  EXPECT_TRUE(manager_.get("default", "configmap", "settings").has_value());
  EXPECT_EQ(gets(), 1);
}

TEST_F(ConfigObjectManagerTest, ReRegisteringWithFewerReferencesReleasesTheOthers) {
  api::Pod both = userOfBoth("a");
  manager_.registerPod(both);
  EXPECT_EQ(manager_.watched().size(), 2u);
  manager_.registerPod(userOfSettings("a"));  // same uid, the secret env is gone
  EXPECT_EQ(manager_.watched(), std::vector<ConfigObjectRef>{kSettings});
  manager_.registerPod(pod("a", {{"containers", {{{"name", "c"}, {"image", "busybox"}}}}}));
  EXPECT_TRUE(manager_.watched().empty());
}

TEST_F(ConfigObjectManagerTest, AnUpdateIsSeenAndReSyncsThePodsThatUseIt) {
  std::mutex mu;
  std::vector<std::string> resynced;
  manager_.setChangeHandler([&](const std::string& uid) {
    std::lock_guard lock(mu);
    resynced.push_back(uid);
  });
  manager_.registerPod(userOfSettings("a"));
  manager_.registerPod(userOfBoth("b"));
  ASSERT_TRUE(manager_.waitForSync(kSettings, 5s));
  ASSERT_TRUE(manager_.waitForSync(kToken, 5s));
  {
    std::lock_guard lock(mu);
    EXPECT_TRUE(resynced.empty()) << "the first list only fills the cache";
  }
  json updated = *client_.object(res("configmaps"), "default", "settings");
  updated["data"]["mode"] = "slow";
  ASSERT_TRUE(client_.update(res("configmaps"), "default", updated, "").isOk());
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < deadline &&
         manager_.get("default", "configmap", "settings")->data["mode"] != "slow") {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(manager_.get("default", "configmap", "settings")->data["mode"], "slow");
  while (std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard lock(mu);
      if (resynced.size() >= 2) break;
    }
    std::this_thread::sleep_for(10ms);
  }
  std::lock_guard lock(mu);
  std::sort(resynced.begin(), resynced.end());
  EXPECT_EQ(resynced, (std::vector<std::string>{"a", "b"}));
}

TEST_F(ConfigObjectManagerTest, WithoutWatchingEveryReadIsAGet) {
  ConfigObjectManager manager(client_, /*watch=*/false);
  manager.registerPod(userOfBoth("a"));
  EXPECT_TRUE(manager.watched().empty());
  EXPECT_TRUE(manager.get("default", "secret", "token").has_value());
  EXPECT_EQ(gets(), 1);
  EXPECT_TRUE(client_.reads().empty());
}

TEST_F(ConfigObjectManagerTest, StopEndsEveryWatchAndLaterRegistrationsStartNone) {
  manager_.registerPod(userOfBoth("a"));
  manager_.stop();
  EXPECT_TRUE(manager_.watched().empty());
  manager_.registerPod(userOfSettings("b"));
  EXPECT_TRUE(manager_.watched().empty());
}

TEST(ConfigObjectReferences, CoverVolumesEnvEnvFromInitContainersAndPullSecrets) {
  api::Pod p = pod(
      "u", {{"volumes",
             {{{"name", "v1"}, {"configMap", {{"name", "cm-vol"}}}},
              {{"name", "v2"}, {"secret", {{"secretName", "s-vol"}}}},
              {{"name", "v3"}, {"emptyDir", json::object()}}}},
            {"initContainers",
             {{{"name", "i"},
               {"image", "busybox"},
               {"env",
                {{{"name", "A"},
                  {"valueFrom", {{"configMapKeyRef", {{"name", "cm-env"}, {"key", "k"}}}}}},
                 {{"name", "B"}, {"value", "plain"}}}}}}},
            {"containers",
             {{{"name", "c"},
               {"image", "busybox"},
               {"env",
                {{{"name", "C"},
                  {"valueFrom", {{"secretKeyRef", {{"name", "s-env"}, {"key", "k"}}}}}}}},
               {"envFrom",
                {{{"configMapRef", {{"name", "cm-from"}}}},
                 {{"secretRef", {{"name", "s-from"}}}}}}}}},
            {"imagePullSecrets", {{{"name", "pull"}}}}});
  std::set<ConfigObjectRef> expected = {
      {"default", "configmap", "cm-vol"}, {"default", "configmap", "cm-env"},
      {"default", "configmap", "cm-from"}, {"default", "secret", "s-vol"},
      {"default", "secret", "s-env"},      {"default", "secret", "s-from"},
      {"default", "secret", "pull"}};
  EXPECT_EQ(ConfigObjectManager::referencesOf(p), expected);
}

}  // namespace config_object_manager_test
}  // namespace minik8s::kubelet
