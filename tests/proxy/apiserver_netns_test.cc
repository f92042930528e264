// The proxy as `minik8s proxy` runs it: a Proxier on shared informers of a real apiserver
// (and etcd), programming real iptables in a node namespace of its own (netns_fixture.h).
// Services and EndpointSlices are written through the API; the test measures how soon the
// rules follow. Needs root and etcd, as CI has.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "api/scheme.h"
#include "client/informer.h"
#include "proxy/netns_fixture.h"
#include "proxy/proxier.h"
#include "testing/api_fixture.h"

namespace minik8s::proxy {
namespace {

using namespace std::chrono_literals;
using namespace testing;
using nlohmann::json;

const api::ResourceInfo& servicesResource() {
  return *api::findResource("", "v1", "services");
}
const api::ResourceInfo& slicesResource() {
  return *api::findResource("discovery.k8s.io", "v1", "endpointslices");
}

json sliceJson(const std::vector<std::string>& ips) {
  json endpoints = json::array();
  for (const auto& ip : ips) {
    endpoints.push_back(
        {{"addresses", {ip}}, {"conditions", {{"ready", true}}}, {"nodeName", "node-a"}});
  }
  return {{"apiVersion", "discovery.k8s.io/v1"},
          {"kind", "EndpointSlice"},
          {"metadata", {{"name", "web-x"}, {"labels", {{"kubernetes.io/service-name", "web"}}}}},
          {"addressType", "IPv4"},
          {"ports", {{{"name", "http"}, {"protocol", "TCP"}, {"port", 8080}}}},
          {"endpoints", endpoints}};
}

class ApiserverNetnsTest : public NetnsTest {
 protected:
  void SetUp() override {
    NetnsTest::SetUp();
    if (HasFatalFailure()) return;
    auto api = minik8s::testing::ApiFixture::start();
    ASSERT_TRUE(api.isOk()) << api.status().toString();
    api_ = std::move(*api);
    informers_ = std::make_unique<client::SharedInformerFactory>(api_->client());
    ProxierOptions options;
    options.render.node_name = "node-a";
    options.render.balance = Balance::kRoundRobin;
    options.min_sync_period = 0ms;  // every change at once: the latency measured is ours
    proxier_ = std::make_unique<Proxier>(*informers_, *iptables_, options);
    informers_->start();
    proxier_->start();
  }
  void TearDown() override {
    if (proxier_) proxier_->stop();
    if (informers_) informers_->stop();
    proxier_.reset();
    informers_.reset();
    api_.reset();
    NetnsTest::TearDown();
  }

  // Milliseconds until a connection to ip:80 from the node answers `want`.
  double millisUntil(const std::string& ip, const std::string& want) {
    auto t0 = std::chrono::steady_clock::now();
    bool ok = minik8s::testing::eventually(
        [&] { return connectFrom(node_, ip, 80, 300ms) == want; }, 10s);
    EXPECT_TRUE(ok) << ip << " never answered " << want;
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  }

  std::unique_ptr<minik8s::testing::ApiFixture> api_;
  std::unique_ptr<client::SharedInformerFactory> informers_;
  std::unique_ptr<Proxier> proxier_;
};

TEST_F(ApiserverNetnsTest, ServicesAndSlicesFromTheApiBecomeRulesWithinMilliseconds) {
  auto& client = api_->client();
  auto created = client.create(
      servicesResource(), "default",
      {{"apiVersion", "v1"},
       {"kind", "Service"},
       {"metadata", {{"name", "web"}}},
       {"spec", {{"ports", {{{"name", "http"}, {"port", 80}, {"targetPort", 8080}}}}}}});
  ASSERT_TRUE(created.isOk()) << created.status().toString();
  std::string ip = (*created)["spec"]["clusterIP"];
  ASSERT_FALSE(ip.empty());

  // No slice yet: refused.
  std::printf("refused after Service create: %.1f ms\n", millisUntil(ip, "refused"));

  auto slice = client.create(slicesResource(), "default", sliceJson({kPodA, kPodB}));
  ASSERT_TRUE(slice.isOk()) << slice.status().toString();
  std::printf("answering after slice create: %.1f ms\n", millisUntil(ip, "pod-a\n"));
  std::map<std::string, int> answers;
  for (int i = 0; i < 40; ++i) answers[connectFrom(node_, ip, 80)]++;
  EXPECT_EQ(answers, (std::map<std::string, int>{{"pod-a\n", 20}, {"pod-b\n", 20}}));

  // Scaled to 0: refused at once.
  json empty = sliceJson({});
  empty["metadata"]["resourceVersion"] = (*slice)["metadata"]["resourceVersion"];
  ASSERT_TRUE(client.update(slicesResource(), "default", empty).isOk());
  std::printf("refused after scale to 0: %.1f ms\n", millisUntil(ip, "refused"));

  // The Service deleted: its IP is unowned, and still refused rather than sent on.
  ASSERT_TRUE(client.remove(servicesResource(), "default", "web").isOk());
  ASSERT_TRUE(minik8s::testing::eventually([&] {
    auto nat = iptables_->save("nat");
    return nat.isOk() && nat->find("default/web") == std::string::npos;
  }));
  EXPECT_EQ(connectFrom(node_, ip, 80), "refused");
}

}  // namespace
}  // namespace minik8s::proxy
