// IngressController with the fake client and prefilled caches: the add-on appears with the
// first Dns, the ConfigMap is written only when the configuration changes, and each Dns'
// status says Pending (with the reason) or Live.
#include "controller/ingress.h"

#include <gtest/gtest.h>

#include "client/fake_client.h"
#include "controller/fixtures.h"

namespace minik8s::controller {
namespace {

using nlohmann::json;
using testing::decoded;

json seedDns() {
  return json::parse(R"({
    "apiVersion": "v1", "kind": "Dns",
    "metadata": {"name": "test-dns", "namespace": "default"},
    "spec": {"hostname": "vahag.com", "paths": [
      {"serviceName": "simple-service", "servicePort": 80, "urlPath": "/test"}]}})");
}

json simpleService() {
  return json::parse(R"({"apiVersion": "v1", "kind": "Service",
    "metadata": {"name": "simple-service", "namespace": "default"},
    "spec": {"clusterIP": "10.96.0.5", "ports": [{"port": 80}]}})");
}

class IngressControllerTest : public ::testing::Test {
 protected:
  IngressControllerTest() : controller_(client_, dnses_, services_) {}

  void addDns(const json& dns) {
    client_.add(*dnses_resource_, dns);
    refreshDns();
  }
  void refreshDns() {
    auto stored = client_.object(*dnses_resource_, "default", "test-dns");
    if (stored) {
      auto dns = decoded<api::Dns>(*stored);
      json status = dnsStatusNow();
      if (!status.is_null()) dns.status = api::RawJson(status);
      dnses_.add(std::move(dns));
    } else {
      dnses_.put("default/test-dns", "", nullptr);
    }
  }
  void addService(const json& svc) {
    client_.add(*services_resource_, svc);
    services_.add(decoded<api::Service>(svc));
  }
  // The status last written (the fake keeps stored status on update, as for kinds with a
  // status subresource; Dns has none, and the apiserver stores what the update carries).
  json dnsStatusNow() {
    json status;
    for (const auto& a : client_.actions()) {
      if (a.summary() == "update dnses") status = a.object["status"];
    }
    return status;
  }
  std::string configNow() {
    auto cm = client_.object(*configmaps_resource_, kNginxNamespace, kNginxName);
    return cm ? cm->at("data").at(kNginxConfigKey).get<std::string>() : "";
  }

  client::FakeClient client_;
  const api::ResourceInfo* dnses_resource_ = api::findResource("", "v1", "dnses");
  const api::ResourceInfo* services_resource_ = api::findResource("", "v1", "services");
  const api::ResourceInfo* deployments_resource_ = api::findResource("apps", "v1", "deployments");
  const api::ResourceInfo* configmaps_resource_ = api::findResource("", "v1", "configmaps");
  client::ObjectCache<api::Dns> dnses_;
  client::ObjectCache<api::Service> services_;
  IngressController controller_;
};

TEST_F(IngressControllerTest, NoDnsMakesNoAddon) {
  ASSERT_TRUE(controller_.sync("kube-system/minik8s-nginx").isOk());
  EXPECT_TRUE(client_.writes().empty());
}

TEST_F(IngressControllerTest, FirstDnsMakesTheAddonAndAMissingServiceIsPending) {
  addDns(seedDns());
  Status s = controller_.sync("kube-system/minik8s-nginx");
  ASSERT_TRUE(s.isOk()) << s.toString();
  EXPECT_TRUE(client_.object(*services_resource_, kNginxNamespace, kNginxName));
  auto deployment = client_.object(*deployments_resource_, kNginxNamespace, kNginxName);
  ASSERT_TRUE(deployment);
  // The Deployment decodes as a valid apps/v1 Deployment mounting the ConfigMap.
  auto typed = decoded<api::Deployment>(*deployment);
  ASSERT_EQ(typed.spec.template_.spec.volumes.size(), 1u);
  EXPECT_EQ(typed.spec.template_.spec.volumes[0].config_map->name, kNginxName);
  EXPECT_NE(configNow().find("server_name vahag.com;"), std::string::npos);
  EXPECT_NE(configNow().find("return 503;"), std::string::npos) << configNow();
  json status = dnsStatusNow();
  EXPECT_EQ(status["phase"], "Pending");
  EXPECT_EQ(status["message"], "path /test: service default/simple-service not found");
}

TEST_F(IngressControllerTest, LiveOnceServedAndAvailableAndQuietAfterwards) {
  addService(simpleService());
  json nginx_svc = nginxService();
  nginx_svc["spec"]["clusterIP"] = "10.96.0.80";
  client_.add(*services_resource_, nginx_svc);
  addDns(seedDns());
  ASSERT_TRUE(controller_.sync("k").isOk());
  EXPECT_NE(configNow().find("proxy_pass http://10.96.0.5:80/;"), std::string::npos);
  json status = dnsStatusNow();
  EXPECT_EQ(status["phase"], "Pending");
  EXPECT_NE(status["message"].get<std::string>().find("waiting for the nginx add-on"),
            std::string::npos);
  EXPECT_EQ(status["address"], "10.96.0.80");

  auto deployment = *client_.object(*deployments_resource_, kNginxNamespace, kNginxName);
  deployment["status"] = {{"availableReplicas", 1}};
  client_.add(*deployments_resource_, deployment);
  refreshDns();
  ASSERT_TRUE(controller_.sync("k").isOk());
  EXPECT_EQ(dnsStatusNow()["phase"], "Live");

  refreshDns();
  client_.clearActions();
  ASSERT_TRUE(controller_.sync("k").isOk());
  EXPECT_TRUE(client_.writes().empty()) << client_.writes()[0].summary();
}

TEST_F(IngressControllerTest, DeletedDnsLeavesTheConfiguration) {
  addService(simpleService());
  addDns(seedDns());
  ASSERT_TRUE(controller_.sync("k").isOk());
  ASSERT_NE(configNow().find("vahag.com"), std::string::npos);
  ASSERT_TRUE(client_.remove(*dnses_resource_, "default", "test-dns").isOk());
  refreshDns();
  ASSERT_TRUE(controller_.sync("k").isOk());
  EXPECT_EQ(configNow().find("vahag.com"), std::string::npos) << configNow();
  EXPECT_NE(configNow().find("default_server"), std::string::npos);
}

TEST_F(IngressControllerTest, AWriteFailureIsRetriedNotFatal) {
  addDns(seedDns());
  client_.failNext("create", "configmaps", Status(Code::kUnavailable, "etcd down"));
  EXPECT_FALSE(controller_.sync("k").isOk());
  ASSERT_TRUE(controller_.sync("k").isOk());
  EXPECT_FALSE(configNow().empty());
}

TEST(IngressStatus, PhaseAndMessage) {
  EXPECT_EQ(dnsStatus({}, true, "10.0.0.1"),
            (json{{"phase", "Live"}, {"message", ""}, {"address", "10.0.0.1"}}));
  EXPECT_EQ(dnsStatus({"a", "b"}, true, ""), (json{{"phase", "Pending"}, {"message", "a; b"}}));
}

}  // namespace
}  // namespace minik8s::controller
