// CsrApprovingController: the pure approvalFor on real PKCS#10 requests (pki::createCsr),
// and sync with the fake client and a prefilled cache.
#include "controller/csr_approving.h"

#include <gtest/gtest.h>

#include "api/codec.h"
#include "client/fake_client.h"
#include "pki/certificates.h"

namespace minik8s::controller {
namespace csr_approving_test {

using nlohmann::json;

const api::ResourceInfo& csrsResource() {
  return *api::findResource("certificates.k8s.io", "v1", "certificatesigningrequests");
}

std::string requestFor(const std::string& cn, const std::vector<std::string>& orgs,
                       const std::vector<std::string>& dns = {},
                       const std::vector<std::string>& ips = {}) {
  static const std::string key = pki::generatePrivateKey();
  return pki::createCsr(key, {cn, orgs}, dns, ips).value();
}

// What `minik8s agent --token` sends: a bootstrap user asks for node-1's client certificate.
api::CertificateSigningRequest bootstrapCsr(const std::string& name = "node-csr-1") {
  api::CertificateSigningRequest csr;
  csr.metadata.name = name;
  csr.spec.request = requestFor("system:node:node-1", {"system:nodes"});
  csr.spec.signer_name = api::kSignerKubeApiserverClientKubelet;
  csr.spec.usages = {"digital signature", "client auth"};
  csr.spec.username = "system:bootstrap:abcdef";
  csr.spec.groups = {"system:bootstrappers", "system:bootstrappers:kubeadm:default-node-token",
                     "system:authenticated"};
  return csr;
}

// node-1 renews its own client certificate with its current one.
api::CertificateSigningRequest renewalCsr() {
  api::CertificateSigningRequest csr = bootstrapCsr("node-csr-2");
  csr.spec.username = "system:node:node-1";
  csr.spec.groups = {"system:nodes", "system:authenticated"};
  return csr;
}

CsrApproval decide(const api::CertificateSigningRequest& csr) {
  return approvalFor(csr, pki::parseCsr(csr.spec.request).value());
}

TEST(ApprovalFor, ApprovesABootstrapUserAskingForANodeClientCertificate) {
  EXPECT_EQ(decide(bootstrapCsr()), CsrApproval::kNodeClient);
  auto with_rsa_usages = bootstrapCsr();
  with_rsa_usages.spec.usages = {"client auth", "key encipherment", "digital signature"};
  EXPECT_EQ(decide(with_rsa_usages), CsrApproval::kNodeClient);
}

TEST(ApprovalFor, ApprovesANodeRenewingItsOwnClientCertificate) {
  EXPECT_EQ(decide(renewalCsr()), CsrApproval::kSelfNodeClient);
}

TEST(ApprovalFor, GivesNoDecisionOnAnythingElse) {
  auto wrong_cn = bootstrapCsr();
  wrong_cn.spec.request = requestFor("node-1", {"system:nodes"});
  EXPECT_EQ(decide(wrong_cn), CsrApproval::kNoDecision);
  auto empty_name = bootstrapCsr();
  empty_name.spec.request = requestFor("system:node:", {"system:nodes"});
  EXPECT_EQ(decide(empty_name), CsrApproval::kNoDecision);

  auto extra_o = bootstrapCsr();
  extra_o.spec.request = requestFor("system:node:node-1", {"system:nodes", "system:masters"});
  EXPECT_EQ(decide(extra_o), CsrApproval::kNoDecision);
  auto masters = bootstrapCsr();
  masters.spec.request = requestFor("system:node:node-1", {"system:masters"});
  EXPECT_EQ(decide(masters), CsrApproval::kNoDecision);
  auto no_o = bootstrapCsr();
  no_o.spec.request = requestFor("system:node:node-1", {});
  EXPECT_EQ(decide(no_o), CsrApproval::kNoDecision);

  auto dns_san = bootstrapCsr();
  dns_san.spec.request = requestFor("system:node:node-1", {"system:nodes"}, {"node-1"});
  EXPECT_EQ(decide(dns_san), CsrApproval::kNoDecision);
  auto ip_san = bootstrapCsr();
  ip_san.spec.request = requestFor("system:node:node-1", {"system:nodes"}, {}, {"10.0.0.1"});
  EXPECT_EQ(decide(ip_san), CsrApproval::kNoDecision);

  for (std::vector<std::string> usages :
       {std::vector<std::string>{"client auth"},
        {"digital signature", "client auth", "server auth"},
        {"digital signature", "server auth"},
        {"digital signature", "key encipherment", "client auth", "cert sign"},
        {}}) {
    auto wrong_usages = bootstrapCsr();
    wrong_usages.spec.usages = usages;
    EXPECT_EQ(decide(wrong_usages), CsrApproval::kNoDecision) << usages.size();
  }

  for (const char* signer :
       {api::kSignerKubeApiserverClient, api::kSignerKubeletServing, "example.com/custom"}) {
    auto wrong_signer = bootstrapCsr();
    wrong_signer.spec.signer_name = signer;
    EXPECT_EQ(decide(wrong_signer), CsrApproval::kNoDecision) << signer;
  }

  // A node asking for another node's name; a node missing from system:nodes; anyone else.
  auto other_node = renewalCsr();
  other_node.spec.username = "system:node:node-2";
  EXPECT_EQ(decide(other_node), CsrApproval::kNoDecision);
  auto not_in_group = renewalCsr();
  not_in_group.spec.groups = {"system:authenticated"};
  EXPECT_EQ(decide(not_in_group), CsrApproval::kNoDecision);
  auto user = bootstrapCsr();
  user.spec.username = "alice";
  user.spec.groups = {"system:authenticated"};
  EXPECT_EQ(decide(user), CsrApproval::kNoDecision);
}

TEST(KubeletClientCsrProblem, SaysWhatIsWrongInKubernetesWords) {
  auto parsed = pki::parseCsr(requestFor("system:node:n", {"system:nodes"}, {"n"})).value();
  EXPECT_EQ(kubeletClientCsrProblem(parsed, {"digital signature", "client auth"}),
            "DNS subjectAltNames are not allowed");
  parsed.dns_names.clear();
  EXPECT_EQ(kubeletClientCsrProblem(parsed, {"client auth"}),
            "usages did not match [client auth digital signature key encipherment]");
  EXPECT_EQ(kubeletClientCsrProblem(parsed, {"digital signature", "client auth"}), std::nullopt);
  parsed.subject.organizations = {"system:masters"};
  EXPECT_EQ(kubeletClientCsrProblem(parsed, {"digital signature", "client auth"}),
            "subject organization is not system:nodes");
}

class CsrApprovingTest : public ::testing::Test {
 protected:
  CsrApprovingTest() : client_(clock_), controller_(client_, csrs_, clock_) {}

  void add(const api::CertificateSigningRequest& csr) {
    json object = api::toJson(csr);
    object["apiVersion"] = "certificates.k8s.io/v1";
    object["kind"] = "CertificateSigningRequest";
    client_.add(csrsResource(), object);
    auto stored = api::decode<api::CertificateSigningRequest>(
        *client_.object(csrsResource(), "", csr.metadata.name));
    ASSERT_TRUE(stored.isOk()) << stored.status().toString();
    csrs_.add(*stored);
  }
  std::vector<client::Action> approvals() const {
    std::vector<client::Action> out;
    for (const auto& a : client_.writes()) {
      EXPECT_EQ(a.summary(), "update certificatesigningrequests/approval");
      out.push_back(a);
    }
    return out;
  }

  FakeClock clock_;
  client::FakeClient client_;
  client::ObjectCache<api::CertificateSigningRequest> csrs_;
  CsrApprovingController controller_;
};

TEST_F(CsrApprovingTest, ApprovesThroughTheApprovalSubresourceWithTheCachedResourceVersion) {
  add(bootstrapCsr());
  ASSERT_TRUE(controller_.sync("node-csr-1").isOk());
  auto written = approvals();
  ASSERT_EQ(written.size(), 1u);
  EXPECT_EQ(written[0].name, "node-csr-1");
  auto sent = api::decode<api::CertificateSigningRequest>(written[0].object).value();
  EXPECT_FALSE(sent.metadata.resource_version.empty());
  EXPECT_EQ(sent.spec.request, csrs_.get("node-csr-1")->spec.request);
  ASSERT_EQ(sent.status.conditions.size(), 1u);
  const auto& c = sent.status.conditions[0];
  EXPECT_EQ(c.type, "Approved");
  EXPECT_EQ(c.status, "True");
  EXPECT_EQ(c.reason, "AutoApproved");
  EXPECT_EQ(c.message, "Auto approving kubelet client certificate after SubjectAccessReview.");
  EXPECT_EQ(c.last_update_time, formatRfc3339(clock_.now()));
  EXPECT_EQ(c.last_transition_time, formatRfc3339(clock_.now()));
  EXPECT_TRUE(csrHasCondition(sent, api::kCsrApproved));
}

TEST_F(CsrApprovingTest, ApprovesARenewal) {
  add(renewalCsr());
  ASSERT_TRUE(controller_.sync("node-csr-2").isOk());
  auto written = approvals();
  ASSERT_EQ(written.size(), 1u);
  auto sent = api::decode<api::CertificateSigningRequest>(written[0].object).value();
  ASSERT_EQ(sent.status.conditions.size(), 1u);
  EXPECT_EQ(sent.status.conditions[0].message,
            "Auto approving self kubelet client certificate after SubjectAccessReview.");
}

TEST_F(CsrApprovingTest, NeverTouchesADecidedIssuedUnparsableOrForeignCsr) {
  auto denied = bootstrapCsr("denied");
  denied.status.conditions = {{.type = "Denied", .status = "True", .reason = "ByAdmin"}};
  add(denied);
  auto approved = bootstrapCsr("approved");
  approved.status.conditions = {{.type = "Approved", .status = "True", .reason = "ByAdmin"}};
  add(approved);
  auto issued = bootstrapCsr("issued");
  issued.status.certificate = "-----BEGIN CERTIFICATE-----\n";
  add(issued);
  auto garbage = bootstrapCsr("garbage");
  garbage.spec.request =
      "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n";
  add(garbage);
  auto other_node = renewalCsr();
  other_node.metadata.name = "other-node";
  other_node.spec.username = "system:node:node-2";
  add(other_node);
  for (const char* name : {"denied", "approved", "issued", "garbage", "other-node", "absent"}) {
    EXPECT_TRUE(controller_.sync(name).isOk()) << name;
  }
  EXPECT_TRUE(client_.writes().empty());

  // Only undecided CSRs are queued.
  controller_.onCsr(std::make_shared<const api::CertificateSigningRequest>(denied));
  controller_.onCsr(std::make_shared<const api::CertificateSigningRequest>(approved));
  EXPECT_EQ(controller_.queue().len(), 0u);
  controller_.onCsr(std::make_shared<const api::CertificateSigningRequest>(bootstrapCsr()));
  EXPECT_EQ(controller_.queue().len(), 1u);
}

TEST_F(CsrApprovingTest, AConflictIsReturnedForARetry) {
  add(bootstrapCsr());
  client_.failNext("update", "certificatesigningrequests", conflict("modified"));
  EXPECT_EQ(controller_.sync("node-csr-1").code(), Code::kConflict);
  EXPECT_TRUE(controller_.sync("node-csr-1").isOk());
}

}  // namespace csr_approving_test
}  // namespace minik8s::controller
