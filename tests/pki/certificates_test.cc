#include "pki/certificates.h"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <stdlib.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace minik8s::pki {
namespace certificates_test {

using namespace std::chrono_literals;
using std::chrono::system_clock;

// A fresh directory under /tmp, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/pki_test.XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string write(const std::string& name, const std::string& content) const {
    std::string p = path_ + "/" + name;
    std::ofstream(p) << content;
    return p;
  }

 private:
  std::string path_;
};

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

// Runs a shell command (the real openssl CLI) and collects its output.
CommandResult run(const std::string& command) {
  CommandResult r;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) r.output.append(buf, n);
  int status = ::pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

const CertificateAndKey& testCa() {
  static const CertificateAndKey ca = createCa("test-ca", 24h * 3650).value();
  return ca;
}

CertificateSpec serverSpec() {
  CertificateSpec spec;
  spec.subject = {"kube-apiserver", {"minik8s"}};
  spec.dns_names = {"kubernetes", "kubernetes.default.svc", "localhost"};
  spec.ip_addresses = {"10.96.0.1", "127.0.0.1", "::1"};
  spec.server_auth = true;
  return spec;
}

// Decodes `pem`, lets `edit` change its DER bytes and encodes it again under the same label.
template <typename Edit>
std::string editDer(const std::string& pem, Edit edit) {
  BIO* in = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  char* name = nullptr;
  char* header = nullptr;
  unsigned char* data = nullptr;
  long length = 0;
  EXPECT_EQ(PEM_read_bio(in, &name, &header, &data, &length), 1);
  BIO_free(in);
  std::string der(reinterpret_cast<char*>(data), static_cast<size_t>(length));
  OPENSSL_free(data);
  edit(der);
  BIO* out = BIO_new(BIO_s_mem());
  PEM_write_bio(out, name, header, reinterpret_cast<const unsigned char*>(der.data()),
                static_cast<long>(der.size()));
  BUF_MEM* mem = nullptr;
  BIO_get_mem_ptr(out, &mem);
  std::string result(mem->data, mem->length);
  BIO_free(out);
  OPENSSL_free(name);
  OPENSSL_free(header);
  return result;
}

// Replaces `from` by `to` (same length) in the DER of `pem`.
std::string tamperDer(const std::string& pem, const std::string& from, const std::string& to) {
  return editDer(pem, [&](std::string& der) {
    EXPECT_EQ(from.size(), to.size());
    size_t at = der.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    der.replace(at, from.size(), to);
  });
}

// Flips a bit of the DER's last byte, which lies in the signature's s value.
std::string flipLastSignatureByte(const std::string& pem) {
  return editDer(pem, [](std::string& der) { der.back() ^= 0x01; });
}

bool near(system_clock::time_point a, system_clock::time_point b) {
  return a - b < 10s && b - a < 10s;
}

TEST(GeneratePrivateKey, IsPkcs8EcdsaP256AndFreshEachTime) {
  std::string key = generatePrivateKey();
  EXPECT_EQ(key.rfind("-----BEGIN PRIVATE KEY-----\n", 0), 0u) << key;
  EXPECT_NE(key, generatePrivateKey());
  TempDir dir;
  auto r = run("openssl pkey -noout -text -in " + dir.write("k.pem", key));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("prime256v1"), std::string::npos) << r.output;
}

TEST(CreateCa, IsASelfSignedCaThatOpensslAccepts) {
  auto before = system_clock::now();
  auto ca = createCa("minik8s-ca", 24h * 3650);
  ASSERT_TRUE(ca.isOk()) << ca.status().toString();
  auto info = parseCertificate(ca->cert_pem);
  ASSERT_TRUE(info.isOk()) << info.status().toString();
  EXPECT_TRUE(info->is_ca);
  EXPECT_EQ(info->subject.common_name, "minik8s-ca");
  EXPECT_EQ(info->issuer, info->subject);
  EXPECT_TRUE(near(info->not_before, before - 5min));
  EXPECT_TRUE(near(info->not_after, before + 24h * 3650));
  EXPECT_TRUE(keyMatchesCertificate(ca->key_pem, ca->cert_pem).isOk());

  TempDir dir;
  std::string ca_path = dir.write("ca.crt", ca->cert_pem);
  auto text = run("openssl x509 -noout -text -in " + ca_path);
  ASSERT_EQ(text.exit_code, 0) << text.output;
  EXPECT_NE(text.output.find("CA:TRUE"), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("Certificate Sign, CRL Sign"), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("ecdsa-with-SHA256"), std::string::npos) << text.output;
  auto verify = run("openssl verify -CAfile " + ca_path + " " + ca_path);
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
}

TEST(CreateCa, RefusesAnEmptyNameOrANonPositiveValidity) {
  EXPECT_EQ(createCa("", 24h).status().code(), Code::kInvalid);
  EXPECT_EQ(createCa("ca", 0s).status().code(), Code::kInvalid);
  EXPECT_EQ(createCa("ca", -1h).status().code(), Code::kInvalid);
}

TEST(IssueCertificate, ServerCertificatePassesTheRealOpensslVerify) {
  auto cert = issueCertificate(testCa(), serverSpec());
  ASSERT_TRUE(cert.isOk()) << cert.status().toString();
  TempDir dir;
  std::string ca_path = dir.write("ca.crt", testCa().cert_pem);
  std::string cert_path = dir.write("server.crt", cert->cert_pem);

  auto verify = run("openssl verify -CAfile " + ca_path + " -purpose sslserver " + cert_path);
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
  EXPECT_NE(verify.output.find(": OK"), std::string::npos) << verify.output;
  // serverAuth only: the same certificate is no client certificate.
  auto as_client = run("openssl verify -CAfile " + ca_path + " -purpose sslclient " + cert_path);
  EXPECT_NE(as_client.exit_code, 0) << as_client.output;

  auto text = run("openssl x509 -noout -text -in " + cert_path);
  ASSERT_EQ(text.exit_code, 0) << text.output;
  for (const char* want :
       {"Subject: O = minik8s, CN = kube-apiserver", "Issuer: CN = test-ca", "CA:FALSE",
        "Digital Signature", "TLS Web Server Authentication", "DNS:kubernetes",
        "DNS:kubernetes.default.svc", "DNS:localhost", "IP Address:10.96.0.1",
        "IP Address:127.0.0.1", "IP Address:0:0:0:0:0:0:0:1", "X509v3 Subject Key Identifier",
        "X509v3 Authority Key Identifier", "ecdsa-with-SHA256"}) {
    EXPECT_NE(text.output.find(want), std::string::npos) << want << "\n" << text.output;
  }
  EXPECT_EQ(text.output.find("TLS Web Client Authentication"), std::string::npos);
  EXPECT_EQ(text.output.find("CA:TRUE"), std::string::npos);
}

TEST(IssueCertificate, ParsesBackWhatWasIssued) {
  auto before = system_clock::now();
  CertificateSpec spec = serverSpec();
  spec.client_auth = true;
  spec.validity = 48h;
  auto cert = issueCertificate(testCa(), spec);
  ASSERT_TRUE(cert.isOk()) << cert.status().toString();
  auto info = parseCertificate(cert->cert_pem);
  ASSERT_TRUE(info.isOk()) << info.status().toString();
  EXPECT_EQ(info->subject, spec.subject);
  EXPECT_EQ(info->issuer, (Subject{"test-ca", {}}));
  EXPECT_EQ(info->dns_names, spec.dns_names);
  EXPECT_EQ(info->ip_addresses, spec.ip_addresses);
  EXPECT_FALSE(info->is_ca);
  EXPECT_TRUE(info->server_auth);
  EXPECT_TRUE(info->client_auth);
  EXPECT_TRUE(near(info->not_before, before - 5min)) << "clock skew allowance";
  EXPECT_TRUE(near(info->not_after, before + 48h));
  EXPECT_GE(info->serial_hex.size(), 24u);  // 128 random bits
  EXPECT_LE(info->serial_hex.size(), 32u);

  auto again = issueCertificate(testCa(), spec);
  ASSERT_TRUE(again.isOk());
  EXPECT_NE(parseCertificate(again->cert_pem)->serial_hex, info->serial_hex);
  EXPECT_NE(again->key_pem, cert->key_pem);
  EXPECT_TRUE(keyMatchesCertificate(cert->key_pem, cert->cert_pem).isOk());
}

TEST(IssueCertificate, RefusesASignerThatIsNoCaOrWhoseKeyDiffers) {
  auto leaf = issueCertificate(testCa(), serverSpec());
  ASSERT_TRUE(leaf.isOk());
  auto by_leaf = issueCertificate(*leaf, serverSpec());
  EXPECT_EQ(by_leaf.status().code(), Code::kBadRequest) << by_leaf.status().toString();

  CertificateAndKey wrong_key{testCa().cert_pem, generatePrivateKey()};
  auto by_wrong_key = issueCertificate(wrong_key, serverSpec());
  EXPECT_EQ(by_wrong_key.status().code(), Code::kBadRequest);
  EXPECT_NE(by_wrong_key.status().message().find("does not match"), std::string::npos);

  CertificateAndKey garbage{"not a certificate", "not a key"};
  EXPECT_EQ(issueCertificate(garbage, serverSpec()).status().code(), Code::kBadRequest);
}

TEST(IssueCertificate, RefusesBadAltNamesAndNonPositiveValidity) {
  CertificateSpec spec = serverSpec();
  spec.ip_addresses = {"10.0.0.256"};
  auto bad_ip = issueCertificate(testCa(), spec);
  EXPECT_EQ(bad_ip.status().code(), Code::kInvalid);
  EXPECT_NE(bad_ip.status().message().find("10.0.0.256"), std::string::npos);

  spec = serverSpec();
  spec.dns_names = {"has space"};
  EXPECT_EQ(issueCertificate(testCa(), spec).status().code(), Code::kInvalid);

  spec = serverSpec();
  spec.validity = -24h;
  EXPECT_EQ(issueCertificate(testCa(), spec).status().code(), Code::kInvalid);
}

TEST(KeyMatchesCertificate, OwnKeyOnly) {
  auto cert = issueCertificate(testCa(), serverSpec());
  ASSERT_TRUE(cert.isOk());
  EXPECT_TRUE(keyMatchesCertificate(cert->key_pem, cert->cert_pem).isOk());
  EXPECT_EQ(keyMatchesCertificate(generatePrivateKey(), cert->cert_pem).code(), Code::kInvalid);
  EXPECT_EQ(keyMatchesCertificate("garbage", cert->cert_pem).code(), Code::kBadRequest);
  EXPECT_EQ(keyMatchesCertificate(cert->key_pem, "garbage").code(), Code::kBadRequest);
}

TEST(Csr, RoundTripsSubjectAndAltNames) {
  std::string key = generatePrivateKey();
  Subject subject{"system:node:alpha", {"system:nodes", "extra"}};
  auto csr = createCsr(key, subject, {"alpha.local"}, {"192.168.1.7", "fd00::7"});
  ASSERT_TRUE(csr.isOk()) << csr.status().toString();
  EXPECT_EQ(csr->rfind("-----BEGIN CERTIFICATE REQUEST-----\n", 0), 0u);
  auto info = parseCsr(*csr);
  ASSERT_TRUE(info.isOk()) << info.status().toString();
  EXPECT_EQ(info->subject, subject);
  EXPECT_EQ(info->dns_names, std::vector<std::string>{"alpha.local"});
  EXPECT_EQ(info->ip_addresses, (std::vector<std::string>{"192.168.1.7", "fd00::7"}));

  TempDir dir;
  auto verify = run("openssl req -noout -verify -in " + dir.write("r.csr", *csr));
  EXPECT_EQ(verify.exit_code, 0) << verify.output;

  auto plain = createCsr(key, {"system:bootstrap:abcdef", {}});
  ASSERT_TRUE(plain.isOk());
  auto plain_info = parseCsr(*plain);
  ASSERT_TRUE(plain_info.isOk());
  EXPECT_EQ(plain_info->subject.common_name, "system:bootstrap:abcdef");
  EXPECT_TRUE(plain_info->subject.organizations.empty());
  EXPECT_TRUE(plain_info->dns_names.empty());
  EXPECT_TRUE(plain_info->ip_addresses.empty());
}

TEST(Csr, CreateRefusesAGarbageKey) {
  EXPECT_EQ(createCsr("garbage", {"x", {}}).status().code(), Code::kBadRequest);
}

TEST(ParseCsr, GarbageIsBadRequestWithAMessage) {
  auto cert = issueCertificate(testCa(), serverSpec());
  ASSERT_TRUE(cert.isOk());
  for (const std::string& garbage :
       {std::string(), std::string("hello"),
        std::string(
            "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n"),
        cert->cert_pem}) {
    auto r = parseCsr(garbage);
    ASSERT_FALSE(r.isOk()) << garbage;
    EXPECT_EQ(r.status().code(), Code::kBadRequest);
    EXPECT_NE(r.status().message().find("certificate request"), std::string::npos)
        << r.status().message();
  }
}

TEST(ParseCsr, RefusesATamperedSubjectOrSignature) {
  auto csr = createCsr(generatePrivateKey(), {"system:node:alpha", {"system:nodes"}});
  ASSERT_TRUE(csr.isOk());
  ASSERT_TRUE(parseCsr(*csr).isOk());

  std::string other_subject = tamperDer(*csr, "system:node:alpha", "system:node:omega");
  auto tampered = parseCsr(other_subject);
  ASSERT_FALSE(tampered.isOk());
  EXPECT_EQ(tampered.status().code(), Code::kBadRequest);
  EXPECT_NE(tampered.status().message().find("signature does not verify"), std::string::npos)
      << tampered.status().message();

  auto flipped = parseCsr(flipLastSignatureByte(*csr));
  EXPECT_EQ(flipped.status().code(), Code::kBadRequest) << flipped.status().toString();
}

TEST(SignCsr, TakesSubjectAndAltNamesFromTheCsrAndUsagesFromTheSpec) {
  std::string key = generatePrivateKey();
  auto csr = createCsr(key, {"system:node:alpha", {"system:nodes"}}, {"alpha"}, {"10.0.0.7"});
  ASSERT_TRUE(csr.isOk());
  CertificateSpec spec;
  spec.subject = {"ignored", {"system:masters"}};
  spec.dns_names = {"ignored.example"};
  spec.client_auth = true;
  spec.validity = 1h;
  auto before = system_clock::now();
  auto cert = signCsr(testCa(), *csr, spec);
  ASSERT_TRUE(cert.isOk()) << cert.status().toString();

  auto info = parseCertificate(*cert);
  ASSERT_TRUE(info.isOk());
  EXPECT_EQ(info->subject, (Subject{"system:node:alpha", {"system:nodes"}}));
  EXPECT_EQ(info->dns_names, std::vector<std::string>{"alpha"});
  EXPECT_EQ(info->ip_addresses, std::vector<std::string>{"10.0.0.7"});
  EXPECT_TRUE(info->client_auth);
  EXPECT_FALSE(info->server_auth);
  EXPECT_FALSE(info->is_ca);
  EXPECT_TRUE(near(info->not_after, before + 1h));
  EXPECT_TRUE(keyMatchesCertificate(key, *cert).isOk());
  EXPECT_TRUE(verifyCertificate(testCa().cert_pem, *cert, system_clock::now()).isOk());

  TempDir dir;
  auto verify = run("openssl verify -CAfile " + dir.write("ca.crt", testCa().cert_pem) +
                    " -purpose sslclient " + dir.write("node.crt", *cert));
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
}

TEST(SignCsr, RefusesATamperedCsr) {
  auto csr = createCsr(generatePrivateKey(), {"system:node:alpha", {"system:nodes"}});
  ASSERT_TRUE(csr.isOk());
  CertificateSpec spec;
  spec.client_auth = true;
  auto r = signCsr(testCa(), tamperDer(*csr, "system:node:alpha", "system:node:omega"), spec);
  EXPECT_EQ(r.status().code(), Code::kBadRequest);
  EXPECT_EQ(signCsr(testCa(), "garbage", spec).status().code(), Code::kBadRequest);
}

TEST(VerifyCertificate, AcceptsItsOwnCaAndRefusesAnother) {
  auto cert = issueCertificate(testCa(), serverSpec());
  ASSERT_TRUE(cert.isOk());
  auto now = system_clock::now();
  Status ok = verifyCertificate(testCa().cert_pem, cert->cert_pem, now);
  EXPECT_TRUE(ok.isOk()) << ok.toString();

  auto other = createCa("other-ca", 24h * 365);
  ASSERT_TRUE(other.isOk());
  Status foreign = verifyCertificate(other->cert_pem, cert->cert_pem, now);
  EXPECT_EQ(foreign.code(), Code::kUnauthorized);
  EXPECT_NE(foreign.message().find("unable to get local issuer certificate"), std::string::npos)
      << foreign.message();

  // A bundle holding both roots accepts it.
  EXPECT_TRUE(verifyCertificate(other->cert_pem + testCa().cert_pem, cert->cert_pem, now).isOk());
}

TEST(VerifyCertificate, RefusesExpiredAndNotYetValidCertificates) {
  CertificateSpec spec = serverSpec();
  spec.validity = 24h;
  auto cert = issueCertificate(testCa(), spec);
  ASSERT_TRUE(cert.isOk());
  auto now = system_clock::now();
  Status expired = verifyCertificate(testCa().cert_pem, cert->cert_pem, now + 48h);
  EXPECT_EQ(expired.code(), Code::kUnauthorized);
  EXPECT_NE(expired.message().find("certificate has expired"), std::string::npos)
      << expired.message();
  Status early = verifyCertificate(testCa().cert_pem, cert->cert_pem, now - 24h);
  EXPECT_EQ(early.code(), Code::kUnauthorized);
  EXPECT_NE(early.message().find("not yet valid"), std::string::npos) << early.message();
  // Within the five minutes of clock skew it is valid already.
  EXPECT_TRUE(verifyCertificate(testCa().cert_pem, cert->cert_pem, now - 4min).isOk());
}

TEST(VerifyCertificate, GarbageCertificateIsUnauthorizedAndGarbageCaBadRequest) {
  auto cert = issueCertificate(testCa(), serverSpec());
  ASSERT_TRUE(cert.isOk());
  auto now = system_clock::now();
  EXPECT_EQ(verifyCertificate(testCa().cert_pem, "garbage", now).code(), Code::kUnauthorized);
  EXPECT_EQ(verifyCertificate("garbage", cert->cert_pem, now).code(), Code::kBadRequest);
  std::string forged = flipLastSignatureByte(cert->cert_pem);
  EXPECT_EQ(verifyCertificate(testCa().cert_pem, forged, now).code(), Code::kUnauthorized);
}

TEST(ParseCertificate, GarbageIsBadRequest) {
  EXPECT_EQ(parseCertificate("").status().code(), Code::kBadRequest);
  EXPECT_EQ(parseCertificate("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
                .status()
                .code(),
            Code::kBadRequest);
}

}  // namespace certificates_test
}  // namespace minik8s::pki
