// IngressController with the fake client and prefilled caches: the add-on appears with the
// first Dns or Ingress of our class, the ConfigMap is written only when the configuration
// changes, each Dns' status says Pending (with the reason) or Live, and each Ingress of
// ours gets the add-on's address and an Event when its problems change.
#include "controller/ingress.h"

#include <gtest/gtest.h>

#include "client/fake_client.h"
#include "controller/fixtures.h"

namespace minik8s::controller {
namespace ingress_test {

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
  IngressControllerTest() : controller_(client_, dnses_, services_, ingresses_, ingress_classes_) {}

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
  client::ObjectCache<api::Ingress> ingresses_;
  client::ObjectCache<api::IngressClass> ingress_classes_;
  IngressController controller_;
};

TEST_F(IngressControllerTest, NoDnsMakesNoAddonOnlyTheIngressClass) {
  ASSERT_TRUE(controller_.sync("kube-system/minik8s-nginx").isOk());
  ASSERT_EQ(client_.writes().size(), 1u);
  EXPECT_EQ(client_.writes()[0].summary(), "create ingressclasses");
  auto made = client_.object(*api::findResource("networking.k8s.io", "v1", "ingressclasses"), "",
                             kNginxName);
  ASSERT_TRUE(made);
  auto typed = decoded<api::IngressClass>(*made);
  EXPECT_EQ(typed.spec.controller, "minik8s.io/ingress-nginx");
  EXPECT_EQ(typed.metadata.annotations.at("ingressclass.kubernetes.io/is-default-class"), "true");
  // Present in the cache: nothing to write at all.
  ingress_classes_.add(std::move(typed));
  client_.clearActions();
  ASSERT_TRUE(controller_.sync("k").isOk());
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

// ---- networking.k8s.io/v1 Ingress ----

json shopIngress() {
  return json::parse(R"({
    "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
    "metadata": {"name": "shop", "namespace": "default", "uid": "ing-1"},
    "spec": {
      "ingressClassName": "minik8s-nginx",
      "defaultBackend": {"service": {"name": "fallback", "port": {"number": 80}}},
      "rules": [{"host": "shop.example.com", "http": {"paths": [
        {"path": "/", "pathType": "Exact", "backend": {"service": {"name": "home", "port": {"number": 80}}}},
        {"path": "/api", "pathType": "Prefix", "backend": {"service": {"name": "api", "port": {"name": "http"}}}}
      ]}}]}})");
}

json serviceJson(const std::string& name, const std::string& ip, int port,
                 const std::string& port_name = "") {
  json svc = {{"apiVersion", "v1"},
              {"kind", "Service"},
              {"metadata", {{"name", name}, {"namespace", "default"}}},
              {"spec", {{"clusterIP", ip}, {"ports", {{{"port", port}}}}}}};
  if (!port_name.empty()) svc["spec"]["ports"][0]["name"] = port_name;
  return svc;
}

api::Ingress ingressOf(const json& j) {
  return decoded<api::Ingress>(j);
}

api::IngressClass classOf(bool is_default) {
  json c = nginxIngressClass();
  if (!is_default) c["metadata"]["annotations"] = json::object();
  return decoded<api::IngressClass>(c);
}

TEST(ServesIngress, ByClassNameLegacyAnnotationOrTheDefaultClass) {
  const api::IngressClass default_class = classOf(true);
  const api::IngressClass plain_class = classOf(false);
  struct Case {
    std::string class_name;  // "-" absent
    std::string annotation;  // "-" absent
    const api::IngressClass* our_class;
    bool ours;
  };
  const std::vector<Case> cases = {
      {"minik8s-nginx", "-", &plain_class, true},
      {"other", "-", &default_class, false},
      {"-", "minik8s-nginx", &plain_class, true},
      {"-", "nginx", &default_class, false},
      {"minik8s-nginx", "other", &plain_class, true},  // the field wins
      {"-", "-", &default_class, true},
      {"-", "-", &plain_class, false},
      {"-", "-", nullptr, true},  // our class is being made, as the default
  };
  for (const auto& c : cases) {
    json j = shopIngress();
    j["spec"].erase("ingressClassName");
    if (c.class_name != "-") j["spec"]["ingressClassName"] = c.class_name;
    if (c.annotation != "-")
      j["metadata"]["annotations"] = {{"kubernetes.io/ingress.class", c.annotation}};
    EXPECT_EQ(servesIngress(ingressOf(j), c.our_class), c.ours)
        << c.class_name << " " << c.annotation << " " << (c.our_class == &default_class);
  }
}

TEST(ServesIngress, StatusIsTheAddonsClusterIp) {
  EXPECT_EQ(ingressStatus("10.96.0.80"),
            json::parse(R"({"loadBalancer": {"ingress": [{"ip": "10.96.0.80"}]}})"));
  EXPECT_EQ(ingressStatus(""), json::parse(R"({"loadBalancer": {}})"));
}

class IngressKindTest : public IngressControllerTest {
 protected:
  IngressKindTest() { ingress_classes_.add(classOf(true)); }

  void addIngress(const json& ing) {
    client_.add(*ingresses_resource_, ing);
    refreshIngress(ing["metadata"]["name"]);
  }
  // The cache holds what the fake stores (our status writes included).
  void refreshIngress(const std::string& name) {
    auto stored = client_.object(*ingresses_resource_, "default", name);
    if (stored) {
      ingresses_.add(decoded<api::Ingress>(*stored));
    } else {
      ingresses_.put("default/" + name, "", nullptr);
    }
  }
  void addNginx(bool available) {
    json svc = nginxService();
    svc["spec"]["clusterIP"] = "10.96.0.80";
    client_.add(*services_resource_, svc);
    json deployment = nginxDeployment();
    if (available) deployment["status"] = {{"availableReplicas", 1}};
    client_.add(*deployments_resource_, deployment);
  }
  // (type, reason, message) of every Event created.
  std::vector<std::tuple<std::string, std::string, std::string>> events() {
    std::vector<std::tuple<std::string, std::string, std::string>> out;
    for (const auto& a : client_.actions()) {
      if (a.summary() != "create events") continue;
      out.emplace_back(a.object.value("type", ""), a.object.value("reason", ""),
                       a.object.value("message", ""));
    }
    return out;
  }
  std::vector<std::string> statusWrites() {
    std::vector<std::string> out;
    for (const auto& a : client_.writes()) {
      if (a.resource == "ingresses") out.push_back(a.summary() + " " + a.object["status"].dump());
    }
    return out;
  }

  const api::ResourceInfo* ingresses_resource_ =
      api::findResource("networking.k8s.io", "v1", "ingresses");
};

TEST_F(IngressKindTest, RoutesExactPrefixNamedPortsAndTheDefaultBackend) {
  addService(serviceJson("home", "10.96.0.11", 80));
  addService(serviceJson("api", "10.96.0.12", 8080, "http"));
  addService(serviceJson("fallback", "10.96.0.13", 80));
  addNginx(true);
  addIngress(shopIngress());
  Status s = controller_.sync("k");
  ASSERT_TRUE(s.isOk()) << s.toString();
  const std::string config = configNow();
  EXPECT_NE(config.find("server_name shop.example.com;"), std::string::npos) << config;
  EXPECT_NE(config.find("location = / {\n      proxy_pass http://10.96.0.11:80;"),
            std::string::npos)
      << config;
  EXPECT_NE(config.find("location /api/ {\n      proxy_pass http://10.96.0.12:8080;"),
            std::string::npos)
      << config;
  EXPECT_NE(config.find("location = /api {\n      proxy_pass http://10.96.0.12:8080;"),
            std::string::npos)
      << config;
  // The defaultBackend: "/" of the default server and the fallback "/" of shop.example.com.
  EXPECT_NE(config.find("server_name _;\n    # Ingress default/shop -> default/fallback:80\n"
                        "    location / {\n      proxy_pass http://10.96.0.13:80;"),
            std::string::npos)
      << config;
  const size_t shop = config.find("server_name shop.example.com;");
  ASSERT_NE(shop, std::string::npos);
  EXPECT_NE(config.find("location / {\n      proxy_pass http://10.96.0.13:80;", shop),
            std::string::npos)
      << config;
  EXPECT_EQ(config.find("return 404"), std::string::npos) << config;
  EXPECT_EQ(statusWrites(),
            std::vector<std::string>{
                R"(update ingresses/status {"loadBalancer":{"ingress":[{"ip":"10.96.0.80"}]}})"});
  ASSERT_EQ(events().size(), 1u);
  EXPECT_EQ(std::get<0>(events()[0]), "Normal");
  EXPECT_EQ(std::get<1>(events()[0]), "Sync");

  // Quiet afterwards: the same configuration, status and problems write nothing.
  refreshIngress("shop");
  client_.clearActions();
  ASSERT_TRUE(controller_.sync("k").isOk());
  EXPECT_TRUE(client_.writes().empty()) << client_.writes()[0].summary();
}

TEST_F(IngressKindTest, NoAddressUntilNginxIsAvailable) {
  addService(serviceJson("home", "10.96.0.11", 80));
  addNginx(false);
  addIngress(shopIngress());
  ASSERT_TRUE(controller_.sync("k").isOk());
  EXPECT_TRUE(statusWrites().empty());
  client_.add(*deployments_resource_, [] {
    json d = nginxDeployment();
    d["status"] = {{"availableReplicas", 1}};
    return d;
  }());
  ASSERT_TRUE(controller_.sync("k").isOk());
  EXPECT_EQ(statusWrites().size(), 1u);
}

TEST_F(IngressKindTest, ProblemsAreWarningEventsReportedOnceThenSync) {
  addNginx(true);
  addIngress(shopIngress());
  ASSERT_TRUE(controller_.sync("k").isOk());
  auto first = events();
  ASSERT_EQ(first.size(), 3u);
  EXPECT_EQ(first[0], std::make_tuple(std::string("Warning"), std::string("BackendProblem"),
                                      std::string("path /: service default/home not found")));
  EXPECT_EQ(std::get<2>(first[1]), "path /api: service default/api not found");
  EXPECT_EQ(std::get<2>(first[2]), "path /: service default/fallback not found");
  EXPECT_NE(configNow().find("return 503;"), std::string::npos);
  // The address is given all the same: nginx answers (503 for those paths).
  EXPECT_EQ(statusWrites().size(), 1u);

  refreshIngress("shop");
  client_.clearActions();
  ASSERT_TRUE(controller_.sync("k").isOk());
  EXPECT_TRUE(events().empty());

  addService(serviceJson("home", "10.96.0.11", 80));
  addService(serviceJson("api", "10.96.0.12", 8080));  // no port named http
  addService(serviceJson("fallback", "10.96.0.13", 80));
  ASSERT_TRUE(controller_.sync("k").isOk());
  ASSERT_EQ(events().size(), 1u);
  EXPECT_EQ(std::get<2>(events()[0]), "path /api: service default/api has no port named \"http\"");

  client_.clearActions();
  addService(serviceJson("api", "10.96.0.12", 8080, "http"));
  ASSERT_TRUE(controller_.sync("k").isOk());
  ASSERT_EQ(events().size(), 1u);
  EXPECT_EQ(std::get<1>(events()[0]), "Sync");
}

TEST_F(IngressKindTest, AnotherClassMakesNoAddonAndDeletionRemovesTheRoutes) {
  json other = shopIngress();
  other["spec"]["ingressClassName"] = "other";
  addIngress(other);
  ASSERT_TRUE(controller_.sync("k").isOk());
  EXPECT_TRUE(client_.writes().empty());

  addService(serviceJson("home", "10.96.0.11", 80));
  addIngress(shopIngress());
  ASSERT_TRUE(controller_.sync("k").isOk());
  EXPECT_TRUE(client_.object(*deployments_resource_, kNginxNamespace, kNginxName));
  EXPECT_NE(configNow().find("shop.example.com"), std::string::npos);

  ASSERT_TRUE(client_.remove(*ingresses_resource_, "default", "shop").isOk());
  refreshIngress("shop");
  ASSERT_TRUE(controller_.sync("k").isOk());
  EXPECT_EQ(configNow().find("shop.example.com"), std::string::npos) << configNow();
  EXPECT_EQ(configNow().find("10.96.0.13"), std::string::npos) << configNow();
}

TEST_F(IngressKindTest, AnIngressMovedToAnotherClassLosesOurAddress) {
  addService(serviceJson("home", "10.96.0.11", 80));
  addNginx(true);
  addIngress(shopIngress());
  ASSERT_TRUE(controller_.sync("k").isOk());
  refreshIngress("shop");
  auto stored = *client_.object(*ingresses_resource_, "default", "shop");
  ASSERT_EQ(stored["status"]["loadBalancer"]["ingress"][0]["ip"], "10.96.0.80");
  stored["spec"]["ingressClassName"] = "other";
  client_.add(*ingresses_resource_, stored);
  refreshIngress("shop");
  client_.clearActions();
  ASSERT_TRUE(controller_.sync("k").isOk());
  EXPECT_EQ(statusWrites(),
            std::vector<std::string>{R"(update ingresses/status {"loadBalancer":{}})"});
}

TEST_F(IngressKindTest, AClasslessIngressIsOursOnlyWhileOurClassIsTheDefault) {
  addService(serviceJson("home", "10.96.0.11", 80));
  json classless = shopIngress();
  classless["spec"].erase("ingressClassName");
  addIngress(classless);
  ASSERT_TRUE(controller_.sync("k").isOk());
  EXPECT_NE(configNow().find("shop.example.com"), std::string::npos);

  ingress_classes_.add(classOf(false));
  ASSERT_TRUE(controller_.sync("k").isOk());
  EXPECT_EQ(configNow().find("shop.example.com"), std::string::npos) << configNow();
}

}  // namespace ingress_test
}  // namespace minik8s::controller
