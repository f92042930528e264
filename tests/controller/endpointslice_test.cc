// EndpointSliceController with the fake client and prefilled caches, Kubernetes-style:
// fill the listers, call sync(key), assert the recorded actions and the slices stored.
#include "controller/endpointslice.h"

#include <gtest/gtest.h>

#include <set>

#include "client/fake_client.h"
#include "controller/fixtures.h"

namespace minik8s::controller {
namespace endpointslice_test {

using nlohmann::json;
using testing::decoded;

const api::ResourceInfo& servicesResource() {
  return *api::findResource("", "v1", "services");
}
const api::ResourceInfo& podsResource() {
  return *api::findResource("", "v1", "pods");
}
const api::ResourceInfo& slicesResource() {
  return *api::findResource("discovery.k8s.io", "v1", "endpointslices");
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
  svc["metadata"]["uid"] = name + "-uid";
  if (!selector.is_null()) svc["spec"]["selector"] = selector;
  return svc;
}

// A running pod with app=web, the container port http=8080 and `ip` ("" for none).
json podJson(const std::string& name, const std::string& ip, bool ready = true) {
  json pod = {
      {"apiVersion", "v1"},
      {"kind", "Pod"},
      {"metadata",
       {{"name", name},
        {"namespace", "default"},
        {"uid", "uid-" + name},
        {"creationTimestamp", "2026-01-01T00:00:00Z"},
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

class EndpointSliceControllerTest : public ::testing::Test {
 protected:
  EndpointSliceControllerTest() : client_(clock_) { makeController({}); }

  void makeController(EndpointSliceOptions options) {
    controller_.reset();
    controller_ = std::make_unique<EndpointSliceController>(client_, services_, pods_, slices_,
                                                            &nodes_, options, clock_);
  }
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
  void removePod(const std::string& name) {
    ASSERT_TRUE(client_.remove(podsResource(), "default", name).isOk());
    pods_.put("default/" + name, "", nullptr);
  }
  // The slice informer catches up with the fake server.
  void catchUp() {
    std::set<std::string> keys;
    for (const auto& obj : client_.objects(slicesResource())) {
      auto slice = decoded<api::EndpointSlice>(obj);
      keys.insert(client::keyOf(slice));
      slices_.put(client::keyOf(slice), slice.metadata.resource_version,
                  std::make_shared<const api::EndpointSlice>(slice));
    }
    for (const auto& key : slices_.keys()) {
      if (!keys.count(key)) slices_.put(key, "", nullptr);
    }
  }
  Status sync(const std::string& key = "default/web") { return controller_->sync(key); }
  void syncAndCatchUp() {
    Status s = sync();
    ASSERT_TRUE(s.isOk()) << s.toString();
    catchUp();
  }
  // The recorded writes of slices, as "verb endpointslices".
  std::vector<std::string> writes() const {
    std::vector<std::string> out;
    for (const auto& a : client_.writes()) {
      if (a.resource == "endpointslices") out.push_back(a.summary());
    }
    return out;
  }
  std::vector<client::Action> writesOf(const std::string& summary) const {
    std::vector<client::Action> out;
    for (const auto& a : client_.writes()) {
      if (a.summary() == summary) out.push_back(a);
    }
    return out;
  }
  std::vector<json> storedSlices() const { return client_.objects(slicesResource()); }
  // address -> endpoint, over every stored slice.
  std::map<std::string, json> endpointsByAddress() const {
    std::map<std::string, json> out;
    for (const auto& s : storedSlices()) {
      for (const auto& ep : s["endpoints"]) out[ep["addresses"][0].get<std::string>()] = ep;
    }
    return out;
  }
  std::vector<std::string> queued() {
    std::vector<std::string> out;
    while (auto key = controller_->queue().tryGet()) {
      out.push_back(*key);
      controller_->queue().done(*key);
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  FakeClock clock_;
  client::FakeClient client_;
  client::ObjectCache<api::Service> services_;
  client::ObjectCache<api::Pod> pods_;
  client::ObjectCache<api::EndpointSlice> slices_;
  client::ObjectCache<api::Node> nodes_;
  std::unique_ptr<EndpointSliceController> controller_;
};

TEST_F(EndpointSliceControllerTest, CreatesOneSliceOwnedByTheServiceWithItsReadyPods) {
  addService(serviceJson());
  addPod(podJson("a", "10.0.0.1"));
  addPod(podJson("b", "10.0.0.2"));
  addPod(podJson("c", "10.0.0.3"));
  client_.clearActions();

  ASSERT_TRUE(sync().isOk());

  auto creates = writesOf("create endpointslices");
  ASSERT_EQ(creates.size(), 1u);
  EXPECT_EQ(writes().size(), 1u);
  const json& slice = creates[0].object;
  EXPECT_EQ(slice["apiVersion"], "discovery.k8s.io/v1");
  EXPECT_EQ(slice["kind"], "EndpointSlice");
  EXPECT_EQ(slice["metadata"]["generateName"], "web-");
  EXPECT_EQ(slice["metadata"]["labels"],
            json({{"kubernetes.io/service-name", "web"},
                  {"endpointslice.kubernetes.io/managed-by", "endpointslice-controller.k8s.io"},
                  {"team", "a"}}));
  ASSERT_EQ(slice["metadata"]["ownerReferences"].size(), 1u);
  const json& owner = slice["metadata"]["ownerReferences"][0];
  EXPECT_EQ(owner["apiVersion"], "v1");
  EXPECT_EQ(owner["kind"], "Service");
  EXPECT_EQ(owner["name"], "web");
  EXPECT_EQ(owner["uid"], "web-uid");
  EXPECT_EQ(owner["controller"], true);
  EXPECT_EQ(owner["blockOwnerDeletion"], true);
  EXPECT_EQ(slice["metadata"]["annotations"]["endpoints.kubernetes.io/last-change-trigger-time"],
            "2026-01-01T00:00:00Z");
  EXPECT_EQ(slice["addressType"], "IPv4");
  EXPECT_EQ(slice["ports"], json::parse(R"([{"name": "http", "port": 8080, "protocol": "TCP"}])"));
  ASSERT_EQ(slice["endpoints"].size(), 3u);
  EXPECT_EQ(slice["endpoints"][0], json::parse(R"({"addresses": ["10.0.0.1"],
                            "conditions": {"ready": true, "serving": true, "terminating": false},
                            "nodeName": "node1",
                            "targetRef": {"kind": "Pod", "namespace": "default", "name": "a",
                                          "uid": "uid-a"}})"));
  // The stored object decodes and validates as an EndpointSlice.
  ASSERT_EQ(storedSlices().size(), 1u);
  json stored = storedSlices()[0];
  ASSERT_TRUE(api::normalize(slicesResource(), stored, nullptr).isOk());
  EXPECT_TRUE(api::validate(slicesResource(), stored, nullptr).empty());
}

TEST_F(EndpointSliceControllerTest, NotReadyTerminatingFinishedAndAddresslessPods) {
  addService(serviceJson());
  addPod(podJson("ready", "10.0.0.1"));
  addPod(podJson("notready", "10.0.0.2", false));
  json terminating = podJson("terminating", "10.0.0.3");
  terminating["metadata"]["deletionTimestamp"] = "2026-01-01T00:01:00Z";
  addPod(terminating);
  json terminating_unready = podJson("terminating-unready", "10.0.0.4", false);
  terminating_unready["metadata"]["deletionTimestamp"] = "2026-01-01T00:01:00Z";
  addPod(terminating_unready);
  addPod(podJson("pending", ""));
  json done = podJson("done", "10.0.0.6");
  done["status"]["phase"] = "Succeeded";
  addPod(done);

  ASSERT_TRUE(sync().isOk());

  auto eps = endpointsByAddress();
  ASSERT_EQ(eps.size(), 4u);
  auto conditions = [&](const std::string& ip) { return eps[ip]["conditions"]; };
  EXPECT_EQ(conditions("10.0.0.1"),
            json::parse(R"({"ready":true,"serving":true,"terminating":false})"));
  EXPECT_EQ(conditions("10.0.0.2"),
            json::parse(R"({"ready":false,"serving":false,"terminating":false})"));
  EXPECT_EQ(conditions("10.0.0.3"),
            json::parse(R"({"ready":false,"serving":true,"terminating":true})"));
  EXPECT_EQ(conditions("10.0.0.4"),
            json::parse(R"({"ready":false,"serving":false,"terminating":true})"));
}

TEST_F(EndpointSliceControllerTest, PublishNotReadyAddressesMakesEveryEndpointReady) {
  json svc = serviceJson();
  svc["spec"]["publishNotReadyAddresses"] = true;
  addService(svc);
  addPod(podJson("notready", "10.0.0.2", false));
  json terminating = podJson("terminating", "10.0.0.3", false);
  terminating["metadata"]["deletionTimestamp"] = "2026-01-01T00:01:00Z";
  addPod(terminating);

  ASSERT_TRUE(sync().isOk());

  auto eps = endpointsByAddress();
  ASSERT_EQ(eps.size(), 2u);
  EXPECT_EQ(eps["10.0.0.2"]["conditions"]["ready"], true);
  EXPECT_EQ(eps["10.0.0.2"]["conditions"]["serving"], false);
  EXPECT_EQ(eps["10.0.0.3"]["conditions"]["ready"], true);
  EXPECT_EQ(eps["10.0.0.3"]["conditions"]["terminating"], true);
}

TEST_F(EndpointSliceControllerTest, NamedTargetPortsResolvedPerPodSplitTheSlices) {
  json svc = serviceJson();
  svc["spec"]["ports"][0]["targetPort"] = "http";
  addService(svc);
  addPod(podJson("a", "10.0.0.1"));  // http = 8080
  json b = podJson("b", "10.0.0.2");
  b["spec"]["containers"][0]["ports"][0]["containerPort"] = 9090;
  addPod(b);
  json c = podJson("c", "10.0.0.3");
  c["spec"]["containers"][0]["ports"][0]["name"] = "other";  // resolves nowhere
  addPod(c);
  json udp = podJson("udp", "10.0.0.4");  // a named port of another protocol does not count
  udp["spec"]["containers"][0]["ports"][0]["protocol"] = "UDP";
  addPod(udp);

  ASSERT_TRUE(sync().isOk());

  std::map<std::string, std::set<std::string>> by_ports;  // ports JSON -> addresses
  for (const auto& s : storedSlices()) {
    for (const auto& ep : s["endpoints"])
      by_ports[s["ports"].dump()].insert(ep["addresses"][0].get<std::string>());
  }
  ASSERT_EQ(by_ports.size(), 3u);
  EXPECT_EQ(by_ports[R"([{"name":"http","port":8080,"protocol":"TCP"}])"],
            std::set<std::string>{"10.0.0.1"});
  EXPECT_EQ(by_ports[R"([{"name":"http","port":9090,"protocol":"TCP"}])"],
            std::set<std::string>{"10.0.0.2"});
  EXPECT_EQ(by_ports["[]"], (std::set<std::string>{"10.0.0.3", "10.0.0.4"}));
}

TEST_F(EndpointSliceControllerTest, MoreThanMaxEndpointsSpreadOverSlices) {
  addService(serviceJson());
  for (int i = 0; i < 250; ++i) {
    addPod(podJson("p" + std::to_string(1000 + i),
                   "10.0." + std::to_string(i / 200) + "." + std::to_string(i % 200 + 1)));
  }
  ASSERT_TRUE(sync().isOk());
  std::vector<size_t> sizes;
  for (const auto& s : storedSlices()) sizes.push_back(s["endpoints"].size());
  std::sort(sizes.begin(), sizes.end());
  EXPECT_EQ(sizes, (std::vector<size_t>{50, 100, 100}));
  EXPECT_EQ(endpointsByAddress().size(), 250u);
}

TEST_F(EndpointSliceControllerTest, MaxEndpointsPerSliceIsAnOption) {
  makeController({.max_endpoints_per_slice = 2});
  addService(serviceJson());
  for (int i = 1; i <= 5; ++i)
    addPod(podJson("p" + std::to_string(i), "10.0.0." + std::to_string(i)));
  ASSERT_TRUE(sync().isOk());
  EXPECT_EQ(writesOf("create endpointslices").size(), 3u);
}

TEST_F(EndpointSliceControllerTest, ASecondSyncWithNothingChangedWritesNothing) {
  addService(serviceJson());
  addPod(podJson("a", "10.0.0.1"));
  addPod(podJson("b", "10.0.0.2", false));
  syncAndCatchUp();
  client_.clearActions();
  clock_.advance(std::chrono::seconds(30));
  ASSERT_TRUE(sync().isOk());
  EXPECT_TRUE(writes().empty());
}

TEST_F(EndpointSliceControllerTest, ChangesUpdateOnlyTheSliceConcernedInPlace) {
  addService(serviceJson());
  for (int i = 0; i < 150; ++i) {
    addPod(podJson("p" + std::to_string(1000 + i), "10.0.1." + std::to_string(i + 1)));
  }
  syncAndCatchUp();
  ASSERT_EQ(storedSlices().size(), 2u);
  std::string full_slice, half_slice;
  for (const auto& s : storedSlices()) {
    (s["endpoints"].size() == 100 ? full_slice : half_slice) = s["metadata"]["name"];
  }
  client_.clearActions();

  // A pod of the full slice goes away and a new one appears: one update, in place.
  removePod("p1000");
  addPod(podJson("p2000", "10.0.2.1"));
  ASSERT_TRUE(sync().isOk());

  EXPECT_EQ(writes(), std::vector<std::string>{"update endpointslices"});
  auto updates = writesOf("update endpointslices");
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].object["metadata"]["name"], full_slice);
  std::set<std::string> addresses;
  for (const auto& ep : updates[0].object["endpoints"]) addresses.insert(ep["addresses"][0]);
  EXPECT_EQ(addresses.size(), 100u);
  EXPECT_TRUE(addresses.count("10.0.2.1"));
  EXPECT_FALSE(addresses.count("10.0.1.1"));
}

TEST_F(EndpointSliceControllerTest, AReadinessChangeUpdatesTheEndpointNotTheSliceSet) {
  addService(serviceJson());
  addPod(podJson("a", "10.0.0.1", false));
  syncAndCatchUp();
  client_.clearActions();
  pods_.add(decoded<api::Pod>(podJson("a", "10.0.0.1", true)));
  ASSERT_TRUE(sync().isOk());
  EXPECT_EQ(writes(), std::vector<std::string>{"update endpointslices"});
  EXPECT_EQ(endpointsByAddress()["10.0.0.1"]["conditions"]["ready"], true);
}

TEST_F(EndpointSliceControllerTest, AServiceWithoutSelectorIsLeftAlone) {
  addService(serviceJson("manual", nullptr));
  addPod(podJson("a", "10.0.0.1"));
  json mine = {{"apiVersion", "discovery.k8s.io/v1"},
               {"kind", "EndpointSlice"},
               {"metadata",
                {{"name", "manual-1"},
                 {"namespace", "default"},
                 {"labels", {{"kubernetes.io/service-name", "manual"}}}}},
               {"addressType", "IPv4"},
               {"endpoints", {{{"addresses", {"192.168.1.1"}}}}},
               {"ports", json::array()}};
  client_.add(slicesResource(), mine);
  catchUp();
  client_.clearActions();
  ASSERT_TRUE(sync("default/manual").isOk());
  EXPECT_TRUE(writes().empty());
}

TEST_F(EndpointSliceControllerTest, APodWhoseLabelsNoLongerMatchLeavesTheSlice) {
  addService(serviceJson());
  addPod(podJson("a", "10.0.0.1"));
  addPod(podJson("b", "10.0.0.2"));
  syncAndCatchUp();
  client_.clearActions();
  queued();

  auto old_pod = pods_.get("default/a");
  json relabelled = podJson("a", "10.0.0.1");
  relabelled["metadata"]["labels"] = {{"app", "other"}};
  relabelled["metadata"]["resourceVersion"] = "999";
  pods_.add(decoded<api::Pod>(relabelled));
  controller_->onPodUpdated(old_pod, pods_.get("default/a"));
  EXPECT_EQ(queued(), std::vector<std::string>{"default/web"});

  ASSERT_TRUE(sync().isOk());
  auto eps = endpointsByAddress();
  EXPECT_EQ(eps.size(), 1u);
  EXPECT_TRUE(eps.count("10.0.0.2"));
}

TEST_F(EndpointSliceControllerTest, APodEventQueuesOnlyTheServicesSelectingIt) {
  addService(serviceJson("web"));
  addService(serviceJson("db", {{"app", "db"}}));
  addService(serviceJson("manual", nullptr));
  queued();
  auto pod = std::make_shared<const api::Pod>(decoded<api::Pod>(podJson("a", "10.0.0.1")));
  controller_->onPodAdded(pod);
  EXPECT_EQ(queued(), std::vector<std::string>{"default/web"});

  // An update that changes nothing endpoints care about queues nothing.
  json annotated = podJson("a", "10.0.0.1");
  annotated["metadata"]["resourceVersion"] = "77";
  annotated["metadata"]["annotations"] = {{"x", "y"}};
  controller_->onPodUpdated(pod, std::make_shared<const api::Pod>(decoded<api::Pod>(annotated)));
  EXPECT_TRUE(queued().empty());

  // Moving from web to db queues both.
  json moved = podJson("a", "10.0.0.1");
  moved["metadata"]["resourceVersion"] = "78";
  moved["metadata"]["labels"] = {{"app", "db"}};
  controller_->onPodUpdated(pod, std::make_shared<const api::Pod>(decoded<api::Pod>(moved)));
  EXPECT_EQ(queued(), (std::vector<std::string>{"default/db", "default/web"}));
}

TEST_F(EndpointSliceControllerTest, ScalingToZeroKeepsOneEmptySlice) {
  addService(serviceJson());
  addPod(podJson("a", "10.0.0.1"));
  addPod(podJson("b", "10.0.0.2"));
  syncAndCatchUp();
  std::string name = storedSlices()[0]["metadata"]["name"];
  client_.clearActions();
  removePod("a");
  removePod("b");
  ASSERT_TRUE(sync().isOk());
  // Kubernetes' placeholder: the slice is emptied in place, not deleted and recreated.
  EXPECT_EQ(writes(), std::vector<std::string>{"update endpointslices"});
  ASSERT_EQ(storedSlices().size(), 1u);
  EXPECT_EQ(storedSlices()[0]["metadata"]["name"], name);
  EXPECT_EQ(storedSlices()[0]["endpoints"], json::array());
  EXPECT_EQ(storedSlices()[0]["ports"], json::array());
  catchUp();
  client_.clearActions();
  ASSERT_TRUE(sync().isOk());
  EXPECT_TRUE(writes().empty());
}

TEST_F(EndpointSliceControllerTest, AServiceWithNoPodsGetsAPlaceholder) {
  addService(serviceJson());
  ASSERT_TRUE(sync().isOk());
  auto creates = writesOf("create endpointslices");
  ASSERT_EQ(creates.size(), 1u);
  EXPECT_EQ(creates[0].object["endpoints"], json::array());
}

TEST_F(EndpointSliceControllerTest, AStaleCacheFailsTheSyncInsteadOfCreatingTwice) {
  addService(serviceJson());
  addPod(podJson("a", "10.0.0.1"));
  ASSERT_TRUE(sync().isOk());
  client_.clearActions();
  // The informer has not shown the new slice yet.
  Status s = sync();
  EXPECT_EQ(s.code(), Code::kConflict);
  EXPECT_TRUE(writes().empty());
  catchUp();
  EXPECT_TRUE(sync().isOk());
  EXPECT_TRUE(writes().empty());
}

TEST_F(EndpointSliceControllerTest, AGoneServiceHasItsSlicesDeleted) {
  addService(serviceJson());
  addPod(podJson("a", "10.0.0.1"));
  syncAndCatchUp();
  services_.put("default/web", "", nullptr);
  client_.clearActions();
  ASSERT_TRUE(sync().isOk());
  EXPECT_EQ(writes(), std::vector<std::string>{"delete endpointslices"});
  EXPECT_TRUE(storedSlices().empty());
}

TEST_F(EndpointSliceControllerTest, SlicesOfAnEarlierServiceWithTheSameNameAreReplaced) {
  addService(serviceJson());
  addPod(podJson("a", "10.0.0.1"));
  syncAndCatchUp();
  // The Service is deleted and created again: a new uid.
  json again = serviceJson();
  again["metadata"]["uid"] = "web-uid-2";
  services_.add(decoded<api::Service>(again));
  client_.clearActions();
  ASSERT_TRUE(sync().isOk());
  EXPECT_EQ(writesOf("create endpointslices").size(), 1u);
  EXPECT_EQ(writesOf("delete endpointslices").size(), 1u);
  ASSERT_EQ(storedSlices().size(), 1u);
  EXPECT_EQ(storedSlices()[0]["metadata"]["ownerReferences"][0]["uid"], "web-uid-2");
}

TEST_F(EndpointSliceControllerTest, HostnameWhenTheSubdomainNamesTheService) {
  json svc = serviceJson();
  svc["spec"]["clusterIP"] = "None";
  addService(svc);
  json pod = podJson("a", "10.0.0.1");
  pod["spec"]["hostname"] = "alpha";
  pod["spec"]["subdomain"] = "web";
  addPod(pod);
  json other = podJson("b", "10.0.0.2");
  other["spec"]["hostname"] = "beta";
  other["spec"]["subdomain"] = "elsewhere";
  addPod(other);
  ASSERT_TRUE(sync().isOk());
  auto eps = endpointsByAddress();
  EXPECT_EQ(eps["10.0.0.1"]["hostname"], "alpha");
  EXPECT_FALSE(eps["10.0.0.2"].contains("hostname"));
  EXPECT_EQ(storedSlices()[0]["metadata"]["labels"]["service.kubernetes.io/headless"], "");
}

TEST_F(EndpointSliceControllerTest, TheZoneComesFromTheNode) {
  nodes_.add(decoded<api::Node>(json::parse(R"({"apiVersion": "v1", "kind": "Node",
      "metadata": {"name": "node1", "labels": {"topology.kubernetes.io/zone": "z1"}}})")));
  addService(serviceJson());
  addPod(podJson("a", "10.0.0.1"));
  ASSERT_TRUE(sync().isOk());
  EXPECT_EQ(endpointsByAddress()["10.0.0.1"]["zone"], "z1");
}

TEST_F(EndpointSliceControllerTest, OwnWritesSeenByTheInformerQueueNothing) {
  addService(serviceJson());
  addPod(podJson("a", "10.0.0.1"));
  ASSERT_TRUE(sync().isOk());
  queued();
  auto slice =
      std::make_shared<const api::EndpointSlice>(decoded<api::EndpointSlice>(storedSlices()[0]));
  controller_->onSliceChanged(nullptr, slice);
  EXPECT_TRUE(queued().empty());
  // Someone else edits it: the controller looks again.
  json edited = storedSlices()[0];
  edited["metadata"]["resourceVersion"] = "100000";
  controller_->onSliceChanged(
      slice, std::make_shared<const api::EndpointSlice>(decoded<api::EndpointSlice>(edited)));
  EXPECT_EQ(queued(), std::vector<std::string>{"default/web"});
}

}  // namespace endpointslice_test
}  // namespace minik8s::controller
