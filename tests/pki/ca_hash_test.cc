#include "pki/ca_hash.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "pki/certificates.h"

namespace minik8s::pki {
namespace ca_hash_test {

using namespace std::chrono_literals;

// The pin as kubeadm's documentation computes it, with the real openssl CLI.
std::string opensslPin(const std::string& cert_pem) {
  char tmpl[] = "/tmp/ca_hash_test.XXXXXX";
  std::string dir = ::mkdtemp(tmpl);
  std::ofstream(dir + "/ca.crt") << cert_pem;
  std::string command = "openssl x509 -pubkey -noout -in " + dir +
                        "/ca.crt | openssl pkey -pubin -outform der | sha256sum";
  std::string output;
  if (FILE* pipe = ::popen(command.c_str(), "r")) {
    char buf[256];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) output.append(buf, n);
    ::pclose(pipe);
  }
  std::filesystem::remove_all(dir);
  return "sha256:" + output.substr(0, output.find(' '));
}

TEST(CaCertHash, IsTheSha256OfTheDerPublicKeyAsOpensslComputesIt) {
  auto ca = createCa("hash-ca", 24h * 365);
  ASSERT_TRUE(ca.isOk()) << ca.status().toString();
  auto pin = caCertHash(ca->cert_pem);
  ASSERT_TRUE(pin.isOk()) << pin.status().toString();
  EXPECT_EQ(pin->size(), 7u + 64u);
  EXPECT_EQ(*pin, opensslPin(ca->cert_pem));
}

TEST(CaCertHash, DiffersBetweenCasAndRefusesGarbage) {
  auto a = createCa("a", 24h), b = createCa("b", 24h);
  ASSERT_TRUE(a.isOk() && b.isOk());
  EXPECT_NE(caCertHash(a->cert_pem).value(), caCertHash(b->cert_pem).value());
  EXPECT_EQ(caCertHash("not a certificate").status().code(), Code::kBadRequest);
}

TEST(CheckCaCertHash, AcceptsAnyMatchingPinInEitherCase) {
  auto ca = createCa("pinned", 24h);
  ASSERT_TRUE(ca.isOk());
  std::string pin = caCertHash(ca->cert_pem).value();
  std::string upper = pin;
  for (size_t i = 7; i < upper.size(); ++i) upper[i] = static_cast<char>(std::toupper(upper[i]));
  std::string other = "sha256:" + std::string(64, '0');
  EXPECT_TRUE(checkCaCertHash(ca->cert_pem, {pin}).isOk());
  EXPECT_TRUE(checkCaCertHash(ca->cert_pem, {other, upper}).isOk());
}

TEST(CheckCaCertHash, RefusesAMismatchNamingTheActualPin) {
  auto ca = createCa("pinned", 24h);
  ASSERT_TRUE(ca.isOk());
  std::string pin = caCertHash(ca->cert_pem).value();
  Status s = checkCaCertHash(ca->cert_pem, {"sha256:" + std::string(64, 'a')});
  EXPECT_EQ(s.code(), Code::kUnauthorized);
  EXPECT_NE(s.message().find(pin), std::string::npos) << s.message();
  EXPECT_EQ(checkCaCertHash(ca->cert_pem, {}).code(), Code::kUnauthorized);
}

TEST(CheckCaCertHash, RefusesAPinInAnotherFormat) {
  auto ca = createCa("pinned", 24h);
  ASSERT_TRUE(ca.isOk());
  std::string hex = caCertHash(ca->cert_pem).value().substr(7);
  EXPECT_EQ(checkCaCertHash(ca->cert_pem, {hex}).code(), Code::kInvalid);
  EXPECT_EQ(checkCaCertHash(ca->cert_pem, {"sha1:" + hex}).code(), Code::kInvalid);
  EXPECT_EQ(checkCaCertHash(ca->cert_pem, {"sha256:" + hex.substr(1)}).code(), Code::kInvalid);
}

}  // namespace ca_hash_test
}  // namespace minik8s::pki
