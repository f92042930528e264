// Client certificate rotation: the jittered deadline, and the rotator's loop on a fake clock
// with an injected renewal (the CSR round trip itself is requestNodeCertificate's, tested in
// tls_bootstrap_test and e2e/csr_test.sh).
#include "node/cert_rotation.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>

#include "pki/certificates.h"

namespace minik8s::node {
namespace cert_rotation_test {

using namespace std::chrono_literals;
using std::chrono::system_clock;

const pki::CertificateAndKey& testCa() {
  static const pki::CertificateAndKey ca = pki::createCa("rotation-test-ca", 24h * 365).value();
  return ca;
}

NodeCredentials issue(std::chrono::seconds validity) {
  pki::CertificateSpec spec;
  spec.subject = {"system:node:n1", {"system:nodes"}};
  spec.client_auth = true;
  spec.validity = validity;
  auto issued = pki::issueCertificate(testCa(), spec).value();
  return {"https://10.0.0.1:6443", testCa().cert_pem, issued.cert_pem, issued.key_pem};
}

TEST(RotationDeadline, IsSeventyToNinetyPercentOfTheLifetime) {
  const system_clock::time_point start{std::chrono::seconds(1000)};
  const auto end = start + 100s;
  EXPECT_EQ(rotationDeadline(start, end, 0.0), start + 70s);
  EXPECT_EQ(rotationDeadline(start, end, 0.5), start + 80s);
  EXPECT_EQ(rotationDeadline(start, end, 1.0), start + 90s);
  EXPECT_EQ(rotationDeadline(start, end, 7.0), start + 90s);  // clamped
}

class CertificateRotatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/cert_rotation_test.XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    path_ = dir_ + "/kubeconfig";
    ASSERT_TRUE(writeNodeKubeconfig(path_, issue(1h)).isOk());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string dir_, path_;
  FakeClock clock_{system_clock::now()};
};

TEST_F(CertificateRotatorTest, RenewsPastTheDeadlineWritesTheKubeconfigAndCallsBack) {
  std::atomic<int> renewals{0}, callbacks{0};
  NodeCredentials next = issue(2h);
  CertificateRotatorOptions options;
  options.kubeconfig = path_;
  options.renew = [&](const NodeCredentials& current, std::stop_token) -> Result<NodeCredentials> {
    EXPECT_EQ(current.cert_pem, readNodeKubeconfig(path_).value()->cert_pem);  // asks with the current one
    if (renewals++ == 0) return unavailable("apiserver down");  // retried after a back-off
    return next;
  };
  options.on_rotated = [&](const NodeCredentials& rotated) {
    EXPECT_EQ(rotated.cert_pem, next.cert_pem);
    ++callbacks;
  };
  CertificateRotator rotator(options, clock_);
  ASSERT_TRUE(rotator.start().isOk());
  ASSERT_TRUE(clock_.waitForSleepers(1));
  EXPECT_EQ(renewals.load(), 0);
  // Not before 70% of 65 minutes (the certificate starts 5 minutes in the past).
  int calls = clock_.sleepCalls();
  clock_.advance(39min);
  EXPECT_EQ(renewals.load(), 0);
  clock_.advance(21min);  // past 90%
  ASSERT_TRUE(clock_.waitForSleepCalls(calls + 1));
  EXPECT_EQ(renewals.load(), 1);  // failed; sleeping 5 s
  calls = clock_.sleepCalls();
  clock_.advance(5s);
  ASSERT_TRUE(clock_.waitForSleepCalls(calls + 1));  // rotated; asleep until the next deadline
  EXPECT_EQ(renewals.load(), 2);
  EXPECT_EQ(callbacks.load(), 1);
  EXPECT_EQ(rotator.rotations(), 1);
  EXPECT_EQ(rotator.current().cert_pem, next.cert_pem);
  EXPECT_EQ(readNodeKubeconfig(path_).value()->cert_pem, next.cert_pem);
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  rotator.stop();
}

TEST_F(CertificateRotatorTest, RefusesAKubeconfigWithoutACertificate) {
  CertificateRotatorOptions options;
  options.kubeconfig = dir_ + "/absent";
  CertificateRotator rotator(options, clock_);
  EXPECT_EQ(rotator.start().code(), Code::kInvalid);
}

}  // namespace cert_rotation_test
}  // namespace minik8s::node
