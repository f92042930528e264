#include "node/tls_bootstrap.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "api/defaults.h"
#include "client/fake_client.h"
#include "pki/ca_hash.h"
#include "pki/certificates.h"

namespace minik8s::node {
namespace tls_bootstrap_test {

using namespace std::chrono_literals;
using nlohmann::json;
using std::chrono::system_clock;

const pki::CertificateAndKey& testCa() {
  static const pki::CertificateAndKey ca = pki::createCa("bootstrap-test-ca", 24h * 365).value();
  return ca;
}

pki::CertificateSpec clientSpec(const std::string& cn, std::vector<std::string> orgs,
                                std::chrono::seconds validity = 24h * 365) {
  pki::CertificateSpec spec;
  spec.subject = {cn, std::move(orgs)};
  spec.client_auth = true;
  spec.validity = validity;
  return spec;
}

NodeCredentials credentialsFor(const pki::CertificateSpec& spec,
                               const pki::CertificateAndKey& ca = testCa()) {
  auto issued = pki::issueCertificate(ca, spec).value();
  return {"https://10.0.0.1:6443", testCa().cert_pem, issued.cert_pem, issued.key_pem};
}

TEST(NodeCredentialsProblem, GoodCredentialsOfThisNodeAreKept) {
  auto good = credentialsFor(clientSpec("system:node:n1", {"system:nodes"}));
  EXPECT_EQ(nodeCredentialsProblem(good, "n1", system_clock::now()), std::nullopt);
}

TEST(NodeCredentialsProblem, EachFlawIsNamed) {
  auto now = system_clock::now();
  auto good = credentialsFor(clientSpec("system:node:n1", {"system:nodes"}));
  EXPECT_NE(nodeCredentialsProblem(good, "n2", now), std::nullopt);  // another node

  auto no_group = credentialsFor(clientSpec("system:node:n1", {}));
  EXPECT_NE(nodeCredentialsProblem(no_group, "n1", now), std::nullopt);

  auto other_ca = pki::createCa("other", 24h).value();
  auto foreign = credentialsFor(clientSpec("system:node:n1", {"system:nodes"}), other_ca);
  auto problem = nodeCredentialsProblem(foreign, "n1", now);
  ASSERT_NE(problem, std::nullopt);
  EXPECT_NE(problem->find("CA"), std::string::npos) << *problem;

  NodeCredentials wrong_key = good;
  wrong_key.key_pem = pki::generatePrivateKey();
  EXPECT_NE(nodeCredentialsProblem(wrong_key, "n1", now), std::nullopt);

  NodeCredentials token_only = good;
  token_only.cert_pem.clear();
  EXPECT_NE(nodeCredentialsProblem(token_only, "n1", now), std::nullopt);

  // Expired, and with less than a fifth of its life left.
  EXPECT_NE(nodeCredentialsProblem(good, "n1", now + 24h * 400), std::nullopt);
  EXPECT_NE(nodeCredentialsProblem(good, "n1", now + 24h * 300), std::nullopt);
  EXPECT_EQ(nodeCredentialsProblem(good, "n1", now + 24h * 200), std::nullopt);
}

TEST(NodeCsrObject, IsWhatTheKubeletAsksFor) {
  json csr = nodeCsrObject("PEM", 3600);
  EXPECT_EQ(csr["apiVersion"], "certificates.k8s.io/v1");
  EXPECT_EQ(csr["kind"], "CertificateSigningRequest");
  EXPECT_EQ(csr["metadata"]["generateName"], "node-csr-");
  EXPECT_EQ(csr["spec"]["signerName"], "kubernetes.io/kube-apiserver-client-kubelet");
  EXPECT_EQ(csr["spec"]["usages"], json({"digital signature", "client auth"}));
  EXPECT_EQ(csr["spec"]["request"], api::base64Encode("PEM"));
  EXPECT_EQ(csr["spec"]["expirationSeconds"], 3600);
  EXPECT_FALSE(nodeCsrObject("PEM")["spec"].contains("expirationSeconds"));
}

TEST(CsrOutcome, PendingIssuedDeniedFailed) {
  EXPECT_EQ(csrOutcome(json::object())->state, CsrOutcome::State::kPending);
  json approved = {{"status", {{"conditions", {{{"type", "Approved"}, {"status", "True"}}}}}}};
  EXPECT_EQ(csrOutcome(approved)->state, CsrOutcome::State::kPending);
  json issued = approved;
  issued["status"]["certificate"] = api::base64Encode("CERT");
  auto outcome = csrOutcome(issued);
  ASSERT_TRUE(outcome.isOk());
  EXPECT_EQ(outcome->state, CsrOutcome::State::kIssued);
  EXPECT_EQ(outcome->certificate_pem, "CERT");
  json denied = {{"status",
                  {{"conditions",
                    {{{"type", "Denied"}, {"reason", "NotANode"}, {"message", "go away"}}}}}}};
  EXPECT_EQ(csrOutcome(denied)->state, CsrOutcome::State::kDenied);
  EXPECT_EQ(csrOutcome(denied)->message, "NotANode: go away");
  json failed = issued;  // a certificate, but Failed wins
  failed["status"]["conditions"] = {{{"type", "Failed"}, {"status", "True"}}};
  EXPECT_EQ(csrOutcome(failed)->state, CsrOutcome::State::kFailed);
  json denied_false = {{"status", {{"conditions", {{{"type", "Denied"}, {"status", "False"}}}}}}};
  EXPECT_EQ(csrOutcome(denied_false)->state, CsrOutcome::State::kPending);
  json garbage = {{"status", {{"certificate", "%%%"}}}};
  EXPECT_FALSE(csrOutcome(garbage).isOk());
}

// A watch that replays every change, so that a watcher started after the create sees it.
client::ListOptions fromTheStart() {
  client::ListOptions options;
  options.resource_version = "0";
  return options;
}

// The control plane's approver and signer, played by the test: signs (or denies) the first
// CertificateSigningRequest it sees, with `spec` for the certificate.
class FakeSigner {
 public:
  enum class Mode { kSign, kDeny, kStop };
  FakeSigner(client::FakeClient& client, Mode mode, pki::CertificateSpec spec,
             std::stop_source* requester = nullptr)
      : thread_([&client, mode, spec, requester](std::stop_token stop) {
          Status s = client.watch(
              csrResource(), "", fromTheStart(),
              [&](const client::WatchEvent& event) {
                if (event.type != "ADDED") return true;
                json csr = event.object;
                if (mode == Mode::kStop) {
                  requester->request_stop();
                  return false;
                }
                if (mode == Mode::kDeny) {
                  csr["status"]["conditions"] = {
                      {{"type", "Denied"}, {"status", "True"}, {"reason", "Test"}}};
                } else {
                  std::string request;
                  EXPECT_TRUE(api::base64Decode(csr["spec"]["request"], &request));
                  auto cert = pki::signCsr(testCa(), request, spec);
                  EXPECT_TRUE(cert.isOk()) << cert.status().toString();
                  csr["status"]["conditions"] = {{{"type", "Approved"}, {"status", "True"}}};
                  csr["status"]["certificate"] = api::base64Encode(cert.value());
                }
                EXPECT_TRUE(client.update(csrResource(), "", csr, "status").isOk());
                return false;
              },
              stop);
          EXPECT_TRUE(s.isOk());
        }) {}

 private:
  std::jthread thread_;
};

ClusterInfo cluster() {
  return {"https://10.0.0.1:6443", testCa().cert_pem};
}

TlsBootstrapOptions options(std::string node = "n1") {
  TlsBootstrapOptions o;
  o.node_name = std::move(node);
  o.timeout = 60s;
  return o;
}

TEST(RequestNodeCertificate, CreatesTheCsrAndReturnsTheSignedCertificate) {
  client::FakeClient client;
  FakeSigner signer(client, FakeSigner::Mode::kSign, clientSpec("", {}));
  auto opts = options();
  opts.expiration_seconds = 86400;
  auto credentials = requestNodeCertificate(client, cluster(), opts);
  ASSERT_TRUE(credentials.isOk()) << credentials.status().toString();
  EXPECT_EQ(credentials->server, "https://10.0.0.1:6443");
  EXPECT_EQ(credentials->ca_pem, testCa().cert_pem);
  EXPECT_EQ(nodeCredentialsProblem(*credentials, "n1", system_clock::now()), std::nullopt);

  auto csrs = client.objects(csrResource());
  ASSERT_EQ(csrs.size(), 1u);
  EXPECT_EQ(csrs[0]["metadata"]["name"].get<std::string>().rfind("node-csr-", 0), 0u);
  EXPECT_EQ(csrs[0]["spec"]["expirationSeconds"], 86400);
  std::string request;
  ASSERT_TRUE(api::base64Decode(csrs[0]["spec"]["request"], &request));
  auto info = pki::parseCsr(request);
  ASSERT_TRUE(info.isOk());
  EXPECT_EQ(info->subject, (pki::Subject{"system:node:n1", {"system:nodes"}}));
}

TEST(RequestNodeCertificate, ADeniedRequestIsAClearError) {
  client::FakeClient client;
  FakeSigner signer(client, FakeSigner::Mode::kDeny, {});
  auto credentials = requestNodeCertificate(client, cluster(), options());
  ASSERT_FALSE(credentials.isOk());
  EXPECT_EQ(credentials.status().code(), Code::kForbidden);
  EXPECT_NE(credentials.status().message().find("denied"), std::string::npos);
}

TEST(RequestNodeCertificate, RefusesACertificateThatIsNotForItsKeyOrName) {
  // A signer that ignores the request's subject: the certificate says another node.
  client::FakeClient client;
  std::jthread signer([&client](std::stop_token stop) {
    (void)client.watch(
        csrResource(), "", fromTheStart(),
        [&](const client::WatchEvent& event) {
          if (event.type != "ADDED") return true;
          json csr = event.object;
          auto other =
              pki::issueCertificate(testCa(), clientSpec("system:node:n1", {"system:nodes"}));
          csr["status"]["certificate"] = api::base64Encode(other->cert_pem);  // another key
          EXPECT_TRUE(client.update(csrResource(), "", csr, "status").isOk());
          return false;
        },
        stop);
  });
  auto credentials = requestNodeCertificate(client, cluster(), options());
  ASSERT_FALSE(credentials.isOk());
  EXPECT_EQ(credentials.status().code(), Code::kInvalid);
}

TEST(RequestNodeCertificate, GivesUpAtTheDeadlineAndWhenStopped) {
  client::FakeClient client;
  auto opts = options();
  opts.timeout = 0s;
  auto timed_out = requestNodeCertificate(client, cluster(), opts);
  EXPECT_EQ(timed_out.status().code(), Code::kDeadlineExceeded);

  std::stop_source stop;
  FakeSigner stopper(client, FakeSigner::Mode::kStop, {}, &stop);
  auto stopped = requestNodeCertificate(client, cluster(), options(), stop.get_token());
  EXPECT_EQ(stopped.status().code(), Code::kUnavailable);
}

TEST(RequestNodeCertificate, ACreateRefusedIsReturned) {
  client::FakeClient client;
  client.failNext("create", "certificatesigningrequests", Status(Code::kForbidden, "no"));
  auto credentials = requestNodeCertificate(client, cluster(), options());
  EXPECT_EQ(credentials.status().code(), Code::kForbidden);
}

TEST(NodeKubeconfig, WrittenPrivateAndReadBack) {
  char tmpl[] = "/tmp/tls_bootstrap_test.XXXXXX";
  std::string dir = ::mkdtemp(tmpl);
  std::string path = dir + "/kubeconfig";
  EXPECT_EQ(readNodeKubeconfig(path).value(), std::nullopt);
  auto credentials = credentialsFor(clientSpec("system:node:n1", {"system:nodes"}));
  ASSERT_TRUE(writeNodeKubeconfig(path, credentials).isOk());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto read = readNodeKubeconfig(path);
  ASSERT_TRUE(read.isOk()) << read.status().toString();
  ASSERT_TRUE(read->has_value());
  EXPECT_EQ((*read)->server, credentials.server);
  EXPECT_EQ((*read)->ca_pem, credentials.ca_pem);
  EXPECT_EQ((*read)->cert_pem, credentials.cert_pem);
  EXPECT_EQ((*read)->key_pem, credentials.key_pem);
  std::ofstream(path) << "clusters: [";
  EXPECT_FALSE(readNodeKubeconfig(path).isOk());
  std::filesystem::remove_all(dir);
}

TEST(JoinCluster, ReusesGoodCredentialsWithoutTheNetwork) {
  char tmpl[] = "/tmp/tls_bootstrap_test.XXXXXX";
  std::string dir = ::mkdtemp(tmpl);
  auto credentials = credentialsFor(clientSpec("system:node:n1", {"system:nodes"}));
  ASSERT_TRUE(writeNodeKubeconfig(dir + "/kubeconfig", credentials).isOk());
  JoinOptions join;
  join.discovery.server = "https://127.0.0.1:1";  // nothing listens: discovery would fail
  join.discovery.ca_pins = {pki::caCertHash(testCa().cert_pem).value()};
  join.token = "abcdef.0123456789abcdef";
  join.data_dir = dir;
  join.bootstrap = options("n1");
  auto path = joinCluster(join);
  ASSERT_TRUE(path.isOk()) << path.status().toString();
  EXPECT_EQ(*path, dir + "/kubeconfig");
  // Another node name, or another pinned CA: the credentials are not reused.
  join.bootstrap = options("n2");
  EXPECT_FALSE(joinCluster(join).isOk());
  join.bootstrap = options("n1");
  join.discovery.ca_pins = {"sha256:" + std::string(64, '0')};
  EXPECT_FALSE(joinCluster(join).isOk());
  std::filesystem::remove_all(dir);
}

TEST(ReadBootstrapTokenFile, ReadsAPrivateFileAndRefusesAnythingElse) {
  char tmpl[] = "/tmp/tls_bootstrap_test.XXXXXX";
  std::string dir = ::mkdtemp(tmpl);
  const std::string path = dir + "/token";
  std::ofstream(path) << "  abcdef.0123456789abcdef\n";
  ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
  EXPECT_EQ(readBootstrapTokenFile(path).value(), "abcdef.0123456789abcdef");
  ASSERT_EQ(::chmod(path.c_str(), 0640), 0);
  auto loose = readBootstrapTokenFile(path);
  EXPECT_EQ(loose.status().code(), Code::kInvalid);
  EXPECT_NE(loose.status().message().find("chmod 600"), std::string::npos);
  std::ofstream(path) << "not-a-token";
  ASSERT_EQ(::chmod(path.c_str(), 0400), 0);
  EXPECT_EQ(readBootstrapTokenFile(path).status().code(), Code::kInvalid);
  EXPECT_EQ(readBootstrapTokenFile(dir + "/absent").status().code(), Code::kNotFound);
  std::filesystem::remove_all(dir);
}

}  // namespace tls_bootstrap_test
}  // namespace minik8s::node
