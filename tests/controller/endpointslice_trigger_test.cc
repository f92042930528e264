// The endpoints.kubernetes.io/last-change-trigger-time the EndpointSlice controller writes (the
// start of the proxy's network programming latency): Kubernetes' tracker semantics, with the
// sub-second part kept. Fake client, prefilled caches, fake clock.
#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>

#include "client/fake_client.h"
#include "controller/endpointslice.h"
#include "controller/fixtures.h"

namespace minik8s::controller {
namespace endpointslice_trigger_test {

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

json webService() {
  return json::parse(R"({
    "apiVersion": "v1", "kind": "Service",
    "metadata": {"name": "web", "namespace": "default", "uid": "web-uid",
                 "creationTimestamp": "2026-01-01T00:00:00Z"},
    "spec": {"clusterIP": "10.96.0.10", "ipFamilies": ["IPv4"], "type": "ClusterIP",
             "selector": {"app": "web"},
             "ports": [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}]}
  })");
}

// A running pod of web whose Ready condition is `ready` since `since`.
json webPod(const std::string& name, const std::string& ip, bool ready, const std::string& since) {
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata",
           {{"name", name},
            {"namespace", "default"},
            {"uid", "uid-" + name},
            {"creationTimestamp", "2026-01-01T00:00:00Z"},
            {"labels", {{"app", "web"}}}}},
          {"spec", {{"nodeName", "node1"}, {"containers", {{{"name", "c"}, {"image", "myip"}}}}}},
          {"status",
           {{"phase", "Running"},
            {"podIP", ip},
            {"podIPs", {{{"ip", ip}}}},
            {"conditions",
             {{{"type", "Ready"},
               {"status", ready ? "True" : "False"},
               {"lastTransitionTime", since}}}}}}};
}

class EndpointSliceTriggerTime : public ::testing::Test {
 protected:
  EndpointSliceTriggerTime()
      : client_(clock_),
        controller_(client_, services_, pods_, slices_, nullptr, EndpointSliceOptions{}, clock_) {
    client_.add(servicesResource(), webService());
    services_.add(decoded<api::Service>(*client_.object(servicesResource(), "default", "web")));
  }
  void putPod(const json& pod) {
    const std::string name = pod["metadata"]["name"];
    if (client_.object(podsResource(), "default", name)) {
      ASSERT_TRUE(client_.remove(podsResource(), "default", name).isOk());
    }
    client_.add(podsResource(), pod);
    pods_.add(decoded<api::Pod>(*client_.object(podsResource(), "default", name)));
  }
  // Syncs web, then lets the slice cache catch up; returns the trigger annotation of its one
  // slice ("" when it has none).
  std::string syncAndRead() {
    Status s = controller_.sync("default/web");
    EXPECT_TRUE(s.isOk()) << s.toString();
    std::set<std::string> keys;
    std::string trigger;
    for (const auto& obj : client_.objects(slicesResource())) {
      auto slice = decoded<api::EndpointSlice>(obj);
      keys.insert(client::keyOf(slice));
      slices_.put(client::keyOf(slice), slice.metadata.resource_version,
                  std::make_shared<const api::EndpointSlice>(slice));
      auto it = slice.metadata.annotations.find(api::kAnnotationLastChangeTriggerTime);
      if (it != slice.metadata.annotations.end()) trigger = it->second;
    }
    EXPECT_EQ(keys.size(), 1u);
    return trigger;
  }

  FakeClock clock_;
  client::FakeClient client_;
  client::ObjectCache<api::Service> services_;
  client::ObjectCache<api::Pod> pods_;
  client::ObjectCache<api::EndpointSlice> slices_;
  EndpointSliceController controller_;
};

TEST_F(EndpointSliceTriggerTime, IsTheReadyTransitionOfThePodThatChangedWithItsSubSecondPart) {
  // First sync: the Service's creation.
  EXPECT_EQ(syncAndRead(), "2026-01-01T00:00:00Z");
  // A pod appears, not ready yet: the time its Ready condition became False.
  putPod(webPod("a", "10.244.0.2", false, "2026-01-01T00:00:04.5Z"));
  EXPECT_EQ(syncAndRead(), "2026-01-01T00:00:04.5Z");
  // It becomes Ready: the transition's time, to the nanosecond Go's RFC3339Nano keeps.
  putPod(webPod("a", "10.244.0.2", true, "2026-01-01T00:00:07.123456789Z"));
  EXPECT_EQ(syncAndRead(), "2026-01-01T00:00:07.123456789Z");
  // Two pods change before one sync: the earliest of their transitions.
  putPod(webPod("b", "10.244.0.3", true, "2026-01-01T00:00:09.75Z"));
  putPod(webPod("c", "10.244.0.4", true, "2026-01-01T00:00:09.25Z"));
  EXPECT_EQ(syncAndRead(), "2026-01-01T00:00:09.25Z");
  // A write with no trigger (no pod or Service changed) drops the annotation: here a pod's
  // deletion, which has no transition time (Kubernetes' tracker does the same).
  ASSERT_TRUE(client_.remove(podsResource(), "default", "c").isOk());
  pods_.put("default/c", "", nullptr);
  EXPECT_EQ(syncAndRead(), "");
}

}  // namespace endpointslice_trigger_test
}  // namespace minik8s::controller
