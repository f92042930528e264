// CsrSigningController: planSigning and the lifetime rule as tables, and sync with the
// fake client, a prefilled cache and a real CA (the certificates are checked with pki).
#include "controller/csr_signing.h"

#include <gtest/gtest.h>

#include "api/codec.h"
#include "client/fake_client.h"
#include "pki/certificates.h"

namespace minik8s::controller {
namespace csr_signing_test {

using nlohmann::json;
using namespace std::chrono_literals;

const api::ResourceInfo& csrsResource() {
  return *api::findResource("certificates.k8s.io", "v1", "certificatesigningrequests");
}

const pki::CertificateAndKey& clusterCa() {
  static const pki::CertificateAndKey ca = pki::createCa("minik8s-ca", 24h * 3650).value();
  return ca;
}

std::string requestFor(const std::string& cn, const std::vector<std::string>& orgs,
                       const std::vector<std::string>& dns = {},
                       const std::vector<std::string>& ips = {}) {
  static const std::string key = pki::generatePrivateKey();
  return pki::createCsr(key, {cn, orgs}, dns, ips).value();
}

api::CertificateSigningRequestCondition condition(const std::string& type) {
  return {.type = type, .status = "True", .reason = "Test"};
}

// An approved kubelet client CSR for node-1.
api::CertificateSigningRequest approvedCsr(const std::string& name = "node-csr-1") {
  api::CertificateSigningRequest csr;
  csr.metadata.name = name;
  csr.spec.request = requestFor("system:node:node-1", {"system:nodes"});
  csr.spec.signer_name = api::kSignerKubeApiserverClientKubelet;
  csr.spec.usages = {"digital signature", "client auth"};
  csr.spec.username = "system:bootstrap:abcdef";
  csr.spec.groups = {"system:bootstrappers"};
  csr.status.conditions = {condition("Approved")};
  return csr;
}

api::CertificateSigningRequest servingCsr() {
  auto csr = approvedCsr("serving");
  csr.spec.request = requestFor("system:node:node-1", {"system:nodes"}, {"node-1"}, {"10.0.0.1"});
  csr.spec.signer_name = api::kSignerKubeletServing;
  csr.spec.usages = {"digital signature", "key encipherment", "server auth"};
  return csr;
}

TEST(SignedCertificateLifetime, TheShortestOfRequestedMaximumAndTheCasRemainingLife) {
  const Clock::WallTime now = Clock::WallTime(std::chrono::seconds(1767225600));
  const Clock::WallTime ca_end = now + 24h * 3650;
  EXPECT_EQ(signedCertificateLifetime(std::nullopt, 8760h, ca_end, now), 8760h);
  EXPECT_EQ(signedCertificateLifetime(3600, 8760h, ca_end, now), 3600s);
  EXPECT_EQ(signedCertificateLifetime(60, 8760h, ca_end, now), 600s);  // Kubernetes' 10 min floor
  EXPECT_EQ(signedCertificateLifetime(86400 * 1000, 8760h, ca_end, now), 8760h);
  EXPECT_EQ(signedCertificateLifetime(7200, 1h, ca_end, now), 1h);
  EXPECT_EQ(signedCertificateLifetime(std::nullopt, 8760h, now + 2h, now), 2h);
  EXPECT_LE(signedCertificateLifetime(std::nullopt, 8760h, now - 1s, now), 0s);
}

TEST(SignerProblem, EachSignerChecksUsagesAndSubjectAsKubernetes) {
  auto node = pki::parseCsr(requestFor("system:node:n", {"system:nodes"})).value();
  auto serving =
      pki::parseCsr(requestFor("system:node:n", {"system:nodes"}, {"n.example"})).value();
  auto alice = pki::parseCsr(requestFor("alice", {"devs"})).value();
  using Usages = std::vector<std::string>;

  EXPECT_EQ(signerProblem(api::kSignerKubeApiserverClient, alice, Usages{"client auth"}),
            std::nullopt);
  EXPECT_EQ(signerProblem(api::kSignerKubeApiserverClient, alice,
                          Usages{"digital signature", "key encipherment", "client auth"}),
            std::nullopt);
  EXPECT_EQ(signerProblem(api::kSignerKubeApiserverClient, alice, Usages{"digital signature"}),
            "missing required usage for client certificate: client auth");
  EXPECT_EQ(
      signerProblem(api::kSignerKubeApiserverClient, alice, Usages{"client auth", "server auth"}),
      "invalid usage for client certificate: server auth");

  EXPECT_EQ(signerProblem(api::kSignerKubeApiserverClientKubelet, node,
                          Usages{"digital signature", "client auth"}),
            std::nullopt);
  EXPECT_EQ(signerProblem(api::kSignerKubeApiserverClientKubelet, alice,
                          Usages{"digital signature", "client auth"}),
            "subject organization is not system:nodes");
  EXPECT_EQ(signerProblem(api::kSignerKubeApiserverClientKubelet, serving,
                          Usages{"digital signature", "client auth"}),
            "DNS subjectAltNames are not allowed");

  EXPECT_EQ(signerProblem(api::kSignerKubeletServing, serving,
                          Usages{"digital signature", "server auth"}),
            std::nullopt);
  EXPECT_EQ(
      signerProblem(api::kSignerKubeletServing, node, Usages{"digital signature", "server auth"}),
      "DNS or IP subjectAltName is required");
  EXPECT_EQ(signerProblem(api::kSignerKubeletServing, serving,
                          Usages{"digital signature", "client auth"}),
            "usages did not match [digital signature key encipherment server auth]");
}

TEST(PlanSigning, SignsOnlyApprovedUndeniedUnfailedUnissuedCsrsOfItsSigners) {
  const Clock::WallTime now = Clock::WallTime(std::chrono::seconds(1767225600));
  const Clock::WallTime ca_end = now + 24h * 3650;
  auto plan = [&](const api::CertificateSigningRequest& csr) {
    return planSigning(csr, pki::parseCsr(csr.spec.request), 8760h, ca_end, now);
  };
  auto sign = plan(approvedCsr());
  EXPECT_EQ(sign.action, SigningPlan::Action::kSign);
  EXPECT_TRUE(sign.spec.client_auth);
  EXPECT_FALSE(sign.spec.server_auth);
  EXPECT_EQ(sign.spec.validity, 8760h);
  auto serve = plan(servingCsr());
  EXPECT_EQ(serve.action, SigningPlan::Action::kSign);
  EXPECT_TRUE(serve.spec.server_auth);
  EXPECT_FALSE(serve.spec.client_auth);

  auto pending = approvedCsr();
  pending.status.conditions.clear();
  auto denied = approvedCsr();
  denied.status.conditions.push_back(condition("Denied"));
  auto failed = approvedCsr();
  failed.status.conditions.push_back(condition("Failed"));
  auto issued = approvedCsr();
  issued.status.certificate = "-----BEGIN CERTIFICATE-----\n";
  auto foreign = approvedCsr();
  foreign.spec.signer_name = "example.com/my-signer";
  auto foreign_garbage = foreign;
  foreign_garbage.spec.request = "garbage";
  auto approved_false = approvedCsr();
  approved_false.status.conditions[0].status = "False";
  for (const auto* csr :
       {&pending, &denied, &failed, &issued, &foreign, &foreign_garbage, &approved_false}) {
    EXPECT_EQ(plan(*csr).action, SigningPlan::Action::kSkip) << csr->metadata.name;
  }

  auto garbage = approvedCsr();
  garbage.spec.request =
      "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n";
  auto bad = plan(garbage);
  EXPECT_EQ(bad.action, SigningPlan::Action::kFail);
  EXPECT_NE(bad.message.find("unable to parse csr \"node-csr-1\""), std::string::npos)
      << bad.message;
  auto wrong_usage = approvedCsr();
  wrong_usage.spec.usages = {"client auth"};
  EXPECT_EQ(plan(wrong_usage).action, SigningPlan::Action::kFail);

  auto expired_ca =
      planSigning(approvedCsr(), pki::parseCsr(approvedCsr().spec.request), 8760h, now - 1s, now);
  EXPECT_EQ(expired_ca.action, SigningPlan::Action::kRetry);
}

class CsrSigningTest : public ::testing::Test {
 protected:
  // The fake clock runs on the real time: pki stamps certificates with the system clock.
  CsrSigningTest() : clock_(std::chrono::system_clock::now()), client_(clock_) {}

  std::unique_ptr<CsrSigningController> makeController(CsrSigningOptions options) {
    auto created = CsrSigningController::create(client_, csrs_, std::move(options), clock_);
    EXPECT_TRUE(created.isOk()) << created.status().toString();
    return created.isOk() ? std::move(created).value() : nullptr;
  }
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
  // The CSR as the controller last wrote it through the status subresource.
  api::CertificateSigningRequest written(const std::string& name) {
    std::optional<api::CertificateSigningRequest> out;
    for (const auto& a : client_.writes()) {
      EXPECT_EQ(a.summary(), "update certificatesigningrequests/status");
      if (a.name == name) out = api::decode<api::CertificateSigningRequest>(a.object).value();
    }
    EXPECT_TRUE(out) << "nothing written for " << name;
    return out.value_or(api::CertificateSigningRequest{});
  }

  FakeClock clock_;
  client::FakeClient client_;
  client::ObjectCache<api::CertificateSigningRequest> csrs_;
};

TEST_F(CsrSigningTest, IssuesAKubeletClientCertificateThatVerifiesAgainstTheCa) {
  auto controller = makeController({.ca = clusterCa()});
  ASSERT_TRUE(controller);
  add(approvedCsr());
  ASSERT_TRUE(controller->sync("node-csr-1").isOk());
  auto csr = written("node-csr-1");
  EXPECT_FALSE(csr.metadata.resource_version.empty());
  ASSERT_EQ(csr.status.conditions.size(), 1u);  // Approved, nothing added
  ASSERT_FALSE(csr.status.certificate.empty());
  EXPECT_TRUE(
      pki::verifyCertificate(clusterCa().cert_pem, csr.status.certificate, clock_.now()).isOk());
  auto cert = pki::parseCertificate(csr.status.certificate).value();
  EXPECT_EQ(cert.subject.common_name, "system:node:node-1");
  EXPECT_EQ(cert.subject.organizations, std::vector<std::string>{"system:nodes"});
  EXPECT_EQ(cert.issuer.common_name, "minik8s-ca");
  EXPECT_TRUE(cert.client_auth);
  EXPECT_FALSE(cert.server_auth);
  EXPECT_FALSE(cert.is_ca);
  auto lifetime = std::chrono::duration_cast<std::chrono::seconds>(cert.not_after - clock_.now());
  EXPECT_NEAR(lifetime.count(), std::chrono::seconds(8760h).count(), 60);
}

TEST_F(CsrSigningTest, HonoursExpirationSecondsTheSigningDurationAndTheCasExpiry) {
  auto controller = makeController({.ca = clusterCa(), .duration = 2h});
  ASSERT_TRUE(controller);
  auto short_lived = approvedCsr("short");
  short_lived.spec.expiration_seconds = 3600;
  add(short_lived);
  auto long_lived = approvedCsr("long");
  long_lived.spec.expiration_seconds = 86400;
  add(long_lived);
  ASSERT_TRUE(controller->sync("short").isOk());
  ASSERT_TRUE(controller->sync("long").isOk());
  auto left = [&](const std::string& name) {
    auto cert = pki::parseCertificate(written(name).status.certificate).value();
    return std::chrono::duration_cast<std::chrono::seconds>(cert.not_after - clock_.now()).count();
  };
  EXPECT_NEAR(left("short"), 3600, 60);
  EXPECT_NEAR(left("long"), 7200, 60);

  // A CA that ends in 30 minutes never signs past its own end.
  auto young_ca = pki::createCa("short-ca", 30min).value();
  auto capped = makeController({.ca = young_ca});
  ASSERT_TRUE(capped);
  add(approvedCsr("capped"));
  ASSERT_TRUE(capped->sync("capped").isOk());
  EXPECT_NEAR(left("capped"), 1800, 60);
  EXPECT_TRUE(
      pki::verifyCertificate(young_ca.cert_pem, written("capped").status.certificate, clock_.now())
          .isOk());
}

TEST_F(CsrSigningTest, IssuesServingCertificatesWithTheirSansAndServerAuth) {
  auto controller = makeController({.ca = clusterCa()});
  ASSERT_TRUE(controller);
  add(servingCsr());
  ASSERT_TRUE(controller->sync("serving").isOk());
  auto cert = pki::parseCertificate(written("serving").status.certificate).value();
  EXPECT_TRUE(cert.server_auth);
  EXPECT_FALSE(cert.client_auth);
  EXPECT_EQ(cert.dns_names, std::vector<std::string>{"node-1"});
  EXPECT_EQ(cert.ip_addresses, std::vector<std::string>{"10.0.0.1"});
}

TEST_F(CsrSigningTest, ABadRequestOrUsagesMarkTheCsrFailed) {
  auto controller = makeController({.ca = clusterCa()});
  ASSERT_TRUE(controller);
  auto garbage = approvedCsr("garbage");
  garbage.spec.request = "not a certificate request";
  add(garbage);
  auto server_usage = approvedCsr("server-usage");
  server_usage.spec.usages = {"digital signature", "client auth", "server auth"};
  add(server_usage);
  ASSERT_TRUE(controller->sync("garbage").isOk());
  ASSERT_TRUE(controller->sync("server-usage").isOk());
  for (const char* name : {"garbage", "server-usage"}) {
    auto csr = written(name);
    EXPECT_TRUE(csr.status.certificate.empty()) << name;
    ASSERT_EQ(csr.status.conditions.size(), 2u) << name;
    EXPECT_EQ(csr.status.conditions[1].type, "Failed");
    EXPECT_EQ(csr.status.conditions[1].status, "True");
    EXPECT_EQ(csr.status.conditions[1].reason, "SignerValidationFailure");
    EXPECT_EQ(csr.status.conditions[1].last_transition_time, formatRfc3339(clock_.now()));
  }
  EXPECT_NE(written("garbage").status.conditions[1].message.find("unable to parse csr"),
            std::string::npos);
  EXPECT_EQ(written("server-usage").status.conditions[1].message,
            "usages did not match [client auth digital signature key encipherment]");
}

TEST_F(CsrSigningTest, NeverSignsADeniedUnapprovedFailedOrForeignCsr) {
  auto controller = makeController({.ca = clusterCa()});
  ASSERT_TRUE(controller);
  auto pending = approvedCsr("pending");
  pending.status.conditions.clear();
  add(pending);
  auto denied = approvedCsr("denied");
  denied.status.conditions = {condition("Denied")};
  add(denied);
  auto both = approvedCsr("both");
  both.status.conditions.push_back(condition("Denied"));
  add(both);
  auto failed = approvedCsr("failed");
  failed.status.conditions.push_back(condition("Failed"));
  add(failed);
  auto foreign = approvedCsr("foreign");
  foreign.spec.signer_name = "example.com/signer";
  foreign.spec.request = "garbage";
  add(foreign);
  for (const char* name : {"pending", "denied", "both", "failed", "foreign", "absent"}) {
    EXPECT_TRUE(controller->sync(name).isOk()) << name;
  }
  EXPECT_TRUE(client_.writes().empty());
  for (const auto* csr : {&pending, &denied, &both, &failed, &foreign}) {
    controller->onCsr(std::make_shared<const api::CertificateSigningRequest>(*csr));
  }
  EXPECT_EQ(controller->queue().len(), 0u);
  controller->onCsr(std::make_shared<const api::CertificateSigningRequest>(approvedCsr()));
  EXPECT_EQ(controller->queue().len(), 1u);
}

TEST_F(CsrSigningTest, RefusesASigningPairThatIsNotACaWithItsKey) {
  auto leaf = pki::issueCertificate(clusterCa(), {.subject = {"leaf", {}}, .client_auth = true});
  ASSERT_TRUE(leaf.isOk());
  EXPECT_EQ(CsrSigningController::create(client_, csrs_, {.ca = *leaf}).status().code(),
            Code::kInvalid);
  auto other_key = clusterCa();
  other_key.key_pem = pki::generatePrivateKey();
  EXPECT_EQ(CsrSigningController::create(client_, csrs_, {.ca = other_key}).status().code(),
            Code::kInvalid);
  EXPECT_EQ(CsrSigningController::create(client_, csrs_, {}).status().code(), Code::kInvalid);
}

}  // namespace csr_signing_test
}  // namespace minik8s::controller
