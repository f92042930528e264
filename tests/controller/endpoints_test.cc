// EndpointsController with the fake client and prefilled caches, Kubernetes-style: fill
// the listers, call sync(key), assert the recorded actions and the Endpoints stored.
#include "controller/endpoints.h"

#include <gtest/gtest.h>

#include "client/fake_client.h"
#include "controller/fixtures.h"

namespace minik8s::controller {
namespace endpoints_test {

using nlohmann::json;
using testing::decoded;

const api::ResourceInfo& servicesResource() {
  return *api::findResource("", "v1", "services");
}
const api::ResourceInfo& podsResource() {
  return *api::findResource("", "v1", "pods");
}
const api::ResourceInfo& endpointsResource() {
  return *api::findResource("", "v1", "endpoints");
}

json serviceJson(const std::string& name = "web", const json& selector = {{"app", "web"}}) {
  json svc = json::parse(R"({
    "apiVersion": "v1", "kind": "Service",
    "metadata": {"name": "", "namespace": "default", "uid": "svc-uid",
                 "creationTimestamp": "2026-01-01T00:00:00Z", "labels": {"team": "a"}},
    "spec": {"clusterIP": "10.96.0.10", "ipFamilies": ["IPv4"], "type": "ClusterIP",
             "ports": [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}]}
  })");
  svc["metadata"]["name"] = name;
  if (!selector.is_null()) svc["spec"]["selector"] = selector;
  return svc;
}

json podJson(const std::string& name, const std::string& ip, bool ready = true) {
  json pod = {
      {"apiVersion", "v1"},
      {"kind", "Pod"},
      {"metadata",
       {{"name", name},
        {"namespace", "default"},
        {"uid", "uid-" + name},
        {"labels", {{"app", "web"}}}}},
      {"spec",
       {{"nodeName", "node1"},
        {"containers",
         {{{"name", "c"},
           {"image", "myip"},
           {"ports", {{{"name", "http"}, {"containerPort", 8080}, {"protocol", "TCP"}}}}}}}}},
      {"status",
       {{"phase", "Running"},
        {"conditions",
         {{{"type", "Ready"},
           {"status", ready ? "True" : "False"},
           {"lastTransitionTime", "2026-01-01T00:00:10Z"}}}}}}};
  if (!ip.empty()) {
    pod["status"]["podIP"] = ip;
    pod["status"]["podIPs"] = {{{"ip", ip}}};
  }
  return pod;
}

json address(const std::string& ip, const std::string& pod) {
  return {{"ip", ip},
          {"nodeName", "node1"},
          {"targetRef",
           {{"kind", "Pod"}, {"namespace", "default"}, {"name", pod}, {"uid", "uid-" + pod}}}};
}

class EndpointsControllerTest : public ::testing::Test {
 protected:
  EndpointsControllerTest()
      : client_(clock_), controller_(client_, services_, pods_, endpoints_, clock_) {}

  void addService(const json& svc) {
    client_.add(servicesResource(), svc);
    services_.add(decoded<api::Service>(*client_.object(
        servicesResource(), "default", svc["metadata"]["name"].get<std::string>())));
  }
  void addPod(const json& pod) {
    client_.add(podsResource(), pod);
    pods_.add(decoded<api::Pod>(
        *client_.object(podsResource(), "default", pod["metadata"]["name"].get<std::string>())));
  }
  void catchUp() {
    for (const auto& key : endpoints_.keys()) endpoints_.put(key, "", nullptr);
    for (const auto& obj : client_.objects(endpointsResource())) {
      endpoints_.add(decoded<api::Endpoints>(obj));
    }
  }
  Status sync(const std::string& key = "default/web") { return controller_.sync(key); }
  std::vector<std::string> writes() const {
    std::vector<std::string> out;
    for (const auto& a : client_.writes()) {
      if (a.resource == "endpoints") out.push_back(a.summary());
    }
    return out;
  }
  json stored(const std::string& name = "web") const {
    auto obj = client_.object(endpointsResource(), "default", name);
    return obj ? *obj : json();
  }
  std::vector<std::string> queued() {
    std::vector<std::string> out;
    while (auto key = controller_.queue().tryGet()) {
      out.push_back(*key);
      controller_.queue().done(*key);
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  FakeClock clock_;
  client::FakeClient client_;
  client::ObjectCache<api::Service> services_;
  client::ObjectCache<api::Pod> pods_;
  client::ObjectCache<api::Endpoints> endpoints_;
  EndpointsController controller_;
};

TEST_F(EndpointsControllerTest, ReadyPodsInAddressesNotReadyOnesInNotReadyAddresses) {
  addService(serviceJson());
  addPod(podJson("b", "10.0.0.2"));
  addPod(podJson("a", "10.0.0.1"));
  addPod(podJson("c", "10.0.0.3", false));
  addPod(podJson("pending", ""));
  client_.clearActions();

  ASSERT_TRUE(sync().isOk());

  EXPECT_EQ(writes(), std::vector<std::string>{"create endpoints"});
  json ep = stored();
  EXPECT_EQ(ep["metadata"]["labels"],
            json({{"team", "a"}, {"endpointslice.kubernetes.io/skip-mirror", "true"}}));
  EXPECT_EQ(ep["metadata"]["annotations"]["endpoints.kubernetes.io/last-change-trigger-time"],
            "2026-01-01T00:00:00Z");
  json want = json::array({{{"addresses", {address("10.0.0.1", "a"), address("10.0.0.2", "b")}},
                            {"notReadyAddresses", {address("10.0.0.3", "c")}},
                            {"ports", {{{"name", "http"}, {"port", 8080}, {"protocol", "TCP"}}}}}});
  EXPECT_EQ(ep["subsets"], want);
  json normalized = ep;
  ASSERT_TRUE(api::normalize(endpointsResource(), normalized, nullptr).isOk());
  EXPECT_TRUE(api::validate(endpointsResource(), normalized, nullptr).empty());
}

TEST_F(EndpointsControllerTest, TerminatingPodsLeftOutUnlessPublishNotReadyAddresses) {
  addService(serviceJson());
  json terminating = podJson("t", "10.0.0.9");
  terminating["metadata"]["deletionTimestamp"] = "2026-01-01T00:01:00Z";
  addPod(terminating);
  addPod(podJson("a", "10.0.0.1", false));
  ASSERT_TRUE(sync().isOk());
  EXPECT_EQ(stored()["subsets"],
            json::array({{{"notReadyAddresses", {address("10.0.0.1", "a")}},
                          {"ports", {{{"name", "http"}, {"port", 8080}, {"protocol", "TCP"}}}}}}));

  json publish = serviceJson();
  publish["metadata"]["name"] = "all";
  publish["spec"]["publishNotReadyAddresses"] = true;
  addService(publish);
  ASSERT_TRUE(sync("default/all").isOk());
  EXPECT_EQ(stored("all")["subsets"],
            json::array({{{"addresses", {address("10.0.0.1", "a"), address("10.0.0.9", "t")}},
                          {"ports", {{{"name", "http"}, {"port", 8080}, {"protocol", "TCP"}}}}}}));
}

TEST_F(EndpointsControllerTest, PodsResolvingNamedPortsDifferentlyGetTheirOwnSubsets) {
  json svc = serviceJson();
  svc["spec"]["ports"] = json::parse(R"([
    {"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"},
    {"name": "metrics", "port": 9100, "targetPort": 9100, "protocol": "TCP"}])");
  addService(svc);
  addPod(podJson("a", "10.0.0.1"));
  json b = podJson("b", "10.0.0.2");
  b["spec"]["containers"][0]["ports"][0]["containerPort"] = 9090;
  addPod(b);
  ASSERT_TRUE(sync().isOk());
  json want =
      json::array({{{"addresses", {address("10.0.0.1", "a"), address("10.0.0.2", "b")}},
                    {"ports", {{{"name", "metrics"}, {"port", 9100}, {"protocol", "TCP"}}}}},
                   {{"addresses", {address("10.0.0.1", "a")}},
                    {"ports", {{{"name", "http"}, {"port", 8080}, {"protocol", "TCP"}}}}},
                   {{"addresses", {address("10.0.0.2", "b")}},
                    {"ports", {{{"name", "http"}, {"port", 9090}, {"protocol", "TCP"}}}}}});
  EXPECT_EQ(stored()["subsets"], want);
}

TEST_F(EndpointsControllerTest, NothingChangedMeansNoWrite) {
  addService(serviceJson());
  addPod(podJson("a", "10.0.0.1"));
  ASSERT_TRUE(sync().isOk());
  catchUp();
  client_.clearActions();
  clock_.advance(std::chrono::seconds(30));
  ASSERT_TRUE(sync().isOk());
  EXPECT_TRUE(writes().empty());

  // A readiness change is written, with the cached resourceVersion.
  pods_.add(decoded<api::Pod>(podJson("a", "10.0.0.1", false)));
  ASSERT_TRUE(sync().isOk());
  EXPECT_EQ(writes(), std::vector<std::string>{"update endpoints"});
  EXPECT_EQ(stored()["subsets"][0]["notReadyAddresses"][0]["ip"], "10.0.0.1");
  // Until the informer shows the write, the controller does not act on the stale copy.
  client_.clearActions();
  EXPECT_EQ(sync().code(), Code::kConflict);
  EXPECT_TRUE(writes().empty());
  catchUp();
  EXPECT_TRUE(sync().isOk());
  EXPECT_TRUE(writes().empty());
}

TEST_F(EndpointsControllerTest, EndpointsOfAServiceWithoutSelectorAreLeftAlone) {
  addService(serviceJson("manual", nullptr));
  addPod(podJson("a", "10.0.0.1"));
  json manual = {{"apiVersion", "v1"},
                 {"kind", "Endpoints"},
                 {"metadata", {{"name", "manual"}, {"namespace", "default"}}},
                 {"subsets", {{{"addresses", {{{"ip", "192.168.1.1"}}}}}}}};
  client_.add(endpointsResource(), manual);
  catchUp();
  client_.clearActions();
  ASSERT_TRUE(sync("default/manual").isOk());
  EXPECT_TRUE(writes().empty());
}

TEST_F(EndpointsControllerTest, APodWhoseLabelsNoLongerMatchIsRemoved) {
  addService(serviceJson());
  addPod(podJson("a", "10.0.0.1"));
  addPod(podJson("b", "10.0.0.2"));
  ASSERT_TRUE(sync().isOk());
  catchUp();
  queued();
  auto old_pod = pods_.get("default/a");
  json relabelled = podJson("a", "10.0.0.1");
  relabelled["metadata"]["labels"] = {{"app", "other"}};
  relabelled["metadata"]["resourceVersion"] = "999";
  pods_.add(decoded<api::Pod>(relabelled));
  controller_.onPodUpdated(old_pod, pods_.get("default/a"));
  EXPECT_EQ(queued(), std::vector<std::string>{"default/web"});
  ASSERT_TRUE(sync().isOk());
  EXPECT_EQ(stored()["subsets"][0]["addresses"], json::array({address("10.0.0.2", "b")}));
}

TEST_F(EndpointsControllerTest, AGoneServiceHasItsEndpointsDeleted) {
  addService(serviceJson());
  addPod(podJson("a", "10.0.0.1"));
  ASSERT_TRUE(sync().isOk());
  services_.put("default/web", "", nullptr);
  client_.clearActions();
  ASSERT_TRUE(sync().isOk());
  EXPECT_EQ(writes(), std::vector<std::string>{"delete endpoints"});
  EXPECT_TRUE(stored().is_null());
}

TEST_F(EndpointsControllerTest, HeadlessServicesGetTheLabelAndHostnames) {
  json svc = serviceJson();
  svc["spec"]["clusterIP"] = "None";
  svc["spec"]["ports"] = json::array();
  addService(svc);
  json pod = podJson("a", "10.0.0.1");
  pod["spec"]["hostname"] = "alpha";
  pod["spec"]["subdomain"] = "web";
  addPod(pod);
  ASSERT_TRUE(sync().isOk());
  json ep = stored();
  EXPECT_EQ(ep["metadata"]["labels"]["service.kubernetes.io/headless"], "");
  ASSERT_EQ(ep["subsets"].size(), 1u);
  EXPECT_EQ(ep["subsets"][0]["addresses"][0]["hostname"], "alpha");
  EXPECT_FALSE(ep["subsets"][0].contains("ports"));
}

TEST_F(EndpointsControllerTest, AnEmptyServiceGetsEndpointsWithoutSubsets) {
  addService(serviceJson());
  ASSERT_TRUE(sync().isOk());
  EXPECT_EQ(writes(), std::vector<std::string>{"create endpoints"});
  EXPECT_FALSE(stored().contains("subsets"));
}

}  // namespace endpoints_test
}  // namespace minik8s::controller
