#include "pki/cluster_pki.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "pki/pki.h"  // the umbrella header stands on its own
#include "testing/file_text.h"

namespace minik8s::pki {
namespace cluster_pki_test {

using namespace std::chrono_literals;
using std::chrono::system_clock;

// A fresh directory under /tmp (the PKI goes into its "pki" child), removed afterwards.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/cluster_pki_test.XXXXXX";
    root_ = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(root_); }
  std::string pki() const { return root_ + "/pki"; }

 private:
  std::string root_;
};

unsigned modeOf(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 0777;
}

void writeFile(const std::string& path, const std::string& content) {
  std::ofstream(path) << content;
}

bool contains(const std::vector<std::string>& values, const std::string& v) {
  return std::find(values.begin(), values.end(), v) != values.end();
}

int runQuiet(const std::string& command) {
  int status = std::system((command + " >/dev/null 2>&1").c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(ApiserverCertificateSpec, DefaultsThenOptionsWithoutDuplicates) {
  ClusterPkiOptions options{{"node-a", "localhost"}, {"10.96.0.1", "127.0.0.1", "::0001"}};
  CertificateSpec spec = apiserverCertificateSpec(options);
  EXPECT_EQ(spec.subject.common_name, "kube-apiserver");
  EXPECT_EQ(spec.dns_names, (std::vector<std::string>{
                                "kubernetes", "kubernetes.default", "kubernetes.default.svc",
                                "kubernetes.default.svc.cluster.local", "localhost", "node-a"}));
  EXPECT_EQ(spec.ip_addresses, (std::vector<std::string>{"127.0.0.1", "10.96.0.1", "::1"}));
  EXPECT_TRUE(spec.server_auth);
  EXPECT_FALSE(spec.client_auth);
}

TEST(AdminCertificateSpec, IsASystemMastersClient) {
  CertificateSpec spec = adminCertificateSpec();
  EXPECT_EQ(spec.subject, (Subject{"minik8s-admin", {"system:masters"}}));
  EXPECT_TRUE(spec.client_auth);
  EXPECT_FALSE(spec.server_auth);
}

TEST(CertificateRenewalReason, KeepsAGoodCertificateAndNamesEveryReasonToReissue) {
  auto ca = createCa("ca", kCaValidity);
  auto other_ca = createCa("other", kCaValidity);
  ASSERT_TRUE(ca.isOk() && other_ca.isOk());
  CertificateSpec wanted = apiserverCertificateSpec({{"node-a"}, {"10.0.0.5"}});
  auto cert = issueCertificate(*ca, wanted);
  ASSERT_TRUE(cert.isOk());
  auto now = system_clock::now();

  EXPECT_EQ(certificateRenewalReason(*ca, *cert, wanted, now), std::nullopt);
  // Fewer wanted SANs than the certificate has: it stays.
  EXPECT_EQ(certificateRenewalReason(*ca, *cert, apiserverCertificateSpec({}), now), std::nullopt);

  auto reason = [&](const std::optional<CertificateAndKey>& existing, const CertificateSpec& spec,
                    system_clock::time_point at, const CertificateAndKey& signer) {
    return certificateRenewalReason(signer, existing, spec, at).value_or("<kept>");
  };
  EXPECT_EQ(reason(std::nullopt, wanted, now, *ca), "missing");
  EXPECT_EQ(reason(*cert, wanted, now + kLeafValidity - 29 * 24h, *ca), "expires within 30 days");
  EXPECT_EQ(reason(*cert, wanted, now + kLeafValidity - 31 * 24h, *ca), "<kept>");
  EXPECT_EQ(reason(*cert, wanted, now, *other_ca).rfind("does not verify against the CA", 0), 0u);
  EXPECT_EQ(reason(CertificateAndKey{cert->cert_pem, generatePrivateKey()}, wanted, now, *ca)
                .rfind("key and certificate do not match", 0),
            0u);
  EXPECT_EQ(reason(*cert, apiserverCertificateSpec({{"node-b"}, {}}), now, *ca),
            "lacks subjectAltName DNS:node-b");
  EXPECT_EQ(reason(*cert, apiserverCertificateSpec({{}, {"10.0.0.6"}}), now, *ca),
            "lacks subjectAltName IP:10.0.0.6");
  CertificateSpec client = wanted;
  client.client_auth = true;
  EXPECT_EQ(reason(*cert, client, now, *ca), "lacks clientAuth");
  CertificateSpec renamed = wanted;
  renamed.subject.common_name = "someone-else";
  EXPECT_EQ(reason(*cert, renamed, now, *ca), "subject differs");
}

TEST(EnsureClusterPki, CreatesTheCaAndCertificatesWithTightModes) {
  TempDir tmp;
  auto pki = ensureClusterPki(tmp.pki(), {{"node-a"}, {"10.96.0.1", "192.168.0.10"}});
  ASSERT_TRUE(pki.isOk()) << pki.status().toString();
  EXPECT_EQ(modeOf(tmp.pki()), 0700u);
  for (const auto& key : {pki->caKeyPath(), pki->apiserverKeyPath(), pki->adminKeyPath()}) {
    EXPECT_EQ(modeOf(key), 0600u) << key;
  }
  for (const auto& cert : {pki->caPath(), pki->apiserverCertPath(), pki->adminCertPath()}) {
    EXPECT_EQ(modeOf(cert), 0644u) << cert;
  }
  EXPECT_EQ(pki->caPath(), tmp.pki() + "/ca.crt");
  EXPECT_EQ(testing::fileText(pki->caPath()), pki->ca.cert_pem);
  EXPECT_EQ(testing::fileText(pki->apiserverKeyPath()), pki->apiserver.key_pem);

  auto ca = parseCertificate(pki->ca.cert_pem);
  ASSERT_TRUE(ca.isOk());
  EXPECT_TRUE(ca->is_ca);
  EXPECT_EQ(ca->subject.common_name, "minik8s-ca");

  auto now = system_clock::now();
  auto apiserver = parseCertificate(pki->apiserver.cert_pem);
  ASSERT_TRUE(apiserver.isOk());
  EXPECT_TRUE(verifyCertificate(pki->ca.cert_pem, pki->apiserver.cert_pem, now).isOk());
  EXPECT_TRUE(apiserver->server_auth);
  for (const char* dns : {"kubernetes", "kubernetes.default", "kubernetes.default.svc",
                          "kubernetes.default.svc.cluster.local", "localhost", "node-a"}) {
    EXPECT_TRUE(contains(apiserver->dns_names, dns)) << dns;
  }
  for (const char* ip : {"127.0.0.1", "10.96.0.1", "192.168.0.10"}) {
    EXPECT_TRUE(contains(apiserver->ip_addresses, ip)) << ip;
  }

  auto admin = parseCertificate(pki->admin.cert_pem);
  ASSERT_TRUE(admin.isOk());
  EXPECT_TRUE(verifyCertificate(pki->ca.cert_pem, pki->admin.cert_pem, now).isOk());
  EXPECT_EQ(admin->subject, (Subject{"minik8s-admin", {"system:masters"}}));
  EXPECT_TRUE(admin->client_auth);
  EXPECT_FALSE(admin->server_auth);

  // The real openssl agrees on purpose and chain.
  EXPECT_EQ(runQuiet("openssl verify -CAfile " + pki->caPath() + " -purpose sslserver " +
                     pki->apiserverCertPath()),
            0);
  EXPECT_EQ(runQuiet("openssl verify -CAfile " + pki->caPath() + " -purpose sslclient " +
                     pki->adminCertPath()),
            0);
}

TEST(EnsureClusterPki, SecondRunKeepsTheSameCaAndCertificates) {
  TempDir tmp;
  ClusterPkiOptions options{{"node-a"}, {"10.96.0.1"}};
  auto first = ensureClusterPki(tmp.pki(), options);
  ASSERT_TRUE(first.isOk()) << first.status().toString();
  // Loosened by hand: the next run tightens it again.
  ASSERT_EQ(::chmod(first->apiserverKeyPath().c_str(), 0644), 0);

  auto second = ensureClusterPki(tmp.pki(), options);
  ASSERT_TRUE(second.isOk()) << second.status().toString();
  EXPECT_EQ(second->ca.cert_pem, first->ca.cert_pem);
  EXPECT_EQ(second->ca.key_pem, first->ca.key_pem);
  EXPECT_EQ(second->apiserver.cert_pem, first->apiserver.cert_pem);
  EXPECT_EQ(second->admin.cert_pem, first->admin.cert_pem);
  for (const auto& key :
       {second->caKeyPath(), second->apiserverKeyPath(), second->adminKeyPath()}) {
    EXPECT_EQ(modeOf(key), 0600u) << key;
  }
  EXPECT_EQ(modeOf(tmp.pki()), 0700u);
}

TEST(EnsureClusterPki, ANewSanReissuesOnlyTheApiserverCertificate) {
  TempDir tmp;
  auto first = ensureClusterPki(tmp.pki(), {{"node-a"}, {}});
  ASSERT_TRUE(first.isOk());
  auto second = ensureClusterPki(tmp.pki(), {{"node-a", "api.example.com"}, {"10.0.0.9"}});
  ASSERT_TRUE(second.isOk()) << second.status().toString();
  EXPECT_EQ(second->ca.cert_pem, first->ca.cert_pem);
  EXPECT_EQ(second->admin.cert_pem, first->admin.cert_pem);
  EXPECT_NE(second->apiserver.cert_pem, first->apiserver.cert_pem);
  EXPECT_EQ(testing::fileText(second->apiserverCertPath()), second->apiserver.cert_pem);
  EXPECT_TRUE(keyMatchesCertificate(testing::fileText(second->apiserverKeyPath()),
                                    testing::fileText(second->apiserverCertPath()))
                  .isOk());
  auto info = parseCertificate(second->apiserver.cert_pem);
  ASSERT_TRUE(info.isOk());
  EXPECT_TRUE(contains(info->dns_names, "api.example.com"));
  EXPECT_TRUE(contains(info->ip_addresses, "10.0.0.9"));
  EXPECT_TRUE(contains(info->dns_names, "node-a"));
  EXPECT_EQ(modeOf(second->apiserverKeyPath()), 0600u);

  // Dropping a SAN again is no reason to reissue.
  auto third = ensureClusterPki(tmp.pki(), {{"node-a"}, {}});
  ASSERT_TRUE(third.isOk());
  EXPECT_EQ(third->apiserver.cert_pem, second->apiserver.cert_pem);
}

TEST(EnsureClusterPki, AKeyThatDoesNotMatchIsReissued) {
  TempDir tmp;
  auto first = ensureClusterPki(tmp.pki(), {});
  ASSERT_TRUE(first.isOk());
  writeFile(first->adminKeyPath(), generatePrivateKey());
  auto second = ensureClusterPki(tmp.pki(), {});
  ASSERT_TRUE(second.isOk()) << second.status().toString();
  EXPECT_NE(second->admin.cert_pem, first->admin.cert_pem);
  EXPECT_TRUE(keyMatchesCertificate(second->admin.key_pem, second->admin.cert_pem).isOk());
  EXPECT_EQ(second->ca.cert_pem, first->ca.cert_pem);
}

TEST(EnsureClusterPki, NeverReplacesACaWhoseKeyIsMissingOrWrong) {
  TempDir tmp;
  auto first = ensureClusterPki(tmp.pki(), {});
  ASSERT_TRUE(first.isOk());

  writeFile(first->caKeyPath(), generatePrivateKey());
  auto wrong_key = ensureClusterPki(tmp.pki(), {});
  EXPECT_EQ(wrong_key.status().code(), Code::kInvalid) << wrong_key.status().toString();

  std::filesystem::remove(first->caKeyPath());
  auto no_key = ensureClusterPki(tmp.pki(), {});
  EXPECT_EQ(no_key.status().code(), Code::kInvalid) << no_key.status().toString();
  EXPECT_EQ(testing::fileText(first->caPath()), first->ca.cert_pem);  // untouched
}

TEST(EnsureClusterPki, ANewCaReissuesTheCertificatesItSigns) {
  TempDir tmp;
  auto first = ensureClusterPki(tmp.pki(), {});
  ASSERT_TRUE(first.isOk());
  std::filesystem::remove(first->caPath());
  std::filesystem::remove(first->caKeyPath());
  auto second = ensureClusterPki(tmp.pki(), {});
  ASSERT_TRUE(second.isOk()) << second.status().toString();
  EXPECT_NE(second->ca.cert_pem, first->ca.cert_pem);
  auto now = system_clock::now();
  EXPECT_TRUE(verifyCertificate(second->ca.cert_pem, second->apiserver.cert_pem, now).isOk());
  EXPECT_TRUE(verifyCertificate(second->ca.cert_pem, second->admin.cert_pem, now).isOk());
}

}  // namespace cluster_pki_test
}  // namespace minik8s::pki
