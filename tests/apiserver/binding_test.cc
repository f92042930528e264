// pods/{name}/binding against a real etcd: spec.nodeName and the PodScheduled condition
// land in one write, as kube-apiserver's binding registry does, and a second binding or
// a binding of a pod being deleted is refused with 409.
#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "apiserver/apiserver.h"
#include "store/etcd_fixture.h"
#include "testing/http_client.h"

namespace minik8s::apiserver {
namespace binding_test {

using nlohmann::json;
using testing::httpCall;

class BindingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto etcd = store::testing::EtcdFixture::start();
    ASSERT_TRUE(etcd.isOk()) << etcd.status().toString();
    etcd_ = std::move(etcd).value();
    auto store = etcd_->connect();
    ASSERT_TRUE(store.isOk()) << store.status().toString();
    store_ = std::move(store).value();
    ApiServerOptions options;
    options.http.port = 0;
    options.compaction_interval = std::chrono::seconds(0);
    server_ = std::make_unique<ApiServer>(options, *store_);
    ASSERT_TRUE(server_->start().isOk());
  }

  json callJson(const std::string& method, const std::string& target, const json& body,
                int expected) {
    auto r = httpCall(server_->port(), method, target, body.is_null() ? "" : body.dump());
    EXPECT_EQ(r.status, expected) << method << " " << target << ": " << r.body;
    return json::parse(r.body, nullptr, false);
  }

  json createPod(const std::string& name) {
    return callJson(
        "POST", "/api/v1/namespaces/default/pods",
        {{"apiVersion", "v1"},
         {"kind", "Pod"},
         {"metadata", {{"name", name}}},
         {"spec", {{"containers", json::array({{{"name", "c"}, {"image", "busybox"}}})}}}},
        201);
  }

  std::unique_ptr<store::testing::EtcdFixture> etcd_;
  std::unique_ptr<store::EtcdStore> store_;
  std::unique_ptr<ApiServer> server_;
};

json binding(const std::string& pod, const std::string& node) {
  return {{"apiVersion", "v1"},
          {"kind", "Binding"},
          {"metadata", {{"name", pod}}},
          {"target", {{"apiVersion", "v1"}, {"kind", "Node"}, {"name", node}}}};
}

int64_t revisionOf(const json& object) {
  return std::stoll(object["metadata"]["resourceVersion"].get<std::string>());
}

TEST_F(BindingTest, NodeNameAndPodScheduledLandInOneWrite) {
  callJson("POST", "/api/v1/nodes",
           {{"apiVersion", "v1"}, {"kind", "Node"}, {"metadata", {{"name", "n1"}}}}, 201);
  json created = createPod("web");
  callJson("POST", "/api/v1/namespaces/default/pods/web/binding", binding("web", "n1"), 201);
  json bound = callJson("GET", "/api/v1/namespaces/default/pods/web", nullptr, 200);
  EXPECT_EQ(bound["spec"]["nodeName"], "n1");
  json scheduled;
  for (const auto& c : bound["status"]["conditions"]) {
    if (c["type"] == "PodScheduled") scheduled = c;
  }
  ASSERT_TRUE(scheduled.is_object()) << bound.dump();
  EXPECT_EQ(scheduled["status"], "True");
  // Nothing else writes in this test: one write means the next revision.
  EXPECT_EQ(revisionOf(bound), revisionOf(created) + 1);
}

TEST_F(BindingTest, ASecondBindingIsAConflictAndLeavesThePodAlone) {
  createPod("web");
  callJson("POST", "/api/v1/namespaces/default/pods/web/binding", binding("web", "n1"), 201);
  json before = callJson("GET", "/api/v1/namespaces/default/pods/web", nullptr, 200);
  json status =
      callJson("POST", "/api/v1/namespaces/default/pods/web/binding", binding("web", "n2"), 409);
  EXPECT_EQ(status["reason"], "Conflict");
  json after = callJson("GET", "/api/v1/namespaces/default/pods/web", nullptr, 200);
  EXPECT_EQ(after["spec"]["nodeName"], "n1");
  EXPECT_EQ(revisionOf(after), revisionOf(before));
}

TEST_F(BindingTest, ABindingWithoutATargetIsInvalid) {
  createPod("web");
  json b = binding("web", "");
  json status = callJson("POST", "/api/v1/namespaces/default/pods/web/binding", b, 422);
  EXPECT_EQ(status["reason"], "Invalid");
}

}  // namespace binding_test
}  // namespace minik8s::apiserver
