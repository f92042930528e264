// certificates.k8s.io/v1 CertificateSigningRequests through the ApiServer against a real
// etcd: the requester comes from the authenticated user, the object update keeps spec and
// status, /status writes the certificate and conditions but not the approval, /approval
// writes only Approved/Denied, conditions get their timestamps, and a node may not approve.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/defaults.h"
#include "apiserver/apiserver.h"
#include "store/etcd_fixture.h"
#include "testing/csr_fixtures.h"
#include "testing/http_client.h"

namespace minik8s::apiserver {
namespace csr_apiserver_test {

using nlohmann::json;
using testing::kNodeCsrPem;
using testing::kNodeKeyCertPem;
using testing::httpCall;
using testing::HttpResult;

constexpr char kCollection[] = "/apis/certificates.k8s.io/v1/certificatesigningrequests";

json csr(const std::string& name) {
  return {{"apiVersion", "certificates.k8s.io/v1"},
          {"kind", "CertificateSigningRequest"},
          {"metadata", {{"name", name}}},
          {"spec",
           {{"request", api::base64Encode(kNodeCsrPem)},
            {"signerName", "kubernetes.io/kube-apiserver-client-kubelet"},
            {"usages", {"digital signature", "client auth"}},
            {"username", "someone-else"},
            {"groups", {"system:masters"}}}},
          {"status", {{"conditions", {{{"type", "Approved"}, {"status", "True"}}}}}}};
}

class CsrApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto etcd = store::testing::EtcdFixture::start();
    ASSERT_TRUE(etcd.isOk()) << etcd.status().toString();
    etcd_ = std::move(etcd).value();
  }

  void startServer(bool secure) {
    auto store = etcd_->connect();
    ASSERT_TRUE(store.isOk()) << store.status().toString();
    store_ = std::move(store).value();
    ApiServerOptions options;
    options.http.port = 0;
    options.compaction_interval = std::chrono::seconds(0);
    if (secure) {
      options.security.enabled = true;
      options.security.static_tokens = {
          {"admin-token", {"admin", "1", {"system:masters"}}},
          {"bootstrap-token", {"system:bootstrap:abcdef", "", {"system:bootstrappers"}}},
          {"node-token", {"system:node:n1", "7", {"system:nodes"}}},
      };
    }
    server_ = std::make_unique<ApiServer>(options, *store_);
    Status s = server_->start();
    ASSERT_TRUE(s.isOk()) << s.toString();
  }

  HttpResult call(const std::string& method, const std::string& target, const json& body,
                  const std::string& token = "") {
    std::map<std::string, std::string> headers;
    if (!token.empty()) headers["Authorization"] = "Bearer " + token;
    if (!body.is_null()) headers["Content-Type"] = "application/json";
    return httpCall(server_->port(), method, target, body.is_null() ? "" : body.dump(), headers);
  }
  json callJson(const std::string& method, const std::string& target, const json& body,
                const std::string& token, int expected) {
    HttpResult r = call(method, target, body, token);
    EXPECT_EQ(r.status, expected) << method << " " << target << ": " << r.body;
    return json::parse(r.body, nullptr, false);
  }

  std::unique_ptr<store::testing::EtcdFixture> etcd_;
  std::unique_ptr<store::EtcdStore> store_;
  std::unique_ptr<ApiServer> server_;
};

std::vector<std::string> typesOf(const json& object) {
  std::vector<std::string> out;
  for (const json& c : object["status"].value("conditions", json::array())) {
    out.push_back(c["type"]);
  }
  return out;
}

TEST_F(CsrApiTest, CreateTakesTheRequesterFromTheAuthenticatedUser) {
  startServer(true);
  json created = callJson("POST", kCollection, csr("boot-1"), "bootstrap-token", 201);
  EXPECT_EQ(created["spec"]["username"], "system:bootstrap:abcdef");
  EXPECT_EQ(created["spec"]["groups"], json({"system:bootstrappers", "system:authenticated"}));
  EXPECT_FALSE(created["spec"].contains("uid"));
  EXPECT_FALSE(created.contains("status") && created["status"].contains("conditions"))
      << "a request cannot be created approved: " << created.dump();
  EXPECT_EQ(created["spec"]["request"], api::base64Encode(kNodeCsrPem));
  // The bootstrap user may read it back, as kubelets do while they wait.
  json got = callJson("GET", std::string(kCollection) + "/boot-1", nullptr, "bootstrap-token", 200);
  EXPECT_EQ(got["spec"]["username"], "system:bootstrap:abcdef");
}

TEST_F(CsrApiTest, WithoutAuthenticationTheBodysRequesterIsKept) {
  startServer(false);
  json created = callJson("POST", kCollection, csr("plain"), "", 201);
  EXPECT_EQ(created["spec"]["username"], "someone-else");
}

TEST_F(CsrApiTest, InvalidRequestsAreRefusedWithKubernetesFieldPaths) {
  startServer(false);
  json bad = csr("bad");
  bad["spec"]["request"] = api::base64Encode("not a pem");
  bad["spec"]["signerName"] = "nodomain";
  json status = callJson("POST", kCollection, bad, "", 422);
  std::string text = status.dump();
  EXPECT_NE(text.find("spec.request"), std::string::npos) << text;
  EXPECT_NE(text.find("spec.signerName"), std::string::npos) << text;
}

TEST_F(CsrApiTest, ObjectUpdateChangesOnlyMetadata) {
  startServer(true);
  json created = callJson("POST", kCollection, csr("u"), "bootstrap-token", 201);
  json changed = created;
  changed["metadata"]["labels"] = {{"a", "b"}};
  changed["spec"]["username"] = "mallory";
  changed["spec"]["signerName"] = "example.com/other";
  changed["status"] = {{"conditions", {{{"type", "Approved"}, {"status", "True"}}}}};
  json updated = callJson("PUT", std::string(kCollection) + "/u", changed, "admin-token", 200);
  EXPECT_EQ(updated["metadata"]["labels"]["a"], "b");
  EXPECT_EQ(updated["spec"], created["spec"]);
  EXPECT_TRUE(typesOf(updated).empty());
}

TEST_F(CsrApiTest, ApprovalWritesOnlyApprovedOrDeniedWithTimestamps) {
  startServer(true);
  json created = callJson("POST", kCollection, csr("a"), "bootstrap-token", 201);
  const std::string approval = std::string(kCollection) + "/a/approval";
  // kubectl certificate approve: PUT of the whole object with the condition appended.
  json body = created;
  body["status"] = {{"conditions",
                     {{{"type", "Approved"}, {"status", "True"}, {"reason", "KubectlApprove"}},
                      {{"type", "Failed"}, {"status", "True"}}}},
                    {"certificate", api::base64Encode(kNodeKeyCertPem)}};
  body["spec"]["username"] = "mallory";
  // A node may not approve.
  HttpResult refused = call("PUT", approval, body, "node-token");
  EXPECT_EQ(refused.status, 403) << refused.body;
  json approved = callJson("PUT", approval, body, "admin-token", 200);
  EXPECT_EQ(typesOf(approved), std::vector<std::string>{"Approved"});
  const json& condition = approved["status"]["conditions"][0];
  EXPECT_EQ(condition["reason"], "KubectlApprove");
  EXPECT_FALSE(condition.value("lastUpdateTime", "").empty());
  EXPECT_FALSE(condition.value("lastTransitionTime", "").empty());
  EXPECT_FALSE(approved["status"].contains("certificate"));
  EXPECT_EQ(approved["spec"]["username"], "system:bootstrap:abcdef");
  // Denied beside Approved is refused; removing the approval too.
  json both = approved;
  both["status"]["conditions"].push_back({{"type", "Denied"}, {"status", "True"}});
  EXPECT_EQ(call("PUT", approval, both, "admin-token").status, 422);
  json removed = approved;
  removed["status"]["conditions"] = json::array();
  HttpResult r = call("PUT", approval, removed, "admin-token");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_NE(r.body.find("updates may not remove a condition of type"), std::string::npos) << r.body;
  // kubectl certificate deny's JSON patch path works the same on a fresh request.
  callJson("POST", kCollection, csr("d"), "bootstrap-token", 201);
  HttpResult patched =
      httpCall(server_->port(), "PATCH", std::string(kCollection) + "/d/approval",
               R"({"status":{"conditions":[{"type":"Denied","status":"True","reason":"No"}]}})",
               {{"Authorization", "Bearer admin-token"},
                {"Content-Type", "application/merge-patch+json"}});
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(typesOf(json::parse(patched.body)), std::vector<std::string>{"Denied"});
}

TEST_F(CsrApiTest, StatusWritesCertificateOnceAndKeepsTheApproval) {
  startServer(true);
  callJson("POST", kCollection, csr("s"), "bootstrap-token", 201);
  json approved = callJson("GET", std::string(kCollection) + "/s", nullptr, "admin-token", 200);
  approved["status"] = {{"conditions", {{{"type", "Approved"}, {"status", "True"}}}}};
  approved = callJson("PUT", std::string(kCollection) + "/s/approval", approved, "admin-token", 200);
  const json approval = approved["status"]["conditions"][0];

  const std::string status = std::string(kCollection) + "/s/status";
  json body = approved;
  body["status"]["certificate"] = api::base64Encode(kNodeKeyCertPem);
  body["status"]["conditions"] = {{{"type", "Approved"}, {"status", "True"}, {"reason", "Forged"}},
                                  {{"type", "Issued"}, {"status", "True"}}};
  json signed_ = callJson("PUT", status, body, "admin-token", 200);
  EXPECT_EQ(signed_["status"]["certificate"], api::base64Encode(kNodeKeyCertPem));
  EXPECT_EQ(typesOf(signed_), (std::vector<std::string>{"Approved", "Issued"}));
  EXPECT_EQ(signed_["status"]["conditions"][0], approval) << "the approval is not /status's";

  // Once issued, the certificate does not change.
  json again = signed_;
  again["status"]["certificate"] = api::base64Encode(std::string(kNodeKeyCertPem) + kNodeKeyCertPem);
  HttpResult r = call("PUT", status, again, "admin-token");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_NE(r.body.find("updates may not modify existing certificate content"), std::string::npos)
      << r.body;
  // A certificate that is not PEM CERTIFICATE blocks is refused.
  callJson("POST", kCollection, csr("t"), "bootstrap-token", 201);
  json bad = callJson("GET", std::string(kCollection) + "/t", nullptr, "admin-token", 200);
  bad["status"]["certificate"] = api::base64Encode(kNodeCsrPem);
  r = call("PUT", std::string(kCollection) + "/t/status", bad, "admin-token");
  EXPECT_EQ(r.status, 422) << r.body;
}

TEST_F(CsrApiTest, TransitionTimeIsKeptWhileTheStatusStays) {
  startServer(false);
  callJson("POST", kCollection, csr("f"), "", 201);
  json object = callJson("GET", std::string(kCollection) + "/f", nullptr, "", 200);
  object["status"] = {{"conditions",
                       {{{"type", "Failed"},
                         {"status", "True"},
                         {"lastTransitionTime", "2026-01-01T00:00:00Z"}}}}};
  json failed = callJson("PUT", std::string(kCollection) + "/f/status", object, "", 200);
  failed["status"]["conditions"][0].erase("lastTransitionTime");
  failed["status"]["conditions"][0]["message"] = "again";
  json again = callJson("PUT", std::string(kCollection) + "/f/status", failed, "", 200);
  EXPECT_EQ(again["status"]["conditions"][0]["lastTransitionTime"], "2026-01-01T00:00:00Z");
}

}  // namespace csr_apiserver_test
}  // namespace minik8s::apiserver
