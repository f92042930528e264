// Rotation of a node's client certificate while the agent runs, as client-go's certificate
// manager does for the kubelet: once the certificate in <data-dir>/kubeconfig passes a
// jittered 70-90% of its lifetime (counted from notBefore for the certificate it starts with,
// from its arrival for one it rotated in: signers backdate notBefore), the node asks for a new one through a
// CertificateSigningRequest made with its current credentials (the approver's
// "selfnodeclient" case: system:node:<name> asking for CN=system:node:<name>,
// O=system:nodes), checks it, writes the kubeconfig again (0600, rename) and tells the
// agent through a callback. A failure is retried with back-off (5 s doubling to 5 min)
// while the current certificate is still good.
//
// rotationDeadline is pure; CertificateRotator owns one thread. Thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <random>
#include <stop_token>
#include <string>
#include <thread>

#include "common/clock.h"
#include "common/status.h"
#include "node/tls_bootstrap.h"

namespace minik8s::node {

// not_before + (0.7 + 0.2 * jitter) * (not_after - not_before); `jitter` in [0, 1].
std::chrono::system_clock::time_point rotationDeadline(
    std::chrono::system_clock::time_point not_before,
    std::chrono::system_clock::time_point not_after, double jitter);

// One renewal: a new key and CSR through a client authenticated with `current` (its
// certificate and key, trusting its CA), then the checks of requestNodeCertificate.
Result<NodeCredentials> renewNodeCertificate(const NodeCredentials& current,
                                             const TlsBootstrapOptions& options,
                                             std::stop_token stop = {});

struct CertificateRotatorOptions {
  std::string kubeconfig;  // <data-dir>/kubeconfig: read at start, rewritten at each rotation
  TlsBootstrapOptions bootstrap;
  // The renewal itself; renewNodeCertificate by default (tests inject a fake).
  std::function<Result<NodeCredentials>(const NodeCredentials&, std::stop_token)> renew;
  // Called after the new kubeconfig is written (on the rotator's thread).
  std::function<void(const NodeCredentials&)> on_rotated;
};

class CertificateRotator {
 public:
  CertificateRotator(CertificateRotatorOptions options, Clock& clock = Clock::real());
  ~CertificateRotator();
  CertificateRotator(const CertificateRotator&) = delete;
  CertificateRotator& operator=(const CertificateRotator&) = delete;

  // Reads the kubeconfig and starts the thread. kInvalid when it holds no certificate.
  Status start();
  void stop();

  // The credentials in use now, and how many rotations have happened.
  NodeCredentials current() const;
  int rotations() const;

 private:
  void loop(std::stop_token stop);

  CertificateRotatorOptions options_;
  Clock& clock_;
  mutable std::mutex mu_;
  NodeCredentials current_;  // GUARDED_BY(mu_)
  int rotations_ = 0;        // GUARDED_BY(mu_)
  std::mt19937_64 random_{std::random_device{}()};
  std::jthread thread_;
};

}  // namespace minik8s::node
